"""Training-engine benchmark: nnviz's NumPy engine against PyTorch on the CPU.

1. digits (1,797 x 64 -> 32 -> 2 -> 10, tanh, batch 32, Adam lr 0.01):
   epochs per second of ``train.train`` (which also takes a snapshot and
   full-set metrics every epoch) and of a PyTorch loop doing the same work
   (same initial weights, same batch order, full-set loss and accuracy and a
   parameter copy each epoch), in float64 and float32.
2. Agreement: the per-epoch full-set loss of both, float64, a few epochs.
3. MNIST-sized data (60,000 x 784, random pixels written as mnist.npz, batch
   128, 784-32-2-10): seconds per epoch and peak RSS, each dtype in its own
   child process (``RUSAGE_CHILDREN.ru_maxrss``).

Both sides get one thread (the machine is shared and these matrices are too
small for threads to pay); set OMP_NUM_THREADS etc. yourself to change that.
PyTorch is optional: without it the torch columns say "not installed".

Usage: python benchmarks/bench_engine.py [--epochs 20] [--mnist-epochs 2] [--skip-mnist]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
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

REPEATS = 5  # best of: the machine is shared, the minimum is the least disturbed run
DIGITS = {
    "data.name": "digits",
    "model.hidden": "32,2",
    "model.activation": "tanh",
    "train.batch_size": 32,
    "train.optimizer": "adam",
    "train.lr": 0.01,
    "train.stop_loss": 0,
}


def digits_cfg(epochs: int, dtype: str) -> config.Config:
    return catalog.resolve({}, {**DIGITS, "train.epochs": epochs, "train.dtype": dtype})


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
    """The same training in PyTorch: seconds and per-epoch full-set loss (epoch 0 first)."""
    dt = torch.float64 if cfg.train.dtype == "float64" else torch.float32
    params, orders = same_start(cfg, data)
    layers = []
    for W, b in zip(params[::2], params[1::2]):
        lin = torch.nn.Linear(*W.shape, dtype=dt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers[:-1])
    X = torch.from_numpy(np.array(data.X)).to(dt)  # a writable copy
    y = torch.from_numpy(data.y.astype(np.int64))
    # nnviz's Adam uses Keras' eps (1e-7).
    opt = torch.optim.Adam(net.parameters(), lr=cfg.train.lr, betas=(0.9, 0.999), eps=1e-7)
    lossf = torch.nn.CrossEntropyLoss()
    batch = cfg.train.batch_size
    losses = []

    def snapshot() -> None:
        with torch.no_grad():
            logits = net(X)
            losses.append(float(lossf(logits, y)))
            float((logits.argmax(1) == y).double().mean())
            [p.detach().clone() for p in net.parameters()]

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


def digits_table(epochs: int) -> None:
    print(f"digits 1797x64 -> 32 -> 2 -> 10 tanh, batch 32, adam lr 0.01, {epochs} epochs, 1 thread")
    print(f"  {'dtype':8} {'numpy epochs/s':>15} {'torch epochs/s':>15} {'numpy/torch':>12}")
    for dtype in ("float64", "float32"):
        cfg = digits_cfg(epochs, dtype)
        data = train.load_data(cfg)
        engine_run(digits_cfg(2, dtype), data)  # warm-up
        t_np = min(engine_run(cfg, data)[0] for _ in range(REPEATS))
        if torch is None:
            print(f"  {dtype:8} {epochs / t_np:15.1f} {'not installed':>15}")
            continue
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        torch_run(digits_cfg(2, dtype), data)
        t_pt = min(torch_run(cfg, data)[0] for _ in range(REPEATS))
        print(f"  {dtype:8} {epochs / t_np:15.1f} {epochs / t_pt:15.1f} {t_pt / t_np:11.2f}x")


def agreement(epochs: int = 5) -> None:
    if torch is None:
        print("loss agreement with PyTorch: skipped (torch not installed)")
        return
    cfg = digits_cfg(epochs, "float64")
    data = train.load_data(cfg)
    _, ours = engine_run(cfg, data)
    _, theirs = torch_run(cfg, data)
    diff = np.abs(ours - theirs)
    print(
        f"float64 full-set loss, epochs 0-{epochs}, nnviz vs torch: max |diff| {diff.max():.2e} "
        f"(loss {ours[0]:.6f} -> {ours[-1]:.6f})"
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


def mnist_table(epochs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mnist.npz"
        rng = np.random.default_rng(0)
        np.savez(
            path,
            x_train=rng.integers(0, 256, (60_000, 28, 28), dtype=np.uint8),
            y_train=rng.integers(0, 10, 60_000, dtype=np.uint8),
            x_test=rng.integers(0, 256, (10_000, 28, 28), dtype=np.uint8),
            y_test=rng.integers(0, 10, 10_000, dtype=np.uint8),
        )
        print(
            "synthetic MNIST 60000x784 + 10000 test (mnist.npz), 784-32-2-10 tanh, batch 128, adam, "
            f"{epochs} epochs, 1 thread"
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
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--mnist-epochs", type=int, default=2)
    ap.add_argument("--skip-mnist", action="store_true")
    args = ap.parse_args()
    print(
        f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
        f"python {sys.version.split()[0]}"
    )
    digits_table(args.epochs)
    agreement()
    if not args.skip_mnist:
        mnist_table(args.mnist_epochs)


if __name__ == "__main__":
    main()
