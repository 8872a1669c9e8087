"""The panels a figure can show: ``PANELS`` is the only list of ``--panels`` names.

A panel kind is one module (its ``scene.Panel``, its view, its ``PanelKind``)
plus one row here. ``build_panels`` turns the names a config asks for into
the panels of one animation, sets (``layers``) expanded, each panel once.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...engine import nn
from ..scene import Panel
from . import curves, input, landscape, layer, network, neurons, space3d
from .base import PanelKind, PanelView, Setup, mesh_stride

PANELS: dict[str, PanelKind] = {
    kind.name: kind
    for kind in (
        input.KIND,
        layer.HIDDEN,
        layer.ACTIVATION,
        curves.KIND,
        layer.LAYERS,
        neurons.KIND,
        space3d.HIDDEN3D,
        space3d.ACTIVATION3D,
        network.KIND,
        landscape.KIND,
    )
}

__all__ = ["PANELS", "PanelKind", "PanelView", "Setup", "build_panels", "mesh_floats", "mesh_stride", "refusal"]


def build_panels(names: Sequence[str], setup: Setup) -> tuple[Panel, ...]:
    """The panels ``names`` draw, in order, each once (a set's input panel and an explicit one are one)."""
    out: dict[str, Panel] = {}
    for name in names:
        for panel in PANELS[name].build(setup):
            out.setdefault(panel.name, panel)
    return tuple(out.values())


def mesh_floats(names: Sequence[str], model: nn.Model, layer: int) -> int:
    """Float64 values ``names``' panels keep per meshgrid point in a frame (for the memory budget)."""
    return sum(PANELS[name].mesh_floats(model, layer) for name in names)


def refusal(names: Sequence[str], model: nn.Model, layer: int) -> str | None:
    """Why one of ``names``' panels cannot draw ``model`` (its shape alone, so before training); None: all can."""
    return next((why for name in names if (why := PANELS[name].refuse(model, layer)) is not None), None)
