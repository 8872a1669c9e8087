"""Datasets: toy 2-D generators, bundled digits and file readers (CSV, MNIST), as plain NumPy arrays.

``DATASETS`` maps each name to a ``DatasetSpec``: a generator
(``generators``) or a reader of a file the user names (``csv``, ``mnist``),
its defaults and a one-line description. ``load_dataset`` builds or reads
one, optionally holds out a test split, and returns a frozen ``Dataset``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...errors import DataError
from . import csv, mnist, recorded
from .base import MIN_SAMPLES, Array, Dataset, DatasetSpec, Maker, ReadOptions, check_task, full
from .csv import load_csv
from .generators import GENERATED, subset

__all__ = [
    "DATASETS",
    "MIN_SAMPLES",
    "Array",
    "Dataset",
    "DatasetSpec",
    "Maker",
    "ReadOptions",
    "file_kind",
    "load_csv",
    "load_dataset",
    "reads_file",
]


# Defaults are the settings that let each dataset's animation show its lesson
# (in their rows: generators.GENERATED, csv.DATASET, recorded.DATASET, mnist.DATASET).
# recorded before mnist, whose ".npz" would claim a ".data.npz" too.
DATASETS: dict[str, DatasetSpec] = {s.name: s for s in (*GENERATED, csv.DATASET, recorded.DATASET, mnist.DATASET)}

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


# --- building and splitting ---------------------------------------------------


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


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
    check_task(task)
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
    return replace(full(spec.name, spec.task, X, y, features, spec.class_names), image_shape=spec.image_shape)


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
    rows = subset(n, total, f"data file {path}", rng)
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
