"""A user's CSV file -> ``Dataset``: header row, numeric features, a target column.

A CSV is parsed row by row into floats, never held as text, and refused as
soon as it is known to be too big. The target's task (binary, multiclass or
regression) is inferred from the column unless the config sets it.
"""

from __future__ import annotations

import array
import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...bounded import CappedReader as CappedReader  # re-exported: its home is nnviz.bounded
from ...bounded import open_input
from ...config import MAX_SAMPLES
from ...errors import DataError
from . import mnist
from .base import Dataset, DatasetSpec, ReadOptions, check_task, full

Array = np.ndarray

MAX_CLASSES = 20  # beyond this an integer target is far likelier a count than a label
# What a class label written as a number looks like: "1", "-2", "1.0", "0.00".
# "2.5", "1e3" and "1e308" read as measurements (a regression target).
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+(\.0*)?")


# A CSV is parsed row by row into floats, never held as text, and refused as
# soon as it is known to be too big: by its size before reading (or, for a
# pipe or device, which has no size, once that many bytes are read), by its
# header (the columns fix a row's cost), and at the row cap while reading.
# 200 MiB of CSV is ~10 million numbers; a table that size takes hours to
# train on and its mesh is already capped, so larger files are mistakes or
# belong to a sample. The row cap is data.n_samples' own.
MAX_CSV_BYTES = 200 * 2**20
MAX_CSV_ROWS = MAX_SAMPLES


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
    check_task(task)
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
    note = _describe_target(task, column, classes, inferred)
    return replace(full("csv", task, X, y, features, classes), note=note, scaled=False)


def _read(path: Path, options: ReadOptions) -> Dataset:
    return load_csv(path, options.task, options.target)


DATASET = DatasetSpec(
    "csv",
    "auto",
    "your CSV file (data.path): header row; target = data.target or the last column",
    read=_read,
    suffixes=(".csv",),
)
