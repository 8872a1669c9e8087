"""How well ``nnviz sweep`` uses the machine, and what a re-run costs.

Runs the blog's 2 x 3 sweep (configs/sweep-activation-lr.toml, relu/tanh x
three learning rates) fresh with --jobs 1, fresh with --jobs 2, then again
on the finished --jobs 2 folder (every run skipped; summary and gallery
rebuilt). ``stop_loss`` is switched off so every run does the same work.

    .venv/bin/python benchmarks/bench_sweep.py [--epochs 60] [--dask] [--repeat 3]

Targets on a 2-core machine: --jobs 2 at least 1.7x faster than --jobs 1,
and a re-run at most 0.3 of a fresh run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nnviz import config, sweep

ROOT = Path(__file__).resolve().parents[1]
SWEEP_FILE = ROOT / "configs" / "sweep-activation-lr.toml"


def load_spec(epochs: int) -> sweep.SweepSpec:
    raw = config.read_toml(SWEEP_FILE)
    raw.setdefault("train", {}).update(epochs=epochs, stop_loss=0)
    return sweep.parse_sweep(raw, SWEEP_FILE.name)


def idle_share(seconds: float = 2.0) -> float:
    """How idle the CPUs are right now (Linux /proc/stat); other load skews speed-ups."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except OSError:
        return float("nan")
    return (idle1 - idle0) / max(total1 - total0, 1)


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def achievable_speedup(tasks: int = 4, n: int = 6_000_000) -> float:
    """What 2 processes buy over 1 on pure CPU work right now: the ceiling for the sweep."""
    import concurrent.futures as cf
    import multiprocessing

    walls = []
    for jobs in (1, 2):
        with cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(_burn, [1] * jobs))  # start the workers before timing
            start = time.perf_counter()
            list(pool.map(_burn, [n] * tasks))
            walls.append(time.perf_counter() - start)
    return walls[0] / walls[1]


def timed(fn: Callable[[], sweep.SweepResult], repeat: int = 1) -> tuple[float, sweep.SweepResult, str]:
    """The median wall time of ``repeat`` calls, the last result, and the range as text."""
    walls, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(walls), result, f"{min(walls):.2f}-{max(walls):.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=60, help="epochs per run (default 60)")
    parser.add_argument("--dask", action="store_true", help="also time a 2-worker Dask LocalCluster")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs per case; the median counts (default 3)")
    args = parser.parse_args()
    spec = load_spec(args.epochs)
    cores = os.cpu_count()
    idle = idle_share()
    if idle < 0.9:
        print(f"warning: the CPUs are only {idle:.0%} idle before the benchmark; speed-ups will read low")
    ceiling = achievable_speedup()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        rows: list[tuple[str, float, str]] = []
        k = args.repeat
        t1, r1, s1 = timed(lambda: sweep.run_sweep(spec, base / "jobs1", jobs=1, force=True), k)
        rows.append(("fresh, --jobs 1", t1, f"1.00x ({s1})"))
        t2, r2, s2 = timed(lambda: sweep.run_sweep(spec, base / "jobs2", jobs=2, force=True), k)
        rows.append(
            (
                "fresh, --jobs 2",
                t2,
                f"{t1 / t2:.2f}x speed-up ({s2}; goal >= 1.7x; pure-CPU ceiling now {ceiling:.2f}x)",
            )
        )
        if args.dask:
            td, _, _ = timed(lambda: sweep.run_sweep(spec, base / "dask", executor="dask", workers=2, force=True), k)
            rows.append(("fresh, dask LocalCluster, 2 workers", td, f"{t1 / td:.2f}x speed-up"))
        tr, rr, _ = timed(lambda: sweep.run_sweep(spec, base / "jobs2", jobs=2), k)
        assert len(rr.cached) == len(spec.runs), "the re-run should skip every run"
        rows.append(("re-run of the finished --jobs 2 sweep", tr, f"{tr / t2:.2f} of fresh (target <= 0.3)"))
        run_seconds = sum(r.seconds for r in r1.runs)
        print(
            f"{len(spec.runs)} runs of {SWEEP_FILE.name}, {args.epochs} epochs each, median of {k}, "
            f"{spec.runs[0].cfg.render.size[0]}x{spec.runs[0].cfg.render.size[1]} px, grid "
            f"{spec.runs[0].cfg.render.grid}; {cores} cores"
        )
        print(
            f"sum of per-run seconds (jobs 1): {run_seconds:.1f}s; reports (summary, gallery, comparison) are the rest"
        )
        width = max(len(r[0]) for r in rows)
        print(f"{'case':<{width}}  {'wall':>7}  note")
        for name, seconds, note in rows:
            print(f"{name:<{width}}  {seconds:>6.2f}s  {note}")
        assert not r2.failed


if __name__ == "__main__":
    main()
