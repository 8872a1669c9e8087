"""The part of a scene every panel shares, fixed for the whole animation: ``Scene``.

``build_scene`` lays the meshgrid over the input plane (the features
themselves, or their two principal axes when there are more than two), picks
the points to draw, and runs the trained network over the data once: the
layer panels fix their projections from that last epoch. With one input
feature the input space is an interval and every panel shows a curve
("curve" mode) instead of a plane ("surface" mode).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ...engine import nn
from ...engine.data import Dataset
from ...engine.history import Epoch, History
from ...errors import RenderError
from ...numbers import metric as short_metric
from ...numbers import number
from .geometry import MARGIN, Grid, Projection, sub

Array = np.ndarray

GRID_LINES = 15  # grid lines per direction in every space
# Points drawn at most. 60,000 MNIST points are an unreadable blot, and each
# frame pushed every one of them through the network and three scatters (about
# 3 s a frame); 5,000 show the shape of every class. The metrics in the title
# always come from the whole set (the History), and the panel title says so.
MAX_SHOWN_POINTS = 5_000
THUMBNAILS = 10  # sample images drawn as pictures: one per class of the digits


@dataclass(frozen=True)
class Scene:
    """What every panel of one animation shares, fixed for all its frames."""

    model: nn.Model
    task: str
    mode: str  # "surface" or "curve"
    layer: int  # the hidden layer the hidden, activation and neurons panels show
    plane: Projection  # input features -> the 2 plane coordinates (surface mode)
    input_labels: tuple[str, str]
    grid_u: Array  # (g,) first plane coordinate / the input interval
    grid_v: Array  # (g,) second plane coordinate (empty in curve mode)
    mesh_x: Array  # (g*g, d) or (g, 1): the meshgrid in input features
    mesh_uv: Array  # (g, g, 2) the meshgrid in plane coordinates (surface mode)
    X: Array  # inputs: the training points, then the test points
    y: Array  # targets, in the same order
    test: Array  # (n,) bool: which points are held out
    total_points: int  # before the MAX_SHOWN_POINTS sample
    data_plane: Array  # (n, 2) data in plane coordinates (surface mode)
    value_range: tuple[float, float]  # regression: target range that maps to colours 0..1
    n_classes: int
    class_names: tuple[str, ...]
    metric: str  # "accuracy" or "rmse"
    sub_epoch: bool  # snapshots every N optimizer steps: titles say the step
    last: nn.Trace  # the data through the trained network (not clipped): layer panels fix their axes by it
    last_epoch: Epoch  # the trained network
    # Image data: a few samples' pixels (m, h, w) drawn as pictures at their
    # points (``thumbs`` indexes the data); None for other data.
    images: Array | None = None
    thumbs: Array = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def grid(self) -> int:
        return len(self.grid_u)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        v = self.grid_v if self.mode == "surface" else self.grid_u
        return float(self.grid_u[0]), float(self.grid_u[-1]), float(v[0]), float(v[-1])

    @property
    def input_grid(self) -> Grid:
        return Grid(self.grid_u, self.grid_v)

    @property
    def base(self) -> Array:
        """Each mesh point's first plane coordinate: what a 1-unit layer is drawn against."""
        return self.mesh_uv[..., 0].ravel() if self.mode == "surface" else self.grid_u

    @property
    def last_params(self) -> tuple[Array, ...]:
        return self.last_epoch.params

    @property
    def activation_label(self) -> str:
        return {"linear": "z", "leaky_relu": "leaky_relu(z)"}.get(self.model.activation, f"{self.model.activation}(z)")

    def line_index(self) -> Array:
        """Which mesh rows and columns the light grid lines follow."""
        return np.unique(np.linspace(0, self.grid - 1, min(GRID_LINES, self.grid)).round().astype(int))

    def surface_values(self, out: Array) -> Array:
        """The network's output as colour positions 0..1.

        Binary: P(class 1). Multiclass: the winning class c and its probability p
        packed as ``(c + t) / K`` with ``t`` from 0 (a tie) to 1 (certain), which
        the painter's segmented colormap turns into "class colour, faded toward
        white by uncertainty". Regression: the prediction scaled by the target range.
        """
        if self.task == "multiclass":
            k = out.shape[1]
            c = out.argmax(axis=1)
            p = out.max(axis=1)
            t = np.clip((p - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 0.999)
            return (c + t) / k
        v = out if out.ndim == 1 else out[:, 0]
        if self.task == "regression":
            lo, hi = self.value_range
            return np.clip((v - lo) / (hi - lo), 0.0, 1.0)
        return v


def _grid_axis(values: Array) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    return lo - MARGIN * span, hi + MARGIN * span


def _input_plane(X: Array, names: Sequence[str]) -> Projection:
    if X.shape[1] == 2:
        return Projection.identity((names[0], names[1]))
    return Projection.pca(X)


def _shown_points(X: Array, y: Array, test: Array) -> tuple[Array, Array, Array]:
    """At most ``MAX_SHOWN_POINTS`` rows, a seeded sample in the data's own order (training and test alike)."""
    if len(y) <= MAX_SHOWN_POINTS:
        return X, y, test
    keep = np.sort(np.random.default_rng(0).choice(len(y), MAX_SHOWN_POINTS, replace=False))
    return X[keep], y[keep], test[keep]


@dataclass(frozen=True)
class _Mesh:
    plane: Projection
    data_plane: Array
    grid_u: Array
    grid_v: Array
    mesh_x: Array
    mesh_uv: Array
    labels: tuple[str, str]


def _surface(X: Array, names: Sequence[str], grid: int) -> _Mesh:
    plane = _input_plane(X, names)
    data_plane = plane(X)
    lo_u, hi_u = _grid_axis(data_plane[:, 0])
    lo_v, hi_v = _grid_axis(data_plane[:, 1])
    # A square window, so equal data units look equal on a square panel.
    half = max(hi_u - lo_u, hi_v - lo_v) / 2
    cu, cv = (lo_u + hi_u) / 2, (lo_v + hi_v) / 2
    grid_u = np.linspace(cu - half, cu + half, grid)
    grid_v = np.linspace(cv - half, cv + half, grid)
    uu, vv = np.meshgrid(grid_u, grid_v)
    uv = np.column_stack([uu.ravel(), vv.ravel()])
    return _Mesh(plane, data_plane, grid_u, grid_v, plane.inverse(uv), np.stack([uu, vv], axis=-1), plane.labels)


def _curve(X: Array, names: Sequence[str], grid: int, task: str) -> _Mesh:
    grid_u = np.linspace(*_grid_axis(X[:, 0]), grid)
    labels = (names[0], "target" if task == "regression" else "P(class 1)")
    return _Mesh(
        Projection.identity((names[0], "")),
        np.column_stack([X[:, 0], np.zeros(len(X))]),
        grid_u,
        np.empty(0),
        grid_u[:, None],
        np.empty((0, 0, 2)),
        labels,
    )


def build_scene(history: History, data: Dataset, layer: int = 1, grid: int = 200) -> Scene:
    """The shared fixed part of the scene for ``history`` trained on ``data``."""
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
    names = tuple(data.feature_names) or tuple(sub("x", j) for j in range(X.shape[1]))
    mode = "curve" if X.shape[1] == 1 else "surface"
    mesh = _surface(X, names, grid) if mode == "surface" else _curve(X, names, grid, history.task)
    metric = "rmse" if history.task == "regression" else "accuracy"
    y_lo, y_hi = (float(y.min()), float(y.max())) if history.task == "regression" else (0.0, 1.0)
    if y_hi <= y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    images, thumbs = _thumbnails(data, X, y, test, mode)
    # Not clipped: a layer panel refuses a trained network whose values leave floating-point range.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        last = nn.forward(model, history.last.params, X)
    return Scene(
        model=model,
        task=history.task,
        mode=mode,
        layer=layer,
        plane=mesh.plane,
        input_labels=mesh.labels,
        grid_u=mesh.grid_u,
        grid_v=mesh.grid_v,
        mesh_x=mesh.mesh_x,
        mesh_uv=mesh.mesh_uv,
        X=X,
        y=y,
        test=test,
        total_points=total,
        data_plane=mesh.data_plane,
        value_range=(y_lo, y_hi),
        n_classes=data.n_classes or (model.sizes[-1] if model.task == "multiclass" else 2),
        class_names=data.class_names,
        metric=metric,
        sub_epoch=history.sub_epoch,
        last=last,
        last_epoch=history.last,
        images=images,
        thumbs=thumbs,
    )


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


# --- titles ---------------------------------------------------------------------------


def when(scene: Scene, epoch: int, step: int | None) -> str:
    """The epoch a title names; a sub-epoch snapshot says which step of training it shows."""
    return f"{epoch} (step {step})" if scene.sub_epoch else f"{epoch}"


def title(scene: Scene, epoch: int | str, metrics: Mapping[str, float]) -> str:
    """``Epoch 12    accuracy 91.5% (test 89.0%)    loss 0.2345 (test 0.2611)``"""

    def shown(name: str) -> str:
        test = metrics.get(f"test_{name}")
        return number(name, metrics[name], 4) + ("" if test is None else f" (test {number(name, test, 4)})")

    return f"Epoch {epoch}    {scene.metric} {shown(scene.metric)}    loss {shown('loss')}"


def short_title(scene: Scene, epoch: int | str, metrics: Mapping[str, float]) -> str:
    """``Epoch 12  acc 91.5% (test 89.0%)  loss 0.235``: the title for small frames."""
    test = metrics.get(f"test_{scene.metric}")
    tested = "" if test is None else f" (test {number(scene.metric, test)})"
    shown = short_metric(scene.metric, metrics[scene.metric])
    return f"Epoch {epoch}  {shown}{tested}  {short_metric('loss', metrics['loss'])}"


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
