"""nnviz against an independent floor, and the fixed cost of a run (``make bench``).

For each view (the default three panels; ``layers`` of moons 3,2; input, neurons and
loss of xor 8; ``configs/digits.toml``) and each round, interleaved:

- the floor (``benchmarks/floor.py``): the same panels drawn by the least matplotlib
  work, blitted, into the same GIF writer with the same palette; the frames' arrays
  precomputed, so it is drawing and encoding only;
- ``nnviz animate`` end to end (a child process, wall time, what a user waits for: two
  painters, training, scene, poster, CSV, TOML) at two frame counts; its ms per frame is
  the slope between them, so the fixed cost of a run is not spread over the frames;
- nnviz's own painter on the same precomputed frames into the same writer, one process
  (what drawing alone costs, next to the floor's).

Then the fixed cost of a run: ``nnviz animate`` at 5, 25 and 75 frames of the default
view, wall time against frames fitted by least squares; the intercept is the cost paid
once per run. Beside it, the floor's own fixed cost (``floor_fixed.py``: Python, the
imports any matplotlib GIF needs, one 3-panel draw, a 1-frame GIF), which no run can
go below. Every figure is a median over the rounds, with the range.

Usage: python benchmarks/bench_floor.py [--rounds 3] [--only default,digits]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# isort: off
import nnviz

nnviz.pin_kernels()  # first: before NumPy loads, as the CLI does (nnviz/kernels.py)
import matplotlib
# isort: on

matplotlib.use("Agg")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import floor

from nnviz import catalog, config, render
from nnviz.engine.train import train
from nnviz.render.animation import Animation
from nnviz.render.writers import GifWriter

# name: (shipped config or None, overrides, the two frame counts of the slope, goal x floor)
VIEWS: dict[str, tuple[str | None, dict[str, Any], tuple[int, int], float]] = {
    "default": (None, {}, (25, 75), 1.3),
    "layers": (None, {"data.name": "moons", "model.hidden": "3,2", "render.panels": "layers"}, (25, 75), 1.5),
    "neurons": (None, {"data.name": "xor", "model.hidden": "8", "render.panels": "input,neurons,loss"}, (25, 75), 1.5),
    "digits": ("digits", {"render.log_frames": 0}, (11, 31), 5.0),
}
FIXED_FRAMES = (5, 25, 75)


def view_config(name: str, frames: int) -> config.Config:
    shipped, over, _, _ = VIEWS[name]
    return catalog.load(shipped, {"train.stop_loss": 0, **over, "train.epochs": frames - 1, "render.every": 1})


def cli_seconds(cfg: config.Config, tmp: Path) -> float:
    """Wall seconds of ``nnviz animate`` for ``cfg`` in a child process (what a user waits for)."""
    path = tmp / "run.toml"
    path.write_text(config.to_toml(cfg))
    cmd = [sys.executable, "-m", "nnviz", "animate", "--config", str(path), "--quiet", "--out", str(tmp / "cli.gif")]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def painter_ms(anim: Animation, size: tuple[int, int], path: Path, fps: float) -> float:
    """nnviz's painter on precomputed frames into the same writer, one process: ms per frame."""
    frames = [anim.frame(i) for i in anim.indices]
    painter = anim.painter()
    sample = painter.render(frames[-1]).copy()
    start = time.perf_counter()
    with GifWriter(path, fps=fps, sample=sample, colors=anim.palette_colors()) as w:
        for frame in frames:
            w.write(painter.render(frame))
    ms = 1000 * (time.perf_counter() - start) / len(frames)
    painter.close()
    return ms


def median_range(values: Sequence[float], fmt: str = ".1f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def one_round(name: str, tmp: Path, anims: dict[str, Animation]) -> dict[str, float]:
    _, _, (small, big), _ = VIEWS[name]
    cfg = view_config(name, big)
    anim = anims[name]
    r = cfg.render
    out = {
        "floor": floor.floor_ms(anim, r.size, tmp / "floor.gif", GifWriter, anim.palette_colors(), r.fps),
        "painter": painter_ms(anim, r.size, tmp / "painter.gif", r.fps),
    }
    t_small = cli_seconds(view_config(name, small), tmp)
    t_big = cli_seconds(cfg, tmp)
    out["cli"] = 1000 * (t_big - t_small) / (big - small)
    out["cli_wall"] = 1000 * t_big / big
    return out


def floor_fixed_seconds(tmp: Path) -> tuple[float, float]:
    """(wall s, of which imports s) of ``floor_fixed.py``: the least any matplotlib run pays once."""
    script = Path(__file__).resolve().parent / "floor_fixed.py"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, str(script), str(tmp / "floor-fixed.gif")], check=True, capture_output=True)
    return time.perf_counter() - start, float(out.stdout)


def fixed_cost(tmp: Path, rounds: int) -> dict[str, Any]:
    """Per round: the intercept (s) and slope (ms/frame) of wall time against frames, default view,
    and the floor's fixed cost beside them."""
    walls: dict[int, list[float]] = {n: [] for n in FIXED_FRAMES}
    intercepts, slopes, floor_walls, floor_imports = [], [], [], []
    for _ in range(rounds):
        for n in FIXED_FRAMES:
            walls[n].append(cli_seconds(view_config("default", n), tmp))
        wall, imports = floor_fixed_seconds(tmp)
        floor_walls.append(wall)
        floor_imports.append(imports)
        slope, intercept = np.polyfit(FIXED_FRAMES, [walls[n][-1] for n in FIXED_FRAMES], 1)
        intercepts.append(float(intercept))
        slopes.append(1000 * float(slope))
    return {"intercepts": intercepts, "slopes": slopes, "walls": walls, "floor": floor_walls, "imports": floor_imports}


def build_animation(name: str) -> Animation:
    _, _, (_, big), _ = VIEWS[name]
    cfg = view_config(name, big)
    data = render.load_data(cfg)
    return Animation(train(cfg, data), data, cfg.render)


def report(name: str, rows: list[dict[str, float]]) -> str:
    col: Callable[[str], list[float]] = lambda k: [r[k] for r in rows]  # noqa: E731
    ratio = [r["cli"] / r["floor"] for r in rows]
    paint = [r["painter"] / r["floor"] for r in rows]
    goal = VIEWS[name][3]
    verdict = "met" if statistics.median(ratio) <= goal else "NOT met"
    return (
        f"{name:8} floor {median_range(col('floor'))} ms/frame | nnviz animate {median_range(col('cli'))} ms/frame"
        f" = {median_range(ratio, '.2f')}x floor (goal <= {goal}x: {verdict}); "
        f"wall/frames {median_range(col('cli_wall'))} | painter alone {median_range(paint, '.2f')}x floor"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default=",".join(VIEWS), help="views, comma-separated")
    ap.add_argument("--skip-fixed", action="store_true")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    anims = {n: build_animation(n) for n in names}
    results: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for _ in range(args.rounds):  # interleaved: every view once per round
            for n in names:
                results[n].append(one_round(n, tmp, anims))
        fixed = None if args.skip_fixed else fixed_cost(tmp, args.rounds)
    print(f"nnviz against an independent floor: medians (ranges) of {args.rounds} interleaved rounds")
    for n in names:
        print(report(n, results[n]))
    if fixed is not None:
        frames = ", ".join(f"{n}: {median_range(fixed['walls'][n], '.2f')} s" for n in FIXED_FRAMES)
        print(
            f"fixed cost per run (default view; wall at {frames}): intercept {median_range(fixed['intercepts'], '.2f')}"
            f" s (goal <= 0.6 s), slope {median_range(fixed['slopes'])} ms/frame"
        )
        print(
            f"the least any matplotlib run pays once (floor_fixed.py: start, imports, one 3-panel draw, a 1-frame GIF):"
            f" {median_range(fixed['floor'], '.2f')} s, of which imports {median_range(fixed['imports'], '.2f')} s"
        )


if __name__ == "__main__":
    main()
