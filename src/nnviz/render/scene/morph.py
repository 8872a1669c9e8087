"""The morph: the data and the input grid carried continuously through the network.

Chris Olah's "Neural Networks, Manifolds, and Topology" pictures as a scene.
For one epoch's parameters the network is a chain of *representations*:

    input x -> x·W₁ (linear) -> x·W₁+b₁ (affine) -> f(x·W₁+b₁) (activation)
            -> ·W₂ -> +b₂ -> f -> ... -> the last hidden layer's activation

ending in the space where the output layer draws a straight line. A *stage*
moves from one representation to the next by linear interpolation, eased.
This module is the morph's geometry and timing, NumPy only;
``render.morph.Morph`` is the frame source that draws it.

Every representation is drawn in 2-D through one projection that is fixed
for the whole morph, so all motion on screen is motion of the values:

* the input: its plane (the two features, or their principal axes);
* a 2-wide layer: as it is;
* a wider layer: fixed by its activation at the *last* epoch (the last
  layer on its output axis, others on their principal axes:
  ``geometry.layer_view``), one basis for all three representations of that
  layer (so ``+b`` shows as the translation it is; a per-representation PCA
  would centre it away);
* a 1-wide layer: its unit along the horizontal axis.

Interpolation is done on the projected 2-D coordinates. The projections are
affine, so inside a layer (linear -> affine -> activation, same width, same
projection) and between two 2-wide spaces this *is* interpolation of the
full-width vectors; between layers of different width (or two wide layers
with different bases) it interpolates the fixed 2-D views.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ...engine import nn
from ...engine.data import Dataset
from ...engine.history import Epoch, History
from ...errors import RenderError
from .base import Scene
from .boundaries import boundaries
from .frame import Space, undrawable
from .geometry import (
    SUBSCRIPTS,
    Grid,
    Limits,
    Projection,
    bounds,
    decision_directions,
    drawable,
    layer_view,
    pad,
    sub,
    union,
)
from .passes import chunk_rows, in_chunks, trace

Array = np.ndarray

MAX_STEPS = 200  # frames per stage: past this a morph is a slideshow of near-identical frames
MAX_PAUSE = 100  # extra still frames at each representation
LAYOUT_LIMITS = (-1.05, 1.05, -1.05, 1.05)  # ticks like "−0.75": as wide as most cameras' labels
COARSE = 8  # the limits pass samples every COARSE-th mesh row and column
OUTPUT_GRID = 64  # nodes a side to find the output's straight boundary on: bisection makes it exact

# --- the chain of representations ----------------------------------------------------


@dataclass(frozen=True)
class Rep:
    """One representation: hidden layer ``layer`` (0: the input) after ``kind``."""

    layer: int
    kind: str  # "input", "linear", "affine" or "activation"

    def name(self, activation: str, moving: bool = False) -> str:
        """What this step does, in words: ``adding layer 1's bias (+b₁)`` on the way, ``... added`` at rest."""
        k = str(self.layer).translate(SUBSCRIPTS)
        into = "x" if self.layer == 1 else "a"
        done = {
            "input": "the input plane",
            "linear": f"multiplied by layer {self.layer}'s weights ({into}W{k})",
            "affine": f"layer {self.layer}'s bias added (+b{k})",
            "activation": f"layer {self.layer}'s {activation} applied",
        }
        doing = {
            "input": "the input plane",
            "linear": f"multiplying by layer {self.layer}'s weights ({into}W{k})",
            "affine": f"adding layer {self.layer}'s bias (+b{k})",
            "activation": f"applying layer {self.layer}'s {activation}",
        }
        return (doing if moving else done)[self.kind]


def chain(model: nn.Model) -> tuple[Rep, ...]:
    """Every representation, input first, the last hidden activation last."""
    if model.n_hidden < 1:
        raise RenderError(f"a morph needs a network with a hidden layer; this one has layer sizes {model.sizes}")
    layers = (Rep(k, kind) for k in range(1, model.n_hidden + 1) for kind in ("linear", "affine", "activation"))
    return (Rep(0, "input"), *layers)


def representations(model: nn.Model, params: Sequence[Array], x: Array) -> list[Array]:
    """``x`` (n, d) through every representation of ``chain(model)``, full width."""
    t = nn.forward(model, params, x, layers=model.n_hidden, linear=True, finite=True)
    return [x, *(r for k in range(model.n_hidden) for r in (t.lin[k], t.z[k], t.a[k]))]


def _unit_line(labels: tuple[str, str]) -> Projection:
    # One unit: drawn along the horizontal axis, unshifted, so +b still moves it.
    return Projection(np.zeros(1), np.array([[1.0, 0.0]]), labels)


def projections(spec: Scene, params: Sequence[Array]) -> tuple[Projection, ...]:
    """One fixed 2-D view per representation (see the module docstring)."""
    model = spec.model
    acts = representations(model, params, spec.X)
    views = [spec.plane]
    for k in range(1, model.n_hidden + 1):
        width = model.sizes[k]
        if width == 2:
            view = Projection.identity((sub("h", 0), sub("h", 1)))
        elif width == 1:
            view = _unit_line(("h", ""))
        else:  # the last layer on the axes its output decides along, as animate draws it
            out_w = params[2 * k] if k == model.n_hidden else None
            view = layer_view(acts[3 * k], out_w)
        views += [view] * 3
    return tuple(views)


# --- one epoch's keyframes ----------------------------------------------------------------


@dataclass(frozen=True)
class Keyframes:
    """One epoch's drawing coordinates at every representation."""

    points: tuple[Array, ...]  # (n, 2) data
    mesh: tuple[Array, ...]  # (g, g, 2) the input meshgrid
    boundary: tuple[Array, ...]  # (m, 2) every boundary point, all polylines end to end
    cuts: Array  # where the boundary splits into its polylines
    values: Array  # (g, g) the prediction colouring each mesh cell
    # The output layer's boundary across the whole last view, shown once the
    # morph rests there: the mapped boundary alone is a dot when the layer
    # folds the plane onto a sheet (blobs' two units learn the same weights).
    output: tuple[Array, ...] = ()
    # Per representation, when it is a 2-wide layer's plane: the plane coloured by what
    # the rest of the network predicts there, and its exact boundary, drawn while the
    # morph rests on it (as animate draws such a plane), so a collapsed layer still
    # shows its regions and boundary. None for the input and for projected or 1-wide layers.
    planes: tuple[Space | None, ...] = ()


def _input_boundary(spec: Scene, params: Sequence[Array], out: Array) -> list[Array]:
    """The exact decision boundary in the input plane (plane coordinates)."""

    def logits_of(uv: Array) -> Array:
        return trace(spec.model, params, spec.plane.inverse(uv), head=False).z[-1]

    return boundaries(spec.task, spec.input_grid, out, logits_of)


def _rep_row_bytes(model: nn.Model) -> int:
    # representations() keeps the input and three arrays per hidden layer, float64.
    return 8 * (model.sizes[0] + 3 * sum(model.sizes[1:-1]))


def _mesh_views(spec: Scene, views: Sequence[Projection], params: Sequence[Array], x: Array) -> list[Array]:
    """[output, then ``x`` in every representation's 2-D view], in row slices of bounded memory.

    A representation's full width exists for one slice at a time; only the
    two drawn coordinates of each are kept (``passes.CHUNK_BYTES``).
    """
    model = spec.model

    def one(s: slice) -> tuple[Array, ...]:
        out = trace(model, params, x[s]).a[-1]
        return (out, *(view(r) for view, r in zip(views, representations(model, params, x[s]), strict=True)))

    return list(in_chunks(one, len(x), chunk_rows(model, _rep_row_bytes(model))))


def keyframes(spec: Scene, views: Sequence[Projection], params: Sequence[Array]) -> Keyframes:
    """Data, mesh and boundary of ``params`` in every representation's 2-D view."""
    g = spec.grid
    out, *mesh_views = _mesh_views(spec, views, params, spec.mesh_x)
    lines = _input_boundary(spec, params, out)
    bpts = np.concatenate(lines) if lines else np.empty((0, 2))
    cuts = np.cumsum([len(ln) for ln in lines])[:-1]
    model = spec.model
    reps = zip(
        views,
        representations(model, params, spec.X),
        mesh_views,
        representations(model, params, spec.plane.inverse(bpts)),
        strict=True,
    )
    points, mesh, boundary = [], [], []
    for view, xd, xm, xb in reps:
        points.append(view(xd))
        mesh.append(xm.reshape(g, g, 2))
        boundary.append(view(xb) if len(bpts) else bpts)
    # The input plane is drawn exactly as the other commands draw it.
    points[0], mesh[0], boundary[0] = spec.data_plane, spec.mesh_uv, bpts
    values = spec.surface_values(out).reshape(g, g)
    return Keyframes(tuple(points), tuple(mesh), tuple(boundary), cuts, values)


# --- time --------------------------------------------------------------------------------


def ease(t: float) -> float:
    """Smoothstep: starts and stops gently, so each representation is seen at rest; ease(0.5) = 0.5."""
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class Moment:
    """A point in one epoch's morph: ``t`` of the way from representation ``rep`` to the next."""

    rep: int
    t: float
    pause: int = -1  # position within a pause at ``rep`` (t == 0), -1 while moving


def timeline(n_reps: int, steps: int, pause: int) -> tuple[Moment, ...]:
    """One epoch's moments: each representation held ``1 + pause`` frames, ``steps - 1`` between.

    Frame count: ``stages * (steps + pause) + 1 + pause`` with ``stages = n_reps - 1``.
    """
    moments: list[Moment] = []
    for r in range(n_reps):
        moments += [Moment(r, 0.0, k) for k in range(1 + pause)]
        if r < n_reps - 1:
            moments += [Moment(r, j / steps) for j in range(1, steps)]
    return tuple(moments)


def lerp(a: Array, b: Array, t: float) -> Array:
    return a if t == 0.0 else (1.0 - t) * a + t * b


def at(keys: Keyframes, m: Moment) -> Space:
    """The morph's space at moment ``m``: every array interpolated between two keyframes.

    At rest on a 2-wide layer's plane, the plane's own colours and boundary too.
    """
    r, s = m.rep, ease(m.t)
    last = len(keys.points) - 1
    nxt = min(r + 1, last)
    boundary = lerp(keys.boundary[r], keys.boundary[nxt], s)
    lines = tuple(np.split(boundary, keys.cuts)) if len(boundary) else ()
    plane = keys.planes[r] if m.t == 0 and r < len(keys.planes) else None
    if plane is not None:
        lines = plane.boundary
    return Space(
        lerp(keys.mesh[r], keys.mesh[nxt], s),
        None,
        lerp(keys.points[r], keys.points[nxt], s),
        lines + keys.output if r == last else lines,
        values=None if plane is None else plane.values,
        extent=None if plane is None else plane.extent,
    )


PLANE_GRID = 96  # nodes a side of a resting plane's colours: bisection makes its boundary exact


def rep_planes(
    spec: Scene, reps: Sequence[Rep], views: Sequence[Projection], params: Sequence[Array], seen: Sequence[Limits]
) -> tuple[Space | None, ...]:
    """Each 2-wide representation's plane over ``seen[r]`` (every camera that rests on it), coloured downstream."""
    out: list[Space | None] = []
    for rep, view, lim in zip(reps, views, seen, strict=True):
        if rep.kind == "input" or not view.identity_map:
            out.append(None)
            continue
        grid = Grid.over(lim, PLANE_GRID)

        def downstream(h: Array, rep: Rep = rep, head: bool = True) -> nn.Trace:
            k = rep.layer
            z = h + params[2 * k - 1] if rep.kind == "linear" else h  # the linear stage has no bias yet
            return trace(spec.model, params, z, start=k, pre=rep.kind != "activation", head=head)

        pts = grid.points()
        result = downstream(pts).a[-1]
        lines = boundaries(spec.task, grid, result, lambda h: downstream(h, head=False).z[-1])
        values = spec.surface_values(result).reshape(grid.shape)
        out.append(Space(None, None, np.empty((0, 2)), tuple(lines), values, grid.extent))
    return tuple(out)


def output_lines(spec: Scene, view: Projection, params: Sequence[Array], lim: Limits) -> tuple[Array, ...]:
    """The output layer's decision boundary across ``lim`` in the last hidden layer's ``view``.

    Straight lines, exact whenever the output reads the layer only along the
    view's axes (a 2-wide layer; a wider one on the output axes of these
    parameters). Otherwise the view is a slice of the layer and there is no
    one line to draw: empty.
    """
    w, b = params[-2], params[-1]
    d = decision_directions(w)
    with np.errstate(all="ignore"):
        off = d - view.basis @ (view.basis.T @ d)
        if not np.isfinite(off).all() or np.abs(off).max() > 1e-9 * max(float(np.abs(d).max()), 1e-300):
            return ()
        grid = Grid.over(lim, OUTPUT_GRID)

        def logits_of(uv: Array) -> Array:
            return nn.finite_values(view.inverse(uv) @ w + b)

        out = spec.model.out.head(logits_of(grid.points()))
        return tuple(boundaries(spec.task, grid, out, logits_of))


# --- axes -------------------------------------------------------------------------------


def rep_bounds(spec: Scene, views: Sequence[Projection], params: Sequence[Array]) -> list[Limits]:
    """Each representation's bounds over the data and a coarse mesh (the cheap first pass).

    Every frame is a convex combination of two representations, so the union
    of theirs bounds it.
    """
    g = spec.grid
    ix = np.unique(np.r_[np.arange(0, g, COARSE), g - 1])  # border rows/columns included
    coarse = spec.mesh_x.reshape(g, g, -1)[np.ix_(ix, ix)].reshape(-1, spec.mesh_x.shape[1])
    _, *mesh_views = _mesh_views(spec, views, params, coarse)
    reps = zip(views, representations(spec.model, params, spec.X), mesh_views, strict=True)
    return [bounds(view(xd), xm) for view, xd, xm in reps]


def checked_bounds(spec: Scene, views: Sequence[Projection], epoch: Epoch) -> list[Limits]:
    """``rep_bounds`` of one epoch, refused (one line, no NumPy warning) when out of floating-point range."""
    with np.errstate(all="ignore"):
        found = rep_bounds(spec, views, epoch.params)
    if not all(drawable(b) for b in found):
        raise undrawable(epoch, "morph", spec.sub_epoch)
    return found


def cameras(found: Sequence[Limits]) -> list[Limits]:
    """The axes the per-stage camera rests at: each stage's, between the first and last representation's own.

    Each stage keeps the padded union of its two ends, so the motion inside a
    stage is real. The morph opens on the input alone and closes on the last
    space alone, so both fill the panel.
    """
    unions = [pad(union(a, b)) for a, b in itertools.pairwise(found)]
    return [pad(found[0]), *unions, pad(found[-1])]


def moment_limits(cams: Sequence[Limits], own: Sequence[Limits], m: Moment, pause: int) -> Limits:
    """Per-stage axes: still while moving; eased during a pause, through the representation's ``own`` axes.

    The camera only moves while nothing else does, so a zoom is never
    mistaken for a transformation of the data. ``own`` are each
    representation's padded bounds: a pause of 3 or more frames zooms in
    on the representation for its first third, holds it there for the
    middle third, and zooms out to the next stage for the last: a stage's
    camera covers both its ends, so a tanh fold after a ±8 affine stage
    otherwise never filled more than a fifth of the panel.
    """
    if m.pause < 0:  # moving from representation m.rep to the next
        return cams[m.rep + 1]
    a, b = np.array(cams[m.rep]), np.array(cams[m.rep + 1])
    if not pause:
        return _limits(b)
    t = m.pause / pause
    if pause < 3:  # too short to zoom in and out: straight to the next stage's axes
        return _limits(lerp(a, b, ease(t)))
    mid = np.array(own[m.rep])
    if t <= 1 / 3:
        return _limits(lerp(a, mid, ease(3 * t)))
    if t < 2 / 3:
        return _limits(mid)
    return _limits(lerp(mid, b, ease(3 * t - 2)))


def _limits(v: Array) -> Limits:
    x0, x1, y0, y1 = (float(x) for x in v)
    return x0, x1, y0, y1


# --- choosing epochs -----------------------------------------------------------------------


def parse_epochs(text: str | None, history: History) -> tuple[int, ...]:
    """History positions for ``--epoch`` (comma-separated epoch numbers or ``last``; default: last)."""
    numbers = {ep.epoch: i for i, ep in enumerate(history.epochs)}
    if not numbers:
        raise RenderError("the history has no epochs to morph")
    first, last = history.epochs[0].epoch, history.epochs[-1].epoch
    allowed = f"comma-separated epochs from {first} to {last} or 'last', e.g. {first},{last}"
    parts = [p.strip() for p in (text or "last").split(",")]
    if not parts or any(not p for p in parts):
        raise RenderError(f"--epoch {text!r} is invalid; valid: {allowed}")
    picked: list[int] = []
    for p in parts:
        if p == "last":
            picked.append(len(history) - 1)
            continue
        try:
            n = int(p)
        except ValueError:
            raise RenderError(f"--epoch {text!r}: {p!r} is not an epoch; valid: {allowed}") from None
        if n not in numbers:
            raise RenderError(f"--epoch {text!r}: epoch {n} is out of range; valid: {allowed}")
        picked.append(numbers[n])
    return tuple(picked)


def check_epochs_text(text: str | None, most: int | None) -> None:
    """``--epoch`` refused before training when it cannot name an epoch of a run that trains at most ``most``.

    Which epochs exist is known only once trained (a stop loss ends a run
    early); ``parse_epochs`` then checks the rest.
    """
    allowed = (
        "comma-separated epochs or 'last', e.g. 0,last"
        if most is None
        else (f"comma-separated epochs from 0 to {most} or 'last', e.g. 0,{most}")
    )
    parts = [p.strip() for p in (text or "last").split(",")]
    if any(not p for p in parts):
        raise RenderError(f"--epoch {text!r} is invalid; valid: {allowed}")
    for p in parts:
        if p == "last":
            continue
        try:
            n = int(p)
        except ValueError:
            raise RenderError(f"--epoch {text!r}: {p!r} is not an epoch; valid: {allowed}") from None
        if n < 0 or (most is not None and n > most):
            raise RenderError(f"--epoch {text!r}: epoch {n} is out of range; valid: {allowed}")


def check_counts(steps: int, pause: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise RenderError(
            f"--steps {steps!r} is invalid; valid: a whole number of frames per stage from 1 to {MAX_STEPS}"
        )
    if isinstance(pause, bool) or not isinstance(pause, int) or not 0 <= pause <= MAX_PAUSE:
        raise RenderError(f"--pause {pause!r} is invalid; valid: a whole number of still frames from 0 to {MAX_PAUSE}")


def check_data(data: Dataset) -> None:
    """A morph moves a plane: one input feature (a curve) has no plane to move."""
    if np.asarray(data.X).shape[1] < 2:
        raise RenderError(f"a morph needs 2 or more input features; the {data.name} data has 1")


def union_all(found: Iterable[Limits]) -> Limits:
    acc: Limits | None = None
    for b in found:
        acc = union(acc, b)
    assert acc is not None  # a chain always has the input
    return acc
