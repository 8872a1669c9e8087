"""History <-> CSV, so a run can be re-rendered without retraining.

One row per snapshot: ``epoch``, then ``step`` (optimizer steps so far) only
when snapshots are sub-epoch (``train.snapshot_every``), the metrics, then
every parameter entry as its own column (``W{layer}_{i}_{j}``,
``b{layer}_{j}``, layers from 1). Files without ``step`` read as per-epoch
histories. Floats are written as their shortest round-trip repr and read back with pandas'
``round_trip`` parser, so a loaded History is bit-identical to the trained one.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..atomic import atomic_path
from ..errors import DataError
from . import nn
from .data.csv import CappedReader

Array = np.ndarray


@dataclass(frozen=True)
class Epoch:
    """The network at one snapshot (epoch 0: as initialised).

    By default a snapshot ends an epoch. With sub-epoch snapshots ``epoch`` is
    the epoch the snapshot falls in (1 for any step of the first epoch) and
    ``step`` counts optimizer steps since the start. ``step`` is None when
    unknown (a history CSV without a step column).
    """

    epoch: int
    params: tuple[Array, ...]
    metrics: dict[str, float]
    step: int | None = None

    @property
    def loss(self) -> float:
        return self.metrics["loss"]


@dataclass(frozen=True)
class History:
    """Everything training hands to rendering: the model and every epoch."""

    model: nn.Model
    epochs: tuple[Epoch, ...]
    stop_reason: str = "epochs"  # or stop_loss, diverged, interrupted
    message: str = ""
    metric_names: tuple[str, ...] = field(default=())
    # The signal behind an "interrupted" stop (2 SIGINT, 15 SIGTERM), so the
    # CLI can exit 130 or 143 as the shell expects; 0 otherwise.
    signal: int = 0
    # Snapshots every N optimizer steps rather than once per epoch: several
    # may share an epoch number, so the CSV needs its step column.
    sub_epoch: bool = False

    @property
    def task(self) -> str:
        return self.model.task

    @property
    def last(self) -> Epoch:
        return self.epochs[-1]

    def __len__(self) -> int:
        return len(self.epochs)

    def column(self, name: str) -> Array:
        """One metric over all epochs, e.g. ``history.column("loss")``."""
        return np.array([e.metrics[name] for e in self.epochs])


def _round_trip_option() -> dict[str, str]:
    import pandas as pd

    # pandas 3 parses floats exactly by default and deprecates the option.
    return {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


_PARAM = re.compile(r"([Wb])(\d+)_(\d+)(?:_(\d+))?$")


def param_columns(model: nn.Model) -> list[str]:
    cols: list[str] = []
    for layer, (fan_in, fan_out) in enumerate(zip(model.sizes[:-1], model.sizes[1:]), start=1):
        cols += [f"W{layer}_{i}_{j}" for i in range(fan_in) for j in range(fan_out)]
        cols += [f"b{layer}_{j}" for j in range(fan_out)]
    return cols


def to_frame(history: History):
    """The History as a pandas DataFrame (one row per epoch)."""
    import pandas as pd

    names = history.metric_names or tuple(history.epochs[0].metrics)
    # The step column only for sub-epoch runs, so per-epoch CSVs keep their old bytes.
    steps = ["step"] if history.sub_epoch else []
    rows = [
        [
            ep.epoch,
            *([ep.step] if steps else []),
            *(ep.metrics[m] for m in names),
            *np.concatenate([p.ravel() for p in ep.params]),
        ]
        for ep in history.epochs
    ]
    frame = pd.DataFrame(rows, columns=["epoch", *steps, *names, *param_columns(history.model)])
    return frame.astype({c: "int64" for c in ["epoch", *steps]})


def write_history(history: History, dest: str | os.PathLike[str]) -> Path:
    """Write the history CSV atomically and return its path."""
    dest = Path(dest)
    frame = to_frame(history)
    with atomic_path(dest) as tmp:
        # repr-style formatting: the shortest string that round-trips float64.
        frame.to_csv(tmp, index=False, float_format=None, lineterminator="\n")
    return dest


def _sizes_from_columns(columns: list[str]) -> tuple[int, ...]:
    shapes: dict[int, tuple[int, int]] = {}
    for col in columns:
        m = _PARAM.match(col)
        if m and m.group(1) == "W":
            layer, i, j = int(m.group(2)), int(m.group(3)), int(m.group(4))
            fi, fo = shapes.get(layer, (0, 0))
            shapes[layer] = (max(fi, i + 1), max(fo, j + 1))
    if not shapes or sorted(shapes) != list(range(1, len(shapes) + 1)):
        raise DataError("history CSV has no W{layer}_{i}_{j} parameter columns for layers 1..N")
    sizes = [shapes[1][0]] + [shapes[k][1] for k in sorted(shapes)]
    for k in sorted(shapes):
        if shapes[k][0] != sizes[k - 1]:
            raise DataError(
                f"history CSV layer {k} has {shapes[k][0]} inputs but layer {k - 1} has {sizes[k - 1]} outputs"
            )
    return tuple(sizes)


def _check_finite(numeric, source: str) -> None:
    """Refuse inf in any column: training stops before a parameter or metric stops being finite."""
    bad = ~np.isfinite(numeric.to_numpy(dtype=float))
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise DataError(
            f"history file {source!r} line {row + 2}: column {numeric.columns[col]!r} is "
            f"{numeric.iat[row, col]}; every value must be a finite number"
        )


def _check_order(epochs: Array, steps: Array | None, source: str) -> None:
    """Refuse snapshots out of training order, or repeated.

    Rendering draws rows in file order and the loss panel plots them as one
    curve, so a swapped or pasted-twice row would play the run backwards.
    Per-epoch files: epochs are whole numbers >= 0 that increase. Sub-epoch
    files (a step column) share epochs: the epoch may repeat but never go
    back, and the step increases.
    """
    where = f"history file {source!r} line"
    bad = (epochs < 0) | (epochs != np.floor(epochs))
    if bad.any():
        raise DataError(f"{where} {int(bad.argmax()) + 2}: epoch must be a whole number >= 0")
    back = epochs[1:] < epochs[:-1]
    same = epochs[1:] == epochs[:-1]
    wrong = back | (same if steps is None else steps[1:] <= steps[:-1])
    if not wrong.any():
        return
    r = int(wrong.argmax()) + 1
    line, was, now = r + 2, int(epochs[r - 1]), int(epochs[r])
    if steps is None or back[r - 1]:
        what = "repeats" if now == was else f"follows epoch {was}"
        must = "increase" if steps is None else "not decrease"
        raise DataError(f"{where} {line}: epoch {now} {what}; epochs must {must}")
    step, prev = int(steps[r]), int(steps[r - 1])
    what = "repeats" if step == prev else f"follows step {prev}"
    raise DataError(f"{where} {line}: step {step} {what}; steps must increase")


# The largest History training keeps (train.MAX_HISTORY_BYTES, 2 GiB of
# float64) writes at most 25 characters a number; the widest network nnviz
# trains (16 layers of 1024 units on 784 pixels) ~16.5 million parameters, about
# 200 MB a row. A pipe or device has no size to check, so reading stops there:
# without a cap a stream with no newline (or /dev/zero) grows without bound.
MAX_CSV_BYTES = 25 * (2 * 2**30 // 8)
MAX_LINE_BYTES = 256 * 2**20


def _open_capped(p: Path) -> BinaryIO:
    raw = CappedReader(
        p.open("rb", buffering=0),
        f"history file {str(p)!r}",
        MAX_CSV_BYTES,
        "give the history CSV nnviz wrote (run.csv beside run.toml)",
        line_cap=MAX_LINE_BYTES,
    )
    return io.BufferedReader(raw, buffer_size=2**20)


def read_history(
    path: str | os.PathLike[str], activation: str = "tanh", loss: str | None = None, leaky_slope: float = nn.LEAKY_SLOPE
) -> History:
    """Load a history CSV written by ``write_history``.

    The CSV holds numbers only, so the activation (with leaky_relu's slope, and,
    for ``sse``, the loss) come from the run's config. The task follows from the metric columns and
    the output width.
    """
    import pandas as pd

    p = Path(path)
    try:
        with _open_capped(p) as f:
            frame = pd.read_csv(f, **_round_trip_option())  # type: ignore[call-overload]  # option by pandas version
    except FileNotFoundError:
        raise DataError(f"history file {str(p)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"history file {str(p)!r} cannot be read: {str(exc).splitlines()[0]}") from None
    columns = list(frame.columns)
    if "epoch" not in columns or "loss" not in columns:
        raise DataError(f"history file {str(p)!r} needs 'epoch' and 'loss' columns; found {', '.join(columns[:6])}")
    if frame.empty:
        raise DataError(f"history file {str(p)!r} has no epochs")
    sizes = _sizes_from_columns(columns)
    expected = param_columns(nn.Model(sizes, activation, "mse"))
    missing = [c for c in expected if c not in columns]
    if missing:
        raise DataError(f"history file {str(p)!r} lacks parameter column {missing[0]}")
    numeric = frame[["epoch", *[c for c in columns if c != "epoch"]]].apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        row = int(numeric.isna().any(axis=1).to_numpy().argmax())
        raise DataError(f"history file {str(p)!r} line {row + 2}: a value is missing or not a number")
    if loss is None:  # a classifier's metrics say which head; otherwise regression
        loss = ("ce" if sizes[-1] > 1 else "bce") if "accuracy" in columns else "mse"
    model = nn.Model(sizes, activation, loss, leaky_slope)
    names = tuple(c for c in columns if c not in ("epoch", "step") and not _PARAM.match(c))
    _check_finite(numeric, str(p))
    steps = numeric["step"].to_numpy() if "step" in columns else None
    if steps is not None and not ((steps >= 0) & (steps == np.floor(steps))).all():
        row = int(((steps < 0) | (steps != np.floor(steps))).argmax())
        raise DataError(f"history file {str(p)!r} line {row + 2}: step must be a whole number >= 0")
    _check_order(numeric["epoch"].to_numpy(), steps, str(p))
    values = numeric[expected].to_numpy(dtype=float)
    shapes = model.param_shapes()
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    epochs = tuple(
        Epoch(
            int(numeric["epoch"].iloc[r]),
            tuple(values[r, bounds[k] : bounds[k + 1]].reshape(shapes[k]) for k in range(len(shapes))),
            {m: float(numeric[m].iloc[r]) for m in names},
            None if steps is None else int(steps[r]),
        )
        for r in range(len(frame))
    )
    return History(model, epochs, "epochs", f"loaded from {p}", names, sub_epoch=steps is not None)


def config_beside(path: str | os.PathLike[str]) -> Path:
    """The resolved config a history CSV was trained with: ``run.toml`` beside ``run.csv``.

    The CSV holds numbers only; without its config a re-render would have to
    guess the activation and the loss, and draw a wrong surface.
    """
    p = Path(path)
    toml = p.with_suffix(".toml")
    if not toml.is_file():
        raise DataError(
            f"history file {str(p)!r} has no config beside it ({toml.name!r}): re-rendering needs the "
            "activation, loss and data it was trained with; pass the run's .toml with --config"
        )
    return toml


def check_fits(history: History, model: nn.Model, source: str) -> None:
    """Refuse to draw ``history`` with a network it was not trained with."""
    if history.model.sizes != model.sizes:
        trained = "-".join(map(str, history.model.sizes))
        described = "-".join(map(str, model.sizes))
        raise DataError(
            f"history file {source!r} holds a {trained} network, but the config and data describe {described}; "
            "re-render with the config it was trained with"
        )
