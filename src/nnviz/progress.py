"""Progress on stderr, shared by every command (the library does not import click).

A progress report is any callable ``(stage, done, total)``. ``StageProgress``
is the one nnviz prints: a bar redrawn in place on a terminal, one line per
stage elsewhere, and ``line(text)`` for a message between bar updates (a
sweep's per-run results) that never tangles with the bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str, int, int], None]  # (stage, done, total)

PROGRESS_UNITS = {"training": "epochs", "rendering": "frames", "runs": "runs"}
REDRAW_EVERY = 0.1  # seconds between terminal redraws: enough to look live, cheap on slow terminals


class StageProgress:
    """Stage progress on a stream, the way click's progress bar behaves.

    On a terminal one bar per stage is redrawn in place, at most every
    ``REDRAW_EVERY`` seconds. Anywhere else (a log file, a pipe, CI) every
    stage writes ``training... `` when it starts and ``done (75 epochs)``
    when it ends, so a log holds one readable line per stage, not hundreds
    of carriage returns.
    """

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream, self.tty = stream, tty
        self.stage: str | None = None  # the open stage, if any
        self.done = 0  # its count so far
        self.drawn_at = float("-inf")
        self.dangling = False  # a "stage... " header waits for its "done" on this line

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self._start(stage)
        closing = done >= total
        self.done = done
        if self.tty:
            self._redraw(stage, done, total, force=closing)
        if closing:
            self._finish()
        self.stream.flush()

    def _start(self, stage: str) -> None:
        if self.stage is not None:  # the last stage never closed: end its line
            self._finish()
        self.stage, self.done, self.drawn_at = stage, 0, float("-inf")
        if not self.tty:
            self.stream.write(f"{stage}... ")
            self.dangling = True

    def line(self, text: str) -> None:
        """A message on its own line, e.g. one finished run, above the bar."""
        if self.tty:
            self.stream.write("\r\x1b[K" + text + "\n")
            self.drawn_at = float("-inf")  # redraw the bar below it at the next update
        else:
            if self.dangling:
                self.stream.write("\n")
                self.dangling = False
            self.stream.write(text + "\n")
        self.stream.flush()

    def _redraw(self, stage: str, done: int, total: int, force: bool) -> None:
        now = time.monotonic()
        if force or now - self.drawn_at >= REDRAW_EVERY:
            self.drawn_at = now
            self.stream.write("\r" + bar_line(stage, done, total))

    def _finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
        else:
            lead = "" if self.dangling else f"{self.stage}: "
            self.stream.write(f"{lead}done ({self.done} {PROGRESS_UNITS.get(self.stage or '', 'steps')})\n")
        self.stage, self.dangling = None, False


def bar_line(stage: str, done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / max(total, 1))
    return f"{stage:<9} [{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def stderr_progress(enabled: bool, stream: TextIO | None = None) -> StageProgress | None:
    """A stderr progress report (the library does not depend on click)."""
    if not enabled:
        return None
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return StageProgress(stream, tty=bool(isatty and isatty()))


def reporter(progress: Progress | bool | None) -> Progress | None:
    """``True``: a stderr report; ``False``/``None``: none; a callable is used as it is."""
    if progress is None or isinstance(progress, bool):
        return stderr_progress(bool(progress))
    return progress
