"""A signal that arrives inside a finalizer is delivered once it can be raised (issue 22, item 6).

Before, a Ctrl-C that landed in one of matplotlib's weakref callbacks (run
by the garbage collector) printed ``Exception ignored in: <function
TransformNode.set_children...> Traceback ... KeyboardInterrupt`` and was
lost. Each test waits for a state (the exception, a line, the exit), never
for a duration.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import weakref

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals and timers")
DEADLINE = 60  # seconds a lost signal would be waited for, before the test says so


class Stop(KeyboardInterrupt):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop


@pytest.fixture
def guarded():
    """nnviz's handlers on SIGUSR1 for one test; every global they touch is put back after."""
    from nnviz import signals

    saved = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGALRM)}
    hook, callbacks = sys.unraisablehook, list(gc.callbacks)
    signals.install({signal.SIGUSR1: _raise_stop})
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for s, handler in saved.items():
            signal.signal(s, handler)
        sys.unraisablehook = hook
        gc.callbacks[:] = callbacks
        signals._handlers.pop(signal.SIGUSR1, None)
        signals._pending.clear()


class Node:
    pass


KEPT: list[weakref.ref] = []  # the weakref outlives its referent, so its callback runs (as a parent's does)


def _garbage_whose_finalizer_signals() -> None:
    """A cycle (freed only by the collector) with a weakref callback that raises SIGUSR1 there."""
    node = Node()
    node.cycle = node
    KEPT.append(weakref.ref(node, lambda _: signal.raise_signal(signal.SIGUSR1)))
    del node


def _wait_for_stop() -> None:
    deadline = time.monotonic() + DEADLINE
    with pytest.raises(Stop):
        while time.monotonic() < deadline:
            time.sleep(0.001)  # ordinary code: where the deferred signal is raised


@pytest.mark.usefixtures("guarded")
def test_a_signal_inside_a_collection_is_raised_after_it(capfd: pytest.CaptureFixture[str]) -> None:
    _garbage_whose_finalizer_signals()
    gc.collect()  # the callback runs here, inside the collection: nothing may be raised there
    _wait_for_stop()
    assert "Exception ignored" not in capfd.readouterr().err


@pytest.mark.usefixtures("guarded")
def test_a_keyboard_interrupt_swallowed_by_a_finalizer_is_delivered_again(capfd: pytest.CaptureFixture[str]) -> None:
    class Finalized:
        def __del__(self) -> None:
            raise Stop  # as a handler raising in __del__ (a refcount finalizer, outside any collection)

    Finalized()  # freed at once; Python hands the exception to sys.unraisablehook
    _wait_for_stop()
    assert "Exception ignored" not in capfd.readouterr().err


@pytest.mark.usefixtures("guarded")
def test_other_unraisable_exceptions_are_still_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnviz import signals

    reported: list[BaseException | None] = []
    monkeypatch.setattr(signals, "_previous_hook", lambda u: reported.append(u.exc_value))  # Python's, or pytest's

    class Broken:
        def __del__(self) -> None:
            raise ValueError("a bug in a finalizer")

    Broken()
    assert [str(e) for e in reported] == ["a bug in a finalizer"]


# The CLI's own handlers (installed by main, then kept), and garbage like matplotlib's
# transforms: weakref callbacks freed by the cyclic collector, all the time.
GARBAGE = """\
import sys, weakref
from nnviz.cli import main
try:
    main(["--version"])  # installs the CLI's signal handlers, then exits
except SystemExit:
    pass
class Node:
    def __init__(self):
        self.children = {}
    def set_children(self, child):
        child.children[id(self)] = weakref.ref(self, lambda _, pop=child.children.pop, k=id(self): [
            pop(k, None) for _ in range(50)])
try:
    for i in range(10**9):
        a, b = Node(), Node()
        a.set_children(b)
        a.cycle = a
        del a
        if i == 3000:  # the collector has run many times by now, and keeps running
            print("ready", flush=True)
except KeyboardInterrupt as exc:
    print(f"interrupted: {type(exc).__name__}", file=sys.stderr)
    sys.exit(130)
"""


def test_ctrl_c_in_a_garbage_heavy_loop_never_prints_a_traceback() -> None:
    """Twenty Ctrl-Cs at whatever point the loop is (about one in five landed in a collection before)."""
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", GARBAGE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            assert proc.stdout is not None
            while "ready" not in (line := proc.stdout.readline()):  # after the version line
                assert line, proc.stderr.read() if proc.stderr else ""
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=DEADLINE)  # a lost signal: the loop runs on until this fails
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 130, err
        assert "Exception ignored" not in err and "Traceback" not in err, err
