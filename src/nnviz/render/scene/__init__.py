"""History -> plain arrays per panel: the model side of rendering (NumPy only).

``base`` holds what every panel shares (``Scene``: the meshgrid, the data in
the input plane, the classes); ``frame`` the panel protocol (``Panel``) and
one frame's assembly; ``geometry`` projections, grids and limits;
``boundaries`` the exact decision boundary; ``passes`` the forward passes
under rendering's error policy; ``morph`` the layer-to-layer morph's
representations and timing. A test checks that importing this package never
imports matplotlib.
"""

from .base import MAX_SHOWN_POINTS, Scene, build_scene, select_epochs, short_title, title, when
from .frame import (
    Frame,
    FrameContext,
    Panel,
    PanelFrame,
    Sample,
    Space,
    checked,
    fixed_limits,
    make_frame,
    notes,
    undrawable,
)
from .geometry import Grid, Limits, Projection, bounds, decision_directions, drawable, layer_view, pad, sub, union

__all__ = [
    "MAX_SHOWN_POINTS",
    "Frame",
    "FrameContext",
    "Grid",
    "Limits",
    "Panel",
    "PanelFrame",
    "Projection",
    "Sample",
    "Scene",
    "Space",
    "bounds",
    "build_scene",
    "checked",
    "decision_directions",
    "drawable",
    "fixed_limits",
    "layer_view",
    "make_frame",
    "notes",
    "pad",
    "select_epochs",
    "short_title",
    "sub",
    "title",
    "undrawable",
    "union",
    "when",
]
