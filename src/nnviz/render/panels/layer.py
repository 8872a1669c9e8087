"""Layer panels: the data and the input grid after a hidden layer's affine map (z) or its activation (a).

``hidden`` and ``activation`` show the chosen layer (``--layer``); ``layers``
shows the input, then every hidden layer's z and a. A 2-wide layer is drawn
exactly, and its plane is coloured by what the rest of the network predicts
from each point of it, so the boundary is drawn across the panel. A wider
layer is drawn on axes fixed by the last epoch (the last one on the output's
decision axes, others on their principal axes) and coloured through the
warped input mesh; one unit is drawn against the first input coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...engine import nn
from ...engine.events import Event
from ..scene import (
    FrameContext,
    Grid,
    Limits,
    Panel,
    Projection,
    Sample,
    Scene,
    Space,
    bounds,
    checked,
    layer_view,
    pad,
    sub,
    undrawable,
)
from ..scene.boundaries import boundaries
from ..scene.geometry import MAX_COORD, SUBSCRIPTS
from ..scene.passes import chunk_rows, in_chunks
from . import input as input_panel
from .base import PanelKind, Setup
from .planes import CurveView, ImageView, WarpedView

Array = np.ndarray

# What one layer panel keeps per mesh point in a frame: its 2 coordinates, and
# twice more while the sliced pass holds its slices and their concatenation.
MESH_FLOATS = 6


@dataclass(frozen=True)
class LayerPanel(Panel):
    """Hidden layer ``layer``'s pre-activation (``kind`` "z") or activation ("a") space.

    ``proj`` maps the layer's values onto the panel's two axes: the identity
    for a 2-wide layer, fixed axes for a wider one; None for one unit.
    """

    scene: Scene = field(repr=False)
    name: str
    layer: int
    kind: str
    width: int
    proj: Projection | None
    title: str = ""
    labels: tuple[str, str] = ("", "")
    caption: str = ""
    short_caption: str = ""

    def concerns(self, event: Event) -> bool:
        units = event.kind in ("dead", "saturated") and self.kind == "a"
        return event.layer == self.layer and (units or (event.kind == "collapsed" and self.kind == "z"))

    @property
    def exact(self) -> bool:
        """A 2-wide layer: its spaces are planes the rest of the network is a function of."""
        return self.width == 2

    @property
    def painter(self) -> Any:
        if self.scene.mode == "curve":
            return CurveView
        # A 2-wide layer's planes are images on their own grids; a projected (wider) layer shows the warped mesh.
        return ImageView if self.exact else WarpedView

    def values(self, trace: nn.Trace) -> Array:
        """This space's values in ``trace`` (a pass from the input)."""
        return trace.z[self.layer - 1] if self.kind == "z" else trace.a[self.layer - 1]

    def project(self, h: Array, base: Array) -> Array:
        """Hidden values (n, width) -> (n, 2) drawing coordinates."""
        if self.proj is None:  # width 1: the unit against the first input coordinate
            return np.column_stack([base, h[:, 0]])
        return self.proj(h)

    def take(self, trace: nn.Trace, base: Array) -> tuple[Array, ...]:
        return (self.project(self.values(trace), base),)

    def sample(self, sample: Sample) -> Limits | None:
        data = self.project(self.values(sample.data), self.scene.data_plane[:, 0])
        return bounds(self.project(self.values(sample.coarse), sample.base), data)

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Space:
        scene = self.scene
        (mapped,) = ctx.kept[self.name]
        if scene.mode == "surface":
            g = scene.grid
            points = self.project(self.values(ctx.data), scene.data_plane[:, 0])
            space = Space(mapped.reshape(g, g, 2), None, points, () if self.exact else self._mapped_lines(ctx))
        else:
            space = Space(None, mapped, self.project(self.values(ctx.data), scene.X[:, 0]), ())
        lim = limits if limits is not None else pad(bounds(space.mesh, space.curve, space.points))
        space = replace(space, limits=checked(lim, ctx.epoch, self.name, scene.sub_epoch))
        return self._coloured(ctx, space, lim) if self.exact else space

    def _mapped_lines(self, ctx: FrameContext) -> tuple[Array, ...]:
        """The input plane's exact boundary mapped into this (projected) space."""
        lines, t = ctx.input_lines, ctx.line_trace
        if t is None:
            return ()
        pts = np.concatenate(lines)
        cuts = np.cumsum([len(ln) for ln in lines])[:-1]
        return tuple(np.split(self.project(self.values(t), pts[:, 0]), cuts))

    def downstream(self, ctx: FrameContext, h: Array, head: bool = True) -> nn.Trace:
        """The rest of the network from points ``h`` of this layer's space (its z or its a)."""
        return ctx.trace(h, start=self.layer, pre=self.kind == "z", head=head)

    def _coloured(self, ctx: FrameContext, space: Space, lim: Limits) -> Space:
        """``space`` with its plane coloured by the prediction downstream of it over ``lim``, and its exact boundary."""
        scene = self.scene
        grid = Grid.over(lim, scene.grid)
        pts = grid.points()
        (out,) = in_chunks(lambda s: (self.downstream(ctx, pts[s]).a[-1],), len(pts), chunk_rows(scene.model))
        lines = boundaries(scene.task, grid, out, lambda h: self.downstream(ctx, h, head=False).z[-1])
        values = scene.surface_values(out).reshape(grid.shape)
        return replace(
            space,
            values=values,
            extent=checked(grid.extent, ctx.epoch, self.name, scene.sub_epoch),
            boundary=tuple(lines),
        )


def layer_panel(scene: Scene, name: str, layer: int, kind: str, heading: str = "") -> LayerPanel:
    """Hidden layer ``layer``'s z or a panel, its axes fixed by the trained network's values on the data.

    The last hidden layer's activation of a wider layer is drawn on the axes
    the output decides along; raises the undrawable error when the values
    have no finite axes.
    """
    h = scene.last.z[layer - 1] if kind == "z" else scene.last.a[layer - 1]
    width = h.shape[1]
    act = scene.activation_label
    proj: Projection | None
    if width >= 3:
        # The output layer draws its straight boundary in the last hidden activation.
        out_w = scene.last_params[2 * layer] if kind == "a" and layer == scene.model.n_hidden else None
        try:
            if not np.isfinite(h).all() or np.abs(h).max() > MAX_COORD:
                raise ValueError("hidden values out of range")
            proj = layer_view(h, out_w)
        except ValueError:  # LinAlgError too
            raise undrawable(scene.last_epoch, name, scene.sub_epoch) from None
        labels = proj.labels
    elif width == 2:
        proj = Projection.identity((sub(kind, 0), sub(kind, 1)))
        labels = proj.labels
    else:  # one unit: plot it against the first input coordinate
        proj, labels = None, (scene.input_labels[0], "z" if kind == "z" else act)
    panel = LayerPanel(scene, name, layer, kind, width, proj, labels=labels)
    caption, short = _captions(panel, scene)
    return replace(panel, title=heading or _layer_title(panel, act), caption=caption, short_caption=short)


def _captions(panel: LayerPanel, scene: Scene) -> tuple[str, str]:
    """What the panel shows and how to read its shading, for a reader who never saw nnviz."""
    k = str(panel.layer).translate(SUBSCRIPTS)
    what = "input line" if scene.mode == "curve" else "white grid"
    landed = "; faded: no input lands" if panel.exact else ("" if scene.mode == "curve" else "; blank: no input lands")
    act = scene.model.activation
    if panel.kind == "z":
        step = f"z = xW{k} + b{k}" if panel.layer == 1 else f"z = aW{k} + b{k}"
        return f"{what} after {step}{landed}", f"after {step}"
    last = panel.layer == scene.model.n_hidden and scene.task != "regression"
    if last and (panel.exact or (panel.proj is not None and panel.proj.labels[0].startswith("output axis"))):
        if scene.task == "multiclass":
            return f"after {act}: here the boundaries are straight lines", f"{act}: straight boundaries"
        return f"after {act}: here the boundary is a straight line", f"{act}: straight boundary"
    return f"{what} after {act}{landed}", f"after {act}"


def _layer_title(panel: LayerPanel, act: str) -> str:
    """``Layer 2 a: tanh(z) (8 units, projected)``; a narrow frame cuts it at the bracket, then the colon."""
    what = "z: pre-activation" if panel.kind == "z" else f"a: {act}"
    how = f" ({panel.width} units, projected)" if panel.width >= 3 else ""
    return f"Layer {panel.layer} {what}{how}"


def _classic(setup: Setup, kind: str) -> tuple[Panel, ...]:
    """The chosen layer's hidden (z) or activation (a) panel, titled as the three-panel view names them."""
    scene = setup.scene
    layer, width = scene.layer, scene.model.sizes[scene.layer]
    where = "" if layer == 1 else f" of layer {layer}"
    # A projected layer is coloured through the warped input mesh, not on its own plane.
    how = ", projected" if width >= 3 else ""
    heading = (
        f"Hidden space{where} (pre-activation z{how})"
        if kind == "z"
        else f"Activation space{where} ({scene.activation_label}{how})"
    )
    return (layer_panel(scene, "hidden" if kind == "z" else "activation", layer, kind, heading),)


def _every_layer(setup: Setup) -> tuple[Panel, ...]:
    """The layers view: the input, then every hidden layer's z and a, left to right."""
    scene = setup.scene
    hidden = [
        layer_panel(scene, f"{kind}{k}", k, kind) for k in range(1, scene.model.n_hidden + 1) for kind in ("z", "a")
    ]
    return (*input_panel.build(setup), *hidden)


HIDDEN = PanelKind(
    "hidden",
    "the data and input grid after the layer's affine map, z = xW + b",
    lambda setup: _classic(setup, "z"),
    lambda model, layer: MESH_FLOATS,
)
ACTIVATION = PanelKind(
    "activation",
    "the same after the nonlinearity, a = f(z): where a straight line must separate the classes",
    lambda setup: _classic(setup, "a"),
    lambda model, layer: MESH_FLOATS,
)
LAYERS = PanelKind(
    "layers",
    "the input, then every hidden layer's z and a, left to right",
    _every_layer,
    lambda model, layer: MESH_FLOATS * 2 * model.n_hidden,
)
