"""Rendering: History -> scene arrays -> painted pixels -> files.

``from nnviz import render`` gives the library entry points
(``render.animate``, ``render.render_history``, ``render.execute`` and
``render.execute_morph`` for a ``plan.Plan``, ``render.load_data``,
``render.Animation``, ``render.celluloid_animation``). They are loaded on
first use, so importing a NumPy-only submodule (``nnviz.render.scene``) never
pulls in matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "AnimationResult": ".pipeline",
    "MorphResult": ".pipeline",
    "animate": ".pipeline",
    "execute": ".pipeline",
    "execute_morph": ".pipeline",
    "render_history": ".pipeline",
    "Animation": ".animation",
    "celluloid_animation": ".celluloid",
    "load_data": "..engine.train",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name], __name__), name)
