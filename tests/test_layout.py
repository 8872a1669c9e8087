"""Text never overlaps, at any frame size and with any panel set (issue: layout that scales)."""

from __future__ import annotations

import contextlib
import itertools
import random

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from nnviz import catalog, render
from nnviz.engine import nn
from nnviz.engine.train import train
from nnviz.render import layout, paint
from nnviz.render.animation import Animation
from nnviz.render.panels import PANELS

SIZES = ["320x160", "600x200", "1200x400", "1600x1600"]
# The panels that can draw the binary run below (blobs' 2-2-1 network): the 3-D panels
# refuse a 2-wide layer, and tests/test_panel_space3d.py lays them out.
DRAWN = [name for name, kind in PANELS.items() if kind.refuse(nn.Model((2, 2, 1)), 1) is None]
# Every panel alone, and a fixed sample of the combinations, each at two of the sizes in
# turn (every size is covered): all 63 sets at every size took minutes.
_COMBINED = [",".join(c) for n in range(2, len(DRAWN) + 1) for c in itertools.combinations(DRAWN, n)]
PANEL_SETS = [*DRAWN, *random.Random(11).sample(_COMBINED, 10)]
CASES = [(panels, SIZES[(i + k) % len(SIZES)]) for i, panels in enumerate(PANEL_SETS) for k in (0, 2)]


def _run(**over):
    cfg = catalog.resolve({}, {"train.epochs": 12, "train.stop_loss": 0, "render.grid": 30, **over})
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


@pytest.fixture(scope="module")
def runs():
    """A binary run with a test split (the most text: test rings, test metrics), a multiclass
    run and a regression run (a colour scale, and a legend of its marks)."""
    return {
        "binary": _run(**{"data.test_fraction": 0.25}),
        "multiclass": _run(**{"data.name": "blobs3"}),
        "regression": _run(**{"data.name": "sine", "data.test_fraction": 0.25}),
    }


def _painter(run, size, panels):
    cfg, data, hist = run
    r = catalog.with_values(cfg, {"render.size": size, "render.panels": panels}).render
    anim = Animation(hist, data, r)
    painter = anim.painter()
    painter.render(anim.frame(anim.indices[-1]))
    return painter


@contextlib.contextmanager
def _painted(run, size, panels):
    """``_painter``'s painter, closed afterwards."""
    painter = _painter(run, size, panels)
    try:
        yield painter
    finally:
        painter.close()


def _assert_clean(painter):
    painter.canvas.draw()  # a full draw: every text at its final place
    clashes = layout.text_clashes(painter.fig)
    assert not clashes, clashes
    texts = [t.get_text() for t in layout.visible_texts(painter.fig)]
    # The title and (for classes) the legend are the last to give way: always there.
    assert any(t.startswith("Epoch") for t in texts), texts
    return texts


@pytest.mark.parametrize(("panels", "size"), CASES)
def test_no_text_overlaps_for_any_panel_set(runs, size, panels):
    painter = _painter(runs["binary"], size, panels)
    try:
        texts = _assert_clean(painter)
        assert "class 0" in texts and "test point" in texts
    finally:
        painter.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_no_text_overlaps_multiclass_and_regression(runs, size, task):
    painter = _painter(runs[task], size, "input,hidden,activation,loss")
    try:
        _assert_clean(painter)
    finally:
        painter.close()


def test_tick_labels_give_way_before_titles_and_legend(runs):
    """At 320x160 a four-panel frame gives up tick labels where they clash, never the legend or panel titles."""
    painter = _painter(runs["binary"], "320x160", "input,hidden,activation,loss")
    try:
        texts = _assert_clean(painter)
        ticks = [t for ax in painter.fig.axes for t in layout._drawn_ticklabels(ax.xaxis)]
        assert len(ticks) < 4 * 3  # some panels' tick labels gave way
        assert "decision boundary" in texts
        assert all(p.ax.get_title() for p in painter.views)  # titles shorten, but stay
    finally:
        painter.close()


def test_default_size_keeps_everything(runs):
    painter = _painter(runs["binary"], "1200x400", "input,hidden,activation")
    try:
        texts = _assert_clean(painter)
        assert "Hidden space (pre-activation z)" in texts and "x0" in texts
        assert any(t.strip("−-").replace(".", "").isdigit() for t in texts)  # tick labels are shown
    finally:
        painter.close()


@pytest.mark.parametrize("size", ["1200x400", "600x200"])
def test_the_default_view_is_laid_out_in_one_pass(monkeypatch, size):
    """Every caption fits the default frame as written; at 600x200 the ones wider than their
    panel's column are shortened before the first pass. Either way one draw lays the figure out
    (each pass is most of the fixed cost of a run)."""
    cfg, data, hist = _run(**{"render.size": size})
    anim = Animation(hist, data, cfg.render)
    draws = []
    canvas_draw = FigureCanvasAgg.draw
    monkeypatch.setattr(FigureCanvasAgg, "draw", lambda self: draws.append(1) or canvas_draw(self))
    painter = anim.painter()
    try:
        assert len(draws) == 1 and painter.clashes == []
        shown = [v.caption_line.current for v in painter.views]
        want = [v.panel.caption if size == "1200x400" else v.panel.short_caption for v in painter.views]
        assert shown == want
        assert "white grid after z = xW₁ + b₁; faded: no input lands" in [v.panel.caption for v in painter.views]
    finally:
        painter.close()


def test_text_is_readable_at_small_sizes(runs):
    """Text does not shrink below the readable floor (about 9 px for tick labels)."""
    style = layout.style_for((600, 200), 3)
    assert style.tick >= layout.TEXT_PT["tick"][1] and style.legend >= 7.0
    assert paint.DPI * style.tick / 72 >= 9


def _labels_shown(ax):
    return [t.get_text() for t in layout._drawn_ticklabels(ax.xaxis) if t.get_visible()]


def test_only_the_text_that_clashes_gives_way():
    """Two long panel titles that overlap are shortened; the tick labels, which clash with nothing, stay."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3), dpi=100)
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(1, 2))
    for ax in axes:  # ticks clear of the corners and the top, so only the titles clash
        ax.set_xticks([0.25, 0.5, 0.75])
        ax.set_yticks([0.25, 0.5, 0.75])
        ax.set_title("A panel title far too long for its panel (and then some more words)")
    parts = layout.Parts(fig, axes, axes, None, 0, fig.suptitle("t"))
    assert layout.fit(parts) == []
    assert all(_labels_shown(ax) for ax in axes), "tick labels were dropped for a clash between titles"
    assert all("(" not in ax.get_title() for ax in axes)  # the titles gave way instead


def test_a_tick_clash_in_one_panel_leaves_the_other_panels_ticks():
    """Only the panel whose tick labels clash gives them up (the loss panel's corner once cost every panel's)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3), dpi=100)
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(1, 2))
    axes[0].set_xticks([0.25, 0.5, 0.75])
    axes[0].set_yticks([0.25, 0.5, 0.75])
    crowded = axes[1]
    crowded.set_xticks(range(40))
    crowded.set_xticklabels([f"label {k}" for k in range(40)])
    parts = layout.Parts(fig, axes, axes, None, 0, fig.suptitle("t"))
    assert layout.fit(parts) == []
    assert _labels_shown(axes[0]), "a panel with no clash lost its tick labels"


def test_shortened_panel_titles_keep_their_size(runs):
    """A title that gives way gets shorter, not bigger (set_title once reset it to 12 pt at 600x200)."""
    deep = _run(**{"data.name": "moons", "model.hidden": "3,2"})
    painter = _painter(deep, "600x200", "layers,loss")
    style = layout.style_for((600, 200), len(painter.views))
    try:
        assert any(":" not in p.ax.get_title() and p.ax.get_title().startswith("Layer") for p in painter.views)
        for p in painter.views:
            assert p.ax.title.get_fontsize() <= style.panel + 1e-9, (p.ax.get_title(), p.ax.title.get_fontsize())
    finally:
        painter.close()


@pytest.mark.parametrize("size", ["480x160", "600x200"])
def test_a_shortened_title_still_says_projected(size):
    """Short titles were cut at the bracket: "Hidden space" over a 4-unit layer's projection
    looked like an exact plane, at the gallery's size too."""
    with _painted(_run(**{"data.name": "xor", "model.hidden": "4"}), size, "input,hidden,activation") as painter:
        titles = {p.name: p.ax.get_title() for p in painter.views}
    assert titles["input"] and "projected" not in titles["input"]
    assert all("proj" in t for t in (titles["hidden"], titles["activation"])), titles  # "(proj.)" when one word
    if size == "480x160":  # where they really are shortened
        assert titles["hidden"] != next(v.panel.title for v in painter.views if v.name == "hidden"), titles


def test_side_by_side_panel_titles_are_clearly_apart(runs):
    """At 480x160 sine's "Hidden space (pre-activation z)" ended one space before
    "Activation space (tanh(z))": two titles that read as one sentence."""
    with _painted(runs["regression"], "480x160", "input,hidden,activation") as painter:
        renderer = painter.canvas.get_renderer()
        boxes = sorted((b for p in painter.views if p.ax.get_title()
                        for b in [p.ax.title.get_window_extent(renderer)]), key=lambda b: b.x0)
    assert len(boxes) >= 2
    for left, right in itertools.pairwise(boxes):
        assert right.x0 - left.x1 >= 0.8 * min(left.height, right.height) - 0.5, (left, right)


def test_a_regression_frame_says_which_mark_is_the_data_and_which_the_prediction(runs):
    """sine had only a colour scale: nothing said the points are the data and the curve the fit."""
    with _painted(runs["regression"], "1200x400", "input,hidden,activation") as painter:
        texts = _assert_clean(painter)
        legend = [t.get_text() for t in painter.fig.legends[0].get_texts()]
    assert legend == ["data (colour: target)", "test point", "prediction"]
    assert "prediction" in texts  # and the colour scale's label is still there
