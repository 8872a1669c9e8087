"""The plane of a training path: the two principal directions of its parameters (Li et al. 2018).

Every saved network's parameters, flattened, minus the trained network's:
the two principal directions of what is left span the plane through the
trained network that holds as much of the path as any plane can. The loss
landscape panel (``landscape``) draws the training loss over it.

Two choices differ from loss-landscape's, for the same reason: what is
shown must be exactly what is computed.

- The directions come from the uncentred matrix (the rows are distances
  from the trained network, which is the plane's origin), so the explained
  fraction is exactly 1 - (squared distance of the path from the plane) /
  (its squared distance from the trained network): what the projection
  loses, nothing else. sklearn's PCA centres the rows on their mean, a
  point off the plane it is drawn through.
- Each direction's sign is fixed (the path's farthest point along it is on
  the negative side, so training runs left to right, toward the trained
  network at the origin): an eigensolver may return either sign, and
  reruns must draw the same picture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ...engine.history import Epoch

Array = np.ndarray
Params = tuple[Array, ...]

MIN_EPOCHS = 3  # two directions need three points (the trained network and two more)
MAX_FIT_ROWS = 1024  # snapshots the directions are fitted to (evenly spaced); every one is projected
CHUNK_FLOATS = 2**22  # floats of one block of the trajectory matrix (32 MiB), however long the run
FLAT = 1e-8  # second singular value / first below this: the path is a straight line


@dataclass(frozen=True)
class Plane:
    """The plane through the trained network along the path's two principal directions.

    ``directions`` are orthonormal (dot products summed over every
    parameter), each shaped like ``origin``; ``coords`` hold every epoch's
    projection (E, 2); ``ratios`` the share of the path's squared distance
    from the trained network along each direction, ``explained`` their sum.
    """

    origin: Params
    directions: tuple[Params, Params]
    coords: Array
    ratios: tuple[float, float]

    @property
    def explained(self) -> float:
        return min(1.0, self.ratios[0] + self.ratios[1])

    def params_at(self, u: float, v: float) -> Params:
        """The network at plane coordinates (u, v): origin + u d1 + v d2."""
        d1, d2 = self.directions
        return tuple(o + u * a + v * b for o, a, b in zip(self.origin, d1, d2))


def dot(a: Params, b: Params) -> float:
    return float(sum(np.dot(x.ravel(), y.ravel()) for x, y in zip(a, b)))


def _column_blocks(origin: Params, rows: int) -> Iterable[tuple[int, slice]]:
    """(tensor, slice of its flat values) blocks of at most ``CHUNK_FLOATS`` over ``rows`` rows."""
    width = max(1, CHUNK_FLOATS // max(rows, 1))
    for k, o in enumerate(origin):
        for start in range(0, o.size, width):
            yield k, slice(start, min(start + width, o.size))


def _block(epochs: Sequence[Epoch], origin: Params, k: int, cols: slice) -> Array:
    """(rows, cols) of the trajectory matrix: each epoch's parameters minus the trained network's."""
    return np.stack([ep.params[k].ravel()[cols] for ep in epochs]) - origin[k].ravel()[cols]


def principal_plane(epochs: Sequence[Epoch]) -> Plane | str:
    """The plane of ``epochs``' trajectory, or why there is none (a sentence for the panel).

    The Gram matrix of the rows (the fitted snapshots' distances from the
    trained network) gives the singular vectors without the matrix itself,
    built block by block so memory stays bounded for any run.
    """
    if len(epochs) < MIN_EPOCHS:
        shown = "1 epoch" if len(epochs) == 1 else f"{len(epochs)} epochs"
        return f"needs {MIN_EPOCHS} or more epochs\n(this run has {shown})"
    origin = tuple(np.asarray(p, dtype=np.float64) for p in epochs[-1].params)
    fit_at = np.unique(np.linspace(0, len(epochs) - 1, min(len(epochs), MAX_FIT_ROWS)).round().astype(int))
    fit = [epochs[i] for i in fit_at]
    gram = np.zeros((len(fit), len(fit)))
    for k, cols in _column_blocks(origin, len(fit)):
        block = _block(fit, origin, k, cols)
        gram += block @ block.T
    values, vectors = np.linalg.eigh(gram)  # ascending
    top = values[::-1][:2]
    if not top[0] > 0:
        return "the parameters never moved:\nthere is no path to draw"
    if not top[1] > (FLAT**2) * top[0]:
        return "the path is a straight line:\nit has no second direction"
    weights = vectors[:, ::-1][:, :2] / np.sqrt(top)  # rows -> unit directions
    flat = [np.zeros((o.size, 2)) for o in origin]
    for k, cols in _column_blocks(origin, len(fit)):
        flat[k][cols] = _block(fit, origin, k, cols).T @ weights
    d1 = tuple(f[:, 0].reshape(o.shape) for f, o in zip(flat, origin))
    d2 = tuple(f[:, 1].reshape(o.shape) for f, o in zip(flat, origin))
    d1, d2 = _orthonormal(d1, d2)
    coords, spread = _project(epochs, origin, (d1, d2))
    # The path's farthest point along each direction is on its negative side.
    signs = np.where(coords[np.abs(coords).argmax(axis=0), [0, 1]] > 0, -1.0, 1.0)
    coords = coords * signs
    d1 = tuple(signs[0] * a for a in d1)
    d2 = tuple(signs[1] * a for a in d2)
    share = (coords**2).sum(axis=0) / spread
    return Plane(origin, (d1, d2), coords, (float(share[0]), float(share[1])))


def _orthonormal(a: Params, b: Params) -> tuple[Params, Params]:
    """Gram-Schmidt in float64: the eigenvectors are orthonormal only to rounding."""
    na = math.sqrt(dot(a, a))
    a = tuple(x / na for x in a)
    proj = dot(a, b)
    b = tuple(y - proj * x for x, y in zip(a, b))
    nb = math.sqrt(dot(b, b))
    return a, tuple(y / nb for y in b)


def _project(epochs: Sequence[Epoch], origin: Params, dirs: tuple[Params, Params]) -> tuple[Array, float]:
    """Every epoch's plane coordinates (E, 2), and the path's total squared distance from the origin."""
    coords = np.zeros((len(epochs), 2))
    spread = 0.0
    for i, ep in enumerate(epochs):
        d = tuple(p - o for p, o in zip(ep.params, origin))
        coords[i] = dot(d, dirs[0]), dot(d, dirs[1])
        spread += dot(d, d)
    return coords, spread
