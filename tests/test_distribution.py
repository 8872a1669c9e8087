"""The distribution is nnviz-anim; another installed distribution that provides the top-level
``nnviz`` package (the other PyPI project named nnviz) is named in one warning line (nnviz/distribution.py)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nnviz import __version__, distribution

ROOT = Path(__file__).resolve().parents[1]


def fake_site(root: Path, folder: str, files: dict[str, str]) -> Path:
    """A site folder holding one distribution's metadata folder (and its package, so it is real)."""
    site = root / "site"
    meta = site / folder
    meta.mkdir(parents=True)
    for name, text in files.items():
        (meta / name).write_text(text, encoding="utf-8")
    return site


# The other project's wheel as pip installs it: no top_level.txt, its files in RECORD.
OTHER = {
    "METADATA": "Metadata-Version: 2.1\nName: nnviz\nVersion: 1.0.0\n",
    "RECORD": "nnviz/__init__.py,sha256=x,10\nnnviz/cli.py,sha256=y,20\nnnviz-1.0.0.dist-info/RECORD,,\n",
}


def test_the_distribution_name_is_the_free_one_and_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == distribution.NAME == "nnviz-anim"
    assert "version" not in project and project["dynamic"] == ["version"]
    assert project["scripts"] == {"nnviz": "nnviz.cli:main"}
    from importlib import metadata

    assert metadata.version(distribution.NAME) == __version__  # the installed metadata reads __init__'s


def test_our_own_install_is_no_clash() -> None:
    assert distribution.others() == [] and distribution.clash_warning() is None


@pytest.mark.parametrize(
    ("folder", "files", "named"),
    [
        ("nnviz-1.0.0.dist-info", OTHER, "nnviz 1.0.0"),
        ("nnviz-0.9-py3.11.egg-info", {"PKG-INFO": "Name: nnviz\n", "top_level.txt": "nnviz\n"}, "nnviz 0.9"),
    ],
)
def test_another_distribution_of_the_package_is_found_as_packages_distributions_finds_it(
    tmp_path: Path, folder: str, files: dict[str, str], named: str
) -> None:
    site = fake_site(tmp_path, folder, files)
    assert distribution.others([str(site)]) == [named]
    # The same answer as importlib.metadata's, in a process that has the fake site on its path.
    compare = (
        "import json; from importlib import metadata; from nnviz import distribution;"
        "theirs = sorted(set(metadata.packages_distributions()['nnviz']) - {distribution.NAME});"
        "ours = sorted(n.split(' ')[0] for n in distribution.others());"
        "print(json.dumps([theirs, ours]))"
    )
    out = subprocess.run([sys.executable, "-c", compare], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)})
    assert out.stdout.strip() == '[["nnviz"], ["nnviz"]]'


def test_unrelated_distributions_are_no_clash(tmp_path: Path) -> None:
    site = fake_site(tmp_path, "nnvizual-2.0.dist-info", {"RECORD": "nnvizual/__init__.py,,\n"})
    (site / "numpy-2.0.dist-info").mkdir()
    (site / "numpy-2.0.dist-info" / "top_level.txt").write_text("numpy\n")
    assert distribution.others([str(site)]) == []


@pytest.mark.parametrize("args", [["--version"], ["datasets"]])
def test_the_command_warns_in_one_line_naming_the_other_project(tmp_path: Path, args: list[str]) -> None:
    site = fake_site(tmp_path, "nnviz-1.0.0.dist-info", OTHER)
    nnviz = Path(sys.executable).with_name("nnviz")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)}
    out = subprocess.run([str(nnviz), *args], capture_output=True, text=True, env=env, check=True)
    assert out.stderr.splitlines() == [
        "Warning: nnviz 1.0.0 (another project) also installs the Python package nnviz here, and the two "
        "overwrite each other's files: pip uninstall nnviz, then pip install --force-reinstall nnviz-anim"
    ]
    clean = subprocess.run([str(nnviz), *args], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert clean.returncode == 0 and clean.stderr == ""
