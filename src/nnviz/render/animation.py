"""Something that yields frames: the training animation (``Animation``), and the protocol every source keeps.

A ``FrameSource`` is a scene (the fixed part), its panels, the history
positions to draw, the axis limits that hold for all of them (or None: each
frame fits its own), and ``frame(i)``. The engines, the writers, the sweep's
thumbnails and the benchmarks all take one; the morph (``render.morph``) is
another, so everything that draws training draws the morph too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from ..config import MAX_SIDE, SCHEMA, RenderConfig
from ..engine.data import Dataset
from ..engine.events import Event, find_events
from ..engine.history import History
from ..numbers import shown
from . import scene
from .paint import Painter, frame_palette
from .panels import Setup, build_panels
from .scene import Frame, Limits, Panel, Scene

Array = np.ndarray
PANEL_PX = 360  # a panel's width when the default frame widens for more than three of them
DEFAULT_SIZE = SCHEMA["render"]["size"].default
OnFrame = Callable[[int], None]  # told the count of frames written so far


class FrameSource(Protocol):
    """What an engine draws: frames of one scene, laid out once."""

    scene: Scene
    panels: tuple[Panel, ...]
    indices: tuple[int, ...]  # what ``frame`` takes, in drawing order
    size: tuple[int, int]
    limits: Mapping[str, Limits] | None  # the whole animation's axes; None: every frame its own
    titles: bool  # False: a thumbnail (no titles, legend or colour scale)
    captions: bool  # a line under each panel (and the events where they hold)

    def __len__(self) -> int: ...

    def frame(self, index: int) -> Frame: ...

    def info(self, index: int) -> dict[str, Any]:
        """What a writer may show beside frame ``index``: its epoch, title and metrics."""
        ...

    def layout_frame(self) -> Frame:
        """The frame the figure is laid out with (its ticks and title fix the layout)."""
        ...


def painter(source: FrameSource) -> Painter:
    """A painter laid out for ``source`` (blitting a fixed background unless every frame has its own axes)."""
    return Painter(
        source.scene,
        source.panels,
        source.layout_frame(),
        size=source.size,
        fixed=source.limits is not None,
        chrome=source.titles,
        captions=source.captions,
    )


def palette(source: FrameSource) -> Array:
    """(n, 3) uint8: the exact colours ``source``'s frames are made of (for a GIF palette)."""
    return frame_palette(source.scene, source.panels)


def frames(source: FrameSource) -> Iterator[scene.Frame]:
    """Every frame to draw, in order, computed lazily (memory stays flat)."""
    for i in source.indices:
        yield source.frame(i)


def auto_size(size: tuple[int, int], n_panels: int) -> tuple[int, int]:
    """The frame size for ``n_panels`` panels: the default widens past three, so panels stay readable.

    The default 1200x400 holds three 400-px panels; the layers view of a
    deep net has seven or more, which at 1200 px would be too narrow for
    their titles. Any other --size is the user's and is kept as given.
    """
    if tuple(size) != DEFAULT_SIZE or n_panels <= 3:
        return size
    return min(max(size[0], PANEL_PX * n_panels), MAX_SIDE), size[1]


class Animation:
    """The frames of ``history`` drawn with ``render`` settings: the training animation.

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
        events: Sequence[Event] | None = None,
    ) -> None:
        self.history, self.render, self.titles = history, render, titles
        self.captions = render.captions
        self.indices = (
            tuple(indices)
            if indices is not None
            else scene.select_epochs(len(history), render.every, render.log_frames)
        )
        self.scene = scene.build_scene(history, data, render.layer, render.grid)
        self.panels = build_panels(render.panels, Setup(self.scene, history, data, self.indices))
        self.size = auto_size(render.size, len(self.panels))
        self.limits: Mapping[str, scene.Limits] | None = (
            scene.fixed_limits(self.scene, self.panels, history, self.indices) if render.axes == "fixed" else None
        )
        # What happened in training (a dead unit, a plateau): the frames where it holds name it.
        self.events = tuple(events) if events is not None else find_events(history, data, positions=self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def panel(self, name: str) -> scene.Panel:
        """The panel named ``name`` (``KeyError`` when the animation does not draw it)."""
        for p in self.panels:
            if p.name == name:
                return p
        raise KeyError(name)

    def frame(self, index: int) -> scene.Frame:
        """The scene of history position ``index``, with its axis limits."""
        frame = scene.make_frame(self.scene, self.panels, self.history.epochs[index], index, self.limits)
        frame = replace(frame, notes=scene.notes(self.panels, self.events, index))
        # Blank, not empty: an untitled frame's title keeps its line in the layout.
        return frame if self.titles else replace(frame, title=" ", short_title=" ")

    def frames(self) -> Iterator[scene.Frame]:
        return frames(self)

    def layout_frame(self) -> scene.Frame:
        return self.frame(self.indices[0])

    def info(self, index: int) -> dict[str, Any]:
        ep = self.history.epochs[index]
        return {
            "epoch": ep.epoch,
            "title": self.frame_title(index),
            "metrics": dict(ep.metrics),
            "shown": shown(ep.metrics),
        }

    def frame_title(self, index: int) -> str:
        ep = self.history.epochs[index]
        return scene.title(self.scene, scene.when(self.scene, ep.epoch, ep.step), ep.metrics)

    def painter(self) -> Painter:
        return painter(self)

    def palette_colors(self) -> Array:
        return palette(self)
