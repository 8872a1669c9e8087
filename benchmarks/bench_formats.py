"""File size of each animated format, and peak memory at 50 vs 500 frames.

    python benchmarks/bench_formats.py            # the default run and configs/spiral.toml
    python benchmarks/bench_formats.py --no-rss   # sizes only
    python benchmarks/bench_formats.py --rss-only # peak memory only (make bench runs this)

Each config is trained once; the same history is then written in every
animated format, so the sizes compare like with like. Peak memory is measured
in a fresh process per case (``ru_maxrss`` of nnviz itself and, separately, of
its encoder child, ffmpeg), rendering 50 and then 500 epochs of the default run
at a 100-point grid: flat memory means the 500-frame peak is close to the 50's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (label, format, render.colors): every animated format, and those --colors palette changes.
FORMATS = (
    ("gif", "gif", "full"),
    ("webp", "webp", "full"),
    ("webp palette", "webp", "palette"),
    ("mp4", "mp4", "full"),
    ("html", "html", "full"),
    ("html palette", "html", "palette"),
)
CONFIGS = {"default run": None, "configs/spiral.toml": ROOT / "configs" / "spiral.toml"}

# One process: render `epochs` epochs of the default run to FMT; print our peak and our children's (KiB).
RSS_SCRIPT = """
import resource, sys
from nnviz import catalog, render
fmt, colors, epochs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
over = {"train.epochs": epochs, "train.stop_loss": 0, "render.grid": 100, "render.format": fmt, "render.colors": colors}
cfg = catalog.load(None, over)
render.animate(cfg, out)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def sizes() -> None:
    from nnviz import catalog
    from nnviz.engine.train import load_data, train
    from nnviz.render.pipeline import render_history

    print("| config | " + " | ".join(label for label, _, _ in FORMATS) + " | webp / gif | webp palette / gif |")
    print("|---|" + "---|" * (len(FORMATS) + 2))
    for name, path in CONFIGS.items():
        cfg = catalog.load(path)
        data = load_data(cfg)
        history = train(cfg, data)
        got: dict[str, int] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for label, fmt, colors in FORMATS:
                one = replace(cfg, render=replace(cfg.render, format=fmt, colors=colors))
                out = Path(tmp) / f"run-{colors}.{fmt}"
                render_history(history, data, one, out, workers=2)
                got[label] = out.stat().st_size
        cells = " | ".join(f"{got[label] / 1e6:.2f} MB" for label, _, _ in FORMATS)
        ratios = f"{got['webp'] / got['gif']:.2f}x | {got['webp palette'] / got['gif']:.2f}x"
        print(f"| {name} ({len(history)} epochs) | {cells} | {ratios} |", flush=True)


def rss() -> None:
    print("\n| format | peak RSS, 50 frames | peak RSS, 500 frames | ratio | encoder (ffmpeg) 50 / 500 |")
    print("|---|---|---|---|---|")
    for label, fmt, colors in FORMATS:
        peaks = []
        with tempfile.TemporaryDirectory() as tmp:
            for epochs in (49, 499):
                out = str(Path(tmp) / f"run.{fmt}")
                done = subprocess.run(
                    [sys.executable, "-c", RSS_SCRIPT, fmt, colors, str(epochs), out],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                own, child = map(int, done.stdout.split()[-2:])
                peaks.append((own / 1024, child / 1024))
        (a, ca), (b, cb) = peaks
        print(f"| {label} | {a:.0f} MB | {b:.0f} MB | {b / a:.2f} | {ca:.0f} / {cb:.0f} MB |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-rss", action="store_true", help="sizes only")
    parser.add_argument("--rss-only", action="store_true", help="peak memory only (make bench)")
    args = parser.parse_args()
    if not args.rss_only:
        sizes()
    if not args.no_rss:
        rss()


if __name__ == "__main__":
    main()
