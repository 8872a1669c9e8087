"""A sweep's output folder: whose it is, its lock, and what in it nnviz did not make.

The folder may be shared (the README recommends NFS for Dask), so anything
in it may have been planted or edited since the last sweep. nnviz never
makes a symbolic link, a FIFO or a device node, so one found where nnviz
writes (a run folder, a run's files, a page, the lock) was planted: it is
removed (only the entry itself, never what it points at) and the run that
owned the name is redone. A marker is read with a size cap and every field
checked (``runner.read_marker``); a folder that is neither empty nor a
sweep's is refused unless ``--force``, so a sweep never replaces a user's own
``index.md`` or ``summary.csv``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..atomic import ensure_parent, is_temp_name
from ..errors import OutputError
from .comparison import STATE
from .runner import MARKER

LOCK = ".nnviz-sweep.lock"
SHOWN = 4  # names a refusal lists at most


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (OSError, ValueError):
        return None


def is_sweep_folder(out: Path) -> bool:
    """``out`` holds a sweep's files: its ``sweep.json``, its lock, or a run folder with a ``run.json``.

    The lock counts because a sweep killed at once (SIGKILL) leaves only it
    and some run folders; a run folder's marker because sweeps before this
    one wrote ``sweep.json`` only with a comparison.
    """
    for name in (STATE, LOCK):
        info = _lstat(out / name)
        if info is not None and stat.S_ISREG(info.st_mode):
            return True
    try:
        entries = list(os.scandir(out))
    except OSError:
        return False
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                info = _lstat(Path(entry.path) / MARKER)
                if info is not None and stat.S_ISREG(info.st_mode):
                    return True
    return False


def check_out(out: Path, inputs: Iterable[str | os.PathLike[str] | None], runs: Iterable[str], force: bool) -> None:
    """Refuse an ``--out`` that exists, is not empty and is not a sweep's, unless ``force``.

    What may be there without making it someone else's: the sweep's own
    inputs (its file, its data: read, never written), this sweep's run
    folders and nnviz's temp files (a sweep killed before it marked the folder).
    """
    if force:
        return
    try:
        entries = sorted(os.listdir(out))
    except (FileNotFoundError, NotADirectoryError):
        return  # new (or a file, which make_folder names)
    except OSError as exc:
        raise OutputError(f"cannot read --out {str(out)!r}: {exc.strerror or exc}") from None
    given = {os.path.realpath(p) for p in inputs if p}
    ours = set(runs)
    others = [
        name
        for name in entries
        if os.path.realpath(out / name) not in given
        and not (name in ours and _is_dir(out / name))
        and not is_temp_name(name)
    ]
    if not others or is_sweep_folder(out):
        return
    names = ", ".join(others[:SHOWN]) + (f" and {len(others) - SHOWN} more" if len(others) > SHOWN else "")
    raise OutputError(
        f"--out {str(out)!r} is not empty and not a sweep's folder (it holds {names}); give a new or empty "
        "folder, or add --force to write the sweep there (its summary.csv, index.md and index.html would be replaced)"
    )


def make_folder(out: Path) -> bool:
    """Create ``out`` (True if it was new), as a clean OutputError when it cannot be."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {str(out)!r} is a file; give a folder")
    created = not out.exists()
    ensure_parent(out / LOCK)
    return created


def unplant(paths: Iterable[Path], folders: Iterable[Path]) -> list[Path]:
    """Remove what nnviz never makes from where it writes; return what was removed.

    ``paths`` are files nnviz writes: a link, FIFO, socket or device there
    goes (a regular file is replaced by the run's atomic rename; a folder in
    the way fails that run, naming it). ``folders`` are run folders: a link
    there goes, so nothing is written through it into another folder.
    Only the entry is removed, never what a link points at.
    """
    removed = []
    for path in paths:
        info = _lstat(path)
        if info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            removed += _unlink(path)
    for folder in folders:
        info = _lstat(folder)
        if info is not None and not stat.S_ISDIR(info.st_mode) and not stat.S_ISREG(info.st_mode):
            removed += _unlink(folder)
    return removed


def _unlink(path: Path) -> list[Path]:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutputError(f"cannot remove {str(path)!r}, which nnviz did not make: {exc.strerror or exc}") from None
    return [path]


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on ``out`` for the whole sweep, refused at once if taken.

    ``flock`` locks die with their process, so a killed sweep never leaves a
    stale lock. The file is removed on the way out; a sweep that opened it
    just before re-checks that it locked the file still at that path. The
    lock is opened without following a link and must be a regular file: a
    planted link would have the sweep truncate and write its pid into
    another file; what is in its place is removed and the lock made anew.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    path = out / LOCK
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):  # each turn removes one planted entry or loses one race with another sweep
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO) and not _is_dir(path):
                _unlink(path)  # a link, or a socket: not a lock nnviz made
                continue
            raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or a device planted at the lock's name
            os.close(fd)
            _unlink(path)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid = _lock_owner(fd)
            os.close(fd)
            raise OutputError(
                f"another nnviz sweep is writing to {str(out)!r} (pid {pid}); wait for it or choose another --out"
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.lstat(path))
        except OSError:
            same = False
        if same:
            break
        os.close(fd)  # its holder removed it as we opened it: lock the new one
    else:
        raise OutputError(f"cannot lock {str(path)!r}: something keeps replacing it")
    try:
        os.set_blocking(fd, True)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _is_dir(path: Path) -> bool:
    info = _lstat(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def _lock_owner(fd: int) -> str:
    # The holder writes its pid just after locking: give it a moment.
    for _ in range(20):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text:
            return text if text.isdigit() else "unknown"
        time.sleep(0.01)
    return "unknown"
