"""nnviz's distribution name, and the other project that installs a package named nnviz.

The import package and the command are ``nnviz``; the distribution is
``nnviz-anim``, because ``nnviz`` on PyPI is another project (a GPL PyTorch
graph tool) with the same import package and the same ``nnviz`` command.
Installed side by side the two overwrite each other's files, and
uninstalling either deletes files of the other, so the CLI warns when it
finds another distribution that provides the top-level ``nnviz`` package.
"""

from __future__ import annotations

import os
import re
import sys

NAME = "nnviz-anim"
PACKAGE = "nnviz"
_METADATA_DIRS = (".dist-info", ".egg-info")


def canonical(name: str) -> str:
    """A distribution name as the package index compares them (PEP 503): ``nnviz_anim`` is ``nnviz-anim``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def others(path: list[str] | None = None) -> list[str]:
    """``"name version"`` of each other distribution on ``path`` (default ``sys.path``) that provides ``nnviz``.

    The answer ``importlib.metadata.packages_distributions()["nnviz"]``
    gives less our own name (tests/test_distribution.py compares them), read
    from each metadata folder's ``top_level.txt`` or ``RECORD``:
    ``packages_distributions`` also parses every distribution's METADATA,
    about 250 ms on a loaded machine against a few ms here, on every command.
    """
    found: dict[str, str] = {}
    for entry in sys.path if path is None else path:
        folder = entry or "."
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if not name.endswith(_METADATA_DIRS):
                continue
            project, _, version = name.rsplit(".", 1)[0].partition("-")
            if canonical(project) != NAME and _provides_package(os.path.join(folder, name)):
                found.setdefault(canonical(project), f"{project} {version.split('-')[0]}".strip())
    return list(found.values())


def _provides_package(metadata_dir: str) -> bool:
    """Whether the distribution whose metadata folder this is installs the top-level ``nnviz``."""
    try:
        with open(os.path.join(metadata_dir, "top_level.txt"), encoding="utf-8") as fh:
            return PACKAGE in fh.read().split()
    except OSError:
        pass
    try:
        with open(os.path.join(metadata_dir, "RECORD"), encoding="utf-8") as fh:
            return any(line.startswith((f"{PACKAGE}/", f"{PACKAGE}.py,")) for line in fh)
    except OSError:
        return False


def clash_warning(path: list[str] | None = None) -> str | None:
    """One line naming the other distributions that install ``nnviz`` here, or None."""
    found = others(path)
    if not found:
        return None
    names = [entry.split(" ")[0] for entry in found]
    return (
        f"{', '.join(found)} ({'another project' if len(found) == 1 else 'other projects'}) also "
        f"install{'s' if len(found) == 1 else ''} the Python package nnviz here, and the two overwrite each "
        f"other's files: pip uninstall {' '.join(names)}, then pip install --force-reinstall {NAME}"
    )
