"""Rendering: History -> scene arrays -> painted pixels -> files.

``from nnviz import render`` gives the library entry points
(``render.animate``, ``render.render_history``, ``render.load_data``).
"""

from ..engine.train import load_data
from .pipeline import AnimationResult, animate, celluloid_animation, render_history

__all__ = ["AnimationResult", "animate", "celluloid_animation", "load_data", "render_history"]
