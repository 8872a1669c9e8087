"""One fixed palette for a whole animation, and frames mapped to it.

The GIF needs a palette; ``--colors palette`` gives every other format the
GIF's pixels too (``Writer`` maps each frame before encoding), which a
lossless WebP or the HTML player stores in about half the GIF's bytes,
where the renderer's full antialiased colours cost more than the GIF.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

Array = np.ndarray

# 63 colours hold the banded surfaces (paint.LEVELS steps), the class colours and
# the antialiasing of text and lines. Fewer colours mean longer runs of one
# index, which LZW packs tighter: the default GIF is ~25% smaller than with 255.
GIF_COLORS = 63
NEAR = 8  # per channel: a Pillow colour-cache cell is 8 levels of red and blue, 4 of green


def build_palette(sample: Array, colors: int = GIF_COLORS, fixed: Array | None = None) -> Image.Image:
    """A fixed palette of at most ``colors`` entries from an RGB sample image.

    ``fixed`` colours ((n, 3) uint8) are included exactly; median cut of the
    sample fills the rest. Median cut is deterministic, so the same sample
    gives the same palette.
    """
    fixed = np.zeros((0, 3), np.uint8) if fixed is None else np.asarray(fixed, np.uint8).reshape(-1, 3)[:colors]
    img = Image.fromarray(np.ascontiguousarray(sample, dtype=np.uint8), "RGB")
    q = img.quantize(max(1, colors - len(fixed)), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    counts, table = q.getcolors(256), q.getpalette()
    assert counts is not None and table is not None  # a P image of at most 256 colours has both
    used = sorted(int(c) for _, c in counts)  # type: ignore[arg-type]  # P-mode colours are indices
    found = np.array(table[: 3 * (max(used) + 1)], dtype=np.uint8).reshape(-1, 3)[used]
    if len(fixed):
        # Pillow maps a pixel to the palette through a coarse colour cache, so a
        # median-cut colour next to a fixed one can win its pixels: (253, 253, 253)
        # took pure white's, and backgrounds came out off-white. Keep them apart.
        gap = np.abs(found[:, None, :].astype(int) - fixed[None, :, :].astype(int)).max(axis=2).min(axis=1)
        found = found[gap > NEAR]
    rgb = np.vstack([fixed, found])
    _, first = np.unique(rgb, axis=0, return_index=True)
    rgb = rgb[np.sort(first)][:colors]
    pal = Image.new("P", (1, 1))
    pal.putpalette(rgb.ravel().tobytes())  # exactly len(used) entries: the index past them stays free
    return pal


def as_palette(sample: Any, fixed: Array | None = None) -> Image.Image:
    """``sample`` as a palette: a ``P`` image is one already; an RGB array goes through ``build_palette``."""
    return sample if isinstance(sample, Image.Image) else build_palette(sample, fixed=fixed)


def in_palette(frame: Array, palette: Image.Image) -> Array:
    """``frame`` with every pixel replaced by its palette colour, exactly as the GIF maps it (no dither)."""
    img = Image.fromarray(np.ascontiguousarray(frame), "RGB")
    return np.asarray(img.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB"))
