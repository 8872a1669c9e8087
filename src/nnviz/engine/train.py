"""Training: a Config and a Dataset in, a History of every epoch out.

``iter_epochs`` is the loop; it yields one ``Epoch`` per epoch from epoch 0
(before any update), each with a copy of every parameter and metrics over
the *full* training set. ``train`` collects them into a ``History`` and
records why training stopped: the epoch budget, the stop loss, divergence or
an interrupt (Ctrl-C keeps what was trained so far).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from ..config import MAX_ACTIVATIONS, Config
from ..errors import ConfigError, DataError
from . import nn
from .datasets import Dataset, load_dataset
from .history import Epoch, History
from .optimizers import OPTIMIZERS

Array = np.ndarray

class Diverged(Exception):
    """Raised inside the loop when the loss or a parameter stops being finite."""


def metric_names(task: str, has_test: bool) -> tuple[str, ...]:
    base = ("loss", "rmse", "r2") if task == "regression" else ("loss", "accuracy")
    return base + tuple(f"test_{m}" for m in base) if has_test else base


def _metrics(model: nn.Model, params: tuple[Array, ...], X: Array, y: Array) -> dict[str, float]:
    trace = nn.forward(model, params, X)
    out = trace.a[-1]
    values = {"loss": model.out.value(trace.z[-1], y)}
    if model.task == "regression":
        err = out[:, 0] - y
        var = float(np.var(y))
        values["rmse"] = float(np.sqrt(np.mean(err**2)))
        # R^2 is undefined for a constant target; 0 says "no better than the mean".
        values["r2"] = 1.0 - float(np.mean(err**2)) / var if var > 0 else 0.0
    else:
        pred = out.argmax(axis=1) if model.task == "multiclass" else (out[:, 0] > 0.5)
        values["accuracy"] = float(np.mean(pred == y))
    return values


def evaluate(model: nn.Model, params: tuple[Array, ...], data: Dataset) -> dict[str, float]:
    """Train (and test, when there is a test split) metrics for ``params``."""
    values = _metrics(model, params, data.X, data.y)
    if len(data.y_test):
        values |= {f"test_{k}": v for k, v in _metrics(model, params, data.X_test, data.y_test).items()}
    return values


def load_data(cfg: Config) -> Dataset:
    """The dataset ``cfg.data`` names, seeded as the run is."""
    d = cfg.data
    return load_dataset(d.name, path=d.path, n_samples=d.n_samples, noise=d.noise,
                        test_fraction=d.test_fraction, seed=cfg.data_seed, task=d.task, target=d.target)


def build_model(cfg: Config, data: Dataset) -> nn.Model:
    """The network the config asks for, with input and output sized by the data."""
    loss = nn.DEFAULT_LOSS[data.task] if cfg.model.loss == "auto" else cfg.model.loss
    if nn.LOSSES[loss].task != data.task:
        fitting = [name for name, spec in nn.LOSSES.items() if spec.task == data.task]
        raise ConfigError(
            f"model.loss = {loss!r} is invalid for the {data.task} task of dataset {data.name!r}; "
            f"valid: auto, {', '.join(fitting)}"
        )
    units = len(data.y) * sum(cfg.model.hidden)
    if units > MAX_ACTIVATIONS:
        raise ConfigError(
            f"{len(data.y)} samples x {sum(cfg.model.hidden)} hidden units (--hidden "
            f"{','.join(map(str, cfg.model.hidden))}) = {units:,} activations per pass exceeds the cap of "
            f"{MAX_ACTIVATIONS:,}; use fewer samples (--n-samples) or narrower layers"
        )
    n_out = data.n_classes if data.task == "multiclass" else 1
    return nn.Model((data.n_features, *cfg.model.hidden, n_out), cfg.model.activation, loss)


def _snapshot(epoch: int, params: list[Array], model: nn.Model, data: Dataset) -> Epoch:
    frozen = tuple(p.copy() for p in params)
    if not all(np.isfinite(p).all() for p in frozen):
        raise Diverged(f"a parameter became non-finite at epoch {epoch}")
    # Overflow here is reported as divergence below; NumPy need not warn too.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        metrics = evaluate(model, frozen, data)
    if not all(math.isfinite(v) for v in metrics.values()):
        raise Diverged(f"the loss became non-finite at epoch {epoch}")
    return Epoch(epoch, frozen, metrics)


def iter_epochs(cfg: Config, data: Dataset, model: nn.Model | None = None) -> Iterator[Epoch]:
    """Train and yield one Epoch per epoch; raises Diverged when numbers blow up."""
    model = model or build_model(cfg, data)
    rng = np.random.default_rng(cfg.train.seed)
    params = list(nn.init_params(model, rng, cfg.model.init, cfg.model.init_std))
    opt = OPTIMIZERS[cfg.train.optimizer](params, cfg.train.lr, cfg.train.weight_decay)
    n = len(data.y)
    batch = n if cfg.train.batch_size == "full" else min(cfg.train.batch_size, n)
    current = _snapshot(0, params, model, data)
    yield current
    for epoch in range(1, cfg.train.epochs + 1):
        if cfg.train.stop_loss and current.loss <= cfg.train.stop_loss:
            return
        order = rng.permutation(n)
        # Overflow inside one step is expected when a run diverges; the
        # snapshot's finiteness check reports it, so NumPy need not warn.
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n, batch):
                idx = order[start : start + batch]
                _, grads = nn.loss_and_grads(model, params, data.X[idx], data.y[idx])
                opt.step(params, grads)
            current = _snapshot(epoch, params, model, data)
        yield current


def train(cfg: Config, data: Dataset, on_epoch: Callable[[Epoch], None] | None = None) -> History:
    """Run training to completion and return the History.

    Divergence and KeyboardInterrupt (Ctrl-C, or SIGTERM through
    ``errors.Interrupted``) end training early; the History keeps every
    finite epoch before it and says why it stopped in ``stop_reason`` and
    ``message``. An interrupt is re-raised by the CLI after it decides what to
    keep; library callers get the partial History.
    """
    model = build_model(cfg, data)
    epochs: list[Epoch] = []
    reason, message, signum = "epochs", "", 0
    try:
        for ep in iter_epochs(cfg, data, model):
            epochs.append(ep)
            if on_epoch:
                on_epoch(ep)
        if epochs and cfg.train.stop_loss and epochs[-1].loss <= cfg.train.stop_loss:
            reason = "stop_loss"
            message = f"reached loss {epochs[-1].loss:.4g} <= stop_loss {cfg.train.stop_loss:g} at epoch {epochs[-1].epoch}"
    except Diverged as exc:
        if not epochs:
            # Epoch 0 is the untrained network: no learning rate can cause
            # this, only data too large to compute a loss on.
            raise DataError(
                f"the loss of the untrained network is not finite ({exc}): the {data.name} data "
                "holds values too large to compute with; rescale them (e.g. to within +-1000)"
            ) from None
        reason = "diverged"
        where = len(epochs)
        message = (
            f"diverged at epoch {where} ({exc}) with {cfg.train.optimizer} lr={cfg.train.lr:g}; "
            f"try a smaller --lr (e.g. {cfg.train.lr / 10:g})"
        )
    except KeyboardInterrupt as exc:
        reason = "interrupted"
        message = f"interrupted at epoch {len(epochs)}"
        signum = getattr(exc, "signum", 2)
        if not epochs:
            raise
    names = metric_names(model.task, len(data.y_test) > 0)
    return History(model, tuple(epochs), reason, message, names, signal=signum)
