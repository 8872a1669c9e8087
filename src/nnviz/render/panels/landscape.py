"""The loss landscape panel: the training loss over the plane of the path's two main directions, and the path.

Li et al. 2018 ("Visualizing the Loss Landscape of Neural Nets") and its
code (tomgoldstein/loss-landscape) flatten every saved network's parameters,
subtract the trained network's and take the two principal directions of
what is left; the plane through the trained network along them holds as much
of the training path as any plane can. The training loss over that plane is
computed once per run (``Landscape``, the fixed part, between training and
the first frame) and drawn as filled contours; each frame draws the path so
far and the current epoch's point on it.

A projection hides what leaves the plane (loss-landscape#1: users read the
map as if the path ran on it). So the title says how much of the path the
plane explains, and each frame writes the loss of the true network next to
the loss at its projection onto the plane, the point drawn: when the two
differ, the path is not where the map says it is.

The plane itself is ``trajectory.principal_plane`` (NumPy only).

The grid's resolution is the largest (up to ``MAX_RES`` per side) whose
one-off cost fits ``WORK_CAP``: each node is one pass of the whole training
set through the network. A run whose coarsest grid (``MIN_RES``) does not fit
is refused before training (``admit``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from ...config import Config
from ...engine import nn
from ...engine.data import Dataset
from ...engine.train import total_steps
from ...errors import ConfigError, RenderError
from ...numbers import fixed
from ..layout import Style
from ..scene import Frame, FrameContext, Limits, Panel, Scene
from .base import PanelKind, PanelView, Setup
from .trajectory import MAX_FIT_ROWS, MIN_EPOCHS, Plane, principal_plane

Array = np.ndarray

MAX_RES = 51  # grid nodes per side at most (loss-landscape's default): finer adds nothing at 400 px
MIN_RES = 9  # the coarsest grid still drawn as a map; below it the run is refused
# One-off work of the fixed part, in multiply-adds: every grid node is a pass
# of the training set. A unit took 3.7-8.8 ns on the shared 2-core machine under
# a load of 14 (benchmarks/bench_views.py), so the cap is ~7-18 s there and a
# few seconds idle. It bounds the memory too: 81 nodes of n samples through a
# first layer of h units keep n x h <= 1.3e6 (the 3 arrays of ``FirstLayer``,
# 31 MiB at most, and one pass's activations). Every generated dataset's default run gets the full 51 x 51
# grid (spiral's costs 1e9); the 1,797 digits get 35 x 35.
WORK_CAP = 2e9
ACT_COST = 16  # an activation (tanh, exp) costs about this many multiply-adds
PASS_COST = 20_000  # each pass's fixed overhead (Python, NumPy calls), in multiply-adds
MARGIN = 0.25  # of the path's extent, around it on every side
# Where the loss text goes, in axes fractions: (x, y, ha, va), in order of preference.
CORNERS = {
    "upper left": (0.03, 0.97, "left", "top"),
    "upper right": (0.97, 0.97, "right", "top"),
    "lower left": (0.03, 0.03, "left", "bottom"),
    "lower right": (0.97, 0.03, "right", "bottom"),
}
TEXT_BOX = (0.55, 0.3)  # the share of the axes the text may cover (its size at 600x200), width and height
LEVELS = 12  # contour bands (the colour key's steps)
LOG_FROM = 10.0  # highest / lowest loss on the map from which the key is logarithmic (a decade)
CMAP = "bone"  # grey-blue: no class's colour and not the regression surface's viridis
CMAP_RANGE = (0.2, 0.97)  # neither black (the frame) nor white (the page)
# The line under the panel (the title gives the plane's share, the key the loss's values):
# as short as the other panels' so that at 1200x400 it fits beside them and nothing gives way.
CAPTION = "dark: low loss; orange: the path; +: the end"
SHORT_CAPTION = "orange: the path so far"
PATH_COLOUR = "#f28e2b"  # orange over the grey-blue map (the current point too: the head of the path)


# --- the cost ---------------------------------------------------------------------------------


def _weights(model: nn.Model) -> int:
    return sum(a * b for a, b in zip(model.sizes[:-1], model.sizes[1:]))


def pass_work(model: nn.Model, n: int) -> float:
    """Multiply-adds of one grid node: ``n`` samples through ``model`` from the first layer's pre-activation.

    Layer 1 is affine in the parameters, so its products with the data are
    made once (``FirstLayer``) and each node only mixes them: three values per
    sample and unit instead of an input width's.
    """
    first = model.sizes[1]
    later = _weights(model) - model.sizes[0] * first
    return n * (3 * first + later + ACT_COST * sum(model.sizes[1:])) + PASS_COST


def plane_work(model: nn.Model, snapshots: int, n: int) -> float:
    """Multiply-adds made once: the fitted rows' Gram matrix, every snapshot's projection, layer 1's products."""
    params = sum(math.prod(s) for s in model.param_shapes())
    rows = min(snapshots, MAX_FIT_ROWS)
    return params * (rows * (rows + 2) + 3 * snapshots) + 3 * n * model.sizes[0] * model.sizes[1]


def resolution(model: nn.Model, n: int, snapshots: int) -> int:
    """Grid nodes per side: the most, up to ``MAX_RES``, whose work fits ``WORK_CAP`` (0: not even ``MIN_RES``)."""
    left = WORK_CAP - plane_work(model, snapshots, n)
    side = math.isqrt(int(max(left, 0.0) // pass_work(model, n)))
    side = min(side, MAX_RES)
    return side if side >= MIN_RES else 0


def refusal(model: nn.Model, n: int, total: int, snapshots: int) -> str:
    """The one line that refuses a landscape whose coarsest grid does not fit, naming what to change."""
    need = plane_work(model, snapshots, n) + MIN_RES**2 * pass_work(model, n)
    weights = _weights(model)
    # The most training samples that fit (the Gram part does not grow with them), as --n-samples counts them.
    per_sample = MIN_RES**2 * (pass_work(model, 1) - PASS_COST) + 3 * model.sizes[0] * model.sizes[1]
    fits = WORK_CAP - plane_work(model, snapshots, 0) - MIN_RES**2 * PASS_COST
    most = int(max(fits, 0.0) // per_sample * total // max(n, 1))
    samples = f"--n-samples <= {most:,}, " if most >= 1 else ""
    return (
        f"--panels landscape evaluates the training loss at {MIN_RES}x{MIN_RES} points of its plane at least, "
        f"each a pass of {n:,} training samples through {weights:,} weights: ~{need:.1e} multiply-adds, "
        f"over the cap of {WORK_CAP:.0e}; use {samples}narrower --hidden layers, or leave landscape out of --panels"
    )


def admit(cfg: Config, data: Dataset, model: nn.Model) -> None:
    """Refuse, before training, a run whose coarsest landscape would pass ``WORK_CAP``."""
    n = len(data.y)
    # As len(engine.train.snapshot_steps(cfg, n)), without building the list.
    every, total = cfg.train.snapshot_every, total_steps(cfg, n)
    snapshots = total // every + 1 + (total % every > 0) if every else cfg.train.epochs + 1
    if snapshots >= MIN_EPOCHS and not resolution(model, n, snapshots):
        raise ConfigError(refusal(model, n, n + len(data.y_test), snapshots))


# --- the fixed part: the map ---------------------------------------------------------------------


@dataclass(frozen=True)
class Landscape:
    """The loss over the plane on a ``res`` x ``res`` grid (rows along v), and the colour key's bands."""

    u: Array
    v: Array
    loss: Array
    levels: Array
    log: bool

    @property
    def window(self) -> Limits:
        return float(self.u[0]), float(self.u[-1]), float(self.v[0]), float(self.v[-1])


def window(coords: Array) -> tuple[Array, Array]:
    """A square window around the path, in equal units on both axes, ``MARGIN`` of its extent beyond it."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    side = float((hi - lo).max()) * (1 + 2 * MARGIN)
    centre = (lo + hi) / 2
    return centre[0] + np.array([-0.5, 0.5]) * side, centre[1] + np.array([-0.5, 0.5]) * side


@dataclass(frozen=True)
class FirstLayer:
    """Layer 1's pre-activation over the training set at the plane's origin and along each direction.

    ``X @ (W + u A + v B) + (b + u a + v b')`` is ``base + u du + v dv``:
    the products with the data are made once, not at every grid node.
    """

    base: Array
    du: Array
    dv: Array

    @classmethod
    def of(cls, plane: Plane, X: Array) -> FirstLayer:
        (W, b), (A, a), (B, c) = plane.origin[:2], plane.directions[0][:2], plane.directions[1][:2]
        return cls(X @ W + b, X @ A + a, X @ B + c)

    def at(self, u: float, v: float) -> Array:
        return self.base + u * self.du + v * self.dv


def text_corner(coords: Array, lim: Limits) -> str:
    """The corner of the axes whose text box would cover the fewest points of the path (the first on a tie)."""
    fx = (coords[:, 0] - lim[0]) / (lim[1] - lim[0])
    fy = (coords[:, 1] - lim[2]) / (lim[3] - lim[2])
    w, h = TEXT_BOX
    left, right, top, bottom = fx < w, fx > 1 - w, fy > 1 - h, fy < h
    cover = {
        "upper left": left & top,
        "upper right": right & top,
        "lower left": left & bottom,
        "lower right": right & bottom,
    }
    return min(CORNERS, key=lambda c: int(cover[c].sum()))


def loss_at(model: nn.Model, plane: Plane, first: FirstLayer, y: Array, u: float, v: float) -> float:
    """The run's own training loss (``model.out.value`` on the logits, float64) at plane point (u, v).

    Layer 1 from ``first``, the rest through ``nn.forward``: the same loss
    as ``nn.loss`` for those parameters, to rounding.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z1 = first.at(u, v)
        if model.n_layers == 1:
            return model.out.value(z1, y)
        logits = nn.forward(model, plane.params_at(u, v), z1, start=1, pre=True, head=False).z[-1]
        return model.out.value(logits, y)


def landscape(model: nn.Model, plane: Plane, first: FirstLayer, y: Array, res: int) -> Landscape:
    """The loss at every node of the grid over the path's window: the one-off part."""
    (u0, u1), (v0, v1) = window(plane.coords)
    u, v = np.linspace(u0, u1, res), np.linspace(v0, v1, res)
    loss = np.array([[loss_at(model, plane, first, y, float(a), float(b)) for a in u] for b in v])
    finite = loss[np.isfinite(loss)]
    top = float(finite.max()) if finite.size else 1.0
    loss = np.nan_to_num(loss, nan=top, posinf=top, neginf=top)  # off-scale far corners: the top band
    return Landscape(u, v, loss, *bands(float(loss.min()), float(loss.max())))


def bands(lo: float, hi: float) -> tuple[Array, bool]:
    """The contour levels over [lo, hi]: geometric when the range spans ``LOG_FROM`` or more."""
    if not hi > lo:
        pad = max(abs(lo) * 1e-3, 1e-12)
        return np.linspace(lo - pad, hi + pad, LEVELS + 1), False
    if lo > 0 and hi / lo >= LOG_FROM:
        levels = np.geomspace(lo, hi, LEVELS + 1)
        levels[[0, -1]] = lo, hi  # exactly the map's range: no node falls outside the bands
        return levels, True
    return np.linspace(lo, hi, LEVELS + 1), False


def key_locator(m: Landscape) -> Any:
    """The colour key's ticks: 1-2-5 steps over a log key of two decades or less (one tick per decade misses most)."""
    if not m.log:
        return MaxNLocator(4)
    decades = math.log10(m.levels[-1] / m.levels[0])
    return LogLocator(subs=(1.0, 2.0, 5.0) if decades <= 2 else (1.0,), numticks=6)


def band_colours() -> list[tuple[float, float, float]]:
    """One colour per band, dark (low loss) to light (high): the same ones every run, for a GIF palette."""
    cmap = colormaps[CMAP]
    return [tuple(cmap(t)[:3]) for t in np.linspace(*CMAP_RANGE, LEVELS)]


# --- the panel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spot:
    """The landscape's frame: the current epoch's point, its loss and the loss at its projection."""

    index: int  # the History position: the path so far ends there
    point: Array  # (2,) plane coordinates
    loss: float  # the true network's (the History's loss column)
    on_plane: float  # at its projection onto the plane
    limits: Limits

    def finite_arrays(self) -> Iterable[Array | None]:
        return (self.point,)


@dataclass(frozen=True)
class LandscapePanel(Panel):
    """The plane and its map, fixed for the animation; None of them when the path has no plane (``reason``)."""

    model: nn.Model = field(repr=False)
    first: FirstLayer | None = field(repr=False)
    y: Array = field(repr=False)
    plane: Plane | None = field(repr=False)
    map: Landscape | None = field(repr=False)
    reason: str = ""  # why there is no plane
    corner: str = "upper left"  # where the loss text goes (``text_corner``)
    name: str = "landscape"
    title: str = "Loss landscape"
    labels: tuple[str, str] = ("", "")
    caption: str = ""
    short_caption: str = ""
    # No training event is about the landscape (the plateau is the curves'), and another panel's
    # would misread here: "the plane folds to a curve" under a plane of parameters.
    hosts_others: ClassVar[bool] = False

    @property
    def painter(self) -> Any:
        return LandscapeView

    def fixed_limits(self) -> Limits | None:
        return self.map.window if self.map is not None else (0.0, 1.0, 0.0, 1.0)

    def loss_at(self, u: float, v: float) -> float:
        """The training loss at plane point (u, v), as the map's nodes are computed."""
        assert self.plane is not None and self.first is not None
        return loss_at(self.model, self.plane, self.first, self.y, u, v)

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Spot:
        lim = self.fixed_limits()
        assert lim is not None
        if self.plane is None:
            return Spot(ctx.index, np.zeros(2), ctx.epoch.loss, ctx.epoch.loss, lim)
        u, v = self.plane.coords[ctx.index]
        return Spot(ctx.index, self.plane.coords[ctx.index], ctx.epoch.loss, self.loss_at(float(u), float(v)), lim)


def share(x: float) -> str:
    """A fraction as a percentage that never rounds up to a whole 100% it is not."""
    if x >= 1 - 1e-9:
        return "100%"
    return ">99.9%" if x >= 0.9995 else f"{x:.1%}"


def build(setup: Setup) -> tuple[Panel, ...]:
    """The plane of the run's path and the loss over it (computed here, once, before the first frame)."""
    history, data = setup.history, setup.data
    model = history.model
    X = np.asarray(data.X, dtype=np.float64)
    y = np.asarray(data.y)
    plane = principal_plane(history.epochs)
    if isinstance(plane, str):  # the panel's middle says why
        caption, short = "no map: the path has no plane", "no plane"
        return (
            LandscapePanel(
                model=model, first=None, y=y, plane=None, map=None, reason=plane, caption=caption, short_caption=short
            ),
        )
    res = resolution(model, len(y), len(history))
    if not res:  # a history read from a file, longer than its config said
        raise RenderError(refusal(model, len(y), len(y) + len(data.y_test), len(history)))
    first = FirstLayer.of(plane, X)
    grid = landscape(model, plane, first, y, res)
    r1, r2 = plane.ratios
    explained = share(plane.explained)
    return (
        LandscapePanel(
            model=model,
            first=first,
            y=y,
            plane=plane,
            map=grid,
            corner=text_corner(plane.coords, grid.window),
            title=f"Loss landscape (plane: {explained} of the path)",
            labels=(f"PC1 ({share(r1)})", f"PC2 ({share(r2)})"),
            caption=CAPTION,
            short_caption=SHORT_CAPTION,
        ),
    )


class LandscapeView(PanelView):
    """The map (drawn once into the background) with the path so far and the current point over it.

    The path and the point are the animated artists, updated in place; the
    text box says the true loss and the loss at the point drawn.
    """

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        super().__init__(ax, scene, panel, style, stride)
        assert isinstance(panel, LandscapePanel)
        self.land = panel
        self.bar: Any = None
        if panel.map is None:
            ax.set_xticks([])
            ax.set_yticks([])
            return
        m = panel.map
        norm = mcolors.LogNorm(m.levels[0], m.levels[-1]) if m.log else mcolors.Normalize(m.levels[0], m.levels[-1])
        keyed = ScalarMappable(norm, mcolors.ListedColormap(band_colours()))
        # 90% of the panel's height: a label at the key's top end stays clear of the panel title.
        # Slimmer at scale 1 than in small frames, where 1:25 left a 2-pixel key at 480x160.
        self.bar = ax.figure.colorbar(
            keyed,
            ax=ax,
            use_gridspec=False,
            location="right",
            fraction=0.06,
            pad=0.03,
            aspect=min(25.0, 25.0 * style.scale),
            shrink=0.9,
        )
        self.bar.set_label("training loss" + (" (log)" if m.log else ""), fontsize=style.label, labelpad=2)
        self.bar.ax.tick_params(labelsize=style.tick, length=3 * style.scale, pad=2)
        # The layout's fewer-ticks step sets a locator on both axes: the key's short one stays unlabelled.
        self.bar.ax.tick_params(axis="x", bottom=False, labelbottom=False)
        self.bar.locator = key_locator(m)
        self.bar.formatter = FuncFormatter(lambda value, _: f"{value:.3g}")
        self.bar.update_ticks()
        self.bar.ax.minorticks_off()
        # The key's bands are drawn with the map (``_fixed``): the celluloid engine
        # keeps only what each frame adds, and showed the colorbar's own on frame 0 alone.
        self.bar.solids.set_visible(False)

    @property
    def axes(self) -> list[Any]:
        return [self.ax] if self.bar is None else [self.ax, self.bar.ax]

    def _fixed(self) -> list[Any]:
        """The map, the whole path faint and the trained network's mark: the same every frame."""
        p, m = self.land, self.land.map
        if p.plane is None or m is None:
            return [
                self.ax.text(
                    0.5, 0.5, p.reason, ha="center", va="center", fontsize=self.style.label, transform=self.ax.transAxes
                )
            ]
        s = self.scale
        fill = self.ax.contourf(m.u, m.v, m.loss, levels=m.levels, colors=band_colours(), zorder=1)
        key = self.bar.ax.pcolormesh(
            [0.0, 1.0],
            m.levels,
            np.arange(LEVELS)[:, None],
            cmap=mcolors.ListedColormap(band_colours()),
            norm=mcolors.Normalize(-0.5, LEVELS - 0.5),
            zorder=1,
        )
        c = p.plane.coords
        (whole,) = self.ax.plot(c[:, 0], c[:, 1], color="white", lw=1.0 * s, alpha=0.5, ls="--", zorder=2)
        (trained,) = self.ax.plot([0.0], [0.0], "+", color="white", ms=max(8 * s, 5.0), mew=1.4 * s, zorder=3)
        return [fill, key, whole, trained]

    def _moving(self, frame: Frame) -> list[Any]:
        sp = self.mine(frame)
        if self.land.plane is None:
            return []
        s = self.scale
        c = self.land.plane.coords[: sp.index + 1]
        (path,) = self.ax.plot(c[:, 0], c[:, 1], color=PATH_COLOUR, lw=1.8 * s, zorder=4, solid_capstyle="round")
        kw = {"ms": max(7 * s, 4.5), "mec": "white", "mew": 0.9 * s, "zorder": 5}
        (here,) = self.ax.plot([sp.point[0]], [sp.point[1]], "o", color=PATH_COLOUR, **kw)
        x, y, ha, va = CORNERS[self.land.corner]
        text = self.ax.text(
            x,
            y,
            self._text(sp),
            transform=self.ax.transAxes,
            ha=ha,
            va=va,
            fontsize=self.style.tick,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85},
        )
        text.set_visible(self._fits(text))
        return [path, here, text]

    def _fits(self, text: Any) -> bool:
        """Whether ``text`` fits in 90% of the axes' width, as laid out so far.

        A panel too narrow for it (five panels at 320x160) leaves it out
        rather than spill it over the key and the next panel. Before the
        layout (``build``) the axes are where subplots put them; each update
        looks again at where the layout left them.
        """
        fig = self.ax.figure
        text.set_visible(True)  # a hidden text measures nothing
        width = text.get_window_extent(renderer=fig.canvas.get_renderer()).width
        return bool(width <= 0.9 * self.ax.get_position().width * fig.bbox.width)

    @staticmethod
    def _text(sp: Spot) -> str:
        return f"true loss {fixed(sp.loss, 4)}\nat the dot {fixed(sp.on_plane, 4)}"

    def build(self, frame: Frame) -> list[Any]:
        self._fixed()  # static: drawn once into the background
        self.artists = self._moving(frame)
        for a in self.artists:
            a.set_animated(True)
        return self.artists

    def add(self, frame: Frame) -> list[Any]:
        return self._fixed() + self._moving(frame)

    def update(self, frame: Frame) -> None:
        if not self.artists:
            return
        sp = self.mine(frame)
        path, here, text = self.artists
        assert self.land.plane is not None
        c = self.land.plane.coords[: sp.index + 1]
        path.set_data(c[:, 0], c[:, 1])
        here.set_data([sp.point[0]], [sp.point[1]])
        text.set_text(self._text(sp))
        text.set_visible(self._fits(text))

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        rgb = [*band_colours(), mcolors.to_rgb(PATH_COLOUR)]
        return np.array(rgb)


KIND = PanelKind(
    "landscape",
    "the training loss over the plane of the path's two main directions, with the path so far",
    build,
    admit=admit,
)
