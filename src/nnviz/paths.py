"""No run ever changes a file it was given as input.

Every command knows its inputs (data CSV, config TOML, history CSV, sweep
file) and every file it will write; :func:`check_disjoint` refuses the run,
before any work, when an output would land on an input. Paths are compared
resolved (symlinks, ``./`` and ``..`` spellings) and, when both exist, by
(st_dev, st_ino), which also catches hard links.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .atomic import check_writable, remove_stale_temps
from .errors import OutputError

PathLike = str | os.PathLike[str]


def _identity(path: Path) -> tuple[Path, tuple[int, int] | None]:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare as spelled
        resolved = path.absolute()
    try:
        st = os.stat(path)
        inode: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except (OSError, ValueError):
        inode = None
    return resolved, inode


def same_file(a: Path, b: Path) -> bool:
    """True when writing ``a`` would replace ``b``: the same resolved path or the same inode."""
    (ra, ia), (rb, ib) = _identity(a), _identity(b)
    return ra == rb or (ia is not None and ia == ib)


def check_disjoint(
    inputs: Mapping[str, PathLike | None], outputs: Mapping[str, PathLike], flag: str, given: PathLike | None
) -> None:
    """Raise OutputError when any output would land on any input.

    ``inputs`` maps a description (``"--data file"``) to a path (None: not
    used). ``outputs`` maps what a file is (``""`` for the file ``flag``
    names itself, ``"its .csv history"`` for one beside it) to its path.
    """
    ins = [(what, Path(p), _identity(Path(p))) for what, p in inputs.items() if p is not None and str(p) != ""]
    for what_out, out in outputs.items():
        ro, io = _identity(Path(out))
        for what_in, path_in, (ri, ii) in ins:
            if ro == ri or (io is not None and io == ii):
                shown = given if given is not None else out
                note = f" ({what_out})" if what_out else ""
                raise OutputError(
                    f"{flag} {str(shown)!r} would overwrite the {what_in} {str(path_in)!r}{note}; choose another {flag}"
                )


def check_outputs(outputs: Mapping[str, PathLike], flag: str, given: PathLike | None) -> None:
    """Every output writable, checked before any work (not only the first one)."""
    for what, out in outputs.items():
        if not what:  # the file the flag names: "--out = 'a.gif' is not writable: ..."
            check_writable(out, flag)
            continue
        try:
            check_writable(out)
        except OutputError as exc:  # exc names the file beside it that cannot be written
            shown = given if given is not None else out
            raise OutputError(f"{flag} = {str(shown)!r} is not writable: {exc}") from None


def remove_stale_temps_beside(outputs: Iterable[PathLike]) -> None:
    """Remove the temp files crashed runs left in the folders ``outputs`` go to."""
    for folder in {Path(p).parent for p in outputs}:
        remove_stale_temps(folder)


def prepare_outputs(
    inputs: Mapping[str, PathLike | None],
    outputs: Mapping[str, PathLike],
    flag: str = "--out",
    given: PathLike | None = None,
) -> None:
    """Before any work: no output on an input, every output writable, stale temps gone."""
    check_disjoint(inputs, outputs, flag, given)
    check_outputs(outputs, flag, given)
    remove_stale_temps_beside(outputs.values())


def run_outputs(path: Path, poster: Path, history_csv: Path, config_toml: Path) -> dict[str, Path]:
    """The four files of one run, named as messages show them."""
    return {"": path, "its .png poster": poster, "its .csv history": history_csv, "its .toml config": config_toml}
