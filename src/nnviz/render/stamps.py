"""Text that repeats over pixels that repeat: drawn once, then pasted.

Matplotlib lays out and rasterises every glyph of a text on every
``draw_artist``: three captions and a title cost a neurons frame more than
its sixteen tiles. What a text draw leaves is a pure function of the pixels
under it and the text's own properties, so when both match a frame already
drawn, pasting the pixels that draw left is byte-identical to drawing again.
Both are checked on every paste (the pixels under it too, so a caption over
something that moved is drawn afresh); the file never depends on the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.text import Text

Array = np.ndarray
Key = tuple[Any, ...]

KEEP = 4  # stamps kept per text: a caption and the few events that replace it; memory stays flat
PAD_EM = 0.3  # of the font size, around the text's box: glyph ink may overhang its advance


@dataclass(frozen=True)
class Stamp:
    rows: slice
    cols: slice
    under: Array  # the pixels before the text was drawn
    drawn: Array  # the same pixels after


class TextStamps:
    """``draw(text)`` for one canvas: a paste when the text and the pixels under it are as before."""

    def __init__(self, canvas: Any) -> None:
        self.canvas = canvas
        self._stamps: dict[int, OrderedDict[Key, Stamp]] = {}

    def draw(self, text: Text) -> None:
        if not text.get_visible() or not text.get_text():
            return
        if text.get_bbox_patch() is not None or text.get_path_effects():  # they draw past the text's box
            _draw(text)
            return
        buf = np.asarray(self.canvas.buffer_rgba())
        region = self._region(text, buf.shape)
        if region is None:  # off the canvas: nothing to paste
            _draw(text)
            return
        key, rows, cols = region
        kept = self._stamps.setdefault(id(text), OrderedDict())
        stamp = kept.get(key)
        if stamp is not None and np.array_equal(buf[rows, cols], stamp.under):
            buf[rows, cols] = stamp.drawn
            kept.move_to_end(key)
            return
        under = buf[rows, cols].copy()
        _draw(text)
        kept[key] = Stamp(rows, cols, under, buf[rows, cols].copy())
        while len(kept) > KEEP:
            kept.popitem(last=False)

    def _region(self, text: Text, shape: tuple[int, ...]) -> tuple[Key, slice, slice] | None:
        """The key of everything the text's pixels depend on, and the rows and columns they can touch."""
        box = text.get_window_extent(self.canvas.get_renderer())
        pad = PAD_EM * text.get_fontproperties().get_size_in_points() * self.canvas.figure.dpi / 72 + 1
        h, w = shape[:2]
        c0, c1 = max(0, int(box.x0 - pad)), min(w, int(np.ceil(box.x1 + pad)))
        r0, r1 = max(0, int(h - box.y1 - pad)), min(h, int(np.ceil(h - box.y0 + pad)))
        if c0 >= c1 or r0 >= r1:
            return None
        props = (
            text.get_text(),
            to_rgba(text.get_color(), text.get_alpha()),
            text.get_fontproperties(),
            text.get_rotation(),
            text.get_antialiased(),
            tuple(np.round(box.bounds, 6)),
            _clip(text),
        )
        return (*props, r0, r1, c0, c1), slice(r0, r1), slice(c0, c1)


def _clip(text: Text) -> tuple[float, ...] | None:
    clip = text.get_clip_box() if text.get_clip_on() else None
    return None if clip is None else tuple(clip.bounds)


def _draw(text: Text) -> None:
    if text.axes is not None:
        text.axes.draw_artist(text)
    else:
        text.figure.draw_artist(text)  # type: ignore[union-attr]  # a figure text (the suptitle)
