"""Training-engine benchmark (``make bench-engine``): nnviz's NumPy engine against PyTorch on the CPU.

1. Three shapes, float64 and float32: 2-2-1 blobs (400 rows, batch 32), digits
   64-32-2-10 (batch 32) and the MNIST shape 784-50-10 (60,000 rows of random
   pixels written as mnist.npz, 10,000 test, batch 100). Epochs per second of
   ``train.train`` (which also takes a snapshot and the full-set metrics every
   epoch) and of a PyTorch loop doing the same work (same initial weights, same
   scaled inputs, same batch order, the training and test sets' loss and
   accuracy and a float64 parameter copy each epoch); medians (ranges) of
   interleaved rounds, and the largest per-epoch loss difference of the two.
2. MNIST-sized data through 784-32-2-10, batch 128: load seconds, seconds per
   epoch and peak RSS, each dtype in its own child (``ru_maxrss``).

Both sides get one thread (the machine is shared and these matrices are too
small for threads to pay); set OMP_NUM_THREADS etc. yourself to change that.
PyTorch is optional: without it the torch columns say "not installed".

Usage: python benchmarks/bench_engine.py [--rounds 3] [--shapes blobs,digits,mnist] [--skip-rss]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

# isort: off
import nnviz  # noqa: E402

nnviz.pin_kernels()  # first: before NumPy loads, as the CLI does (nnviz/kernels.py)
import numpy as np  # noqa: E402
# isort: on

from nnviz import catalog, config  # noqa: E402
from nnviz.engine import nn, train  # noqa: E402

try:
    import torch
except ImportError:  # torch is not a dependency of nnviz
    torch = None

DIGITS = {
    "data.name": "digits",
    "model.hidden": "32,2",
    "model.activation": "tanh",
    "train.batch_size": 32,
    "train.optimizer": "adam",
    "train.lr": 0.01,
    "train.stop_loss": 0,
}


# name: (label, dotted overrides, epochs); each trains the same way in both engines.
SHAPES: dict[str, tuple[str, dict[str, object], int]] = {
    "blobs": ("2-2-1 blobs (400 rows), batch 32", {"train.stop_loss": 0}, 60),
    "digits": ("digits 64-32-2-10 (1,797 rows), batch 32", DIGITS, 15),
    "mnist": (
        "MNIST shape 784-50-10 (60,000 rows + 10,000 test), batch 100",
        {
            "model.hidden": "50",
            "model.activation": "tanh",
            "train.batch_size": 100,
            "train.optimizer": "adam",
            "train.lr": 0.001,
            "train.stop_loss": 0,
        },
        2,
    ),
}


def shape_cfg(name: str, epochs: int, dtype: str, mnist: Path | None = None) -> config.Config:
    _, over, _ = SHAPES[name]
    extra: dict[str, object] = {"data.path": str(mnist)} if name == "mnist" else {}
    return catalog.resolve({}, {**over, **extra, "train.epochs": epochs, "train.dtype": dtype})


def digits_cfg(epochs: int, dtype: str) -> config.Config:
    return shape_cfg("digits", epochs, dtype)


def engine_run(cfg: config.Config, data) -> tuple[float, np.ndarray]:
    """Seconds for ``train.train`` and its per-epoch loss."""
    t0 = time.perf_counter()
    h = train.train(cfg, data)
    return time.perf_counter() - t0, h.column("loss")


def same_start(cfg: config.Config, data) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The engine's initial weights and per-epoch batch orders (its rng, drawn in its order)."""
    model = train.build_model(cfg, data)
    rng = np.random.default_rng(cfg.train.seed)
    params = list(nn.init_params(model, rng, cfg.model.init, cfg.model.init_std))
    orders = [rng.permutation(len(data.y)) for _ in range(cfg.train.epochs)]
    return params, orders


def torch_run(cfg: config.Config, data) -> tuple[float, np.ndarray]:
    """The same training in PyTorch: seconds and per-epoch full-set loss (epoch 0 first).

    Same initial weights, batch order, scaled inputs and Adam (Keras' eps); each epoch ends as
    nnviz's does: the loss and accuracy of the training (and test) set, and a float64 copy of
    every parameter.
    """
    dt = torch.float64 if cfg.train.dtype == "float64" else torch.float32
    params, orders = same_start(cfg, data)
    seen = train._cast(train._scaled(data, train.scaling(cfg, data)), train.DTYPES[cfg.train.dtype])
    layers = []
    for W, b in zip(params[::2], params[1::2]):
        lin = torch.nn.Linear(*W.shape, dtype=dt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers[:-1])
    binary = data.task == "binary"
    target = np.float64 if binary else np.int64
    sets = [(torch.from_numpy(np.array(seen.X)).to(dt), torch.from_numpy(seen.y.astype(target)))]
    if len(seen.y_test):
        sets.append((torch.from_numpy(np.array(seen.X_test)).to(dt), torch.from_numpy(seen.y_test.astype(target))))
    X, y = sets[0]
    if binary:
        bce = torch.nn.BCEWithLogitsLoss()
        lossf = lambda logits, t: bce(logits[:, 0], t.to(logits.dtype))  # noqa: E731
        correct = lambda logits, t: (logits[:, 0] > 0) == (t > 0.5)  # noqa: E731
    else:
        lossf = torch.nn.CrossEntropyLoss()
        correct = lambda logits, t: logits.argmax(1) == t  # noqa: E731
    # nnviz's Adam uses Keras' eps (1e-7).
    opt = torch.optim.Adam(net.parameters(), lr=cfg.train.lr, betas=(0.9, 0.999), eps=1e-7)
    batch = cfg.train.batch_size
    losses = []

    def snapshot() -> None:
        with torch.no_grad():
            for k, (xs, ys) in enumerate(sets):
                logits = net(xs)
                value = float(lossf(logits, ys))
                float(correct(logits, ys).double().mean())
                if k == 0:
                    losses.append(value)
            [p.detach().double().clone() for p in net.parameters()]

    t0 = time.perf_counter()
    snapshot()
    for order in orders:
        idx = torch.from_numpy(order)
        for start in range(0, len(order), batch):
            b = idx[start : start + batch]
            opt.zero_grad(set_to_none=True)
            lossf(net(X[b]), y[b]).backward()
            opt.step()
        snapshot()
    return time.perf_counter() - t0, np.array(losses)


def synthetic_mnist(path: Path) -> None:
    """Random pixels and labels, shaped as Keras' mnist.npz: the engines' speed, not a model."""
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (60_000, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 60_000, dtype=np.uint8),
        x_test=rng.integers(0, 256, (10_000, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 10_000, dtype=np.uint8),
    )


def spread(values: list[float], fmt: str = ".1f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def against_torch(rounds: int, names: list[str], mnist: Path) -> None:
    """Epochs per second of both engines on each shape and dtype: medians (ranges) of interleaved rounds."""
    print(
        "nnviz against PyTorch CPU: 1 thread each, same weights, batch order and full-set metrics each epoch;"
        f" medians (ranges) of {rounds} interleaved rounds"
    )
    print(f"  {'shape':62} {'dtype':8} {'nnviz ep/s':>18} {'torch ep/s':>18} {'nnviz/torch':>18} {'max |dloss|':>11}")
    if torch is not None:
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    for name in names:
        label, _, epochs = SHAPES[name]
        for dtype in ("float64", "float32"):
            cfg = shape_cfg(name, epochs, dtype, mnist)
            data = train.load_data(cfg)
            engine_run(shape_cfg(name, 1, dtype, mnist), data)  # warm-up
            ours, theirs, ratio, diff = [], [], [], 0.0
            for _ in range(rounds):
                t_np, l_np = engine_run(cfg, data)
                ours.append(epochs / t_np)
                if torch is not None:
                    t_pt, l_pt = torch_run(cfg, data)
                    theirs.append(epochs / t_pt)
                    ratio.append(t_pt / t_np)
                    diff = max(diff, float(np.abs(l_np - l_pt).max()))
            if torch is None:
                print(f"  {label:62} {dtype:8} {spread(ours):>18} {'not installed':>18}")
                continue
            print(
                f"  {label:62} {dtype:8} {spread(ours):>18} {spread(theirs):>18} {spread(ratio, '.2f'):>18}"
                f" {diff:11.1e}"
            )


MNIST_CHILD = """
import os, resource, sys, time
from nnviz import catalog
from nnviz.engine import train
cfg = catalog.resolve({{}}, {{"data.path": sys.argv[1], "model.hidden": "32,2", "train.batch_size": 128,
                           "train.epochs": {epochs}, "train.stop_loss": 0, "train.dtype": sys.argv[2]}})
t0 = time.perf_counter(); data = train.load_data(cfg); load = time.perf_counter() - t0
t0 = time.perf_counter(); h = train.train(cfg, data); fit = time.perf_counter() - t0
print(load, fit / {epochs}, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, h.last.loss)
"""


def mnist_table(path: Path, epochs: int) -> None:
    print(
        "synthetic MNIST 60000x784 + 10000 test (mnist.npz), 784-32-2-10 tanh, batch 128, adam, "
        f"{epochs} epochs, 1 thread, each dtype in its own child"
    )
    print(f"  {'dtype':8} {'load s':>7} {'s/epoch':>8} {'peak RSS MB':>12}")
    for dtype in ("float64", "float32"):
        out = subprocess.run(
            [sys.executable, "-c", MNIST_CHILD.format(epochs=epochs), str(path), dtype],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        load, per_epoch, rss = (float(v) for v in out[:3])
        print(f"  {dtype:8} {load:7.2f} {per_epoch:8.2f} {rss:12.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated: " + ", ".join(SHAPES))
    ap.add_argument("--mnist-epochs", type=int, default=2, help="epochs of the memory table")
    ap.add_argument("--skip-rss", action="store_true")
    args = ap.parse_args()
    print(
        f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
        f"python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        mnist = Path(tmp) / "mnist.npz"
        synthetic_mnist(mnist)
        against_torch(args.rounds, [n for n in args.shapes.split(",") if n], mnist)
        if not args.skip_rss:
            mnist_table(mnist, args.mnist_epochs)


if __name__ == "__main__":
    main()
