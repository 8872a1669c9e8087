"""Render engines: an Animation in, pixels into a writer out.

``ENGINES`` is the only list of engine names. An engine is made from an
``Animation``; ``still(i)`` paints one frame (the poster, the palette
sample) and ``write(writer, ...)`` streams every frame into an open writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .animation import Animation
from .parallel import painted

Array = np.ndarray
OnFrame = Callable[[int], None]  # called with the count of frames written so far


class Engine(Protocol):
    def still(self, index: int) -> Array: ...
    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        """Every frame into ``writer``; returns a copy of the last one (the poster)."""
        ...

    def close(self) -> None: ...


class StreamEngine:
    """One figure drawn in place (blitted), frames streamed: memory stays flat."""

    def __init__(self, anim: Animation) -> None:
        self.anim = anim
        self.painter = anim.painter()

    def still(self, index: int) -> Array:
        return self.painter.render(self.anim.frame(index))

    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        indices = self.anim.indices
        pixels = np.empty((0, 0, 3), np.uint8)
        for n, (i, pixels) in enumerate(zip(indices, painted(self.still, indices, workers)), start=1):
            writer.write(pixels, self.anim.info(i))
            if on_frame:
                on_frame(n)
        return pixels.copy()

    def close(self) -> None:
        self.painter.close()


def _celluloid(anim: Animation) -> Engine:
    from .celluloid import CelluloidEngine

    return CelluloidEngine(anim)


ENGINES: dict[str, Callable[[Animation], Engine]] = {
    "stream": StreamEngine,
    "celluloid": _celluloid,  # imported on use: it is the slow reference, rarely wanted
}
