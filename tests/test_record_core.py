"""Recording without a framework: user arrays, weight lists, the recorded run's files and its re-render.

What a user sees: the Dataset made of their arrays (exactly their numbers), a History whose
metrics are nnviz's own, the five files a recorded run writes (animation, poster, history CSV,
TOML, the arrays), ``nnviz animate --history`` re-rendering them byte for byte, and one line for
every refusal. No framework is needed here; tests/test_record_{torch,sklearn,keras}.py cover those.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_run, error_line, small_cfg

import nnviz
from nnviz import render
from nnviz.engine import train
from nnviz.engine.data import load_dataset, recorded
from nnviz.errors import ConfigError, DataError
from nnviz.recorders import MissingExtra, RecordError, animate_history, framework_of, from_arrays, history_from_weights

SMALL_RENDER = {"grid": 20, "size": "300x100"}


def one_line(exc: pytest.ExceptionInfo) -> str:
    """The refusal's message, checked to be one line with no chained traceback."""
    text = str(exc.value)
    assert "\n" not in text and exc.value.__cause__ is None and exc.value.__suppress_context__ in (True, False)
    return text


# --- importing ---------------------------------------------------------------------


def test_importing_nnviz_and_its_recorders_imports_no_framework() -> None:
    code = (
        "import sys, nnviz, nnviz.recorders\n"
        "nnviz.record, nnviz.from_arrays, nnviz.history_from_weights, nnviz.keras_callback\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'sklearn', 'keras', 'tensorflow', 'scipy'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("torch", "PyTorch is not installed: pip install 'nnviz-anim[torch]'"),
        ("sklearn", "scikit-learn is not installed: pip install 'nnviz-anim[sklearn]'"),
        ("keras", "Keras is not installed: pip install 'nnviz-anim[keras]'"),
    ],
)
def test_a_missing_framework_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, package: str, message: str
) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # `import package` now fails as if it were not installed
    monkeypatch.delitem(sys.modules, f"nnviz.recorders.{package}", raising=False)
    fake = type("Model", (), {"__module__": f"{package}.models"})  # a model whose class is the framework's
    with pytest.raises(MissingExtra) as exc:
        nnviz.record(fake(), np.zeros((4, 2)), np.zeros(4))
    assert one_line(exc) == message
    assert isinstance(exc.value, ImportError)
    with pytest.raises(MissingExtra, match=r"^" + message.replace("[", r"\[").replace("]", r"\]") + "$"):
        importlib.import_module(f"nnviz.recorders.{package}")


def test_a_model_of_no_known_framework_is_refused_with_the_way_out() -> None:
    with pytest.raises(RecordError) as exc:
        framework_of(object())
    assert one_line(exc) == (
        "nnviz.record takes a PyTorch nn.Module, a scikit-learn MLPClassifier or MLPRegressor, or a Keras Sequential; "
        "got builtins.object: for another framework build the History with nnviz.history_from_weights"
    )
    tf_model = type("Sequential", (), {"__module__": "tensorflow.python.keras.engine"})
    with pytest.raises(RecordError, match=r"is a tf.keras model: nnviz records Keras 3 models"):
        framework_of(tf_model())


# --- from_arrays -----------------------------------------------------------------------


def test_arrays_are_kept_exactly_as_given_never_rescaled() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(1000.0, 300.0, size=(50, 3))  # features in the thousands: nnviz must not standardise them
    y = rng.integers(0, 3, 50)
    data = from_arrays(X, y)
    assert data.X.dtype == np.float64 and np.array_equal(data.X, X) and data.X is not X
    assert data.task == "multiclass" and data.class_names == ("0", "1", "2") and np.array_equal(data.y, y)
    assert data.feature_names == ("x0", "x1", "x2") and len(data.y_test) == 0
    assert not data.X.flags.writeable and not data.y.flags.writeable


@pytest.mark.parametrize(
    ("y", "kwargs", "task", "classes"),
    [
        ([0, 1, 1, 0], {}, "binary", ("0", "1")),
        ([0.0, 1.0, 1.0, 0.0], {}, "binary", ("0", "1")),
        ([[0], [1], [1], [0]], {}, "binary", ("0", "1")),  # a column vector, as (n, 1) tensors come
        ([0, 1, 1, 0], {"task": "multiclass"}, "multiclass", ("0", "1")),  # 2 logits with cross-entropy
        ([0.5, 1.5, 2.25, 3.0], {}, "regression", ()),
        (["dog", "cat", "cat", "dog"], {}, "binary", ("cat", "dog")),  # text: sorted, as sklearn's classes_
        ([0, 1, 1, 0], {"class_names": ("cat", "dog")}, "binary", ("cat", "dog")),
        ([0, 2, 2, 0], {"class_names": ("a", "b", "c")}, "multiclass", ("a", "b", "c")),  # class 1 absent
    ],
)
def test_arrays_task_and_classes(y, kwargs, task: str, classes: tuple[str, ...]) -> None:
    data = from_arrays(np.arange(8.0).reshape(4, 2), y, **kwargs)
    assert (data.task, data.class_names) == (task, classes)


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "message"),
    [
        ([[1, "a"], [2, 3]], [0, 1], {}, "X must hold numbers only (a 2-D array of shape (samples, features))"),
        ([1.0, 2.0], [0, 1], {}, "X is 1-D (2,); give it as (samples, features), e.g. X.reshape(-1, 1)"),
        ([[1.0], [np.nan]], [0, 1], {}, "X row 1 holds nan; every value must be finite"),
        ([[1.0], [2.0]], [0, 1, 1], {}, "y has shape (3,); expected one target per row of X (2,)"),
        ([[1.0], [2.0]], [0, 1], {"X_test": [[1.0]]}, "give X_test and y_test together, or neither"),
        ([[1.0], [2.0]], [0, 1], {"X_test": [[1.0, 2.0]], "y_test": [0]}, "X_test has 2 columns but X has 1; they must match"),
        ([[1.0], [2.0], [3.0]], [0, 1, 2], {"task": "binary"}, "task 'binary' needs 2 classes; y has 3 (0, 1, 2)"),
        (
            [[1.0], [2.0]],
            [-1, 1],
            {"task": "binary"},  # without a task, -1 and 1 are numbers to predict
            "y holds -1, 1: class labels must be whole numbers 0..k-1 (the model's output index), or text; "
            "pass task='regression' to predict numbers",
        ),
        ([[1.0], [2.0]], [0, 1], {"task": "ranking"}, "task 'ranking' is unknown; valid: binary, multiclass, regression"),
        ([[1.0], [2.0]], [0, 1], {"feature_names": ["a", "b"]}, "feature_names has 2 names for 1 columns of X"),
    ],
)
def test_bad_arrays_are_one_line(X, y, kwargs, message: str) -> None:
    with pytest.raises(RecordError) as exc:
        from_arrays(X, y, **kwargs)
    assert one_line(exc) == message


def test_tensor_like_arrays_are_detached_and_read() -> None:
    class Tensor:  # what a torch.Tensor offers, without torch
        def __init__(self, a: np.ndarray) -> None:
            self.a = a

        def detach(self) -> Tensor:
            return self

        def cpu(self) -> Tensor:
            return self

        def numpy(self) -> np.ndarray:
            return self.a

    data = from_arrays(Tensor(np.ones((3, 2), dtype=np.float32)), Tensor(np.array([0.0, 1.0, 0.0])))
    assert data.X.dtype == np.float64 and data.task == "binary"


# --- weights -> History -> files -> --history ---------------------------------------------


@pytest.fixture(scope="module")
def own_run(tmp_path_factory: pytest.TempPathFactory):
    """nnviz's own tiny run, with a test split: its config, data, result and folder."""
    folder = tmp_path_factory.mktemp("own")
    cfg = small_cfg(data__test_fraction=0.25)
    data = train.load_data(cfg)
    result = render.animate(cfg, folder / "own.gif")
    return cfg, data, result, folder


def test_weights_of_nnvizs_own_run_give_its_history_and_its_bytes(own_run, tmp_path: Path) -> None:
    cfg, data, own, _ = own_run
    mine = from_arrays(data.X, data.y, X_test=data.X_test, y_test=data.y_test)
    history = history_from_weights([ep.params for ep in own.history.epochs], mine, "tanh")
    assert [ep.metrics for ep in history.epochs] == [ep.metrics for ep in own.history.epochs]  # nnviz's own, exactly
    assert history.metric_names == own.history.metric_names and "test_accuracy" in history.metric_names
    result = animate_history(history, mine, tmp_path / "rec.gif", **SMALL_RENDER)
    assert result.frames == own.frames
    # The same parameters on the same data draw the same frames: the recorded run is nnviz's own, byte for byte.
    assert result.path.read_bytes() == own.path.read_bytes()
    assert result.history_csv.read_bytes() == own.history_csv.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.csv", "rec.data.npz", "rec.events.csv", "rec.gif", "rec.png", "rec.toml"]


def test_a_recorded_run_re_renders_from_its_csv_with_its_test_split(own_run, tmp_path: Path) -> None:
    _, data, own, _ = own_run
    mine = from_arrays(data.X, data.y, X_test=data.X_test, y_test=data.y_test, class_names=("out", "mid"))
    history = history_from_weights([ep.params for ep in own.history.epochs], mine)
    first = animate_history(history, mine, tmp_path / "run.gif", **SMALL_RENDER)
    toml = first.config_toml.read_text()
    assert 'name = "recorded"' in toml and f'path = "{tmp_path / "run.data.npz"}"' in toml
    saved = load_dataset("recorded", path=str(tmp_path / "run.data.npz"))
    for a, b in ((saved.X, mine.X), (saved.y, mine.y), (saved.X_test, mine.X_test), (saved.y_test, mine.y_test)):
        assert a.dtype == b.dtype and np.array_equal(a, b)  # the user's explicit split, exactly
    assert saved.class_names == ("out", "mid") and saved.task == "binary"
    code, output = cli_run("animate", "--history", str(first.history_csv), "--out", str(tmp_path / "again.gif"), "-q")
    assert code == 0, output
    assert (tmp_path / "again.gif").read_bytes() == first.path.read_bytes()


def test_a_recorded_run_is_byte_identical_when_rerun(own_run, tmp_path: Path) -> None:
    _, data, own, _ = own_run
    mine = from_arrays(data.X, data.y)
    weights = [ep.params for ep in own.history.epochs]
    files = {}
    for attempt in range(2):
        animate_history(history_from_weights(weights, mine), mine, tmp_path / "run.gif", **SMALL_RENDER)
        files[attempt] = {p.name: p.read_bytes() for p in sorted(tmp_path.iterdir())}
    assert files[0] == files[1] and len(files[0]) == 6  # the animation, poster, history, events, config, arrays


def test_leaky_slope_survives_the_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    data = from_arrays(X, y)
    weights = [[rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(3, 1)), rng.normal(size=1)] for _ in range(3)]
    slow = history_from_weights(weights, data, "leaky_relu", leaky_slope=0.3)
    usual = history_from_weights(weights, data, "leaky_relu")
    assert slow.model.leaky_slope == 0.3 and slow.last.loss != usual.last.loss  # the slope is used
    first = animate_history(slow, data, tmp_path / "leaky.gif", **SMALL_RENDER)
    assert "leaky_slope = 0.3" in first.config_toml.read_text()
    code, output = cli_run("animate", "--history", str(first.history_csv), "--out", str(tmp_path / "re.gif"), "-q")
    assert code == 0, output
    assert (tmp_path / "re.gif").read_bytes() == first.path.read_bytes()


def test_every_format_and_panel_set_renders_a_recorded_run(own_run, tmp_path: Path) -> None:
    _, data, own, _ = own_run
    mine = from_arrays(data.X, data.y)
    history = history_from_weights([ep.params for ep in own.history.epochs], mine)
    for fmt in ("mp4", "webp", "html", "png"):
        result = animate_history(history, mine, tmp_path / f"run.{fmt}", **SMALL_RENDER)
        assert result.path.suffix == f".{fmt}" and result.path.stat().st_size > 0
    result = animate_history(history, mine, tmp_path / "panels.gif", panels="input,loss,neurons", **SMALL_RENDER)
    assert result.frames == len(history)
    assert "<img" in result._repr_html_()  # the notebook display


# --- refusals --------------------------------------------------------------------------------


def _data(n_features: int = 2, task: str | None = None) -> object:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, n_features))
    y = {None: (X[:, 0] > 0).astype(float), "regression": X[:, 0] * 2.5}[task]
    return from_arrays(X, y)


@pytest.mark.parametrize(
    ("shapes", "data", "message"),
    [
        (
            [(3, 2), (2,), (2, 1), (1,)],
            _data(2),
            "weights layer W1 takes 3 inputs, but X has 2 columns; record the model with the arrays it was trained on",
        ),
        (
            [(2, 2), (2,), (2, 2), (2,)],
            _data(2),
            "weights output layer W2 has 2 outputs, but y holds a binary task (2 classes: 0, 1): nnviz needs 1 output: "
            "a logit (binary cross-entropy with logits) or a unit with a sigmoid; for 2 logits with cross-entropy pass "
            "task='multiclass'",
        ),
        (
            [(2, 1), (1,)],
            _data(2),
            "weights model has a single dense layer (W1): nnviz draws hidden layers, so it needs at least one hidden "
            "layer (dense, activation, dense)",
        ),
        (
            [(2, 2), (2,), (3, 1), (1,)],
            _data(2),
            "snapshot 0 is not [W1, b1, W2, b2, ...] with each W shaped (fan_in, fan_out) and b (fan_out,) feeding the "
            "next layer; got shapes [(2, 2), (2,), (3, 1), (1,)]",
        ),
    ],
)
def test_weights_that_do_not_fit_are_one_line(shapes, data, message: str) -> None:
    weights = [[np.zeros(s) for s in shapes]]
    with pytest.raises(RecordError) as exc:
        history_from_weights(weights, data)
    assert one_line(exc) == message


def test_a_sigmoid_head_on_a_regression_is_refused() -> None:
    weights = [[np.zeros((2, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros(1)]]
    with pytest.raises(RecordError) as exc:
        history_from_weights(weights, _data(2, "regression"), head="sigmoid")
    assert one_line(exc) == (
        "weights output layer W2 has 1 output and a sigmoid (the head), but y holds numbers to predict (a regression "
        "task): nnviz needs 1 output with no activation (squared error)"
    )


@pytest.mark.parametrize(
    ("epochs", "message"),
    [
        ([0, 0], "epoch 0 follows epoch 0: epochs must increase"),
        ([3, 1], "epoch 1 follows epoch 3: epochs must increase"),
        ([0, -1], "epoch -1 (step None) is invalid: epochs run 0..100,000, steps from 0"),
    ],
)
def test_snapshots_out_of_order_are_one_line(epochs: list[int], message: str) -> None:
    weights = [[np.zeros((2, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros(1)]] * 2
    with pytest.raises(RecordError) as exc:
        history_from_weights(weights, _data(2), epochs=epochs)
    assert one_line(exc) == message


def test_non_finite_weights_are_refused_naming_the_snapshot() -> None:
    bad = [np.full((2, 2), np.inf), np.zeros(2), np.zeros((2, 1)), np.zeros(1)]
    good = [np.zeros((2, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros(1)]
    with pytest.raises(RecordError) as exc:
        history_from_weights([good, bad], _data(2))
    assert one_line(exc).startswith("a parameter is not finite at epoch 1: training diverged; 1 snapshots are kept")


def test_unknown_render_option_is_one_line(own_run, tmp_path: Path) -> None:
    _, data, own, _ = own_run
    mine = from_arrays(data.X, data.y)
    history = history_from_weights([own.history.epochs[0].params], mine)
    with pytest.raises(ConfigError, match=r"^unknown render option 'colour'; valid: grid, format, fps, size"):
        animate_history(history, mine, tmp_path / "x.gif", colour="red")
    assert list(tmp_path.iterdir()) == []  # refused before anything is written


# --- the recorded data file ---------------------------------------------------------------------


def test_the_data_file_reads_back_exactly_and_bad_ones_are_one_line(tmp_path: Path) -> None:
    arrays = recorded.Arrays(
        "mine", "multiclass", np.eye(3), np.array([0.0, 1.0, 2.0]), np.ones((1, 3)), np.array([1.0]),
        ("a", "b", "c"), ("x", "y", "z"),
    )
    path = recorded.write(arrays, tmp_path / "run.data.npz")
    back = recorded.read(path)
    assert back.name == "mine" and back.class_names == ("x", "y", "z") and np.array_equal(back.X_test, np.ones((1, 3)))
    (tmp_path / "junk.data.npz").write_text("not a zip")
    code, output = cli_run("animate", "--data", str(tmp_path / "junk.data.npz"), "--out", str(tmp_path / "a.gif"), "-q")
    assert code == 1
    assert error_line(output) == f"Error: data file {tmp_path / 'junk.data.npz'} cannot be read: File is not a zip file"
    np.savez(tmp_path / "other.data.npz", X=np.eye(2))
    with pytest.raises(DataError, match=r"lacks y, X_test, y_test, task, name, feature_names, class_names: it is not"):
        recorded.read(tmp_path / "other.data.npz")
    with pytest.raises(DataError, match=r"holds a multiclass task; data.task = 'binary' cannot change it"):
        recorded.read(path, "binary")
