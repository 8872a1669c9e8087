"""The neurons panel: each unit of the chosen layer, its activation over the input plane, as a tile.

Small multiples (Olah's and TensorFlow Playground's per-neuron maps): tile k
is unit k's activation at every point of the input plane (or interval),
scaled to its own range in the frame, at most ``MAX_NEURONS`` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...engine import nn
from ...engine.events import Event
from ..colours import LEVELS, NORM, neuron_cmap
from ..layout import Style
from ..scene import Frame, FrameContext, Limits, Panel, Scene
from .base import PanelKind, PanelView, Setup
from .planes import DETAIL_MIN_SCALE

Array = np.ndarray

MAX_NEURONS = 16  # tiles in the neurons panel: more would be too small to read


@dataclass(frozen=True)
class Tiles:
    """The neurons' frame: the tiles in one image (NaN gaps between them are blank by design)."""

    values: Array
    extent: Limits
    limits: Limits

    def finite_arrays(self) -> Iterable[Array | None]:
        return ()


@dataclass(frozen=True)
class NeuronsPanel(Panel):
    """The first ``units`` of hidden layer ``layer``'s ``total``, in ``rows`` x ``cols`` tiles."""

    scene: Scene = field(repr=False)
    layer: int
    units: int
    total: int
    rows: int
    cols: int
    name: str = "neurons"
    title: str = ""
    labels: tuple[str, str] = ("", "")
    caption: str = ""
    short_caption: str = ""

    def concerns(self, event: Event) -> bool:
        return event.layer == self.layer and event.kind in ("dead", "saturated")

    @property
    def painter(self) -> Any:
        return MosaicView

    @property
    def extent(self) -> Limits:
        return 0.0, float(self.cols), 0.0, float(self.rows)

    def fixed_limits(self) -> Limits | None:
        return self.extent

    def take(self, trace: nn.Trace, base: Array) -> tuple[Array, ...]:
        # At most 16 units of the layer, however wide: the rest never outlives the slice.
        return (trace.a[self.layer - 1][:, : self.units],)

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Tiles:
        """Each shown unit's activation over the input plane (or interval), tiled into one image.

        Every tile is scaled to its own range in this frame (0..1): units differ
        in scale by orders of magnitude and the lesson is where each one turns
        on, not how far. Gaps between tiles are NaN (drawn blank).
        """
        (a,) = ctx.kept[self.name]
        # Halves: hi - lo overflows for units near the float range (huge parameters).
        lo, hi = a.min(axis=0) / 2, a.max(axis=0) / 2
        span = np.where(hi > lo, hi - lo, 1.0)
        scaled = np.where(hi > lo, (a / 2 - lo) / span, 0.5)
        g = self.scene.grid
        h, w = (g, g) if self.scene.mode == "surface" else (1, g)
        tiles = scaled.T.reshape(self.units, h, w)
        return Tiles(mosaic(tiles, self.rows, self.cols), self.extent, self.extent)


def mosaic(tiles: Array, rows: int, cols: int) -> Array:
    """(m, h, w) tiles laid out left to right, top to bottom, with NaN gaps (rows along y, upward)."""
    m, h, w = tiles.shape
    gap = max(1, max(h, w) // 12)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap), np.nan)
    for i in range(m):
        r, c = divmod(i, cols)
        y0 = (rows - 1 - r) * (h + gap)  # the first tile at the top
        x0 = c * (w + gap)
        out[y0 : y0 + h, x0 : x0 + w] = tiles[i]
    return out


class MosaicView(PanelView):
    """Small multiples in one image: each tile one unit's activation over the input (``mosaic``).

    One image, however many tiles: the cheapest way to draw 16 heatmaps. The
    tiles have no coordinates of their own, so the axes show no ticks.
    """

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        super().__init__(ax, scene, panel, style, stride)
        ax.set_xticks([])
        ax.set_yticks([])

    def _unit_numbers(self) -> list[Any]:
        """Each tile's unit, 1-based like the hidden axes' a₁, a₂, in its top-left corner.

        Drawn with the tiles (after them), not in the background the tiles cover.
        """
        n = self.panel
        assert isinstance(n, NeuronsPanel)
        if self.style.scale < DETAIL_MIN_SCALE:  # tiles too small to hold a label
            return []
        numbers = []
        for i in range(n.units):
            r, c = divmod(i, n.cols)
            numbers.append(
                self.ax.text(
                    c + 0.04,
                    n.rows - r - 0.05,  # row 0 is the top one
                    str(i + 1),
                    ha="left",
                    va="top",
                    fontsize=self.style.tick,
                    color="white",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "0.15", "ec": "none"},
                    zorder=3,
                )
            )
        return numbers

    def add(self, frame: Frame) -> list[Any]:
        sp = self.mine(frame)
        return [
            self.ax.imshow(
                sp.values,
                origin="lower",
                extent=sp.extent,
                cmap=neuron_cmap(),
                norm=NORM,
                interpolation="nearest",
                aspect="auto",
                zorder=1,
            ),
            *self._unit_numbers(),
        ]

    def update(self, frame: Frame) -> None:
        self.artists[0].set_data(self.mine(frame).values)

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        return neuron_cmap()(np.linspace(0, 1, LEVELS))[:, :3]


def build(setup: Setup) -> tuple[Panel, ...]:
    """Tiles for at most ``MAX_NEURONS`` units, as near square as they go (wider than tall)."""
    scene = setup.scene
    layer, width = scene.layer, scene.model.sizes[scene.layer]
    units = min(width, MAX_NEURONS)
    cols = int(np.ceil(np.sqrt(units)))
    capped = f"{units} of {width} units" if units < width else f"{width} units"
    title = f"Layer {layer} units: {scene.activation_label} ({capped})"
    # Every tile covers the whole input plane (or interval).
    x, y = scene.input_labels
    labels = (f"{x} in each tile", y if scene.mode == "surface" else "unit")
    act = scene.model.activation
    caption = f"tile k: unit k's {act} over the input; light: high"
    short = "light: high, dark: low"
    rows = int(np.ceil(units / cols))
    panel = NeuronsPanel(scene, layer, units, width, rows, cols, title=title, labels=labels)
    return (replace(panel, caption=caption, short_caption=short),)


KIND = PanelKind(
    "neurons",
    "each unit of the layer: its activation over the input plane, one tile per unit",
    build,
    # Each shown unit's value at every mesh point, kept from the slices and tiled.
    lambda model, layer: 3 * min(model.sizes[layer], MAX_NEURONS),
)
