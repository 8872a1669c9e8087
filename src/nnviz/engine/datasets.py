"""Toy 2-D datasets and a CSV loader, as plain NumPy arrays.

Every generator is a pure function ``(n_samples, noise, rng) -> (X, y)`` that
draws only from the ``np.random.Generator`` it is handed, so the same seed
always gives bit-identical arrays. ``DATASETS`` maps each name to a
``DatasetSpec``; ``load_dataset`` builds one, optionally holds out a test
split, and returns a frozen ``Dataset``.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import DataError
from .nn import TASKS

Array = np.ndarray
Maker = Callable[[int, float, np.random.Generator], tuple[Array, Array]]

MIN_SAMPLES = 4  # matches the config's lower bound for data.n_samples
MAX_CLASSES = 20  # beyond this an integer target is far likelier a count than a label


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

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: how to make it, its defaults and a one-line description."""

    name: str
    task: str
    make: Maker
    n_samples: int
    noise: float
    description: str
    # Carried here, not read off y, so a tiny sample missing a class still
    # sizes the network's output correctly.
    class_names: tuple[str, ...] = ()


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


def _csv_make(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    raise DataError("the csv dataset is read from a file, not generated: use load_dataset('csv', path=...)")


BINARY = ("0", "1")

DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec("blobs", "binary", make_blobs, 400, 0.5,
                    "three Gaussian blobs on a diagonal; the middle one is class 1", BINARY),
        DatasetSpec("blobs3", "multiclass", make_blobs3, 600, 0.5,
                    "three Gaussian blobs on a diagonal, one class each", ("0", "1", "2")),
        DatasetSpec("xor", "binary", make_xor, 1000, 0.0,
                    "uniform square, class 1 in the quadrants where x0*x1 > 0", BINARY),
        DatasetSpec("sine", "regression", make_sine, 100, 0.1,
                    "1-D regression: t = x + 0.3 sin(2 pi x) + uniform noise"),
        DatasetSpec("circles", "binary", make_circles, 400, 0.1,
                    "a small circle (class 1) inside a larger one", BINARY),
        DatasetSpec("moons", "binary", make_moons, 400, 0.1,
                    "two interleaving half circles", BINARY),
        DatasetSpec("spiral", "binary", make_spiral, 400, 0.1,
                    "two interleaved spirals (TensorFlow Playground)", BINARY),
        DatasetSpec("gaussians", "binary", make_gaussians, 400, 0.5,
                    "two linearly separable Gaussian blobs", BINARY),
        DatasetSpec("csv", "auto", _csv_make, 0, 0.0,
                    "your own CSV file (data.path): header row, target in the last column"),
    )
}


# --- CSV ----------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and each non-blank data row with the file line it starts on."""
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"data.path {path} is a folder; give a CSV file")
    rows: list[tuple[int, list[str]]] = []
    try:
        # utf-8-sig drops the byte-order mark spreadsheet programs often write.
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            line = 1
            for row in reader:
                # Skip blank lines, but keep ",," so its empty cells get reported.
                if len(row) > 1 or (row and row[0].strip()):
                    rows.append((line, row))
                line = reader.line_num + 1  # a quoted cell may span lines; report where a row starts
    except UnicodeDecodeError as e:
        raise DataError(f"data file {path} is not UTF-8 text (bad byte at offset {e.start}); save it as UTF-8") from None
    except csv.Error as e:
        raise DataError(f"data file {path}: line {line}: {e}") from None
    except OSError as e:
        raise DataError(f"cannot read data file {path}: {e.strerror or e}") from None
    if not rows:
        raise DataError(f"data file {path} is empty; expected a header row, then data rows")
    (_, header), *data = rows
    return [h.strip() for h in header], data


def _check_header(header: list[str], path: Path) -> None:
    if len(header) < 2:
        raise DataError(
            f"data file {path} has {len(header)} column ({', '.join(map(repr, header))}); "
            "need at least 2: one or more features, then the target in the last column"
        )
    for i, name in enumerate(header):
        if not name:
            raise DataError(f"data file {path}: line 1: column {i + 1} has no name; every column needs a header")
        if name in header[:i]:
            raise DataError(f"data file {path}: line 1: column name {name!r} appears twice; names must be unique")


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


def _parse_table(header: list[str], rows: list[tuple[int, list[str]]], path: Path) -> tuple[Array, Array, list[str]]:
    """Features and target as floats, plus the stripped target strings."""
    k = len(header)
    X = np.empty((len(rows), k - 1), dtype=np.float64)
    t = np.empty(len(rows), dtype=np.float64)
    labels: list[str] = []
    for i, (line, row) in enumerate(rows):
        if len(row) != k:
            raise DataError(f"data file {path}: line {line}: expected {k} fields, found {len(row)}")
        values = [_number(cell, path, line, name) for cell, name in zip(row, header)]
        X[i], t[i] = values[:-1], values[-1]
        labels.append(row[-1].strip())
    return X, t, labels


def _infer_task(labels: list[str]) -> str:
    # Only integer literals look like class labels; "1.0" or "2.5" reads as a measurement.
    if not all(_INTEGER.fullmatch(s) for s in labels):
        return "regression"
    return "binary" if len({int(s) for s in labels}) == 2 else "multiclass"


def _encode_classes(t: Array, labels: list[str], target: str, task: str) -> tuple[Array, tuple[str, ...]]:
    """Sorted distinct target values mapped to 0..k-1, with their original strings."""
    values, first, codes = np.unique(t, return_index=True, return_inverse=True)
    k = len(values)
    shown = ", ".join(labels[i] for i in first[:5]) + (", ..." if k > 5 else "")
    if k < 2:
        raise DataError(f"target column {target!r} has a single class ({shown}); need at least 2")
    if task == "binary" and k != 2:
        raise DataError(f"task = 'binary' needs exactly 2 distinct target values; column {target!r} has {k} ({shown})")
    if k > MAX_CLASSES:
        raise DataError(
            f"target column {target!r} has {k} distinct values; at most {MAX_CLASSES} classes are "
            "supported; set task = 'regression' to predict it as a number"
        )
    return codes.astype(np.float64).reshape(-1), tuple(labels[i] for i in first)


def load_csv(path: str | Path, task: str | None = None) -> Dataset:
    """Read a CSV with a header row; the last column is the target, the rest features.

    The task is inferred unless given: integer targets with 2 values are
    binary, 3..20 values multiclass; anything else is regression.
    """
    _check_task(task)
    path = Path(path)
    header, rows = _read_rows(path)
    _check_header(header, path)
    if not rows:
        raise DataError(f"data file {path} has a header but no data rows")
    X, t, labels = _parse_table(header, rows, path)
    task = task or _infer_task(labels)
    classes: tuple[str, ...] = ()
    if task != "regression":
        t, classes = _encode_classes(t, labels, header[-1], task)
    return _full("csv", task, X, t, tuple(header[:-1]), classes)


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


def _check_options(spec: DatasetSpec, path: str | None, task: str | None, test_fraction: float, seed: int) -> None:
    _check_task(task)
    if not 0.0 <= test_fraction < 1.0:
        raise DataError(f"test_fraction must be at least 0 and below 1, got {test_fraction}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    if spec.name == "csv":
        if not path:
            raise DataError("the csv dataset needs a file: set data.path (or pass --data PATH)")
        return
    if path is not None:
        raise DataError(f"data.path is only used by the csv dataset, not {spec.name!r}; set data.name = 'csv' or drop data.path")
    if task is not None and task != spec.task:
        raise DataError(f"task = {task!r} only overrides a CSV's task; the {spec.name} dataset is {spec.task}")


def _generate(spec: DatasetSpec, n_samples: int | None, noise: float | None, rng: np.random.Generator) -> Dataset:
    n = spec.n_samples if n_samples is None else n_samples
    sigma = spec.noise if noise is None else noise
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < MIN_SAMPLES:
        raise DataError(f"n_samples must be an integer of at least {MIN_SAMPLES}, got {n!r}")
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma >= 0):
        raise DataError(f"noise must be a finite number of at least 0, got {sigma!r}")
    X, y = spec.make(int(n), float(sigma), rng)
    features = tuple(f"x{i}" for i in range(X.shape[1]))
    return _full(spec.name, spec.task, X, y, features, spec.class_names)


def _split(data: Dataset, test_fraction: float, rng: np.random.Generator) -> Dataset:
    n = len(data.y)
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
) -> Dataset:
    """Build or read a dataset and hold out ``round(n * test_fraction)`` points for testing.

    Generation and the split both draw from ``np.random.default_rng(seed)``, so
    equal arguments give bit-identical arrays. ``path`` and ``task`` apply to
    the csv dataset only (a generated dataset accepts its own task);
    ``n_samples`` and ``noise`` apply to generated datasets only.
    """
    spec = _spec(name)
    _check_options(spec, path, task, test_fraction, seed)
    rng = np.random.default_rng(seed)
    full = load_csv(path, task) if spec.name == "csv" else _generate(spec, n_samples, noise, rng)
    return _read_only(_split(full, test_fraction, rng))
