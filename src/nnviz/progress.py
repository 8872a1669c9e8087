"""Progress on stderr, shared by every command (the library does not import click).

A progress report is any callable ``(stage, done, total)``. ``StageProgress``
is the one nnviz prints: a bar redrawn in place on a terminal, with the
stage's elapsed time, rate and time left, one line per stage elsewhere, and
``line(text)`` for a message between bar updates (a sweep's per-run
results) that never tangles with the bar. In a Jupyter kernel
``NotebookProgress`` draws the same bar live in the cell, through IPython's
display handles (the kernel's own machinery: no widget library needed).
"""

from __future__ import annotations

import html
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

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
        self.started = 0.0  # when it opened (time.monotonic)
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
        self.stage, self.done, self.drawn_at, self.started = stage, 0, float("-inf"), time.monotonic()
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
            # Clear to the end: a shorter line (a faster rate) must not leave the last one's tail.
            self.stream.write("\r" + bar_line(stage, done, total, now - self.started, _columns(self.stream)) + "\x1b[K")

    def _finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
        else:
            lead = "" if self.dangling else f"{self.stage}: "
            self.stream.write(f"{lead}done ({self.done} {PROGRESS_UNITS.get(self.stage or '', 'steps')})\n")
        self.stage, self.dangling = None, False


def bar_line(stage: str, done: int, total: int, elapsed: float, columns: int = 80) -> str:
    """``training  [######----------] 75/200  41 epochs/s  0:02 elapsed  0:03 left``, within ``columns``.

    The rate and the time left come from the stage's average pace so far.
    What does not fit the terminal's width goes, the rate first, then the
    elapsed time (a wrapped line cannot be redrawn in place).
    """
    filled = int(BAR_WIDTH * done / max(total, 1))
    head = f"{stage:<9} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total}"
    rate = done / elapsed if elapsed > 0 and done > 0 else None
    optional = [
        f"{_rate(rate)} {PROGRESS_UNITS.get(stage, 'steps')}/s" if rate else "",
        f"{clock(elapsed)} elapsed",
        "" if done >= total else f"{clock((total - done) / rate) if rate else '-:--'} left",
    ]
    parts = [head, *filter(None, optional)]
    while len(parts) > 1 and len("  ".join(parts)) >= columns:
        del parts[1]
    return "  ".join(parts)


BAR_WIDTH = 16


def clock(seconds: float) -> str:
    """``0:07``, ``12:30``, ``1:02:03``: a duration as a clock shows it."""
    if not math.isfinite(seconds):
        return "-:--"
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _rate(per_second: float) -> str:
    return f"{per_second:.1f}" if per_second < 10 else f"{per_second:.0f}"


def _columns(stream: TextIO) -> int:
    """The terminal's width in columns (80 when it cannot say)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


class NotebookProgress:
    """Stage progress in a Jupyter cell: one live bar per stage, redrawn in place.

    ``display`` is IPython's ``display``; each stage gets its own display
    handle, updated at most every ``REDRAW_EVERY`` seconds and on closing.
    Messages (``line``) go to stderr, as on a terminal, below the bars.
    """

    def __init__(self, display: Callable[..., Any], stream: TextIO | None = None) -> None:
        self.display = display
        self.stream = stream
        self.stage: str | None = None
        self.handle: Any = None
        self.started = 0.0
        self.drawn_at = float("-inf")

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.started = stage, now
            self.handle = self.display(Bar(stage, done, total, 0.0), display_id=True)
            self.drawn_at = now
        closing = done >= total
        if closing or now - self.drawn_at >= REDRAW_EVERY:
            self.drawn_at = now
            self.handle.update(Bar(stage, done, total, now - self.started))
        if closing:
            self.stage = None

    def line(self, text: str) -> None:
        """A message on its own line (a sweep's finished run)."""
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write(text + "\n")
        stream.flush()


class Bar:
    """One stage's state as a notebook shows it: an HTML progress bar, or ``bar_line``'s text."""

    def __init__(self, stage: str, done: int, total: int, elapsed: float) -> None:
        self.stage, self.done, self.total, self.elapsed = stage, done, total, elapsed

    def __repr__(self) -> str:
        return bar_line(self.stage, self.done, self.total, self.elapsed, columns=120)

    def _repr_html_(self) -> str:
        text = bar_line(self.stage, self.done, self.total, self.elapsed, columns=120)
        numbers = text.split("] ", 1)[-1]  # the counts and times, without the text bar
        return (
            f'<div style="font-family: monospace; white-space: pre">{html.escape(self.stage)} '
            f'<progress value="{self.done}" max="{max(self.total, 1)}" style="width: 16em; vertical-align: middle">'
            f"</progress> {html.escape(numbers)}</div>"
        )


def notebook_display() -> Callable[..., Any] | None:
    """IPython's ``display`` when this process is a Jupyter kernel, else None (nothing is imported)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:  # plain Python, or a terminal IPython
        return None
    from IPython.display import display

    return display


def stderr_progress(enabled: bool, stream: TextIO | None = None) -> StageProgress | NotebookProgress | None:
    """A stderr progress report (the library does not depend on click); in a Jupyter kernel, a live bar."""
    if not enabled:
        return None
    display = notebook_display() if stream is None else None
    if display is not None:
        return NotebookProgress(display)
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return StageProgress(stream, tty=bool(isatty and isatty()))


def reporter(progress: Progress | bool | None) -> Progress | None:
    """``True``: a stderr report; ``False``/``None``: none; a callable is used as it is."""
    if progress is None or isinstance(progress, bool):
        return stderr_progress(bool(progress))
    return progress
