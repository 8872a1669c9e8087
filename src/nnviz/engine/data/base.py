"""The data types every dataset kind shares: ``Dataset``, ``DatasetSpec`` and ``ReadOptions``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...config import MIN_SAMPLES
from ...errors import DataError
from ..nn import TASKS

__all__ = ["MIN_SAMPLES", "Dataset", "DatasetSpec", "ReadOptions", "check_task", "full"]

Array = np.ndarray
Maker = Callable[[int, float, np.random.Generator], tuple[Array, Array]]


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
    # False for features as a user wrote them (a CSV's, arrays handed in): training
    # standardises those (data.standardize), while the pictures keep the user's units.
    scaled: bool = True

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


def full(name: str, task: str, X: Array, y: Array, features: tuple[str, ...], classes: tuple[str, ...]) -> Dataset:
    """A dataset of training rows only (the test split, if any, is cut later)."""
    empty_X = np.empty((0, X.shape[1]), dtype=np.float64)
    return Dataset(name, task, X, y, empty_X, np.empty(0, dtype=np.float64), features, classes)


def check_task(task: str | None) -> None:
    if task is not None and task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
