"""Decision boundaries on a plane, each point moved onto the exact boundary.

contourpy traces the boundary on the meshgrid, but its points are linear
interpolations between grid nodes. That error is invisible in the input
plane and not after a deep network has stretched it: mapped forward, the
points scatter around the true boundary (for the last hidden layer, a
straight line) in a zigzag. So each point is moved onto the true boundary
first, by bisection along the grid edge it lies on, on the network's logits.
"""

from __future__ import annotations

from collections.abc import Callable

import contourpy  # NumPy-only C extension; matplotlib depends on it
import numpy as np

from .geometry import Grid

Array = np.ndarray

# Bisection halvings, then one secant step through the last bracket. At 16
# the logit left at the points is below 1e-9 even in the spiral's 16-16-2
# net, for ~18 small forward passes (1-5 ms a frame).
REFINE_STEPS = 16


def margin(logits: Array, cls: Array) -> Array:
    """Positive where class ``cls`` (per point) wins, zero on its boundary.

    Logits, not probabilities: the heads (sigmoid, softmax) are monotone so
    the zero set is the same, and logits are far closer to linear, which the
    final secant step relies on.
    """
    if logits.shape[1] == 1:  # binary: sigmoid(logit) = 0.5 exactly at logit 0
        return logits[:, 0]
    rows = np.arange(len(logits))
    own = logits[rows, cls]
    logits = logits.copy()
    logits[rows, cls] = -np.inf
    return own - logits.max(axis=1)


def _traced(task: str, grid: Grid, out: Array) -> list[tuple[int, Array]]:
    """Rough boundary polylines on ``grid``, each with the class it bounds."""
    if task == "binary":
        fields: list[tuple[int, Array]] = [(0, out.reshape(len(out), -1)[:, 0] - 0.5)]
    elif task == "multiclass":
        # Where the winning class changes: the zero line of each class's margin.
        fields = [(k, out[:, k] - np.delete(out, k, axis=1).max(axis=1)) for k in range(out.shape[1])]
    else:
        return []
    lines: list[tuple[int, Array]] = []
    for k, values in fields:
        if values.max() <= 0 or values.min() >= 0:
            continue
        gen = contourpy.contour_generator(grid.u, grid.v, values.reshape(grid.shape), line_type="Separate")
        # Separate lines are (m, 2) arrays; asarray (no copy) says so to the type checker.
        lines += [(k, np.asarray(ln)) for ln in gen.lines(0.0) if len(ln) > 1]
    return lines


def _edge_ends(grid: Grid, pts: Array) -> tuple[Array, Array]:
    """The two grid nodes at the ends of the cell edge each contour point lies on.

    contourpy puts every point on a cell edge, so one coordinate sits on a
    grid line (a whole fractional index) and the other between two nodes.
    """
    nodes = (grid.u, grid.v)
    frac = np.column_stack([(pts[:, j] - nodes[j][0]) / (nodes[j][1] - nodes[j][0]) for j in (0, 1)])
    on_line = np.abs(frac - frac.round()).argmin(axis=1)  # 0: u is a grid value, 1: v is
    size = np.array([len(grid.u), len(grid.v)])
    lo = np.clip(np.floor(frac).astype(int), 0, size - 2)
    rows = np.arange(len(pts))
    lo[rows, on_line] = np.clip(frac[rows, on_line].round().astype(int), 0, size[on_line] - 1)
    hi = lo.copy()
    hi[rows, 1 - on_line] += 1

    def at(idx: Array) -> Array:
        return np.column_stack([nodes[0][idx[:, 0]], nodes[1][idx[:, 1]]])

    return at(lo), at(hi)


def _bisect(f: Callable[[Array], Array], a: Array, b: Array, fallback: Array) -> Array:
    """Zeros of ``f`` on the segments a[i]-b[i], all at once.

    Halves every bracket ``REFINE_STEPS`` times, then takes the secant
    through the last bracket. Segments whose ends do not straddle zero keep
    their ``fallback`` point.
    """
    fa, fb = f(a), f(b)
    bracketed = np.sign(fa) * np.sign(fb) <= 0
    for _ in range(REFINE_STEPS):
        m = 0.5 * (a + b)
        fm = f(m)
        left = np.sign(fm) == np.sign(fa)  # the zero is between m and b
        a, fa = np.where(left[:, None], m, a), np.where(left, fm, fa)
        b, fb = np.where(left[:, None], b, m), np.where(left, fb, fm)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.nan_to_num(fa / (fa - fb), nan=0.5), 0.0, 1.0)
    return np.where(bracketed[:, None], a + t[:, None] * (b - a), fallback)


def boundaries(task: str, grid: Grid, out: Array, logits_of: Callable[[Array], Array]) -> list[Array]:
    """Decision boundary polylines on a plane, each point moved onto the exact boundary.

    ``out`` is the network's output at the grid's nodes; ``logits_of(points)``
    the logits at any points of the plane, which the refinement bisects on.
    """
    traced = _traced(task, grid, out)
    if not traced:
        return []
    pts = np.concatenate([ln for _, ln in traced])
    cls = np.concatenate([np.full(len(ln), k) for k, ln in traced])
    a, b = _edge_ends(grid, pts)
    exact = _bisect(lambda uv: margin(logits_of(uv), cls), a, b, fallback=pts)
    return np.split(exact, np.cumsum([len(ln) for _, ln in traced])[:-1])
