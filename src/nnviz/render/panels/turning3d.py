"""The 3-D panels' matplotlib parts: an axes whose camera turns and whose labels keep their room at
every angle, the celluloid engine's camera mark, and data markers that keep their colours in 3-D.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.projections import register_projection
from matplotlib.transforms import Bbox

# matplotlib's 3-D toolkit ships without type information (a plain import, no overrides entry needed).
from mpl_toolkits.mplot3d import Axes3D  # type: ignore[import-untyped]

from ..colours import class_colors, point_colors
from ..scene import Scene
from ..scene.space3d import ELEV
from .planes import marker_size

Array = np.ndarray

TURNING_AXES = "nnviz-turning-3d"  # the matplotlib projection the panels draw on (``TurningAxes``)
LAYOUT_AZIMUTHS = np.arange(-180.0, 180.0, 15.0)  # the camera angles the layout makes room for


class TurningAxes(Axes3D):
    """A 3-D axes laid out for every angle its camera will turn to.

    matplotlib's 3-D axes tells a layout only where its tick labels are now
    (and leaves its axis labels out): as the camera turns, its labels swing
    around the box and reached 40 px into the colour bar beside it. This one
    reports the union, over a full turn, of its tick and axis labels.
    """

    name = TURNING_AXES
    # How far below the axes' box the lowest label swings over the turn (pixels):
    # the caption hangs under that, so no angle's label reaches it.
    label_drop = 0.0
    # Once laid out, the figure's background holds only the title (``turning``),
    # and ``draw_turning`` draws the rest every frame.
    turning = False
    _frame_pass = False

    def _update_title_position(self, renderer: Any) -> None:
        # matplotlib places a title above the tick labels each draw; the layout
        # has made room for every angle, and a title that moved would distract.
        if not self.turning:
            super()._update_title_position(renderer)

    def draw(self, renderer: Any) -> None:
        if not self.turning:  # laying out, or the celluloid engine's figure
            super().draw(renderer)
        elif self._frame_pass:  # everything but the title, which is in the background
            self.title.set_visible(False)
            try:
                super().draw(renderer)
            finally:
                self.title.set_visible(True)
        elif self.get_visible():
            self.title.draw(renderer)

    def draw_turning(self) -> None:
        """Draw what the camera changes: everything but the title."""
        self._frame_pass = True
        try:
            self.get_figure(root=True).draw_artist(self)
        finally:
            self._frame_pass = False

    def get_tightbbox(
        self,
        renderer: Any = None,
        *,
        call_axes_locator: bool = True,
        bbox_extra_artists: Any = None,
        for_layout_only: bool = False,
    ) -> Any:
        elev, azim = self.elev, self.azim
        boxes = []
        captions = [t for t in self.texts if t.get_gid() == "caption" and t.get_in_layout()]
        for t in captions:  # placed under the labels' box, so measured after it
            t.set_in_layout(False)
        try:
            for a in LAYOUT_AZIMUTHS:
                self.view_init(ELEV, a)  # the turn's own elevation, whatever the camera is at now
                self.M = self.get_proj()
                self.invM = np.linalg.inv(self.M)
                boxes.append(
                    super().get_tightbbox(
                        renderer,
                        call_axes_locator=call_axes_locator,
                        bbox_extra_artists=bbox_extra_artists,
                        for_layout_only=for_layout_only,
                    )
                )
                # Placed by the call above; a layout's call leaves them out.
                labels = (axis.label for axis in self._axis_map.values())
                boxes += [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]
        finally:
            self.view_init(elev, azim)
            self.M = self.get_proj()
            self.invM = np.linalg.inv(self.M)
            for t in captions:
                t.set_in_layout(True)
        box = Bbox.union([b for b in boxes if b is not None])
        self.label_drop = max(0.0, self.bbox.y0 - box.y0)
        shown = [t.get_window_extent(renderer) for t in captions if t.get_visible() and t.get_text()]
        return Bbox.union([box, *shown])

    def caption_anchor(self, renderer: Any) -> Bbox:
        """Where a caption hangs: under the axes' centre, below every label at every angle of the turn.

        Not the x label, as a 2-D panel's: a 3-D axes' labels swing round the cube as it turns.
        """
        y = self.bbox.y0 - self.label_drop
        return Bbox.from_extents(self.bbox.x0, y, self.bbox.x1, y)


register_projection(TurningAxes)


class CameraMark(Line2D):
    """An empty line that turns its axes' camera when shown: the celluloid engine's camera.

    celluloid replays artists, making each frame's visible in turn; a camera
    is no artist, so this one carries the frame's angle and sets it as the
    frame is shown (the stream engine sets it directly).
    """

    def __init__(self, azim: float, elev: float) -> None:
        super().__init__([], [])
        self.angle = (elev, azim)

    def set_visible(self, b: bool) -> None:
        super().set_visible(b)
        if b and self.axes is not None:
            self.axes.view_init(*self.angle)  # type: ignore[attr-defined]


class Markers3D:
    """The data at one depth of the drawing: one marker line per (class, split), or a scatter for regression.

    As in the 2-D panels (``planes._Points``), Agg stamps a line's cached
    marker many times faster than a scatter draws per-point colours; test
    points are hollow rings in their class colour. ``show`` draws the points
    ``mask`` picks.
    """

    def __init__(self, ax: Any, scene: Scene, scale: float, zorder: int) -> None:
        ms = marker_size(scale, len(scene.y))
        self.lines: list[tuple[Any, Array]] = []
        self.scatter: Any = None
        self.colours = point_colors(scene)
        if scene.task == "regression":
            self.scatter = ax.scatter([], [], [], s=ms**2, depthshade=False, zorder=zorder, linewidths=0.5 * scale)
            self.test = scene.test
            return
        labels = scene.y.astype(int)
        for test in (False, True):
            for c, colour in enumerate(class_colors(scene)):
                m = (scene.test == test) & (labels == c)
                if not m.any():
                    continue
                ring = {"mfc": "none", "mec": colour, "mew": 1.2 * scale} if test else {"mfc": colour, "mec": "0.15"}
                style = {"ls": "none", "marker": "o", "ms": ms, "mew": 0.4 * scale, "zorder": zorder}
                self.lines.append((ax.plot([], [], [], **{**style, **ring})[0], m))

    def show(self, points: Array, mask: Array) -> None:
        for line, m in self.lines:
            p = points[m & mask]
            line.set_data_3d(p[:, 0], p[:, 1], p[:, 2])
        if self.scatter is not None:
            p, c, test = points[mask], self.colours[mask], self.test[mask]
            self.scatter.set_offsets(p[:, :2])
            self.scatter.set_3d_properties(p[:, 2], "z")
            self.scatter.set_facecolors(np.where(test[:, None], 0.0, c))
            self.scatter.set_edgecolors(np.where(test[:, None], c, np.array([0.15, 0.15, 0.15, 1.0])))
