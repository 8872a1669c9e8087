"""The least any matplotlib animation pays once per run (a floor for ``make bench``'s fixed cost).

Start Python, import what drawing and a GIF need (NumPy, matplotlib's Figure and Agg
canvas, Pillow), draw one 1200x400 figure of three panels with titles, labels and ticks
at fixed margins (no layout fitting), and write it as a one-frame GIF. It prints the
seconds its imports took; ``bench_floor.py`` times the whole child from outside.

Usage: python benchmarks/floor_fixed.py OUT.gif
"""

from __future__ import annotations

import sys
import time

start = time.perf_counter()

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

imported = time.perf_counter()


def main(path: str) -> None:
    fig = Figure(figsize=(12, 4), dpi=100)
    canvas = FigureCanvasAgg(fig)
    grid = np.linspace(0, 1, 100)
    surface = np.outer(grid, grid)
    for k, ax in enumerate(fig.subplots(1, 3)):
        ax.imshow(surface, origin="lower", extent=(-3, 3, -3, 3), cmap="RdBu_r")
        ax.plot(grid * 6 - 3, np.sin(grid * 6), color="black")
        ax.set_title(f"panel {k + 1}")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    fig.suptitle("epoch 0")
    canvas.draw()
    rgb = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])
    Image.fromarray(rgb).quantize(256).save(path)


if __name__ == "__main__":
    main(sys.argv[1])
    print(f"{imported - start:.4f}")
