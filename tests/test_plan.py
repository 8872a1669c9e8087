"""The run plan: every command refuses an output on any of its inputs, and checks everything before work.

One table of commands (animate, a --history re-render, train, morph, sweep),
each given an input file and an output that lands on it: directly, beside
it (a poster or CSV with the same stem), through a symlink, a hard link or
another spelling. Every one is refused with one ``Error:`` line, exit 1,
before anything is trained, and the input's bytes are unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import plan as plans
from nnviz.catalog import resolve
from nnviz.cli import cli

CSV = "x0,x1,label\n" + "".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}\n" for i in range(20))
CONFIG = "[train]\nepochs = 2\n"
SWEEP = '[train]\nepochs = 1\n[render]\ngrid = 6\nsize = "128x64"\n[sweep]\n"model.activation" = ["tanh"]\n'
TINY = ("-q", "--epochs", "2", "--grid", "6", "--size", "128x64")


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with data, configs and sweep files (some named like outputs), links to them, and a saved run."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "points.csv").write_text(CSV)
    (tmp_path / "pts.gif").write_text(CSV)  # a CSV named like an animation (issue 16's morph case)
    (tmp_path / "exp.toml").write_text(CONFIG)
    (tmp_path / "exp.gif").write_text(CONFIG)  # a config named like an animation
    (tmp_path / "summary.csv").write_text(SWEEP)  # a sweep file named like a sweep's own output
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "points.csv", tmp_path / "link.csv")
    os.link(tmp_path / "points.csv", tmp_path / "hard.csv")
    os.symlink(tmp_path / "pts.gif", tmp_path / "ptslink.gif")
    r = CliRunner().invoke(cli, ["train", "-q", "--epochs", "2", "--history", "run.csv"])
    assert r.exit_code == 0, r.output
    return tmp_path


M = ("morph", *TINY, "--steps", "1")
# (what is refused, the command line): every output that would land on an input, however it is spelled.
CASES: list[tuple[str, list[str]]] = [
    ("animate: poster/CSV beside its data", ["animate", *TINY, "--data", "points.csv", "--out", "points.gif"]),
    ("animate: CSV through a symlink to its data", ["animate", *TINY, "--data", "points.csv", "--out", "link.gif"]),
    ("animate: CSV through a hard link to its data", ["animate", *TINY, "--data", "points.csv", "--out", "hard.gif"]),
    ("animate: another spelling", ["animate", *TINY, "--data", "points.csv", "--out", "sub/../points.gif"]),
    ("animate: the animation on its data", ["animate", *TINY, "--dataset", "csv", "--data", "pts.gif", "--out", "pts.gif"]),
    ("animate: TOML beside its config", ["animate", *TINY, "--config", "exp.toml", "--out", "exp.gif"]),
    ("re-render: onto its own history", ["animate", "-q", "--history", "run.csv", "--out", "run.gif"]),
    ("re-render: another spelling", ["animate", "-q", "--history", "run.csv", "--out", "sub/../run.mp4"]),
    ("train: onto its data", ["train", "-q", "--data", "points.csv", "--history", "points.csv"]),
    ("train: through a hard link", ["train", "-q", "--data", "points.csv", "--history", "hard.csv"]),
    ("train: TOML onto its config", ["train", "-q", "--config", "exp.toml", "--history", "exp.csv"]),
    ("morph: onto its data", [*M, "--dataset", "csv", "--data", "pts.gif", "--out", "pts.gif"]),
    ("morph: through a symlink to its data", [*M, "--dataset", "csv", "--data", "pts.gif", "--out", "ptslink.gif"]),
    ("morph: another spelling", [*M, "--dataset", "csv", "--data", "pts.gif", "--out", "sub/../pts.gif"]),
    ("morph: onto its config", [*M, "--config", "exp.gif", "--out", "exp.gif"]),
    ("sweep: onto its own file", ["sweep", "summary.csv", "-q", "--out", "."]),
]


@pytest.mark.parametrize("argv", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_no_command_writes_over_its_input(saved: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in saved.rglob("*") if p.is_file()}
    _no_training(monkeypatch)
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "would overwrite" in lines[0], r.output
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in saved.rglob("*") if p.is_file()}
    assert after == before  # nothing changed, nothing new


def _no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Training (and the sweep's runs) fail the test: every refusal must come first."""
    from nnviz import runs
    from nnviz.render import pipeline
    from nnviz.sweep import orchestrate

    for module in (pipeline, runs):  # imported first: they hold the name they import
        monkeypatch.setattr(module, "train", lambda *a, **k: pytest.fail("trained before refusing"))
    monkeypatch.setattr(orchestrate, "execute_run", lambda *a, **k: pytest.fail("ran before refusing"))


# --- what a morph refuses before it trains ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "500"], "Error: --steps 500 is invalid; valid: a whole number of frames per stage from 1 to 200"),
        (["--pause", "101"], "Error: --pause 101 is invalid"),
        (["--epoch", "99999"], "Error: --epoch '99999': epoch 99999 is out of range; valid: comma-separated epochs "
                               "from 0 to 2 or 'last'"),
        (["--epoch", "one"], "Error: --epoch 'one': 'one' is not an epoch"),
        (["--out", "/proc/nope/m.gif"], "Error: --out = '/proc/nope/m.gif' is not writable"),
        (["--dataset", "sine"], "Error: a morph needs 2 or more input features; the sine data has 1"),
    ],
)
def test_morph_refuses_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                       message: str) -> None:
    monkeypatch.chdir(tmp_path)
    _no_training(monkeypatch)
    r = CliRunner().invoke(cli, ["morph", *TINY, *args])
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), r.output
    assert not list(tmp_path.rglob("*.gif"))


def test_a_killed_morphs_temp_file_is_gone_after_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every plan removes the temp files crashed runs left beside its outputs, the morph's too."""
    monkeypatch.chdir(tmp_path)
    stale = tmp_path / ".m.gif.999999999-abcdefgh.part.gif"  # a pid that cannot be alive
    stale.write_bytes(b"GIF89a half")
    r = CliRunner().invoke(cli, ["morph", *TINY, "--steps", "1", "--pause", "0", "--out", "m.gif"])
    assert r.exit_code == 0, r.output
    assert not stale.exists() and (tmp_path / "m.gif").exists()


# --- --out - ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "magic"), [(["animate"], b"GIF89a"), (["animate", "--format", "png"], b"\x89PNG"),
                                                (["morph", "--steps", "1"], b"GIF89a")])
def test_out_dash_writes_the_animation_to_stdout_and_nothing_else(tmp_path: Path, command: list[str],
                                                                    magic: bytes) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nnviz", *command, *TINY, "--out", "-"], cwd=tmp_path, capture_output=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(magic)
    assert b"wrote" in proc.stderr and b"standard output" in proc.stderr  # the report goes to stderr
    assert list(tmp_path.iterdir()) == []  # no file named "-.gif", no poster, CSV or TOML


def test_out_dash_to_a_terminal_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    _no_training(monkeypatch)
    with pytest.raises(Exception, match="would write binary data to the terminal"):
        plans.animate(resolve(), "-").check()


def test_train_to_dash_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["train", "-q", "--history", "-"])
    assert r.exit_code == 1 and r.output.strip() == (
        "Error: --history - is not supported: the history CSV needs its .toml config beside it"
    )


# --- default names -----------------------------------------------------------------------------


NAMED: list[tuple[dict[str, object], str]] = [
    ({}, "blobs-tanh-lr0.01"),
    ({"model.activation": "relu", "train.lr": 0.1}, "blobs-relu-lr0.1"),
    ({"data.test_fraction": 0.2}, "blobs-tanh-lr0.01-test-fraction0.2"),
    ({"render.panels": "input,hidden,activation,loss"}, "blobs-tanh-lr0.01-panels-input.hidden.activation.loss"),
    ({"render.log_frames": 60, "render.hold": 2}, "blobs-tanh-lr0.01-log-frames60-hold2"),
    ({"render.format": "mp4", "render.fps": 30}, "blobs-tanh-lr0.01-format-mp4-fps30"),
    ({"model.hidden": "4,2"}, "blobs-tanh-lr0.01-hidden4.2"),  # its auto layer (2) is not named
    ({"data.name": "spiral"}, "spiral-tanh-lr0.01"),  # the dataset's own defaults are not named
    ({"data.name": "spiral", "train.epochs": 50}, "spiral-tanh-lr0.01-epochs50"),
]


@pytest.mark.parametrize(("values", "stem"), NAMED, ids=[s for _, s in NAMED])
def test_the_default_name_says_what_differs_from_the_defaults(values: dict[str, object], stem: str) -> None:
    assert plans.default_stem(resolve({}, values)) == stem


def test_default_names_never_collide_and_stay_short() -> None:
    stems = [plans.default_stem(resolve({}, values)) for values, _ in NAMED]
    assert len(set(stems)) == len(stems)
    many = resolve({}, {"train.epochs": 7, "train.seed": 3, "train.batch_size": 5, "data.noise": 0.3,
                        "render.grid": 30, "render.fps": 12, "render.size": "640x480", "render.hold": 3,
                        "render.every": 2, "model.init": "he_normal", "train.weight_decay": 0.01})
    stem = plans.default_stem(many)
    assert len(stem) <= plans.MAX_STEM and stem.startswith("blobs-tanh-lr0.01-")
    assert stem != plans.default_stem(resolve({}, {"train.epochs": 7}))


def test_train_names_only_what_shapes_the_history() -> None:
    p = plans.train(resolve({}, {"render.fps": 30, "train.epochs": 9}))
    assert p.outputs.history_csv == Path("outputs/blobs-tanh-lr0.01-epochs9.csv")

