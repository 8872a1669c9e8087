"""The views of plane panels: a surface, the (warped) input grid, the boundary, the data.

``ImageView`` colours a plane on its own regular grid (the input plane, a
2-wide layer's), ``WarpedView`` colours the warped input mesh (a projected
layer), ``CurveView`` draws one input feature's interval as a curve. All of
them draw a ``scene.Space`` and update their artists in place.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import QuadMesh
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from ..colours import NORM, class_colors, point_colors, unreached_cmap
from ..layout import DPI
from ..legend import BOUNDARY_STYLE
from ..scene import Frame, Scene, Space
from .base import PanelView

Array = np.ndarray

GRID_STYLE = {"colors": "white", "linewidths": 0.6, "alpha": 0.55}
# Mapped grid lines move every frame, and in a folded space (a deep net's
# layer) they tangle across the whole panel: they were a third of the spiral
# GIF. Warped panels draw every other input grid line (the same lines, so they
# still match up) without antialiasing, whose blended edge pixels all differ
# from frame to frame (spiral 8.5 -> 6.6 MB).
WARPED_GRID_STYLE = {**GRID_STYLE, "antialiaseds": False}
WARPED_LINE_STEP = 2
UNREACHED_STEPS = 12  # of the faded plane's colours a GIF palette keeps exactly


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

    def __init__(self, ax: Any, scene: Scene, points: Array, scale: float) -> None:
        style: dict[str, Any] = {"ms": marker_size(scale, len(points)), "mew": 0.5 * scale, "ls": "none", "zorder": 4}
        self.scatters: list[tuple[Any, Array]] = []
        self.lines: list[tuple[Any, Array]] = []
        for test in (False, True):
            split = scene.test == test
            if not split.any():
                continue
            if scene.task == "regression":
                colours = point_colors(scene)[split]
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
            labels = scene.y.astype(int)
            for c, colour in enumerate(class_colors(scene)):
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


def shows_thumbs(scene: Scene, scale: float) -> bool:
    return scene.images is not None and scale >= DETAIL_MIN_SCALE


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
        # The arrow back to the point is only seen when the box slid; on its point it
        # is clipped to nothing by the box, but cost a third of the thumbnail's draw.
        if self.arrow_patch is not None:  # made with arrowprops, so always; the check is for the type
            self.arrow_patch.set_visible(inside != (float(x), float(y)))
        super().draw(renderer)


class _Thumbs:
    """A few samples of image data drawn as pictures at their points, framed in their class colour.

    ``AnnotationBbox`` keeps each picture the same size in pixels whatever
    the panel's scale (a hidden space's spans change by orders of magnitude)
    and moves with ``xybox``; an image with a data extent would shrink to
    nothing in a wide space. (Measured in ``benchmarks/bench_views.py``.)
    """

    def __init__(self, ax: Any, scene: Scene, points: Array, scale: float) -> None:
        assert scene.images is not None
        colours = class_colors(scene)
        labels = scene.y[scene.thumbs].astype(int)
        side = scene.images.shape[1]
        zoom = max(THUMB_PX * scale, 12.0) / side
        # Colour-mapped once, here: matplotlib normalised and colour-mapped each picture
        # (masked arrays, a second resample for the mask) on every draw. Nearest
        # sampling picks the same source pixel from the colours as from the values,
        # so the pixels are the same; only the resampling to where the box sits is left.
        grey = ScalarMappable(norm=NORM, cmap="gray_r")
        self.boxes: list[Any] = []
        for img, xy, c in zip(scene.images, points[scene.thumbs], labels):
            picture = OffsetImage(grey.to_rgba(img), zoom=zoom, interpolation="nearest")
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


def _segments_from_mesh(mesh: Array, idx: Array) -> list[Array]:
    return [mesh[i, :, :] for i in idx] + [mesh[:, j, :] for j in idx]


def _present(a: Array | None) -> Array:
    """A space's mesh or curve, which its kind of panel always has (surface and curve mode)."""
    assert a is not None
    return a


def _curve_segments(curve: Array) -> Array:
    return np.stack([curve[:-1], curve[1:]], axis=1)


class WarpedView(PanelView):
    """A space the input plane is mapped into: the mesh drawn as a QuadMesh, coloured by the input's prediction.

    Only where the input plane lands is coloured: the rest of the plane is
    white (the caption says so), since no input can reach it.
    """

    surface = True
    pictures = False  # image data's sample pictures at their points
    grid_style: dict[str, Any] = WARPED_GRID_STYLE
    line_step = WARPED_LINE_STEP

    def _grid_segments(self, mesh: Array) -> list[Array]:
        return _segments_from_mesh(mesh, self.scene.line_index()[:: self.line_step])

    def add(self, frame: Frame) -> list[Any]:
        sp = self.mine(frame)
        self.surf = self._surface(frame)
        self.grid = self.lines(self._grid_segments(_present(sp.mesh)), zorder=2, **self.grid_style)
        self.bound = self.lines(sp.boundary, zorder=3, **BOUNDARY_STYLE)
        self.pts = _Points(self.ax, self.scene, sp.points, self.scale)
        artists = [self.surf, self.grid, self.bound, self.pts]
        self.thumbs = None
        if self.pictures and shows_thumbs(self.scene, self.scale):
            self.thumbs = _Thumbs(self.ax, self.scene, sp.points, self.scale)
            artists.append(self.thumbs)
        return artists

    def _surface(self, frame: Frame) -> Any:
        ix = self.mesh_index
        qm = QuadMesh(
            _present(self.mine(frame).mesh)[np.ix_(ix, ix)],
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
        sp = self.mine(frame)
        self._update_surface(self.surf, frame)
        self.grid.set_segments(self._grid_segments(_present(sp.mesh)))
        self.bound.set_segments(list(sp.boundary))
        self.pts.set_offsets(sp.points)
        if self.thumbs is not None:
            self.thumbs.set_offsets(sp.points[self.scene.thumbs])

    def _update_surface(self, surf: Any, frame: Frame) -> None:
        # get_coordinates() is the mesh array itself: overwrite it in place.
        ix = self.mesh_index
        surf.get_coordinates()[...] = _present(self.mine(frame).mesh)[np.ix_(ix, ix)]
        surf.set_array(frame.values[np.ix_(ix[:-1], ix[:-1])].ravel())


class EveryLineView(WarpedView):
    """The morph's panel (``render.morph``): every input grid line, since watching them bend is its point."""

    line_step = 1


class ImageView(WarpedView):
    """A 2-wide layer's plane: coloured everywhere by what the rest of the network predicts from each point.

    The whole plane is drawn faded, and the part the input plane lands on
    (the warped mesh) in full colour over it: a region no input reaches
    (a relu's negative quadrant) must not look as meaningful as the data's.
    """

    pictures = True

    def add(self, frame: Frame) -> list[Any]:
        self.under = _plane_image(self.ax, self.mine(frame), unreached_cmap(self.scene), zorder=0.5)
        return [self.under, *super().add(frame)]

    def update(self, frame: Frame) -> None:
        _update_plane_image(self.under, self.mine(frame))
        super().update(frame)

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        cmap = unreached_cmap(scene)
        return cmap(np.linspace(0, 1, min(cmap.N, UNREACHED_STEPS)))[:, :3]


class StillGridView(WarpedView):
    """The input plane: an image on its own regular grid, every point reached.

    An image is the fastest surface, and its grid never moves, so it costs
    the GIF nothing: all lines, antialiased.
    """

    pictures = True
    grid_style = GRID_STYLE
    line_step = 1

    def _surface(self, frame: Frame) -> Any:
        return _plane_image(self.ax, self.mine(frame), self.cmap)

    def _update_surface(self, surf: Any, frame: Frame) -> None:
        _update_plane_image(surf, self.mine(frame))


def _plane_image(ax: Any, space: Space, cmap: Any, zorder: float = 1) -> Any:
    return ax.imshow(
        space.values,
        origin="lower",
        extent=space.extent,
        cmap=cmap,
        norm=NORM,
        interpolation="bilinear",
        interpolation_stage="data",
        aspect="auto",
        zorder=zorder,
    )


def _update_plane_image(image: Any, space: Space) -> None:
    image.set_data(space.values)
    if tuple(image.get_extent()) != tuple(space.extent or ()):  # only --axes per-frame moves it
        image.set_extent(space.extent)


class CurveView(PanelView):
    """One input feature: the interval mapped as a curve, coloured by the output."""

    surface = True

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        return ImageView.palette(scene)

    def add(self, frame: Frame) -> list[Any]:
        sp = self.mine(frame)
        # A 2-wide layer's plane is coloured by what the network predicts from
        # each point of it, faded: only the curve (the input interval, in full
        # colour) is where inputs land, as planes draw their reached region.
        plane = [_plane_image(self.ax, sp, unreached_cmap(self.scene))] if sp.values is not None else []
        lc = self.lines(
            _curve_segments(_present(sp.curve)), linewidths=2.2 * self.scale, zorder=2, cmap=self.cmap, norm=NORM
        )
        lc.set_array(self._curve_values(frame))
        pts = _Points(self.ax, self.scene, sp.points, self.scale)
        return [*plane, lc, pts]

    def _curve_values(self, frame: Frame) -> Array:
        v = frame.values
        return 0.5 * (v[:-1] + v[1:])

    def update(self, frame: Frame) -> None:
        sp = self.mine(frame)
        *plane, lc, pts = self.artists
        lc.set_segments(_curve_segments(_present(sp.curve)))
        if plane:
            _update_plane_image(plane[0], sp)
        lc.set_array(self._curve_values(frame))
        pts.set_offsets(sp.points)
