"""Signal handlers that raise, made safe against landing inside a finalizer.

Python runs a signal handler between two bytecodes of whatever Python code
is running, and that may be a finalizer: a weakref callback or ``__del__``
run by the garbage collector (matplotlib's transforms register one per
child, and a figure is freed by the cyclic collector). An exception raised
there cannot propagate: Python prints ``Exception ignored in: ...`` and a
traceback, and the interrupt is lost (a Ctrl-C printed a traceback above
``Error: interrupted``, or did not stop the run at all).

So a handler installed here does not raise while a collection runs (the
``gc.callbacks`` mark it); it notes the signal and a 10 ms timer (SIGALRM,
which nnviz uses for nothing else) delivers it again, until it lands in
ordinary code. A KeyboardInterrupt that still ends inside a finalizer run
outside a collection (a reference count reaching zero) reaches
``sys.unraisablehook``, which is told to deliver it again the same way
instead of printing it. Other unraisable exceptions keep Python's report.

The handler's exception can also land in Python code that C code called,
and the C code may put its own in its place: matplotlib's Agg converts a
``Bbox`` through its Python ``__array__``, and a KeyboardInterrupt raised
there came out as ``ValueError: Invalid bounding box`` (an "internal error",
exit 1, for a Ctrl-C). So every signal handed to a handler is noted:
``arrived()`` tells the command's last line of defence that whatever ended
the run is the signal's doing, and ``check()``, called at every epoch and
frame, raises it again if C code swallowed it and carried on.
"""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Any

Handler = Callable[[int, Any], None]

RETRY = 0.01  # seconds until a deferred signal is delivered again

_handlers: dict[int, Handler] = {}
_pending: list[int] = []  # signals noted while unsafe, oldest first
_in_gc = False
_in_hook = False
_previous_hook: Any = None
_arrived: list[int] = []  # signals handed to their handler since ``forget()``, oldest first


def _gc_phase(phase: str, info: dict[str, int]) -> None:
    global _in_gc
    _in_gc = phase == "start"  # no call in here: Python checks for signals at calls


def _unsafe() -> bool:
    return _in_gc or _in_hook


def _defer(signum: int) -> None:
    if signum not in _pending:
        _pending.append(signum)
    signal.setitimer(signal.ITIMER_REAL, RETRY)


def _guarded(signum: int, frame: Any) -> None:
    """The installed handler: the real one, unless a collection (or the hook) is running."""
    if _unsafe():
        _defer(signum)
        return
    _hand_over(signum, frame)


def _deliver(signum: int, frame: Any) -> None:
    """SIGALRM: hand a deferred signal to its handler, once it is safe to raise."""
    if not _pending:
        return
    if _unsafe():
        signal.setitimer(signal.ITIMER_REAL, RETRY)
        return
    sig = _pending.pop(0)
    if _pending:
        signal.setitimer(signal.ITIMER_REAL, RETRY)
    _hand_over(sig, frame)


def _hand_over(signum: int, frame: Any) -> None:
    _arrived.append(signum)  # first: the handler raises
    _handlers[signum](signum, frame)


def arrived() -> int | None:
    """The first signal handed to its handler since ``forget()``: the run is ending because of it."""
    return _arrived[0] if _arrived else None


def check() -> None:
    """Raise an arrived signal again (through its handler), in case C code swallowed it and went on."""
    if _arrived and _arrived[0] in _handlers:
        _handlers[_arrived[0]](_arrived[0], None)


def forget() -> None:
    """A new command starts: the signals that ended an earlier one (in this process) are not its own."""
    _arrived.clear()


def _unraisable(unraisable: Any) -> None:
    """A KeyboardInterrupt that a finalizer swallowed: deliver it again; anything else as Python reports it."""
    global _in_hook
    exc_type = unraisable.exc_type
    if exc_type is not None and issubclass(exc_type, KeyboardInterrupt) and _handlers:
        _in_hook = True
        signum = getattr(unraisable.exc_value, "signum", signal.SIGINT)
        _defer(signum if signum in _handlers else next(iter(_handlers)))
        _in_hook = False  # a store, then the return: no signal check after the call above
        return
    (_previous_hook or sys.__unraisablehook__)(unraisable)


def install(handlers: Mapping[int, Handler]) -> None:
    """Install ``handlers`` (signal number -> a handler that may raise), safe inside finalizers.

    Main thread only, as ``signal.signal`` itself.
    """
    global _previous_hook
    _handlers.update(handlers)
    for signum in handlers:
        signal.signal(signum, _guarded)
    signal.signal(signal.SIGALRM, _deliver)
    if _gc_phase not in gc.callbacks:
        gc.callbacks.append(_gc_phase)
    if sys.unraisablehook is not _unraisable:
        _previous_hook = sys.unraisablehook
        sys.unraisablehook = _unraisable
