"""History -> plain arrays per panel, one frozen ``Frame`` per rendered epoch.

This is the model side of rendering and imports NumPy only (a test checks
that importing it never imports matplotlib). ``build_spec`` fixes everything
that stays the same over the animation: the meshgrid, the projection bases,
the labels and the loss curves. ``make_frame`` is then a pure forward pass of
one epoch's parameters over the meshgrid and the data. ``fixed_limits`` is the
cheap first pass over every rendered epoch that keeps the axes still.

Two geometries exist. With 2 or more input features the input space is a
plane (the features themselves, or their two principal axes when there are
more than two) covered by a ``grid x grid`` meshgrid ("surface" mode). With
one feature it is an interval, and every space shows a curve ("curve" mode).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from ..engine import nn
from ..engine.data import Dataset
from ..engine.history import Epoch, History
from ..errors import RenderError
from ..numbers import metric as short_metric
from ..numbers import number

Array = np.ndarray
Limits = tuple[float, float, float, float]  # xmin, xmax, ymin, ymax

MARGIN = 0.1  # share of the data range added around it by the meshgrid
PAD = 0.05  # share of the range added around limits
GRID_LINES = 15  # grid lines per direction in every space
COARSE = 12  # interior rows/columns the cheap limits pass samples
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# Coordinates a panel may have at most. matplotlib's tick locator multiplies the
# range by up to ~100, and LAPACK's SVD fails or never returns, near the float
# maximum (1.8e308); no network that far out is worth drawing.
MAX_COORD = 1e300


# --- frame choice -------------------------------------------------------------


def select_epochs(n: int, every: int = 1, log_frames: int = 0) -> tuple[int, ...]:
    """Indices of the epochs to draw out of ``n``; always the first and the last.

    ``every`` keeps every Nth epoch. ``log_frames`` keeps K distinct,
    log-spaced epochs (early training changes fastest, so it gets more frames).
    """
    if n < 1:
        raise RenderError("the history has no epochs to render")
    if log_frames:
        k = min(log_frames, n)
        if k == 1:
            return (n - 1,)
        idx = np.round(np.geomspace(1, n, k)).astype(int) - 1
        idx[0] = 0
        for i in range(1, k):  # make them distinct, pushing forward...
            idx[i] = max(idx[i], idx[i - 1] + 1)
        idx[-1] = n - 1
        for i in range(k - 2, -1, -1):  # ...and back, so the last stays n-1
            idx[i] = min(idx[i], idx[i + 1] - 1)
        return tuple(int(i) for i in idx)
    picked = list(range(0, n, every))
    if picked[-1] != n - 1:
        picked.append(n - 1)
    return tuple(picked)


# --- fixed parts of the scene ---------------------------------------------------


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


@dataclass(frozen=True)
class LayerSpace:
    """A hidden space a panel draws: hidden layer ``layer``'s pre-activation (``"z"``) or activation (``"a"``).

    ``proj`` maps the layer's values onto the panel's two axes: the identity
    for a 2-wide layer (drawn exactly, coloured by the prediction from each
    point of its plane), fixed principal axes for a wider one; None for one
    unit, drawn against the first input coordinate.
    """

    layer: int
    kind: str
    width: int
    proj: Projection | None

    @property
    def exact(self) -> bool:
        """A 2-wide layer: its spaces are planes the rest of the network is a function of."""
        return self.width == 2


@dataclass(frozen=True)
class Neurons:
    """The per-neuron maps: the first ``units`` of layer ``layer``'s ``total``, in ``rows`` x ``cols`` tiles."""

    layer: int
    units: int
    total: int
    rows: int
    cols: int

    @property
    def extent(self) -> Limits:
        return 0.0, float(self.cols), 0.0, float(self.rows)


@dataclass(frozen=True)
class Spec:
    """Everything that is the same in every frame."""

    model: nn.Model
    task: str
    mode: str  # "surface" or "curve"
    layer: int
    width: int  # units in the shown hidden layer
    plane: Projection  # input features -> the 2 plane coordinates (surface mode)
    grid_u: Array  # (g,) first plane coordinate / the input interval
    grid_v: Array  # (g,) second plane coordinate (empty in curve mode)
    mesh_x: Array  # (g*g, d) or (g, 1): the meshgrid in input features
    mesh_uv: Array  # (g, g, 2) the meshgrid in plane coordinates (surface mode)
    X: Array  # inputs: the training points, then the test points
    y: Array  # targets, in the same order
    test: Array  # (n,) bool: which points are held out
    data_plane: Array  # (n, 2) data in plane coordinates (surface mode)
    value_range: tuple[float, float]  # regression: target range that maps to colours 0..1
    n_classes: int
    class_names: tuple[str, ...]
    proj_z: Projection | None  # hidden width >= 2: onto the drawn plane
    proj_a: Projection | None
    labels: Mapping[str, tuple[str, str]]
    titles: Mapping[str, str]
    metric: str  # "accuracy" or "rmse"
    epochs: Array  # every epoch of the history (for the loss panel)
    loss: Array
    metric_values: Array
    sub_epoch: bool  # snapshots every N optimizer steps: ``epochs`` holds steps
    test_loss: Array | None  # the same on the test split, when there is one
    test_metric: Array | None
    # Every hidden space a panel draws, by space name: "hidden" and "activation"
    # (the chosen layer) and, for the layers view, "z1", "a1", ...
    spaces: Mapping[str, LayerSpace] = field(default_factory=dict)
    neurons: Neurons | None = None
    # Image data: a few samples' pixels (m, h, w) drawn as pictures at their
    # points (``thumbs`` indexes the data); None for other data.
    images: Array | None = None
    thumbs: Array = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def grid(self) -> int:
        return len(self.grid_u)

    @property
    def extent(self) -> Limits:
        v = self.grid_v if self.mode == "surface" else self.grid_u
        return float(self.grid_u[0]), float(self.grid_u[-1]), float(v[0]), float(v[-1])

    @property
    def input_grid(self) -> Grid:
        return Grid(self.grid_u, self.grid_v)

    def line_index(self) -> Array:
        """Which mesh rows and columns the light grid lines follow."""
        return np.unique(np.linspace(0, self.grid - 1, min(GRID_LINES, self.grid)).round().astype(int))


@dataclass(frozen=True)
class Space:
    """One panel's geometry in one frame.

    ``mesh`` is the meshgrid's vertices mapped into this space (g, g, 2) in
    surface mode; ``curve`` is the input interval mapped (g, 2) in curve
    mode. ``points`` are the data, ``boundary`` the decision boundary as
    polylines (each (m, 2)).

    ``values`` colour the space's own regular grid over ``extent`` (rows
    along y) by what the network predicts from each point of it: the input
    plane, and every 2-wide hidden space, where the rest of the network is a
    function of the two coordinates. None for a projected (wider) layer,
    which is coloured through the warped mesh instead.
    """

    mesh: Array | None
    curve: Array | None
    points: Array
    boundary: tuple[Array, ...]
    values: Array | None = None
    extent: Limits | None = None


@dataclass(frozen=True)
class Frame:
    """One epoch, ready to draw: the painter needs nothing else.

    ``limits`` are each panel's axes (xmin, xmax, ymin, ymax): the fixed
    ones of the whole animation, or this frame's own with ``--axes per-frame``.
    """

    index: int  # position in the history (the loss panel's marker)
    epoch: int
    title: str
    values: Array  # colours 0..1: (g, g) surface or (g,) along the curve
    spaces: Mapping[str, Space]
    loss: float
    metric: float
    limits: Mapping[str, Limits] = field(default_factory=dict)
    short_title: str = ""  # the title for a frame too narrow for the full one


# --- the panels a figure can show -------------------------------------------------------


@dataclass(frozen=True)
class PanelDef:
    """One panel: the space of the frame it draws (None: the training curves).

    ``PANELS`` is the only list of panel names (the config checks against
    it). The painter draws a panel with ``paint.PAINTERS[panel.painter(spec)]``.
    A panel set (``expand``) is one name for several panels, which depend
    on the network's depth: ``panel_defs`` expands it.
    """

    name: str
    space: str | None
    expand: Callable[[int], tuple[PanelDef, ...]] | None = None

    def painter(self, spec: Spec) -> str:
        if self.space is None:
            return "curves"
        if self.space == "neurons":
            return "mosaic"
        if spec.mode == "curve":
            return "curve"
        # The input plane and a 2-wide layer's planes are images on their own
        # grids; a projected (wider) layer shows the warped input mesh.
        return "image" if self.space == "input" or spec.spaces[self.space].exact else "warped"


def layer_panels(n_hidden: int) -> tuple[PanelDef, ...]:
    """The layers view: the input, then every hidden layer's z and a, left to right."""
    hidden = [PanelDef(f"{kind}{k}", f"{kind}{k}") for k in range(1, n_hidden + 1) for kind in ("z", "a")]
    return (PANELS["input"], *hidden)


PANELS: dict[str, PanelDef] = {
    p.name: p
    for p in (
        PanelDef("input", "input"),
        PanelDef("hidden", "hidden"),
        PanelDef("activation", "activation"),
        PanelDef("loss", None),
        PanelDef("layers", None, expand=layer_panels),
        PanelDef("neurons", "neurons"),
    )
}
MAX_NEURONS = 16  # tiles in the neurons panel: more would be too small to read


def panel_defs(names: Sequence[str | PanelDef], n_hidden: int) -> tuple[PanelDef, ...]:
    """The panels ``names`` draw, panel sets expanded, each panel once, in order."""
    out: dict[str, PanelDef] = {}
    for name in names:
        d = name if isinstance(name, PanelDef) else PANELS[name]
        for p in d.expand(n_hidden) if d.expand is not None else (d,):
            out.setdefault(p.name, p)
    return tuple(out.values())


def _sub(name: str, j: int) -> str:
    return f"{name}{str(j + 1).translate(SUBSCRIPTS)}"


def _activation_label(spec_act: str) -> str:
    return {"linear": "z", "leaky_relu": "leaky_relu(z)"}.get(spec_act, f"{spec_act}(z)")


def _grid_axis(values: Array, g: int) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    return lo - MARGIN * span, hi + MARGIN * span


def _input_plane(X: Array, names: Sequence[str]) -> Projection:
    if X.shape[1] == 2:
        return Projection.identity((names[0], names[1]))
    return Projection.pca(X)


CLASSIC = ("input", "hidden", "activation")

# Points drawn at most. 60,000 MNIST points are an unreadable blot, and each
# frame pushed every one of them through the network and three scatters (about
# 3 s a frame); 5,000 show the shape of every class. The metrics in the title
# always come from the whole set (the History), and the panel title says so.
MAX_SHOWN_POINTS = 5_000


def _shown_points(X: Array, y: Array, test: Array) -> tuple[Array, Array, Array]:
    """At most ``MAX_SHOWN_POINTS`` rows, a seeded sample in the data's own order (training and test alike)."""
    if len(y) <= MAX_SHOWN_POINTS:
        return X, y, test
    keep = np.sort(np.random.default_rng(0).choice(len(y), MAX_SHOWN_POINTS, replace=False))
    return X[keep], y[keep], test[keep]


def build_spec(
    history: History, data: Dataset, layer: int = 1, grid: int = 200, panels: Sequence[str | PanelDef] = CLASSIC
) -> Spec:
    """The fixed part of the scene for ``history`` trained on ``data``, for the hidden spaces ``panels`` draw."""
    model = history.model
    if not 1 <= layer <= model.n_hidden:
        raise RenderError(f"layer {layer} is out of range: the network has hidden layers 1..{model.n_hidden}")
    # Test points travel with the training points (the ``test`` mask tells them
    # apart), so every space, limit and boundary already covers them.
    X = np.concatenate([np.asarray(data.X, dtype=float), np.asarray(data.X_test, dtype=float)])
    y = np.concatenate([np.asarray(data.y), np.asarray(data.y_test)])
    test = np.arange(len(y)) >= len(data.y)
    total = len(y)
    X, y, test = _shown_points(X, y, test)
    d = X.shape[1]
    names = tuple(data.feature_names) or tuple(_sub("x", j) for j in range(d))
    mode = "curve" if d == 1 else "surface"
    width = model.sizes[layer]
    act = _activation_label(model.activation)
    if mode == "surface":
        plane = _input_plane(X, names)
        data_plane = plane(X)
        lo_u, hi_u = _grid_axis(data_plane[:, 0], grid)
        lo_v, hi_v = _grid_axis(data_plane[:, 1], grid)
        # A square window, so equal data units look equal on a square panel.
        half = max(hi_u - lo_u, hi_v - lo_v) / 2
        cu, cv = (lo_u + hi_u) / 2, (lo_v + hi_v) / 2
        grid_u = np.linspace(cu - half, cu + half, grid)
        grid_v = np.linspace(cv - half, cv + half, grid)
        uu, vv = np.meshgrid(grid_u, grid_v)
        uv = np.column_stack([uu.ravel(), vv.ravel()])
        mesh_x = plane.inverse(uv)
        mesh_uv = np.stack([uu, vv], axis=-1)
        input_labels = plane.labels
    else:
        plane = Projection.identity((names[0], ""))
        data_plane = np.column_stack([X[:, 0], np.zeros(len(X))])
        grid_u = np.linspace(*_grid_axis(X[:, 0], grid), grid)
        grid_v = np.empty(0)
        mesh_x = grid_u[:, None]
        mesh_uv = np.empty((0, 0, 2))
        input_labels = (names[0], "target" if history.task == "regression" else "P(class 1)")
    # Each hidden space's projection is fixed by the last epoch, the trained network.
    # Huge (finite) parameters may overflow here; _layer_space refuses what cannot be projected.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        last = nn.forward(model, history.last.params, X)
    defs = panel_defs(panels, model.n_hidden)
    drawn = {d.space for d in defs}
    spaces: dict[str, LayerSpace] = {}
    labels: dict[str, tuple[str, str]] = {
        "input": input_labels,
        "loss": ("step" if history.sub_epoch else "epoch", "loss"),
    }
    titles = {"input": "Input space", "loss": "Training curves"}
    if _column(history, "test_loss") is not None:  # the curves panel draws the test split dashed: it says so
        titles["loss"] = "Training curves (dashed: test)"
    if len(y) < total:
        titles["input"] = f"Input space ({len(y):,} of {total:,} points drawn)"
    where = "" if layer == 1 else f" of layer {layer}"
    # A projected layer is coloured through the warped input mesh, not on its own plane.
    how = ", projected" if width >= 3 else ""
    classic = {
        "hidden": (layer, "z", f"Hidden space{where} (pre-activation z{how})"),
        "activation": (layer, "a", f"Activation space{where} ({act}{how})"),
    }
    for k in range(1, model.n_hidden + 1):
        for kind in ("z", "a"):
            classic[f"{kind}{k}"] = (k, kind, "")
    for name, (k, kind, heading) in classic.items():
        if name in drawn:
            h = last.z[k - 1] if kind == "z" else last.a[k - 1]
            # The output layer draws its straight boundary in the last hidden activation.
            out_w = history.last.params[2 * k] if kind == "a" and k == model.n_hidden else None
            try:
                one_unit = (input_labels[0], "z" if kind == "z" else act)
                spaces[name], labels[name] = _layer_space(k, kind, h, one_unit, out_w)
            except ValueError:  # LinAlgError too
                raise undrawable(history.last, name, history.sub_epoch) from None
            titles[name] = heading or _layer_title(spaces[name], act)
    neurons = None
    if "neurons" in drawn:
        neurons = _neurons(layer, width)
        capped = f"{neurons.units} of {width} units" if neurons.units < width else f"{width} units"
        titles["neurons"] = f"Layer {layer} units: {act} ({capped})"
        # Every tile covers the whole input plane (or interval).
        labels["neurons"] = (f"{input_labels[0]} in each tile", input_labels[1] if mode == "surface" else "unit")
    images, thumbs = _thumbnails(data, X, y, test, mode)
    metric = "rmse" if history.task == "regression" else "accuracy"
    y_lo, y_hi = (float(y.min()), float(y.max())) if history.task == "regression" else (0.0, 1.0)
    if y_hi <= y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    n_classes = data.n_classes or (model.sizes[-1] if model.task == "multiclass" else 2)
    return Spec(
        model=model,
        task=history.task,
        mode=mode,
        layer=layer,
        width=width,
        plane=plane,
        grid_u=grid_u,
        grid_v=grid_v,
        mesh_x=mesh_x,
        mesh_uv=mesh_uv,
        X=X,
        y=y,
        test=test,
        data_plane=data_plane,
        value_range=(y_lo, y_hi),
        n_classes=n_classes,
        class_names=data.class_names,
        proj_z=spaces["hidden"].proj if "hidden" in spaces else None,
        proj_a=spaces["activation"].proj if "activation" in spaces else None,
        labels=labels,
        titles=titles,
        metric=metric,
        # Sub-epoch snapshots share epoch numbers: their curves run over optimizer steps.
        epochs=np.array([(e.step or 0) if history.sub_epoch else e.epoch for e in history.epochs]),
        loss=history.column("loss"),
        metric_values=history.column(metric),
        sub_epoch=history.sub_epoch,
        test_loss=_column(history, "test_loss"),
        test_metric=_column(history, f"test_{metric}"),
        spaces=spaces,
        neurons=neurons,
        images=images,
        thumbs=thumbs,
    )


def _layer_space(
    layer: int, kind: str, h: Array, one_unit: tuple[str, str], out_w: Array | None = None
) -> tuple[LayerSpace, tuple[str, str]]:
    """Hidden layer ``layer``'s z or a space, from its values ``h`` (n, width) on the data, and its axis labels.

    ``out_w`` (the output layer's weights) is given for the last hidden
    layer's activation: a wider one is then drawn on the axes the output
    decides along (``layer_view``). Raises ValueError (or LinAlgError) when
    ``h`` has no finite axes.
    """
    width = h.shape[1]
    if width >= 3:
        if not np.isfinite(h).all() or np.abs(h).max() > MAX_COORD:
            raise ValueError("hidden values out of range")
        proj: Projection | None = layer_view(h, out_w)
    elif width == 2:
        proj = Projection.identity((_sub(kind, 0), _sub(kind, 1)))
    else:  # one unit: plot it against the first input coordinate
        return LayerSpace(layer, kind, width, None), one_unit
    assert proj is not None
    return LayerSpace(layer, kind, width, proj), proj.labels


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


def _layer_title(space: LayerSpace, act: str) -> str:
    """``Layer 2 a: tanh(z) (8 units, projected)``; a narrow frame cuts it at the bracket, then the colon."""
    what = "z: pre-activation" if space.kind == "z" else f"a: {act}"
    how = f" ({space.width} units, projected)" if space.width >= 3 else ""
    return f"Layer {space.layer} {what}{how}"


def _neurons(layer: int, width: int) -> Neurons:
    """Tiles for at most ``MAX_NEURONS`` units, as near square as they go (wider than tall)."""
    units = min(width, MAX_NEURONS)
    cols = int(np.ceil(np.sqrt(units)))
    return Neurons(layer, units, width, int(np.ceil(units / cols)), cols)


THUMBNAILS = 10  # sample images drawn as pictures: one per class of the digits


def _thumbnails(data: Dataset, X: Array, y: Array, test: Array, mode: str) -> tuple[Array | None, Array]:
    """Image data: each class's most typical training image (pixels (m, h, w)) and their data indices.

    Typical: nearest its class's mean image, so the picture sits in the
    thick of its class rather than at an outlier.
    """
    none = np.zeros(0, dtype=int)
    shape = data.image_shape
    if shape is None or mode != "surface" or shape[0] * shape[1] != X.shape[1]:
        return None, none
    train = np.flatnonzero(~test)
    picks = []
    for c in np.unique(y[train])[:THUMBNAILS]:
        rows = train[y[train] == c]
        picks.append(rows[np.argmin(((X[rows] - X[rows].mean(axis=0)) ** 2).sum(axis=1))])
    idx = np.array(picks, dtype=int)
    return X[idx].reshape(len(idx), *shape), idx


def _column(history: History, name: str) -> Array | None:
    return history.column(name) if name in history.epochs[0].metrics else None


# --- one frame ----------------------------------------------------------------


def surface_values(spec: Spec, out: Array) -> Array:
    """The network's output as colour positions 0..1.

    Binary: P(class 1). Multiclass: the winning class c and its probability p
    packed as ``(c + t) / K`` with ``t`` from 0 (a tie) to 1 (certain), which
    the painter's segmented colormap turns into "class colour, faded toward
    white by uncertainty". Regression: the prediction scaled by the target range.
    """
    if spec.task == "multiclass":
        k = out.shape[1]
        c = out.argmax(axis=1)
        p = out.max(axis=1)
        t = np.clip((p - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 0.999)
        return (c + t) / k
    v = out if out.ndim == 1 else out[:, 0]
    if spec.task == "regression":
        lo, hi = spec.value_range
        return np.clip((v - lo) / (hi - lo), 0.0, 1.0)
    return v


def _trace(spec: Spec, params: Sequence[Array], X: Array) -> nn.Trace:
    """Every layer's values for ``X``; overflow of a diverging run is not warned (``_at`` clips it)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return nn.forward(spec.model, params, X)


def _at(trace: nn.Trace, space: LayerSpace) -> Array:
    """The values of ``space`` in ``trace``, finite."""
    h = trace.z[space.layer - 1] if space.kind == "z" else trace.a[space.layer - 1]
    return _finite(h, 0.0, 1e12)


def _output(trace: nn.Trace) -> Array:
    return _finite(trace.a[-1], 0.5, 1e12)


# The meshgrid pass keeps every layer's z and a for every mesh point: at --grid
# 1000 and --hidden 1024 that is 16 GB at once. Past this many bytes the pass
# runs over slices of the mesh's rows and keeps only what the frame shows (two
# plane coordinates per space), so memory stays bounded whatever the grid and
# width. Below it (every default run) the pass is one call, as it always was.
CHUNK_BYTES = 64 * 2**20


def pass_row_bytes(model: nn.Model) -> int:
    """Bytes one input row costs in ``nn.forward``: the row, then every layer's z and a (float64)."""
    return 8 * (model.sizes[0] + 2 * sum(model.sizes[1:]))


def chunk_rows(model: nn.Model) -> int:
    """Mesh rows per slice so that one slice's pass stays within ``CHUNK_BYTES``."""
    return max(1, CHUNK_BYTES // pass_row_bytes(model))


def in_chunks(f: Callable[[slice], tuple[Array, ...]], n: int, rows: int) -> tuple[Array, ...]:
    """``f(s)`` over slices ``s`` of ``n`` rows, ``rows`` at a time, each output concatenated.

    ``f`` cuts its own inputs (the mesh, a base column) with the slice. One
    slice (the usual case) is one plain call, with the same arithmetic as ever.
    """
    if n <= rows:
        return f(slice(0, n))
    parts = [f(slice(i, min(i + rows, n))) for i in range(0, n, rows)]
    return tuple(np.concatenate(col) for col in zip(*parts, strict=True))


def _finite(x: Array, nan: float, big: float) -> Array:
    # The check is far cheaper than nan_to_num, and only diverging runs need the fix.
    return x if np.isfinite(x).all() else np.nan_to_num(x, nan=nan, posinf=big, neginf=-big)


def _project(space: LayerSpace, h: Array, base: Array) -> Array:
    """Hidden values (n, width) -> (n, 2) drawing coordinates."""
    if space.proj is None:  # width 1: the unit against the first input coordinate
        return np.column_stack([base, h[:, 0]])
    return space.proj(h)


# --- decision boundaries ----------------------------------------------------------
#
# contourpy traces the boundary on the meshgrid, but its points are linear
# interpolations between grid nodes. That error is invisible in the input
# plane and not after a deep network has stretched it: mapped forward, the
# points scatter around the true boundary (for the last hidden layer, a
# straight line) in a zigzag. So each point is moved onto the true boundary
# first, by bisection along the grid edge it lies on, on the network's logits.

# Bisection halvings, then one secant step through the last bracket. At 16
# the logit left at the points is below 1e-9 even in the spiral's 16-16-2
# net, for ~18 small forward passes (1-5 ms a frame).
REFINE_STEPS = 16


def _logits(spec: Spec, params: Sequence[Array], x: Array) -> Array:
    """The output layer's pre-head values (n, outputs), finite even for a diverged run."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        logits = nn.forward(spec.model, params, x).z[-1]
    return _finite(logits, 0.0, 1e12)


def _downstream(spec: Spec, params: Sequence[Array], h: Array, space: LayerSpace) -> tuple[Array, Array]:
    """(logits, output) of the rest of the network, from ``space``.

    ``h`` is that layer's pre-activation (kind ``"z"``) or activation
    (``"a"``): for a 2-wide layer, a point of its plane.
    """
    model = spec.model
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x = model.act.f(h) if space.kind == "z" else h
        z = x
        for k in range(space.layer, model.n_layers):
            z = x @ params[2 * k] + params[2 * k + 1]
            x = model.act.f(z) if k < model.n_layers - 1 else model.out.head(z)
    return _finite(z, 0.0, 1e12), _finite(x, 0.5, 1e12)


def _margin(logits: Array, cls: Array) -> Array:
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
    import contourpy  # NumPy-only C extension; matplotlib depends on it

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
    exact = _bisect(lambda uv: _margin(logits_of(uv), cls), a, b, fallback=pts)
    return np.split(exact, np.cumsum([len(ln) for _, ln in traced])[:-1])


def _plane(spec: Spec, params: Sequence[Array], space: LayerSpace, lim: Limits, mapped: Space) -> Space:
    """``mapped`` with its plane coloured by the prediction downstream of it, and its exact boundary."""
    grid = Grid.over(lim, spec.grid)
    pts = grid.points()
    (out,) = in_chunks(lambda s: (_downstream(spec, params, pts[s], space)[1],), len(pts), chunk_rows(spec.model))
    lines = boundaries(spec.task, grid, out, lambda h: _downstream(spec, params, h, space)[0])
    values = surface_values(spec, out).reshape(grid.shape)
    return replace(mapped, values=values, extent=grid.extent, boundary=tuple(lines))


def _map_lines(spec: Spec, params: Sequence[Array], lines: list[Array]) -> dict[str, list[Array]]:
    """Boundary polylines from the input plane into every projected hidden space.

    A 2-wide layer traces its own boundary over its whole plane (``make_frame``).
    """
    targets = {name: s for name, s in spec.spaces.items() if not s.exact}
    if not lines or not targets:
        return {}
    pts = np.concatenate(lines)
    trace = _trace(spec, params, spec.plane.inverse(pts))
    cuts = np.cumsum([len(ln) for ln in lines])[:-1]
    return {name: np.split(_project(s, _at(trace, s), pts[:, 0]), cuts) for name, s in targets.items()}


def make_frame(spec: Spec, epoch: Epoch, index: int, limits: Mapping[str, Limits] | None = None) -> Frame:
    """Everything one epoch's panels show, with each panel's axis limits.

    ``limits`` are the animation's fixed limits; None fits this frame alone
    (``--axes per-frame``). A 2-wide layer's planes are coloured over those
    limits, so the colour fills each panel whatever the mesh does.
    """
    params = epoch.params
    # Huge parameters overflow; every space is checked below instead of NumPy warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        frame = _mapped(spec, epoch, index)
        limits = dict(limits) if limits is not None else frame_limits(spec, frame)
        for name, lim in limits.items():
            if not drawable(lim):
                raise undrawable(epoch, name, spec.sub_epoch)
        planes = {
            name: _plane(spec, params, s, limits[name], frame.spaces[name])
            for name, s in spec.spaces.items()
            if s.exact
        }
    frame = replace(frame, spaces={**frame.spaces, **planes}, limits=limits)
    _check_drawable(spec, frame, epoch)
    return frame


def _check_drawable(spec: Spec, frame: Frame, epoch: Epoch) -> None:
    """Refuse a frame with a non-finite coordinate or colour: matplotlib would fail on it, or draw nonsense."""
    if not np.isfinite(frame.values).all():
        raise undrawable(epoch, "input", spec.sub_epoch)
    for name, space in frame.spaces.items():
        # The neurons mosaic's NaN gaps between tiles are blank by design.
        values = None if name == "neurons" else space.values
        arrays = [space.mesh, space.curve, space.points, values, *space.boundary]
        if not all(np.isfinite(a).all() for a in arrays if a is not None):
            raise undrawable(epoch, name, spec.sub_epoch)
        if space.extent is not None and not drawable(space.extent):
            raise undrawable(epoch, name, spec.sub_epoch)


def undrawable(epoch: Epoch, panel: str, sub_epoch: bool = False) -> RenderError:
    """The error for an epoch whose network sends a panel out of floating-point range.

    Its parameters are finite (the history refuses others), but large enough
    that a forward pass or the panel's axis range overflows.
    """
    step = f", step {epoch.step}" if sub_epoch and epoch.step is not None else ""
    where = f"epoch {epoch.epoch}{step}"
    reach = max((float(np.abs(p).max()) for p in epoch.params if p.size), default=0.0)
    return RenderError(
        f"{where}'s network gives non-finite values, or values beyond ±{MAX_COORD:.0e}, in the {panel} panel "
        f"(parameters up to {reach:.3g}); it cannot be drawn"
    )


def drawable(lim: Limits) -> bool:
    """Whether axis limits are finite and within ``MAX_COORD`` (so a grid and ticks can be spread over them)."""
    return all(math.isfinite(v) and abs(v) <= MAX_COORD for v in lim)


class MeshPass(NamedTuple):
    planes: dict[str, Array]  # each drawn space's 2-D coordinates of every mesh point
    out: Array  # the network's output at every mesh point
    units: Array | None  # the neurons view's shown units' activations, if it is drawn


def _mesh_pass(spec: Spec, params: Sequence[Array], base: Array) -> MeshPass:
    """The meshgrid through the network, in row slices (``CHUNK_BYTES``).

    Only what the frame draws is kept of each slice (two plane coordinates per
    space, the output, at most 16 units), so a wide layer's full values exist
    for one slice at a time.
    """
    spaces = list(spec.spaces.items())

    def one(s: slice) -> tuple[Array, ...]:
        trace = _trace(spec, params, spec.mesh_x[s])
        planes = [_project(space, _at(trace, space), base[s]) for _, space in spaces]
        units = [_shown_units(spec, trace)] if spec.neurons is not None else []
        return (*planes, _output(trace), *units)

    parts = in_chunks(one, len(spec.mesh_x), chunk_rows(spec.model))
    planes = {name: part for (name, _), part in zip(spaces, parts, strict=False)}
    units = parts[len(spaces) + 1] if spec.neurons is not None else None
    return MeshPass(planes, parts[len(spaces)], units)


def _mapped(spec: Spec, epoch: Epoch, index: int) -> Frame:
    """The frame's data, input mesh and input boundary, mapped into every space."""
    params = epoch.params
    base = spec.mesh_uv[..., 0].ravel() if spec.mode == "surface" else spec.grid_u
    mesh, data = _mesh_pass(spec, params, base), _trace(spec, params, spec.X)
    out = mesh.out
    values = surface_values(spec, out)
    spaces: dict[str, Space] = {}
    if spec.mode == "surface":
        g = spec.grid
        uv = spec.mesh_uv
        lines = boundaries(spec.task, spec.input_grid, out, lambda p: _logits(spec, params, spec.plane.inverse(p)))
        mapped = _map_lines(spec, params, lines)
        values = values.reshape(g, g)
        spaces["input"] = Space(uv, None, spec.data_plane, tuple(lines), values, spec.extent)
        for name, s in spec.spaces.items():
            spaces[name] = Space(
                mesh.planes[name].reshape(g, g, 2),
                None,
                _project(s, _at(data, s), spec.data_plane[:, 0]),
                tuple(mapped.get(name, ())),
            )
    else:
        xs, xd = spec.grid_u, spec.X[:, 0]
        pred = out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else (out.max(axis=1) if out.ndim == 2 else out)
        target = spec.y.astype(float)
        spaces["input"] = Space(None, np.column_stack([xs, pred]), np.column_stack([xd, target]), ())
        for name, s in spec.spaces.items():
            spaces[name] = Space(None, mesh.planes[name], _project(s, _at(data, s), xd), ())
    if mesh.units is not None:
        spaces["neurons"] = _neuron_maps(spec, mesh.units)
    metrics = epoch.metrics
    # A sub-epoch snapshot says which step of training it shows.
    when = f"{epoch.epoch} (step {epoch.step})" if spec.sub_epoch else f"{epoch.epoch}"
    return Frame(
        index,
        epoch.epoch,
        title(spec, when, metrics),
        values,
        spaces,
        float(metrics["loss"]),
        float(metrics.get(spec.metric, np.nan)),
        short_title=short_title(spec, when, metrics),
    )


def _shown_units(spec: Spec, trace: nn.Trace) -> Array:
    """The activations of the units the neurons view shows (the first ``units`` of its layer)."""
    assert spec.neurons is not None
    n = spec.neurons
    return _at(trace, LayerSpace(n.layer, "a", n.total, None))[:, : n.units]


def _neuron_maps(spec: Spec, a: Array) -> Space:
    """Each shown unit's activation over the input plane (or interval), tiled into one image.

    Every tile is scaled to its own range in this frame (0..1): units differ
    in scale by orders of magnitude and the lesson is where each one turns
    on, not how far. Gaps between tiles are NaN (drawn blank).
    """
    assert spec.neurons is not None
    n = spec.neurons
    # Halves: hi - lo overflows for units near the float range (huge parameters).
    lo, hi = a.min(axis=0) / 2, a.max(axis=0) / 2
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = np.where(hi > lo, (a / 2 - lo) / span, 0.5)
    h, w = (spec.grid, spec.grid) if spec.mode == "surface" else (1, spec.grid)
    tiles = scaled.T.reshape(n.units, h, w)
    return Space(None, None, np.empty((0, 2)), (), mosaic(tiles, n.rows, n.cols), n.extent)


def mosaic(tiles: Array, rows: int, cols: int) -> Array:
    """(m, h, w) tiles laid out left to right, top to bottom, with NaN gaps (rows along y, upward)."""
    m, h, w = tiles.shape
    gap = max(1, max(h, w) // 12)
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap), np.nan)
    for i in range(m):
        r, c = divmod(i, cols)
        y0 = (rows - 1 - r) * (h + gap)  # the first tile at the top
        x0 = c * (w + gap)
        out[y0 : y0 + h, x0 : x0 + w] = tiles[i]
    return out


def title(spec: Spec, epoch: int | str, metrics: Mapping[str, float]) -> str:
    """``Epoch 12    accuracy 91.5% (test 89.0%)    loss 0.2345 (test 0.2611)``"""

    def shown(name: str) -> str:
        test = metrics.get(f"test_{name}")
        return number(name, metrics[name], 4) + ("" if test is None else f" (test {number(name, test, 4)})")

    return f"Epoch {epoch}    {spec.metric} {shown(spec.metric)}    loss {shown('loss')}"


def short_title(spec: Spec, epoch: int | str, metrics: Mapping[str, float]) -> str:
    """``Epoch 12  acc 91.5% (test 89.0%)  loss 0.235``: the title for small frames."""
    test = metrics.get(f"test_{spec.metric}")
    tested = "" if test is None else f" (test {number(spec.metric, test)})"
    shown = short_metric(spec.metric, metrics[spec.metric])
    return f"Epoch {epoch}  {shown}{tested}  {short_metric('loss', metrics['loss'])}"


# --- axis limits -----------------------------------------------------------------


def _bounds(*arrays: Array | None) -> Limits:
    pts = np.concatenate([a.reshape(-1, 2) for a in arrays if a is not None and a.size])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _union(a: Limits | None, b: Limits) -> Limits:
    if a is None:
        return b
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def pad(lim: Limits, share: float = PAD) -> Limits:
    """Limits grown by ``share`` of their range on each side (never empty)."""
    x0, x1, y0, y1 = lim
    wx = (x1 - x0) or max(abs(x0), 1.0)
    wy = (y1 - y0) or max(abs(y0), 1.0)
    return x0 - share * wx, x1 + share * wx, y0 - share * wy, y1 + share * wy


def frame_limits(spec: Spec, frame: Frame) -> dict[str, Limits]:
    """Limits that fit one frame (for ``--axes per-frame``)."""
    out: dict[str, Limits] = {}
    for name, space in frame.spaces.items():
        if name == "input" and spec.mode == "surface":
            out[name] = spec.extent
        elif space.mesh is None and space.curve is None and space.extent is not None:
            out[name] = space.extent  # an image of its own (the neurons' tiles)
        else:
            out[name] = pad(_bounds(space.mesh, space.curve, space.points))
    return out


def _coarse_sample(spec: Spec) -> tuple[Array, Array]:
    """The mesh's border plus a coarse interior, in input features and plane coordinates.

    For layer 1 the pre-activation is affine in the input, so the border
    alone holds its extremes; the interior covers deeper layers and PCA.
    """
    if spec.mode == "curve":
        return spec.mesh_x, spec.grid_u
    g = spec.grid
    keep = np.zeros((g, g), dtype=bool)
    keep[[0, -1], :] = keep[:, [0, -1]] = True
    step = max(1, g // COARSE)
    keep[::step, ::step] = True
    mask = keep.ravel()
    uv = spec.mesh_uv.reshape(-1, 2)[mask]
    return spec.mesh_x[mask], uv[:, 0]


def fixed_limits(spec: Spec, history: History, indices: Sequence[int]) -> dict[str, Limits]:
    """One set of limits for every rendered epoch: the cheap first pass."""
    xs, base = _coarse_sample(spec)
    acc: dict[str, Limits | None] = {name: None for name in (*spec.spaces, "input")}
    xd = spec.data_plane[:, 0]
    for i in indices:
        epoch = history.epochs[i]
        params = epoch.params
        sample, data = _trace(spec, params, xs), _trace(spec, params, spec.X)
        out = _output(sample)
        # Huge parameters overflow a projection; the limits are checked instead.
        with np.errstate(over="ignore", invalid="ignore"):
            for name, s in spec.spaces.items():
                b = _bounds(_project(s, _at(sample, s), base), _project(s, _at(data, s), xd))
                acc[name] = _union(acc[name], b)
        if spec.mode == "curve":
            pred = out[:, 0] if out.ndim == 2 else out
            acc["input"] = _union(
                acc["input"],
                _bounds(np.column_stack([base, pred]), np.column_stack([spec.X[:, 0], spec.y.astype(float)])),
            )
        # The first epoch that takes a panel's axes out of range is the one to name.
        for name, lim in acc.items():
            if lim is not None and not drawable(pad(lim)):
                raise undrawable(epoch, name, spec.sub_epoch)
    limits = {k: pad(v) for k, v in acc.items() if v is not None}
    if spec.mode == "surface":
        limits["input"] = spec.extent
    if spec.neurons is not None:
        limits["neurons"] = spec.neurons.extent
    return limits
