"""Two painters: a forked helper paints every other frame.

Painting is most of a frame's cost and holds the GIL, so a second core needs
a second process. Forking *after* the painter is built gives the helper an
identical painter (same figure, same layout, same blitting background), so
its pixels are the ones the parent would have drawn: the file stays
byte-identical. The helper paints the odd-numbered frames and streams them
through a pipe, whose small buffer is the backpressure that keeps memory
flat. Fork is only safe in a process without threads, so this is opt-in
(the CLI asks for it; library callers, sweeps and Dask workers get one
process).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import NnvizError, RenderError

Array = np.ndarray
Paint = Callable[[int], Array]  # history position -> pixels (a view valid until the next call)

MIN_PARALLEL_FRAMES = 24  # below this the fork costs more than it saves
FAILED = "failed"  # in place of a frame's shape: the helper's error message follows


def can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def painted(paint: Paint, indices: Sequence[int], workers: int = 1) -> Iterator[Array]:
    """``paint(i)`` for every index in order, on two processes when ``workers > 1`` allows it."""
    if workers > 1 and can_fork() and len(indices) >= MIN_PARALLEL_FRAMES:
        yield from _interleaved(paint, indices)
    else:
        for i in indices:
            yield paint(i)


def _interleaved(paint: Paint, indices: Sequence[int]) -> Iterator[Array]:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    helper = ctx.Process(target=_paint_every_other, args=(paint, indices[1::2], send, receive), daemon=True)
    helper.start()
    send.close()  # the helper holds the only writing end: EOF means it stopped
    try:
        for k, i in enumerate(indices):
            if k % 2 == 0:
                yield paint(i)
                continue
            try:
                shape, raw = receive.recv()
            except (EOFError, OSError):  # OSError: killed mid-frame ("got end of file during message")
                helper.join(timeout=5)  # so its exit code is known
                raise RenderError(_stopped(helper.exitcode, k)) from None
            if shape == FAILED:  # the helper's own error, as the parent would have raised it
                raise RenderError(raw)
            yield np.frombuffer(raw, np.uint8).reshape(shape)
    finally:
        receive.close()
        if helper.is_alive():
            helper.terminate()
        helper.join()


def _stopped(code: int | None, frame: int) -> str:
    """Why the helper painter ended early, in one line: a signal (the OOM killer's SIGKILL) or an exit code."""
    if code is None or code >= 0:
        return f"the helper painter stopped at frame {frame} (exit code {code})"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    memory = " (the system may have run out of memory)" if -code == signal.SIGKILL else ""
    return f"the helper painter was killed by {name} at frame {frame}{memory}; nothing was written"


def _paint_every_other(paint: Paint, indices: Sequence[int], send: Any, receive: Any) -> None:
    """The helper's whole life: paint its frames, send them, exit quietly."""
    # Only the parent may hold the reading end: if the parent dies (even by
    # SIGKILL) the next send fails and the helper ends instead of waiting.
    receive.close()
    # The parent handles Ctrl-C and ends the helper; a helper that raised
    # KeyboardInterrupt itself would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for i in indices:
            try:
                frame = paint(i)
            except Exception as exc:  # told to the parent, which raises it: no traceback here
                message = str(exc) if isinstance(exc, NnvizError) else f"{type(exc).__name__}: {exc}"
                send.send((FAILED, message))
                return
            send.send((frame.shape, frame.tobytes()))
    except (BrokenPipeError, OSError):
        pass  # the parent stopped listening
    finally:
        send.close()
