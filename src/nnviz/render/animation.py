"""One animation: what every rendering path needs, computed once.

An ``Animation`` is the spec (the fixed part of the scene), the epochs to
draw, the axis limits that hold for all of them, and a ``frames()`` iterator
of scene frames that carry those limits. The stream engine, the celluloid
engine, the sweep's thumbnails and the benchmarks all start from one, so
there is one way from a History to pixels.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.data import Dataset
from ..engine.history import History
from . import scene

if TYPE_CHECKING:  # config reads the engine registry (render.engines), which imports this module
    from ..config import RenderConfig
    from .paint import Painter

Array = np.ndarray
PANEL_PX = 360  # a panel's width when the default frame widens for more than three of them
# render.size's default in config (which imports this module through the engine
# registry, so it cannot be imported here); tests/test_views.py checks they agree.
DEFAULT_SIZE = (1200, 400)
MAX_WIDTH = 4096  # config.MAX_SIDE


def auto_size(size: tuple[int, int], n_panels: int) -> tuple[int, int]:
    """The frame size for ``n_panels`` panels: the default widens past three, so panels stay readable.

    The default 1200x400 holds three 400-px panels; the layers view of a
    deep net has seven or more, which at 1200 px would be too narrow for
    their titles. Any other --size is the user's and is kept as given.
    """
    if tuple(size) != DEFAULT_SIZE or n_panels <= 3:
        return size
    return min(max(size[0], PANEL_PX * n_panels), MAX_WIDTH), size[1]


class Animation:
    """The frames of ``history`` drawn with ``render`` settings.

    ``indices`` are positions in the history (default: ``render.every`` /
    ``render.log_frames``). ``titles=False`` is a thumbnail: no frame title,
    panel titles or legend (it writes its own numbers, and the plane gets the
    whole tile, so a square window stays square).
    """

    def __init__(
        self,
        history: History,
        data: Dataset,
        render: RenderConfig,
        indices: Sequence[int] | None = None,
        *,
        titles: bool = True,
    ) -> None:
        self.history, self.render, self.titles = history, render, titles
        self.indices = (
            tuple(indices)
            if indices is not None
            else scene.select_epochs(len(history), render.every, render.log_frames)
        )
        self.panels = scene.panel_defs(render.panels, history.model.n_hidden)
        self.size = auto_size(render.size, len(self.panels))
        self.spec = scene.build_spec(history, data, render.layer, render.grid, self.panels)
        self.limits: Mapping[str, scene.Limits] | None = (
            scene.fixed_limits(self.spec, history, self.indices) if render.axes == "fixed" else None
        )

    def __len__(self) -> int:
        return len(self.indices)

    def frame(self, index: int) -> scene.Frame:
        """The scene of history position ``index``, with its axis limits."""
        frame = scene.make_frame(self.spec, self.history.epochs[index], index, self.limits)
        # Blank, not empty: an untitled frame's title keeps its line in the layout.
        return frame if self.titles else replace(frame, title=" ", short_title=" ")

    def frames(self) -> Iterator[scene.Frame]:
        """Every frame to draw, in order, computed lazily (memory stays flat)."""
        for i in self.indices:
            yield self.frame(i)

    def info(self, index: int) -> dict[str, Any]:
        """What a writer may show beside frame ``index``: its epoch, title and metrics."""
        ep = self.history.epochs[index]
        return {"epoch": ep.epoch, "title": self.frame_title(index), "metrics": dict(ep.metrics)}

    def frame_title(self, index: int) -> str:
        ep = self.history.epochs[index]
        when = f"{ep.epoch} (step {ep.step})" if self.spec.sub_epoch else f"{ep.epoch}"
        return scene.title(self.spec, when, ep.metrics)

    def painter(self) -> Painter:
        """A painter laid out for this animation (fixed axes unless ``--axes per-frame``)."""
        from .paint import Painter

        return Painter(
            self.spec,
            self.frame(self.indices[0]),
            size=self.size,
            panels=self.panels,
            fixed=self.limits is not None,
            chrome=self.titles,
        )

    def palette_colors(self) -> Array:
        """(n, 3) uint8: the exact colours the frames are made of (for a GIF palette)."""
        from .paint import palette_colors

        return palette_colors(self.spec)
