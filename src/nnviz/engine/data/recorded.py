"""The arrays a recorded model saw, saved beside its run so ``animate --history`` re-renders it.

A recorder (``nnviz.recorders``) animates a network trained elsewhere on the
user's own arrays. Those arrays are part of the run: the frames are drawn from
them, and a re-render needs them again. ``write`` saves them as
``<run>.data.npz`` (``X``, ``y``, ``X_test``, ``y_test`` as float64, the task,
feature and class names, and the image shape when rows are pictures), and the
run's TOML names that file (``data.name = "recorded"``). ``read`` gives back
exactly what was written, never rescaled: a recorded model defines its own
input space. The zip entries carry a fixed timestamp, so a seeded run writes
the same bytes every time. Every malformed file is one ``DataError`` line.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...atomic import atomic_path
from ...errors import DataError
from ..nn import TASKS
from .base import Dataset, DatasetSpec, ReadOptions
from .mnist import MAX_ARRAY_BYTES

Array = np.ndarray

SUFFIX = ".data.npz"  # what the recorders name the file, and how --data PATH recognises it
ARRAYS = ("X", "y", "X_test", "y_test")
TEXTS = ("task", "name", "feature_names", "class_names")
_STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry: no clock in the bytes


@dataclass(frozen=True)
class Arrays:
    """Training and test arrays with the names that label the frames (``Dataset``'s fields)."""

    name: str
    task: str
    X: Array
    y: Array
    X_test: Array
    y_test: Array
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    image_shape: tuple[int, int] | None = None


def write(arrays: Arrays, dest: str | os.PathLike[str]) -> Path:
    """Save ``arrays`` to ``dest`` atomically (``np.load`` reads it; no pickles)."""
    members: dict[str, Array] = {k: np.asarray(getattr(arrays, k), dtype=np.float64) for k in ARRAYS}
    members |= {
        "task": np.array(arrays.task),
        "name": np.array(arrays.name),
        "feature_names": np.array(arrays.feature_names, dtype=str),
        "class_names": np.array(arrays.class_names, dtype=str),
        "image_shape": np.array(arrays.image_shape or (), dtype=np.int64),
    }
    dest = Path(dest)
    with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in members.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", _STAMP), buffer.getvalue(), zipfile.ZIP_DEFLATED)
    return dest


def read(path: str | os.PathLike[str], task: str | None = None) -> Arrays:
    """Load a file ``write`` made, checking every array; ``task`` (if given) must be the file's own."""
    p = Path(path)
    where = f"data file {p}"
    if not p.is_file():
        raise DataError(f"{where} {'is a folder' if p.is_dir() else 'not found'}; give the .data.npz a recording wrote")
    try:
        with zipfile.ZipFile(p) as archive:
            sizes = {info.filename[:-4]: info.file_size for info in archive.infolist()}
            missing = [k for k in (*ARRAYS, *TEXTS) if k not in sizes]
            if missing:
                raise DataError(f"{where} lacks {', '.join(missing)}: it is not a data file that nnviz recorded")
            big = [k for k, size in sizes.items() if size > MAX_ARRAY_BYTES]
            if big:
                raise DataError(f"{where}: {big[0]} is over the cap of {MAX_ARRAY_BYTES / 2**20:,.0f} MiB")
        with np.load(p, allow_pickle=False) as npz:
            raw = {k: npz[k] for k in npz.files}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{where} cannot be read: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    return _check(raw, where, task)


def _text(raw: dict[str, Array], key: str, where: str) -> str:
    value = raw[key]
    if value.ndim != 0 or value.dtype.kind != "U":
        raise DataError(f"{where}: {key} must be one string")
    return str(value)


def _names(raw: dict[str, Array], key: str, where: str) -> tuple[str, ...]:
    value = raw[key]
    if value.ndim != 1 or (value.size and value.dtype.kind != "U"):
        raise DataError(f"{where}: {key} must be a list of strings")
    return tuple(str(v) for v in value)


def _numbers(raw: dict[str, Array], key: str, ndim: int, where: str) -> Array:
    value = raw[key]
    if value.ndim != ndim or value.dtype != np.float64:
        raise DataError(f"{where}: {key} must be a {ndim}-D float64 array, not {value.ndim}-D {value.dtype}")
    if not np.isfinite(value).all():
        raise DataError(f"{where}: {key} holds a value that is not finite")
    return value


def _check(raw: dict[str, Array], where: str, wanted: str | None) -> Arrays:
    task = _text(raw, "task", where)
    if task not in TASKS:
        raise DataError(f"{where}: task {task!r} is unknown; valid: {', '.join(TASKS)}")
    if wanted is not None and wanted != task:
        raise DataError(f"{where} holds a {task} task; data.task = {wanted!r} cannot change it (drop --task)")
    X, y = _numbers(raw, "X", 2, where), _numbers(raw, "y", 1, where)
    X_test, y_test = _numbers(raw, "X_test", 2, where), _numbers(raw, "y_test", 1, where)
    features, classes = _names(raw, "feature_names", where), _names(raw, "class_names", where)
    if not len(y) or len(X) != len(y) or len(X_test) != len(y_test):
        raise DataError(f"{where}: X has {len(X)} rows and y {len(y)} (test: {len(X_test)}, {len(y_test)}); need equal")
    if X.shape[1] != X_test.shape[1] or len(features) != X.shape[1]:
        raise DataError(f"{where}: X has {X.shape[1]} columns, X_test {X_test.shape[1]}, names {len(features)}")
    if task != "regression":
        labels = np.concatenate([y, y_test])
        if len(classes) < 2 or (labels != np.floor(labels)).any() or labels.min() < 0 or labels.max() >= len(classes):
            raise DataError(f"{where}: y must hold class numbers 0..{len(classes) - 1} for classes {classes}")
    shape = raw.get("image_shape", np.zeros(0, dtype=np.int64))
    image = tuple(int(s) for s in shape) if shape.size == 2 and int(np.prod(shape)) == X.shape[1] else None
    return Arrays(_text(raw, "name", where), task, X, y, X_test, y_test, features, classes, image)  # type: ignore[arg-type]


# --- as a dataset ---------------------------------------------------------------


def _read_dataset(path: Path, options: ReadOptions) -> Dataset:
    if options.target is not None:
        raise DataError(f"data.target picks a CSV column; data file {path} was recorded with its own target")
    a = read(path, options.task)
    # scaled: the arrays are the recorded model's own input space, never standardised again.
    return Dataset(a.name, a.task, a.X, a.y, a.X_test, a.y_test, a.feature_names, a.class_names, "", a.image_shape)


DATASET = DatasetSpec(
    "recorded",
    "auto",
    "the arrays a recorded model saw (data.path: the run's .data.npz, written by nnviz.record)",
    read=_read_dataset,
    suffixes=(SUFFIX,),
)
