"""Repeated text is pasted (render.stamps), and every frame is the one a fresh draw makes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import animation_of, small_cfg
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nnviz.render import stamps


def _frames(anim, plain: bool) -> list[np.ndarray]:
    painter = anim.painter()
    try:
        if plain:  # every text drawn by matplotlib on every frame
            for v in painter.views:
                v.draw_text = v.ax.draw_artist
            painter.stamps.draw = stamps._draw
        return [painter.render(anim.frame(i)).copy() for i in anim.indices]
    finally:
        painter.close()


@pytest.mark.parametrize(
    "over",
    [
        {},  # the three default panels, each with its caption
        # an event from epoch 6 on (the layer collapses): the hidden caption turns into its line
        {"model__activation": "relu", "train__lr": 0.1, "train__epochs": 8},
        {"render__panels": "input,neurons,loss", "data__name": "xor", "model__hidden": "8"},
        {"render__axes": "per-frame"},  # the background is redrawn every frame, under the captions too
    ],
)
def test_frames_with_pasted_text_are_the_frames_drawn_afresh(over, monkeypatch) -> None:
    anim, _, _ = animation_of(small_cfg(**{"render__size": "600x200", **over}))
    drawn = []
    real = stamps._draw
    monkeypatch.setattr(stamps, "_draw", lambda t: (drawn.append(t), real(t)))
    pasted = _frames(anim, plain=False)
    monkeypatch.setattr(stamps, "_draw", real)
    fresh = _frames(anim, plain=True)
    assert len(pasted) == len(fresh) == len(anim.indices) > 3
    for k, (a, b) in enumerate(zip(pasted, fresh, strict=True)):
        assert np.array_equal(a, b), f"frame {k} differs"
    captions = sum(1 for v in anim.painter().views if v.caption is not None)
    assert captions and len(drawn) < (captions + 1) * len(fresh) / 2  # most text was pasted, not drawn


def _canvas() -> tuple[Figure, FigureCanvasAgg, np.ndarray]:
    fig = Figure(figsize=(2, 1), dpi=100)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return fig, canvas, np.asarray(canvas.buffer_rgba())


def test_text_over_pixels_that_changed_is_drawn_again() -> None:
    fig, canvas, buf = _canvas()
    text = fig.text(0.5, 0.5, "unit 1", ha="center", va="center", animated=True)
    paste = stamps.TextStamps(canvas)
    paste.draw(text)
    buf[...] = (200, 30, 30, 255)  # what lies under the text changed (a tile under a unit number)
    paste.draw(text)
    got = buf.copy()
    buf[...] = (200, 30, 30, 255)
    fig.draw_artist(text)
    assert np.array_equal(got, buf)
    assert (got[..., :3] != (200, 30, 30)).any()  # the text is there, not the old stamp's white


def test_a_changed_text_is_drawn_and_the_stamps_stay_few() -> None:
    fig, canvas, buf = _canvas()
    text = fig.text(0.5, 0.5, "", ha="center", animated=True)
    paste = stamps.TextStamps(canvas)
    clean = buf.copy()
    for k in range(40):  # a title that changes every frame keeps at most KEEP stamps
        buf[...] = clean
        text.set_text(f"epoch {k}")
        paste.draw(text)
        got = buf.copy()
        buf[...] = clean
        fig.draw_artist(text)
        assert np.array_equal(got, buf), k
    assert len(paste._stamps[id(text)]) == stamps.KEEP
