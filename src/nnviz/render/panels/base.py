"""The panel protocol's registry row and view: ``PanelKind`` and ``PanelView``.

A panel kind is one module: a ``scene.Panel`` subclass (what it keeps fixed,
what it computes per frame, its limits), a ``PanelView`` subclass (how it is
painted, in place), and a ``PanelKind`` row in ``render.panels.PANELS`` that
builds its panels for one animation and says what they cost in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from matplotlib.collections import LineCollection

from ...config import Config
from ...engine import nn
from ...engine.data import Dataset
from ...engine.events import Event
from ...engine.history import History
from ..colours import surface_cmap
from ..layout import Caption, Style
from ..scene import Frame, Limits, Panel, Scene

Array = np.ndarray


@dataclass(frozen=True)
class Setup:
    """What a panel kind may read to build its panels: the shared scene, the whole run and its data.

    ``indices`` are the history positions the animation draws, in order: a
    panel whose look moves with the frame's place in the animation (a
    turning camera) reads it; empty when the caller does not say.
    """

    scene: Scene
    history: History
    data: Dataset
    indices: tuple[int, ...] = ()


def no_cost(model: nn.Model, layer: int) -> int:
    return 0


def no_refusal(model: nn.Model, layer: int) -> str | None:
    return None


def no_fixed_cost(cfg: Config, data: Dataset, model: nn.Model) -> None:
    return None


@dataclass(frozen=True)
class PanelKind:
    """A ``--panels`` name: one registry row.

    ``build`` makes the panels it stands for (one, or a set such as every
    layer's); ``mesh_floats`` is what they keep per meshgrid point in every
    frame, in float64 values, for the memory budget (checked before training,
    so from the network's shape alone). ``refuse`` says why it cannot draw
    a network of that shape (None: it can), also checked before training.
    ``admit`` refuses (``ConfigError``), also before training, a run whose
    fixed part (what ``build`` computes once, such as the landscape's loss
    grid) would pass its own budget.
    """

    name: str
    help: str
    build: Callable[[Setup], tuple[Panel, ...]]
    mesh_floats: Callable[[nn.Model, int], int] = no_cost
    admit: Callable[[Config, Dataset, nn.Model], None] = no_fixed_cost
    refuse: Callable[[nn.Model, int], str | None] = no_refusal


class PanelView:
    """One axes of the figure, drawing one ``Panel``'s frames.

    ``build(frame)`` makes the animated artists once; ``update(frame)``
    changes them in place (the stream engine); ``add(frame)`` makes fresh
    ones (the celluloid engine snapshots every frame's artists); ``draw()``
    draws the animated artists over the restored background.
    ``leave_background()`` lets a view whose whole axes changes every frame
    take it out of the static background.
    """

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        self.ax, self.scene, self.panel, self.style, self.scale = ax, scene, panel, style, style.scale
        self.name = panel.name
        self.mesh_index = mesh_index(scene.grid, stride)
        self.cmap = surface_cmap(scene)
        self.artists: list[Any] = []
        self.caption: Any = None  # the line under the panel (make_caption), None when there is none
        self.draw_text: Callable[[Any], Any] = ax.draw_artist  # the painter pastes repeated text (render.stamps)
        self._caption_shown: tuple[Any, ...] | None = None  # what update_caption last set, and its fitted text
        ax.set_title(panel.title, fontsize=style.panel)
        xl, yl = panel.labels
        ax.set_xlabel(xl, fontsize=style.label, labelpad=2)
        ax.set_ylabel(yl, fontsize=style.label, labelpad=2)
        ax.tick_params(labelsize=style.tick, length=3 * style.scale, pad=2)
        for axis in (ax.xaxis, ax.yaxis):  # "1e-5+9.999e-1" is no number a student can read: write them out
            formatter = axis.get_major_formatter()
            if hasattr(formatter, "set_useOffset"):
                formatter.set_useOffset(False)

    surface: ClassVar[bool] = False  # it colours by the prediction: the frame shows the colour key

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        """Extra colours this kind of view draws, (m, 3) floats, that a GIF's palette keeps exact."""
        return None

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

    def leave_background(self) -> bool:
        """Called once the figure is laid out, before the painter draws its static background.

        A view whose whole axes changes every frame (a turning 3-D camera
        moves its panes and labels too) takes what moves out of the
        background here and returns True; its ``draw()`` then draws it every
        frame. The painter redraws the background when any view did.
        """
        return False

    def add(self, frame: Frame) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, frame: Frame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self) -> None:
        """Draw the animated artists, then the frame on top of the surface, then the caption."""
        for a in self.artists:
            self.ax.draw_artist(a)
        for spine in self.ax.spines.values():
            self.ax.draw_artist(spine)
        self.draw_caption()

    def draw_caption(self) -> None:
        if self.caption is not None and self.caption.get_visible():
            self.draw_text(self.caption)

    # --- the caption: what the panel shows, or the training event that holds ---------------

    def make_caption(self) -> Any:
        """The panel's caption, under its axis label; animated, since an event's text replaces it on its frames."""
        if not self.panel.caption:
            return None
        self.caption = self.ax.annotate(
            self.panel.caption,
            xy=(0.5, 0.0),
            xycoords=self.ax.xaxis.label,
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=self.style.tick,
            color=CAPTION_GREY,
            annotation_clip=False,
            gid="caption",
        )
        self.caption.set_animated(True)
        self.caption_line = Caption(self.caption, self.panel.caption, self.panel.short_caption or self.panel.caption)
        return self.caption_line

    def update_caption(self, note: Event | None, target: Any = None) -> None:
        """Show ``note`` (an event's caption, red for a warning) or the panel's caption.

        The short forms when the layout kept the short caption. An event too
        long for the panel shows the most of it that reads whole (``event_forms``):
        "the layer collapsed: its units point one way", or "the layer collapsed",
        never "the layer collapsed: its units point one way, so the…"; it is cut
        to the panel's width only when even its short form is too long.
        ``target``: write into this copy of the caption instead (a replayed frame's).
        """
        line = getattr(self, "caption_line", None)
        text = target if target is not None else self.caption
        if text is None or line is None or (target is None and not text.get_visible()):
            return
        short = line.current != line.full
        colour = CAPTION_GREY if note is None else NOTE_RED if note.warning else NOTE_INK
        want = (note.short if short else note.caption) if note else line.current
        shown = (want, colour, self.ax.bbox.width)
        if target is None and self._caption_shown == (*shown, text.get_text()):
            return  # as last frame: cutting it to width again would measure it again
        text.set_color(colour)
        forms = event_forms(note) if note is not None and not short else (want,)
        for form in forms:
            text.set_text(form)
            if fits(text, self.ax.bbox.width):
                break
        fit_width(text, self.ax.bbox.width)
        if target is None:
            self._caption_shown = (*shown, text.get_text())

    def mine(self, frame: Frame) -> Any:
        """This panel's arrays in ``frame``."""
        return frame.panels[self.name]

    def lines(self, segments: Sequence[Array] | Array, **style: Any) -> LineCollection:
        lc = LineCollection(list(segments), **style)
        self.ax.add_collection(lc, autolim=False)
        return lc


CAPTION_GREY = "0.3"
NOTE_RED = "#a50f15"  # a warning's caption: a dead unit, a plateau
NOTE_INK = "0.05"  # an event that only explains (every point separated): darker than a caption


def event_forms(event: Event) -> tuple[str, ...]:
    """What a panel may show of ``event``, longest first: the caption, the caption up to each of
    its clauses (at ", " or "; ": a ":" can end "epoch 106", which says nothing), its short form.
    A clause inside quotes or brackets (a class named "cat, dog", a span of values) is no clause."""
    caption = event.caption

    def whole(prefix: str) -> bool:
        return prefix.count("'") % 2 == 0 and prefix.count("(") == prefix.count(")") and len(prefix) > len(event.short)

    ends = [i for i in range(len(caption) - 1, 0, -1) if caption[i : i + 2] in (", ", "; ")]
    return (caption, *(caption[:i] for i in ends if whole(caption[:i])), event.short)


def fits(text: Any, width_px: float) -> bool:
    return bool(text.get_window_extent(text.figure.canvas.get_renderer()).width <= width_px)


def fit_width(text: Any, width_px: float) -> None:
    """Cut ``text`` with an ellipsis until it is at most ``width_px`` wide (an event may say more than fits)."""
    if fits(text, width_px):
        return
    words = text.get_text().split(" ")
    while len(words) > 1:
        words.pop()
        text.set_text(" ".join(words).rstrip(",;:") + "…")
        if fits(text, width_px):
            return


def mesh_index(grid: int, stride: int) -> Array:
    return np.unique(np.r_[np.arange(0, grid, stride), grid - 1])


def mesh_stride(grid: int, size: tuple[int, int], n_panels: int) -> int:
    """Draw warped meshes with cells of about 2.5 pixels at least.

    Agg's cost grows with the number of quads, and quads smaller than a
    pixel add nothing visible; the input panel always shows the full grid.
    """
    panel_px = 0.78 * min(size[0] / max(n_panels, 1), size[1])
    cells = max(8, int(panel_px / 2.5))
    return max(1, -(-(grid - 1) // cells))
