"""The network panel's geometry: which units a column draws, where its nodes sit, what a node samples.

NumPy only: the layout in cells (data units of the panel's axes), the mesh
points a node's map samples, the weights as drawn (a summarised layer's
"+N" node stands for the mean of its units' weights), and the mosaic that
puts every node's map into one image. ``network`` builds the panel and its
view from these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..scene import Limits

Array = np.ndarray

MAX_UNITS = 10  # nodes a column holds (every class of the digits); a wider layer shows 9 units and a "+N" node
NODE_RES = 20  # samples along a node's side (Playground's node maps have 10)
CURVE_RES = 40  # samples along a node's curve (one input feature)

# The layout, in cells (data units): a node is NODE_RES cells a side, so its
# samples fall one to a cell. The axes take the layout's shape, so cells are square.
# Pitches are ranges: a layout of few units spreads them down the column, a
# tall one (MAX_UNITS a column) spreads its columns, towards FILL.
V_PITCH = (30, 45)  # node to node down a column
H_PITCH = (36, 50, 90)  # column to column, least, usual, most: room for the edges to fan out
FILL = 0.75  # the layout's height to width it tends to (a panel is about 4:3)
LEFT = 36  # the input labels
RIGHT = 56  # the output labels ("P(class 1)" at 1200x400)
HEAD = 34  # the layer names above the columns
KEY = 26  # the weight key under them
KEY_BAR = 54  # the weight key's bar, centred under the network
MORE_WIDTH = 1.6  # a "+N" node's width, in nodes: room for its count


@dataclass(frozen=True)
class Column:
    """One layer of units as drawn: its first ``shown`` units, the rest (``more``) as one "+N" node.

    ``header`` and each node's ``labels`` are texts longest first: the view
    draws the first that fits.
    """

    header: tuple[str, ...]
    size: int
    shown: int
    labels: tuple[tuple[str, ...], ...] = ()

    @property
    def more(self) -> int:
        return self.size - self.shown

    @property
    def count(self) -> int:
        """Nodes drawn: the shown units, and the "+N" node when there is one."""
        return self.shown + (1 if self.more else 0)


@dataclass(frozen=True)
class Layout:
    """Where the nodes are: ``xs`` each column's left edge, ``ys`` each column's node bottoms (top node first)."""

    box: Limits
    xs: Array
    ys: tuple[Array, ...]
    pitch: int  # node to node down a column: one node's room for its label
    h_pitch: int  # column to column: one column's room for its name


def shown_units(size: int) -> int:
    """Units a column draws with their maps: all of a readable layer, else all but one node's worth."""
    return size if size <= MAX_UNITS else MAX_UNITS - 1


def layout(columns: Sequence[Column]) -> Layout:
    """Columns left to right, each one's nodes centred on the tallest column; the key under, names over."""
    tallest = max(c.count for c in columns)
    gaps = max(len(columns) - 1, 1)
    width = LEFT + gaps * H_PITCH[1] + NODE_RES + RIGHT
    gap = V_PITCH[0] - NODE_RES
    pitch = int(np.clip((FILL * width - KEY - HEAD + gap) // tallest, *V_PITCH))
    nodes = tallest * pitch - (pitch - NODE_RES)
    h_pitch = int(np.clip(((KEY + nodes + HEAD) / FILL - LEFT - NODE_RES - RIGHT) // gaps, H_PITCH[0], H_PITCH[2]))
    width = LEFT + (len(columns) - 1) * h_pitch + NODE_RES + RIGHT
    ys = []
    for c in columns:
        height = c.count * pitch - (pitch - NODE_RES)
        ys.append(KEY + (nodes - height) // 2 + pitch * np.arange(c.count)[::-1])
    xs = LEFT + h_pitch * np.arange(len(columns))
    return Layout((0.0, float(width), 0.0, float(KEY + nodes + HEAD)), xs, tuple(ys), pitch, h_pitch)


def samples(n: int, k: int) -> Array:
    """``k`` of ``n`` positions, each at the middle of its k-th of the range (repeats when ``n < k``)."""
    return ((np.arange(k) + 0.5) * n / k).astype(int)


def blocks(W: Array, k_in: int, k_out: int) -> Array:
    """Weights ``W`` (..., fan_in, fan_out) as drawn: the first ``k_in`` x ``k_out``, and the mean of the rest.

    A last row (column) is added when units are summarised: the mean weight
    from (to) the units its "+N" node stands for.
    """
    n_in, n_out = W.shape[-2:]
    rows = W[..., :k_in, :]
    if k_in < n_in:
        rows = np.concatenate([rows, W[..., k_in:, :].mean(axis=-2, keepdims=True)], axis=-2)
    if k_out == n_out:
        return rows[..., :k_out]
    return np.concatenate([rows[..., :k_out], rows[..., k_out:].mean(axis=-1, keepdims=True)], axis=-1)


def own_range(a: Array) -> Array:
    """(n, k) values -> (k, n), each unit scaled to 0..1 over its own range (0.5 when it is constant)."""
    # Halves: hi - lo overflows for units near the float range (huge parameters).
    lo, hi = a.min(axis=0) / 2, a.max(axis=0) / 2
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.where(hi > lo, (a / 2 - lo) / span, 0.5).T


class Mosaic:
    """Node maps as one RGBA image: each node's samples in its own cells, transparent between nodes."""

    def __init__(self, corners: Array, side: tuple[int, int]) -> None:
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0) + NODE_RES
        self.shape = (int(y1 - y0), int(x1 - x0), 4)
        self.extent = (float(x0), float(x1), float(y0), float(y1))
        # A node's map is (rows, cols) samples over its NODE_RES x NODE_RES cells (one row along the interval).
        rows = (np.arange(NODE_RES) * side[0]) // NODE_RES
        cols = (np.arange(NODE_RES) * side[1]) // NODE_RES
        cell_y = corners[:, 1, None, None] - y0 + np.arange(NODE_RES)[None, :, None]
        cell_x = corners[:, 0, None, None] - x0 + np.arange(NODE_RES)[None, None, :]
        self.cells = (cell_y * self.shape[1] + cell_x).ravel()
        self.sample = (rows[:, None] * side[1] + cols[None, :]).ravel()  # each cell's sample within its map

    def image(self, rgba: Array) -> Array:
        """(nodes, samples, 4) uint8 colours -> the (h, w, 4) image."""
        out = np.zeros(self.shape, dtype=np.uint8)
        out.reshape(-1, 4)[self.cells] = rgba[:, self.sample].reshape(-1, 4)
        return out
