"""The example configs shipped inside the package (``nnviz/configs/*.toml``), by their bare names.

``--config spiral`` and ``nnviz sweep docs`` find them from any folder, after
``pip install`` too; a file path works as it always did, and wins when a
file of that name exists. The repository's ``configs/`` is a link to this
folder, so ``configs/spiral.toml`` works in a checkout. Each file's first
comment line is its description (``nnviz configs``).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .errors import ConfigError

FOLDER = Path(__file__).with_name("configs")
SUFFIX = ".toml"


def names() -> tuple[str, ...]:
    """Every shipped config's name (its file name without ``.toml``), sorted."""
    return tuple(sorted(p.stem for p in FOLDER.glob(f"*{SUFFIX}")))


def path(name: str) -> Path:
    """The shipped config ``name``'s file."""
    if name not in names():
        raise ConfigError(f"no shipped config is named {name!r}; shipped: {', '.join(names())}")
    return FOLDER / f"{name}{SUFFIX}"


def describe(name: str) -> str:
    """The config's first comment line: what it shows."""
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def is_sweep(name: str) -> bool:
    """Whether the config is a sweep file (a ``[sweep]`` table: run it with ``nnviz sweep``)."""
    with path(name).open("rb") as fh:
        return "sweep" in tomllib.load(fh)


def resolve(value: str | os.PathLike[str]) -> str:
    """A ``--config`` (or sweep FILE) value as the path to read.

    A file that exists is read as given. Otherwise a bare name (no folder in
    it; ``.toml`` optional) is a shipped config's; one that is neither is an
    error listing the shipped names. Anything else is returned unchanged for
    the reader to report (a missing path, a folder).
    """
    text = os.fspath(value)
    if os.path.isfile(text) or os.sep in text or (os.altsep and os.altsep in text):
        return text
    name = text.removesuffix(SUFFIX)
    if name in names():
        return str(FOLDER / f"{name}{SUFFIX}")
    if os.path.exists(text):
        return text
    raise ConfigError(
        f"config file {text!r} does not exist, and no shipped config has that name; "
        f"shipped: {', '.join(names())} (nnviz configs describes them)"
    )
