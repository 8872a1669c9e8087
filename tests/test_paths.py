"""No run ever changes a file it was given as input, and every output is checked first.

Each case is the user's view: the exit code, the one ``Error:`` line and
the input file's bytes, unchanged, with nothing trained or written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import catalog
from nnviz.cli import cli
from nnviz.errors import OutputError
from nnviz.paths import check_disjoint

CSV = "x0,x1,label\n" + "".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}\n" for i in range(20))
CONFIG = "# my experiment, with comments\n[train]\nepochs = 2\n"
A = ("animate", "-q", "--epochs", "2", "--grid", "6", "--size", "128x64")


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def only_error(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "points.csv").write_text(CSV)
    (tmp_path / "exp.toml").write_text(CONFIG)
    return tmp_path


def unchanged(root: Path) -> None:
    assert (root / "points.csv").read_text() == CSV
    assert (root / "exp.toml").read_text() == CONFIG
    assert not list(root.glob("*.gif")) and not list(root.glob("*.png"))


def test_animate_out_beside_its_data_is_refused(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(files, monkeypatch, *A, "--data", "points.csv", "--out", "points.gif")
    assert code == 1
    assert only_error(out) == ("Error: --out 'points.gif' would overwrite the --data file 'points.csv' "
                               "(its .csv history); choose another --out")
    unchanged(files)


def test_animate_out_beside_its_config_is_refused(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(files, monkeypatch, *A, "--config", "exp.toml", "--out", "exp.gif")
    assert code == 1
    assert only_error(out) == ("Error: --out 'exp.gif' would overwrite the --config file 'exp.toml' "
                               "(its .toml config); choose another --out")
    unchanged(files)


def test_train_history_on_its_data_is_refused(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(files, monkeypatch, "train", "-q", "--epochs", "2", "--data", "points.csv",
                    "--history", "./points.csv")
    assert code == 1
    assert only_error(out) == ("Error: --history 'points.csv' would overwrite the --data file 'points.csv'; "
                               "choose another --history")
    unchanged(files)


def test_rerendering_a_history_onto_itself_is_refused(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run(files, monkeypatch, *A, "--out", "h.gif")
    assert first[0] == 0, first[1]
    before = {p.name: p.read_bytes() for p in files.iterdir()}
    code, out = run(files, monkeypatch, "animate", "-q", "--history", "h.csv", "--out", "h.gif")
    assert code == 1
    assert "would overwrite the --history file 'h.csv' (its .csv history)" in only_error(out)
    assert {p.name: p.read_bytes() for p in files.iterdir()} == before


@pytest.mark.parametrize("link", ["symlink", "hardlink", "dotted"])
def test_links_and_spellings_are_caught(files: Path, monkeypatch: pytest.MonkeyPatch, link: str) -> None:
    (files / "sub").mkdir()
    if link == "symlink":
        os.symlink(files / "points.csv", files / "sub" / "run.csv")
        target = "sub/run.gif"
    elif link == "hardlink":
        os.link(files / "points.csv", files / "sub" / "run.csv")
        target = "sub/run.gif"
    else:
        target = "sub/../points.gif"
    code, out = run(files, monkeypatch, *A, "--data", "points.csv", "--out", target)
    assert code == 1
    assert "would overwrite the --data file 'points.csv' (its .csv history)" in only_error(out)
    unchanged(files)


def test_a_sweep_never_writes_over_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = '[train]\nepochs = 2\n[sweep]\n"train.lr" = [0.1]\n'
    (tmp_path / "summary.csv").write_text(text)  # a TOML sweep file, oddly named
    code, out = run(tmp_path, monkeypatch, "sweep", "summary.csv", "--out", ".", "-q")
    assert code == 1
    assert only_error(out) == ("Error: --out '.' would overwrite the sweep file 'summary.csv' (its summary.csv); "
                               "choose another --out")
    assert (tmp_path / "summary.csv").read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]


def test_a_sweep_never_writes_over_a_runs_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "o" / "lr=0.1"
    folder.mkdir(parents=True)
    (folder / "thumb.gif").write_text(CSV)
    text = f'[data]\nname = "csv"\npath = "{(folder / "thumb.gif").as_posix()}"\n[sweep]\n"train.lr" = [0.1]\n'
    (tmp_path / "s.toml").write_text(text)
    code, out = run(tmp_path, monkeypatch, "sweep", "s.toml", "--out", "o", "-q")
    assert code == 1
    assert "would overwrite the data file of run lr=0.1" in only_error(out) and "(run lr=0.1's thumb.gif)" in out
    assert (folder / "thumb.gif").read_text() == CSV


def test_check_disjoint_compares_inodes(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    os.link(tmp_path / "a", tmp_path / "b")
    with pytest.raises(OutputError, match="would overwrite the --data file"):
        check_disjoint({"--data file": tmp_path / "a"}, {"": tmp_path / "b"}, "--out", tmp_path / "b")
    check_disjoint({"--data file": tmp_path / "a", "--config file": None}, {"": tmp_path / "c"}, "--out", "c")


# --- every output is checked before training ------------------------------------------

def test_a_folder_in_the_way_of_the_csv_fails_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.gif", "a.png", "a.toml"):
        (tmp_path / name).write_text(f"previous {name}\n")
    (tmp_path / "a.csv").mkdir()
    code, out = run(tmp_path, monkeypatch, "animate", "--epochs", "2", "--grid", "6", "--size", "128x64",
                    "--out", "a.gif")
    assert code == 1
    assert only_error(out) == ("Error: --out = 'a.gif' is not writable: cannot write 'a.csv': it is a folder; "
                               "give a file name")
    for name in ("a.gif", "a.png", "a.toml"):
        assert (tmp_path / name).read_text() == f"previous {name}\n"
    assert (tmp_path / "a.csv").is_dir() and not any((tmp_path / "a.csv").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.gif", "a.png", "a.toml"]  # no temps


def test_library_animate_checks_every_output_before_loading_data(tmp_path: Path) -> None:
    from nnviz import render

    (tmp_path / "a.toml").mkdir()
    cfg = catalog.resolve({}, {"data.name": "csv", "data.path": str(tmp_path / "missing.csv")})
    with pytest.raises(OutputError, match="cannot write .*a.toml.*: it is a folder"):
        render.animate(cfg, tmp_path / "a.gif")  # not the DataError of the missing CSV: nothing was loaded


def test_a_name_near_name_max_works_though_its_temp_name_is_longer(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stem = "n" * (255 - len(".events.csv"))  # the longest of the six names is 255 bytes: legal; its temp ~280
    code, out = run(tmp_path, monkeypatch, *A, "--out", f"{stem}.gif")
    assert code == 0, out
    suffixes = (".csv", ".events.csv", ".gif", ".png", ".toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{stem}{s}" for s in suffixes)


def test_a_name_over_name_max_is_refused_before_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stem = "n" * 251  # the .gif fits (255 bytes), its .toml (256) does not
    code, out = run(tmp_path, monkeypatch, "animate", "--epochs", "2", "--out", f"{stem}.gif")
    assert code == 1
    line = only_error(out)
    assert line.endswith("is 256 bytes long; at most 255 are allowed") and "training" not in out, line
    assert list(tmp_path.iterdir()) == []
