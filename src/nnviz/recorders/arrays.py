"""A user's own arrays as an nnviz Dataset: no CSV to write, and never rescaled.

``from_arrays(X, y)`` takes anything NumPy can read (lists, NumPy arrays,
pandas frames, CPU or GPU tensors) and an optional test split. A recorded
model defines its own input space, so the features are kept exactly as the
model saw them: no standardising, no reordering, float64 copies.

Class labels: whole numbers 0..k-1 are the model's output indices (as
PyTorch's and Keras' losses read them) and stay as they are, so k is the
largest label + 1; text labels are numbered in sorted order (as
scikit-learn's ``classes_``). ``class_names`` names the classes (and fixes k
when the last class is absent from y).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import MAX_SAMPLES
from ..engine.data import Dataset
from ..engine.data.csv import MAX_CLASSES
from ..engine.nn import TASKS
from .core import RecordError

Array = np.ndarray


def as_numpy(a: Any) -> Any:
    """A tensor (torch, Keras) as a NumPy array on the CPU, detached from any graph; anything else as is."""
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # a torch.Tensor, without importing torch
        return a.detach().cpu().numpy()
    return a


def _features(X: Any, what: str) -> Array:
    try:
        arr = np.array(as_numpy(X), dtype=np.float64)
    except (TypeError, ValueError):
        raise RecordError(f"{what} must hold numbers only (a 2-D array of shape (samples, features))") from None
    if arr.ndim == 1:
        raise RecordError(f"{what} is 1-D {arr.shape}; give it as (samples, features), e.g. X.reshape(-1, 1)")
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise RecordError(f"{what} has shape {arr.shape}; expected (samples, features)")
    if not np.isfinite(arr).all():
        row = int(np.argwhere(~np.isfinite(arr))[0][0])
        raise RecordError(f"{what} row {row} holds {arr[row][~np.isfinite(arr[row])][0]}; every value must be finite")
    return arr


def _targets(y: Any, n: int, what: str) -> Array:
    arr = np.asarray(as_numpy(y))
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]  # a column vector, as (n, 1) tensors come
    if arr.ndim != 1 or len(arr) != n:
        raise RecordError(f"{what} has shape {arr.shape}; expected one target per row of X ({n},)")
    return arr


def _is_numeric(a: Array) -> bool:
    return a.dtype.kind in "biuf"


def _infer_task(labels: Array, class_names: Sequence[str] | None) -> str:
    """Classes when y holds text or whole numbers 0..19 (k = the largest + 1, or the names given), else regression."""
    if class_names is not None:
        return "binary" if len(class_names) == 2 else "multiclass"
    if not _is_numeric(labels):
        return "binary" if len(np.unique(labels)) == 2 else "multiclass"
    values = labels.astype(np.float64)
    if not np.all(values == np.round(values)) or values.min() < 0 or values.max() >= MAX_CLASSES:
        return "regression"
    return "binary" if values.max() <= 1 else "multiclass"


def _class_codes(
    labels: Array, class_names: Sequence[str] | None, task: str
) -> tuple[Array, tuple[str, ...], np.ndarray | None]:
    """Codes 0..k-1 for every label (train and test together), the names, and text labels' sorted values."""
    if _is_numeric(labels):
        values = labels.astype(np.float64)
        if not np.all(values == np.round(values)) or (values.size and values.min() < 0):
            shown = ", ".join(f"{v:g}" for v in np.unique(values)[:5])
            raise RecordError(
                f"y holds {shown}: class labels must be whole numbers 0..k-1 (the model's output index), "
                "or text; pass task='regression' to predict numbers"
            )
        k = int(values.max()) + 1 if values.size else 0
        names = tuple(class_names) if class_names is not None else tuple(str(c) for c in range(max(k, 2)))
        if len(names) < k:
            raise RecordError(f"y holds class {k - 1} but class_names has {len(names)} names; give one per class")
        return values, names, None
    distinct = np.unique(labels)
    if class_names is not None and [str(c) for c in class_names] != [str(c) for c in distinct]:
        raise RecordError(
            f"class_names {list(class_names)} must be y's labels in sorted order: {[str(c) for c in distinct]}"
        )
    codes = np.searchsorted(distinct, labels).astype(np.float64)
    return codes, tuple(str(c) for c in distinct), distinct


def from_arrays(
    X: Any,
    y: Any,
    *,
    X_test: Any = None,
    y_test: Any = None,
    task: str | None = None,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    image_shape: tuple[int, int] | None = None,
    name: str = "arrays",
) -> Dataset:
    """Your arrays (and an optional test split) as the Dataset nnviz draws, exactly as given.

    ``task`` is ``binary``, ``multiclass`` or ``regression``; by default text
    and whole numbers 0..19 are classes (0 and 1 only: binary), anything else
    a regression target. ``image_shape`` ``(height, width)``
    when each row is a picture's pixels (the digits view draws a few).
    """
    if task is not None and task not in TASKS:
        raise RecordError(f"task {task!r} is unknown; valid: {', '.join(TASKS)}")
    Xa = _features(X, "X")
    if len(Xa) < 1 or len(Xa) > MAX_SAMPLES:
        raise RecordError(f"X has {len(Xa):,} rows; nnviz draws 1 to {MAX_SAMPLES:,}")
    ya = _targets(y, len(Xa), "y")
    if (X_test is None) != (y_test is None):
        raise RecordError("give X_test and y_test together, or neither")
    Xt = _features(X_test, "X_test") if X_test is not None else np.empty((0, Xa.shape[1]))
    if Xt.shape[1] != Xa.shape[1]:
        raise RecordError(f"X_test has {Xt.shape[1]} columns but X has {Xa.shape[1]}; they must match")
    yt = _targets(y_test, len(Xt), "y_test") if y_test is not None else np.empty(0, dtype=ya.dtype)
    if len(yt) and _is_numeric(ya) != _is_numeric(yt):
        raise RecordError("y_test must hold the same kind of labels as y (numbers or text)")
    labels = np.concatenate([ya, yt])
    task = task or _infer_task(labels, class_names)
    names: tuple[str, ...] = ()
    if task == "regression":
        if not _is_numeric(labels):
            raise RecordError("task 'regression' needs numeric y; y holds text labels")
        codes = labels.astype(np.float64)
        if not np.isfinite(codes).all():
            raise RecordError("y holds a value that is not finite; every target must be a finite number")
    else:
        codes, names, _ = _class_codes(labels, class_names, task)
        if task == "binary" and len(names) != 2:
            raise RecordError(f"task 'binary' needs 2 classes; y has {len(names)} ({', '.join(names[:5])})")
    features = tuple(feature_names) if feature_names is not None else _column_names(X, Xa.shape[1])
    if len(features) != Xa.shape[1]:
        raise RecordError(f"feature_names has {len(features)} names for {Xa.shape[1]} columns of X")
    if image_shape is not None and (len(image_shape) != 2 or int(np.prod(image_shape)) != Xa.shape[1]):
        raise RecordError(f"image_shape {image_shape} does not hold the {Xa.shape[1]} columns of X (height x width)")
    n = len(Xa)
    data = Dataset(
        name,
        task,
        Xa,
        codes[:n],
        Xt,
        codes[n:],
        features,
        names,
        image_shape=None if image_shape is None else (int(image_shape[0]), int(image_shape[1])),
    )
    for a in (data.X, data.y, data.X_test, data.y_test):
        a.flags.writeable = False  # as load_dataset's: no stage may change what the frames are drawn from
    return data


def _column_names(X: Any, d: int) -> tuple[str, ...]:
    columns = getattr(X, "columns", None)  # a pandas DataFrame names its features
    if columns is not None and len(columns) == d:
        return tuple(str(c) for c in columns)
    return tuple(f"x{i}" for i in range(d))
