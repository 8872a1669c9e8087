"""The panel protocol's registry row and view: ``PanelKind`` and ``PanelView``.

A panel kind is one module: a ``scene.Panel`` subclass (what it keeps fixed,
what it computes per frame, its limits), a ``PanelView`` subclass (how it is
painted, in place), and a ``PanelKind`` row in ``render.panels.PANELS`` that
builds its panels for one animation and says what they cost in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection

from ...config import Config
from ...engine import nn
from ...engine.data import Dataset
from ...engine.history import History
from ..colours import surface_cmap
from ..layout import Style
from ..scene import Frame, Limits, Panel, Scene

Array = np.ndarray


@dataclass(frozen=True)
class Setup:
    """What a panel kind may read to build its panels: the shared scene, the whole run and its data."""

    scene: Scene
    history: History
    data: Dataset


def no_cost(model: nn.Model, layer: int) -> int:
    return 0


def no_fixed_cost(cfg: Config, data: Dataset, model: nn.Model) -> None:
    return None


@dataclass(frozen=True)
class PanelKind:
    """A ``--panels`` name: one registry row.

    ``build`` makes the panels it stands for (one, or a set such as every
    layer's); ``mesh_floats`` is what they keep per meshgrid point in every
    frame, in float64 values, for the memory budget (checked before training,
    so from the network's shape alone). ``admit`` refuses (``ConfigError``),
    also before training, a run whose fixed part (what ``build`` computes
    once, such as the landscape's loss grid) would pass its own budget.
    """

    name: str
    help: str
    build: Callable[[Setup], tuple[Panel, ...]]
    mesh_floats: Callable[[nn.Model, int], int] = no_cost
    admit: Callable[[Config, Dataset, nn.Model], None] = no_fixed_cost


class PanelView:
    """One axes of the figure, drawing one ``Panel``'s frames.

    ``build(frame)`` makes the animated artists once; ``update(frame)``
    changes them in place (the stream engine); ``add(frame)`` makes fresh
    ones (the celluloid engine snapshots every frame's artists); ``draw()``
    draws the animated artists over the restored background.
    """

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        self.ax, self.scene, self.panel, self.style, self.scale = ax, scene, panel, style, style.scale
        self.name = panel.name
        self.mesh_index = mesh_index(scene.grid, stride)
        self.cmap = surface_cmap(scene)
        self.artists: list[Any] = []
        ax.set_title(panel.title, fontsize=style.panel)
        xl, yl = panel.labels
        ax.set_xlabel(xl, fontsize=style.label, labelpad=2)
        ax.set_ylabel(yl, fontsize=style.label, labelpad=2)
        ax.tick_params(labelsize=style.tick, length=3 * style.scale, pad=2)

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

    def mine(self, frame: Frame) -> Any:
        """This panel's arrays in ``frame``."""
        return frame.panels[self.name]

    def lines(self, segments: Sequence[Array] | Array, **style: Any) -> LineCollection:
        lc = LineCollection(list(segments), **style)
        self.ax.add_collection(lc, autolim=False)
        return lc


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
