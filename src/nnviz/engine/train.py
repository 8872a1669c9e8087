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
from dataclasses import dataclass, replace

import numpy as np

from .. import signals
from ..config import MAX_ACTIVATIONS, MAX_FRAMES, Config
from ..errors import ConfigError, DataError
from . import nn
from .data import Dataset, load_dataset
from .events import Event, find_events
from .history import Epoch, History
from .optimizers import Fused

Array = np.ndarray


class Diverged(Exception):
    """Raised inside the loop when the loss or a parameter stops being finite.

    ``where`` names the snapshot ("epoch 5", or "epoch 1, step 7" when
    snapshots are sub-epoch) for the History's message.
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


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
    return load_dataset(
        d.name,
        path=d.path,
        n_samples=d.n_samples,
        noise=d.noise,
        test_fraction=d.test_fraction,
        seed=cfg.data_seed,
        task=d.task,
        target=d.target,
    )


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
    return nn.Model((data.n_features, *cfg.model.hidden, n_out), cfg.model.activation, loss, cfg.model.leaky_slope)


# Every snapshot holds a copy of every parameter plus a full-set forward pass;
# past the frame cap an animation could not show them all anyway.
MAX_SNAPSHOTS = MAX_FRAMES
# The History keeps every snapshot's parameters in memory (and in the CSV).
MAX_HISTORY_BYTES = 2 * 2**30
DTYPES: dict[str, type] = {"float64": np.float64, "float32": np.float32}


def batch_rows(cfg: Config, n: int) -> int:
    """Rows per optimizer step for ``n`` training samples."""
    size = cfg.train.batch_size
    return n if isinstance(size, str) else min(size, n)  # a string is "full"


def total_steps(cfg: Config, n: int) -> int:
    """Optimizer steps in the whole run: every epoch, every batch (the last may be short)."""
    return cfg.train.epochs * -(-n // batch_rows(cfg, n))


def snapshot_steps(cfg: Config, n: int) -> list[int]:
    """The optimizer steps after which a snapshot is taken (0: before any update).

    Once per epoch by default; with ``train.snapshot_every = N`` every Nth
    step, and always the last step so the trained network is kept.
    """
    total = total_steps(cfg, n)
    per_epoch = -(-n // batch_rows(cfg, n))
    every = cfg.train.snapshot_every or per_epoch
    steps = list(range(0, total + 1, every))
    return steps if steps[-1] == total else [*steps, total]


def check_snapshot_budget(cfg: Config, model: nn.Model, n: int) -> None:
    """Refuse, before training, a run whose snapshots exceed the count or memory cap."""
    every = cfg.train.snapshot_every
    total = total_steps(cfg, n)
    # As len(snapshot_steps(...)), without building the list.
    count = total // every + 1 + (total % every > 0) if every else cfg.train.epochs + 1
    per_epoch = -(-n // batch_rows(cfg, n))
    if every and count > MAX_SNAPSHOTS:
        raise ConfigError(
            f"--snapshot-every {every} with --epochs {cfg.train.epochs} ({per_epoch} steps per epoch: "
            f"{n} samples, batch {batch_rows(cfg, n)}) gives {count:,} snapshots, over the cap of "
            f"{MAX_SNAPSHOTS:,}; use --snapshot-every {-(-total // (MAX_SNAPSHOTS - 1))} or more, or fewer --epochs"
        )
    size = 8 * sum(int(np.prod(s)) for s in model.param_shapes())  # float64 copies
    if count * size > MAX_HISTORY_BYTES:
        every_flag = f"--snapshot-every {every} with " if every else ""
        raise ConfigError(
            f"{every_flag}--epochs {cfg.train.epochs} keeps {count:,} snapshots of {size // 8:,} parameters "
            f"({count * size / 2**30:.1f} GiB), over the history cap of {MAX_HISTORY_BYTES / 2**30:g} GiB; "
            f"use fewer --epochs{', a larger --snapshot-every' if every else ''} or narrower --hidden layers"
        )


def _cast(data: Dataset, dtype: type) -> Dataset:
    """``data`` with features (and non-class targets) in ``dtype``, cast once before training."""
    if dtype is np.float64 and data.X.dtype == np.float64:
        return data  # the default run uses the caller's arrays untouched
    y_type = data.y.dtype if data.task == "multiclass" else dtype
    return replace(
        data,
        X=data.X.astype(dtype),
        y=data.y.astype(y_type),
        X_test=data.X_test.astype(dtype),
        y_test=data.y_test.astype(y_type),
    )


@dataclass(frozen=True)
class Scaling:
    """The standardisation a run trains with: each feature's training mean and std.

    The network trains on ``(x - mean) / std``. Its snapshots fold the scaling
    into the first layer (``W / std``, ``b - (mean / std) W``), so a History's
    network reads the user's own units: every picture, re-render and CSV
    draws in them, and the hidden values are exactly those training saw.
    """

    mean: Array
    std: Array

    def apply(self, X: Array) -> Array:
        return (X - self.mean) / self.std

    def fold(self, params: tuple[Array, ...]) -> tuple[Array, ...]:
        W, b = params[0], params[1]
        return (W / self.std[:, None], b - (self.mean / self.std) @ W, *params[2:])


def scaling(cfg: Config, data: Dataset) -> Scaling | None:
    """How a run standardises its inputs: a file's features (``data.scaled`` False), unless data.standardize is off."""
    if not cfg.data.standardize or data.scaled or not len(data.y):
        return None
    X = np.asarray(data.X, dtype=np.float64)
    std = X.std(axis=0)
    # A constant feature carries nothing to learn from: leave it unscaled rather than divide by zero.
    return Scaling(X.mean(axis=0), np.where(std > 0, std, 1.0))


def _scaled(data: Dataset, scale: Scaling | None) -> Dataset:
    if scale is None:
        return data
    return replace(data, X=scale.apply(data.X), X_test=scale.apply(data.X_test) if len(data.X_test) else data.X_test)


def _snapshot(
    epoch: int,
    step: int,
    params: list[Array],
    model: nn.Model,
    data: Dataset,
    sub_epoch: bool,
    scale: Scaling | None = None,
) -> Epoch:
    # Upcast copies: every float32 is exactly a float64, so a History (and its
    # CSV) is float64 whatever the training dtype, and loses nothing.
    frozen = tuple(p.astype(np.float64) for p in params)
    if scale is not None:  # the History's network reads the user's units
        frozen = scale.fold(frozen)
    where = f"epoch {epoch}, step {step}" if sub_epoch else f"epoch {epoch}"
    if not all(np.isfinite(p).all() for p in frozen):
        raise Diverged(f"a parameter became non-finite at {where}", where)
    # Overflow here is reported as divergence below; NumPy need not warn too.
    # Metrics use the training-dtype params: what the run actually computes.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        metrics = evaluate(model, tuple(params), data)
    if not all(math.isfinite(v) for v in metrics.values()):
        raise Diverged(f"the loss became non-finite at {where}", where)
    return Epoch(epoch, frozen, metrics, step)


def iter_epochs(cfg: Config, data: Dataset, model: nn.Model | None = None) -> Iterator[Epoch]:
    """Train and yield one Epoch per snapshot; raises Diverged when numbers blow up.

    Snapshots come once per epoch, or every ``train.snapshot_every`` optimizer
    steps (``snapshot_steps``); each is yielded as soon as it is taken, so
    ``stop_loss``, divergence and Ctrl-C act at snapshot granularity.
    """
    model = model or build_model(cfg, data)
    n = len(data.y)
    check_snapshot_budget(cfg, model, n)
    dtype = DTYPES[cfg.train.dtype]
    scale = scaling(cfg, data)
    data = _cast(_scaled(data, scale), dtype)
    rng = np.random.default_rng(cfg.train.seed)
    # Drawn in float64 and then rounded, so a float32 run starts where the float64 one does.
    init: list[Array] = [
        p.astype(dtype, copy=False) for p in nn.init_params(model, rng, cfg.model.init, cfg.model.init_std)
    ]
    opt = Fused(cfg.train.optimizer, init, cfg.train.lr, cfg.train.weight_decay)
    params, grads = opt.params, opt.grads
    batch = batch_rows(cfg, n)
    per_epoch = -(-n // batch)
    sub_epoch = cfg.train.snapshot_every > 0
    stop = cfg.train.stop_loss
    targets = iter(snapshot_steps(cfg, n)[1:])
    current = _snapshot(0, 0, params, model, data, sub_epoch, scale)
    yield current
    if stop and current.loss <= stop:
        return
    step, target = 0, next(targets)
    for epoch in range(1, cfg.train.epochs + 1):
        order = rng.permutation(n)
        b = 0
        while b < per_epoch:
            chunk = min(per_epoch - b, target - step)  # up to the next snapshot or the epoch's end
            # Overflow inside one step is expected when a run diverges; the
            # snapshot's finiteness check reports it, so NumPy need not warn.
            with np.errstate(over="ignore", invalid="ignore"):
                for start in range(b * batch, (b + chunk) * batch, batch):
                    idx = order[start : start + batch]
                    nn.grads(model, params, data.X[idx], data.y[idx], out=grads)
                    opt.step()
                b, step = b + chunk, step + chunk
                if step < target:
                    break  # the epoch ended between snapshots
                current = _snapshot(epoch, step, params, model, data, sub_epoch, scale)
            yield current
            following = next(targets, None)
            if following is None or (stop and current.loss <= stop):
                return
            target = following


def train(cfg: Config, data: Dataset, on_epoch: Callable[[Epoch], None] | None = None) -> History:
    """Run training to completion and return the History.

    Divergence and KeyboardInterrupt (Ctrl-C, or SIGTERM through
    ``errors.Interrupted``) end training early; the History keeps every
    finite epoch before it and says why it stopped in ``stop_reason`` and
    ``message``. An interrupt is re-raised by the CLI after it decides what to
    keep; library callers get the partial History.
    """
    model = build_model(cfg, data)
    sub_epoch = cfg.train.snapshot_every > 0
    epochs: list[Epoch] = []
    reason, message, signum = "epochs", "", 0
    try:
        for ep in iter_epochs(cfg, data, model):
            epochs.append(ep)
            if on_epoch:
                on_epoch(ep)
            signals.check()  # a Ctrl-C that C code swallowed (see signals) ends training here
        if epochs and cfg.train.stop_loss and epochs[-1].loss <= cfg.train.stop_loss:
            reason = "stop_loss"
            message = (
                f"reached loss {epochs[-1].loss:.4g} <= stop_loss {cfg.train.stop_loss:g} "
                f"at {_where(epochs[-1], sub_epoch)}"
            )
    except Diverged as exc:
        if not epochs:
            # Epoch 0 is the untrained network: no learning rate can cause
            # this, only data too large to compute a loss on.
            raise DataError(
                f"the loss of the untrained network is not finite ({exc}): the {data.name} data "
                "holds values too large to compute with; rescale them (e.g. to within +-1000)"
            ) from None
        reason = "diverged"
        message = (
            f"diverged at {exc.where} ({exc}) with {cfg.train.optimizer} lr={cfg.train.lr:g}; "
            f"try a smaller --lr (e.g. {cfg.train.lr / 10:g})"
        )
    except KeyboardInterrupt as exc:
        reason = "interrupted"
        message = (
            f"interrupted after {_where(epochs[-1], sub_epoch)}"
            if epochs and sub_epoch
            else f"interrupted at epoch {len(epochs)}"
        )
        signum = getattr(exc, "signum", 2)
        if not epochs:
            raise
    names = metric_names(model.task, len(data.y_test) > 0)
    return History(model, tuple(epochs), reason, message, names, signal=signum, sub_epoch=sub_epoch)


def _where(ep: Epoch, sub_epoch: bool) -> str:
    return f"epoch {ep.epoch}, step {ep.step}" if sub_epoch else f"epoch {ep.epoch}"


def run_events(history: History, data: Dataset, cfg: Config) -> tuple[Event, ...]:
    """The run's training events. Its inputs count as standardised when they came scaled or the run
    standardised them, so only an unscaled run's events blame the inputs."""
    return find_events(history, data, standardized=data.scaled or cfg.data.standardize)
