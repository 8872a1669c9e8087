"""The views of issue 11: what a panel costs, and that memory stays flat.

Prints:
  - ms per frame and per panel, scene + paint, for the classic three panels
    (input, hidden, activation) and for the layers view of a 3-2 net (input,
    z1, a1, z2, a2: five panels), on the same History, same grid and frame
    height (the layers frame is as wide as ``auto_size`` makes it);
  - the same for the neurons view (input, neurons, loss; 16 of 20 units) and
    the digits bottleneck with its ten picture thumbnails;
  - peak RSS of ``nnviz animate --panels layers,loss`` at 50 and 500 frames,
    each in its own child (``RUSAGE_CHILDREN.ru_maxrss``);
  - the 3-D panels (``bench_space3d``): CPU ms per frame next to an input
    panel's, and peak RSS of ``--panels input,activation3d`` at 50 and 500 frames;
  - the network panel (``bench_network``): its ms per frame next to the
    input panel's, each alone at 400x400 on the same History, and peak RSS
    of ``--panels input,network,loss`` at 50 and 500 frames.

  - the loss landscape (issue 18, ``landscape_costs``): ms per frame of the
    landscape panel alone next to the input panel alone (one 400x400 panel
    each, same History), its one-off cost (the plane and the loss grid, made
    once before the first frame), and peak RSS of ``--panels
    input,landscape,loss`` at 50 and 500 frames.

Usage: python benchmarks/bench_views.py [--grid 100] [--frames 30] [--skip-rss] [--only landscape]
       python benchmarks/bench_views.py --space3d [--skip-rss]   (the 3-D panels against an input panel)
       python benchmarks/bench_views.py --network [--grid 100] [--frames 30] [--skip-rss]   (only the network rows)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

# isort: off
import nnviz

nnviz.pin_kernels()  # first: before NumPy loads, as the CLI does (nnviz/kernels.py)
import matplotlib
# isort: on

matplotlib.use("Agg")

from nnviz import catalog, config, render
from nnviz.engine.train import train
from nnviz.render.animation import Animation

RSS_PROBE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _history(over: dict[str, Any]) -> tuple[config.Config, Any, Any]:
    cfg = catalog.resolve({}, {"train.stop_loss": 0, **over})
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


def ms_per_frame(
    run: tuple[config.Config, Any, Any], panels: str, grid: int, frames: int, thumbs: bool = True
) -> tuple[float, int, str]:
    """(ms per frame, panels drawn, frame size) drawing ``frames`` epochs: scene and paint, no writer."""
    cfg, data, hist = run
    r = catalog.with_values(cfg, {"render.panels": panels, "render.grid": grid, "render.log_frames": frames}).render
    anim = Animation(hist, data, r)
    if not thumbs:  # what the digit pictures cost
        anim.scene = replace(anim.scene, images=None)
    painter = anim.painter()
    painter.render(anim.frame(anim.indices[0]))  # warm: first draws fill caches
    start = time.perf_counter()
    for frame in anim.frames():
        painter.render(frame)
    ms = (time.perf_counter() - start) * 1000 / len(anim)
    painter.close()
    return ms, len(anim.panels), f"{anim.size[0]}x{anim.size[1]}"


def peak_rss_mb(epochs: int, tmp: Path, grid: int) -> float:
    cmd = (
        sys.executable,
        "-m",
        "nnviz",
        "animate",
        "--dataset",
        "moons",
        "--hidden",
        "3,2",
        "--panels",
        "layers,loss",
        "--epochs",
        str(epochs),
        "--stop-loss",
        "0",
        "--grid",
        str(grid),
        "--quiet",
        "--out",
        str(tmp / f"rss{epochs}.gif"),
    )
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


# --- the loss landscape (issue 18) ---------------------------------------------------------------


def landscape_costs(grid: int, frames: int, skip_rss: bool) -> None:
    """The landscape panel's per-frame cost next to the input panel's, its one-off grid, and RSS."""
    from nnviz.render.panels import Setup
    from nnviz.render.panels import landscape as ls
    from nnviz.render.scene import build_scene

    runs = [
        ("moons 3, 200 ep", {"data.name": "moons", "train.epochs": 200}),
        ("spiral 16-16-2", {"data.name": "spiral", "train.epochs": 150}),
        ("digits 32-2, 60 ep", {"data.name": "digits", "train.epochs": 60}),
    ]
    print(f"loss landscape: grid {grid}, {frames} frames, one 400x400 panel each")
    for name, over in runs:
        run = _history({**over, "render.size": "400x400"})
        _, data, hist = run
        ms_in, _, _ = ms_per_frame(run, "input", grid, frames)
        ms_ls, _, _ = ms_per_frame(run, "landscape", grid, frames)
        setup = Setup(build_scene(hist, data, 1, grid), hist, data)
        start = time.perf_counter()
        (panel,) = ls.build(setup)
        once = time.perf_counter() - start
        assert isinstance(panel, ls.LandscapePanel) and panel.map is not None
        res = len(panel.map.u)
        print(
            f"  {name:20} input {ms_in:6.1f} ms/frame, landscape {ms_ls:6.1f} ms/frame ({ms_ls / ms_in:4.2f}x); "
            f"once: {res}x{res} grid + plane {once:5.2f} s"
        )
    if skip_rss:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for epochs in (49, 499):  # epochs 0..N: N + 1 frames
            cmd = (
                *("-m", "nnviz", "animate", "--dataset", "moons", "--panels", "input,landscape,loss"),
                *("--epochs", str(epochs), "--stop-loss", "0", "--grid", str(grid), "--quiet"),
                *("--out", str(Path(tmp) / f"ls{epochs}.gif")),
            )
            out = subprocess.run(
                [sys.executable, "-c", RSS_PROBE, sys.executable, *cmd], capture_output=True, text=True, check=True
            )
            rss = int(out.stdout.strip().splitlines()[-1]) / 1024
            print(f"  peak RSS, input,landscape,loss GIF, {epochs + 1} frames: {rss:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=100)
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--only", choices=["landscape"], help="run one view's benchmark alone")
    args = ap.parse_args()
    if args.only == "landscape":
        landscape_costs(args.grid, args.frames, args.skip_rss)
        return
    moons = _history({"data.name": "moons", "model.hidden": (3, 2), "train.epochs": 60})
    digits = _history({"data.name": "digits", "train.epochs": 30, "data.test_fraction": 0.2})
    rows = [
        ("classic (moons 3-2)", moons, "input,hidden,activation"),
        ("layers (moons 3-2)", moons, "input,layers"),
        (
            "neurons (xor, 20)",
            _history({"data.name": "xor", "model.hidden": (20,), "train.epochs": 60}),
            "input,neurons,loss",
        ),
        ("digits 32-2, pictures", digits, "input,hidden,activation"),
    ]
    print(f"grid {args.grid}, {args.frames} frames, frame height 400 px")
    for name, run, panels in rows:
        ms, n, size = ms_per_frame(run, panels, args.grid, args.frames)
        print(f"  {name:22} {n} panels {size:>9}: {ms:6.1f} ms/frame, {ms / n:5.1f} ms/panel")
    ms, n, size = ms_per_frame(digits, "input,hidden,activation", args.grid, args.frames, thumbs=False)
    print(f"  {'digits 32-2, none':22} {n} panels {size:>9}: {ms:6.1f} ms/frame, {ms / n:5.1f} ms/panel")
    if not args.skip_rss:
        with tempfile.TemporaryDirectory() as tmp:
            for epochs in (49, 499):  # epochs 0..N: N + 1 frames
                rss = peak_rss_mb(epochs, Path(tmp), args.grid)
                print(f"  peak RSS, layers,loss GIF, {epochs + 1} frames: {rss:.0f} MB")
    landscape_costs(args.grid, args.frames, args.skip_rss)
    bench_space3d(args.grid, args.skip_rss)
    bench_network(args.grid, args.frames, args.skip_rss)


# --- the 3-D panels (issue 18, tensorflow/playground#108) ------------------------------------------


def _cpu_ms_per_frame(run: tuple[config.Config, Any, Any], panels: str, size: tuple[int, int], grid: int) -> float:
    """CPU ms per frame (best of 3 passes) drawing every epoch of ``run``: scene and paint, no writer.

    CPU time, not wall time: the 3-D rows are read as ratios to an input panel's, and on a
    shared machine wall time swings more than the difference being measured.
    """
    cfg, data, hist = run
    r = catalog.with_values(cfg, {"render.panels": panels, "render.grid": grid, "render.size": size}).render
    anim = Animation(hist, data, r)
    painter = anim.painter()
    painter.render(anim.frame(anim.indices[0]))  # warm: first draws fill caches
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for frame in anim.frames():
            painter.render(frame)
        best = min(best, (time.process_time() - start) * 1000 / len(anim))
    painter.close()
    return best


def space3d_rss_mb(epochs: int, tmp: Path, grid: int) -> float:
    """Peak RSS of ``nnviz animate --panels input,activation3d`` of ``epochs + 1`` frames, in its own child."""
    cmd = [sys.executable, "-m", "nnviz", "animate", "--dataset", "circles", "--hidden", "3", "--seed", "0"]
    cmd += ["--panels", "input,activation3d", "--epochs", str(epochs), "--stop-loss", "0", "--grid", str(grid)]
    cmd += ["--quiet", "--out", str(tmp / f"space3d{epochs}.gif")]
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def bench_space3d(grid: int = 100, skip_rss: bool = False) -> None:
    """The 3-D panels next to an input panel, on one History (circles, a 2-3-1 tanh net, 61 frames).

    Two readings: each panel alone in a 400x400 frame, and what adding it to a
    1200x400 frame of loss,activation costs (the 3-D axes is redrawn every
    frame while the other panels stay blitted, so this is its own cost).
    """
    run = _history({"data.name": "circles", "model.hidden": (3,), "train.seed": 0, "train.epochs": 60})
    print(f"3-D panels (circles 2-3-1, grid {grid}, {len(run[2])} frames, CPU ms per frame):")
    alone = {p: _cpu_ms_per_frame(run, p, (400, 400), grid) for p in ("input", "hidden3d", "activation3d")}
    for name, ms in alone.items():
        print(f"  {name:13} alone, 400x400:      {ms:6.1f} ms/frame ({ms / alone['input']:.2f}x input)")
    base = _cpu_ms_per_frame(run, "loss,activation", (1200, 400), grid)
    added = {p: _cpu_ms_per_frame(run, f"loss,activation,{p}", (1200, 400), grid) - base for p in alone}
    for name, ms in added.items():
        print(
            f"  {name:13} added to loss,activation (1200x400, {base:.1f}): +{ms:5.1f} ms/frame "
            f"({ms / added['input']:.2f}x input)"
        )
    if not skip_rss:
        with tempfile.TemporaryDirectory() as tmp:
            for epochs in (49, 499):  # epochs 0..N: N + 1 frames
                print(
                    f"  peak RSS, input,activation3d GIF, {epochs + 1} frames: "
                    f"{space3d_rss_mb(epochs, Path(tmp), grid):.0f} MB"
                )


# --- the network panel (issue 18) --------------------------------------------------------------


def network_ms(run: tuple[config.Config, Any, Any], panels: str, grid: int, frames: int, repeats: int = 3) -> float:
    """Best of ``repeats`` ms per frame drawing ``panels`` alone at 400x400 (scene and paint, no writer)."""
    cfg, data, hist = run
    over = {"render.panels": panels, "render.grid": grid, "render.log_frames": frames, "render.size": "400x400"}
    anim = Animation(hist, data, catalog.with_values(cfg, over).render)
    painter = anim.painter()
    painter.render(anim.frame(anim.indices[0]))  # warm: first draws fill caches
    best = float("inf")
    for _ in range(repeats):  # a shared machine: the best run is the least disturbed
        start = time.perf_counter()
        for frame in anim.frames():
            painter.render(frame)
        best = min(best, (time.perf_counter() - start) * 1000 / len(anim))
    painter.close()
    return best


def network_rss_mb(epochs: int, tmp: Path, grid: int) -> float:
    """Peak RSS of ``nnviz animate --panels input,network,loss`` for a 2-8-8-1 net over ``epochs + 1`` frames."""
    cmd = [sys.executable, "-m", "nnviz", "animate", "--dataset", "moons", "--hidden", "8,8"]
    cmd += ["--panels", "input,network,loss", "--epochs", str(epochs), "--stop-loss", "0", "--grid", str(grid)]
    cmd += ["--quiet", "--out", str(tmp / f"network{epochs}.gif")]
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def bench_network(grid: int, frames: int, skip_rss: bool) -> None:
    """The network panel's ms per frame next to the input panel's, each alone at 400x400; RSS 50 vs 500 frames."""
    cases = [
        ("moons 3-2", {"data.name": "moons", "model.hidden": (3, 2)}),
        ("spiral 8-8-8", {"data.name": "spiral", "model.hidden": (8, 8, 8)}),
        ("xor 20-12 (summarised)", {"data.name": "xor", "model.hidden": (20, 12)}),
        ("digits 64-32-2-10", {"data.name": "digits", "data.test_fraction": 0.2}),
    ]
    print(f"network panel: grid {grid}, {frames} frames, one 400x400 panel, best of 3")
    for name, over in cases:
        run = _history({**over, "train.epochs": 60})
        base, net = network_ms(run, "input", grid, frames), network_ms(run, "network", grid, frames)
        print(f"  {name:24} input {base:6.1f} ms/frame, network {net:6.1f} ms/frame ({net / base:4.2f}x)")
    if not skip_rss:
        with tempfile.TemporaryDirectory() as tmp:
            for epochs in (49, 499):  # epochs 0..N: N + 1 frames
                rss = network_rss_mb(epochs, Path(tmp), grid)
                print(f"  peak RSS, input,network,loss GIF, {epochs + 1} frames: {rss:.0f} MB")


if __name__ == "__main__":
    if "--space3d" in sys.argv:  # only the 3-D rows: python benchmarks/bench_views.py --space3d [--skip-rss]
        bench_space3d(skip_rss="--skip-rss" in sys.argv)
    elif "--network" in sys.argv:  # only the network panel's rows
        sys.argv.remove("--network")
        ap = argparse.ArgumentParser()
        ap.add_argument("--grid", type=int, default=100)
        ap.add_argument("--frames", type=int, default=30)
        ap.add_argument("--skip-rss", action="store_true")
        a = ap.parse_args()
        bench_network(a.grid, a.frames, a.skip_rss)
    else:
        main()
