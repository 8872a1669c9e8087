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
from pathlib import Path

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
        signals.forget()


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


# --- a signal whose exception C code replaced, or swallowed ---------------------------------
#
# The handler raises wherever Python is, and that can be Python code that C code called:
# matplotlib's Agg converts a Bbox through its Python __array__, and pybind11 puts its own
# ValueError("Invalid bounding box") in place of the KeyboardInterrupt raised there. In CI a
# Ctrl-C during rendering so ended as "Error: internal error: ValueError: Invalid bounding box",
# exit 1. These runs send the signal from exactly those places, so they never depend on timing.

SIGNAL_UNDER_C = """\
import os, signal, sys
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from nnviz.cli import main

SIG, HOW, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
real_copy, real_restore = FigureCanvasAgg.copy_from_bbox, FigureCanvasAgg.restore_region
restores = []
MAIN = os.getpid()  # the forked helper painter draws too; the signal is the command's, not the helper's


class SignalsWhenConverted:
    # Agg's C++ reads the bbox through __array__: the handler's exception is raised in here.
    def __init__(self, bbox):
        self.bbox = bbox
    def __array__(self, *args, **kwargs):
        signal.raise_signal(SIG)
        return np.asarray(self.bbox, *args, **kwargs)


def copy_from_bbox(self, bbox):
    replaced = HOW == "replaced" and os.getpid() == MAIN
    return real_copy(self, SignalsWhenConverted(bbox) if replaced else bbox)


def restore_region(self, region, *args):
    restores.append(1)
    if HOW == "swallowed" and len(restores) == 5 and os.getpid() == MAIN:  # a frame's restore: C code that clears the error, goes on
        try:
            signal.raise_signal(SIG)
        except KeyboardInterrupt:
            pass
    return real_restore(self, region, *args)


FigureCanvasAgg.copy_from_bbox, FigureCanvasAgg.restore_region = copy_from_bbox, restore_region
main(["animate", "--dataset", "xor", "--n-samples", "60", "--epochs", "40", "--grid", "10",
      "--size", "256x128", "--stop-loss", "0", "-q", "--out", OUT])
"""


@pytest.mark.parametrize("how", ["replaced", "swallowed"])
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_that_c_code_replaced_or_swallowed_still_ends_the_run(
    tmp_path: Path, how: str, sig: int, code: int
) -> None:
    """Replaced: exit 130/143 and "interrupted", not an internal error. Swallowed: the run ends at the next frame."""
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a previous")
    env = {k: v for k, v in os.environ.items() if k != "NNVIZ_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", SIGNAL_UNDER_C, str(int(sig)), how, str(gif)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=DEADLINE * 4, env=env)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.strip().splitlines() == ["Error: interrupted; no partial output was written"], proc.stderr
    assert gif.read_bytes() == b"GIF89a previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]  # no poster, CSV, TOML, nor a temp file


def test_a_sweep_run_that_a_signal_ended_under_another_name_stops_the_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a sweep's own process the replaced signal stops the sweep; it is not one failed run among others."""
    from nnviz import config, signals
    from nnviz.errors import Interrupted
    from nnviz.sweep import runner

    def replaced(cfg: object, folder: Path) -> None:
        signals._arrived.append(signal.SIGTERM)  # the handler ran; then C code raised its own error
        raise ValueError("Invalid bounding box")

    monkeypatch.setattr(signals, "_arrived", [])
    monkeypatch.setattr(runner, "_train_and_render", replaced)
    with pytest.raises(Interrupted) as raised:
        runner.execute_run(config.Config(), str(tmp_path), "run-1")
    assert raised.value.exit_code == 143

    signals.forget()  # no signal: the same error is that run's failure, and the sweep goes on
    monkeypatch.setattr(runner, "_train_and_render", lambda cfg, folder: (_ for _ in ()).throw(ValueError("bug")))
    assert runner.execute_run(config.Config(), str(tmp_path), "run-2").error == "ValueError: bug"
