"""Mistakes found by trying the CLI as a user would: each is one line, and nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nnviz.cli import cli
from nnviz.errors import NnvizError, OutputError, RenderError

TINY = ["--epochs", "3", "--stop-loss", "0", "--grid", "10", "--size", "300x100", "-q"]
TRAIN = ["--epochs", "3", "--stop-loss", "0", "-q"]  # train has no render options


def _one_error_line(r, code: int) -> str:
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == code, r.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.output
    return lines[0]


@pytest.mark.parametrize("args, says", [
    (["animate", "--lr", "fast"], "'fast' is not a valid float"),
    (["trian"], "No such command 'trian'"),
    (["--bogus"], "No such option '--bogus'"),
    (["animate", "--bogus"], "No such option '--bogus'"),
    (["sweep", "x.toml", "--jobs", "0"], "0 is not in the range x>=1"),
    (["animate", "--history", "no-such.csv"], "'no-such.csv' does not exist"),
])
def test_usage_errors_are_one_line_with_exit_code_2(tmp_path, monkeypatch, args, says):
    """click prints usage, a hint and a blank line before its error: four lines where others print one."""
    monkeypatch.chdir(tmp_path)
    assert says in _one_error_line(CliRunner().invoke(cli, args), 2)


def test_a_flag_that_contradicts_the_history_is_one_line(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["animate", *TINY, "--out", str(tmp_path / "a.gif")]).exit_code == 0
    r = runner.invoke(cli, ["animate", "--history", str(tmp_path / "a.csv"), "--lr", "0.5", "--out", str(tmp_path / "b.gif")])
    assert "--lr 0.5 contradicts" in _one_error_line(r, 2)


def test_train_refuses_a_history_name_that_is_not_csv(tmp_path, monkeypatch):
    """`--history data.toml` wrote the history and then its config over the same file."""
    monkeypatch.chdir(tmp_path)
    for name in ("data.toml", "run.gif", "run"):
        line = _one_error_line(CliRunner().invoke(cli, ["train", *TRAIN, "--history", name]), 1)
        assert line == f"Error: --history '{name}' must name a .csv file (its .toml config is written beside it)"
    assert list(tmp_path.iterdir()) == []
    r = CliRunner().invoke(cli, ["train", *TRAIN, "--history", "run.CSV"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.CSV", "run.toml"]
    assert Path("run.CSV").read_text().startswith("epoch")


@pytest.mark.parametrize("args, says", [
    (["animate", "--out", ""], "Invalid value for '--out': is empty; give a file name"),
    (["animate", "--out", "newdir/"], "'newdir/' ends with '/', so it names a folder; give a file name in it"),
    (["animate", "--config", ""], "Invalid value for '--config': is empty"),
    (["train", "--history", "runs/"], "'runs/' ends with '/'"),
    (["sweep", "s.toml", "--out", ""], "Invalid value for '--out': is empty; give a folder"),
])
def test_an_empty_or_folder_like_file_name_is_refused(tmp_path, monkeypatch, args, says):
    """Path('newdir/') is 'newdir': the run landed in newdir.gif; '' became '.'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('[sweep]\n"train.lr" = [0.1]\n')
    assert says in _one_error_line(CliRunner().invoke(cli, [*args, *TINY[-1:]]), 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_an_fps_too_low_for_any_format_is_refused_before_training(tmp_path):
    line = _one_error_line(CliRunner().invoke(cli, ["animate", *TINY, "--fps", "0.001", "--out", str(tmp_path / "a.gif")]), 1)
    assert line == "Error: --fps = 0.001 is invalid: must be a number >= 0.01 and <= 100"
    from nnviz.render import writers

    too_long = r"a GIF frame lasts at most 655.35 s; this one would last 1000 s"
    with pytest.raises(RenderError, match=too_long), writers.GifWriter(tmp_path / "b.gif", fps=0.001) as w:
        w.write(np.zeros((4, 4, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_under_ffmpeg_says_so(tmp_path, monkeypatch):
    """Not 'use --format gif': the disk is full whatever the format."""
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho 'av_interleaved_write_frame(): No space left on device' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    from nnviz.render import writers

    with pytest.raises(OutputError) as caught, writers.WebpWriter(tmp_path / "a.webp") as w:
        w.write(np.zeros((4, 4, 3), np.uint8))
    assert str(caught.value) == f"cannot write {str(tmp_path / 'a.webp')!r}: no space left on the device"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ffmpeg"]
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho 'Error while opening encoder' >&2\nexit 1\n")
    failed = r"ffmpeg failed with exit code 1 writing .*a.webp'?: Error while opening encoder$"
    with pytest.raises(NnvizError, match=failed), writers.WebpWriter(tmp_path / "a.webp") as w:
        w.write(np.zeros((4, 4, 3), np.uint8))


@pytest.mark.parametrize("text, says", [
    ('[train]\nlr = "0.1"\n', "train.lr in c.toml = '0.1' is invalid: must be a number, not a string (drop the quotes)"),
    ("[train]\nepochs = 5.0\n", "train.epochs in c.toml = 5.0 is invalid: must be a whole number, written without"),
    ('[render]\nfps = "10"\n', "render.fps in c.toml = '10' is invalid: must be a number, not a string"),
])
def test_a_config_files_number_must_be_a_number(tmp_path, monkeypatch, text, says):
    monkeypatch.chdir(tmp_path)
    Path("c.toml").write_text(text)
    assert says in _one_error_line(CliRunner().invoke(cli, ["animate", "--config", "c.toml", "-q"]), 1)


def test_a_config_file_may_start_with_a_byte_order_mark(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("c.toml").write_bytes(b"\xef\xbb\xbf[train]\nepochs = 2\nstop_loss = 0\n")
    r = CliRunner().invoke(cli, ["animate", "--config", "c.toml", *TINY[4:], "--out", "a.gif"])
    assert r.exit_code == 0, r.output
    assert "wrote 3 frames (epochs 0-2)" in r.output


def test_a_saved_run_re_renders_from_any_folder(tmp_path, monkeypatch):
    """The .toml beside a run named its data relative to where the run started."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    rows = "".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}\n" for i in range(30))
    (tmp_path / "d" / "pts.csv").write_text("x0,x1,label\n" + rows)
    runner = CliRunner()
    assert runner.invoke(cli, ["animate", "--data", "d/pts.csv", *TINY, "--out", "r/run.gif"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "r")
    r = runner.invoke(cli, ["animate", "--history", "run.csv", "-q", "--grid", "10", "--out", "again.gif"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["animate", "--history", "run.csv", "--data", "../d/pts.csv", "-q", "--out", "b.gif"])
    assert r.exit_code == 0, r.output  # the same file, named relatively: no contradiction
    assert (tmp_path / "d" / "pts.csv").read_text() == "x0,x1,label\n" + rows


def _stderr_of(args: list[str], cwd: Path) -> str:
    code = "from nnviz.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                         env={**os.environ, "PYTHONWARNINGS": "default"})
    assert out.returncode == 0, out.stderr
    return out.stderr


def test_a_still_through_the_celluloid_engine_warns_nothing(tmp_path):
    err = _stderr_of(["animate", "--engine", "celluloid", "--format", "png", *TINY, "--out", "p.png"], tmp_path)
    assert "Warning" not in err, err


def test_labels_the_font_cannot_draw_give_one_warning(tmp_path):
    (tmp_path / "cjk.csv").write_text("x,y,ラベル\n1,2,猫\n2,3,犬\n2,2,猫\n3,3,犬\n1,1,猫\n", encoding="utf-8")
    err = _stderr_of(["animate", "--data", "cjk.csv", *TINY, "--out", "c.gif"], tmp_path)
    warnings = [ln for ln in err.splitlines() if ln.startswith("Warning")]
    assert len(warnings) <= 1, err  # none where a font has them
    if warnings:
        assert "has no '" in warnings[0] and "show as empty boxes" in warnings[0], warnings


def test_the_helper_painters_error_reaches_the_parent_as_one_error(capfd):
    """A RenderError in the forked helper printed its traceback, then 'the helper painter stopped'."""
    from nnviz.render import parallel

    if not parallel.can_fork():
        pytest.skip("two painters need fork on Linux in a process without threads")

    def paint(i: int) -> np.ndarray:
        if i == 7:
            raise RenderError("epoch 7's network gives non-finite values")
        return np.full((2, 2, 3), i, np.uint8)

    indices = list(range(parallel.MIN_PARALLEL_FRAMES))
    with pytest.raises(RenderError, match="^epoch 7's network gives non-finite values$"):
        for _ in parallel.painted(paint, indices, workers=2):
            pass
    assert "Traceback" not in capfd.readouterr().err


def test_morph_of_a_history_out_of_floating_point_range_is_one_line(tmp_path):
    import csv

    runner = CliRunner()
    assert runner.invoke(cli, ["animate", *TINY, "--out", str(tmp_path / "run.gif")]).exit_code == 0
    rows = list(csv.reader((tmp_path / "run.csv").open()))
    column = rows[0].index("W1_0_1")
    for row in rows[1:]:
        row[column] = "1e308"
    with (tmp_path / "huge.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    (tmp_path / "huge.toml").write_bytes((tmp_path / "run.toml").read_bytes())
    r = runner.invoke(cli, ["morph", "--history", str(tmp_path / "huge.csv"), "-q", "--out", str(tmp_path / "m.gif")])
    assert "in the morph panel (parameters up to 1e+308); it cannot be drawn" in _one_error_line(r, 1)


def test_the_top_level_help_names_every_output_format():
    """The group's help was written when nnviz wrote GIF, MP4 and PNG; it missed WebP and HTML."""
    from nnviz.render.writers import WRITERS

    text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split()).lower()
    assert [f for f in WRITERS if f not in text] == []


@pytest.mark.parametrize("command", ["animate", "morph"])
def test_an_explicit_format_that_contradicts_the_out_suffix_is_refused(tmp_path, command):
    """`--format gif --out k.mp4` wrote an MP4 and recorded format = "gif" in k.toml, because gif is
    the default and the check only saw formats that were not."""
    r = CliRunner().invoke(cli, [command, "--format", "gif", "--out", str(tmp_path / "k.mp4"), *TINY])
    assert "is a .mp4 file but --format is gif" in _one_error_line(r, 1)
    assert list(tmp_path.iterdir()) == []


def test_help_shows_the_defaults_a_run_really_gets():
    """morph's help said 1200x400 and fixed axes (it uses 600x600, per-frame); animate's said
    --stop-loss 0.0 and --hidden 2 where the dataset's own defaults apply."""
    morph = " ".join(CliRunner().invoke(cli, ["morph", "--help"]).output.split())
    assert "[render.size, default: 600x600]" in morph and "[render.axes, default: per-frame]" in morph
    animate = " ".join(CliRunner().invoke(cli, ["animate", "--help"]).output.split())
    assert "[train.stop_loss, default: the dataset's (nnviz datasets), else 0.0]" in animate
    assert "[model.hidden, default: the dataset's (nnviz datasets), else 2]" in animate
    assert "[train.lr, default: the dataset's" in animate and "[render.size, default: 1200x400]" in animate
    table = CliRunner().invoke(cli, ["datasets"]).output
    xor = next(line for line in table.splitlines() if line.startswith("xor "))
    assert "hidden=4" in xor and "stop_loss=0.05" in xor and "epochs=150" in xor


# --- a reader that goes away, a closed stream ------------------------------------------------

NNVIZ = str(Path(sys.executable).with_name("nnviz"))
TINY_RUN = ["--epochs", "30", "--stop-loss", "0", "--grid", "12", "--size", "300x100", "--n-samples", "40"]


@pytest.mark.parametrize("args", [["datasets"], ["configs"], ["--help"], ["animate", "--help"], ["--version"]])
def test_a_reader_that_goes_away_ends_the_command_as_it_ends_unix_tools(tmp_path, args):
    """`nnviz datasets | head -1` printed 'Error: internal error: BrokenPipeError' and exited 1; `yes | head -1`
    dies of SIGPIPE (141 under pipefail) without a word."""
    read, write = os.pipe()
    os.close(read)  # every write now meets EPIPE, as after `| head -1` has read its line
    try:
        r = subprocess.run([NNVIZ, *args], cwd=tmp_path, stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert (r.returncode, r.stderr) == (-13, ""), r.stderr


def test_a_pipeline_that_takes_one_line_exits_0(tmp_path):
    r = subprocess.run(["bash", "-c", f"{NNVIZ} datasets | head -1"], cwd=tmp_path, capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (0, "") and r.stdout.startswith("name ")


def test_progress_into_a_gone_reader_stops_the_run_and_leaves_no_partial_file(tmp_path):
    """The progress lines go to stderr: `nnviz animate 2>&1 | head -1` ends at the first one,
    unwinding first, so no temp file or half animation stays behind."""
    read, write = os.pipe()
    os.close(read)
    try:
        r = subprocess.run([NNVIZ, "animate", *TINY_RUN, "--out", "a.gif"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=write, timeout=300)
    finally:
        os.close(write)
    assert r.returncode == -13 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("closed", [">&-", "2>&-", "<&- >&- 2>&-"])
def test_a_closed_standard_stream_is_dev_null(tmp_path, closed):
    """`nnviz animate >&-`: messages to the closed stream are dropped, and no file nnviz opens takes
    its descriptor (ffmpeg writes to fd 1): the run writes its complete outputs and exits 0."""
    r = subprocess.run(["bash", "-c", f"{NNVIZ} animate {' '.join(TINY_RUN)} --format mp4 --out a.mp4 {closed}"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.events.csv", "a.mp4", "a.png", "a.toml"]
    subprocess.run([NNVIZ, "animate", *TINY_RUN, "--format", "mp4", "--out", "b.mp4", "-q"], cwd=tmp_path, check=True,
                   capture_output=True)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()  # the same, open streams or not
    bad = subprocess.run(["bash", "-c", f"{NNVIZ} train --lr -1 {closed}"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 1
