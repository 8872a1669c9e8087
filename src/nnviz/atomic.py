"""Atomic output files: complete at the destination, or absent.

Every writer in nnviz goes through :func:`atomic_path`: it works on a hidden
temporary file in the destination's folder (so the final ``os.replace`` is a
same-filesystem rename) and only renames it over the destination once the
body finished without raising. On any exception, including KeyboardInterrupt,
the temporary file is removed and an existing destination is left untouched.

A temp file's name carries its writer's pid (``.<name>.<pid>-XXXXXXXX.part<ext>``)
so a later run can tell a crashed writer's leftover (no such process) from a
live writer's file: :func:`remove_stale_temps` removes only the former.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    try:
        is_dir, odd = dest.is_dir(), dest.exists() and not dest.is_file()
    except OSError as exc:  # e.g. ENAMETOOLONG: pathlib only hides "no such file"
        raise OutputError(f"cannot write {str(dest)!r}: {exc.strerror or exc}") from None
    if is_dir:
        raise OutputError(f"cannot write {str(dest)!r}: it is a folder; give a file name")
    if odd:
        raise OutputError(f"cannot write {str(dest)!r}: it is not a regular file (a device or pipe)")


TEMP_EXTRA = len(".part") + 1 + 1 + 10 + 1 + 8  # dots, pid, "-" and mkstemp's 8 random characters
_TEMP = re.compile(r"\.(?P<name>.*)\.(?P<pid>[0-9]+)-[A-Za-z0-9_]{8}\.part(\.[^./]*)?")


def _pathconf(folder: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError):  # not POSIX, or the folder is gone: the usual Linux value
        return default


def name_max(folder: Path) -> int:
    """The longest file name ``folder``'s filesystem allows (255 almost everywhere)."""
    return _pathconf(folder, "PC_NAME_MAX", 255)


def _temp_prefix(dest: Path, limit: int) -> str:
    """``.<name>.<pid>-``, with the name cut short when the whole temp name would be too long.

    A 250-character destination is a legal name; its temp file, 25 characters
    longer, is not. The cut keeps the temp beside its destination (same
    filesystem, so the rename is atomic); the pid and random part keep it unique.
    """
    room = limit - TEMP_EXTRA - len(dest.suffix.encode())
    name = dest.name.encode()[: max(room, 1)].decode(errors="ignore") or "x"
    return f".{name}.{os.getpid()}-"


def _mkstemp(dest: Path) -> Path:
    try:
        prefix = _temp_prefix(dest, name_max(dest.parent))
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part" + dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {str(dest.parent)!r} (for {dest.name!r}): {exc.strerror or exc}") from None
    os.close(fd)
    return Path(name)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's live process (EPERM)
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Exited, only waiting to be reaped: a killed sweep's worker is reparented to init,
    which may take a while to reap it, and ``kill(pid, 0)`` still succeeds meanwhile."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux), or gone now
        return False
    return stat[stat.rindex(")") + 2 :].startswith(("Z", "X"))


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove nnviz temp files in ``folder`` whose writer is no longer running.

    First, a set whose writer died between its renames (SIGKILL, a power
    loss) is finished (:func:`recover_sets`): its temps are the rest of a
    complete set, not leftovers. Only names of :func:`_mkstemp`'s pattern are
    touched, and only when the pid in the name is not a live process (a
    reused pid keeps the file: a harmless miss). Returns what was removed.
    """
    recover_sets(folder)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.fullmatch(entry.name)
        if match is None or _pid_alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


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
        folder = dest.absolute().parent
        while not _exists(folder) and folder != folder.parent:
            folder = folder.parent
        _check_name_length(dest, folder)  # first: a too-long name makes even is_dir() raise
        _check_target(dest)
        if not folder.is_dir():
            raise OutputError(f"cannot create folder {str(dest.parent)!r} for {dest.name!r}: a file is in the way")
        _mkstemp(folder / dest.name).unlink()
    except OutputError as exc:
        if not flag:
            raise
        raise OutputError(f"{flag} = {str(dest)!r} is not writable: {exc}") from None
    return dest


def check_name_length(dest: str | os.PathLike[str], flag: str = "") -> Path:
    """Refuse a path with a part longer than its filesystem allows, before anything touches it."""
    dest = Path(dest)
    folder = dest.absolute().parent
    while not _exists(folder) and folder != folder.parent:
        folder = folder.parent
    try:
        _check_name_length(dest, folder)
    except OutputError as exc:
        if not flag:
            raise
        raise OutputError(f"{flag} = {str(dest)!r} is not writable: {exc}") from None
    return dest


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a too-long part: not there, and _check_name_length says why
        return False


def path_max(folder: Path) -> int:
    """The longest path (with its terminating NUL) ``folder``'s filesystem takes (4096 on Linux)."""
    return _pathconf(folder, "PC_PATH_MAX", 4096)


def temp_path_length(dest: Path, limit: int) -> int:
    """Bytes in the path of ``dest``'s temp file as spelled (folder, then ``_temp_prefix``'s name)."""
    name = min(limit, len(dest.name.encode()) + TEMP_EXTRA + len(dest.suffix.encode()))
    return len(os.fsencode(dest.parent)) + 1 + name


def _check_name_length(dest: Path, folder: Path) -> None:
    """Each part of ``dest`` and its temp file's whole path must fit, or writing fails after all the work."""
    limit = name_max(folder)
    for part in dest.parts:
        if len(part.encode()) > limit:
            raise OutputError(
                f"cannot write {str(dest)!r}: the name {part[:40]!r}... is {len(part.encode())} "
                f"bytes long; at most {limit} are allowed"
            )
    most = path_max(folder) - 1  # the NUL
    need = temp_path_length(dest, limit)
    if need > most:
        raise OutputError(
            f"cannot write {str(dest)[:40]!r}...: its temp file's path would be {need} bytes long; "
            f"at most {most} are allowed: use a shorter folder or name"
        )


# Inside ``one_set()``: the finished temps waiting to be renamed together.
_PENDING: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar("_PENDING", default=None)


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` on success.

    Inside :func:`one_set` the finished temp waits and is renamed with the others.
    """
    dest = Path(dest)
    _check_target(dest)
    ensure_parent(dest)
    tmp = _mkstemp(dest)
    pending = _PENDING.get()
    try:
        yield tmp
        # mkstemp makes the file 0600; a finished output should be as readable as any other file.
        os.chmod(tmp, _final_mode(dest))
        # On disk before its name is: a crash after the rename must not leave an empty file there.
        _fsync(tmp)
        if pending is not None:
            pending.append((tmp, dest))
            return
        os.replace(tmp, dest)
        _fsync_folder(dest.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {str(dest)!r}: {exc.strerror or exc}") from None
    finally:
        # After a successful replace the temp name no longer exists; a waiting one is kept.
        if pending is None or (tmp, dest) not in pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


@contextlib.contextmanager
def one_set() -> Iterator[None]:
    """The files written inside land together, as one run's complete set, or none of them do.

    Each is written to its temp as usual (and flushed to disk); at the end
    all are renamed in one go while holding an exclusive ``flock`` on each
    destination folder, so two runs writing the same four files (animation,
    poster, CSV, TOML) at once leave one run's set, never a mix. The lock is
    on the folder itself (no lock file is left behind) and, like every
    flock, dies with its process. On any exception nothing is renamed and
    the temps are removed. A set opened inside another joins it: its files
    land with the outer set's.

    SIGINT and SIGTERM wait until the renames are done. SIGKILL and a power
    loss cannot be held off, so the renames are journalled: before the first,
    a journal naming every (temp, destination) pair is made durable in each
    folder; after the last, it is removed. A journal whose writer is gone
    means the set was complete (every temp was on disk before it) and only
    some renames happened: the next nnviz run in that folder, a re-render
    with ``--history`` or a sweep's resume, rolls it forward
    (:func:`recover_sets`). Rolling forward, not back: the old files are
    already partly replaced, and the new set is whole. (One rename of a
    folder would swap a set at once, but these four files sit beside the
    user's other files, under names the user chose.)
    """
    if _PENDING.get() is not None:
        yield
        return
    pending: list[tuple[Path, Path]] = []
    token = _PENDING.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    finally:
        _PENDING.reset(token)
    by_folder: dict[str, list[tuple[Path, Path]]] = {}
    for tmp, dest in pending:
        by_folder.setdefault(str(dest.parent.absolute()), []).append((tmp, dest))
    folders = sorted(by_folder)  # one order: no deadlock
    # SIGINT/SIGTERM between two renames would leave a mix (a new GIF beside the
    # old poster) and the later temps behind: they wait until every file is in.
    with _signals_deferred(), contextlib.ExitStack() as locks:
        for folder in folders:
            locks.enter_context(_folder_lock(folder))
        journals: list[Path] = []
        try:
            for folder in folders:
                journals.append(_write_journal(Path(folder), by_folder[folder]))
        except OutputError:  # no room even for the journal: nothing is renamed, nothing is left
            _remove_journals(journals)
            for tmp, _ in pending:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            raise
        for i, (tmp, dest) in enumerate(pending):
            try:
                os.replace(tmp, dest)
            except OSError as exc:
                for later, _ in pending[i:]:
                    with contextlib.suppress(OSError):
                        later.unlink()
                _remove_journals(journals)  # nothing left to roll forward
                done = ", ".join(str(d) for _, d in pending[:i])
                landed = f"; already in place: {done}" if done else ""
                raise OutputError(f"cannot write {str(dest)!r}: {exc.strerror or exc}{landed}") from None
        for folder in folders:
            _fsync_folder(Path(folder))
        _remove_journals(journals)


# --- durability and the journal ------------------------------------------------------------


def _fsync(path: Path) -> None:
    """Flush a finished file's data to disk (before its rename makes it the destination)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames, removals) to disk; a filesystem that cannot is left as it is."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # EINVAL on filesystems (or platforms) that do not sync folders
        pass
    finally:
        os.close(fd)


JOURNAL_PREFIX = ".nnviz-set."
_JOURNAL = re.compile(r"\.nnviz-set\.(?P<pid>[0-9]+)-(?P<tag>[A-Za-z0-9_]{8})\.journal")
MAX_JOURNAL_BYTES = 1 << 20


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of nnviz's temp files or set journals (never a user's file)."""
    return _TEMP.fullmatch(name) is not None or _JOURNAL.fullmatch(name) is not None


def _start_time(pid: int) -> str:
    """The process's start time (a reused pid has another): field 22 of /proc/PID/stat, or "" off Linux."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def _write_journal(folder: Path, pairs: list[tuple[Path, Path]]) -> Path:
    """Make durable, in ``folder``, the list of renames about to happen there; return the journal's path."""
    import json

    body = {
        "nnviz": "set",
        "pid": os.getpid(),
        "start": _start_time(os.getpid()),
        "renames": [[tmp.name, dest.name] for tmp, dest in pairs],
    }
    tmp = _mkstemp(folder / "nnviz-set.journal")  # a temp like any other: stale ones are removed
    try:
        tmp.write_text(json.dumps(body) + "\n", encoding="utf-8")
        _fsync(tmp)
        tag = tmp.name.rsplit("-", 1)[1][:8]  # mkstemp's random part: unique in the folder
        journal = folder / f"{JOURNAL_PREFIX}{os.getpid()}-{tag}.journal"
        os.replace(tmp, journal)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # Named by the set's first file, the one the user asked for: the journal is only its means.
        raise OutputError(f"cannot write {str(pairs[0][1])!r}: {exc.strerror or exc}") from None
    _fsync_folder(folder)
    return journal


def _remove_journals(journals: list[Path]) -> None:
    for journal in journals:
        with contextlib.suppress(OSError):
            journal.unlink()
        _fsync_folder(journal.parent)


def _plain_name(name: Any) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _journal_renames(folder: Path, name: str) -> list[tuple[str, str]] | None:
    """The renames a dead writer's journal lists, or None when it is not one nnviz wrote (planted, damaged).

    Each pair must be a temp of that writer and the destination its name was
    made from, both plain names in this folder: a journal cannot move any
    other file.
    """
    import json

    from .bounded import read_own

    match = _JOURNAL.fullmatch(name)
    raw = read_own(folder / name, MAX_JOURNAL_BYTES)
    if match is None or raw is None:
        return None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict) or body.get("nnviz") != "set" or body.get("pid") != int(match["pid"]):
        return None
    renames = body.get("renames")
    if not isinstance(renames, list):
        return None
    pairs = []
    for pair in renames:
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_plain_name, pair))):
            return None
        tmp, dest = pair
        temp = _TEMP.fullmatch(tmp)
        if temp is None or int(temp["pid"]) != body["pid"] or not dest.startswith(temp["name"]):
            return None
        pairs.append((tmp, dest))
    return pairs


def _writer_alive(name: str, folder: Path) -> bool:
    """The journal's writer still runs (the same process: its pid and start time), so its set is its own."""
    match = _JOURNAL.fullmatch(name)
    if match is None:
        return False
    pid = int(match["pid"])
    if not _pid_alive(pid):
        return False
    import json

    from .bounded import read_own

    raw = read_own(folder / name, MAX_JOURNAL_BYTES)
    with contextlib.suppress(ValueError, RecursionError, TypeError, AttributeError):
        started = json.loads(raw or b"{}").get("start")
        if started and _start_time(pid) and started != _start_time(pid):
            return False  # the pid was reused: its writer is gone
    return True


def recover_sets(folder: str | os.PathLike[str]) -> list[Path]:
    """Finish every set in ``folder`` whose writer died between its renames; return the files put in place.

    Runs under the folder's lock (a live ``one_set`` holds it while it
    renames). Rolled forward: each temp the journal names that is still
    there (a regular file, not a link) is renamed over its destination, then
    the journal goes. A journal that is not nnviz's is removed and renames
    nothing: its temps are removed as stale.
    """
    folder = Path(folder)
    try:
        names = [e.name for e in os.scandir(folder) if _JOURNAL.fullmatch(e.name)]
    except OSError:
        return []
    placed: list[Path] = []
    if not names:
        return placed
    with _folder_lock(str(folder.absolute())):
        for name in sorted(names):
            if _writer_alive(name, folder):
                continue
            for tmp, dest in _journal_renames(folder, name) or []:
                with contextlib.suppress(OSError):
                    if stat.S_ISREG(os.lstat(folder / tmp).st_mode):
                        os.replace(folder / tmp, folder / dest)
                        placed.append(folder / dest)
            _fsync_folder(folder)
            with contextlib.suppress(OSError):
                (folder / name).unlink()
            _fsync_folder(folder)
    return placed


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block, then deliver the first one (main thread only)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread gets Python's signal handlers
        return
    arrived: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: arrived.append(signum)) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            if handler is not None:  # None: not set from Python; the recorder stays (a held signal is lost)
                signal.signal(sig, handler)
        if arrived:
            signal.raise_signal(arrived[0])  # now, with the real handler back


@contextlib.contextmanager
def _folder_lock(folder: str) -> Iterator[None]:
    """Wait for an exclusive flock on ``folder`` (POSIX); elsewhere, no lock."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # cannot open the folder to lock it: the renames still say what failed
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_text_atomic(dest: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``dest`` atomically and return the destination path."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return dest
