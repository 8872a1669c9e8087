"""The 3-D panels' geometry, NumPy only: the turning camera, a wide layer's fixed 3-D view, and the
output layer's planes clipped to the axes box (``render/panels/space3d.py`` draws them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .geometry import Limits, decision_directions

Array = np.ndarray

# The camera: a fixed elevation, and an azimuth that moves the same number of
# degrees every frame whatever --every is (a full turn in 18 s at 10 fps).
ELEV = 20.0
AZIM0 = -60.0  # matplotlib's own starting azimuth
DEG_PER_FRAME = 2.0
BOX = (1.0, 1.0, 1.0)  # each axis its own range in a cube: the box never changes shape as limits are fixed


def azimuth(k: int, last: int, end: float = AZIM0) -> float:
    """The camera's azimuth in degrees at frame ``k`` of ``0..last``: it reaches ``end`` at the last; in [-180, 180)."""
    return (end - DEG_PER_FRAME * (last - k) + 180.0) % 360.0 - 180.0


POSTER_COS = 0.6  # the last frame sees the trained plane ~53 degrees off its normal: tilted, both sides in view


def end_azimuth(normal: Array, spans: Array) -> float:
    """The azimuth the camera ends at: where it sees a plane with ``normal`` (over a box of ``spans``) obliquely.

    Face-on a plane hides which side points are on; edge-on it is a line.
    The last frame is the poster and the held end of the animation, so it
    is the one angle chosen: a whole degree, nearest ``POSTER_COS`` of the
    angle to the normal, the one nearest matplotlib's own on a tie.
    """
    m = normal * spans / np.array(BOX)
    size = float(np.linalg.norm(m))
    if not np.isfinite(size) or size == 0.0:
        return AZIM0
    angles = AZIM0 + np.arange(360.0)  # from matplotlib's own azimuth, so the first of a tie is nearest it
    cos = np.abs(np.array([view_direction(a, ELEV) @ m for a in angles])) / size
    return float((angles[int(np.argmin(np.abs(cos - POSTER_COS)))] + 180.0) % 360.0 - 180.0)


def view_direction(azim: float, elev: float) -> Array:
    """The unit direction from the box's centre toward matplotlib's camera (vertical axis z)."""
    e, a = np.deg2rad(elev), np.deg2rad(azim)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def faces_camera(normal: Array, lim: Limits, azim: float, elev: float) -> bool:
    """Whether the side ``p . normal > 0`` of a plane faces an orthographic camera over box ``lim``.

    The box maps each axis's range onto ``BOX``; a plane's normal changes with
    that scaling as ``n_i * range_i / box_i``, and the camera at infinity sees
    the side its direction points into.
    """
    spans = np.array([lim[1] - lim[0], lim[3] - lim[2], lim[5] - lim[4]]) / np.array(BOX)
    return bool((normal * spans) @ view_direction(azim, elev) > 0)


# --- the geometry: a fixed view of the layer, and the output's planes clipped to the box --------


@dataclass(frozen=True)
class View3:
    """A layer's values onto the panel's three axes, ``(h - mean) @ basis``, fixed for the animation.

    ``exact``: the output layer's decision depends only on these axes (a
    3-wide layer, or the decision axes of a wider last layer), so its planes
    drawn here separate the points as the network does.
    """

    mean: Array
    basis: Array | None  # (width, 3); None: the layer is 3 wide and drawn as it is
    labels: tuple[str, str, str]
    exact: bool = True

    @property
    def projected(self) -> bool:
        return self.basis is not None

    def __call__(self, h: Array) -> Array:
        return h if self.basis is None else (h - self.mean) @ self.basis

    def affine(self, w: Array, b: Array) -> tuple[Array, Array]:
        """The output layer ``h @ w + b`` in view coordinates: ``p @ n + c`` (exact for points on the view)."""
        if self.basis is None:
            return w, b
        return self.basis.T @ w, self.mean @ w + b


def _sign_fixed(basis: Array, free: Sequence[int]) -> Array:
    for j in free:  # as for the 2-D panels' principal axes, so reruns agree
        if basis[np.argmax(np.abs(basis[:, j])), j] < 0:
            basis[:, j] = -basis[:, j]
    return basis


def _completed(c: Array, q: Array) -> Array:
    """Orthonormal columns ``q`` completed to three by the centred data ``c``'s principal axes across them."""
    cols = [q[:, j] for j in range(q.shape[1])]
    rest = c - (c @ q) @ q.T if q.size else c
    _, _, vt = np.linalg.svd(rest, full_matrices=False)
    for v in [*vt, *np.eye(c.shape[1])]:  # the data's axes first; any axis when it has none left
        if len(cols) == 3:
            break
        for u in cols:
            v = v - (v @ u) * u
        n = float(np.linalg.norm(v))
        if n > 1e-6:
            cols.append(v / n)
    return np.column_stack(cols)


def view_of(h: Array, out_w: Array | None) -> View3:
    """The fixed view of a layer wider than 3: the output's decision axes completed by principal axes, else PCA.

    As ``geometry.layer_view`` does in 2-D; raises ValueError when the axes are not finite.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        mean = h.mean(axis=0)
        c = h - mean
        d = decision_directions(out_w) if out_w is not None else None
        if d is not None and d.shape[1] <= 3 and np.isfinite(d).all():
            q, r = np.linalg.qr(d)
            diag = np.abs(np.diag(r))
            keep = diag > 1e-9 * max(float(diag.max(initial=0.0)), np.finfo(float).tiny)
            q = q[:, keep] * np.sign(np.sum(q[:, keep] * d[:, keep], axis=0))  # toward class 1 (or each class)
            k = q.shape[1]
            if k:
                basis = _sign_fixed(_completed(c, q), range(k, 3))
                names = ["output axis"] if k == 1 else [f"output axis {j + 1}" for j in range(k)]
                names += [f"PC{j + 1} across" for j in range(3 - k)]
                return _finite(View3(mean, basis, (names[0], names[1], names[2]), exact=True))
        _, _, vt = np.linalg.svd(c, full_matrices=False)
        basis = _sign_fixed(_completed(c, vt[:3].T.copy()), range(3))
        return _finite(View3(mean, basis, ("PC1", "PC2", "PC3"), exact=False))


def _finite(view: View3) -> View3:
    if not (np.isfinite(view.mean).all() and (view.basis is None or np.isfinite(view.basis).all())):
        raise ValueError("non-finite projection axes")
    return view


def clip(poly: Array, normal: Array, offset: float) -> Array:
    """The convex polygon ``poly`` (m, 3) cut to the half-space ``p . normal + offset >= 0`` (Sutherland-Hodgman).

    A vertex made on an edge is interpolated between the edge's ends, so it
    stays on the polygon's plane.
    """
    if not len(poly):
        return poly
    s = poly @ normal + offset
    out = []
    for i in range(len(poly)):
        j = (i + 1) % len(poly)
        if s[i] >= 0:
            out.append(poly[i])
        if (s[i] >= 0) != (s[j] >= 0):
            t = s[i] / (s[i] - s[j])
            out.append(poly[i] + t * (poly[j] - poly[i]))
    return np.array(out).reshape(-1, 3)


def box_halfspaces(lim: Limits) -> list[tuple[Array, float]]:
    """The axes box as six half-spaces ``p . n + c >= 0``."""
    out = []
    for k in range(3):
        e = np.eye(3)[k]
        out += [(e, -lim[2 * k]), (-e, lim[2 * k + 1])]
    return out


def plane_in_box(normal: Array, offset: float, lim: Limits, cuts: Iterable[tuple[Array, float]] = ()) -> Array:
    """The plane ``p . normal + offset = 0`` inside the box ``lim`` (and the half-spaces ``cuts``): a polygon (m, 3).

    Empty when the plane misses the box, or its normal is zero.
    """
    nn2 = float(normal @ normal)
    if not np.isfinite(nn2) or nn2 <= 0.0:
        return np.empty((0, 3))
    lo, hi = np.array(lim[0::2]), np.array(lim[1::2])
    centre = (lo + hi) / 2
    foot = centre - (centre @ normal + offset) / nn2 * normal  # the plane's point nearest the box's centre
    u = np.linalg.svd(normal[None, :])[2][1:]  # two unit directions in the plane
    r = 2.0 * float(np.linalg.norm(hi - lo)) + float(np.linalg.norm(foot - centre))
    poly = np.array([foot + r * (sa * u[0] + sb * u[1]) for sa, sb in ((1, 1), (-1, 1), (-1, -1), (1, -1))])
    for n, c in [*box_halfspaces(lim), *cuts]:
        poly = clip(poly, n, c)
    return poly if len(poly) >= 3 else np.empty((0, 3))


@dataclass(frozen=True)
class Plane:
    """One piece of the output's decision boundary: ``p . normal + offset = 0``, ``classes`` (below, above) it."""

    polygon: Array  # (m, 3) inside the box
    normal: Array
    offset: float
    classes: tuple[int, int]


def output_planes(n: Array, c: Array, lim: Limits) -> tuple[Plane, ...]:
    """The output layer ``p @ n + c``'s decision boundary in the box ``lim``, as planes.

    One output (binary): its logit's zero plane, class 0 below and 1 above.
    Several: for each pair of classes the plane where their logits tie,
    only where those two beat every other class (the faces between the
    decision regions).
    """
    if n.shape[1] == 1:
        return (Plane(plane_in_box(n[:, 0], float(c[0]), lim), n[:, 0], float(c[0]), (0, 1)),)
    k = n.shape[1]
    out = []
    for i in range(k):
        for j in range(i + 1, k):
            normal, offset = n[:, i] - n[:, j], float(c[i] - c[j])  # > 0: class i beats class j
            beats = [(n[:, i] - n[:, m], float(c[i] - c[m])) for m in range(k) if m not in (i, j)]  # i (= j) wins
            poly = plane_in_box(normal, offset, lim, beats)
            if len(poly):
                out.append(Plane(poly, normal, offset, (j, i)))
    return tuple(out)


def bounds3(*arrays: Array | None) -> Limits:
    """The box around every point of ``arrays`` (each reshaped to (n, 3))."""
    pts = np.concatenate([a.reshape(-1, 3) for a in arrays if a is not None and a.size])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2])
