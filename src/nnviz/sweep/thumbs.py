"""Per-run thumbnails: one run's input space, small, as ``thumb.gif``.

Each worker renders its run's thumbnail as part of the run (``write_thumb``),
so the comparison's serial part is only decoding and pasting. The gallery
reads these files; the runner writes them. Living here, not in the gallery,
keeps the import graph one-way: runner -> thumbs <- gallery.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config, RenderConfig
from ..numbers import metric

Array = np.ndarray

THUMB = "thumb.gif"  # each run's input-space-only GIF: the comparison's tiles
TILE = 180  # px per side of one run's input panel in the comparison
THUMB_GRID = 80  # meshgrid points per axis at most in a thumbnail
METRICS_H = 14  # px of the per-epoch numbers strip inside each thumbnail
MAX_FRAMES = 60  # thumbnail frames at most: longer runs step over epochs
TEXT_RGB = (30, 30, 30)  # the numbers and labels written on the tiles


def font(size: int) -> Any:
    """DejaVu Sans, the font of the frames (matplotlib ships it, pinned): PIL's own default font ran
    small text together ("acc94.0% loss0.166")."""
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)


def text_strip(width: int, height: int, text: str, size: int = 12) -> Array:
    """A white strip with ``text`` centred on it."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(img).text((width // 2, height // 2), text, fill=TEXT_RGB, font=font(size), anchor="mm")
    return np.asarray(img)


def preview_timing(render: RenderConfig) -> dict[str, float]:
    """The thumbnails' and the comparison's ``fps`` and ``hold``, as GifWriter takes them.

    They are GIFs whatever the run's format, so they play at the run's speed or the
    fastest a GIF plays (a 60 fps MP4 sweep must not fail on them), and hold the
    end at least a second, so the final state does not flash by in the gallery.
    """
    from ..render.writers import GifWriter

    top = GifWriter.max_fps
    return {"fps": render.fps if top is None else min(render.fps, top), "hold": max(render.hold, 1.0)}


def thumb_step(cfg: Config) -> int:
    """Epochs between thumbnail frames: ``render.every``, coarser for long runs."""
    return max(cfg.render.every, math.ceil((cfg.train.epochs + 1) / MAX_FRAMES))


def thumb_epochs(cfg: Config, last: int) -> tuple[int, ...]:
    """The epochs a run's thumbnail shows: every ``thumb_step`` before ``last``, then ``last``."""
    return (*range(0, last, thumb_step(cfg)), last)


class _Tiles:
    """One run's input space, painted small, epoch by epoch, through the shared Animation.

    The painter's own title (epoch, metrics) would crowd a panel this narrow,
    so frames go in untitled and a compact line of numbers is written in a
    strip above each tile instead.
    """

    def __init__(self, cfg: Config, history: Any, data: Any, tile: int) -> None:
        from ..render.animation import Animation

        self.history, self.tile = history, tile
        # The last snapshot at or before each epoch: a sub-epoch history has several
        # snapshots in an epoch, or none in a short one.
        numbers = [ep.epoch for ep in history.epochs]
        self.epochs = thumb_epochs(cfg, numbers[-1])
        self.position = {e: bisect.bisect_right(numbers, e) - 1 for e in self.epochs}
        small = replace(
            cfg.render, size=(tile, tile), panels=("input",), grid=min(cfg.render.grid, THUMB_GRID), axes="fixed"
        )
        self.anim = Animation(history, data, small, [self.position[e] for e in self.epochs], titles=False)
        self.painter = self.anim.painter()

    def render(self, epoch: int) -> Array:
        """The tile for ``epoch`` (a fresh array): the numbers strip over the input panel."""
        i = self.position[epoch]
        pixels = self.painter.render(self.anim.frame(i))
        strip = text_strip(self.tile, METRICS_H, _numbers(self.history.epochs[i]), 10)
        return np.concatenate([strip, pixels])

    def close(self) -> None:
        self.painter.close()


def _numbers(ep: Any) -> str:
    """``epoch 50  acc 93.3%  loss 0.177``"""
    shown = (metric(name, ep.metrics[name]) for name in ("accuracy", "rmse", "loss") if name in ep.metrics)
    return "  ".join([f"epoch {ep.epoch}", *shown])


def write_thumb(cfg: Config, history: Any, data: Any, dest: Path, tile: int = TILE) -> Path:
    """A small input-space-only GIF of one run: the comparison's tiles.

    Rendering these in the workers keeps the comparison's serial part to
    decoding and pasting.
    """
    from ..render.writers import GifWriter

    tiles = _Tiles(cfg, history, data, tile)
    try:
        sample = np.concatenate([tiles.render(tiles.epochs[0]).copy(), tiles.render(tiles.epochs[-1])])
        # The run's own exact colours (white above all): tiles side by side must not differ in shade.
        colors = np.vstack([tiles.anim.palette_colors(), np.array([TEXT_RGB], np.uint8)])
        with GifWriter(dest, **preview_timing(cfg.render), sample=sample, colors=colors) as writer:
            for epoch in tiles.epochs:
                writer.write(tiles.render(epoch))
    finally:
        tiles.close()
    return dest
