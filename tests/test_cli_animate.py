from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from nnviz.cli import cli

TINY = ["--grid", "20", "--size", "300x100", "--epochs", "5", "--stop-loss", "0", "--quiet"]


def test_default_run_writes_four_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["animate", *TINY])
    assert r.exit_code == 0, r.output
    for suffix in (".gif", ".png", ".csv", ".toml"):
        assert Path(f"outputs/blobs-tanh-lr0.01{suffix}").exists()
    assert "wrote 6 frames" in r.stdout
    assert Image.open("outputs/blobs-tanh-lr0.01.gif").info["loop"] == 0


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
