"""The forward passes a frame needs, under rendering's error policy, in slices of bounded memory.

Every pass is ``nn.forward(..., finite=True)``: a diverging run's overflow is
clipped to finite values (and refused later if still out of range) instead of
NumPy warning. The meshgrid's pass runs over row slices once it would hold
too many bytes, and each panel keeps only what it draws of each slice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ...engine import nn

Array = np.ndarray

# The meshgrid pass keeps every layer's z and a for every mesh point: at --grid
# 1000 and --hidden 1024 that is 16 GB at once. Past this many bytes the pass
# runs over slices of the mesh's rows and keeps only what the frame shows (two
# plane coordinates per space), so memory stays bounded whatever the grid and
# width. Below it (every default run) the pass is one call, as it always was.
CHUNK_BYTES = 64 * 2**20


def trace(model: nn.Model, params: Sequence[Array], X: Array, **kwargs: object) -> nn.Trace:
    """``X`` through the network, every value finite (``nn.forward``'s rendering policy)."""
    return nn.forward(model, params, X, finite=True, **kwargs)  # type: ignore[arg-type]


def pass_row_bytes(model: nn.Model) -> int:
    """Bytes one input row costs in ``nn.forward``: the row, then every layer's z and a (float64)."""
    return 8 * (model.sizes[0] + 2 * sum(model.sizes[1:]))


def chunk_rows(model: nn.Model, row_bytes: int = 0) -> int:
    """Mesh rows per slice so that one slice's pass (``row_bytes`` a row at least) stays within ``CHUNK_BYTES``."""
    return max(1, CHUNK_BYTES // max(pass_row_bytes(model), row_bytes))


def in_chunks(f: Callable[[slice], tuple[Array, ...]], n: int, rows: int) -> tuple[Array, ...]:
    """``f(s)`` over slices ``s`` of ``n`` rows, ``rows`` at a time, each output concatenated.

    ``f`` cuts its own inputs (the mesh, a base column) with the slice. One
    slice (the usual case) is one plain call, with the same arithmetic as ever.
    """
    if n <= rows:
        return f(slice(0, n))
    parts = [f(slice(i, min(i + rows, n))) for i in range(0, n, rows)]
    return tuple(np.concatenate(col) for col in zip(*parts, strict=True))
