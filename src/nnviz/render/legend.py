"""What the colours and marks of a frame mean: the class legend, and the colour scale of a regression."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .colours import class_colors, regression_cmap, surface_cmap
from .layout import Style
from .scene import Scene

# The decision boundary's line, as every plane panel draws it (and the legend shows it).
BOUNDARY_STYLE: dict[str, Any] = {"colors": "0.1", "linewidths": 1.4}


def legend_entries(scene: Scene, scale: float) -> tuple[list[Any], list[str]]:
    """Which colour is which class (and the test rings and the boundary line); for regression, what is what."""
    ms = max(5 * scale, 3.5)
    handles: list[Any]
    ring: Any  # the test rings' edge colour
    if scene.task == "regression":  # the colour scale says what a colour means; this says which mark is which
        ring = mid = regression_cmap()(0.55)
        handles = [Line2D([], [], ls="none", marker="o", ms=ms, mfc=mid, mec="0.15", mew=0.5 * scale)]
        labels = ["data (colour: target)"]
        line = (Line2D([], [], color=mid, lw=2.2 * scale), "prediction")  # the input panel's curve
    else:
        ring = "0.3"
        handles = [
            Line2D([], [], ls="none", marker="o", ms=ms, mfc=c, mec="0.15", mew=0.5 * scale)
            for c in class_colors(scene)
        ]
        labels = [f"class {name}" for name in scene.class_names]
        line = (Line2D([], [], color=BOUNDARY_STYLE["colors"], lw=BOUNDARY_STYLE["linewidths"]), "decision boundary")
    if scene.test.any():
        handles.append(Line2D([], [], ls="none", marker="o", ms=ms, mfc="none", mec=ring, mew=1.2 * scale))
        labels.append("test point")
    handles.append(line[0])
    labels.append(line[1])
    return handles, labels


def add_class_legend(fig: Figure, scene: Scene, style: Style, ncol: int | None = None) -> Any:
    """The class legend, centred under the panels.

    It sits outside every axes, in the static background, so the blitted
    surfaces never cover it, and apart from the title, so the two never meet.
    """
    handles, labels = legend_entries(scene, style.scale)
    return fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=ncol or len(labels),
        frameon=False,
        fontsize=style.legend,
        handlelength=1.4,
        columnspacing=1.2,
        borderaxespad=0.2,
        handletextpad=0.4,
    )


def add_colour_key(fig: Figure, axes: Sequence[Any], scene: Scene, style: Style) -> Any:
    """What the surface colours mean, as a colour bar on the right of the panels.

    Binary: P(class 1) from 0 to 1, in the surface's own bands. Multiclass:
    each class's colour, pale where the network is unsure (the class names
    beside them). Regression: the predicted value.
    """
    cmap = surface_cmap(scene)
    if scene.task == "regression":
        lo, hi = scene.value_range
        mappable, label = ScalarMappable(mcolors.Normalize(lo, hi), cmap), "prediction"
    else:
        mappable = ScalarMappable(mcolors.Normalize(0.0, 1.0), cmap)
        label = "P(class 1)" if scene.task == "binary" else "likeliest class (pale: unsure)"
    bar = fig.colorbar(mappable, ax=list(axes), location="right", fraction=0.03, pad=0.01, aspect=12)
    bar.set_label(label, fontsize=style.label)
    bar.ax.tick_params(labelsize=style.tick, length=3 * style.scale)
    if scene.task == "binary":
        bar.set_ticks([0.0, 0.5, 1.0], labels=["0", "0.5", "1"])
    elif scene.task == "multiclass":
        k = max(scene.n_classes, 1)
        names = scene.class_names or tuple(str(c) for c in range(k))
        bar.set_ticks([(c + 0.5) / k for c in range(k)], labels=list(names[:k]))
        bar.ax.tick_params(length=0)
    return bar
