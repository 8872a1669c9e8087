"""Recording Keras 3 (on the PyTorch backend) with a callback: what it reads, and what it refuses.

Skipped without Keras (the keras extra; `make test` installs it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_run

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

import nnviz  # noqa: E402
from nnviz.engine import nn as engine  # noqa: E402
from nnviz.recorders import RecordError  # noqa: E402

SMALL_RENDER = {"grid": 30, "size": "300x100"}


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and exc.value.__cause__ is None
    return text


def data(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    return X, (np.abs(X[:, 0]) < 0.7).astype(np.float64)


def test_keras_runs_on_the_pytorch_backend() -> None:
    assert keras.backend.backend() == "torch"


def test_the_callback_snapshots_train_begin_and_every_epoch_and_the_run_re_renders(tmp_path: Path) -> None:
    X, y = data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((2,)), layers.Dense(3, activation="tanh"), layers.Dropout(0.2), layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    cb = nnviz.keras_callback(X, y)
    model.fit(X, y, epochs=6, batch_size=16, verbose=0, callbacks=[cb])
    history = cb.history
    assert [e.epoch for e in history.epochs] == list(range(7))
    assert (history.model.activation, history.model.loss) == ("tanh", "bce")
    # nnviz's forward pass on the recorded weights is Keras' own prediction (float32 in Keras, float64 here).
    ours = engine.predict(history.model, history.last.params, X)
    np.testing.assert_allclose(ours, model.predict(X, verbose=0)[:, 0], rtol=0, atol=1e-6)
    result = cb.animate(tmp_path / "keras.gif", **SMALL_RENDER)
    assert result.frames == 7
    code, output = cli_run("animate", "--history", str(result.history_csv), "--out", str(tmp_path / "re.gif"), "-q")
    assert code == 0, output
    assert (tmp_path / "re.gif").read_bytes() == result.path.read_bytes()


@pytest.mark.parametrize(
    ("stack", "activation", "slope", "loss"),
    [
        (lambda: [layers.Dense(3, activation="relu"), layers.Dense(3, activation="softmax")], "relu", 0.01, "ce"),
        (lambda: [layers.Dense(3), layers.LeakyReLU(), layers.Dense(3), layers.Softmax()], "leaky_relu", 0.3, "ce"),
        (lambda: [layers.Dense(3, activation="leaky_relu"), layers.Dense(3)], "leaky_relu", 0.2, "ce"),
        (lambda: [layers.Dense(3, activation="gelu"), layers.Dense(3)], "gelu_erf", 0.01, "ce"),
        (lambda: [layers.Dense(3, activation="swish"), layers.Dense(3), layers.Activation("softmax")], "silu", 0.01, "ce"),
        (lambda: [layers.Dense(3, activation="softplus"), layers.Dense(3)], "softplus", 0.01, "ce"),
    ],
)
def test_every_supported_stack_is_read_and_computed_as_keras_does(stack, activation: str, slope: float, loss: str) -> None:
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(50, 2)) * 2, rng.integers(0, 3, 50)
    model = keras.Sequential([keras.Input((2,)), *stack()])
    rec = nnviz.record(model, X, y)
    rec.snapshot()
    assert (rec.network.activation, rec.network.leaky_slope, rec.network.loss) == (activation, slope, loss)
    theirs = np.asarray(model.predict(X, verbose=0), dtype=np.float64)
    if rec.read_network().head == "logits":
        theirs = rec.network.out.head(theirs)
    ours = engine.forward(rec.network, rec.history.last.params, X).a[-1]
    # Keras computes in float32: agreement to its rounding (a wrong activation or slope is off by 1e-4 or more).
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


SUPPORTED = (
    "Dense (activations linear, tanh, relu, sigmoid, leaky_relu, gelu, silu, softplus; a final sigmoid or softmax), "
    "Activation, ReLU, LeakyReLU, Softmax, Dropout"
)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: keras.Sequential([keras.Input((2,)), layers.Reshape((2, 1)), layers.Conv1D(2, 1)]),
            f"Keras layer 'reshape' (Reshape) is not supported; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: keras.Sequential([keras.Input((2,)), layers.Dense(3), layers.BatchNormalization(), layers.Dense(1)]),
            f"Keras layer 'batch_normalization' (BatchNormalization) is not supported; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: keras.Sequential([keras.Input((2,)), layers.Dense(3, activation=lambda x: x * 2), layers.Dense(1)]),
            f"Keras layer 'dense' (Dense) uses activation '<lambda>'; nnviz supports {SUPPORTED}",
        ),
        (
            lambda: keras.Sequential([keras.Input((3,)), layers.Dense(3, activation="tanh"), layers.Dense(1)]),
            "Keras layer 'dense' (Dense) takes 3 inputs, but X has 2 columns; record the model with the arrays it was "
            "trained on",
        ),
        (
            lambda: keras.Sequential([keras.Input((2,)), layers.Dense(3, activation="tanh"), layers.Dense(4, activation="softmax")]),
            "Keras output layer 'dense_1' (Dense) has 4 outputs and a softmax ('dense_1' (Dense)), but y holds a binary "
            "task (2 classes: 0, 1): nnviz needs 1 output: a logit (binary cross-entropy with logits) or a unit with a "
            "sigmoid; for 2 logits with cross-entropy pass task='multiclass'",
        ),
        (
            lambda: keras.Sequential([keras.Input((2,)), layers.Dense(3, activation="tanh"), layers.Dense(3, activation="relu"), layers.Dense(1)]),
            "Keras hidden layers use different activations ('dense' (Dense), 'dense_1' (Dense)); nnviz draws one "
            "activation for every hidden layer",
        ),
    ],
)
def test_unsupported_models_are_refused_in_one_line_naming_the_layer(make, message: str) -> None:
    X, y = data()
    keras.backend.clear_session()  # layer names count from 0 in each test
    with pytest.raises(RecordError) as exc:
        nnviz.record(make(), X, y).snapshot()
    assert one_line(exc) == message
