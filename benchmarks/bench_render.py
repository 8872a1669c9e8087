"""Rendering benchmark: nnviz's stream engine against its references, in one run.

At 1200x400 px with a 200x200 grid (flags change both), it prints:
  - stream vs celluloid engine, ms/frame, rendering the same History;
  - the bare floor: the same painter blitting precomputed frames into the
    GIF writer (no training, no scene), ms/frame;
  - end-to-end ``nnviz animate --epochs 200 --stop-loss 0`` (subprocess), ms/frame,
    and the size of the GIF it wrote;
  - peak RSS of ``nnviz animate`` at 50 and 500 frames, GIF and MP4, each in
    its own child (``RUSAGE_CHILDREN.ru_maxrss``);
  - the seaborn + celluloid baseline (benchmarks/baseline_seaborn_celluloid.py).

Usage: python benchmarks/bench_render.py [--celluloid-frames 40] [--baseline-frames 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# isort: off
import nnviz

nnviz.pin_kernels()  # first: before NumPy loads, as the CLI does (nnviz/kernels.py)
import matplotlib
# isort: on

matplotlib.use("Agg")

from nnviz import catalog, render
from nnviz.engine.train import train
from nnviz.render.animation import Animation
from nnviz.render.writers import GifWriter

HERE = Path(__file__).resolve().parent
RSS_PROBE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def nnviz_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "nnviz", "animate", "--quiet", *args]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def engine_ms(hist, data, cfg, tmp: Path, engine: str, every: int = 1, workers: int = 1) -> tuple[float, int]:
    c = catalog.with_values(cfg, {"render.engine": engine, "render.every": every})
    n = len(Animation(hist, data, c.render))
    dt = timed(lambda: render.render_history(hist, data, c, tmp / f"{engine}.gif", workers=workers))
    return 1000 * dt / n, n


def floor_ms(hist, data, cfg, tmp: Path) -> float:
    """Same figure, same blitting, same GIF encoder; frames precomputed."""
    anim = Animation(hist, data, cfg.render)
    frames = list(anim.frames())
    painter = anim.painter()
    sample = painter.render(frames[-1]).copy()

    def loop() -> None:
        with GifWriter(tmp / "floor.gif", fps=cfg.render.fps, sample=sample, colors=anim.palette_colors()) as w:
            for f in frames:
                w.write(painter.render(f))

    return 1000 * timed(loop) / len(frames)


def peak_rss_mb(fmt: str, epochs: int, tmp: Path, size: str, grid: int) -> float:
    cmd = nnviz_cmd(
        "--epochs",
        str(epochs),
        "--stop-loss",
        "0",
        "--format",
        fmt,
        "--size",
        size,
        "--grid",
        str(grid),
        "--out",
        str(tmp / f"rss{epochs}.{fmt}"),
    )
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description="nnviz rendering benchmark")
    ap.add_argument("--size", default="1200x400")
    ap.add_argument("--grid", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--celluloid-frames", type=int, default=40, help="celluloid keeps every frame: keep it modest")
    ap.add_argument("--baseline-frames", type=int, default=3)
    ap.add_argument("--skip-rss", action="store_true")
    args = ap.parse_args()

    cfg = catalog.resolve(
        {}, {"train.epochs": args.epochs, "train.stop_loss": 0, "render.size": args.size, "render.grid": args.grid}
    )
    data = render.load_data(cfg)
    hist = train(cfg, data)
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        stream, n = engine_ms(hist, data, cfg, tmp, "stream")
        rows.append(("stream engine (same History, GIF)", f"{stream:.1f} ms/frame", f"{n} frames, one painter"))
        stream2, _ = engine_ms(hist, data, cfg, tmp, "stream", workers=2)
        rows.append(
            (
                "stream engine, two painters",
                f"{stream2:.1f} ms/frame",
                f"{n} frames, what nnviz animate uses; {stream / stream2:.2f}x one painter",
            )
        )
        every = max(1, len(hist) // args.celluloid_frames)
        cell, m = engine_ms(hist, data, cfg, tmp, "celluloid", every)
        rows.append(
            ("celluloid engine (same History, GIF)", f"{cell:.1f} ms/frame", f"{m} frames, {cell / stream:.1f}x stream")
        )
        floor = floor_ms(hist, data, cfg, tmp)
        rows.append(("bare blitted draw + GIF encode (floor)", f"{floor:.1f} ms/frame", "precomputed frames"))
        out = tmp / "e2e.gif"
        cmd = nnviz_cmd(
            "--epochs",
            str(args.epochs),
            "--stop-loss",
            "0",
            "--size",
            args.size,
            "--grid",
            str(args.grid),
            "--out",
            str(out),
        )
        e2e = 1000 * timed(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)) / (args.epochs + 1)
        rows.append(
            ("end-to-end nnviz animate (subprocess)", f"{e2e:.1f} ms/frame", f"{e2e / floor:.2f}x floor (goal <= 1.3x)")
        )
        rows.append((f"GIF size, {args.epochs + 1} frames", f"{out.stat().st_size / 1e6:.2f} MB", "goal <= 3 MB"))
        if not args.skip_rss:
            for fmt in ("gif", "mp4"):
                small = peak_rss_mb(fmt, 49, tmp, args.size, args.grid)
                big = peak_rss_mb(fmt, 499, tmp, args.size, args.grid)
                rows.append(
                    (
                        f"peak RSS {fmt}: 50 vs 500 frames",
                        f"{small:.0f} / {big:.0f} MB",
                        f"+{100 * (big - small) / small:.1f}% (goal <= 15%)",
                    )
                )
    base = subprocess.run(
        [
            sys.executable,
            str(HERE / "baseline_seaborn_celluloid.py"),
            "--frames",
            str(args.baseline_frames),
            "--size",
            args.size,
            "--grid",
            str(args.grid),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    per = float(base.stdout.split("per frame")[1].split()[0])
    rows.append(
        (
            "seaborn + celluloid baseline",
            f"{per * 1000:.0f} ms/frame",
            f"{args.baseline_frames} frames; stream is {per * 1000 / stream:.0f}x faster with one painter, "
            f"{per * 1000 / stream2:.0f}x with two, end-to-end {per * 1000 / e2e:.0f}x (goal >= 100x)",
        )
    )
    print(f"nnviz render benchmark: {args.size} px, {args.grid}x{args.grid} grid, {os.cpu_count()} CPUs")
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {note}")


if __name__ == "__main__":
    main()
