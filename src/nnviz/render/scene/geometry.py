"""Planes, projections and limits: the geometry every panel draws in.

A panel shows two coordinates. ``Projection`` maps a layer's values (any
width) onto them, fixed for a whole animation; ``Grid`` is a regular grid over
a plane; limits are ``(xmin, xmax, ymin, ymax)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
# xmin, xmax, ymin, ymax (a 3-D panel's go on: zmin, zmax): one (low, high) pair per axis.
Limits = tuple[float, ...]

MARGIN = 0.1  # share of the data range added around it by the meshgrid
PAD = 0.05  # share of the range added around limits
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# Coordinates a panel may have at most. matplotlib's tick locator multiplies the
# range by up to ~100, and LAPACK's SVD fails or never returns, near the float
# maximum (1.8e308); no network that far out is worth drawing.
MAX_COORD = 1e300


def sub(name: str, j: int) -> str:
    """``sub("a", 0)`` is ``a₁``: the j-th (0-based) unit's name as the axes label it."""
    return f"{name}{str(j + 1).translate(SUBSCRIPTS)}"


@dataclass(frozen=True)
class Projection:
    """An affine map onto two axes: ``(h - mean) @ basis``."""

    mean: Array
    basis: Array  # (width, 2)
    labels: tuple[str, str]
    projected: bool = False
    identity_map: bool = False  # a 2-wide layer is drawn as it is

    def __call__(self, h: Array) -> Array:
        # The identity is the common case (2 hidden units); skipping the
        # subtract-and-multiply over 40,000 mesh points saves ~1 ms a frame.
        return h if self.identity_map else (h - self.mean) @ self.basis

    def inverse(self, uv: Array) -> Array:
        """Plane coordinates back to the full space (exact for points on the plane)."""
        return uv if self.identity_map else self.mean + uv @ self.basis.T

    @classmethod
    def identity(cls, labels: tuple[str, str]) -> Projection:
        return cls(np.zeros(2), np.eye(2), labels, identity_map=True)

    @classmethod
    def pca(cls, h: Array) -> Projection:
        """The two principal axes of ``h``, with a sign fixed so reruns agree."""
        mean = h.mean(axis=0)
        _, _, vt = np.linalg.svd(h - mean, full_matrices=False)
        basis = vt[:2].T.copy()
        if basis.shape[1] < 2:  # fewer points than two axes: pad with zeros
            basis = np.hstack([basis, np.zeros((basis.shape[0], 2 - basis.shape[1]))])
        for j in range(2):
            if basis[np.argmax(np.abs(basis[:, j])), j] < 0:
                basis[:, j] = -basis[:, j]
        return cls(mean, basis, ("PC1 (projection)", "PC2 (projection)"), projected=True)

    @classmethod
    def decision(cls, h: Array, w: Array) -> Projection | None:
        """Axes in which the output layer's decision is exact, for the last hidden layer's values ``h``.

        The output layer is affine in ``h``, so its logits change only along
        ``w``'s columns, and a boundary between two classes only along the
        difference of theirs. When those span at most two directions (one
        output: binary or regression; three classes), the panel shows them:
        the boundary is then the straight line (or lines) the output layer
        draws, and no point lands on the wrong side of it. One direction is
        completed by the data's principal axis across it. None when they span
        more (or none): the caller falls back to principal axes.
        """
        d = decision_directions(w)
        if d.shape[1] > 2 or not np.isfinite(d).all():
            return None
        q, r = np.linalg.qr(d)
        diag = np.abs(np.diag(r))
        keep = diag > 1e-9 * max(float(diag.max(initial=0.0)), np.finfo(float).tiny)
        if not keep.any():
            return None
        mean = h.mean(axis=0)
        free: tuple[int, ...]  # the axes whose sign is free
        if keep.all() and d.shape[1] == 2:
            basis, free = q[:, :2].copy(), (0, 1)
            labels = ("output axis 1 (projection)", "output axis 2 (projection)")
        else:
            j = int(np.argmax(keep))
            u = q[:, j] if q[:, j] @ d[:, j] >= 0 else -q[:, j]  # toward class 1 (or a larger prediction)
            basis, free = np.column_stack([u, _across(h - mean, u)]), (1,)
            labels = ("output axis (projection)", "PC1 across it (projection)")
        for j in free:  # a sign fixed as for principal axes, so reruns agree
            if basis[np.argmax(np.abs(basis[:, j])), j] < 0:
                basis[:, j] = -basis[:, j]
        return cls(mean, basis, labels, projected=True)


def decision_directions(w: Array) -> Array:
    """The directions of the last hidden layer the output layer's decision depends on, as columns.

    One output (binary, regression): its weights. Several: each class's
    weights minus the first class's, since only logit differences decide.
    """
    return w[:, 1:] - w[:, :1] if w.shape[1] > 1 else w


def _across(c: Array, u: Array) -> Array:
    """The unit direction orthogonal to ``u`` along which the centred data ``c`` varies most."""
    rest = c - np.outer(c @ u, u)
    _, _, vt = np.linalg.svd(rest, full_matrices=False)
    for v in [*vt, *np.eye(len(u))]:  # the data's axes first; any axis when it has none across u
        v = v - (v @ u) * u
        n = float(np.linalg.norm(v))
        if n > 1e-6:
            return v / n
    raise ValueError("no axis across the output direction")  # unreachable for width >= 2


def layer_view(h: Array, out_w: Array | None = None) -> Projection:
    """The fixed 2-D view of a layer wider than 2: the output's decision axes when they fit (``out_w``), else PCA.

    Raises ValueError when the axes are not finite.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        view = Projection.decision(h, out_w) if out_w is not None else None
        view = view or Projection.pca(h)
    if not (np.isfinite(view.mean).all() and np.isfinite(view.basis).all()):
        raise ValueError("non-finite projection axes")
    return view


@dataclass(frozen=True)
class Grid:
    """A regular grid over a plane: ``u`` (g,) by ``v`` (g,) nodes, rows along ``v``."""

    u: Array
    v: Array

    @classmethod
    def over(cls, lim: Limits, n: int) -> Grid:
        return cls(np.linspace(lim[0], lim[1], n), np.linspace(lim[2], lim[3], n))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.v), len(self.u)

    @property
    def extent(self) -> Limits:
        return float(self.u[0]), float(self.u[-1]), float(self.v[0]), float(self.v[-1])

    def points(self) -> Array:
        """Every node as (n, 2), row by row (the layout of ``np.meshgrid``)."""
        uu, vv = np.meshgrid(self.u, self.v)
        return np.column_stack([uu.ravel(), vv.ravel()])


# --- limits -------------------------------------------------------------------------


def bounds(*arrays: Array | None) -> Limits:
    """The box around every point of ``arrays`` (each reshaped to (n, 2))."""
    pts = np.concatenate([a.reshape(-1, 2) for a in arrays if a is not None and a.size])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def union(a: Limits | None, b: Limits) -> Limits:
    """The limits holding both ``a`` and ``b`` (any number of axes)."""
    if a is None:
        return b
    return tuple(min(u, v) if k % 2 == 0 else max(u, v) for k, (u, v) in enumerate(zip(a, b, strict=True)))


def pad(lim: Limits, share: float = PAD) -> Limits:
    """Limits grown by ``share`` of their range on each side (never empty), on every axis."""
    out: list[float] = []
    for lo, hi in zip(lim[::2], lim[1::2], strict=True):
        w = (hi - lo) or max(abs(lo), 1.0)
        out += [lo - share * w, hi + share * w]
    return tuple(out)


def drawable(lim: Limits) -> bool:
    """Whether axis limits are finite and within ``MAX_COORD`` (so a grid and ticks can be spread over them)."""
    return all(math.isfinite(v) and abs(v) <= MAX_COORD for v in lim)
