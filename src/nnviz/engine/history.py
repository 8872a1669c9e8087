"""History <-> CSV, so a run can be re-rendered without retraining.

One row per snapshot: ``epoch``, then ``step`` (optimizer steps so far) only
when snapshots are sub-epoch (``train.snapshot_every``), the metrics, then
every parameter entry as its own column (``W{layer}_{i}_{j}``,
``b{layer}_{j}``, layers from 1). Files without ``step`` read as per-epoch
histories. Floats are written as their shortest round-trip repr and read back with pandas'
``round_trip`` parser, so a loaded History is bit-identical to the trained one.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..atomic import atomic_path, recover_sets
from ..bounded import open_input
from ..errors import DataError
from . import nn

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


def _header(history: History, names: tuple[str, ...]) -> Iterator[str]:
    """The CSV header in pieces: one per layer's parameters, so a 16.5-million-column header is never one list."""
    steps = ("step",) if history.sub_epoch else ()
    yield ",".join(_csv_cell(c) for c in ("epoch", *steps, *names))
    for layer, (fan_in, fan_out) in enumerate(zip(history.model.sizes[:-1], history.model.sizes[1:]), start=1):
        yield ",".join(f"W{layer}_{i}_{j}" for i in range(fan_in) for j in range(fan_out))
        yield ",".join(f"b{layer}_{j}" for j in range(fan_out))


def _csv_cell(text: str) -> str:
    """A header cell as pandas' to_csv writes it: quoted only when it holds a comma, quote or line break."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _floats(values: Array) -> str:
    """float64 values as pandas writes them: the shortest round-trip repr, NaN as an empty cell."""
    numbers = np.asarray(values, dtype=np.float64).ravel()
    if np.isnan(numbers).any():
        return ",".join("" if math.isnan(v) else repr(v) for v in numbers.tolist())
    return ",".join(map(repr, numbers.tolist()))


def write_history(history: History, dest: str | os.PathLike[str]) -> Path:
    """Write the history CSV atomically and return its path.

    Streamed a snapshot and a layer at a time, with the bytes ``to_frame(history).to_csv``
    writes: a DataFrame of one column per parameter took minutes and gigabytes
    for a 1024x1024 network, and ran out of memory on the widest.
    """
    dest = Path(dest)
    names = history.metric_names or tuple(history.epochs[0].metrics)
    with atomic_path(dest) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(piece for piece in _header(history, names) if piece) + "\n")
        for ep in history.epochs:
            cells = [str(int(ep.epoch)), *([str(int(ep.step or 0))] if history.sub_epoch else [])]
            if names:
                cells.append(_floats(np.array([ep.metrics[m] for m in names], dtype=np.float64)))
            f.write(",".join(cells))
            for p in ep.params:
                f.write("," + _floats(p))
            f.write("\n")
    return dest


def _param_index(name: str, columns: int, source: str) -> tuple[str, int, int, int | None] | None:
    """``W1_2_3`` as ("W", 1, 2, 3), ``b1_3`` as ("b", 1, 3, None); None for any other column.

    An index is at most as long as the column count (a layer of k units needs
    more than k columns), so a 5,000-digit index is refused before ``int`` sees it.
    """
    m = _PARAM.match(name)
    if m is None:
        return None
    digits = [g for g in m.groups()[1:] if g is not None]
    longest = len(str(columns))
    if any(len(g) > longest for g in digits) or any(int(g) >= columns for g in digits):
        shown = name[:40] + ("..." if len(name) > 40 else "")
        raise DataError(
            f"history file {source!r}: column {shown!r} names a layer or unit beyond what its "
            f"{columns:,} columns can hold"
        )
    kind, layer, a = m.group(1), int(m.group(2)), int(m.group(3))
    return kind, layer, a, (int(m.group(4)) if m.group(4) is not None else None)


def _sizes_from_columns(params: list[tuple[str, int, int, int | None]]) -> tuple[int, ...]:
    shapes: dict[int, tuple[int, int]] = {}
    for kind, layer, i, j in params:
        if kind == "W" and j is not None:
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


def _expected(sizes: tuple[int, ...]) -> Iterator[str]:
    """The parameter columns of a network of ``sizes``, in the order nnviz writes them (lazily)."""
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        for i in range(fan_in):
            for j in range(fan_out):
                yield f"W{layer}_{i}_{j}"
        for j in range(fan_out):
            yield f"b{layer}_{j}"


def _check_params(found: list[str], sizes: tuple[int, ...], source: str) -> None:
    """The parameter columns are exactly the network's, in nnviz's order: the first missing one is named."""
    want = _expected(sizes)
    for name in found:
        expected = next(want, None)
        if expected is None or name != expected:
            missing = expected if expected is not None and expected not in found else None
            if missing is not None:
                raise DataError(f"history file {source!r} lacks parameter column {missing}")
            raise DataError(
                f"history file {source!r}: parameter column {name!r} is out of place or repeated; "
                f"expected {expected or 'no more parameters'} (the order nnviz writes)"
            )
    rest = next(want, None)
    if rest is not None:
        raise DataError(f"history file {source!r} lacks parameter column {rest}")


def _check_finite(values: Array, names: list[str], lines: list[int], source: str) -> None:
    """Refuse inf in any column: training stops before a parameter or metric stops being finite."""
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise DataError(
            f"history file {source!r} line {lines[row]}: column {names[col]!r} is "
            f"{values[row, col]}; every value must be a finite number"
        )


def _check_order(epochs: Array, steps: Array | None, source: str, lines: list[int] | None = None) -> None:
    """Refuse snapshots out of training order, or repeated.

    Rendering draws rows in file order and the loss panel plots them as one
    curve, so a swapped or pasted-twice row would play the run backwards.
    Per-epoch files: epochs are whole numbers >= 0 that increase. Sub-epoch
    files (a step column) share epochs: the epoch may repeat but never go
    back, and the step increases.
    """
    line_of = (lambda r: lines[r]) if lines is not None else (lambda r: r + 2)
    where = f"history file {source!r} line"
    bad = (epochs < 0) | (epochs != np.floor(epochs))
    if bad.any():
        raise DataError(f"{where} {line_of(int(bad.argmax()))}: epoch must be a whole number >= 0")
    big = epochs > MAX_EPOCHS
    if big.any():
        raise DataError(f"{where} {line_of(int(big.argmax()))}: epoch is over {MAX_EPOCHS:,}, the most nnviz trains")
    back = epochs[1:] < epochs[:-1]
    same = epochs[1:] == epochs[:-1]
    wrong = back | (same if steps is None else steps[1:] <= steps[:-1])
    if not wrong.any():
        return
    r = int(wrong.argmax()) + 1
    line, was, now = line_of(r), int(epochs[r - 1]), int(epochs[r])
    if steps is None or back[r - 1]:
        what = "repeats" if now == was else f"follows epoch {was}"
        must = "increase" if steps is None else "not decrease"
        raise DataError(f"{where} {line}: epoch {now} {what}; epochs must {must}")
    step, prev = int(steps[r]), int(steps[r - 1])
    what = "repeats" if step == prev else f"follows step {prev}"
    raise DataError(f"{where} {line}: step {step} {what}; steps must increase")


# The largest History training keeps (train.MAX_HISTORY_BYTES, 2 GiB of
# float64) writes at most 25 characters a number; the widest network nnviz
# trains (16 layers of 1024 units on 784 pixels) has 16.6 million parameters,
# up to 415 MB a row. A pipe or device has no size to check, so reading stops there:
# without a cap a stream with no newline (or /dev/zero) grows without bound.
MAX_CSV_BYTES = 25 * (2 * 2**30 // 8)
MAX_LINE_BYTES = 448 * 2**20
# The caps training keeps to, repeated here because config and train import this module
# (tests/test_robust_history.py ties them): train.MAX_HISTORY_BYTES, config.MAX_EPOCHS and
# train.MAX_SNAPSHOTS. A file holds one snapshot per epoch (epochs 0..MAX_EPOCHS), or with
# a step column at most the snapshots training keeps.
MAX_PARAM_BYTES = 2 * 2**30
MAX_EPOCHS = 100_000
MAX_ROWS = {False: MAX_EPOCHS + 1, True: 20_000}


def _open_capped(p: Path) -> BinaryIO:
    what = f"history file {str(p)!r}"
    return open_input(
        p, what, MAX_CSV_BYTES, "give the history CSV nnviz wrote (run.csv beside run.toml)", line_cap=MAX_LINE_BYTES
    )


@dataclass(frozen=True)
class _Table:
    """A history CSV's header and its rows as floats, with the file line of each row."""

    columns: list[str]
    values: Array  # rows x columns, float64
    lines: list[int]


def _read_table(p: Path) -> _Table:
    """Parse the CSV a row at a time (a 2-million-column pandas frame took minutes), capped in rows."""
    source = str(p)
    with _open_capped(p) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        reader = csv.reader(text, strict=True)
        header = next(reader, None)
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)  # blank lines before the header, as pandas skipped them
        if header is None:
            raise DataError(f"history file {source!r} cannot be read: it is empty")
        columns = [c.strip() for c in header]
        cap = MAX_ROWS["step" in columns]
        rows: list[Array] = []
        lines: list[int] = []
        line = reader.line_num + 1
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                line = reader.line_num + 1
                continue  # a blank line
            if len(rows) == cap:
                raise DataError(
                    f"history file {source!r} has more than {cap:,} snapshots; training keeps at most {cap:,}"
                )
            if len(row) > len(columns):
                raise DataError(
                    f"history file {source!r} line {line}: expected {len(columns)} fields, found {len(row)}"
                )
            try:
                if len(row) < len(columns):
                    raise ValueError("short")
                values = np.array(row, dtype=np.float64)  # as float() parses: exact for every repr
            except ValueError:
                raise DataError(f"history file {source!r} line {line}: a value is missing or not a number") from None
            if np.isnan(values).any():
                raise DataError(f"history file {source!r} line {line}: a value is missing or not a number")
            rows.append(values)
            lines.append(line)
            line = reader.line_num + 1
    values = np.stack(rows) if rows else np.zeros((0, len(columns)))
    return _Table(columns, values, lines)


def read_history(
    path: str | os.PathLike[str], activation: str = "tanh", loss: str | None = None, leaky_slope: float = nn.LEAKY_SLOPE
) -> History:
    """Load a history CSV written by ``write_history``.

    The CSV holds numbers only, so the activation (with leaky_relu's slope, and,
    for ``sse``, the loss) come from the run's config. The task follows from the
    metric columns and the output width. Every size is bounded: the file's bytes
    and line length, its snapshots (the epoch or snapshot cap), its column names
    and indices. A run killed between the renames of its set (SIGKILL, a power
    loss) left a journal beside the CSV: the set is finished first, so the CSV
    read is the one beside its own TOML and animation.
    """
    p = Path(path)
    source = str(p)
    recover_sets(p.parent)
    try:
        table = _read_table(p)
    except FileNotFoundError:
        raise DataError(f"history file {source!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"history file {source!r} cannot be read: not UTF-8 text (bad byte at offset {exc.start})"
        ) from None
    except csv.Error as exc:
        raise DataError(f"history file {source!r} cannot be read: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise DataError(f"history file {source!r} cannot be read: {exc.strerror or exc}") from None
    columns = table.columns
    if "epoch" not in columns or "loss" not in columns:
        raise DataError(f"history file {source!r} needs 'epoch' and 'loss' columns; found {', '.join(columns[:6])}")
    if not table.lines:
        raise DataError(f"history file {source!r} has no epochs")
    others, where, sizes = _layout(columns, source)
    if len(table.lines) * len(where) * 8 > MAX_PARAM_BYTES:
        raise DataError(
            f"history file {source!r} holds {len(table.lines):,} snapshots of {len(where):,} parameters, over the "
            f"history cap of {MAX_PARAM_BYTES / 2**30:g} GiB"
        )
    at = {columns[i]: i for i in others}
    if loss is None:  # a classifier's metrics say which head; otherwise regression
        loss = ("ce" if sizes[-1] > 1 else "bce") if "accuracy" in at else "mse"
    model = nn.Model(sizes, activation, loss, leaky_slope)
    names = tuple(columns[i] for i in others if columns[i] not in ("epoch", "step"))
    epochs = table.values[:, at["epoch"]]
    steps = table.values[:, at["step"]] if "step" in at else None
    if not np.isfinite(table.values).all():
        # Named in the order the checks have always used: epoch, step, the metrics, then the parameters.
        order = [at["epoch"], *([at["step"]] if steps is not None else []), *(at[m] for m in names), *where]
        _check_finite(table.values[:, order], [columns[i] for i in order], table.lines, source)
    if steps is not None and not ((steps >= 0) & (steps == np.floor(steps))).all():
        row = int(((steps < 0) | (steps != np.floor(steps))).argmax())
        raise DataError(f"history file {source!r} line {table.lines[row]}: step must be a whole number >= 0")
    _check_order(epochs, steps, source, table.lines)
    # nnviz writes the parameters side by side: a view then; columns moved about by hand are gathered.
    contiguous = bool(np.all(np.diff(where) == 1))
    values = table.values[:, where[0] : where[-1] + 1] if contiguous else table.values[:, where]
    shapes = model.param_shapes()
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    history_epochs = tuple(
        Epoch(
            int(epochs[r]),
            tuple(values[r, bounds[k] : bounds[k + 1]].reshape(shapes[k]) for k in range(len(shapes))),
            {m: float(table.values[r, at[m]]) for m in names},
            None if steps is None else int(steps[r]),
        )
        for r in range(len(table.lines))
    )
    return History(model, history_epochs, "epochs", f"loaded from {p}", names, sub_epoch=steps is not None)


def _layout(columns: list[str], source: str) -> tuple[list[int], Array, tuple[int, ...]]:
    """(other columns' indices, the parameter columns' indices in nnviz's order, the layer sizes).

    The file nnviz wrote (the others, then every parameter in order) is
    recognised by comparing its header with the one its sizes give; anything
    else is parsed name by name, so the message can say what is wrong.
    """
    fast = _nnviz_layout(columns)
    if fast is not None:
        first, sizes = fast
        return list(range(first)), np.arange(first, len(columns)), sizes
    parsed = [_param_index(c, len(columns), source) for c in columns]
    sizes = _sizes_from_columns([x for x in parsed if x is not None])
    _check_params([c for c, x in zip(columns, parsed) if x is not None], sizes, source)
    others = [i for i, x in enumerate(parsed) if x is None]
    names = [columns[i] for i in others]
    if len(set(names)) != len(names):
        twice = next(c for c in names if names.count(c) > 1)
        raise DataError(f"history file {source!r} has the column {twice!r} twice")
    return others, np.array([i for i, x in enumerate(parsed) if x is not None]), sizes


def _nnviz_layout(columns: list[str]) -> tuple[int, tuple[int, ...]] | None:
    """(index of W1_0_0, sizes) when the header is exactly what write_history writes, else None.

    Reads only the first column of each block (O(layers x units), not a regex
    per column: 16.5 million of those took a minute), then compares the whole
    header with the expected one in one list comparison.
    """
    first = next((i for i, c in enumerate(columns) if c == "W1_0_0"), None)
    if first is None or len(set(columns[:first])) != first or any(_PARAM.match(c) for c in columns[:first]):
        return None
    sizes: list[int] = []
    at, layer = first, 1
    while at < len(columns):
        fan_out = 0
        while at + fan_out < len(columns) and columns[at + fan_out] == f"W{layer}_0_{fan_out}":
            fan_out += 1
        fan_in = 0
        while at + fan_in * fan_out < len(columns) and columns[at + fan_in * fan_out] == f"W{layer}_{fan_in}_0":
            fan_in += 1
        if not fan_out or (sizes and sizes[-1] != fan_in):
            return None
        sizes = sizes or [fan_in]
        sizes.append(fan_out)
        at += fan_in * fan_out + fan_out
        layer += 1
    expected = list(_expected(tuple(sizes)))
    return (first, tuple(sizes)) if columns[first:] == expected else None


def config_beside(path: str | os.PathLike[str]) -> Path:
    """The resolved config a history CSV was trained with: ``run.toml`` beside ``run.csv``.

    The CSV holds numbers only; without its config a re-render would have to
    guess the activation and the loss, and draw a wrong surface. A set
    interrupted between its renames is finished first (see ``read_history``).
    """
    p = Path(path)
    recover_sets(p.parent)
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
