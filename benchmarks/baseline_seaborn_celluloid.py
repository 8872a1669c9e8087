"""The reference blog's approach, timed: seaborn scatter of every mesh point, celluloid.

Each frame draws all grid x grid meshgrid points as a seaborn scatterplot in
each of the three panels (input, hidden, activation), plus the data, snaps
the figure with celluloid, and finally saves the animation with Pillow.
Prints seconds per frame. Usage::

    python benchmarks/baseline_seaborn_celluloid.py --frames 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from celluloid import Camera

from nnviz import catalog, render
from nnviz.engine import nn
from nnviz.engine.train import train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--grid", type=int, default=200)
    ap.add_argument("--size", default="1200x400")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    cfg = catalog.resolve({}, {"train.epochs": args.frames - 1, "train.stop_loss": 0})
    data = render.load_data(cfg)
    hist = train(cfg, data)
    cmap = sns.diverging_palette(220, 20, as_cmap=True)
    lo, hi = data.X.min(axis=0) - 0.5, data.X.max(axis=0) + 0.5
    u, v = np.meshgrid(np.linspace(lo[0], hi[0], args.grid), np.linspace(lo[1], hi[1], args.grid))
    mesh = np.column_stack([u.ravel(), v.ravel()])

    t0 = time.perf_counter()
    fig, axes = plt.subplots(1, 3, figsize=(w / 100, h / 100), dpi=100)
    camera = Camera(fig)
    for ep in hist.epochs[: args.frames]:
        p = nn.predict(hist.model, ep.params, mesh)
        z, a = nn.hidden(hist.model, ep.params, mesh)
        zd, ad = nn.hidden(hist.model, ep.params, data.X)
        for ax, pts, dat in ((axes[0], mesh, data.X), (axes[1], z, zd), (axes[2], a, ad)):
            # seaborn defaults (marker size and white edges), as the blog draws them
            sns.scatterplot(x=pts[:, 0], y=pts[:, 1], hue=p, palette=cmap, ax=ax, legend=False)
            sns.scatterplot(x=dat[:, 0], y=dat[:, 1], hue=data.y, ax=ax, legend=False)
        axes[0].text(0.5, 1.02, f"Epoch {ep.epoch}", transform=axes[0].transAxes)
        camera.snap()
    anim = camera.animate(interval=100)
    with tempfile.TemporaryDirectory() as tmp:
        anim.save(str(Path(tmp) / "baseline.gif"), writer="pillow", fps=10)
    dt = time.perf_counter() - t0
    print(f"frames {args.frames}  total {dt:.2f} s  per frame {dt / args.frames:.3f} s")


if __name__ == "__main__":
    main()
