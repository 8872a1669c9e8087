"""An independent floor: the least matplotlib work that draws what an nnviz frame shows.

Written apart from nnviz's painter (``render/paint.py``, ``render/panels/``), it imports
none of it: a plain Agg figure with fixed margins, one axes per panel, and per frame
``restore_region`` + ``set_data`` + ``draw_artist`` of the artists that move, then the
RGB buffer into the same GIF writer with the same palette. What it draws is the same
content at the same resolution nnviz draws it:

- a plane panel: its surface as one image, the warped meshgrid (hidden spaces) as a
  QuadMesh at nnviz's stride with its grid lines, the decision boundary, the data
  as one marker line per class, and any picture thumbnails as figure images;
- a tiles panel (neurons): one image;
- the training curves: two lines and two markers.

The frames' arrays come from nnviz's scene (``Animation.frame``), precomputed before the
clock starts: the floor is drawing and encoding only, no training and no scene.
Static parts (ticks, labels, a key) are drawn once in the background, untimed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, QuadMesh
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

Array = np.ndarray
DPI = 100
NORM = Normalize(0.0, 1.0)
THUMB = 22  # px a side, as nnviz's on a 400-px panel


class PlaneFloor:
    def __init__(
        self,
        fig: Figure,
        ax: Any,
        space: Any,
        y: Array,
        colours: Sequence[Any],
        stride: int,
        lines: Array,
        warped: bool,
        thumbs: tuple[Array, Array] | None,
    ) -> None:
        self.ax, self.stride, self.lines, self.warped = ax, stride, lines, warped
        ax.set_xlim(space.limits[0], space.limits[1])
        ax.set_ylim(space.limits[2], space.limits[3])
        self.artists: list[Any] = []
        self.image = None
        if space.values is not None:
            self.image = ax.imshow(
                space.values,
                origin="lower",
                extent=space.extent,
                cmap="RdBu_r",
                norm=NORM,
                interpolation="bilinear",
                aspect="auto",
                animated=True,
            )
            self.artists.append(self.image)
        self.quad = None
        if warped:
            ix = self._ix(space.mesh)
            self.quad = QuadMesh(
                space.mesh[np.ix_(ix, ix)].copy(),
                cmap="RdBu_r",
                norm=NORM,
                antialiased=False,
                linewidth=0,
                animated=True,
            )
            ax.add_collection(self.quad, autolim=False)
            self.artists.append(self.quad)
        self.grid = LineCollection(self._grid(space.mesh), colors="white", linewidths=0.5, animated=True)
        self.bound = LineCollection(list(space.boundary), colors="black", linewidths=1.5, animated=True)
        for c in (self.grid, self.bound):
            ax.add_collection(c, autolim=False)
            self.artists.append(c)
        self.classes = [
            (y == k, ax.plot([], [], "o", ms=5, mfc=colours[k % len(colours)], mec="0.2", animated=True)[0])
            for k in np.unique(y).astype(int)
        ]
        self.artists += [line for _, line in self.classes]
        self.which, pictures = thumbs if thumbs is not None else (np.empty(0, int), [])
        self.thumbs = [fig.figimage(pic, animated=True) for pic in pictures]
        self.artists += self.thumbs  # drawn last, over the data

    def _ix(self, mesh: Array) -> Array:
        return np.unique(np.r_[np.arange(0, mesh.shape[0], self.stride), mesh.shape[0] - 1])

    def _grid(self, mesh: Array) -> list[Array]:
        return [mesh[i] for i in self.lines] + [mesh[:, j] for j in self.lines]

    def update(self, space: Any, values: Array) -> None:
        if self.image is not None:
            self.image.set_data(space.values)
        if self.quad is not None:
            ix = self._ix(space.mesh)
            self.quad.get_coordinates()[...] = space.mesh[np.ix_(ix, ix)]
            self.quad.set_array(values[np.ix_(ix[:-1], ix[:-1])].ravel())
        if self.warped:
            self.grid.set_segments(self._grid(space.mesh))
        self.bound.set_segments(list(space.boundary))
        for mask, line in self.classes:
            line.set_data(space.points[mask, 0], space.points[mask, 1])
        if self.thumbs:
            px = self.ax.transData.transform(space.points[self.which])
            for im, (x, y) in zip(self.thumbs, px):
                im.ox, im.oy = int(x) - THUMB // 2, int(y) - THUMB // 2


class TilesFloor:
    def __init__(self, ax: Any, tiles: Any) -> None:
        self.image = ax.imshow(
            tiles.values,
            origin="lower",
            cmap="viridis",
            norm=NORM,
            interpolation="nearest",
            aspect="auto",
            animated=True,
        )
        self.artists = [self.image]

    def update(self, tiles: Any, values: Array) -> None:
        self.image.set_data(tiles.values)


class CurvesFloor:
    def __init__(self, ax: Any, loss: Array, metric: Array) -> None:
        self.loss, self.metric = loss, metric
        self.x = np.arange(len(loss))
        ax.set_xlim(0, max(len(loss) - 1, 1))
        ax.set_ylim(0, max(float(np.nanmax(loss)), 1.0))
        self.lines = [ax.plot([], [], color=c, animated=True)[0] for c in ("C0", "C1")]
        self.marks = [ax.plot([], [], "o", color=c, animated=True)[0] for c in ("C0", "C1")]
        self.artists = [*self.lines, *self.marks]

    def update(self, frame: Any, values: Array) -> None:
        n = frame.index + 1
        for line, mark, v in zip(self.lines, self.marks, (self.loss, self.metric)):
            line.set_data(self.x[:n], v[:n])
            mark.set_data([self.x[n - 1]], [v[n - 1]])


def _pictures(images: Array, colours: Sequence[Any], labels: Array) -> list[Array]:
    """Each picture at THUMB px, nearest-sampled, with a frame in its class colour: RGBA floats."""
    side = images.shape[1]
    pick = np.arange(THUMB) * side // THUMB
    out = []
    for img, k in zip(images, labels):
        grey = 1.0 - np.clip(img[np.ix_(pick, pick)], 0, 1)
        rgba = np.dstack([grey, grey, grey, np.ones_like(grey)])
        edge = np.asarray(colours[k % len(colours)][:3])
        rgba[[0, 1, -2, -1], :, :3] = edge
        rgba[:, [0, 1, -2, -1], :3] = edge
        out.append(rgba)
    return out


def build(anim: Any, size: tuple[int, int]) -> tuple[Figure, FigureCanvasAgg, list[Any], Any]:
    """The floor's figure for ``anim``'s panels: (figure, canvas, one floor per panel, the title)."""
    from matplotlib import colormaps

    scene, first = anim.scene, anim.frame(anim.indices[0])
    names = list(first.panels)
    w, h = size
    fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.15, top=0.85, wspace=0.25)
    colours = [colormaps["tab10"](i) for i in range(10)]
    panel_px = 0.78 * min(w / len(names), h)
    stride = max(1, -(-(scene.grid - 1) // max(8, int(panel_px / 2.5))))
    lines = np.unique(np.linspace(0, scene.grid - 1, min(11, scene.grid)).round().astype(int))
    hist = anim.history
    loss = np.asarray([e.loss for e in hist.epochs], dtype=float)
    metric = np.asarray([list(e.metrics.values())[-1] for e in hist.epochs], dtype=float)
    floors: list[Any] = []
    for name, ax in zip(names, axes):
        item = first.panels[name]
        kind = type(item).__name__
        if kind == "Space":
            thumbs = None
            if scene.images is not None and name != "input" and item.values is not None and w >= 900:
                labels = scene.y[scene.thumbs].astype(int)
                thumbs = (scene.thumbs, _pictures(scene.images, colours, labels))
            floors.append(PlaneFloor(fig, ax, item, scene.y, colours, stride, lines, name != "input", thumbs))
        elif kind == "Tiles":
            floors.append(TilesFloor(ax, item))
        else:
            floors.append(CurvesFloor(ax, loss, metric))
    title = fig.suptitle(first.title, animated=True)
    return fig, canvas, floors, title


def floor_ms(anim: Any, size: tuple[int, int], path: Path, writer: Any, palette: Array, fps: int) -> float:
    """ms per frame: draw every frame of ``anim`` (arrays precomputed) and write it to a GIF at ``path``."""
    frames = [anim.frame(i) for i in anim.indices]
    fig, canvas, floors, title = build(anim, size)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)

    def draw(frame: Any) -> Array:
        canvas.restore_region(background)
        for f, item in zip(floors, frame.panels.values()):
            f.update(frame if isinstance(f, CurvesFloor) else item, frame.values)
            for a in f.artists:
                fig.draw_artist(a)
        title.set_text(frame.title)
        fig.draw_artist(title)
        return np.asarray(canvas.buffer_rgba())[..., :3]

    sample = draw(frames[-1]).copy()
    start = time.perf_counter()
    with writer(path, fps=fps, sample=sample, colors=palette) as w:
        for frame in frames:
            w.write(draw(frame))
    return 1000 * (time.perf_counter() - start) / len(frames)
