"""The 3-D panels: a 3-wide hidden layer's space, turning slowly, with the output's separating plane.

``hidden3d`` and ``activation3d`` are the 3-D twins of ``hidden`` and
``activation``: the data and the warped input grid after the chosen layer's
affine map (z) or its activation (a), in a view whose camera turns a fixed
number of degrees every frame (tensorflow/playground#108). In the last hidden
layer's activation the output layer is affine, so its decision boundary is a
plane there: for a binary output the plane a.w + b = 0, clipped to the axes
box and tinted with the class colour of the side the camera looks from; for
several classes each pair's plane where those two classes win (the faces of
the output's decision regions). Everywhere else the boundary is the input
plane's one mapped onto the warped sheet. A layer wider than 3 is drawn on
axes fixed by the last epoch (the output's decision axes completed by
principal axes, else the first three principal axes); 1- and 2-wide layers
are refused before training (``refuse``): flat in 3-D, they teach nothing
their 2-D panels do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from matplotlib.ticker import NullLocator

# matplotlib's 3-D toolkit ships without type information (a plain import, no overrides entry needed).
from mpl_toolkits.mplot3d.art3d import Line3DCollection, Poly3DCollection  # type: ignore[import-untyped]

from ...engine import nn
from ...engine.events import Event
from ...errors import ConfigError
from ..colours import LEVELS, NORM, binary_cmap, class_colors, multiclass_cmap, surface_cmap
from ..layout import Style
from ..legend import BOUNDARY_STYLE
from ..scene import (
    Frame,
    FrameContext,
    Limits,
    Panel,
    Sample,
    Scene,
    checked,
    pad,
    sub,
    undrawable,
)
from ..scene.geometry import MAX_COORD, SUBSCRIPTS
from ..scene.passes import chunk_rows, in_chunks, trace
from ..scene.space3d import (
    AZIM0,
    BOX,
    ELEV,
    Plane,
    View3,
    azimuth,
    bounds3,
    end_azimuth,
    faces_camera,
    output_planes,
    view_of,
)
from .base import PanelKind, PanelView, Setup
from .planes import DETAIL_MIN_SCALE, WARPED_LINE_STEP
from .turning3d import TURNING_AXES, CameraMark, Markers3D

Array = np.ndarray

ZOOM, SMALL_ZOOM = 1.15, 1.4  # the cube's size in its axes (matplotlib's 1 leaves room for tick labels)
LABEL_PAD = -15.0  # points off matplotlib's 21: an axis label next to its edge of the cube
ALONG = 41  # points along each drawn grid line (segments of ~5 px on a 400-px panel)
PLANE_ALPHA = 0.3  # the plane tints what is behind it: points there read as behind it
PLANE_EDGE = "0.45"  # lighter than the boundary line, which is drawn where the sheet crosses the plane
MIN_WIDTH = 3


# --- the panel ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cloud:
    """A 3-D panel's frame: the warped grid, the data, the boundary, the camera.

    ``grid`` (lines, ALONG, 3) are the drawn input grid lines, ``values``
    (lines, ALONG - 1) the colour position of each piece between two of
    their points (the prediction where it starts); ``front`` and
    ``front_grid`` say which points and pieces are on the camera's side of
    a binary output's plane (drawn over it; the rest are behind it and
    drawn under it). ``facing`` says which class's side of each plane the
    camera sees.
    """

    grid: Array
    values: Array
    points: Array
    boundary: tuple[Array, ...]
    planes: tuple[Plane, ...]
    facing: tuple[int, ...]
    front: Array
    front_grid: Array
    azim: float
    elev: float
    limits: Limits | None = None

    def finite_arrays(self) -> Iterable[Array | None]:
        return (self.grid, self.points, *self.boundary, *(p.polygon for p in self.planes))


@dataclass(frozen=True)
class Space3DPanel(Panel):
    """Hidden layer ``layer``'s z (``kind`` "z") or a ("a") in 3-D, seen by a turning camera."""

    scene: Scene = field(repr=False)
    name: str
    layer: int
    kind: str
    width: int
    view: View3 = field(repr=False)
    line_x: Array = field(repr=False)  # the drawn grid lines' points, in input features (lines x ALONG rows)
    line_flat: Array = field(repr=False)  # their places in the meshgrid (for the mesh pass's colours)
    lines: int
    order: dict[int, int] = field(repr=False)  # history position -> the frame's place in the animation
    last: int  # the last frame's place
    end: float  # the camera's azimuth at the last frame
    title: str = ""
    labels: tuple[str, str] = ("", "")
    zlabel: str = ""
    caption: str = ""
    short_caption: str = ""
    axes = TURNING_AXES

    def concerns(self, event: Event) -> bool:
        """As the 2-D layer panels: units dead or pinned show in a, a layer collapsed to a line in z."""
        units = event.kind in ("dead", "saturated") and self.kind == "a"
        return event.layer == self.layer and (units or (event.kind == "collapsed" and self.kind == "z"))

    @property
    def painter(self) -> Any:
        return Space3DView

    @property
    def decides(self) -> bool:
        """Whether the output layer is affine in this space, so its boundary is drawn as planes."""
        scene = self.scene
        return (
            self.kind == "a" and self.layer == scene.model.n_hidden and scene.task != "regression" and self.view.exact
        )

    def values(self, t: nn.Trace) -> Array:
        return t.z[self.layer - 1] if self.kind == "z" else t.a[self.layer - 1]

    def _grid_points(self, params: Sequence[Array]) -> Array:
        """The drawn grid lines' points in this space's three coordinates (n, 3).

        In row slices, as the meshgrid's pass: a deep, wide network's every layer
        for all 656 points would be 170 MB; each slice keeps three numbers a point.
        """
        model = self.scene.model
        one = lambda s: (self.view(self.values(trace(model, params, self.line_x[s]))),)  # noqa: E731
        return in_chunks(one, len(self.line_x), chunk_rows(model))[0]

    def sample(self, sample: Sample) -> Limits | None:
        data = (self.view(self.values(t)) for t in (sample.data, sample.coarse))
        return bounds3(self._grid_points(sample.epoch.params), *data)

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Cloud:
        scene = self.scene
        grid = self._grid_points(ctx.params).reshape(self.lines, ALONG, 3)
        values = ctx.values.ravel()[self.line_flat].reshape(self.lines, ALONG)[:, :-1]
        points = self.view(self.values(ctx.data))
        lim = limits if limits is not None else pad(bounds3(grid, points))
        lim = checked(lim, ctx.epoch, self.name, scene.sub_epoch)
        azim = azimuth(self.order.get(ctx.index, ctx.index), self.last, self.end)
        planes: tuple[Plane, ...] = ()
        if self.decides:
            k = scene.model.n_hidden
            n, c = self.view.affine(ctx.params[2 * k], ctx.params[2 * k + 1])
            planes = output_planes(n, c, lim)
        facing = tuple(p.classes[int(faces_camera(p.normal, lim, azim, ELEV))] for p in planes)
        front, front_grid = np.ones(len(points), bool), np.ones(values.shape, bool)
        if len(planes) == 1:  # one plane: what is on the camera's side is drawn over it
            p = planes[0]
            up = faces_camera(p.normal, lim, azim, ELEV)
            front = (points @ p.normal + p.offset > 0) == up
            mid = (grid[:, :-1] + grid[:, 1:]) / 2
            front_grid = (mid @ p.normal + p.offset > 0) == up
        return Cloud(
            grid,
            values,
            points,
            self._mapped_lines(ctx),
            planes,
            facing,
            front,
            front_grid,
            azim,
            ELEV,
            limits=lim,
        )

    def _mapped_lines(self, ctx: FrameContext) -> tuple[Array, ...]:
        """The input plane's exact decision boundary, mapped onto the warped sheet."""
        lines, t = ctx.input_lines, ctx.line_trace
        if t is None:
            return ()
        cuts = np.cumsum([len(ln) for ln in lines])[:-1]
        return tuple(np.split(self.view(self.values(t)), cuts))


def _grid_lines(scene: Scene) -> tuple[Array, Array, int]:
    """The input grid lines a 3-D panel draws: their points in input features, their mesh places, and how many.

    Every other one of the lines the input panel draws (as the 2-D warped
    panels do), ``ALONG`` points each; the interval itself in curve mode.
    """
    g = scene.grid
    along = np.linspace(0, g - 1, ALONG).round().astype(int)
    if scene.mode == "curve":
        return scene.mesh_x[along], along, 1
    idx = scene.line_index()[::WARPED_LINE_STEP]
    flat = np.concatenate([*(r * g + along for r in idx), *(along * g + c for c in idx)])
    return scene.mesh_x[flat], flat, 2 * len(idx)


def refuse(model: nn.Model, layer: int, name: str) -> str | None:
    """Why ``--panels name`` cannot draw layer ``layer`` of ``model`` (None: it can)."""
    width = model.sizes[layer] if 1 <= layer <= model.n_hidden else 0
    if width >= MIN_WIDTH:
        return None
    wide = [k for k in range(1, model.n_hidden + 1) if model.sizes[k] >= MIN_WIDTH]
    fix = f"pick one with --layer {wide[0]}" if wide else "set --hidden with a layer of 3 or more units (--hidden 3)"
    return (
        f"--panels {name} draws a hidden layer of {MIN_WIDTH} or more units in 3-D, "
        f"and layer {layer} has {width}: {fix}"
    )


def space3d_panel(setup: Setup, name: str, kind: str) -> Space3DPanel:
    """The chosen layer's z or a in 3-D, its axes fixed by the trained network's values on the data."""
    scene = setup.scene
    layer = scene.layer
    why = refuse(scene.model, layer, name)
    if why is not None:  # the plan refuses it before training; a library caller gets it here
        raise ConfigError(why)
    h = scene.last.z[layer - 1] if kind == "z" else scene.last.a[layer - 1]
    width = h.shape[1]
    if width == MIN_WIDTH:
        view = View3(np.zeros(3), None, (sub(kind, 0), sub(kind, 1), sub(kind, 2)))
    else:
        out_w = scene.last_params[2 * layer] if kind == "a" and layer == scene.model.n_hidden else None
        try:
            if not np.isfinite(h).all() or np.abs(h).max() > MAX_COORD:
                raise ValueError("hidden values out of range")
            view = view_of(h, out_w)
        except ValueError:  # LinAlgError too
            raise undrawable(scene.last_epoch, name, scene.sub_epoch) from None
    line_x, line_flat, lines = _grid_lines(scene)
    indices = setup.indices or tuple(range(len(setup.history)))
    act = scene.activation_label
    where = "" if layer == 1 else f" of layer {layer}"
    how = f", {width} units projected" if view.projected else ""
    what = f"pre-activation z{how}" if kind == "z" else f"{act}{how}"
    heading = f"{'Hidden' if kind == 'z' else 'Activation'} space{where} in 3-D ({what})"
    panel = Space3DPanel(
        scene,
        name,
        layer,
        kind,
        width,
        view,
        line_x,
        line_flat,
        lines,
        {h: k for k, h in enumerate(indices)},
        len(indices) - 1,
        AZIM0,
        title=heading,
        labels=view.labels[:2],
        zlabel=view.labels[2],
    )
    caption, short = _captions(panel)
    return replace(panel, caption=caption, short_caption=short, end=_poster_azimuth(panel))


def _poster_azimuth(panel: Space3DPanel) -> float:
    """The last frame's azimuth: an oblique look at the trained network's plane.

    A binary output's plane where it is drawn; elsewhere the plane the
    trained layer's points lie nearest (across their least principal axis):
    layer 1's z is the input plane itself, which edge-on is a line.
    """
    scene = panel.scene
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        pts = panel.view(panel.values(scene.last))
        if not len(pts) or not np.isfinite(pts).all():
            return AZIM0
        spans = np.ptp(pts, axis=0)
        spans = np.where(spans > 0, spans, 1.0)
        if panel.decides and scene.task == "binary":
            k = scene.model.n_hidden
            normal = panel.view.affine(scene.last_params[2 * k], scene.last_params[2 * k + 1])[0][:, 0]
        else:  # in the box's own scaling, where the camera looks
            unit = (pts - pts.mean(axis=0)) / spans
            normal = np.linalg.svd(unit, full_matrices=False)[2][-1] / spans
    return end_azimuth(normal, spans)


def _captions(panel: Space3DPanel) -> tuple[str, str]:
    """What the turning cloud is and what its plane means, for a reader who never saw nnviz (full, short)."""
    scene = panel.scene
    k = str(panel.layer).translate(SUBSCRIPTS)
    what = "input line" if scene.mode == "curve" else "input grid"
    if panel.kind == "z":
        step = f"z = xW{k} + b{k}" if panel.layer == 1 else f"z = aW{k} + b{k}"
        return f"{what} after {step}, in 3-D", f"after {step}"
    act = scene.model.activation
    if panel.decides and scene.task == "binary":
        return f"after {act}: the tinted plane is the boundary", "plane: boundary"
    if panel.decides:
        return f"after {act}: tinted planes part the classes", "planes: borders"
    return f"{what} after {act}, in 3-D", f"after {act}"


# --- the view ------------------------------------------------------------------------------------


def line_cmap(scene: Scene) -> Any:
    """The grid lines' colours: the surface's steps at full strength (thin lines in the faded colours vanished)."""
    if scene.task == "binary":
        return binary_cmap().resampled(LEVELS)
    if scene.task == "multiclass":
        return multiclass_cmap(scene.n_classes).resampled(LEVELS * scene.n_classes)
    return surface_cmap(scene)


PALETTE_LINE_STEPS = 20  # of the line colours a GIF palette keeps exactly


class Space3DView(PanelView):
    """A turning 3-D axes: the warped grid in two line collections, the points in marker lines, the planes.

    What lies on the camera's side of a binary output's plane is drawn over
    the plane, the rest under it (matplotlib's 3-D axes sorts whole
    artists, not points, so the split is made here). The camera turns every
    frame, moving the axes' panes, edges and labels too, so the axes is
    drawn each frame (``leave_background``) while the other panels stay blitted.
    """

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        super().__init__(ax, scene, panel, style, stride)
        assert isinstance(panel, Space3DPanel)
        ax.set_zlabel(panel.zlabel, fontsize=style.label)
        # matplotlib keeps a label clear of tick labels this panel does not draw: nearer its axis.
        ax.xaxis.labelpad = ax.yaxis.labelpad = ax.zaxis.labelpad = LABEL_PAD
        ax.set_proj_type("ortho")
        # The first frame's camera before any frame is drawn: the celluloid engine lays the figure out first.
        ax.view_init(ELEV, azimuth(0, panel.last, panel.end))
        small = style.scale < DETAIL_MIN_SCALE
        # matplotlib leaves room round the cube for labels; a small frame has none to keep.
        ax.set_box_aspect(BOX, zoom=SMALL_ZOOM if small else ZOOM)
        ax.computed_zorder = False  # the zorders below say what is drawn over what
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            # No ticks: the cube is the layer's fixed box, and nine tick labels swinging
            # round it cost as much as the rest of the panel (text is drawn afresh every
            # frame here, not kept in the background as the 2-D panels' is).
            axis.set_major_locator(NullLocator())
            # Upright: a label turned along its axis is laid out again at every angle.
            axis.set_rotate_label(False)
        if small:
            # A small frame's cube is a thumbnail: labels a fixed number of points out
            # from it, swinging round as it turns, took more room than the cube itself.
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.set_zlabel("")
        self.classes = class_colors(scene)
        self.grid_cmap = line_cmap(scene)

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        cmap = line_cmap(scene)
        return cmap(np.linspace(0, 1, min(cmap.N, PALETTE_LINE_STEPS)))[:, :3]

    def set_limits(self, lim: Limits) -> None:
        self.ax.set_xlim(lim[0], lim[1])
        self.ax.set_ylim(lim[2], lim[3])
        self.ax.set_zlim(lim[4], lim[5])

    def build(self, frame: Frame) -> list[Any]:
        # Not animated: the axes draws every child of its own each frame (``draw``).
        self.artists = self.add(frame)
        return self.artists

    def _grid(self, zorder: int) -> Line3DCollection:
        lc = Line3DCollection([], cmap=self.grid_cmap, norm=NORM, linewidths=0.9 * self.scale, zorder=zorder)
        self.ax.add_collection(lc, autolim=False)
        return lc

    def add(self, frame: Frame) -> list[Any]:
        planes = Poly3DCollection([], edgecolors=PLANE_EDGE, linewidths=0.7 * self.scale, zorder=3)
        self.ax.add_collection3d(planes, autolim=False)
        bound = Line3DCollection([], zorder=6, **BOUNDARY_STYLE)
        self.ax.add_collection(bound, autolim=False)
        sp = self.mine(frame)
        camera = CameraMark(sp.azim, sp.elev)
        self.ax.add_line(camera)
        points = [Markers3D(self.ax, self.scene, self.scale, z) for z in (2, 5)]
        artists = [self._grid(1), points[0], planes, self._grid(4), points[1], bound, camera]
        self._show(artists, frame)
        return artists

    def update(self, frame: Frame) -> None:
        self._show(self.artists, frame)

    def _show(self, artists: Sequence[Any], frame: Frame) -> None:
        sp = self.mine(frame)
        grid_back, points_back, planes, grid_front, points_front, bound, camera = artists
        self.ax.view_init(sp.elev, sp.azim)
        camera.angle = (sp.elev, sp.azim)
        if sp.limits is not None:  # the camera's side of a plane is worked out in this box
            self.set_limits(sp.limits)
        for lc, side in ((grid_back, False), (grid_front, True)):
            lines, values = self._runs(sp, side)
            lc.set_segments(lines)
            lc.set_array(values)
        points_back.show(sp.points, ~sp.front)
        points_front.show(sp.points, sp.front)
        shown = [(p, c) for p, c in zip(sp.planes, sp.facing) if len(p.polygon)]  # a plane may miss the box
        planes.set_verts([p.polygon for p, _ in shown])
        planes.set_facecolors([(*self.classes[c % len(self.classes)], PLANE_ALPHA) for _, c in shown])
        bound.set_segments(list(sp.boundary))

    def _runs(self, sp: Cloud, side: bool) -> tuple[list[Array], Array]:
        """The grid's pieces on ``side`` of the plane as polylines, each of one colour, and their colours.

        A line's neighbouring pieces that share a colour step (and a side)
        join into one path: 3-D collections make a path per segment every
        frame, and 640 of them were a fifth of the panel's cost.
        """
        n = self.grid_cmap.N
        steps = np.clip((sp.values * n).astype(int), 0, n - 1)
        key = np.where(sp.front_grid == side, steps, -1).ravel()  # -1: the other side, not drawn here
        pieces = sp.values.shape[1]
        at = np.arange(len(key))
        starts = at[(at % pieces == 0) | np.r_[True, key[1:] != key[:-1]]]  # a new line, or a new colour or side
        stops = np.r_[starts[1:], len(key)]
        keep = key[starts] >= 0
        starts, stops = starts[keep], stops[keep]
        rows, first = np.divmod(starts, pieces)
        last = first + (stops - starts)  # the last point: the end of the run's last piece
        lines = [sp.grid[r, a : b + 1] for r, a, b in zip(rows.tolist(), first.tolist(), last.tolist())]
        return lines, sp.values.ravel()[starts]

    def make_caption(self) -> Any:
        line = super().make_caption()
        if self.caption is not None:
            self.caption.xycoords = self.ax.caption_anchor
        return line

    def leave_background(self) -> bool:
        self.ax.turning = True
        return True

    def draw(self) -> None:
        """The axes at this frame's camera: its panes, edges and labels, then every artist, then the caption."""
        self.ax.draw_turning()
        self.draw_caption()


def _kind(name: str, help: str, kind: str) -> PanelKind:
    return PanelKind(
        name,
        help,
        lambda setup: (space3d_panel(setup, name, kind),),
        refuse=lambda model, layer: refuse(model, layer, name),
    )


HIDDEN3D = _kind(
    "hidden3d", "a 3-wide layer's z = xW + b in 3-D, turning (layer 1's is the input plane, tilted but flat)", "z"
)
ACTIVATION3D = _kind(
    "activation3d",
    "a 3-wide layer's a = f(z) in 3-D, turning, with the output's separating plane (tensorflow/playground#108)",
    "a",
)
