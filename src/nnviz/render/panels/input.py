"""The input panel: the data over the network's prediction at every point of the input plane.

In surface mode the plane is coloured on the meshgrid and the exact decision
boundary is drawn; with one input feature (curve mode) the prediction is a
curve over the input interval with the data against their targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...engine.events import Event
from ..scene import FrameContext, Limits, Panel, Sample, Scene, Space, bounds, checked, pad
from .base import PanelKind, Setup
from .planes import CurveView, StillGridView

Array = np.ndarray


def _prediction(out: Array) -> Array:
    """The curve's height: the output (regression, binary), or the winning class's probability."""
    if out.ndim == 2 and out.shape[1] == 1:
        return out[:, 0]
    return out.max(axis=1) if out.ndim == 2 else out


@dataclass(frozen=True)
class InputPanel(Panel):
    scene: Scene = field(repr=False)
    name: str = "input"
    title: str = "Input space"
    labels: tuple[str, str] = ("", "")

    caption: str = ""
    short_caption: str = ""

    @property
    def painter(self) -> Any:
        return StillGridView if self.scene.mode == "surface" else CurveView

    def concerns(self, event: Event) -> bool:
        return event.kind in ("separated", "no better than guessing", "unscaled")

    def fixed_limits(self) -> Limits | None:
        return self.scene.extent if self.scene.mode == "surface" else None

    def sample(self, sample: Sample) -> Limits | None:
        scene = self.scene
        out = sample.coarse.a[-1]
        pred = out[:, 0] if out.ndim == 2 else out
        return bounds(np.column_stack([sample.base, pred]), np.column_stack([scene.X[:, 0], scene.y.astype(float)]))

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Space:
        scene = self.scene
        if scene.mode == "surface":
            lines = tuple(ctx.input_lines)
            return Space(scene.mesh_uv, None, scene.data_plane, lines, ctx.values, scene.extent, scene.extent)
        curve = np.column_stack([scene.grid_u, _prediction(ctx.out)])
        points = np.column_stack([scene.X[:, 0], scene.y.astype(float)])
        lim = limits if limits is not None else pad(bounds(curve, points))
        return Space(None, curve, points, (), limits=checked(lim, ctx.epoch, self.name, scene.sub_epoch))


def _captions(scene: Scene) -> tuple[str, str]:
    """What the input panel shows, for a reader who never saw nnviz (the colour key says what the shades are)."""
    if scene.mode == "curve":
        return "dots: the data; line: the network's prediction", "line: the prediction"
    if scene.task == "regression":
        return "the prediction at each point; dots: the data", "shading: the prediction"
    if scene.task == "multiclass":
        return "black lines: where the likeliest class changes", "black: class borders"
    return "black line: the decision boundary; white: a grid", "black: the boundary"


def build(setup: Setup) -> tuple[Panel, ...]:
    scene = setup.scene
    n, total = len(scene.y), scene.total_points
    title = f"Input space ({n:,} of {total:,} points drawn)" if n < total else "Input space"
    caption, short = _captions(scene)
    return (InputPanel(scene, title=title, labels=scene.input_labels, caption=caption, short_caption=short),)


KIND = PanelKind("input", "the data over the prediction at every point of the input plane", build)
