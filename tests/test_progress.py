"""Progress: a bar with elapsed time, rate and time left on a terminal, one plain line per stage when
piped (as before), a live bar in a Jupyter kernel (nnviz/progress.py)."""

from __future__ import annotations

import io
import sys
import types

import pytest

from nnviz import progress
from nnviz.progress import NotebookProgress, StageProgress, bar_line, clock


class Clock:
    """time.monotonic under the test's control."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = Clock()
    monkeypatch.setattr(progress.time, "monotonic", now)
    return now


def test_the_bar_says_elapsed_rate_and_time_left() -> None:
    assert bar_line("training", 75, 200, 2.0) == (
        "training  [######----------] 75/200  38 epochs/s  0:02 elapsed  0:03 left"
    )
    assert bar_line("rendering", 4, 31, 2.0) == "rendering [##--------------] 4/31  2.0 frames/s  0:02 elapsed  0:14 left"
    assert bar_line("runs", 0, 6, 1.0) == "runs      [----------------] 0/6  0:01 elapsed  -:-- left"  # no pace yet
    assert bar_line("training", 200, 200, 65.0) == "training  [################] 200/200  3.1 epochs/s  1:05 elapsed"


def test_the_bar_fits_the_terminal_dropping_the_rate_then_the_elapsed_time() -> None:
    full = bar_line("rendering", 19_999, 20_000, 5000.0, columns=200)
    assert full.endswith("4.0 frames/s  1:23:20 elapsed  0:00 left")
    assert bar_line("rendering", 19_999, 20_000, 5000.0, columns=70) == (
        "rendering [###############-] 19999/20000  1:23:20 elapsed  0:00 left"
    )
    assert bar_line("rendering", 19_999, 20_000, 5000.0, columns=52) == "rendering [###############-] 19999/20000  0:00 left"
    for columns in (40, 60, 80):
        assert len(bar_line("rendering", 19_999, 20_000, 5000.0, columns=columns)) < max(columns, 45)


def test_clock() -> None:
    assert [clock(s) for s in (0, 7.4, 59.6, 750, 3723, float("inf"))] == ["0:00", "0:07", "1:00", "12:30", "1:02:03", "-:--"]


def test_a_terminal_gets_one_bar_per_stage_redrawn_in_place(fake_time: Clock) -> None:
    out = io.StringIO()
    report = StageProgress(out, tty=True)
    for done in range(0, 11):
        report("training", done, 10)
        fake_time.now += 0.5
    lines = out.getvalue().split("\n")
    assert len(lines) == 2 and lines[1] == ""  # one line, ended when the stage closed
    last = lines[0].split("\r")[-1]
    assert last == "training  [################] 10/10  2.0 epochs/s  0:05 elapsed\x1b[K"


def test_piped_output_keeps_its_one_line_per_stage(fake_time: Clock) -> None:
    out = io.StringIO()
    report = StageProgress(out, tty=False)
    for done in range(0, 76):
        report("training", done, 200 if done < 75 else 75)
    for done in range(0, 4):
        report("rendering", done, 3)
    assert out.getvalue() == "training... done (75 epochs)\nrendering... done (3 frames)\n"


class FakeHandle:
    def __init__(self, shown: list) -> None:
        self.shown = shown

    def update(self, obj: object) -> None:
        self.shown.append(obj)


@pytest.fixture
def jupyter(monkeypatch: pytest.MonkeyPatch) -> list[list]:
    """A Jupyter kernel's IPython as nnviz sees it: get_ipython() with a kernel, and display()."""
    handles: list[list] = []

    def display(obj: object, display_id: bool = False) -> FakeHandle:
        assert display_id is True
        handles.append([obj])
        return FakeHandle(handles[-1])

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
    ipython.version_info = (9, 0, 0)  # type: ignore[attr-defined]  # matplotlib reads it when IPython is loaded
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = display  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    return handles


def test_a_terminal_ipython_is_no_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert progress.notebook_display() is None and isinstance(progress.reporter(True), StageProgress)


def test_a_jupyter_kernel_gets_a_live_bar_per_stage(jupyter: list[list], fake_time: Clock) -> None:
    report = progress.reporter(True)
    assert isinstance(report, NotebookProgress)
    for done in range(0, 21):
        report("training", done, 20)
        fake_time.now += 0.06  # about two updates per redraw interval
    report("rendering", 0, 5)
    report("rendering", 5, 5)
    training, rendering = jupyter
    assert 10 <= len(training) <= 13  # throttled to REDRAW_EVERY, and the closing state always drawn
    final = training[-1]._repr_html_()
    assert '<progress value="20" max="20"' in final and "20/20" in final and "elapsed" in final
    assert repr(training[-1]) == "training  [################] 20/20  17 epochs/s  0:01 elapsed"
    assert '<progress value="5" max="5"' in rendering[-1]._repr_html_()


def test_a_notebook_render_shows_training_and_rendering_live(jupyter: list[list], tmp_path) -> None:
    """render.animate(progress=True) in a notebook: its stages reach the cell, each to its end."""
    from conftest import small_cfg

    from nnviz import render

    render.animate(small_cfg(), str(tmp_path / "a.gif"), progress=True)
    stages = [(handle[-1].stage, handle[-1].done, handle[-1].total) for handle in jupyter]
    assert stages == [("training", 7, 7), ("rendering", 7, 7)]
