"""Scene arrays -> RGB pixels with matplotlib's Agg canvas, built once.

The ``Painter`` lays the figure out once (constrained layout, then frozen),
draws the static background once and copies it. Each frame it restores that
background, updates the animated artists in place (``set_data``,
``set_offsets``, ``set_array``, segments) and draws only them, then hands out
a view of the RGB buffer. No pyplot: nothing is registered globally, so
nothing leaks between runs.

Each panel brings its own view class (``Panel.painter``, ``render.panels``);
the painter makes one per panel and never asks what kind a panel is. Every
frame carries its own axis limits, so the painter never computes any.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import RenderError
from . import layout, mplsettings
from .colours import palette_colors
from .layout import DPI, Style
from .legend import add_class_legend, add_colour_key, legend_entries
from .panels import PanelView, mesh_stride
from .scene import Frame, Limits, Panel, Scene
from .stamps import TextStamps

Array = np.ndarray

# At tiny --size values constrained layout gives up on the tick labels and
# says so on every draw; the figure is still drawn, so the message is noise.
warnings.filterwarnings("ignore", message="constrained_layout not applied", category=UserWarning)


def make_figure(size: tuple[int, int], panels: Sequence[Panel]) -> tuple[Figure, FigureCanvasAgg, list[Any]]:
    """An Agg figure of exactly ``size`` pixels with one axes per panel, side by side (3-D where a panel asks)."""
    w, h = size
    fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    if all(p.axes == "2d" for p in panels):
        axes = list(fig.subplots(1, len(panels), squeeze=False)[0])
    else:
        axes = [
            fig.add_subplot(1, len(panels), i + 1, **({} if p.axes == "2d" else {"projection": p.axes}))
            for i, p in enumerate(panels)
        ]
    return fig, canvas, axes


def make_views(
    axes: Sequence[Any], scene: Scene, panels: Sequence[Panel], style: Style, size: tuple[int, int]
) -> list[PanelView]:
    """One view per panel, each drawing on its axes."""
    stride = mesh_stride(scene.grid, size, len(panels))
    return [p.painter(ax, scene, p, style, stride) for ax, p in zip(axes, panels, strict=True)]


def frame_palette(scene: Scene, panels: Sequence[Panel]) -> Array:
    """(n, 3) uint8: the exact colours these panels' frames are made of (for a GIF palette)."""
    kinds = {p.painter for p in panels}
    extra = [c for c in (k.palette(scene) for k in sorted(kinds, key=lambda k: k.__name__)) if c is not None]
    return palette_colors(scene, extra)


def decorate(
    fig: Figure,
    views: Sequence[PanelView],
    scene: Scene,
    style: Style,
    title: Any,
    compact_title: Any = None,
    chrome: bool = True,
    captions: bool = True,
) -> list[str]:
    """The legend, the colour key and the captions, then a layout with no clashing text.

    The key says what the surface colours mean (P(class 1), the likeliest
    class, the predicted value), for frames whose panels draw a surface;
    each panel's caption says what it shows. ``chrome=False`` (a thumbnail)
    has none of them, and no panel titles. Returns what still clashes after
    every fitting step (nothing, normally).
    """
    axes = [ax for v in views for ax in v.axes]
    legend: Any = None
    entries = 0
    key: Any = None
    lines = []
    if not chrome:
        for v in views:
            v.ax.set_title("")
    else:
        coloured = [v.ax for v in views if v.surface]
        if coloured:  # beside the panels it explains (not past the training curves)
            key = add_colour_key(fig, coloured, scene, style)
            axes.append(key.ax)
        entries = len(legend_entries(scene, style.scale)[1])
        legend = lambda ncol: add_class_legend(fig, scene, style, ncol)  # noqa: E731
        legend(None)
        if captions:
            lines = [c for c in (v.make_caption() for v in views) if c is not None]
    parts = layout.Parts(fig, axes, [v.ax for v in views], legend, entries, title, compact_title, lines, key)
    return layout.fit(parts)


class Painter:
    """Draws frames of one animation onto one Agg figure, in place.

    With ``fixed=True`` (the first frame's limits hold for the whole
    animation) the static background is drawn once and each frame only
    restores it and draws the animated artists; otherwise every frame
    redraws everything with its own limits (``--axes per-frame``).
    """

    @mplsettings.applied  # built and drawn with nnviz's settings, whatever the user's matplotlibrc says
    def __init__(
        self,
        scene: Scene,
        panels: Sequence[Panel],
        first: Frame,
        *,
        size: tuple[int, int] = (1200, 400),
        fixed: bool = True,
        chrome: bool = True,
        captions: bool = True,
    ) -> None:
        self.scene, self.size, self.fixed = scene, (int(size[0]), int(size[1])), fixed
        self.fig, self.canvas, axes = make_figure(self.size, panels)
        self.style = layout.style_for(self.size, len(panels))
        self.views = make_views(axes, scene, panels, self.style, self.size)
        self.title = self.fig.suptitle(first.title, fontsize=self.style.title, animated=True)
        for v in self.views:
            v.build(first)
        self._apply_limits(first)
        # Lay out once with the first frame's ticks, then freeze the layout.
        # The fit ends with a draw of the final layout, which is already the
        # static background: snapshot it rather than draw again.
        self.short = False  # set by the fit when the full title does not fit the frame

        def compact() -> None:
            self.short = True
            self.title.set_text(first.short_title)

        self.clashes = decorate(self.fig, self.views, scene, self.style, self.title, compact, chrome, captions)
        self.fig.set_layout_engine("none")
        self.stamps = TextStamps(self.canvas)  # captions and an unchanged title are pasted, not drawn again
        for v in self.views:
            v.draw_text = self.stamps.draw
        if any([v.leave_background() for v in self.views]):  # every view is told
            self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _apply_limits(self, frame: Frame) -> None:
        for v in self.views:
            if v.name in frame.limits:
                v.set_limits(frame.limits[v.name])

    @property
    def limits(self) -> dict[str, Limits]:
        """The current (xmin, xmax, ymin, ymax) of every panel."""
        return {v.name: (*v.ax.get_xlim(), *v.ax.get_ylim()) for v in self.views}

    @mplsettings.applied
    def render(self, frame: Frame) -> Array:
        """Draw ``frame`` and return an (h, w, 3) uint8 view of the canvas.

        The view is only valid until the next call; writers copy what they keep.
        """
        for v in self.views:
            v.update(frame)
            v.update_caption(frame.notes.get(v.name))
        self.title.set_text(frame.short_title if self.short else frame.title)
        if self.fixed:
            self.canvas.restore_region(self._background)
        else:
            self._apply_limits(frame)
            self.canvas.draw()  # ticks change: redraw the background too
        for v in self.views:
            v.draw()
        self.stamps.draw(self.title)
        return rgb_view(self.canvas)

    def close(self) -> None:
        self.fig.clear()


def rgb_view(canvas: FigureCanvasAgg) -> Array:
    buf = np.asarray(canvas.buffer_rgba())
    if buf.shape[0] == 0:
        raise RenderError("the figure has no pixels")
    return buf[..., :3]
