"""One frame of a scene: every panel's plain arrays for one epoch, and the animation's fixed axes.

The panel protocol lives here (``Panel``): a panel is built once per
animation with what it needs fixed, keeps what it draws of each slice of the
meshgrid's forward pass (``take``), says its extent in the cheap limits pass
(``sample``) and computes its arrays per frame (``frame``). ``make_frame`` and
``fixed_limits`` only iterate over panels; neither knows a panel's kind.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from ...engine import nn
from ...engine.events import Event
from ...engine.history import Epoch, History
from ...errors import RenderError
from .base import Scene, short_title, title, when
from .boundaries import boundaries
from .geometry import MAX_COORD, Limits, drawable, pad, union
from .passes import chunk_rows, in_chunks, trace

Array = np.ndarray

COARSE = 12  # interior rows/columns the cheap limits pass samples


class PanelFrame(Protocol):
    """A panel's arrays for one frame: anything it likes, plus its axis limits (None: it keeps its own)."""

    @property
    def limits(self) -> Limits | None: ...

    def finite_arrays(self) -> Iterable[Array | None]:
        """Every array that must be finite for the frame to be drawn."""
        ...


@dataclass(frozen=True)
class Space:
    """A plane panel's frame: the input plane, a layer's space, the morph.

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
    limits: Limits | None = None

    def finite_arrays(self) -> Iterable[Array | None]:
        return (self.mesh, self.curve, self.points, self.values, *self.boundary)


@dataclass(frozen=True)
class Frame:
    """One epoch, ready to draw: the painter needs nothing else.

    ``values`` colour the input surface (the warped panels colour their
    mesh cells by them too); ``panels`` hold each panel's arrays and
    ``limits`` each panel's axes (xmin, xmax, ymin, ymax): the fixed ones of
    the whole animation, or this frame's own with ``--axes per-frame``.
    """

    index: int  # position in the history (the loss panel's marker)
    epoch: int
    title: str
    values: Array  # colours 0..1: (g, g) surface or (g,) along the curve
    panels: Mapping[str, Any]
    loss: float
    metric: float
    limits: Mapping[str, Limits] = field(default_factory=dict)
    short_title: str = ""  # the title for a frame too narrow for the full one
    notes: Mapping[str, Event] = field(default_factory=dict)  # the event each panel names, by panel


@dataclass(frozen=True)
class Sample:
    """One epoch in the cheap limits pass: a coarse sample of the meshgrid and the data, through its network."""

    epoch: Epoch
    coarse: nn.Trace  # the mesh's border plus a coarse interior
    base: Array  # each coarse point's first plane coordinate
    data: nn.Trace


class FrameContext:
    """What one frame's panels share, each computed once and only when a panel asks.

    ``kept`` holds what each panel took from the meshgrid's pass, ``out``
    the network's output at every mesh point and ``values`` its colours.
    """

    def __init__(self, scene: Scene, epoch: Epoch, index: int, kept: Mapping[str, tuple[Array, ...]], out: Array):
        self.scene, self.epoch, self.index = scene, epoch, index
        self.params = epoch.params
        self.kept, self.out = kept, out
        values = scene.surface_values(out)
        self.values = values.reshape(scene.grid, scene.grid) if scene.mode == "surface" else values

    def trace(self, X: Array, **kwargs: Any) -> nn.Trace:
        """``X`` through this frame's network (rendering's finite policy)."""
        return trace(self.scene.model, self.params, X, **kwargs)

    @functools.cached_property
    def data(self) -> nn.Trace:
        """The data through this frame's network."""
        return self.trace(self.scene.X)

    @functools.cached_property
    def input_lines(self) -> list[Array]:
        """The exact decision boundary in the input plane, as polylines in plane coordinates."""
        scene = self.scene
        if scene.mode != "surface":
            return []
        # The bisection reads logits only: no output head (a softmax) to compute and drop at every step.
        logits = lambda p: self.trace(scene.plane.inverse(p), head=False).z[-1]  # noqa: E731
        return boundaries(scene.task, scene.input_grid, self.out, logits)

    @functools.cached_property
    def line_trace(self) -> nn.Trace | None:
        """The input boundary's points through the network (the projected panels map it)."""
        lines = self.input_lines
        return self.trace(self.scene.plane.inverse(np.concatenate(lines))) if lines else None


class Panel(ABC):
    """One panel of an animation: its fixed part, built once from the scene and the History.

    Subclasses set ``name`` (unique in a figure), ``title`` and ``labels``
    (axis labels), ``caption`` (one line under the panel saying what is
    drawn, for a reader who never saw nnviz), and ``painter``: the view
    class that draws its frames in place (``render.panels``); the scene
    never calls it. ``axes`` is the kind of matplotlib axes it draws on
    ("3d" for 3-D).
    """

    name: str
    title: str
    labels: tuple[str, str]
    caption: str = ""
    short_caption: str = ""  # for a frame too small for ``caption``
    painter: ClassVar[Any]
    axes: ClassVar[str] = "2d"
    # Whether an event no panel concerns may be named here (the first panel that may takes it);
    # False where its words would misread (the loss landscape's "plane" is one of parameters).
    hosts_others: ClassVar[bool] = True

    def concerns(self, event: Event) -> bool:
        """Whether ``event`` (a dead unit, a plateau...) is about what this panel draws: its caption names it."""
        return False

    def take(self, trace: nn.Trace, base: Array) -> tuple[Array, ...]:
        """What this panel keeps of one slice of the meshgrid's pass (``base``: the slice's first plane coordinate).

        Keep what is drawn (two coordinates), not a layer's full width: the
        pass runs in slices so a wide layer never exists for the whole mesh.
        """
        return ()

    def take_rows(self, trace: nn.Trace, base: Array, rows: slice) -> tuple[Array, ...]:
        """``take``, told which rows of ``scene.mesh_x`` the slice holds (``rows``).

        For a panel that keeps a fixed sample of the mesh (small maps), which
        it can only pick by position; the default is ``take``.
        """
        return self.take(trace, base)

    def sample(self, sample: Sample) -> Limits | None:
        """This panel's extent in one epoch of the limits pass (None: it needs none)."""
        return None

    def fixed_limits(self) -> Limits | None:
        """Limits known without a pass (the input plane's extent); None when they come from ``sample``."""
        return None

    @abstractmethod
    def frame(self, ctx: FrameContext, limits: Limits | None) -> PanelFrame:
        """This panel's arrays for one frame; ``limits`` are the animation's fixed ones (None: fit this frame)."""


# --- the frame ----------------------------------------------------------------------------


def _mesh_pass(scene: Scene, panels: Sequence[Panel], params: Sequence[Array]) -> tuple[dict[str, tuple], Array]:
    """The meshgrid through the network once, in row slices: what each panel keeps, and the output."""
    base = scene.base
    counts: list[int] = []

    def one(s: slice) -> tuple[Array, ...]:
        t = trace(scene.model, params, scene.mesh_x[s])
        parts = [p.take_rows(t, base[s], s) for p in panels]
        counts[:] = [len(part) for part in parts]
        return (*(a for part in parts for a in part), t.a[-1])

    flat = in_chunks(one, len(scene.mesh_x), chunk_rows(scene.model))
    kept: dict[str, tuple] = {}
    at = 0
    for p, n in zip(panels, counts):
        kept[p.name], at = tuple(flat[at : at + n]), at + n
    return kept, flat[-1]


def make_frame(
    scene: Scene, panels: Sequence[Panel], epoch: Epoch, index: int, limits: Mapping[str, Limits] | None = None
) -> Frame:
    """Everything one epoch's panels show, with each panel's axis limits.

    ``limits`` are the animation's fixed limits; None fits this frame alone
    (``--axes per-frame``).
    """
    # Huge parameters overflow; every panel's arrays are checked below instead of NumPy warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        kept, out = _mesh_pass(scene, panels, epoch.params)
        ctx = FrameContext(scene, epoch, index, kept, out)
        frames = {p.name: p.frame(ctx, None if limits is None else limits.get(p.name)) for p in panels}
    if not np.isfinite(ctx.values).all():
        raise undrawable(epoch, "input", scene.sub_epoch)
    for name, pf in frames.items():
        if not all(np.isfinite(a).all() for a in pf.finite_arrays() if a is not None):
            raise undrawable(epoch, name, scene.sub_epoch)
    metrics = epoch.metrics
    at = when(scene, epoch.epoch, epoch.step)
    return Frame(
        index,
        epoch.epoch,
        title(scene, at, metrics),
        ctx.values,
        frames,
        float(metrics["loss"]),
        float(metrics.get(scene.metric, np.nan)),
        limits={name: pf.limits for name, pf in frames.items() if pf.limits is not None},
        short_title=short_title(scene, at, metrics),
    )


# Which event a panel names when several hold at once: the cause of a bad run before its symptoms.
PRIORITY = ("no better than guessing", "unscaled", "dead", "saturated", "collapsed", "plateau", "separated")


def notes(panels: Sequence[Panel], events: Sequence[Event], position: int) -> dict[str, Event]:
    """The event each panel names at history ``position``: in the panel it concerns, else the first panel
    that ``hosts_others``; a warning before what only explains, and a bad run's cause before its symptoms."""
    out: dict[str, Event] = {}
    holding = sorted((e for e in events if e.holds(position)), key=lambda e: (not e.warning, PRIORITY.index(e.kind)))
    host = next((p for p in panels if p.hosts_others), None)
    for event in holding:
        panel = next((p for p in panels if p.concerns(event)), host)
        if panel is not None and panel.name not in out:
            out[panel.name] = event
    return out


def checked(lim: Limits, epoch: Epoch, panel: str, sub_epoch: bool) -> Limits:
    """``lim``, or the error for a panel whose axes leave floating-point range."""
    if not drawable(lim):
        raise undrawable(epoch, panel, sub_epoch)
    return lim


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


# --- the fixed axes -------------------------------------------------------------------------


def _coarse_sample(scene: Scene) -> tuple[Array, Array]:
    """The mesh's border plus a coarse interior, in input features and plane coordinates.

    For layer 1 the pre-activation is affine in the input, so the border
    alone holds its extremes; the interior covers deeper layers and PCA.
    """
    if scene.mode == "curve":
        return scene.mesh_x, scene.grid_u
    g = scene.grid
    keep = np.zeros((g, g), dtype=bool)
    keep[[0, -1], :] = keep[:, [0, -1]] = True
    step = max(1, g // COARSE)
    keep[::step, ::step] = True
    mask = keep.ravel()
    uv = scene.mesh_uv.reshape(-1, 2)[mask]
    return scene.mesh_x[mask], uv[:, 0]


def fixed_limits(scene: Scene, panels: Sequence[Panel], history: History, indices: Sequence[int]) -> dict[str, Limits]:
    """One set of limits for every rendered epoch: the cheap first pass."""
    xs, base = _coarse_sample(scene)
    acc: dict[str, Limits] = {}
    sampled = [p for p in panels if p.fixed_limits() is None]
    for i in indices:
        epoch = history.epochs[i]
        s = Sample(epoch, trace(scene.model, epoch.params, xs), base, trace(scene.model, epoch.params, scene.X))
        # Huge parameters overflow a projection; the limits are checked instead.
        with np.errstate(over="ignore", invalid="ignore"):
            for p in sampled:
                b = p.sample(s)
                if b is None:
                    continue
                acc[p.name] = union(acc.get(p.name), b)
                # The first epoch that takes a panel's axes out of range is the one to name.
                checked(pad(acc[p.name]), epoch, p.name, scene.sub_epoch)
    limits = {name: pad(lim) for name, lim in acc.items()}
    for p in panels:
        own = p.fixed_limits()
        if own is not None:
            limits[p.name] = own
    return limits
