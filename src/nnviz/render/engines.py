"""Render engines: a frame source in, pixels into a writer out.

``ENGINES`` is the only list of engine names. An engine is made from any
``FrameSource`` (the training animation, the morph); ``still(i)`` paints one
frame (the poster, the palette sample) and ``write(writer, ...)`` streams
every frame into an open writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .animation import FrameSource, OnFrame, painter
from .celluloid import CelluloidEngine
from .parallel import painted

Array = np.ndarray


class Engine(Protocol):
    def still(self, index: int) -> Array: ...
    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        """Every frame into ``writer``; returns a copy of the last one (the poster)."""
        ...

    def close(self) -> None: ...


class StreamEngine:
    """One figure drawn in place (blitted), frames streamed: memory stays flat."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.painter = painter(source)

    def still(self, index: int) -> Array:
        return self.painter.render(self.source.frame(index))

    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        indices = self.source.indices
        pixels = np.empty((0, 0, 3), np.uint8)
        for n, (i, pixels) in enumerate(zip(indices, painted(self.still, indices, workers)), start=1):
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
