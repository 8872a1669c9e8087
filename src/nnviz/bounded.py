"""Bounded reading: every file nnviz reads has a size cap and a kind it must be.

A regular file can be refused by its size up front; a pipe, a FIFO or a
device has no size, so reading stops at the cap instead (``CappedReader``).
Opening is where a special file hangs: ``open()`` of a FIFO blocks until a
writer comes, and a read blocks while the writer is silent. ``open_input``
opens without blocking, refuses what cannot be read as a file (a socket, a
terminal, a folder) and waits a bounded time for a FIFO's first writer; a
writer that is there is waited for as long as it lives, as ``cat`` would
(Ctrl-C still stops it). ``nofollow=True`` refuses a symbolic link in the
last part of the path, for files nnviz wrote itself in a folder others may
share (a sweep's markers and thumbnails): a link there was planted.

Standard library and ``nnviz.errors`` only: the engine, the config and the
sweep all read through here.
"""

from __future__ import annotations

import errno
import io
import os
import select
import stat
import time
from pathlib import Path
from typing import Any, BinaryIO

from .errors import DataError, NnvizError

PathLike = str | os.PathLike[str]

# Seconds to wait for a FIFO's first writer. A FIFO with a writer already
# (`<(cmd)`, `cmd > fifo &` started first) never waits here.
FIFO_WAIT = 10.0


def mib(n: int) -> str:
    """A byte count for a message: in MiB, or below 1 MiB (a test's small cap) in KiB or bytes."""
    if n >= 2**20:
        return f"{n / 2**20:,.0f} MiB"
    return f"{n / 2**10:,.0f} KiB" if n >= 2**10 else f"{n} bytes"


class CappedReader(io.RawIOBase):
    """A binary file that stops with an error past ``cap`` bytes, a line past ``line_cap``, or at a NUL byte.

    A regular file can be refused by its size up front, but a pipe, a FIFO or
    a device (``/dev/zero``) has none, and a text reader keeps one line with
    no newline in memory whole: reading would grow without bound. A NUL never
    occurs in CSV or TOML text; it means a binary file (or UTF-16). Binary
    formats pass ``text=False``. ``error`` is the NnvizError raised.
    """

    def __init__(
        self,
        raw: BinaryIO,
        what: str,
        cap: int,
        advice: str,
        line_cap: int | None = None,
        *,
        text: bool = True,
        kind: str = "CSV",
        error: type[NnvizError] = DataError,
    ) -> None:
        super().__init__()
        self.raw, self.what, self.cap, self.advice, self.line_cap = raw, what, cap, advice, line_cap
        self.text, self.kind, self.error = text, kind, error
        self.done = 0  # bytes read
        self.lines = 1  # the line being read (1-based)
        self.width = 0  # bytes of it read so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Never more than one byte past the cap, so one huge read cannot overshoot it.
        data = self.raw.read(max(1, min(len(buffer), self.cap + 1 - self.done)))
        n = len(data)
        nul = data.find(b"\0") if self.text else -1
        if nul >= 0:
            raise self.error(
                f"{self.what} holds a NUL byte (offset {self.done + nul}): it is a binary file, not "
                f"{self.kind} text; save it as UTF-8 text"
            )
        self.done += n
        if self.done > self.cap:
            raise self.error(f"{self.what} goes on past {mib(self.cap)} (the cap): {self.advice}")
        if self.line_cap is not None:
            newlines = data.count(b"\n")
            self.width = n - data.rfind(b"\n") - 1 if newlines else self.width + n
            self.lines += newlines
            if self.width > self.line_cap:
                cap = mib(self.line_cap)
                raise self.error(
                    f"{self.what}: line {self.lines} goes on past {cap} (the cap for one line): {self.advice}"
                )
        memoryview(buffer).cast("B")[:n] = data
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Prefixed(io.RawIOBase):
    """An fd's reads, after the bytes already taken from it while waiting for a writer."""

    def __init__(self, fd: int, first: bytes) -> None:
        super().__init__()
        self.fd, self.first = fd, first

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.first:
            n = min(len(view), len(self.first))
            view[:n], self.first = self.first[:n], self.first[n:]
            return n
        data = os.read(self.fd, len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def _open_fd(path: PathLike, flags: int) -> int:
    """The one place a file is opened (tests fake a refusing OS here: chmod does not stop root)."""
    return os.open(path, flags)


def _kind(mode: int) -> str:
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISCHR(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    return "not a regular file"


def _first_bytes(fd: int, what: str, wait: float, error: type[NnvizError]) -> bytes:
    """A pipe's first bytes, or b"" once a writer is there (reads then block as usual).

    Without a writer it waits at most ``wait`` seconds for one.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return b""  # a writer holds the other end: it is producing, wait for it as cat would
        if data:
            return data
        # EOF on a FIFO opened without blocking: no writer (yet). One opening now makes it readable.
        left = deadline - time.monotonic()
        if left <= 0:
            raise error(f"{what} is a pipe that nothing writes to (waited {wait:g} s); start its writer first")
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(left * 1000):
            continue  # the deadline check above says so
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return b""
        return data  # b"": the writer came and went without a byte: an empty file


def open_input(
    path: PathLike,
    what: str,
    cap: int,
    advice: str,
    *,
    line_cap: int | None = None,
    text: bool = True,
    kind: str = "CSV",
    error: type[NnvizError] = DataError,
    nofollow: bool = False,
    regular: bool = False,
    wait: float | None = None,
) -> io.BufferedReader:
    """``path`` opened for reading, capped at ``cap`` bytes, without ever blocking on a FIFO with no writer.

    OS errors (no such file, permission, ELOOP for a link with ``nofollow``,
    EISDIR for a folder) are raised as OSError for the caller to phrase; a
    socket, a terminal, a block device, a silent FIFO and (with ``regular``)
    any non-regular file raise ``error``.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = _open_fd(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        first = b""
        if not stat.S_ISREG(mode):
            if regular or not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)) or os.isatty(fd):
                shown = "a terminal" if os.isatty(fd) else _kind(mode)
                raise error(f"{what} is {shown}, not a file; give a regular file")
            if stat.S_ISFIFO(mode):
                first = _first_bytes(fd, what, FIFO_WAIT if wait is None else wait, error)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    raw = CappedReader(_Prefixed(fd, first), what, cap, advice, line_cap, text=text, kind=kind, error=error)  # type: ignore[arg-type]
    return io.BufferedReader(raw, buffer_size=1 << 20)


def read_input(path: PathLike, what: str, cap: int, advice: str, **options: Any) -> bytes:
    """The whole of ``path`` (at most ``cap`` bytes), opened as :func:`open_input` does."""
    with open_input(path, what, cap, advice, **options) as f:
        return f.read()


# Files nnviz wrote into a folder others may change (a sweep's run.json, sweep.json, a journal):
# small, regular, and never read through a link.
MAX_MARKER_BYTES = 1 << 20


def read_own(path: PathLike, cap: int = MAX_MARKER_BYTES) -> bytes | None:
    """The bytes of a small file nnviz wrote, or None when it is missing, a link, not regular or too big.

    A marker is a claim, not a fact: anything odd about it means "not there"
    (the run is redone), never an error.
    """
    try:
        return read_input(path, str(path), cap, "", text=False, nofollow=True, regular=True)
    except (OSError, NnvizError):
        return None


def open_regular(path: PathLike, what: str, *, error: type[NnvizError] = DataError, nofollow: bool = False) -> BinaryIO:
    """``path`` opened for seeking (a zip archive, an image): it must be a regular file.

    Opened without blocking, so a FIFO in its place is refused at once
    instead of waiting for a writer. OS errors are raised as they are.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = _open_fd(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise error(f"{what} is {_kind(mode)}, not a file; give a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def open_own(path: PathLike) -> BinaryIO | None:
    """A regular file nnviz wrote in a shared folder (a thumbnail, an animation), or None.

    Never through a link, never a FIFO or device: None for anything but the regular file nnviz wrote.
    """
    try:
        return open_regular(path, str(path), nofollow=True)
    except (OSError, NnvizError):
        return None


def is_link(path: Path) -> bool:
    """``path`` itself is a symbolic link (whatever it points at, or nothing)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


# A config or sweep TOML: a few tables; a 10,000-run sweep's lists are well under this.
MAX_CONFIG_BYTES = 16 * 2**20
