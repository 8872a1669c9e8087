"""Posters of every shipped config and every dataset's defaults, on one contact sheet.

    python tools/contact_sheet.py            # writes docs/posters.png, prints the metrics table

Each run trains with its config (or `nnviz animate --dataset NAME` defaults),
renders its last frame, and the sheet tiles them with a label. The table it
prints (Markdown) is the README's "Datasets" table: what each reaches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# isort: off
import nnviz

nnviz.pin_kernels()  # first: before NumPy loads, as the CLI does (nnviz/kernels.py)
import matplotlib
# isort: on

matplotlib.use("Agg")

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nnviz import catalog, config
from nnviz.engine.data import DATASETS, reads_file
from nnviz.engine.train import load_data, train
from nnviz.render.animation import Animation

ROOT = Path(__file__).resolve().parent.parent
SIZE = "1200x400"


def runs() -> list[tuple[str, config.Config]]:
    """(label, config) for every shipped config without a sweep, then every dataset's defaults."""
    out = []
    for path in sorted((ROOT / "configs").glob("*.toml")):
        if "sweep" in config.read_toml(path):
            continue
        out.append((f"configs/{path.name}", catalog.load(path, {"render.size": SIZE})))
    for name in DATASETS:
        if not reads_file(name):
            out.append((f"--dataset {name}", catalog.resolve({}, {"data.name": name, "render.size": SIZE})))
    return out


def poster(cfg: config.Config) -> tuple[np.ndarray, dict[str, float], int, str]:
    data = load_data(cfg)
    hist = train(cfg, data)
    anim = Animation(hist, data, cfg.render, (len(hist) - 1,))
    painter = anim.painter()
    try:
        pixels = painter.render(anim.frame(len(hist) - 1)).copy()
    finally:
        painter.close()
    return pixels, hist.last.metrics, hist.last.epoch, hist.stop_reason


def label(img: np.ndarray, text: str) -> np.ndarray:
    strip = Image.new("RGB", (img.shape[1], 28), (240, 240, 240))
    ImageDraw.Draw(strip).text((8, 14), text, fill=(20, 20, 20), font=ImageFont.load_default(size=16), anchor="lm")
    return np.concatenate([np.asarray(strip), img])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "posters.png"))
    ap.add_argument("--columns", type=int, default=2)
    args = ap.parse_args()
    tiles, rows = [], []
    for name, cfg in runs():
        pixels, metrics, epoch, reason = poster(cfg)
        metric = f"R² {metrics['r2']:.3f}" if "r2" in metrics else f"accuracy {metrics['accuracy']:.1%}"
        net = "-".join(map(str, cfg.model.hidden))
        rows.append(
            f"| `{name}` | {net} {cfg.model.activation} | {metric} | {metrics['loss']:.3f} | {epoch} ({reason}) |"
        )
        tiles.append(label(pixels, f"{name}: {metric}, epoch {epoch}"))
        print(rows[-1], file=sys.stderr)
    # Views with more panels are wider (digits: 4 panels, 1440 px): each tile sits left in a cell of the widest.
    h, w = max(t.shape[0] for t in tiles), max(t.shape[1] for t in tiles)
    cols = args.columns
    sheet = np.full((h * -(-len(tiles) // cols), w * cols, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[r * h : r * h + tile.shape[0], c * w : c * w + tile.shape[1]] = tile
    # Half size: the sheet is for looking over every poster at once, not for print.
    Image.fromarray(sheet).resize((sheet.shape[1] // 2, sheet.shape[0] // 2), Image.LANCZOS).save(args.out)
    print("| run | hidden | final metric | loss | last epoch (why) |\n|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
