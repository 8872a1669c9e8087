"""The colours nnviz draws with, built once: surfaces, classes, points, and a GIF's palette."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib import colors as mcolors

from .scene import Scene

Array = np.ndarray

NORM = mcolors.Normalize(0.0, 1.0)
# The training curves' greys (loss, metric): a hue would be some class's colour
# (C0 and C1 were the binary classes' teal and red, right above the class legend).
CURVE_GREYS = ("0.1", "0.45")
# Classes 0 and 1 keep the binary classes' blue and red, so a class looks the same in every
# run; then seaborn's "deep" hues that stay apart from them and from each other.
MULTICLASS_COLORS = (
    "#3f7f93",
    "#c3553a",
    "#55a868",
    "#8172b3",
    "#dd8452",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
)


@functools.cache
def binary_cmap() -> mcolors.Colormap:
    """The reference blog's blue-to-red map: seaborn ``diverging_palette(220, 20)``, from its frozen colours."""
    from .diverging import BLUE_RED

    return mcolors.LinearSegmentedColormap.from_list("blend", BLUE_RED)


@functools.cache
def multiclass_cmap(k: int) -> mcolors.Colormap:
    """K segments, each fading from near white (a tie) to the class colour (certain)."""
    n = 64
    rows = []
    for c in range(k):
        rgb = np.array(mcolors.to_rgb(MULTICLASS_COLORS[c % len(MULTICLASS_COLORS)]))
        t = np.linspace(0.0, 1.0, n)[:, None]
        rows.append(1.0 - (0.85 * t + 0.1) * (1.0 - rgb))
    return mcolors.ListedColormap(np.vstack(rows), name=f"nnviz_classes{k}")


@functools.cache
def regression_cmap() -> mcolors.Colormap:
    return colormaps["viridis"]


LEVELS = 10  # probability bands of 0.1, like a contourf: crisp, and GIF deltas stay small


def surface_cmap(scene: Scene) -> mcolors.Colormap:
    """The surface's colormap with a fixed number of steps (per class for multiclass)."""
    return _stepped(scene.task, scene.n_classes)


# How far a class surface goes from white toward its class colour when the
# network is certain. At full strength a filled training point on its own
# region showed only its dark edge, exactly the legend's hollow "test point"
# ring, and a test ring in its class colour vanished. Points keep full colour.
SURFACE_STRENGTH = 0.6


@functools.cache
def _stepped(task: str, k: int) -> mcolors.Colormap:
    if task == "regression":  # its points are coloured through the same scale, so it stays as is
        return regression_cmap().resampled(LEVELS)
    cmap = (
        multiclass_cmap(k).resampled(max(LEVELS // 2, 10) * k)
        if task == "multiclass"
        else binary_cmap().resampled(LEVELS)
    )
    return _faded(cmap, SURFACE_STRENGTH)


# Where no input lands, a 2-wide layer's plane is this much of the surface's strength:
# the region reads as possible, not as where the data is.
UNREACHED_STRENGTH = 0.35


def unreached_cmap(scene: Scene) -> mcolors.Colormap:
    """The surface's colours, fainter: a plane where no input lands (the caption says so)."""
    return _unreached(scene.task, scene.n_classes)


@functools.cache
def _unreached(task: str, k: int) -> mcolors.Colormap:
    return _faded(_stepped(task, k), UNREACHED_STRENGTH)


def _faded(cmap: mcolors.Colormap, strength: float) -> mcolors.Colormap:
    """``cmap``'s colours moved toward white: ``strength`` 1 keeps them, 0 is white."""
    rgb = cmap(np.linspace(0.0, 1.0, cmap.N))[:, :3]
    return mcolors.ListedColormap(1.0 - strength * (1.0 - rgb), name=f"{cmap.name}_faded")


def class_colors(scene: Scene) -> list[tuple[float, float, float]]:
    """One strong colour per class, matching the surface's colours."""
    if scene.task == "binary":
        cmap = binary_cmap()
        return [cmap(0.0)[:3], cmap(1.0)[:3]]
    return [mcolors.to_rgb(MULTICLASS_COLORS[c % len(MULTICLASS_COLORS)]) for c in range(max(scene.n_classes, 1))]


def point_colors(scene: Scene) -> Array:
    """RGBA per data point: class colour, or target through the regression map."""
    if scene.task == "regression":
        lo, hi = scene.value_range
        return regression_cmap()(np.clip((scene.y.astype(float) - lo) / (hi - lo), 0, 1))
    table = np.array([(*c, 1.0) for c in class_colors(scene)])
    return table[np.clip(scene.y.astype(int), 0, len(table) - 1)]


@functools.cache
def neuron_cmap() -> mcolors.Colormap:
    """The neuron maps' colours: stepped like the surfaces, and unlike any class colour."""
    return colormaps["magma"].resampled(LEVELS).with_extremes(bad="white")  # bad: the gaps between tiles


PALETTE_STEPS = 32  # surface colours kept exactly: all of a binary or 3-class map, a sample of more classes


def palette_colors(scene: Scene, extra: Sequence[Array] = ()) -> Array:
    """(n, 3) uint8: the colours a frame is made of (surface steps, classes, white, black, the curves' greys).

    ``extra`` are (m, 3) float colours some panels add (the neuron maps').
    A GIF palette that holds these exactly shows the surfaces without any
    quantisation noise.
    """
    cmap = surface_cmap(scene)
    # The GIF keeps 63 colours; sorted, a longer list lost its last ones, white
    # among them (ten digit classes came out on a pale blue background). Every
    # other step of a many-class map still leaves room for text and blends.
    steps = np.vstack([cmap(np.linspace(0, 1, min(cmap.N, PALETTE_STEPS)))[:, :3], *extra])
    curves = [mcolors.to_rgb(c) for c in CURVE_GREYS]
    fixed = np.array([(1, 1, 1), (0, 0, 0), (0.15, 0.15, 0.15), *curves] + [c[:3] for c in class_colors(scene)])
    return np.unique((np.vstack([steps, fixed]) * 255).round().astype(np.uint8), axis=0)
