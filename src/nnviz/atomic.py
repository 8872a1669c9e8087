"""Atomic output files: complete at the destination, or absent.

Every writer in nnviz goes through :func:`atomic_path`: it works on a hidden
temporary file in the destination's folder (so the final ``os.replace`` is a
same-filesystem rename) and only renames it over the destination once the
body finished without raising. On any exception, including KeyboardInterrupt,
the temporary file is removed and an existing destination is left untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


def ensure_parent(dest: Path) -> None:
    """Create ``dest``'s folder, turning OS failures into a clean OutputError."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(
            f"cannot create folder {str(dest.parent)!r} for {dest.name!r}: a file is in the way"
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot create folder {str(dest.parent)!r}: {exc.strerror or exc}") from None


def _check_target(dest: Path) -> None:
    """Refuse a destination that is not (or not yet) a regular file.

    Renaming over ``/dev/null`` or a FIFO would replace the device itself,
    and over a folder fails only after all the work, so both are refused up front.
    """
    if dest.is_dir():
        raise OutputError(f"cannot write {str(dest)!r}: it is a folder; give a file name")
    if dest.exists() and not dest.is_file():
        raise OutputError(f"cannot write {str(dest)!r}: it is not a regular file (a device or pipe)")


def _mkstemp(dest: Path) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part" + dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {str(dest.parent)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    return Path(name)


def _final_mode(dest: Path) -> int:
    """An existing file keeps its mode; a new one gets 0666 minus the umask, as open() would."""
    try:
        return dest.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_writable(dest: str | os.PathLike[str], flag: str = "") -> Path:
    """Fail now, before any work, if ``atomic_path(dest)`` could not write.

    Probes the nearest folder that exists on the way to ``dest`` with a temp
    file (then removes it); creates nothing, so a refused run leaves no empty
    folders. ``flag`` (e.g. ``"--history"``) is named in the message.
    """
    dest = Path(dest)
    try:
        _check_target(dest)
        folder = dest.absolute().parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise OutputError(f"cannot create folder {str(dest.parent)!r} for {dest.name!r}: a file is in the way")
        _mkstemp(folder / dest.name).unlink()
    except OutputError as exc:
        if not flag:
            raise
        raise OutputError(f"{flag} = {str(dest)!r} is not writable: {exc}") from None
    return dest


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` on success."""
    dest = Path(dest)
    _check_target(dest)
    ensure_parent(dest)
    tmp = _mkstemp(dest)
    try:
        yield tmp
        # mkstemp makes the file 0600; a finished output should be as readable as any other file.
        os.chmod(tmp, _final_mode(dest))
        os.replace(tmp, dest)
    except OSError as exc:
        raise OutputError(f"cannot write {str(dest)!r}: {exc.strerror or exc}") from None
    finally:
        # After a successful replace the temp name no longer exists.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text_atomic(dest: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``dest`` atomically and return the destination path."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return dest
