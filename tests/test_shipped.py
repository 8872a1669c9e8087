"""Example configs ship inside the package: ``--config spiral`` finds them from any folder, a path
works as before, ``nnviz configs`` lists them, and the wheel carries them (nnviz/shipped.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import __version__, catalog, shipped
from nnviz.cli import cli
from nnviz.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--epochs", "2", "--n-samples", "40", "-q"]


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """An empty current folder, far from the repository's configs/."""
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def train(*args: str) -> tuple[int, str, dict]:
    result = CliRunner().invoke(cli, ["train", *args, *QUICK, "--history", "h.csv"])
    saved = tomllib.loads(Path("h.toml").read_text()) if Path("h.toml").exists() else {}
    return result.exit_code, result.output, saved


def test_the_shipped_names_are_the_package_folder_and_the_repository_link_to_it() -> None:
    files = sorted(p.stem for p in (ROOT / "src" / "nnviz" / "configs").glob("*.toml"))
    assert shipped.names() == tuple(files) and "spiral" in files and "sweep-activation-lr" in files
    assert (ROOT / "configs").resolve() == shipped.FOLDER.resolve()  # configs/X.toml works in a checkout


def test_a_bare_name_finds_the_shipped_config_from_any_folder(elsewhere: Path) -> None:
    code, output, saved = train("--config", "spiral")
    assert code == 0, output
    assert saved["model"]["hidden"] == [16, 16, 2] and saved["render"]["layer"] == 3
    assert train("--config", "spiral.toml")[2]["model"]["hidden"] == [16, 16, 2]  # the suffix may be given


def test_a_path_still_works_and_a_local_file_of_that_name_wins(elsewhere: Path) -> None:
    (elsewhere / "mine.toml").write_text('[model]\nhidden = [3]\n')
    assert train("--config", "mine.toml")[2]["model"]["hidden"] == [3]
    assert train("--config", str(ROOT / "configs" / "xor.toml"))[2]["data"]["name"] == "xor"
    (elsewhere / "spiral").write_text('[model]\nhidden = [5]\n')  # a file in this folder named like a shipped one
    assert train("--config", "spiral")[2]["model"]["hidden"] == [5]


def test_the_library_takes_names_too() -> None:
    assert catalog.load("xor").data.name == "xor"
    spec = load_sweep("sweep-activation-lr")
    assert spec.stem == "sweep-activation-lr" and len(spec.runs) == 6


def test_nnviz_configs_lists_every_name_with_its_first_comment_line() -> None:
    result = CliRunner().invoke(cli, ["configs"])
    assert result.exit_code == 0
    header, *rows = result.output.splitlines()
    assert header.split() == ["name", "use", "with", "description"]
    assert [row.split()[0] for row in rows] == list(shipped.names())
    for row in rows:
        name = row.split()[0]
        first = (shipped.FOLDER / f"{name}.toml").read_text().splitlines()[0]
        assert first.startswith("# ") and row.endswith(first[2:]), (row, first)
        assert ("nnviz sweep" in row) == shipped.is_sweep(name)


def test_every_shipped_config_starts_with_a_one_line_description() -> None:
    for name in shipped.names():
        first = (shipped.FOLDER / f"{name}.toml").read_text().splitlines()[0]
        assert first.startswith("# ") and first.endswith(".") and len(first) <= 110, (name, first)


def test_completion_offers_the_shipped_names() -> None:
    env = {**os.environ, "_NNVIZ_COMPLETE": "bash_complete", "COMP_WORDS": "nnviz animate --config sp", "COMP_CWORD": "3"}
    nnviz = Path(sys.executable).with_name("nnviz")
    out = subprocess.run([str(nnviz)], capture_output=True, text=True, env=env, check=True)
    assert "plain,spiral" in out.stdout.splitlines() and "file,sp" in out.stdout.splitlines()


@pytest.mark.slow
def test_the_wheel_carries_the_configs_the_licence_and_the_type_marker(tmp_path: Path) -> None:
    """A wheel built from the sources (what pip install gets): the configs were not in it, so the
    README's --config configs/spiral.toml failed after pipx install."""
    tree = tmp_path / "tree"  # a copy, so the build leaves nothing in the checkout
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "README.pypi.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    constraints = str(ROOT / "constraints.txt")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-c", constraints, "--build-constraint",
         constraints, "-w", str(tmp_path / "dist"), str(tree)],
        check=True, capture_output=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"nnviz_anim-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"nnviz_anim-{__version__}.dist-info"
    assert {f"nnviz/configs/{n}.toml" for n in shipped.names()} <= names
    assert {"nnviz/py.typed", f"{info}/licenses/LICENSE", f"{info}/licenses/src/nnviz/data/README.md"} <= names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "Name: nnviz-anim\n" in metadata and f"Version: {__version__}\n" in metadata
    assert "License-Expression: MIT\n" in metadata and "Classifier: Typing :: Typed\n" in metadata
    assert zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode().split() == [
        "[console_scripts]", "nnviz", "=", "nnviz.cli:main"
    ]
