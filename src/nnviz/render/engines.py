"""Render engines: a frame source in, pixels into a writer out.

``ENGINES`` is the only list of engine names. An engine is made from any
``FrameSource`` (the training animation, the morph); ``still(i)`` paints one
frame (the poster), ``sample(indices)`` the palette's sample, and ``write(writer, ...)`` streams
every frame into an open writer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .animation import FrameSource, OnFrame, painter
from .celluloid import CelluloidEngine
from .parallel import painted

Array = np.ndarray


class Engine(Protocol):
    def still(self, index: int) -> Array: ...
    def sample(self, indices: Sequence[int]) -> Array:
        """The frames at ``indices`` stacked (a palette's sample); ``write`` may reuse them."""
        ...

    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        """Every frame into ``writer``; returns a copy of the last one (the poster)."""
        ...

    def close(self) -> None: ...


class StreamEngine:
    """One figure drawn in place (blitted), frames streamed: memory stays flat."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.painter = painter(source)
        self._sampled: dict[int, Array] = {}  # frames painted for the palette, painted once

    def still(self, index: int) -> Array:
        return self.painter.render(self.source.frame(index))

    def sample(self, indices: Sequence[int]) -> Array:
        # A frame's pixels do not depend on what was painted before it, so the
        # stream takes these copies instead of painting the same frames again.
        for i in indices:
            self._sampled[i] = self.still(i).copy()
        return np.concatenate([self._sampled[i] for i in indices])

    def _frame(self, index: int) -> Array:
        kept = self._sampled.pop(index, None)
        return kept if kept is not None else self.still(index)

    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        indices = self.source.indices
        pixels = np.empty((0, 0, 3), np.uint8)
        for n, (i, pixels) in enumerate(zip(indices, painted(self._frame, indices, workers)), start=1):
            writer.write(pixels, self.source.info(i))
            if on_frame:
                on_frame(n)
        return pixels.copy()

    def close(self) -> None:
        self.painter.close()


ENGINES: dict[str, Callable[[FrameSource], Engine]] = {
    "stream": StreamEngine,
    "celluloid": CelluloidEngine,  # the slow reference: fresh artists every frame, as the blog drew them
}
