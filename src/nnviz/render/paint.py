"""Scene arrays -> RGB pixels with matplotlib's Agg canvas, built once.

The ``Painter`` lays the figure out once (constrained layout, then frozen),
draws the static background once and copies it. Each frame it restores that
background, updates the animated artists in place (``set_data``,
``set_offsets``, ``set_array``, segments) and draws only them, then hands out
a view of the RGB buffer. No pyplot: nothing is registered globally, so
nothing leaks between runs.

Each kind of panel is a class in ``PAINTERS``; ``scene.PANELS`` says which
kind draws each panel. A panel has two entry points: ``update(frame)``
changes the artists made once (the stream engine), ``add(frame)`` makes
fresh artists (the celluloid engine, which snapshots every frame's artists).
Every frame carries its own axis limits, so the painter never computes any.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnnotationBbox
from matplotlib.ticker import MaxNLocator

from ..errors import RenderError
from . import layout, mplsettings
from .layout import DPI, Style
from .scene import Frame, Limits, PanelDef, Space, Spec, panel_defs

Array = np.ndarray

# At tiny --size values constrained layout gives up on the tick labels and
# says so on every draw; the figure is still drawn, so the message is noise.
warnings.filterwarnings("ignore", message="constrained_layout not applied", category=UserWarning)

NORM = mcolors.Normalize(0.0, 1.0)
GRID_STYLE = {"colors": "white", "linewidths": 0.6, "alpha": 0.55}
# Mapped grid lines move every frame, and in a folded space (a deep net's
# layer) they tangle across the whole panel: they were a third of the spiral
# GIF. Warped panels draw every other input grid line (the same lines, so they
# still match up) without antialiasing, whose blended edge pixels all differ
# from frame to frame (spiral 8.5 -> 6.6 MB).
WARPED_GRID_STYLE = {**GRID_STYLE, "antialiaseds": False}
WARPED_LINE_STEP = 2
BOUNDARY_STYLE: dict[str, Any] = {"colors": "0.1", "linewidths": 1.4}
MULTICLASS_COLORS = (
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
)


# --- colours, built once ---------------------------------------------------------


@functools.cache
def binary_cmap() -> mcolors.Colormap:
    """The reference blog's blue-to-red map: seaborn ``diverging_palette(220, 20)``."""
    import seaborn as sns

    return sns.diverging_palette(220, 20, as_cmap=True)


@functools.cache
def multiclass_cmap(k: int) -> mcolors.Colormap:
    """K segments, each fading from near white (a tie) to the class colour (certain)."""
    n = 64
    rows = []
    for c in range(k):
        rgb = np.array(mcolors.to_rgb(MULTICLASS_COLORS[c % len(MULTICLASS_COLORS)]))
        t = np.linspace(0.0, 1.0, n)[:, None]
        rows.append(1.0 - (0.85 * t + 0.1) * (1.0 - rgb))
    return mcolors.ListedColormap(np.vstack(rows), name=f"nnviz_classes{k}")


@functools.cache
def regression_cmap() -> mcolors.Colormap:
    from matplotlib import colormaps

    return colormaps["viridis"]


LEVELS = 10  # probability bands of 0.1, like a contourf: crisp, and GIF deltas stay small


def surface_cmap(spec: Spec) -> mcolors.Colormap:
    """The surface's colormap with a fixed number of steps (per class for multiclass)."""
    return _stepped(spec.task, spec.n_classes)


# How far a class surface goes from white toward its class colour when the
# network is certain. At full strength a filled training point on its own
# region showed only its dark edge, exactly the legend's hollow "test point"
# ring, and a test ring in its class colour vanished. Points keep full colour.
SURFACE_STRENGTH = 0.6


@functools.cache
def _stepped(task: str, k: int) -> mcolors.Colormap:
    if task == "regression":  # its points are coloured through the same scale, so it stays as is
        return regression_cmap().resampled(LEVELS)
    cmap = (
        multiclass_cmap(k).resampled(max(LEVELS // 2, 10) * k)
        if task == "multiclass"
        else binary_cmap().resampled(LEVELS)
    )
    return _faded(cmap, SURFACE_STRENGTH)


def _faded(cmap: mcolors.Colormap, strength: float) -> mcolors.Colormap:
    """``cmap``'s colours moved toward white: ``strength`` 1 keeps them, 0 is white."""
    rgb = cmap(np.linspace(0.0, 1.0, cmap.N))[:, :3]
    return mcolors.ListedColormap(1.0 - strength * (1.0 - rgb), name=f"{cmap.name}_faded")


def class_colors(spec: Spec) -> list[tuple[float, float, float]]:
    """One strong colour per class, matching the surface's colours."""
    if spec.task == "binary":
        cmap = binary_cmap()
        return [cmap(0.0)[:3], cmap(1.0)[:3]]
    return [mcolors.to_rgb(MULTICLASS_COLORS[c % len(MULTICLASS_COLORS)]) for c in range(max(spec.n_classes, 1))]


def point_colors(spec: Spec) -> Array:
    """RGBA per data point: class colour, or target through the regression map."""
    if spec.task == "regression":
        lo, hi = spec.value_range
        return regression_cmap()(np.clip((spec.y.astype(float) - lo) / (hi - lo), 0, 1))
    table = np.array([(*c, 1.0) for c in class_colors(spec)])
    return table[np.clip(spec.y.astype(int), 0, len(table) - 1)]


@functools.cache
def neuron_cmap() -> mcolors.Colormap:
    """The neuron maps' colours: stepped like the surfaces, and unlike any class colour."""
    from matplotlib import colormaps

    return colormaps["magma"].resampled(LEVELS).with_extremes(bad="white")  # bad: the gaps between tiles


PALETTE_STEPS = 32  # surface colours kept exactly: all of a binary or 3-class map, a sample of more classes


def palette_colors(spec: Spec) -> Array:
    """(n, 3) uint8: the colours a frame is made of (surface steps, classes, white, black).

    A GIF palette that holds these exactly shows the surfaces without any
    quantisation noise.
    """
    cmap = surface_cmap(spec)
    # The GIF keeps 63 colours; sorted, a longer list lost its last ones, white
    # among them (ten digit classes came out on a pale blue background). Every
    # other step of a many-class map still leaves room for text and blends.
    steps = cmap(np.linspace(0, 1, min(cmap.N, PALETTE_STEPS)))[:, :3]
    if spec.neurons is not None:
        steps = np.vstack([steps, neuron_cmap()(np.linspace(0, 1, LEVELS))[:, :3]])
    curves = [mcolors.to_rgb(c) for c in (LossPanel.LOSS, LossPanel.METRIC)]
    extra = np.array([(1, 1, 1), (0, 0, 0), (0.15, 0.15, 0.15), *curves] + [c[:3] for c in class_colors(spec)])
    return np.unique((np.vstack([steps, extra]) * 255).round().astype(np.uint8), axis=0)


# --- panels ------------------------------------------------------------------------


# Markers cover at most this share of a panel, so the surface and boundary
# under them stay visible: xor's 1,000 points at 4.6 pt buried a 480x160
# frame's panels. A frame of 400x400 px a panel (scale 1) shows ~300 px of axes.
POINT_COVER = 0.35
AXES_PX = 300
MIN_MARKER_PT = 2.0


def marker_size(scale: float, n: int) -> float:
    """A data marker's size in points: the style's, made smaller when ``n`` of them would bury the panel."""
    area = (AXES_PX * scale) ** 2  # pixels
    cap = (72 / DPI) * math.sqrt(POINT_COVER * area * 4 / (math.pi * max(n, 1)))
    styled = max(4.6 * scale, 3.0)
    return max(min(styled, cap), MIN_MARKER_PT)


class _Points:
    """The data as marker lines, one per (class, split), moved together with ``set_offsets``.

    Agg stamps a line's cached marker (``draw_markers``), many times faster
    than a scatter with per-point colours. Test points are hollow rings in
    their class colour. Regression has no classes: its points are coloured
    by their target through the surface's colormap (a scatter).
    """

    def __init__(self, ax: Any, spec: Spec, points: Array, scale: float) -> None:
        style: dict[str, Any] = {"ms": marker_size(scale, len(points)), "mew": 0.5 * scale, "ls": "none", "zorder": 4}
        self.scatters: list[tuple[Any, Array]] = []
        self.lines: list[tuple[Any, Array]] = []
        for test in (False, True):
            split = spec.test == test
            if not split.any():
                continue
            if spec.task == "regression":
                colours = point_colors(spec)[split]
                face = "none" if test else colours
                s = ax.scatter(
                    points[split, 0],
                    points[split, 1],
                    s=style["ms"] ** 2,
                    facecolors=face,
                    edgecolors=colours if test else "0.15",
                    linewidths=(1.4 if test else 0.5) * scale,
                    zorder=4,
                )
                self.scatters.append((s, split))
                continue
            labels = spec.y.astype(int)
            for c, colour in enumerate(class_colors(spec)):
                m = split & (labels == c)
                ring = {"mfc": "none", "mec": colour, "mew": 1.4 * scale} if test else {"mfc": colour, "mec": "0.15"}
                line = ax.plot(points[m, 0], points[m, 1], marker="o", **{**style, **ring})[0]
                self.lines.append((line, m))

    def set_offsets(self, points: Array) -> None:
        for line, m in self.lines:
            line.set_data(points[m, 0], points[m, 1])
        for s, m in self.scatters:
            s.set_offsets(points[m])

    def set_animated(self, value: bool) -> None:
        for artist in self._artists():
            artist.set_animated(value)

    def draw(self, renderer: Any) -> None:
        for artist in self._artists():
            artist.draw(renderer)

    def _artists(self) -> list[Any]:
        return [a for a, _ in self.lines] + [a for a, _ in self.scatters]


THUMB_PX = 22  # a thumbnail's side on a 400-px panel: an 8x8 digit reads, and ten of them leave the points visible
# Below this scale (a 600x200 gallery frame is 0.5) small pictures and labels
# inside a panel bury it: ten digit pictures covered its ticks and the data,
# and a neuron tile cannot hold its number. They are left out.
DETAIL_MIN_SCALE = 0.75


def shows_thumbs(spec: Spec, scale: float) -> bool:
    return spec.images is not None and scale >= DETAIL_MIN_SCALE


class _InsideBox(AnnotationBbox):
    """A picture at its point, slid inside the axes when the point is near an edge.

    Typical digits sit where tanh saturates, in the corners: centred there,
    half the picture hung over the tick labels or off the frame.
    """

    def draw(self, renderer: Any) -> None:
        ax: Any = self.axes  # set: the box was added to its axes
        box = self.offsetbox.get_window_extent(renderer)
        half_w, half_h = box.width / 2 + 2, box.height / 2 + 2  # + the frame's line
        x, y = ax.transData.transform(self.xy)
        inside = (
            float(np.clip(x, ax.bbox.x0 + half_w, max(ax.bbox.x1 - half_w, ax.bbox.x0 + half_w))),
            float(np.clip(y, ax.bbox.y0 + half_h, max(ax.bbox.y1 - half_h, ax.bbox.y0 + half_h))),
        )
        self.xybox = tuple(ax.transData.inverted().transform(inside))
        super().draw(renderer)


class _Thumbs:
    """A few samples of image data drawn as pictures at their points, framed in their class colour.

    ``AnnotationBbox`` keeps each picture the same size in pixels whatever
    the panel's scale (a hidden space's spans change by orders of magnitude)
    and moves with ``xybox``; an image with a data extent would shrink to
    nothing in a wide space. (Measured in ``benchmarks/bench_views.py``.)
    """

    def __init__(self, ax: Any, spec: Spec, points: Array, scale: float) -> None:
        from matplotlib.offsetbox import OffsetImage

        assert spec.images is not None
        colours = class_colors(spec)
        labels = spec.y[spec.thumbs].astype(int)
        side = spec.images.shape[1]
        zoom = max(THUMB_PX * scale, 12.0) / side
        self.boxes: list[Any] = []
        for img, xy, c in zip(spec.images, points[spec.thumbs], labels):
            picture = OffsetImage(img, cmap="gray_r", norm=NORM, zoom=zoom, interpolation="nearest")
            colour = colours[c % len(colours)]
            box = _InsideBox(
                picture,
                tuple(xy),
                frameon=True,
                pad=0.1,
                zorder=5,
                annotation_clip=False,
                bboxprops={"edgecolor": colour, "linewidth": 1.5 * scale},
                # Seen only when the box slid in from an edge: back to its point.
                arrowprops={"arrowstyle": "-", "color": colour, "lw": 1.0 * scale, "shrinkA": 0, "shrinkB": 0},
            )
            ax.add_artist(box)
            self.boxes.append(box)

    def set_offsets(self, points: Array) -> None:
        for box, xy in zip(self.boxes, points):
            box.xybox = box.xy = tuple(xy)

    def set_animated(self, value: bool) -> None:
        for box in self.boxes:
            box.set_animated(value)

    def draw(self, renderer: Any) -> None:
        for box in self.boxes:
            box.draw(renderer)


def legend_entries(spec: Spec, scale: float) -> tuple[list[Any], list[str]]:
    """Which colour is which class (and the test rings and the boundary line); for regression, what is what."""
    from matplotlib.lines import Line2D

    ms = max(5 * scale, 3.5)
    handles: list[Any]
    ring: Any  # the test rings' edge colour
    if spec.task == "regression":  # the colour scale says what a colour means; this says which mark is which
        ring = mid = regression_cmap()(0.55)
        handles = [Line2D([], [], ls="none", marker="o", ms=ms, mfc=mid, mec="0.15", mew=0.5 * scale)]
        labels = ["data (colour: target)"]
        line = (Line2D([], [], color=mid, lw=2.2 * scale), "prediction")  # the input panel's curve
    else:
        ring = "0.3"
        handles = [
            Line2D([], [], ls="none", marker="o", ms=ms, mfc=c, mec="0.15", mew=0.5 * scale) for c in class_colors(spec)
        ]
        labels = [f"class {name}" for name in spec.class_names]
        line = (Line2D([], [], color=BOUNDARY_STYLE["colors"], lw=BOUNDARY_STYLE["linewidths"]), "decision boundary")
    if spec.test.any():
        handles.append(Line2D([], [], ls="none", marker="o", ms=ms, mfc="none", mec=ring, mew=1.2 * scale))
        labels.append("test point")
    handles.append(line[0])
    labels.append(line[1])
    return handles, labels


def add_class_legend(fig: Figure, spec: Spec, style: Style, ncol: int | None = None) -> Any:
    """The class legend, centred under the panels.

    It sits outside every axes, in the static background, so the blitted
    surfaces never cover it, and apart from the title, so the two never meet.
    """
    handles, labels = legend_entries(spec, style.scale)
    return fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=ncol or len(labels),
        frameon=False,
        fontsize=style.legend,
        handlelength=1.4,
        columnspacing=1.2,
        borderaxespad=0.2,
        handletextpad=0.4,
    )


def add_colour_scale(fig: Figure, axes: Sequence[Any], spec: Spec, style: Style) -> Any:
    """Regression: what the surface colours mean, as a colour bar on the right."""
    from matplotlib.cm import ScalarMappable

    lo, hi = spec.value_range
    bar = fig.colorbar(
        ScalarMappable(mcolors.Normalize(lo, hi), surface_cmap(spec)),
        ax=list(axes),
        location="right",
        fraction=0.025,
        pad=0.01,
        aspect=30,
    )
    bar.set_label("prediction", fontsize=style.label)
    bar.ax.tick_params(labelsize=style.tick, length=3 * style.scale)
    return bar


def mesh_stride(grid: int, size: tuple[int, int], n_panels: int) -> int:
    """Draw warped meshes with cells of about 2.5 pixels at least.

    Agg's cost grows with the number of quads, and quads smaller than a
    pixel add nothing visible; the input panel always shows the full grid.
    """
    panel_px = 0.78 * min(size[0] / max(n_panels, 1), size[1])
    cells = max(8, int(panel_px / 2.5))
    return max(1, -(-(grid - 1) // cells))


def _mesh_index(grid: int, stride: int) -> Array:
    return np.unique(np.r_[np.arange(0, grid, stride), grid - 1])


def _segments_from_mesh(mesh: Array, idx: Array) -> list[Array]:
    return [mesh[i, :, :] for i in idx] + [mesh[:, j, :] for j in idx]


def _present(a: Array | None) -> Array:
    """A space's mesh or curve, which its kind of panel always has (surface and curve mode)."""
    assert a is not None
    return a


def _curve_segments(curve: Array) -> Array:
    return np.stack([curve[:-1], curve[1:]], axis=1)


class Panel:
    """One axes of the figure, drawing one ``scene.PanelDef``.

    ``build(frame)`` makes the animated artists once; ``update(frame)``
    changes them in place (the stream engine); ``add(frame)`` makes fresh
    ones (the celluloid engine snapshots every frame's artists); ``draw()``
    draws the animated artists over the restored background.
    """

    def __init__(self, ax: Any, spec: Spec, panel: PanelDef, style: Style, stride: int = 1) -> None:
        self.ax, self.spec, self.style, self.scale = ax, spec, style, style.scale
        self.name, self.space = panel.name, panel.space or panel.name
        self.mesh_index = _mesh_index(spec.grid, stride)
        self.cmap = surface_cmap(spec)
        self.artists: list[Any] = []
        ax.set_title(spec.titles[self.name], fontsize=style.panel)
        xl, yl = spec.labels[self.name]
        ax.set_xlabel(xl, fontsize=style.label, labelpad=2)
        ax.set_ylabel(yl, fontsize=style.label, labelpad=2)
        ax.tick_params(labelsize=style.tick, length=3 * style.scale, pad=2)

    @property
    def axes(self) -> list[Any]:
        """Every axes this panel draws on (the loss panel has a twin)."""
        return [self.ax]

    def set_limits(self, lim: Limits) -> None:
        self.ax.set_xlim(lim[0], lim[1])
        self.ax.set_ylim(lim[2], lim[3])

    def build(self, frame: Frame) -> list[Any]:
        """Make the animated artists once, showing ``frame``."""
        self.artists = self.add(frame)
        for a in self.artists:  # animated: left out of the background
            a.set_animated(True)
        return self.artists

    def add(self, frame: Frame) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, frame: Frame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self) -> None:
        """Draw the animated artists, then the frame on top of the surface."""
        for a in self.artists:
            self.ax.draw_artist(a)
        for spine in self.ax.spines.values():
            self.ax.draw_artist(spine)

    def _scatter(self, points: Array) -> Any:
        return _Points(self.ax, self.spec, points, self.scale)

    def _lines(self, segments: Sequence[Array] | Array, **style: Any) -> LineCollection:
        lc = LineCollection(list(segments), **style)
        self.ax.add_collection(lc, autolim=False)
        return lc


class WarpedPanel(Panel):
    """A space the input plane is mapped into: the mesh drawn as a QuadMesh."""

    grid_style: dict[str, Any] = WARPED_GRID_STYLE
    line_step = WARPED_LINE_STEP

    def _grid_segments(self, mesh: Array) -> list[Array]:
        return _segments_from_mesh(mesh, self.spec.line_index()[:: self.line_step])

    def add(self, frame: Frame) -> list[Any]:
        sp = frame.spaces[self.space]
        surf = self._surface(frame)
        grid = self._lines(self._grid_segments(_present(sp.mesh)), zorder=2, **self.grid_style)
        bound = self._lines(sp.boundary, zorder=3, **BOUNDARY_STYLE)
        pts = self._scatter(sp.points)
        return [surf, grid, bound, pts]

    def _surface(self, frame: Frame) -> Any:
        ix = self.mesh_index
        qm = QuadMesh(
            _present(frame.spaces[self.space].mesh)[np.ix_(ix, ix)],
            cmap=self.cmap,
            norm=NORM,
            antialiased=False,
            linewidth=0,
            zorder=1,
        )
        qm.set_array(frame.values[np.ix_(ix[:-1], ix[:-1])].ravel())
        self.ax.add_collection(qm, autolim=False)
        return qm

    def update(self, frame: Frame) -> None:
        sp = frame.spaces[self.space]
        surf, grid, bound, pts = self.artists[:4]
        self._update_surface(surf, frame)
        grid.set_segments(self._grid_segments(_present(sp.mesh)))
        bound.set_segments(list(sp.boundary))
        pts.set_offsets(sp.points)

    def _update_surface(self, surf: Any, frame: Frame) -> None:
        # get_coordinates() is the mesh array itself: overwrite it in place.
        ix = self.mesh_index
        surf.get_coordinates()[...] = _present(frame.spaces[self.space].mesh)[np.ix_(ix, ix)]
        surf.set_array(frame.values[np.ix_(ix[:-1], ix[:-1])].ravel())


class MorphGridPanel(WarpedPanel):
    """The morph's panel (``render.morph``): every input grid line, since watching them bend is its point."""

    line_step = 1


class ImagePanel(WarpedPanel):
    """A plane coloured on its own regular grid: the input plane, or a 2-wide layer's.

    An image is the fastest surface. The input plane's grid never moves, so
    it costs the GIF nothing: all lines, antialiased. A hidden plane's grid
    is the warped input grid, drawn like any warped panel's.
    """

    def __init__(self, ax: Any, spec: Spec, panel: PanelDef, style: Style, stride: int = 1) -> None:
        super().__init__(ax, spec, panel, style, stride)
        if self.space == "input":
            self.grid_style, self.line_step = GRID_STYLE, 1

    def add(self, frame: Frame) -> list[Any]:
        # Image data: a few samples as pictures, so the plane says what its points are.
        artists = super().add(frame)
        if not shows_thumbs(self.spec, self.scale):
            return artists
        return [*artists, _Thumbs(self.ax, self.spec, frame.spaces[self.space].points, self.scale)]

    def update(self, frame: Frame) -> None:
        super().update(frame)
        if shows_thumbs(self.spec, self.scale):
            self.artists[-1].set_offsets(frame.spaces[self.space].points[self.spec.thumbs])

    def _surface(self, frame: Frame) -> Any:
        return _plane_image(self.ax, frame.spaces[self.space], self.cmap)

    def _update_surface(self, surf: Any, frame: Frame) -> None:
        _update_plane_image(surf, frame.spaces[self.space])


def _plane_image(ax: Any, space: Space, cmap: Any) -> Any:
    return ax.imshow(
        space.values,
        origin="lower",
        extent=space.extent,
        cmap=cmap,
        norm=NORM,
        interpolation="bilinear",
        interpolation_stage="data",
        aspect="auto",
        zorder=1,
    )


def _update_plane_image(image: Any, space: Space) -> None:
    image.set_data(space.values)
    if tuple(image.get_extent()) != tuple(space.extent or ()):  # only --axes per-frame moves it
        image.set_extent(space.extent)


class CurvePanel(Panel):
    """One input feature: the interval mapped as a curve, coloured by the output."""

    def add(self, frame: Frame) -> list[Any]:
        sp = frame.spaces[self.space]
        # A 2-wide layer's plane is coloured by what the network predicts from
        # each point of it; the curve is then a white thread across the colours.
        plane = [_plane_image(self.ax, sp, self.cmap)] if sp.values is not None else []
        style = {"colors": "white", "alpha": 0.8} if plane else {"cmap": self.cmap, "norm": NORM}
        lc = self._lines(_curve_segments(_present(sp.curve)), linewidths=2.2 * self.scale, zorder=2, **style)
        if not plane:
            lc.set_array(self._curve_values(frame))
        pts = self._scatter(sp.points)
        return [*plane, lc, pts]

    def _curve_values(self, frame: Frame) -> Array:
        v = frame.values
        return 0.5 * (v[:-1] + v[1:])

    def update(self, frame: Frame) -> None:
        sp = frame.spaces[self.space]
        *plane, lc, pts = self.artists
        lc.set_segments(_curve_segments(_present(sp.curve)))
        if plane:
            _update_plane_image(plane[0], sp)
        else:
            lc.set_array(self._curve_values(frame))
        pts.set_offsets(sp.points)


class MosaicPanel(Panel):
    """Small multiples in one image: each tile one unit's activation over the input (``scene.mosaic``).

    One image, however many tiles: the cheapest way to draw 16 heatmaps. The
    tiles have no coordinates of their own, so the axes show no ticks.
    """

    def __init__(self, ax: Any, spec: Spec, panel: PanelDef, style: Style, stride: int = 1) -> None:
        super().__init__(ax, spec, panel, style, stride)
        ax.set_xticks([])
        ax.set_yticks([])

    def _unit_numbers(self) -> list[Any]:
        """Each tile's unit, 1-based like the hidden axes' a₁, a₂, in its top-left corner.

        Drawn with the tiles (after them), not in the background the tiles cover.
        """
        n = self.spec.neurons
        if n is None or self.style.scale < DETAIL_MIN_SCALE:  # tiles too small to hold a label
            return []
        numbers = []
        for i in range(n.units):
            r, c = divmod(i, n.cols)
            numbers.append(
                self.ax.text(
                    c + 0.04,
                    n.rows - r - 0.05,  # row 0 is the top one
                    str(i + 1),
                    ha="left",
                    va="top",
                    fontsize=self.style.tick,
                    color="white",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "0.15", "ec": "none"},
                    zorder=3,
                )
            )
        return numbers

    def add(self, frame: Frame) -> list[Any]:
        sp = frame.spaces[self.space]
        return [
            self.ax.imshow(
                sp.values,
                origin="lower",
                extent=sp.extent,
                cmap=neuron_cmap(),
                norm=NORM,
                interpolation="nearest",
                aspect="auto",
                zorder=1,
            ),
            *self._unit_numbers(),
        ]

    def update(self, frame: Frame) -> None:
        self.artists[0].set_data(frame.spaces[self.space].values)


class LossPanel(Panel):
    """Loss (left axis) and metric (right axis) up to the current epoch.

    The whole run is drawn faint underneath, so the axes never move and the
    viewer sees where training is heading without the curve giving it away;
    the part up to the frame's epoch is drawn strong on top. Test curves,
    when there is a test split, are dashed.
    """

    FAINT = 0.18
    # Greys: a hue would be some class's colour (C0 and C1 were the binary
    # classes' teal and red, right above the class legend).
    LOSS, METRIC = "0.1", "0.55"

    def __init__(self, ax: Any, spec: Spec, panel: PanelDef, style: Style, stride: int = 1) -> None:
        super().__init__(ax, spec, panel, style, stride)
        self.twin = ax.twinx()
        self.twin.tick_params(labelsize=style.tick, length=3 * style.scale, pad=2)
        # The metric axis's lowest label sits on the corner where the epoch axis
        # ends ('0.0' against '90'): drop it rather than every tick label of the panel.
        self.twin.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], prune="lower"))
        self.twin.set_ylabel(spec.metric, fontsize=style.label, labelpad=2, color=self.METRIC)
        ax.set_ylabel("loss", fontsize=style.label, labelpad=2, color=self.LOSS)
        x = spec.epochs
        ax.set_xlim(x[0], max(x[-1], x[0] + 1))
        losses = [v for v in (spec.loss, spec.test_loss) if v is not None]
        metrics = [v for v in (spec.metric_values, spec.test_metric) if v is not None]
        ax.set_ylim(*_range(np.concatenate(losses), floor=0.0))
        self.twin.set_ylim(*((0.0, 1.02) if spec.metric == "accuracy" else _range(np.concatenate(metrics), floor=0.0)))
        # (axes, values, colour, dashes) per curve: train solid, test dashed.
        self.series = [(ax, spec.loss, self.LOSS, "-"), (self.twin, spec.metric_values, self.METRIC, "-")]
        if spec.test_loss is not None and spec.test_metric is not None:
            self.series += [(ax, spec.test_loss, self.LOSS, "--"), (self.twin, spec.test_metric, self.METRIC, "--")]

    @property
    def axes(self) -> list[Any]:
        return [self.ax, self.twin]

    def set_limits(self, lim: Limits) -> None:
        pass  # the curves' limits never change

    def _faint(self) -> list[Any]:
        lw = 1.2 * self.scale
        return [a.plot(self.spec.epochs, v, color=c, ls=ls, lw=lw, alpha=self.FAINT)[0] for a, v, c, ls in self.series]

    def _so_far(self, frame: Frame) -> list[Any]:
        n = frame.index + 1
        lw = 1.5 * self.scale
        return [a.plot(self.spec.epochs[:n], v[:n], color=c, ls=ls, lw=lw)[0] for a, v, c, ls in self.series]

    def _markers(self, frame: Frame) -> list[Any]:
        kw = {"ms": max(6 * self.scale, 4.0), "mec": "white", "mew": 0.8 * self.scale, "zorder": 5}
        x = self.spec.epochs[frame.index]  # the epoch, or the step of a sub-epoch snapshot
        vline = self.ax.axvline(x, color="0.4", lw=0.8 * self.scale, ls="--")
        (m1,) = self.ax.plot([x], [frame.loss], "o", color=self.LOSS, **kw)
        (m2,) = self.twin.plot([x], [frame.metric], "o", color=self.METRIC, **kw)
        return [vline, m1, m2]

    def build(self, frame: Frame) -> list[Any]:
        self._faint()  # static: drawn once into the background
        self.artists = self._so_far(frame) + self._markers(frame)
        for a in self.artists:
            a.set_animated(True)
        return self.artists

    def add(self, frame: Frame) -> list[Any]:
        return self._faint() + self._so_far(frame) + self._markers(frame)

    def update(self, frame: Frame) -> None:
        n = frame.index + 1
        *curves, vline, m1, m2 = self.artists
        for line, (_, values, _, _) in zip(curves, self.series):
            line.set_data(self.spec.epochs[:n], values[:n])
        x = self.spec.epochs[frame.index]
        vline.set_xdata([x, x])
        m1.set_data([x], [frame.loss])
        m2.set_data([x], [frame.metric])

    def draw(self) -> None:
        # Each artist is drawn by the axes it belongs to (the metric's is the twin).
        for a in self.artists:
            a.axes.draw_artist(a)


def _range(v: Array, floor: float | None = None) -> tuple[float, float]:
    lo, hi = float(np.min(v)), float(np.max(v))
    if floor is not None:
        lo = min(lo, floor) if lo >= floor else lo
    span = hi - lo or 1.0
    return lo - 0.03 * span, hi + 0.05 * span


# The painter of each kind of panel (``scene.PanelDef.painter`` names one).
PAINTERS: dict[str, type[Panel]] = {
    "image": ImagePanel,
    "warped": WarpedPanel,
    "morph": MorphGridPanel,
    "curve": CurvePanel,
    "curves": LossPanel,
    "mosaic": MosaicPanel,
}


# --- the figure -------------------------------------------------------------------------


def make_figure(size: tuple[int, int], n_panels: int) -> tuple[Figure, FigureCanvasAgg, list[Any]]:
    """An Agg figure of exactly ``size`` pixels with ``n_panels`` axes side by side."""
    w, h = size
    fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    return fig, canvas, list(axes)


def make_panels(
    axes: Sequence[Any], spec: Spec, names: Sequence[str | PanelDef], style: Style, size: tuple[int, int] = (1200, 400)
) -> list[Panel]:
    # A PanelDef itself (the morph's) draws a panel that --panels does not list;
    # a panel set (layers) is several panels.
    defs = panel_defs(names, spec.model.n_hidden)
    stride = mesh_stride(spec.grid, size, len(defs))
    return [PAINTERS[d.painter(spec)](ax, spec, d, style, stride) for ax, d in zip(axes, defs, strict=True)]


def decorate(
    fig: Figure,
    panels: Sequence[Panel],
    spec: Spec,
    style: Style,
    title: Any,
    compact_title: Any = None,
    chrome: bool = True,
) -> list[str]:
    """The legend (classes) or colour scale (regression), then a layout with no clashing text.

    ``chrome=False`` (a thumbnail) has neither, and no panel titles.
    Returns what still clashes after every fitting step (nothing, normally).
    """
    axes = [ax for p in panels for ax in p.axes]
    legend: Any = None
    entries = 0
    if not chrome:
        for p in panels:
            p.ax.set_title("")
    else:
        if spec.task == "regression":
            axes.append(add_colour_scale(fig, [p.ax for p in panels], spec, style).ax)
        entries = len(legend_entries(spec, style.scale)[1])
        legend = lambda ncol: add_class_legend(fig, spec, style, ncol)  # noqa: E731
        legend(None)
    parts = layout.Parts(fig, axes, [p.ax for p in panels], legend, entries, title, compact_title)
    return layout.fit(parts)


class Painter:
    """Draws frames of one animation onto one Agg figure, in place.

    With ``fixed=True`` (the first frame's limits hold for the whole
    animation) the static background is drawn once and each frame only
    restores it and draws the animated artists; otherwise every frame
    redraws everything with its own limits (``--axes per-frame``).
    """

    @mplsettings.applied  # built and drawn with nnviz's settings, whatever the user's matplotlibrc says
    def __init__(
        self,
        spec: Spec,
        first: Frame,
        *,
        size: tuple[int, int] = (1200, 400),
        panels: Sequence[str | PanelDef] = ("input", "hidden", "activation"),
        fixed: bool = True,
        chrome: bool = True,
    ) -> None:
        self.spec, self.size, self.fixed = spec, (int(size[0]), int(size[1])), fixed
        self.names = panel_defs(panels, spec.model.n_hidden)
        self.fig, self.canvas, axes = make_figure(self.size, len(self.names))
        self.style = layout.style_for(self.size, len(self.names))
        self.panels = make_panels(axes, spec, self.names, self.style, self.size)
        self.title = self.fig.suptitle(first.title, fontsize=self.style.title, animated=True)
        for p in self.panels:
            p.build(first)
        self._apply_limits(first)
        # Lay out once with the first frame's ticks, then freeze the layout.
        # The fit ends with a draw of the final layout, which is already the
        # static background: snapshot it rather than draw again.
        self.short = False  # set by the fit when the full title does not fit the frame

        def compact() -> None:
            self.short = True
            self.title.set_text(first.short_title)

        self.clashes = decorate(self.fig, self.panels, spec, self.style, self.title, compact, chrome)
        self.fig.set_layout_engine("none")
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _apply_limits(self, frame: Frame) -> None:
        for p in self.panels:
            if p.name in frame.limits:
                p.set_limits(frame.limits[p.name])

    @property
    def limits(self) -> dict[str, Limits]:
        """The current (xmin, xmax, ymin, ymax) of every panel."""
        return {p.name: (*p.ax.get_xlim(), *p.ax.get_ylim()) for p in self.panels}

    @mplsettings.applied
    def render(self, frame: Frame) -> Array:
        """Draw ``frame`` and return an (h, w, 3) uint8 view of the canvas.

        The view is only valid until the next call; writers copy what they keep.
        """
        for p in self.panels:
            p.update(frame)
        self.title.set_text(frame.short_title if self.short else frame.title)
        if self.fixed:
            self.canvas.restore_region(self._background)
        else:
            self._apply_limits(frame)
            self.canvas.draw()  # ticks change: redraw the background too
        for p in self.panels:
            p.draw()
        self.fig.draw_artist(self.title)
        return rgb_view(self.canvas)

    def close(self) -> None:
        self.fig.clear()


def rgb_view(canvas: FigureCanvasAgg) -> Array:
    buf = np.asarray(canvas.buffer_rgba())
    if buf.shape[0] == 0:
        raise RenderError("the figure has no pixels")
    return buf[..., :3]
