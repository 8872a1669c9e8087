"""Tests for nnviz.datasets: every generator, the split, the CSV loader and the bundled digits."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from nnviz.engine.data import DATASETS, Dataset, file_kind, load_dataset, reads_file
from nnviz.errors import DataError

# The 2-D (and 1-D) toy generators: everything made, not read, that takes noise.
GENERATED = [name for name, spec in DATASETS.items() if spec.make is not None and spec.noise is not None]


def _csv(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


# --- the table ----------------------------------------------------------------

def test_table_names_are_exactly_the_documented_ones() -> None:
    assert list(DATASETS) == [
        "blobs", "blobs3", "xor", "sine", "circles", "moons", "spiral", "gaussians", "digits", "csv", "recorded", "mnist",
    ]
    assert GENERATED == ["blobs", "blobs3", "xor", "sine", "circles", "moons", "spiral", "gaussians"]
    assert all(spec.name == name and spec.description for name, spec in DATASETS.items())
    assert DATASETS["csv"].task == "auto"


def test_every_row_either_makes_or_reads() -> None:
    for spec in DATASETS.values():
        assert (spec.make is None) != (spec.read is None), spec.name
    assert [name for name in DATASETS if reads_file(name)] == ["csv", "recorded", "mnist"]
    assert not reads_file("blobs") and not reads_file("digits") and not reads_file("nope")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("data.csv", "csv"),
        ("table.TXT", "csv"),  # unknown endings stay CSV, as --data always meant
        ("/x/mnist.npz", "mnist"),
        ("train-images-idx3-ubyte", "mnist"),
        ("train-images-idx3-ubyte.gz", "mnist"),
        ("t10k-labels-idx1-ubyte.GZ", "mnist"),
    ],
)
def test_file_kind_goes_by_the_name(path: str, kind: str) -> None:
    assert file_kind(path) == kind


@pytest.mark.parametrize("name", ["csv", "mnist"])
def test_file_kinds_need_a_path(name: str) -> None:
    with pytest.raises(DataError, match=f"the {name} dataset needs a file: set data.path"):
        load_dataset(name)


def test_importing_datasets_pulls_in_neither_matplotlib_nor_pandas() -> None:
    code = "import sys, nnviz.engine.data; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --- every generated dataset ----------------------------------------------------

@pytest.mark.parametrize("name", GENERATED)
def test_generated_shapes_dtypes_and_task(name: str) -> None:
    spec = DATASETS[name]
    data = load_dataset(name)
    d = 1 if name == "sine" else 2
    assert isinstance(data, Dataset) and data.name == name and data.task == spec.task
    assert data.X.shape == (spec.n_samples, d) and data.y.shape == (spec.n_samples,)
    assert data.X_test.shape == (0, d) and data.y_test.shape == (0,)
    assert all(a.dtype == np.float64 for a in (data.X, data.y, data.X_test, data.y_test))
    assert np.isfinite(data.X).all() and np.isfinite(data.y).all()
    assert data.feature_names == tuple(f"x{i}" for i in range(d)) and data.n_features == d
    if spec.task == "regression":
        assert data.class_names == () and data.n_classes == 0
    else:
        k = data.n_classes
        assert k == (3 if name == "blobs3" else 2) and data.class_names == tuple(map(str, range(k)))
        assert set(np.unique(data.y)) == set(range(k))


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_is_bit_identical_and_other_seeds_differ(name: str) -> None:
    a, b = load_dataset(name, seed=3, test_fraction=0.25), load_dataset(name, seed=3, test_fraction=0.25)
    c = load_dataset(name, seed=4, test_fraction=0.25)
    for field in ("X", "y", "X_test", "y_test"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes()
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", GENERATED)
def test_n_samples_and_noise_are_honoured(name: str) -> None:
    data = load_dataset(name, n_samples=37, noise=0.0)
    assert data.X.shape[0] == 37 == len(data.y)
    noisy = load_dataset(name, n_samples=37, noise=0.3)
    assert not np.array_equal(data.X if name != "sine" else data.y, noisy.X if name != "sine" else noisy.y)


@pytest.mark.parametrize("name", ["blobs", "blobs3", "circles", "moons", "spiral", "gaussians"])
def test_sample_order_is_shuffled(name: str) -> None:
    # Built class by class, so an unshuffled y would be sorted or in long runs.
    y = load_dataset(name).y
    assert np.count_nonzero(np.diff(y)) > len(y) // 4


def test_blobs_balance_and_centres() -> None:
    data = load_dataset("blobs", noise=0.05)
    X, y = data.X, data.y
    assert np.bincount(y.astype(int)).tolist() == [200, 200]
    assert np.allclose(X[y == 1].mean(axis=0), (0, 0), atol=0.02)
    outer = X[y == 0]
    low, high = outer[outer.sum(axis=1) < 0], outer[outer.sum(axis=1) > 0]
    assert (len(low), len(high)) == (100, 100)
    assert np.allclose(low.mean(axis=0), (-1, -1), atol=0.02) and np.allclose(high.mean(axis=0), (1, 1), atol=0.02)
    assert np.allclose(np.std(X[y == 1], axis=0), 0.05, rtol=0.2)


def test_blobs_odd_count_stays_balanced() -> None:
    y = load_dataset("blobs", n_samples=7).y
    assert np.bincount(y.astype(int)).tolist() == [3, 4]


def test_blobs3_classes_and_centres() -> None:
    data = load_dataset("blobs3", noise=0.05)
    assert np.bincount(data.y.astype(int)).tolist() == [200, 200, 200]
    for k, centre in enumerate([(-1, -1), (0, 0), (1, 1)]):
        assert np.allclose(data.X[data.y == k].mean(axis=0), centre, atol=0.02)


def test_gaussians_centres() -> None:
    data = load_dataset("gaussians", noise=0.05)
    assert np.allclose(data.X[data.y == 0].mean(axis=0), (-1.5, -1.5), atol=0.02)
    assert np.allclose(data.X[data.y == 1].mean(axis=0), (1.5, 1.5), atol=0.02)


def test_xor_labels_follow_the_sign_of_the_product() -> None:
    data = load_dataset("xor")  # default noise 0: no jitter
    assert np.abs(data.X).max() <= 1.0
    assert np.array_equal(data.y, (data.X[:, 0] * data.X[:, 1] > 0).astype(float))
    assert 0.4 < data.y.mean() < 0.6


def test_xor_jitter_comes_after_labelling() -> None:
    data = load_dataset("xor", noise=0.2)
    wrong = data.y != (data.X[:, 0] * data.X[:, 1] > 0)
    assert 0 < wrong.mean() < 0.3


def test_sine_follows_the_formula_within_noise() -> None:
    data = load_dataset("sine", noise=0.1)
    x = data.X[:, 0]
    residual = data.y - x - 0.3 * np.sin(2 * np.pi * x)
    assert ((x >= 0) & (x <= 1)).all()
    assert np.abs(residual).max() <= 0.1 and np.abs(residual).max() > 0.05
    exact = load_dataset("sine", noise=0.0)
    assert np.allclose(exact.y, exact.X[:, 0] + 0.3 * np.sin(2 * np.pi * exact.X[:, 0]))


def test_circles_radii_and_inner_class() -> None:
    data = load_dataset("circles", noise=0.0)
    r = np.hypot(data.X[:, 0], data.X[:, 1])
    assert np.allclose(r[data.y == 1], 0.5) and np.allclose(r[data.y == 0], 1.0)


def test_moons_shape_without_noise() -> None:
    data = load_dataset("moons", noise=0.0)
    upper, lower = data.X[data.y == 0], data.X[data.y == 1]
    assert np.allclose(np.hypot(*upper.T), 1.0) and (upper[:, 1] >= -1e-12).all()
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0) and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_spiral_stays_in_range_and_arms_are_opposite() -> None:
    data = load_dataset("spiral")
    assert np.abs(data.X).max() <= 1.2
    clean = load_dataset("spiral", noise=0.0)
    # The arms are half a turn apart: every class-0 point is a class-1 point mirrored through 0.
    a = clean.X[clean.y == 1]
    b = clean.X[clean.y == 0]
    key = lambda p: tuple(np.round(p, 9))  # noqa: E731
    assert {key(p) for p in a} == {key(-p) for p in b}


# --- the split and argument checks --------------------------------------------

@pytest.mark.parametrize(("n", "fraction", "n_test"), [(400, 0.2, 80), (400, 0.25, 100), (10, 0.01, 1), (10, 0.99, 9)])
def test_test_split_sizes(n: int, fraction: float, n_test: int) -> None:
    data = load_dataset("moons", n_samples=n, test_fraction=fraction)
    assert (len(data.y_test), len(data.y)) == (n_test, n - n_test)
    assert data.X_test.shape == (n_test, 2)


def test_split_partitions_the_full_data() -> None:
    full = load_dataset("blobs", seed=5)
    split = load_dataset("blobs", seed=5, test_fraction=0.3)
    rows = lambda X: sorted(map(tuple, X))  # noqa: E731
    assert rows(np.vstack([split.X, split.X_test])) == rows(full.X)


def test_arrays_are_read_only() -> None:
    data = load_dataset("blobs", test_fraction=0.1)
    with pytest.raises(ValueError):
        data.X[0, 0] = 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "nope"}, "unknown dataset 'nope'; choose one of: blobs, blobs3, xor"),
        ({"name": "blobs", "path": "x.csv"}, "data.path is only used by the file datasets (csv, recorded, mnist), not 'blobs'"),
        ({"name": "csv"}, "csv dataset needs a file"),
        ({"name": "blobs", "n_samples": 2}, "n_samples must be an integer of at least 4"),
        ({"name": "blobs", "noise": -0.1}, "noise must be a finite number of at least 0"),
        ({"name": "blobs", "test_fraction": 1.0}, "test_fraction must be at least 0 and below 1"),
        ({"name": "blobs", "seed": -1}, "seed must be a non-negative integer"),
        ({"name": "blobs", "task": "ranking"}, "unknown task 'ranking'; choose one of: binary, multiclass, regression"),
        ({"name": "blobs", "task": "regression"}, "only overrides a CSV's task; the blobs dataset is binary"),
        ({"name": "blobs", "target": "y"}, "data.target picks a CSV column; the blobs dataset has no columns to pick"),
        ({"name": "digits", "noise": 0.1}, "noise does not apply to the digits dataset; drop data.noise (--noise)"),
        ({"name": "digits", "n_samples": 1798}, "n_samples = 1798 is more than the 1,797 rows of the digits dataset"),
        ({"name": "digits", "n_samples": 3}, "n_samples must be an integer of at least 4"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        load_dataset(**kwargs)


def test_matching_task_is_accepted_for_generated_data() -> None:
    assert load_dataset("blobs3", task="multiclass").task == "multiclass"


# --- CSV: happy paths ------------------------------------------------------------

def test_csv_binary(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,b,label\n0.5,1,3\n-1,2e-1,7\n\n2,3,3\n")
    data = load_dataset("csv", path=path)
    assert data.task == "binary" and data.feature_names == ("a", "b") and data.class_names == ("3", "7")
    assert data.note == "binary task inferred from column 'label' (2 classes: 3, 7)"
    assert np.array_equal(data.X, [[0.5, 1], [-1, 0.2], [2, 3]]) and np.array_equal(data.y, [0, 1, 0])
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64 and data.X_test.shape == (0, 2)


def test_csv_multiclass_sorts_labels_numerically(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,10\n2,9\n3,-2\n4,10\n")
    data = load_dataset("csv", path=path)
    assert data.task == "multiclass" and data.class_names == ("-2", "9", "10") and data.n_classes == 3
    assert data.y.tolist() == [2, 1, 0, 2]


def test_csv_float_targets_are_regression(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,t\n0,0.5\n1,1.0\n2,3\n")
    data = load_dataset("csv", path=path)
    assert data.task == "regression" and data.class_names == () and data.y.tolist() == [0.5, 1.0, 3.0]


def test_csv_bom_quotes_and_whitespace(tmp_path: Path) -> None:
    path = _csv(tmp_path, '\ufeff"x 1", y \n" 1.5",0\n2, 1\n'.encode())
    data = load_dataset("csv", path=path)
    assert data.feature_names == ("x 1",) and data.X[:, 0].tolist() == [1.5, 2.0] and data.task == "binary"


@pytest.mark.parametrize(
    ("task", "expected_y", "classes"),
    [("regression", [0, 1, 2, 1], ()), ("multiclass", [0, 1, 2, 1], ("0", "1", "2"))],
)
def test_csv_task_override(tmp_path: Path, task: str, expected_y: list, classes: tuple) -> None:
    path = _csv(tmp_path, "x,y\n1,0\n2,1\n3,2\n4,1\n")
    data = load_dataset("csv", path=path, task=task)
    assert data.task == task and data.y.tolist() == expected_y and data.class_names == classes


def test_csv_task_override_on_float_targets(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,0.5\n2,-1.5\n3,0.5\n")
    binary = load_dataset("csv", path=path, task="binary")
    assert binary.task == "binary" and binary.y.tolist() == [1, 0, 1] and binary.class_names == ("-1.5", "0.5")
    multi = load_dataset("csv", path=path, task="multiclass")
    assert multi.task == "multiclass" and multi.n_classes == 2


def test_csv_split_keeps_file_order_and_is_seeded(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 2}\n" for i in range(10))
    path = _csv(tmp_path, "x,y\n" + rows)
    data = load_dataset("csv", path=path, test_fraction=0.3, seed=1)
    assert len(data.y_test) == 3 and len(data.y) == 7
    assert np.all(np.diff(data.X[:, 0]) > 0) and np.all(np.diff(data.X_test[:, 0]) > 0)
    assert sorted(np.r_[data.X[:, 0], data.X_test[:, 0]]) == list(range(10))
    again = load_dataset("csv", path=path, test_fraction=0.3, seed=1)
    other = load_dataset("csv", path=path, test_fraction=0.3, seed=2)
    assert np.array_equal(data.X_test, again.X_test) and not np.array_equal(data.X_test, other.X_test)


# --- CSV: errors ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("x,y\n", "has a header but no data rows"),
        ("y\n1\n2\n", "has 1 column ('y'); need at least 2"),
        ("x,y\n1,0\n2,1,5\n", "line 3: expected 2 fields, found 3"),
        ("x,y\n1,0\n\n2\n", "line 4: expected 2 fields, found 1"),
        ("x1,y\n1,0\nabc,1\n", "line 3, column 'x1': 'abc' is not a number"),
        ("x1,y\n1,0\n,1\n", "line 3, column 'x1': missing value"),
        ("x1,y\n1,0\n2, \n", "line 3, column 'y': missing value"),
        ("x1,y\nNaN,0\n", "line 2, column 'x1': NaN is not allowed"),
        ("x1,y\nnan,0\n", "line 2, column 'x1': NaN is not allowed"),
        ("x1,y\n1,0\n2,inf\n", "line 3, column 'y': 'inf' is not allowed"),
        ("x1,y\n1,cat\ndog,1\n", "line 3, column 'x1': 'dog' is not a number"),  # text only in the target
        ('x,"y\n1,0\n', "line 1: unexpected end of data"),
        # A quoted name spanning lines 1-2 must not throw off later line numbers.
        ('"x\nw",y\n1,0\nq,1\n', "line 4, column 'x\\nw': 'q' is not a number"),
        ("x,,y\n1,2,3\n", "line 1: column 2 has no name"),
        ("x,x,y\n1,2,3\n", "line 1: column name 'x' appears twice"),
        ("x,y\n1,4\n2,4\n", "target column 'y' has a single class (4); need at least 2"),
        ("x,y\n" + "".join(f"{i},{i}\n" for i in range(21)), "has 21 distinct values; at most 20 classes"),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError) as info:
        load_dataset("csv", path=_csv(tmp_path, text))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_csv_too_many_classes_suggests_regression(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(21)))
    with pytest.raises(DataError, match="task = 'regression'"):
        load_dataset("csv", path=path)
    assert load_dataset("csv", path=path, task="regression").task == "regression"


@pytest.mark.parametrize(
    ("task", "text", "message"),
    [
        ("binary", "x,y\n1,0\n2,1\n3,2\n", "task = 'binary' needs exactly 2 distinct target values; column 'y' has 3"),
        ("binary", "x,y\n1,0\n2,0\n", "has a single class"),
        ("multiclass", "x,y\n1,0.5\n2,0.5\n", "has a single class (0.5); need at least 2"),
    ],
)
def test_csv_task_override_errors(tmp_path: Path, task: str, text: str, message: str) -> None:
    with pytest.raises(DataError) as info:
        load_dataset("csv", path=_csv(tmp_path, text), task=task)
    assert message in str(info.value)


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found: .*nope.csv"):
        load_dataset("csv", path=str(tmp_path / "nope.csv"))


def test_csv_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a folder"):
        load_dataset("csv", path=str(tmp_path))


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="is not UTF-8 text"):
        load_dataset("csv", path=path)


def test_csv_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot make a file unreadable for root, so fake the OS refusing instead.
    path = _csv(tmp_path, "x,y\n1,0\n2,1\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("nnviz.bounded._open_fd", refuse)
    with pytest.raises(DataError, match="cannot read data file .*: Permission denied"):
        load_dataset("csv", path=path)


def test_csv_split_needs_two_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,0.5\n")
    assert len(load_dataset("csv", path=path).y) == 1
    with pytest.raises(DataError, match="leaves no training data"):
        load_dataset("csv", path=path, test_fraction=0.5)


# --- CSV: choosing and reading the target -------------------------------------------

def test_csv_target_names_a_column_anywhere(tmp_path: Path) -> None:
    path = _csv(tmp_path, "label,a,b\ncat,1,2\ndog,3,4\ncat,5,6\n")
    data = load_dataset("csv", path=path, target="label")
    assert data.task == "binary" and data.class_names == ("cat", "dog") and data.n_classes == 2
    assert data.feature_names == ("a", "b") and data.X.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert data.y.tolist() == [0, 1, 0]
    assert data.note == "binary task inferred from column 'label' (2 classes: cat, dog)"


def test_csv_target_in_the_middle_keeps_feature_order(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,t,b\n1,0.5,2\n3,1.5,4\n")
    data = load_dataset("csv", path=path, target="t")
    assert data.feature_names == ("a", "b") and data.X.tolist() == [[1, 2], [3, 4]]
    assert data.task == "regression" and data.y.tolist() == [0.5, 1.5]
    assert data.note == "regression task inferred from column 't' (numeric target)"


def test_csv_missing_target_column_lists_the_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,b,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError) as info:
        load_dataset("csv", path=path, target="lbl")
    assert str(info.value) == f"data file {path} has no column 'lbl' (data.target); columns: a, b, label"


def test_csv_float_integral_labels_are_classes(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,1.0\n2,0.0\n3,1.0\n")
    data = load_dataset("csv", path=path)
    assert data.task == "binary" and data.class_names == ("0.0", "1.0") and data.y.tolist() == [1, 0, 1]
    assert data.note == "binary task inferred from column 'y' (2 classes: 0.0, 1.0)"


def test_csv_yes_no_labels_sort_as_text(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,answer\n1,yes\n2,no\n3, yes \n")
    data = load_dataset("csv", path=path)
    assert data.task == "binary" and data.class_names == ("no", "yes") and data.y.tolist() == [1, 0, 1]


def test_csv_text_multiclass_and_mixed_labels(tmp_path: Path) -> None:
    data = load_dataset("csv", path=_csv(tmp_path, "x,y\n1,b\n2,a\n3,c\n4,a\n"))
    assert data.task == "multiclass" and data.class_names == ("a", "b", "c") and data.y.tolist() == [1, 0, 2, 0]
    # One text cell makes the whole column labels; the note shows what that meant.
    mixed = load_dataset("csv", path=_csv(tmp_path, "x,y\n1,1\n2,2\n3,cat\n", "mixed.csv"))
    assert mixed.class_names == ("1", "2", "cat")
    assert mixed.note == "multiclass task inferred from column 'y' (3 classes: 1, 2, cat)"


def test_csv_task_override_on_text_labels(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n1,cat\n2,dog\n")
    data = load_dataset("csv", path=path, task="multiclass")
    assert data.task == "multiclass" and data.n_classes == 2
    assert data.note == "multiclass task (set by data.task) on column 'y' (2 classes: cat, dog)"
    with pytest.raises(DataError) as info:
        load_dataset("csv", path=path, task="regression")
    assert str(info.value) == (
        f"data file {path}: line 2, column 'y': 'cat' is not a number; task = 'regression' needs a numeric target"
    )


def test_csv_too_many_text_labels(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,name\n" + "".join(f"{i},id{i:02d}\n" for i in range(21)))
    with pytest.raises(DataError) as info:
        load_dataset("csv", path=path)
    assert str(info.value) == (
        "target column 'name' has 21 distinct values; at most 20 classes are supported; "
        "text labels cannot be regressed; pick the label column with data.target (--target)"
    )


def test_csv_missing_target_cell(tmp_path: Path) -> None:
    path = _csv(tmp_path, "label,x\ncat,1\n,2\n")
    with pytest.raises(DataError, match="line 3, column 'label': missing value"):
        load_dataset("csv", path=path, target="label")


def test_csv_n_samples_takes_a_seeded_subset(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(10)))
    a = load_dataset("csv", path=path, n_samples=6, seed=1)
    assert len(a.y) == 6 and np.all(np.diff(a.X[:, 0]) > 0)  # a subset, in file order
    assert np.array_equal(a.X, load_dataset("csv", path=path, n_samples=6, seed=1).X)
    assert a.note == "binary task inferred from column 'y' (2 classes: 0, 1); a seeded subset of 6 of its 10 rows"
    # A file's size is not known in advance: asking for more keeps every row and says so.
    more = load_dataset("csv", path=path, n_samples=11)
    assert len(more.y) == 10 and more.note.endswith("; n_samples = 11 is more than its 10 rows, so all are used")
    assert load_dataset("csv", path=path, n_samples=10).note == "binary task inferred from column 'y' (2 classes: 0, 1)"
    with pytest.raises(DataError, match="noise does not apply to the csv dataset"):
        load_dataset("csv", path=path, noise=0.1)


# --- digits (bundled) ------------------------------------------------------------

DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_X_SHA256 = "23a53393488b04f92efc45ebc92767e2dcfdf206ba37a928f497d261e42267d2"
DIGITS_Y_SHA256 = "061ad6ef55db43219297185e36e289bb03a3645efcf351c452b19739ecdfb900"


def test_bundled_digits_file_is_the_pinned_one() -> None:
    raw = resources.files("nnviz.data").joinpath("digits.csv.gz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == DIGITS_SHA256


def test_digits_shape_classes_and_scaling() -> None:
    data = load_dataset("digits")
    assert data.task == "multiclass" and data.X.shape == (1797, 64) and data.y.shape == (1797,)
    assert data.class_names == tuple("0123456789") and data.n_classes == 10
    assert data.X.min() == 0.0 and data.X.max() == 1.0 and np.all(np.round(data.X * 16) == data.X * 16)
    # The counts scikit-learn documents for its copy, and the first image's top row.
    assert np.bincount(data.y.astype(int)).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert (data.X[0, :8] * 16).tolist() == [0, 0, 5, 13, 9, 1, 0, 0] and data.y[0] == 0
    assert hashlib.sha256(data.X.tobytes()).hexdigest() == DIGITS_X_SHA256
    assert hashlib.sha256(data.y.tobytes()).hexdigest() == DIGITS_Y_SHA256


def test_digits_subset_is_seeded_rows_of_the_full_set() -> None:
    full = load_dataset("digits")
    a, b = load_dataset("digits", n_samples=100, seed=2), load_dataset("digits", n_samples=100, seed=2)
    c = load_dataset("digits", n_samples=100, seed=3)
    assert a.X.shape == (100, 64) and np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)
    rows = {r.tobytes() for r in full.X}
    assert all(r.tobytes() in rows for r in a.X)
