"""The network panel: every unit a node holding its map over the input, every weight an edge.

TensorFlow Playground's centre panel, exported and in step with the other
panels. Layers run left to right (the input features, each hidden layer, the
output), units top to bottom. Each node is a small heatmap of its unit over
the input plane, or a curve over the input interval with one feature, from
the frame's one pass over the meshgrid: the panel keeps ``NODE_RES`` x
``NODE_RES`` of its points (``take_rows``), never a full map per unit. Input
nodes show their feature, hidden nodes their activation (each scaled to its
own range in the frame, as in the neurons panel), output nodes the
prediction in the input panel's colours (one node per class for multiclass).

Edges are the weights (biases are not drawn): colour is the sign (green
positive, pink negative, paler when weak), thickness the magnitude, on one
scale for the whole run (its strongest drawn weight is the thickest), so a
weight's growth shows. A layer wider than ``MAX_UNITS`` shows its first
``MAX_UNITS - 1`` units and one "+N" node standing for the rest; an edge to
or from that node is the mean of the weights it stands for.

A dead or saturated unit (a training event, ``concerns``) is outlined in red
on the frames where it holds, and the caption under the panel names it.

Labels fit themselves when drawn (``_FittedText``): each has its room in the
panel and shows the first of its texts that fits there, or nothing, so the
panel reads at 1200x400 and stays clean at 320x160. The geometry (columns,
layout, samples, weight blocks, the maps' mosaic) is ``network_layout``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from ...engine import nn
from ...engine.events import Event
from ..colours import LEVELS, class_colors, neuron_cmap, surface_cmap
from ..layout import DPI, Style
from ..scene import Frame, FrameContext, Limits, Panel, Scene, sub
from .base import NOTE_INK, NOTE_RED, PanelKind, PanelView, Setup
from .network_layout import (
    CURVE_RES,
    KEY,
    KEY_BAR,
    MAX_UNITS,
    MORE_WIDTH,
    NODE_RES,
    Column,
    Layout,
    Mosaic,
    blocks,
    layout,
    own_range,
    samples,
    shown_units,
)

Array = np.ndarray

HEADS = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}  # the output layer's function

# Edge colours: PiYG, negative pink, positive green, stepped by magnitude
# (weak, medium, strong thirds of the run's strongest weight), so a GIF's
# palette holds them exactly. Neither is a binary class colour (blue, red).
EDGE_CMAP = "PiYG"
EDGE_STEPS = (0.36, 0.22, 0.06)  # pink positions, weak to strong; green is 1 - these
LINE_MAX_PT = 3.5  # the strongest weight's line at scale 1...
NODE_SHARE = 0.22  # ...but never thicker than this share of a node's side
LINE_FLOOR = 0.08  # a zero weight's line, as a share of the strongest's
BORDER_COLOUR = "0.15"
TEXT_COLOUR = "0.15"
ROOM_PAD = 1.5  # px a fitted text keeps inside its room (texts closer than 2 px read as one)


# --- the model: the frame's graph and the panel (its geometry: network_layout) ----------------


@dataclass(frozen=True)
class Graph:
    """The network's frame: each mapped node's values, each edge's weight.

    ``maps`` (nodes with a map, samples) are 0..1: a unit over its own range
    in the frame, the output's prediction as the input panel colours it
    (multiclass: each class where it wins; along an interval, each class's
    probability). ``weights`` follow the panel's ``segments``.
    """

    maps: Array
    weights: Array
    limits: Limits

    def finite_arrays(self) -> Iterable[Array | None]:
        return (self.maps, self.weights)


@dataclass(frozen=True)
class NetworkPanel(Panel):
    """The network drawn as a graph; fixed for the animation: its columns, layout, samples and weight scale."""

    scene: Scene = field(repr=False)
    columns: tuple[Column, ...]
    layout: Layout = field(repr=False)
    picks: Array = field(repr=False)  # the mesh rows every node map samples, in map order
    inputs: Array = field(repr=False)  # (shown features, samples): the input nodes' maps, fixed
    strongest: float  # the largest drawn |weight| of the whole run: the thickest line
    name: str = "network"
    title: str = "Network"
    labels: tuple[str, str] = ("", "")
    caption: str = ""
    short_caption: str = ""

    @property
    def painter(self) -> Any:
        return NetworkView

    def concerns(self, event: Event) -> bool:
        # A dead or saturated unit is a node here (the view outlines it in red), in any layer.
        return event.kind in ("dead", "saturated") and 1 <= event.layer < len(self.columns) - 1

    def node_index(self, layer: int, unit: int) -> int:
        """Unit ``unit`` (0-based) of column ``layer`` as a position in ``outlines`` (a summarised unit: its "+N")."""
        before = sum(c.count for c in self.columns[:layer])
        return before + min(unit, self.columns[layer].shown)

    @property
    def box(self) -> Limits:
        return self.layout.box

    @property
    def side(self) -> tuple[int, int]:
        """A node map's shape, rows by columns: a square of the plane, or one row along the interval."""
        return (NODE_RES, NODE_RES) if self.scene.mode == "surface" else (1, CURVE_RES)

    def fixed_limits(self) -> Limits | None:
        return self.box

    def take_rows(self, trace: nn.Trace, base: Array, rows: slice) -> tuple[Array, ...]:
        # Only the sampled points of each shown unit: a map is NODE_RES² values, whatever the grid.
        lo, hi = np.searchsorted(self.picks, [rows.start, rows.stop])
        at = self.picks[lo:hi] - rows.start
        return tuple(trace.a[k][at, : c.shown] for k, c in enumerate(self.columns[1:-1]))

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Graph:
        hidden = [own_range(a) for a in ctx.kept[self.name]]
        maps = np.concatenate([self.inputs, *hidden, self._outputs(ctx)])
        return Graph(maps, self.weights(ctx.params), self.box)

    def _outputs(self, ctx: FrameContext) -> Array:
        """The output nodes' maps, as the input panel colours the plane.

        Binary and regression: the surface's values. Multiclass: class c's
        node is the surface where c wins and white elsewhere; along an
        interval (curves), each class's probability.
        """
        out = ctx.out[self.picks]
        values = ctx.values.ravel()[self.picks]
        if self.scene.task != "multiclass":
            return values[None, :]
        shown = np.arange(self.columns[-1].shown)
        if self.scene.mode == "curve":  # heights: each class's probability
            return out[:, shown].T
        # Colours: the input panel's where the class wins, its palest elsewhere.
        wins = out.argmax(axis=1)[None, :] == shown[:, None]
        return np.where(wins, values[None, :], shown[:, None] / out.shape[1])

    def weights(self, params: Sequence[Array]) -> Array:
        """Every drawn edge's weight for ``params``, in ``segments`` order (summarised: means)."""
        cols = self.columns
        return np.concatenate(
            [blocks(params[2 * k], a.shown, b.shown).ravel() for k, (a, b) in enumerate(pairwise(cols))]
        )

    # --- geometry, for the view -----------------------------------------------------------

    def boxes(self) -> list[Array]:
        """Per column, (nodes, 3): each node's left and right edges and its bottom, top node first.

        A node is ``NODE_RES`` cells square; a "+N" node is ``MORE_WIDTH``
        times as wide, centred on its column, to hold its count.
        """
        out = []
        for col, x, ys in zip(self.columns, self.layout.xs, self.layout.ys):
            lo = np.full(len(ys), float(x))
            hi = lo + NODE_RES
            if col.more:
                lo[-1] -= (MORE_WIDTH - 1) * NODE_RES / 2
                hi[-1] += (MORE_WIDTH - 1) * NODE_RES / 2
            out.append(np.column_stack([lo, hi, ys.astype(float)]))
        return out

    def mapped(self) -> Array:
        """(nodes with maps, 2) lower-left corners in cells, in ``Graph.maps`` order."""
        return np.array([(b[0], b[2]) for c, col in zip(self.boxes(), self.columns) for b in c[: col.shown]], dtype=int)

    def outlines(self) -> list[Array]:
        """Every node's box (the "+N" nodes too), as closed polylines."""
        return [
            np.array([(x0, y), (x1, y), (x1, y + NODE_RES), (x0, y + NODE_RES), (x0, y)])
            for column in self.boxes()
            for x0, x1, y in column
        ]

    def segments(self) -> Array:
        """(edges, 2, 2): from each node's right side to each node's left side in the next column."""
        half = NODE_RES / 2
        boxes = self.boxes()
        out = [
            ((a[1], a[2] + half), (b[0], b[2] + half)) for left, right in pairwise(boxes) for a in left for b in right
        ]
        return np.array(out, dtype=float).reshape(-1, 2, 2)


def _names(setup: Setup) -> tuple[str, ...]:
    names = tuple(setup.data.feature_names)
    return names or tuple(sub("x", j) for j in range(setup.scene.model.sizes[0]))


def _shortened(text: str, keep: int = 5) -> tuple[str, ...]:
    """``text``, then (when longer than ``keep``) its start and an ellipsis: a label's choices."""
    return (text,) if len(text) <= keep else (text, text[: keep - 1] + "…")


def _output_labels(scene: Scene, shown: int) -> tuple[tuple[str, ...], ...]:
    names = scene.class_names
    if scene.task == "regression":
        return (("prediction", "pred."),)
    if scene.task == "binary":
        one = names[1] if len(names) > 1 else "1"
        return ((f"P(class {one})", f"P({one})"),)
    return tuple((f"class {n}", *_shortened(n, 3)) for n in (names or tuple(map(str, range(shown))))[:shown])


def columns(setup: Setup) -> tuple[Column, ...]:
    """The input, each hidden layer and the output as drawn, with their headers and node labels."""
    scene, model = setup.scene, setup.scene.model
    sizes, act = model.sizes, model.activation
    n_in = shown_units(sizes[0])
    cols = [Column(("Input", "In"), sizes[0], n_in, tuple(_shortened(n) for n in _names(setup)[:n_in]))]
    for k in range(1, model.n_hidden + 1):
        cols.append(
            Column((f"Layer {k}\n{act}", f"L{k}\n{act}", f"L{k} {act}", f"L{k}"), sizes[k], shown_units(sizes[k]))
        )
    head = HEADS[scene.task]
    n_out = shown_units(sizes[-1])
    cols.append(Column((f"Output\n{head}", f"Out\n{head}", "Out"), sizes[-1], n_out, _output_labels(scene, n_out)))
    return tuple(cols)


STRONGEST_CHUNK = 2**24  # bytes of one layer's weights stacked over epochs while the run's strongest is found


def _strongest(cols: Sequence[Column], setup: Setup) -> float:
    """The largest |weight| any drawn edge has in any epoch of the run (1 when all are zero)."""
    top = 0.0
    epochs = setup.history.epochs
    with np.errstate(over="ignore", invalid="ignore"):
        for k, (a, b) in enumerate(pairwise(cols)):
            # Epochs stacked a bounded chunk at a time: one call per chunk, not per epoch.
            step = max(1, STRONGEST_CHUNK // max(epochs[0].params[2 * k].nbytes, 1))
            for i in range(0, len(epochs), step):
                stack = np.stack([e.params[2 * k] for e in epochs[i : i + step]])
                top = max(top, float(np.abs(blocks(stack, a.shown, b.shown)).max()))
    return top if top > 0 else 1.0


def _title(model: nn.Model, cols: Sequence[Column]) -> str:
    """``Network 2-8-8-1 (tanh)``; a narrow frame cuts it at the bracket."""
    sizes = model.sizes
    shape = (
        "-".join(map(str, sizes)) if len(sizes) <= 6 else f"{sizes[0]}-…-{sizes[-1]}, {model.n_hidden} hidden layers"
    )
    summarised = any(c.more for c in cols)
    return f"Network {shape} ({model.activation}" + (f", first {MAX_UNITS - 1} units a layer)" if summarised else ")")


def _captions() -> tuple[str, str]:
    """What the panel shows, in a line that fits under it (the key under the network gives the weights' scale)."""
    return "squares: units over the input; weights: green +, pink −", "weights: green +, pink −"


def build(setup: Setup) -> tuple[Panel, ...]:
    scene = setup.scene
    cols = columns(setup)
    g = scene.grid
    if scene.mode == "surface":
        idx = samples(g, NODE_RES)
        picks = (idx[:, None] * g + idx[None, :]).ravel()
    else:
        picks = samples(g, CURVE_RES)
    inputs = own_range(scene.mesh_x[picks, : cols[0].shown])
    caption, short = _captions()
    return (
        NetworkPanel(
            scene,
            cols,
            layout(cols),
            picks,
            inputs,
            _strongest(cols, setup),
            title=_title(scene.model, cols),
            caption=caption,
            short_caption=short,
        ),
    )


# --- the view ---------------------------------------------------------------------------------


@functools.cache
def edge_colours() -> Array:
    """(2, 3, 4) RGBA: [negative, positive] x [weak, medium, strong] (shared: never write to it)."""
    cmap = colormaps[EDGE_CMAP]
    return np.array([[cmap(p) for p in EDGE_STEPS], [cmap(1.0 - p) for p in EDGE_STEPS]])


def edge_rgba(weights: Array, strongest: float) -> Array:
    """Each weight's colour: its sign's hue, darker by thirds of the run's strongest weight."""
    m = np.abs(weights) / strongest
    step = np.clip(np.ceil(m * len(EDGE_STEPS)).astype(int) - 1, 0, len(EDGE_STEPS) - 1)
    return edge_colours()[(weights >= 0).astype(int), step]


class _Weighted(LineCollection):
    """Lines as thick as the weights they draw.

    ``magnitudes`` are 0..1 of the run's strongest weight; when drawn they
    become widths up to ``LINE_MAX_PT`` (at scale 1), but never past a share
    of a node's side in pixels, which only the final layout knows: a deep
    net's small nodes keep thin lines.
    """

    def __init__(self, segments: Sequence[Array] | Array, node: float, scale: float, **kw: Any) -> None:
        super().__init__(list(segments), **kw)
        self.node, self.scale = node, scale
        self.magnitudes = np.zeros(len(segments))

    def draw(self, renderer: Any) -> None:
        ax: Any = self.axes
        (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (self.node, 0.0)])
        node_pt = abs(x1 - x0) * 72 / DPI
        top = min(LINE_MAX_PT * self.scale, NODE_SHARE * node_pt)
        self.set_linewidth(top * (LINE_FLOOR + (1 - LINE_FLOOR) * self.magnitudes))
        super().draw(renderer)


class _FittedText(Text):
    """A label with a room (data coordinates) that shows the first of its texts that fits there, or none.

    It chooses when drawn, against the panel's final size, so no label ever
    runs into a neighbour's room, and a frame too small for any loses it.
    Whether it fits is its own state: its visibility stays its owner's (the
    celluloid engine hides other frames' artists), and it shows only when
    both allow.
    """

    def __init__(self, room: Limits, texts: Sequence[str], ha: str = "center", pad: float = ROOM_PAD, **kw: Any):
        x = {"left": room[0], "right": room[1]}.get(ha, (room[0] + room[1]) / 2)
        super().__init__(x, (room[2] + room[3]) / 2, texts[0], ha=ha, va="center", **kw)
        self.room, self.texts, self.pad = room, tuple(t for t in texts if t), pad
        self.fits = True

    def get_visible(self) -> bool:
        return super().get_visible() and self.fits

    def draw(self, renderer: Any) -> None:
        if not super().get_visible():  # hidden by its owner
            return
        self.fits = True  # measured as it would be drawn
        self.fits = self._fit(renderer)
        super().draw(renderer)

    def _fit(self, renderer: Any) -> bool:
        ax: Any = self.axes
        (x0, y0), (x1, y1) = ax.transData.transform([(self.room[0], self.room[2]), (self.room[1], self.room[3])])
        p = self.pad
        # The side a text is anchored to faces a node, not another text: no pad there.
        ha = self.get_horizontalalignment()
        room = Bbox.from_extents(
            x0 - 0.5 if ha == "left" else x0 + p, y0 + p, x1 + 0.5 if ha == "right" else x1 - p, y1 - p
        )
        for text in self.texts:
            self.set_text(text)
            b = self.get_window_extent(renderer)
            if room.x0 <= b.x0 and b.x1 <= room.x1 and room.y0 <= b.y0 and b.y1 <= room.y1:
                return True
        return False


class NetworkView(PanelView):
    """The network: edges under the node maps, node borders, fitted labels, the key.

    The nodes' maps are one RGBA image however many units there are (each
    node coloured by its own map: the neuron colours, the output's surface
    colours), transparent between nodes, so a frame costs about what an
    input panel does. The axes take the layout's shape (square
    cells) and show no ticks: the panel is a diagram, not a plane.
    """

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        super().__init__(ax, scene, panel, style, stride)
        assert isinstance(panel, NetworkPanel)
        self.net = panel
        ax.set_xticks([])
        ax.set_yticks([])
        # Square cells: the axes take the layout's shape, at the top of their
        # space so the panel's title lines up with its neighbours'.
        x0, x1, y0, y1 = panel.box
        ax.set_box_aspect((y1 - y0) / (x1 - x0))
        ax.set_anchor("N")
        self.set_limits(panel.box)
        self.segments = panel.segments()
        self.corners = corners = panel.mapped()
        n_out = panel.columns[-1].shown
        self.mosaic = Mosaic(corners, panel.side)
        self.n_out = n_out

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        units = neuron_cmap()(np.linspace(0, 1, LEVELS))[:, :3]
        return np.vstack([units, edge_colours().reshape(-1, 4)[:, :3]])

    # --- what never changes: labels, the key --------------------------------------------------

    def _text(
        self, room: Limits, texts: Sequence[str], size: float, ha: str = "center", pad: float = ROOM_PAD
    ) -> _FittedText:
        t = _FittedText(room, texts, ha=ha, pad=pad, fontsize=size, color=TEXT_COLOUR, linespacing=1.0, zorder=5)
        self.ax.add_artist(t)
        return t

    def _labels(self) -> list[Any]:
        """The layer names over the columns, the inputs' and outputs' names beside them, each "+N" count."""
        net, lay, st = self.net, self.net.layout, self.style
        _, width, _, height = net.box
        out: list[Any] = []
        top = max(float(ys[0]) for ys in lay.ys) + NODE_RES
        half = (lay.pitch - NODE_RES) / 2
        last = len(net.columns) - 1
        for c, (col, boxes) in enumerate(zip(net.columns, net.boxes())):
            mid = float(lay.xs[c]) + NODE_RES / 2
            out.append(
                self._text((mid - lay.h_pitch / 2, mid + lay.h_pitch / 2, top + 2, height), col.header, st.label)
            )
            for i, (x0, x1, y) in enumerate(boxes):
                row = (y - half, y + NODE_RES + half)
                if i < len(col.labels) and c == 0:
                    out.append(self._text((2.0, x0 - 3, *row), col.labels[i], st.tick, "right"))
                elif i < len(col.labels) and c == last:
                    out.append(self._text((x1 + 3, width - 2, *row), col.labels[i], st.tick, "left"))
                if i == col.shown:  # the "+N" node
                    # Inside its own box: no neighbour to keep clear of.
                    more = (f"+{col.more}\nmore", f"+{col.more}")
                    out.append(self._text((x0, x1, y, y + NODE_RES), more, st.tick, pad=0.5))
        return out + self._key()

    def _key(self) -> list[Any]:
        """Under the network: "weight −w", a bar of the edge styles from strong negative to strong positive, "+w"."""
        net, st = self.net, self.style
        width = net.box[1]
        x0, x1 = width / 2 - KEY_BAR / 2, width / 2 + KEY_BAR / 2
        y = KEY / 2
        steps = len(EDGE_STEPS)
        m = np.r_[np.arange(steps, 0, -1), np.arange(1, steps + 1)] / steps
        w = m * np.r_[-np.ones(steps), np.ones(steps)]
        cuts = np.linspace(x0, x1, 2 * steps + 1)
        bar = _Weighted(
            [np.array([(a, y), (b, y)]) for a, b in pairwise(cuts)],
            NODE_RES,
            self.scale,
            colors=edge_rgba(w, 1.0),
            capstyle="butt",
            zorder=5,
        )
        bar.magnitudes = m
        self.ax.add_collection(bar, autolim=False)
        s = net.strongest
        room = (1.0, KEY - 1.0)
        return [
            bar,
            self._text((2.0, x0 - 2, *room), (f"weight −{s:.2g}", f"−{s:.2g}"), st.tick, "right"),
            self._text((x1 + 2, width - 2, *room), (f"+{s:.2g}",), st.tick, "left"),
        ]

    # --- what changes every frame: edges, maps, borders ---------------------------------------

    def _edges(self, frame: Frame) -> _Weighted:
        edges = _Weighted(self.segments, NODE_RES, self.scale, capstyle="butt", zorder=2)
        self._set_edges(edges, frame)
        self.ax.add_collection(edges, autolim=False)
        return edges

    def _set_edges(self, edges: _Weighted, frame: Frame) -> None:
        w = self.mine(frame).weights
        edges.magnitudes = np.abs(w) / self.net.strongest
        edges.set_color(edge_rgba(w, self.net.strongest))  # type: ignore[arg-type]  # (n, 4) RGBA rows

    def _rgba(self, frame: Frame) -> Array:
        """The node maps as one RGBA image: the units in the neuron colours, the output in the surface's.

        Coloured here, once a frame at the maps' own size, so the image is
        drawn as plain pixels; the stepped maps keep a GIF palette's colours.
        """
        maps = self.mine(frame).maps
        units = neuron_cmap()(maps[: -self.n_out], bytes=True)
        out = surface_cmap(self.scene)(maps[-self.n_out :], bytes=True)
        return self.mosaic.image(np.concatenate([units, out]))

    def _maps(self, frame: Frame) -> list[Any]:
        im = AxesImage(self.ax, interpolation="nearest", origin="lower", extent=self.mosaic.extent, zorder=3)
        im.set_data(self._rgba(frame))
        self.ax.add_image(im)
        return [im]

    def _curves(self, frame: Frame) -> list[Any]:
        lc = LineCollection(
            self._curve_segments(frame), colors=self._curve_colours(), linewidths=1.2 * self.scale, zorder=3
        )
        self.ax.add_collection(lc, autolim=False)
        return [lc]

    def _curve_colours(self) -> list[Any]:
        n_out = self.net.columns[-1].shown
        units = [BORDER_COLOUR] * (len(self.corners) - n_out)
        if self.scene.task == "multiclass":
            return units + list(class_colors(self.scene)[:n_out])
        return units + [BORDER_COLOUR] * n_out

    def _curve_segments(self, frame: Frame) -> list[Array]:
        """Each node's values as a curve across its square (low at the bottom), inset a little."""
        inset = NODE_RES * 0.12
        span = NODE_RES - 2 * inset
        xs = np.linspace(inset, NODE_RES - inset, CURVE_RES)
        maps = self.mine(frame).maps
        return [np.column_stack([x + xs, y + inset + span * v]) for (x, y), v in zip(self.corners, maps)]

    def _borders(self, frame: Frame) -> LineCollection:
        lc = self.lines(self.net.outlines(), zorder=4)
        self._set_borders(lc, frame)
        return lc

    def _set_borders(self, lc: LineCollection, frame: Frame) -> None:
        """Every node's border; thicker on the units the frame's event names, red for a warning (a dead unit),
        ink for what only explains (units saturated in a run that ends fair), as the caption is."""
        n = sum(c.count for c in self.net.columns)  # every node, the "+N" ones too: ``outlines`` order
        colours = np.tile(np.array(to_rgba(BORDER_COLOUR)), (n, 1))
        widths = np.full(n, 0.8 * self.scale)
        note = frame.notes.get(self.name)
        if note is not None and self.net.concerns(note):
            named = [self.net.node_index(note.layer, u) for u in note.units]
            colours[named] = to_rgba(NOTE_RED if note.warning else NOTE_INK)
            widths[named] = 1.8 * self.scale
        lc.set_color(colours)  # type: ignore[arg-type]  # (n, 4) RGBA rows
        lc.set_linewidth(widths)  # type: ignore[arg-type]

    def _animated(self, frame: Frame) -> list[Any]:
        content = self._maps(frame) if self.scene.mode == "surface" else self._curves(frame)
        return [self._edges(frame), *content, self._borders(frame)]

    def build(self, frame: Frame) -> list[Any]:
        self._labels()  # static: drawn once into the background
        self.artists = self._animated(frame)
        for a in self.artists:
            a.set_animated(True)
        return self.artists

    def add(self, frame: Frame) -> list[Any]:
        # The celluloid engine snapshots each frame's artists, the static ones too.
        return self._labels() + self._animated(frame)

    def update(self, frame: Frame) -> None:
        edges, *content, borders = self.artists
        self._set_edges(edges, frame)
        self._set_borders(borders, frame)
        if self.scene.mode == "surface":
            content[0].set_data(self._rgba(frame))
        else:
            content[0].set_segments(self._curve_segments(frame))


KIND = PanelKind(
    "network",
    "the network: each unit's map over the input as a node, each weight an edge (colour: sign, width: size)",
    build,
    # Node maps keep NODE_RES² samples of each shown unit, whatever the grid: nothing per mesh point.
)
