"""Text sizes that scale with the frame, and a layout in which no text overlaps.

Fonts, markers and lines scale with the frame, but text never shrinks below
a size that can be read at 1:1. When a small frame cannot hold everything at
that size, the layout gives way step by step (``FIT_STEPS``): fewer ticks,
then no tick labels, then no axis labels, then a two-row legend, then
shorter panel titles, then smaller titles; only a frame too small for even
that loses its panel titles. Titles and the legend are the last to give way.
After each step the figure is laid out again and its text boxes checked; the
first arrangement with no overlap (and no text off the frame) is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

DPI = 100


@dataclass(frozen=True)
class Style:
    """Sizes for one frame: ``scale`` for markers and lines, points for text."""

    scale: float
    title: float
    panel: float
    label: float
    tick: float
    legend: float


# (size at scale 1, the smallest size that still reads at 1:1) in points.
TEXT_PT = {"title": (12.0, 8.0), "panel": (11.0, 7.5), "label": (9.0, 7.0), "tick": (8.0, 6.5), "legend": (8.5, 7.0)}


def style_for(size: tuple[int, int], n_panels: int) -> Style:
    """Sizes for a ``size`` frame of ``n_panels`` panels side by side (scale 1 at 400x400 px a panel)."""
    w, h = size
    scale = float(np.clip(min(w / (400 * n_panels), h / 400), 0.45, 1.6))
    text = {k: max(base * scale, floor) for k, (base, floor) in TEXT_PT.items()}
    return Style(scale, **text)


def use_layout(fig: Figure) -> None:
    """Constrained layout with tight 4-pixel pads (both engines use it)."""
    fig.set_layout_engine("constrained", w_pad=4 / DPI, h_pad=4 / DPI, wspace=0.06)


# --- finding overlaps ----------------------------------------------------------------------


def _drawn_ticklabels(axis: Any) -> list[Text]:
    """The tick labels the last draw showed (ticks inside the view, labels on)."""
    lo, hi = sorted(axis.get_view_interval())
    locs = axis.get_majorticklocs()
    ticks = axis.get_major_ticks(len(locs))
    labels = []
    for tick, loc in zip(ticks, locs):
        if lo - 1e-9 * (hi - lo) <= loc <= hi + 1e-9 * (hi - lo):
            labels += [t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text()]
    return labels


def visible_texts(fig: Figure) -> list[Text]:
    """Every piece of text the figure shows: titles, legends, axis and tick labels."""
    texts: list[Text] = list(fig.texts)  # the suptitle is one of them
    for legend in fig.legends:
        texts += legend.get_texts()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title]  # type: ignore[attr-defined]  # the side titles
        axes = _axes_of(ax)
        texts += [axis.label for axis in axes]
        texts += [t for axis in axes for t in _drawn_ticklabels(axis)]
        texts += [t for t in ax.texts if t.get_visible()]
    unique = {id(t): t for t in texts}.values()
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def _axes_of(ax: Any) -> list[Any]:
    """An axes' x and y axis, and a 3-D axes' z axis too."""
    return [ax.xaxis, ax.yaxis, *([ax.zaxis] if hasattr(ax, "zaxis") else [])]


def text_clashes(fig: Figure) -> list[str]:
    """What is wrong with the figure's text after a draw: overlaps and text off the frame."""
    return [problem for problem, _ in _clashes(fig)]


def _clashes(fig: Figure) -> list[tuple[str, list[Text]]]:
    """Each problem, with its texts (one for text off the frame or wider than its panel, two for an overlap)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has one
    frame = Bbox.from_bounds(0, 0, *fig.canvas.get_width_height())
    boxes = [(t, t.get_window_extent(renderer)) for t in visible_texts(fig)]
    problems = [(f"{t.get_text()!r} is off the frame", [t]) for t, b in boxes if not _inside(b, frame)]
    # A caption belongs to its panel: one that runs past the panel's sides reads as its neighbour's.
    problems += [
        (f"{t.get_text()!r} is wider than its panel", [t])
        for t, b in boxes
        if t.get_gid() == "caption" and t.axes is not None and b.width > t.axes.bbox.width + 1
    ]
    titles = {id(ax.title) for ax in fig.axes}
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1 :]:
            if _overlap(a, b, titles=id(ta) in titles and id(tb) in titles):
                problems.append((f"{ta.get_text()!r} overlaps {tb.get_text()!r}", [ta, tb]))
    return problems


def _owns_any(ax: Any, texts: Sequence[Text]) -> bool:
    """Whether any of ``texts`` is one of ``ax``'s tick labels (a tick label's ``.axes`` is not set)."""
    ids = {id(t) for t in texts}
    return any(id(t) in ids for axis in _axes_of(ax) for t in _drawn_ticklabels(axis))


def _kind(text: Text, parts: Parts) -> str:
    """Which part of the layout a text is, as the fit steps name them."""
    if text is parts.title:
        return "title"
    if any(text is c.text for c in parts.captions):
        return "caption"
    if parts.key is not None and text in _key_texts(parts.key):
        return "key"
    if any(text is legend_text for legend in parts.fig.legends for legend_text in legend.get_texts()):
        return "legend"
    for ax in parts.fig.axes:
        if text is ax.title:
            return "panel"
        if any(text is axis.label for axis in _axes_of(ax)):
            return "label"
    return "tick"  # tick labels, and anything else drawn on an axes


def _inside(b: Bbox, frame: Bbox) -> bool:
    return b.x0 >= frame.x0 - 0.5 and b.y0 >= frame.y0 - 0.5 and b.x1 <= frame.x1 + 0.5 and b.y1 <= frame.y1 + 0.5


GAP = 2.0  # px of clear space two texts keep between them: labels that touch read as one
# Two panel titles side by side need more: a space apart,
# "...(pre-activation z) Activation space..." read as one sentence.
TITLE_GAP_EM = 0.8  # of the smaller title's height


def _overlap(a: Bbox, b: Bbox, titles: bool = False) -> bool:
    rows = min(a.y1, b.y1) - max(a.y0, b.y0)  # > 0: they share a line
    gap = max(GAP, TITLE_GAP_EM * min(a.height, b.height)) if titles and rows > 0 else GAP
    return min(a.x1, b.x1) - max(a.x0, b.x0) > -gap and rows > -GAP


# --- giving way ------------------------------------------------------------------------------


@dataclass
class Caption:
    """A panel's caption line: its artist, its full and short text, and which one the layout kept."""

    text: Text
    full: str
    short: str
    current: str = ""

    def __post_init__(self) -> None:
        self.current = self.full

    def use(self, text: str) -> None:
        self.current = text
        self.text.set_text(text)


@dataclass
class Parts:
    """The figure's adjustable parts: every axes, the panel titles, the legend maker, the title."""

    fig: Figure
    axes: Sequence[Any]
    panel_axes: Sequence[Any]
    legend: Callable[[int], Any] | None  # ncol -> a new figure legend
    legend_entries: int
    title: Text
    compact_title: Callable[[], None] | None = None  # switch to the short title
    captions: Sequence[Caption] = ()
    key: Any = None  # the colour key (a colour bar), removed when even a two-row legend does not fit


def _fewer_ticks(p: Parts) -> None:
    for ax in p.axes:
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.yaxis.set_major_locator(MaxNLocator(3))


def _no_tick_labels(p: Parts) -> None:
    for ax in p.axes:
        ax.tick_params(labelbottom=False, labelleft=False, labelright=False, labeltop=False)


def _no_axis_labels(p: Parts) -> None:
    for ax in p.axes:
        ax.set_xlabel("")
        ax.set_ylabel("")
        if hasattr(ax, "set_zlabel"):  # a 3-D axes
            ax.set_zlabel("")


def _two_row_legend(p: Parts) -> None:
    if p.legend is not None:
        for legend in list(p.fig.legends):
            legend.remove()
        p.legend(math.ceil(p.legend_entries / 2))


def _projected(text: str, short: str, mark: str = " (projected)") -> str:
    """``short``, still saying "projected" when ``text`` did: a projection must never pass for a plane."""
    return f"{short}{mark}" if "projected" in text and "proj" not in short else short


def _short_panel_titles(p: Parts) -> None:
    for ax in p.panel_axes:
        text = ax.get_title()
        # set_text: set_title would reset the font size
        ax.title.set_text(_projected(text, text.split(" (")[0]))


def _one_word_panel_titles(p: Parts) -> None:
    # "Layer 2 a: tanh(z)" keeps what tells it from its neighbours, "Layer 2 a".
    for ax in p.panel_axes:
        text = ax.get_title()
        ax.title.set_text(_projected(text, text.split(":")[0] if ":" in text else text.split(" ")[0], " (proj.)"))


def _short_title(p: Parts) -> None:
    if p.compact_title is not None:
        p.compact_title()


def _smaller_title(p: Parts) -> None:
    p.title.set_fontsize(max(6.0, 0.85 * float(p.title.get_fontsize())))


def _smaller_panel_titles(p: Parts) -> None:
    for ax in p.panel_axes:
        ax.title.set_fontsize(max(6.0, 0.85 * float(ax.title.get_fontsize())))


def _no_panel_titles(p: Parts) -> None:
    for ax in p.panel_axes:
        ax.set_title("")


def _short_captions(p: Parts) -> None:
    for c in p.captions:
        c.use(c.short)


def _no_captions(p: Parts) -> None:
    for c in p.captions:
        c.text.set_visible(False)


def _key_texts(key: Any) -> list[Text]:
    ax = key.ax
    return [ax.yaxis.label, ax.xaxis.label, *ax.get_yticklabels(), *ax.get_xticklabels()]


def _fewer_key_ticks(p: Parts) -> None:
    if p.key is not None:
        p.key.ax.yaxis.set_major_locator(MaxNLocator(3))


def _no_key(p: Parts) -> None:
    if p.key is not None:
        p.key.remove()
        p.key = None


# Each step and the kind of text it makes room for, in the order they give way.
FIT_STEPS: tuple[tuple[Callable[[Parts], None], str], ...] = (
    (_short_captions, "caption"),
    (_fewer_ticks, "tick"),
    (_no_tick_labels, "tick"),
    (_fewer_key_ticks, "key"),
    (_no_axis_labels, "label"),
    (_no_captions, "caption"),
    (_two_row_legend, "legend"),
    (_short_panel_titles, "panel"),
    (_one_word_panel_titles, "panel"),
    (_short_title, "title"),
    (_smaller_title, "title"),
    (_smaller_panel_titles, "panel"),
    (_smaller_title, "title"),
    (_smaller_panel_titles, "panel"),
    (_no_key, "key"),
    (_no_panel_titles, "panel"),
)


def fit(parts: Parts) -> list[str]:
    """Lay the figure out, giving way until no text clashes; returns what still clashes (ideally nothing).

    A step is taken only when a text of its kind is in a clash: two long panel
    titles that overlap are shortened, and the tick labels, which clash with
    nothing, stay. A caption that would clash in any layout (wider than its
    panel's column) is shortened before the first pass rather than after it.
    The figure is drawn (its final layout) when this returns.
    """
    use_layout(parts.fig)
    _shorten_hopeless_captions(parts)
    parts.fig.canvas.draw()
    problems = _clashes(parts.fig)
    for step, kind in FIT_STEPS:
        if not problems:
            break
        involved = [t for _, texts in problems for t in texts if _kind(t, parts) == kind]
        if not involved:
            continue
        if kind == "tick":  # only the panels whose tick labels clash give theirs up
            step(replace(parts, axes=[ax for ax in parts.axes if _owns_any(ax, involved)]))
        elif kind == "caption":  # and only the captions that clash shorten or go
            step(replace(parts, captions=[c for c in parts.captions if any(c.text is t for t in involved)]))
        else:
            step(parts)
        parts.fig.canvas.draw()
        problems = _clashes(parts.fig)
    return [problem for problem, _ in problems]


def _shorten_hopeless_captions(parts: Parts) -> None:
    """Shorten, before the first pass, each caption wider than its panel's column: no layout fits it.

    A panel is never wider than its column, so the fit would shorten these
    after its first pass anyway; taking that step first saves the pass. A
    pass is most of a painter's build (the default view at 600x200: 0.60 s
    with two passes, 0.33 s with one).
    """
    renderer = parts.fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has one
    hopeless = [
        c
        for c in parts.captions
        if c.short != c.full and c.text.get_window_extent(renderer).width > _column_width(c.text.axes) + 1
    ]
    _short_captions(replace(parts, captions=hopeless))


def _column_width(ax: Any) -> float:
    """Pixels of the figure's width that ``ax``'s grid column gets (an axes inside it is at most this wide)."""
    spec = ax.get_subplotspec()
    if spec is None:  # not on a grid: no bound
        return math.inf
    grid = spec.get_gridspec()
    ratios = grid.get_width_ratios() or [1] * grid.ncols
    return float(ax.figure.bbox.width) * sum(ratios[i] for i in spec.colspan) / sum(ratios)
