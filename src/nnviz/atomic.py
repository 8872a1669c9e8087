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
    except OSError as exc:
        raise OutputError(f"cannot create folder {str(dest.parent)!r}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` on success."""
    dest = Path(dest)
    ensure_parent(dest)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part" + dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {str(dest.parent)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
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
