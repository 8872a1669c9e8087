"""Toy 2-D datasets, bundled digits and file readers (CSV, MNIST), as plain NumPy arrays.

Every generator is a pure function ``(n_samples, noise, rng) -> (X, y)`` that
draws only from the ``np.random.Generator`` it is handed, so the same seed
always gives bit-identical arrays. A file-backed kind has a reader
``(path, ReadOptions) -> Dataset`` instead. ``DATASETS`` maps each name to a
``DatasetSpec``; ``load_dataset`` builds or reads one, optionally holds out a
test split, and returns a frozen ``Dataset``.
"""

from __future__ import annotations

import array
import csv
import gzip
import io
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..bounded import CappedReader as CappedReader  # re-exported: its home is nnviz.bounded
from ..bounded import open_input
from ..errors import DataError
from . import mnist
from .nn import TASKS

Array = np.ndarray
Maker = Callable[[int, float, np.random.Generator], tuple[Array, Array]]

MIN_SAMPLES = 4  # matches the config's lower bound for data.n_samples
MAX_CLASSES = 20  # beyond this an integer target is far likelier a count than a label
# What a class label written as a number looks like: "1", "-2", "1.0", "0.00".
# "2.5", "1e3" and "1e308" read as measurements (a regression target).
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+(\.0*)?")


@dataclass(frozen=True)
class Dataset:
    """Training (and optional test) arrays plus the names needed to label plots."""

    name: str
    task: str
    X: Array
    y: Array
    X_test: Array
    y_test: Array
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    # One line on what was inferred or chosen (a CSV's task, an MNIST file's
    # split) for the CLI to print; empty when there is nothing to say.
    note: str = ""
    # (height, width) when each row is an image's pixels (digits, MNIST), so the
    # renderer can draw a few samples as pictures; None for other data.
    image_shape: tuple[int, int] | None = None

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


@dataclass(frozen=True)
class ReadOptions:
    """What a file reader may be told: a task to force and the target column."""

    task: str | None = None
    target: str | None = None


Reader = Callable[[Path, ReadOptions], "Dataset"]


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: how to make or read it, its defaults and a one-line description.

    Exactly one of ``make`` (generated or bundled data) and ``read`` (a file
    the user names with data.path) is set. ``n_samples`` is the default count
    (0: every row there is); ``noise`` is None where noise does not apply.
    Task ``"auto"`` means the task is inferred from a chosen column, so only
    those kinds accept the task and target options.
    """

    name: str
    task: str
    description: str
    make: Maker | None = None
    read: Reader | None = None
    n_samples: int = 0
    noise: float | None = None
    # Carried here, not read off y, so a tiny sample missing a class still
    # sizes the network's output correctly.
    class_names: tuple[str, ...] = ()
    # How ``--data PATH`` is recognised as this kind (lower-case name endings).
    suffixes: tuple[str, ...] = ()
    # Config values (dotted keys) that make a good animation of this dataset;
    # a value the user sets, in a file or a flag, always wins.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # (height, width) when each generated row is an image (see ``Dataset.image_shape``).
    image_shape: tuple[int, int] | None = None


# --- generators ---------------------------------------------------------------


def _even_split(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` near-equal counts; earlier parts take the remainder."""
    base, extra = divmod(n, parts)
    return [base + (i < extra) for i in range(parts)]


def _shuffled(X: Array, y: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    # Generators build class by class; mixing the order lets every mini-batch see all classes.
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.float64)


def _gaussian_groups(
    centres: Sequence[tuple[float, float]],
    counts: Sequence[int],
    labels: Sequence[int],
    std: float,
    rng: np.random.Generator,
) -> tuple[Array, Array]:
    X = np.concatenate([rng.normal(c, std, size=(k, 2)) for c, k in zip(centres, counts)])
    y = np.repeat(np.asarray(labels, dtype=np.float64), counts)
    return _shuffled(X, y, rng)


def make_blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Class 1 is the middle blob (half the points); class 0 the two outer blobs."""
    middle = (n + 1) // 2  # the odd point goes to the middle so the classes stay as even as possible
    low, high = _even_split(n - middle, 2)
    return _gaussian_groups([(-1, -1), (0, 0), (1, 1)], [low, middle, high], [0, 1, 0], noise, rng)


def make_blobs3(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """The blobs geometry with each blob its own class."""
    return _gaussian_groups([(-1, -1), (0, 0), (1, 1)], _even_split(n, 3), [0, 1, 2], noise, rng)


def make_gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two linearly separable blobs: class 0 at (-1.5, -1.5), class 1 at (1.5, 1.5)."""
    return _gaussian_groups([(-1.5, -1.5), (1.5, 1.5)], _even_split(n, 2), [0, 1], noise, rng)


def make_xor(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Uniform on [-1, 1]^2, class 1 where x0*x1 > 0; jitter comes after labelling."""
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    # Jittering after labelling (as TensorFlow Playground does) puts some points on the wrong side.
    X = X + rng.normal(0.0, noise, size=X.shape)
    return _shuffled(X, y, rng)


def make_sine(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Regression: t = x + 0.3 sin(2 pi x) + U(-noise, noise), x ~ U(0, 1)."""
    x = rng.uniform(0.0, 1.0, size=n)
    t = x + 0.3 * np.sin(2 * np.pi * x) + rng.uniform(-noise, noise, size=n)
    return _shuffled(x[:, None], t, rng)


def make_circles(n: int, noise: float, rng: np.random.Generator, factor: float = 0.5) -> tuple[Array, Array]:
    """As sklearn's make_circles: outer circle class 0, inner (radius ``factor``) class 1."""
    n_out, n_in = n // 2, n - n // 2
    a_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.c_[np.cos(a_out), np.sin(a_out)], factor * np.c_[np.cos(a_in), np.sin(a_in)]])
    y = np.repeat([0.0, 1.0], [n_out, n_in])
    return _shuffled(X + rng.normal(0.0, noise, size=X.shape), y, rng)


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """As sklearn's make_moons: the upper moon class 0, the lower one class 1."""
    n_out, n_in = n // 2, n - n // 2
    a_out = np.linspace(0.0, np.pi, n_out)
    a_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate([np.c_[np.cos(a_out), np.sin(a_out)], np.c_[1 - np.cos(a_in), 0.5 - np.sin(a_in)]])
    y = np.repeat([0.0, 1.0], [n_out, n_in])
    return _shuffled(X + rng.normal(0.0, noise, size=X.shape), y, rng)


SPIRAL_TURNS = 1.75  # TensorFlow Playground's value


def make_spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two interleaved spirals of radius 1 (class 1 starts at angle 0, class 0 at pi).

    TensorFlow Playground draws radius 5 with jitter ``U(-1, 1) * noise``;
    we scale the spiral to radius 1 and keep ``noise`` in those same units,
    so noise 0.1 moves a point at most 0.1 per coordinate.
    """
    arms = []
    for count, phase in zip(_even_split(n, 2), (0.0, np.pi)):
        s = np.arange(count) / max(count, 1)
        angle = SPIRAL_TURNS * 2 * np.pi * s + phase
        arms.append(np.c_[s * np.sin(angle), s * np.cos(angle)])
    X = np.concatenate(arms)
    X = X + rng.uniform(-1.0, 1.0, size=X.shape) * noise
    y = np.repeat([1.0, 0.0], _even_split(n, 2))
    return _shuffled(X, y, rng)


DIGITS_FILE = "digits.csv.gz"
DIGITS_ROWS = 1797
DIGIT_NAMES = tuple(str(k) for k in range(10))


@lru_cache(maxsize=1)
def _digits_table() -> Array:
    """The bundled 1,797 x 65 table (64 pixels 0..16, then the label), read once."""
    with resources.files("nnviz.data").joinpath(DIGITS_FILE).open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    table.flags.writeable = False
    return table


def _subset(n: int, total: int, what: str, rng: np.random.Generator) -> Array:
    """Row indices: all ``total`` rows in order, or a seeded sorted sample of ``n``."""
    if n > total:
        raise DataError(f"n_samples = {n} is more than the {total:,} rows of {what}; use at most {total}")
    return np.arange(total) if n == total else np.sort(rng.choice(total, size=n, replace=False))


def make_digits(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """UCI handwritten digits (8x8, as scikit-learn ships them), pixels scaled to [0, 1]."""
    table = _digits_table()
    rows = _subset(n, len(table), "the digits dataset", rng)
    return table[rows, :-1] / 16.0, table[rows, -1].copy()


def _read_csv(path: Path, options: ReadOptions) -> Dataset:
    return load_csv(path, options.task, options.target)


def _read_mnist(path: Path, options: ReadOptions) -> Dataset:
    images = mnist.read(path)
    features = tuple(f"px{i}" for i in range(images.X.shape[1]))
    return Dataset(
        "mnist",
        "multiclass",
        images.X,
        images.y,
        images.X_test,
        images.y_test,
        features,
        mnist.CLASS_NAMES,
        images.note,
        image_shape=_square(images.X.shape[1]),
    )


def _square(pixels: int) -> tuple[int, int] | None:
    """MNIST-style images are square (28 x 28); another pixel count gets no pictures."""
    side = math.isqrt(pixels)
    return (side, side) if side * side == pixels else None


BINARY = ("0", "1")

# Defaults are the settings that let each dataset's animation show its lesson;
# README "Datasets" lists what each reaches with them. Wider layers than two
# where a 2-2-1 net cannot learn the data (they are shown projected).
DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        # The blog's threshold belongs to the blobs: seed 5's draw reaches it at epoch 74.
        DatasetSpec(
            "blobs",
            "binary",
            "three Gaussian blobs on a diagonal; the middle one is class 1",
            make_blobs,
            n_samples=400,
            noise=0.5,
            class_names=BINARY,
            defaults={"train.stop_loss": 0.263},
        ),
        DatasetSpec(
            "blobs3",
            "multiclass",
            "three Gaussian blobs on a diagonal, one class each",
            make_blobs3,
            n_samples=600,
            noise=0.5,
            class_names=("0", "1", "2"),
            defaults={"train.lr": 0.02, "train.epochs": 150},
        ),
        DatasetSpec(
            "xor",
            "binary",
            "uniform square, class 1 in the quadrants where x0*x1 > 0",
            make_xor,
            n_samples=1000,
            noise=0.0,
            class_names=BINARY,
            defaults={"model.hidden": (4,), "train.lr": 0.03, "train.epochs": 150, "train.stop_loss": 0.05},
        ),
        # A wide normal init starts the tanh units outside their linear middle;
        # from Glorot's small weights Adam settles on a straight line (R^2 ~ 0.5).
        DatasetSpec(
            "sine",
            "regression",
            "1-D regression: t = x + 0.3 sin(2 pi x) + uniform noise",
            make_sine,
            n_samples=100,
            noise=0.1,
            defaults={
                "model.init": "normal",
                "model.init_std": 4.0,
                "train.lr": 0.02,
                "train.batch_size": 10,
                "train.epochs": 300,
                "train.seed": 0,
            },
        ),
        DatasetSpec(
            "circles",
            "binary",
            "a small circle (class 1) inside a larger one",
            make_circles,
            n_samples=400,
            noise=0.1,
            class_names=BINARY,
            defaults={"model.hidden": (4,), "train.lr": 0.03, "train.epochs": 200, "train.stop_loss": 0.05},
        ),
        DatasetSpec(
            "moons",
            "binary",
            "two interleaving half circles",
            make_moons,
            n_samples=400,
            noise=0.1,
            class_names=BINARY,
            defaults={"model.hidden": (3,), "train.lr": 0.03, "train.epochs": 200, "train.stop_loss": 0.05},
        ),
        # Depth untangles the spirals; the last hidden layer is 2 wide and shown exactly.
        DatasetSpec(
            "spiral",
            "binary",
            "two interleaved spirals (TensorFlow Playground)",
            make_spiral,
            n_samples=400,
            noise=0.1,
            class_names=BINARY,
            defaults={"model.hidden": (16, 16, 2), "train.epochs": 400, "train.stop_loss": 0.05, "train.seed": 0},
        ),
        DatasetSpec(
            "gaussians",
            "binary",
            "two linearly separable Gaussian blobs",
            make_gaussians,
            n_samples=400,
            noise=0.5,
            class_names=BINARY,
            defaults={"train.epochs": 100, "train.stop_loss": 0.02},
        ),
        # Ten classes through a 2-unit bottleneck (layer 2).
        DatasetSpec(
            "digits",
            "multiclass",
            "8x8 handwritten digits 0-9 (UCI, bundled), 64 pixels in [0, 1]",
            make_digits,
            n_samples=DIGITS_ROWS,
            class_names=DIGIT_NAMES,
            defaults={"model.hidden": (32, 2), "train.epochs": 60},
            image_shape=(8, 8),
        ),
        DatasetSpec(
            "csv",
            "auto",
            "your CSV file (data.path): header row; target = data.target or the last column",
            read=_read_csv,
            suffixes=(".csv",),
        ),
        DatasetSpec(
            "mnist",
            "multiclass",
            "your MNIST file (data.path): mnist.npz or train-images-idx3-ubyte[.gz]",
            read=_read_mnist,
            class_names=mnist.CLASS_NAMES,
            suffixes=mnist.SUFFIXES,
        ),
    )
}

DEFAULT_FILE_KIND = "csv"  # what --data PATH means when no kind claims the file's name


def reads_file(name: str) -> bool:
    """Whether dataset ``name`` is read from a file the user names (data.path)."""
    spec = DATASETS.get(name)
    return spec is not None and spec.read is not None


def file_kind(path: str) -> str:
    """The file-backed dataset ``--data PATH`` means, by the file's name ending."""
    lower = str(path).lower()
    for spec in DATASETS.values():
        if spec.read is not None and any(lower.endswith(suffix) for suffix in spec.suffixes):
            return spec.name
    return DEFAULT_FILE_KIND


# --- CSV ----------------------------------------------------------------------


# A CSV is parsed row by row into floats, never held as text, and refused as
# soon as it is known to be too big: by its size before reading (or, for a
# pipe or device, which has no size, once that many bytes are read), by its
# header (the columns fix a row's cost), and at the row cap while reading.
# 200 MiB of CSV is ~10 million numbers; a table that size takes hours to
# train on and its mesh is already capped, so larger files are mistakes or
# belong to a sample. The row cap is data.n_samples' own (config.MAX_SAMPLES;
# config imports this module, so the number is repeated, and a test ties them).
MAX_CSV_BYTES = 200 * 2**20
MAX_CSV_ROWS = 1_000_000


def _mib(n: int) -> str:
    """A byte count for a message: in MiB, or below 1 MiB (a test's small cap) in KiB or bytes."""
    if n >= 2**20:
        return f"{n / 2**20:,.0f} MiB"
    return f"{n / 2**10:,.0f} KiB" if n >= 2**10 else f"{n} bytes"


SAMPLE_ADVICE = "give it a random sample of its rows (e.g. keep the header and shuf -n 100000 of the rest)"


def _check_file(path: Path) -> None:
    """Refuse a missing, folder or oversized file before opening it."""
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"data.path {path} is a folder; give a CSV file")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise DataError(f"cannot read data file {path}: {e.strerror or e}") from None
    if size > MAX_CSV_BYTES:
        raise DataError(
            f"data file {path} is {_mib(size)}; the cap for a CSV is {_mib(MAX_CSV_BYTES)}: {SAMPLE_ADVICE}"
        )


def _row_cap(n_columns: int) -> int:
    """Data rows a CSV of ``n_columns`` may have: the row cap, or fewer when its floats would pass mnist's array cap."""
    return min(MAX_CSV_ROWS, mnist.MAX_ARRAY_BYTES // (8 * max(n_columns - 1, 1)))


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank row with the file line it starts on, read lazily (the header first)."""
    try:
        # utf-8-sig drops the byte-order mark spreadsheet programs often write.
        capped = open_input(path, f"data file {path}", MAX_CSV_BYTES, SAMPLE_ADVICE)
        with io.TextIOWrapper(capped, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            line = 1
            for row in reader:
                # Skip blank lines, but keep ",," so its empty cells get reported.
                if len(row) > 1 or (row and row[0].strip()):
                    yield line, row
                line = reader.line_num + 1  # a quoted cell may span lines; report where a row starts
    except UnicodeDecodeError as e:
        raise DataError(
            f"data file {path} is not UTF-8 text (bad byte at offset {e.start}); save it as UTF-8"
        ) from None
    except csv.Error as e:
        raise DataError(f"data file {path}: line {line}: {e}") from None
    except OSError as e:
        raise DataError(f"cannot read data file {path}: {e.strerror or e}") from None


def _read_header(path: Path, rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    first = next(rows, None)
    if first is None:
        raise DataError(f"data file {path} is empty; expected a header row, then data rows")
    return [h.strip() for h in first[1]]


def _check_header(header: list[str], path: Path) -> None:
    if len(header) < 2:
        raise DataError(
            f"data file {path} has {len(header)} column ({', '.join(map(repr, header))}); "
            "need at least 2: one or more features and a target column"
        )
    for i, name in enumerate(header):
        if not name:
            raise DataError(f"data file {path}: line 1: column {i + 1} has no name; every column needs a header")
        if name in header[:i]:
            raise DataError(f"data file {path}: line 1: column name {name!r} appears twice; names must be unique")


def _target_index(header: list[str], target: str | None, path: Path) -> int:
    if target is None:
        return len(header) - 1
    if target not in header:
        raise DataError(f"data file {path} has no column {target!r} (data.target); columns: {', '.join(header)}")
    return header.index(target)


def _number(text: str, path: Path, line: int, column: str) -> float:
    cell = text.strip()
    where = f"data file {path}: line {line}, column {column!r}"
    if not cell:
        raise DataError(f"{where}: missing value")
    try:
        value = float(cell)
    except ValueError:
        raise DataError(f"{where}: {cell!r} is not a number") from None
    if math.isnan(value):
        raise DataError(f"{where}: NaN is not allowed; every value must be a finite number")
    if math.isinf(value):
        raise DataError(f"{where}: {cell!r} is not allowed; every value must be a finite number")
    return value


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_table(
    header: list[str], rows: Iterator[tuple[int, list[str]]], path: Path, target: int
) -> tuple[Array, list[tuple[int, str]]]:
    """Features as floats, plus the target column's stripped cells with their lines.

    The target stays text here: whether it holds numbers or labels is decided
    once the whole column is seen. Rows are consumed one at a time; past the
    row cap the file is refused without reading the rest.
    """
    k = len(header)
    cap = _row_cap(k)
    values = array.array("d")  # 8 bytes a number, where a list of rows of str took ~60
    cells: list[tuple[int, str]] = []
    for line, row in rows:
        if len(cells) >= cap:
            raise DataError(
                f"data file {path} has more than {cap:,} data rows (line {line}); the cap for {k} columns is "
                f"{cap:,}: give it a random sample of its rows"
            )
        if len(row) != k:
            raise DataError(f"data file {path}: line {line}: expected {k} fields, found {len(row)}")
        values.extend(
            [_number(cell, path, line, name) for j, (cell, name) in enumerate(zip(row, header)) if j != target]
        )
        cell = row[target].strip()
        if not cell:
            raise DataError(f"data file {path}: line {line}, column {header[target]!r}: missing value")
        cells.append((line, cell))
    if not cells:
        return np.empty((0, k - 1)), cells
    return np.frombuffer(values, dtype=np.float64).reshape(len(cells), k - 1), cells


def _target_numbers(cells: list[tuple[int, str]], path: Path, column: str) -> Array | None:
    """The target column as finite floats, or None when any cell is text (a label)."""
    if not all(_is_number(cell) for _, cell in cells):
        return None
    return np.array([_number(cell, path, line, column) for line, cell in cells], dtype=np.float64)


def _infer_task(values: Array | None, labels: list[str]) -> str:
    # Text labels and whole numbers (0, 1, also 0.0, 1.0) name classes;
    # anything else numeric (2.5, 1e3) makes the column a measurement.
    if values is not None and not all(_WHOLE_NUMBER.fullmatch(s) for s in labels):
        return "regression"
    distinct = len(set(labels)) if values is None else len(np.unique(values))
    return "binary" if distinct == 2 else "multiclass"


def _shown(names: Sequence[str], limit: int = 10) -> str:
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _encode_classes(values: Array | None, labels: list[str], column: str, task: str) -> tuple[Array, tuple[str, ...]]:
    """Sorted distinct targets mapped to 0..k-1, with their names as written in the file.

    Numbers sort by value (so "-2" < "9" < "10"), text labels as strings.
    """
    if values is None:
        distinct, codes = np.unique(np.array(labels), return_inverse=True)
        names = [str(d) for d in distinct]
    else:
        _, first, codes = np.unique(values, return_index=True, return_inverse=True)
        names = [labels[i] for i in first]
    k = len(names)
    if k < 2:
        raise DataError(f"target column {column!r} has a single class ({_shown(names)}); need at least 2")
    if task == "binary" and k != 2:
        raise DataError(
            f"task = 'binary' needs exactly 2 distinct target values; column {column!r} has {k} ({_shown(names, 5)})"
        )
    if k > MAX_CLASSES:
        fix = (
            "set task = 'regression' to predict it as a number"
            if values is not None
            else "text labels cannot be regressed; pick the label column with data.target (--target)"
        )
        raise DataError(
            f"target column {column!r} has {k} distinct values; at most {MAX_CLASSES} classes are supported; {fix}"
        )
    return codes.astype(np.float64).reshape(-1), tuple(names)


def _describe_target(task: str, column: str, classes: tuple[str, ...], inferred: bool) -> str:
    how = "inferred from" if inferred else "(set by data.task) on"
    what = f"{len(classes)} classes: {_shown(classes)}" if classes else "numeric target"
    return f"{task} task {how} column {column!r} ({what})"


def load_csv(path: str | Path, task: str | None = None, target: str | None = None) -> Dataset:
    """Read a CSV with a header row; ``target`` (default: the last column) is predicted from the rest.

    The task is inferred unless given: text labels and whole numbers written
    plainly (``1`` or ``1.0``, not ``1e3``) are classes (2 values binary, 3..20 multiclass), fractional
    numbers regression. ``Dataset.note`` says what was inferred.
    """
    _check_task(task)
    path = Path(path)
    _check_file(path)
    rows = _rows(path)
    header = _read_header(path, rows)
    _check_header(header, path)
    t = _target_index(header, target, path)
    column = header[t]
    X, cells = _parse_table(header, rows, path, t)
    if not cells:
        raise DataError(f"data file {path} has a header but no data rows")
    labels = [cell for _, cell in cells]
    values = _target_numbers(cells, path, column)
    inferred = task is None
    task = task or _infer_task(values, labels)
    classes: tuple[str, ...] = ()
    if task == "regression":
        if values is None:
            line, cell = next((line, cell) for line, cell in cells if not _is_number(cell))
            raise DataError(
                f"data file {path}: line {line}, column {column!r}: {cell!r} is not a number; "
                "task = 'regression' needs a numeric target"
            )
        y = values
    else:
        y, classes = _encode_classes(values, labels, column, task)
    features = tuple(name for i, name in enumerate(header) if i != t)
    return replace(_full("csv", task, X, y, features, classes), note=_describe_target(task, column, classes, inferred))


# --- building and splitting ---------------------------------------------------


def _full(name: str, task: str, X: Array, y: Array, features: tuple[str, ...], classes: tuple[str, ...]) -> Dataset:
    empty_X = np.empty((0, X.shape[1]), dtype=np.float64)
    return Dataset(name, task, X, y, empty_X, np.empty(0, dtype=np.float64), features, classes)


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


def _check_task(task: str | None) -> None:
    if task is not None and task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < MIN_SAMPLES:
        raise DataError(f"n_samples must be an integer of at least {MIN_SAMPLES}, got {n!r}")
    return int(n)


def _check_options(
    spec: DatasetSpec,
    path: str | None,
    task: str | None,
    target: str | None,
    noise: float | None,
    test_fraction: float,
    seed: int,
) -> None:
    _check_task(task)
    if not 0.0 <= test_fraction < 1.0:
        raise DataError(f"test_fraction must be at least 0 and below 1, got {test_fraction}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    if spec.read is not None and not path:
        raise DataError(f"the {spec.name} dataset needs a file: set data.path (or pass --data PATH)")
    if spec.read is None and path is not None:
        kinds = ", ".join(s.name for s in DATASETS.values() if s.read is not None)
        raise DataError(
            f"data.path is only used by the file datasets ({kinds}), not {spec.name!r}; "
            "set data.name to one of those or drop data.path"
        )
    if spec.task != "auto":
        if task is not None and task != spec.task:
            raise DataError(f"task = {task!r} only overrides a CSV's task; the {spec.name} dataset is {spec.task}")
        if target is not None:
            raise DataError(f"data.target picks a CSV column; the {spec.name} dataset has no columns to pick")
    if noise is not None and spec.noise is None:
        raise DataError(f"noise does not apply to the {spec.name} dataset; drop data.noise (--noise)")


def _generate(spec: DatasetSpec, n_samples: int | None, noise: float | None, rng: np.random.Generator) -> Dataset:
    assert spec.make is not None
    n = _check_count(spec.n_samples if n_samples is None else n_samples)
    sigma = (spec.noise or 0.0) if noise is None else noise
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma >= 0):
        raise DataError(f"noise must be a finite number of at least 0, got {sigma!r}")
    X, y = spec.make(n, float(sigma), rng)
    features = tuple(f"x{i}" for i in range(X.shape[1]))
    return replace(_full(spec.name, spec.task, X, y, features, spec.class_names), image_shape=spec.image_shape)


def _read(
    spec: DatasetSpec, path: str, options: ReadOptions, n_samples: int | None, rng: np.random.Generator
) -> Dataset:
    """A file-backed dataset, cut to a seeded ``n_samples`` training rows when it has more.

    A file's row count is not known before reading it (and a config or sweep
    may set n_samples for every dataset), so a larger n_samples keeps every
    row and the note says so, rather than failing.
    """
    assert spec.read is not None
    data = spec.read(Path(path), options)
    if n_samples is None:
        return data
    n, total = _check_count(n_samples), len(data.y)
    if n >= total:
        short = f"; n_samples = {n} is more than its {total:,} rows, so all are used" if n > total else ""
        return replace(data, note=f"{data.note}{short}")
    rows = _subset(n, total, f"data file {path}", rng)
    return replace(
        data, X=data.X[rows], y=data.y[rows], note=f"{data.note}; a seeded subset of {n:,} of its {total:,} rows"
    )


def _split(data: Dataset, test_fraction: float, rng: np.random.Generator) -> Dataset:
    n = len(data.y)
    if len(data.y_test):
        # The file brought its own test set (MNIST's t10k); that beats a random cut.
        ignored = f"; test_fraction = {test_fraction:g} is ignored" if test_fraction else ""
        return replace(data, note=f"{data.note}; test set: the file's own split{ignored}")
    if test_fraction == 0.0:
        return data
    if n < 2:
        raise DataError(f"test_fraction = {test_fraction} leaves no training data: the data has only {n} row")
    # Both sides keep at least one point, however small the fraction.
    n_test = min(max(round(n * test_fraction), 1), n - 1)
    order = rng.permutation(n)
    # Sorting keeps each side in the original order (a CSV's row order survives the split).
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return replace(data, X=data.X[train], y=data.y[train], X_test=data.X[test], y_test=data.y[test])


def _read_only(data: Dataset) -> Dataset:
    # The dataclass is frozen but its arrays are not; lock them so no stage can
    # quietly change the data every later stage (and re-renders) rely on.
    for a in (data.X, data.y, data.X_test, data.y_test):
        a.flags.writeable = False
    return data


def load_dataset(
    name: str = "blobs",
    *,
    path: str | None = None,
    n_samples: int | None = None,
    noise: float | None = None,
    test_fraction: float = 0.0,
    seed: int = 0,
    task: str | None = None,
    target: str | None = None,
) -> Dataset:
    """Build or read a dataset and hold out ``round(n * test_fraction)`` points for testing.

    Generation, subsetting and the split all draw from
    ``np.random.default_rng(seed)``, so equal arguments give bit-identical
    arrays. ``path`` applies to the file datasets only; ``task`` and ``target``
    to the CSV (a fixed-task dataset accepts its own task); ``noise`` to the
    generated datasets. ``n_samples`` on bundled or file data takes a seeded
    subset of the rows (more than the digits have is an error; more than a
    file has keeps the whole file). A file with its own test split (MNIST) keeps it and
    ignores ``test_fraction``.
    """
    spec = _spec(name)
    _check_options(spec, path, task, target, noise, test_fraction, seed)
    rng = np.random.default_rng(seed)
    if spec.read is not None:
        assert path is not None
        full = _read(spec, path, ReadOptions(task, target), n_samples, rng)
    else:
        full = _generate(spec, n_samples, noise, rng)
    return _read_only(_split(full, test_fraction, rng))
