"""What recording costs a PyTorch training loop: time in ``rec.snapshot()`` as a share of the epoch.

Two sizes: the default blobs run (400 x 2 -> 2 -> 1 tanh, batch 32: 13 steps an epoch) and the
digits net (1,797 x 64 -> 32 -> 2 -> 10 tanh, batch 32: 57 steps). Each epoch is a plain PyTorch
loop (Adam, float32, one thread); the snapshot after it is timed on its own. The median over
the epochs is reported, best of a few repeats (the machine is shared). The History's metrics
are computed once, when it is first asked for, not in the loop: that one-off cost is shown too.

Usage: python benchmarks/bench_record.py [--epochs 60] [--repeats 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402

# isort: off
import nnviz  # noqa: E402 -- first: pins NumPy's kernels as the CLI does
import numpy as np  # noqa: E402
# isort: on

from nnviz import config  # noqa: E402
from nnviz.engine import train  # noqa: E402

SIZES = {
    "blobs": ({}, (2,)),
    "digits": ({"data.name": "digits"}, (32, 2)),
}


def run(name: str, epochs: int) -> tuple[float, float, float]:
    """(median epoch seconds, median snapshot seconds, seconds for the History's metrics)."""
    import torch
    from torch import nn

    values, hidden = SIZES[name]
    data = train.load_data(config.resolve({}, values))
    n_out = data.n_classes if data.task == "multiclass" else 1
    widths = (data.n_features, *hidden, n_out)
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(widths):
        layers += [nn.Linear(fan_in, fan_out), nn.Tanh()]
    model = nn.Sequential(*layers[:-1])
    X = torch.tensor(data.X, dtype=torch.float32)
    if data.task == "multiclass":
        y, loss_fn = torch.tensor(data.y, dtype=torch.long), nn.CrossEntropyLoss()
    else:
        y, loss_fn = torch.tensor(data.y, dtype=torch.float32)[:, None], nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    rec = nnviz.record(model, data.X, data.y)
    rec.snapshot()
    epoch_s, snap_s = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for idx in torch.randperm(len(X)).split(32):
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
        t1 = time.perf_counter()
        rec.snapshot()
        t2 = time.perf_counter()
        epoch_s.append(t1 - t0)
        snap_s.append(t2 - t1)
    t3 = time.perf_counter()
    rec.history  # noqa: B018 -- the one-off metrics pass
    return float(np.median(epoch_s)), float(np.median(snap_s)), time.perf_counter() - t3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    print(f"PyTorch {torch.__version__}, 1 thread, {args.epochs} epochs, best of {args.repeats}")
    print(f"  {'data':8} {'epoch ms':>9} {'snapshot us':>12} {'share':>7} {'history (once) ms':>18}")
    for name in SIZES:
        runs = [run(name, args.epochs) for _ in range(args.repeats)]
        epoch, snap, hist = min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs)
        print(f"  {name:8} {epoch * 1e3:9.2f} {snap * 1e6:12.1f} {snap / epoch:7.1%} {hist * 1e3:18.1f}")


if __name__ == "__main__":
    main()
