from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from nnviz.catalog import resolve
from nnviz.cli import cli

TINY = ["--grid", "20", "--size", "300x100", "--epochs", "5", "--stop-loss", "0", "--quiet"]


def _stem(*args: str) -> str:
    """The default name ``nnviz animate ARGS`` writes: the run's name plus what differs from the defaults."""
    from nnviz import plan as plans

    valued = [a for a in args if a not in ("--quiet", "-q")]
    flags = dict(zip(valued[::2], valued[1::2]))
    over = {"--grid": "render.grid", "--size": "render.size", "--epochs": "train.epochs", "--stop-loss": "train.stop_loss",
            "--n-samples": "data.n_samples", "--format": "render.format"}
    return plans.default_stem(resolve({}, {over[k]: v for k, v in flags.items() if k in over}))


def test_default_run_writes_four_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["animate", *TINY])
    assert r.exit_code == 0, r.output
    stem = _stem(*TINY)
    assert stem.startswith("blobs-tanh-lr0.01-")  # TINY's own flags are in its name
    for suffix in (".gif", ".png", ".csv", ".toml"):
        assert Path(f"outputs/{stem}{suffix}").exists()
    assert "wrote 6 frames" in r.stdout
    assert Image.open(f"outputs/{stem}.gif").info["loop"] == 0


def test_out_and_rerender_history(tmp_path):
    runner = CliRunner()
    out = tmp_path / "deep" / "run.gif"
    r = runner.invoke(cli, ["animate", *TINY, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.with_suffix(".csv").exists()
    again = tmp_path / "again.mp4"
    r = runner.invoke(cli, ["animate", "--history", str(out.with_suffix(".csv")), "--out", str(again), "--quiet"])
    assert r.exit_code == 0, r.output
    assert again.exists()


def test_bad_flags_give_error_lines(tmp_path):
    runner = CliRunner()
    for args in (["--format", "webm"], ["--out", str(tmp_path / "x.webm")], ["--panels", "input,nope"],
                 ["--every", "2", "--log-frames", "3"], ["--layer", "3"]):
        r = runner.invoke(cli, ["animate", *TINY, *args])
        assert r.exit_code != 0 and "Error:" in r.output, (args, r.output)
    assert not any(tmp_path.iterdir())


def test_progress_goes_to_stderr(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["animate", *TINY[:-1], "--out", str(tmp_path / "p.gif")])
    assert r.exit_code == 0
    assert "rendering" in r.stderr and "rendering" not in r.stdout


def test_warnings_are_one_line_on_stderr(tmp_path, monkeypatch):
    import subprocess
    import sys

    code = ("import nnviz.render.pipeline as r; r.WARN_BYTES = 1000; r.SIZE_PROBE_FRAMES = 2;"
            "from nnviz.cli import main; main()")
    out = subprocess.run([sys.executable, "-c", code, "animate", "--epochs", "4", "--stop-loss", "0", "--grid", "20",
                          "--size", "300x100", "-q", "--out", str(tmp_path / "w.gif")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Warning: ") and "on course to be about" in lines[0], out.stderr


def test_out_suffix_beats_a_config_files_format(tmp_path):
    from click.testing import CliRunner

    from nnviz.cli import cli

    cfg = tmp_path / "c.toml"
    cfg.write_text('[render]\nformat = "mp4"\ngrid = 10\nsize = "128x64"\n[train]\nepochs = 2\nstop_loss = 0\n')
    ok = CliRunner().invoke(cli, ["animate", "--config", str(cfg), "-q", "--out", str(tmp_path / "a.gif")])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "a.gif").read_bytes()[:6] == b"GIF89a"
    clash = CliRunner().invoke(cli, ["animate", "--config", str(cfg), "--format", "mp4", "-q", "--out", str(tmp_path / "b.gif")])
    assert clash.exit_code == 1 and "is a .gif file but --format is mp4" in clash.output


def test_train_then_rerender_uses_the_config_beside_the_history(tmp_path):
    """`nnviz train` writes the .toml a re-render needs; relu trained is relu drawn."""
    runner = CliRunner()
    csv = tmp_path / "h.csv"
    r = runner.invoke(cli, ["train", "--activation", "relu", "--hidden", "3", "--epochs", "4", "-q",
                            "--history", str(csv)])
    assert r.exit_code == 0, r.output
    assert "activation = \"relu\"" in csv.with_suffix(".toml").read_text()
    out = tmp_path / "again.gif"
    r = runner.invoke(cli, ["animate", "--history", str(csv), "--out", str(out), "--grid", "20", "-q"])
    assert r.exit_code == 0, r.output
    assert "relu" in out.with_suffix(".toml").read_text() and "stopped at" not in r.output


def test_rerender_refuses_a_history_without_its_config(tmp_path):
    runner = CliRunner()
    csv = tmp_path / "h.csv"
    assert runner.invoke(cli, ["train", "--epochs", "3", "-q", "--history", str(csv)]).exit_code == 0
    csv.with_suffix(".toml").unlink()
    r = runner.invoke(cli, ["animate", "--history", str(csv), "--out", str(tmp_path / "x.gif"), "-q"])
    assert r.exit_code == 1 and "has no config beside it" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.gif").exists()


def test_rerender_refuses_flags_that_contradict_the_history(tmp_path):
    runner = CliRunner()
    csv = tmp_path / "h.csv"
    assert runner.invoke(cli, ["train", "--epochs", "3", "-q", "--history", str(csv)]).exit_code == 0
    base = ["animate", "--history", str(csv), "--out", str(tmp_path / "x.gif"), "--grid", "20", "-q"]
    for flag, value in (("--hidden", "5"), ("--activation", "relu"), ("--dataset", "xor")):
        r = runner.invoke(cli, [*base, flag, value])
        assert r.exit_code == 2 and f"Error: {flag} {value} contradicts" in r.output, r.output
    assert not (tmp_path / "x.gif").exists()
    # Agreeing with the history, or changing only how it is drawn, is fine.
    r = runner.invoke(cli, [*base, "--activation", "tanh", "--panels", "input,loss"])
    assert r.exit_code == 0, r.output


def test_a_config_that_describes_another_network_is_refused(tmp_path):
    runner = CliRunner()
    csv = tmp_path / "h.csv"
    assert runner.invoke(cli, ["train", "--epochs", "3", "-q", "--history", str(csv)]).exit_code == 0
    other = tmp_path / "other.toml"
    other.write_text("[model]\nhidden = [4]\n")
    r = runner.invoke(cli, ["animate", "--history", str(csv), "--config", str(other),
                            "--out", str(tmp_path / "x.gif"), "-q"])
    assert r.exit_code == 1 and "holds a 2-2-1 network" in r.output, r.output


def test_animate_says_where_training_stopped_and_what_it_reached(tmp_path):
    r = CliRunner().invoke(cli, ["animate", *TINY, "--test-fraction", "0.25", "--out", str(tmp_path / "a.gif")])
    assert r.exit_code == 0, r.output
    assert "stopped at epoch 5" in r.stdout and "final accuracy" in r.stdout and "test_accuracy" in r.stdout


def test_a_png_run_says_it_wrote_one_still(tmp_path):
    r = CliRunner().invoke(cli, ["animate", *TINY, "--out", str(tmp_path / "a.png")])
    assert r.exit_code == 0, r.output
    assert "wrote the epoch-5 still" in r.stdout and "frames" not in r.stdout


def test_sub_epoch_snapshots_close_the_training_stage_once(tmp_path):
    args = ["animate", "--grid", "20", "--size", "300x100", "--epochs", "2", "--stop-loss", "0", "--snapshot-every",
            "5", "--out", str(tmp_path / "s.gif")]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert r.stderr.count("training... done") == 1, r.stderr


def test_the_readmes_rerender_flow(tmp_path, monkeypatch):
    """A re-render's default name says what it changed, so it never lands on the run it reads;
    one that changes nothing would be that run's name, and is refused."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["animate", *TINY]).exit_code == 0
    csv = f"outputs/{_stem(*TINY)}.csv"
    before = Path(csv).read_bytes(), Path(csv).with_suffix(".toml").read_bytes()
    r = runner.invoke(cli, ["animate", "--history", csv, "-q"])
    assert r.exit_code == 1 and "would overwrite the --history file" in r.output
    r = runner.invoke(cli, ["animate", "--history", csv, "--format", "mp4", "-q"])
    assert r.exit_code == 0, r.output
    assert Path(f"outputs/{_stem(*TINY, '--format', 'mp4')}.mp4").stat().st_size > 0
    r = runner.invoke(cli, ["animate", "--history", csv, "--out", "outputs/blobs-video.mp4", "-q"])
    assert r.exit_code == 0, r.output
    assert Path("outputs/blobs-video.mp4").stat().st_size > 0
    assert (Path(csv).read_bytes(), Path(csv).with_suffix(".toml").read_bytes()) == before


def test_colors_palette_gives_a_webp_the_gifs_pixels_in_fewer_bytes(tmp_path):
    import numpy as np

    runner = CliRunner()
    files = {}
    for name, args in {"gif": [], "full": ["--colors", "full"], "palette": ["--colors", "palette"]}.items():
        out = tmp_path / name / f"run.{'gif' if name == 'gif' else 'webp'}"
        r = runner.invoke(cli, ["animate", *TINY, "--out", str(out), *args])
        assert r.exit_code == 0, r.output
        files[name] = out

    def frames(path):
        with Image.open(path) as im:
            return [np.asarray((im.seek(k), im.convert("RGB"))[1]) for k in range(im.n_frames)]

    gif, full, palette = (frames(files[k]) for k in ("gif", "full", "palette"))
    assert len(gif) == len(full) == len(palette) == 6
    assert all(np.array_equal(g, p) for g, p in zip(gif, palette))
    assert not all(np.array_equal(g, f) for g, f in zip(gif, full))  # full colour is not the GIF's
    assert files["palette"].stat().st_size < files["full"].stat().st_size
    assert "colors = \"palette\"" in files["palette"].with_suffix(".toml").read_text()


def test_bad_colors_says_what_is_allowed(tmp_path):
    r = CliRunner().invoke(cli, ["animate", *TINY, "--colors", "rgb", "--out", str(tmp_path / "x.webp")])
    assert r.exit_code == 1 and "Error: --colors = 'rgb' is invalid: unknown name; valid: full, palette" in r.output
    assert not any(tmp_path.iterdir())


def test_one_frame_is_one_frame_of_one_epoch(tmp_path):
    r = CliRunner().invoke(cli, ["animate", *TINY, "--log-frames", "1", "--out", str(tmp_path / "a.gif")])
    assert r.exit_code == 0, r.output
    assert "wrote 1 frame (epoch 5): " in r.stdout
    assert Image.open(tmp_path / "a.gif").n_frames == 1


def test_an_html_player_is_named_after_its_file(tmp_path):
    r = CliRunner().invoke(cli, ["animate", *TINY, "--out", str(tmp_path / "xor-run.html")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "xor-run.html").read_text()
    assert "<title>xor-run</title>" in page and 'aria-label="xor-run: animation player"' in page
