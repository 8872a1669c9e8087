"""Recording scikit-learn's MLPs: parity with nnviz's own run, nnviz-driven fit, your own loop, refusals.

Skipped without scikit-learn (the sklearn extra; `make test` installs it).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from conftest import cli_run

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

import nnviz
from nnviz import catalog
from nnviz.engine import nn as engine
from nnviz.engine import train
from nnviz.recorders import RecordError

SMALL_RENDER = {"grid": 30, "size": "300x100"}


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and exc.value.__cause__ is None
    return text


def sklearn_run(optimizer: str, epochs: int = 30):
    """nnviz's default config trained by scikit-learn from nnviz's initial weights, in nnviz's batch order."""
    cfg = catalog.resolve({}, {"train.epochs": epochs, "train.stop_loss": 0, "train.optimizer": optimizer})
    data = train.load_data(cfg)
    rng = np.random.default_rng(cfg.train.seed)
    engine.init_params(train.build_model(cfg, data), rng)  # drawn as nnviz draws them, so the orders follow
    orders = [rng.permutation(len(data.y)) for _ in range(epochs)]
    solver = {"sgd": {"solver": "sgd", "momentum": 0.0, "learning_rate": "constant"}, "adam": {"solver": "adam", "epsilon": 1e-7}}
    clf = MLPClassifier(
        hidden_layer_sizes=(2,), activation="tanh", alpha=0.0, batch_size=32, learning_rate_init=0.01,
        shuffle=False, **solver[optimizer],
    )
    rec = nnviz.record(clf, data.X, data.y)
    rec.start(seed=cfg.train.seed)  # nnviz's own initial weights: epoch 0 is the untrained network
    for order in orders:
        clf.partial_fit(data.X[order], data.y[order])
        rec.snapshot()
    return rec, train.train(cfg, data), cfg


def worst(a, b) -> float:
    return max(np.abs(x - y).max() for ea, eb in zip(a.epochs, b.epochs) for x, y in zip(ea.params, eb.params))


def test_sgd_matches_nnvizs_own_run_to_1e_12(tmp_path: Path) -> None:
    # scikit-learn's plain SGD is nnviz's update; only the gradient's rounding differs (it divides by the batch
    # size after the matrix product, nnviz before), so the parameters agree to ~1e-17, not bit for bit.
    rec, own, cfg = sklearn_run("sgd")
    history = rec.history
    assert len(history) == len(own) == 31 and worst(history, own) <= 1e-12
    assert [e.metrics["accuracy"] for e in history.epochs] == [e.metrics["accuracy"] for e in own.epochs]
    # The last frame, full colour: equal but for the odd antialiased pixel where a boundary meets a last-bit change.
    from nnviz import render

    mine = rec.animate(tmp_path / "sk.png")
    theirs = render.animate(catalog.with_values(cfg, {"render.format": "png"}), tmp_path / "own.png")
    a, b = iio.imread(mine.path), iio.imread(theirs.path)
    assert a.shape == b.shape == (400, 1200, 3) and (a != b).any(axis=-1).mean() < 1e-4


def test_adams_update_differs_where_scikit_learn_puts_epsilon() -> None:
    # scikit-learn adds epsilon to sqrt(v) before the bias correction, nnviz (as PyTorch) after it: the same
    # trajectory to ~1e-4, not 1e-12. The recording is still scikit-learn's own run, as it trained.
    rec, own, _ = sklearn_run("adam")
    assert rec.history.epochs[0].params[0].tolist() == own.epochs[0].params[0].tolist()  # the same start
    assert 1e-7 < worst(rec.history, own) < 1e-3


def test_nnviz_drives_fit_and_the_run_re_renders(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, "same", "other")  # text labels, numbered as classes_
    clf = MLPClassifier(hidden_layer_sizes=(4,), activation="relu", random_state=0, learning_rate_init=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rec = nnviz.record(clf, X[:90], y[:90], X_test=X[90:], y_test=y[90:]).fit(20)
    history = rec.history
    assert [e.epoch for e in history.epochs] == list(range(21))
    assert history.model.activation == "relu" and rec.data.class_names == ("other", "same")
    assert "test_accuracy" in history.metric_names and history.last.metrics["accuracy"] > 0.8
    # nnviz's accuracy is scikit-learn's own prediction, class for class.
    assert history.last.metrics["accuracy"] == pytest.approx(clf.score(X[:90], y[:90]), abs=1e-12)
    result = rec.animate(tmp_path / "run.gif", **SMALL_RENDER)
    code, output = cli_run("animate", "--history", str(result.history_csv), "--out", str(tmp_path / "re.gif"), "-q")
    assert code == 0, output
    assert (tmp_path / "re.gif").read_bytes() == result.path.read_bytes()


def test_a_regressor_and_a_multiclass_net_from_the_users_own_loop() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(80, 1))
    t = np.sin(3 * X[:, 0])
    reg = MLPRegressor(hidden_layer_sizes=(5,), activation="logistic", random_state=0)
    rec = nnviz.record(reg, X, t)
    for _ in range(5):
        reg.partial_fit(X, t)
        rec.snapshot()  # no start(): the recording begins after the first epoch
    history = rec.history
    assert [e.epoch for e in history.epochs] == [0, 1, 2, 3, 4] and history.model.loss == "mse"
    assert history.last.metrics["rmse"] == pytest.approx(np.sqrt(np.mean((reg.predict(X) - t) ** 2)), abs=1e-12)
    X3 = rng.normal(size=(90, 2))
    y3 = rng.integers(0, 3, 90)
    clf = MLPClassifier(hidden_layer_sizes=(3,), activation="identity", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rec3 = nnviz.record(clf, X3, y3).fit(3)
    assert (rec3.history.model.loss, rec3.history.model.activation) == ("ce", "linear")
    probs = engine.forward(rec3.network, rec3.history.last.params, X3).a[-1]
    np.testing.assert_allclose(probs, clf.predict_proba(X3), rtol=0, atol=1e-12)


def test_unsupported_estimators_are_one_line() -> None:
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(RecordError) as exc:
        nnviz.record(MLPClassifier(solver="lbfgs"), X, y)
    assert one_line(exc) == "solver='lbfgs' has no partial_fit, so no epochs to record; use solver='adam' or 'sgd'"
    with pytest.raises(RecordError) as exc:
        nnviz.record(MLPClassifier(), X, y).snapshot()
    assert one_line(exc) == (
        "MLPClassifier has no weights yet: call rec.start() (nnviz's initial weights, epoch 0) or partial_fit once "
        "before the first snapshot"
    )
    fitted = MLPClassifier(hidden_layer_sizes=(2,), max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(np.hstack([X, X]), y)
    with pytest.raises(RecordError) as exc:
        nnviz.record(fitted, X, y).snapshot()
    assert one_line(exc) == (
        "scikit-learn layer coefs_[0] takes 4 inputs, but X has 2 columns; record the model with the arrays it was "
        "trained on"
    )
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(RecordError) as exc:
        nnviz.record(LogisticRegression(), X, y)
    assert one_line(exc) == "nnviz's scikit-learn recorder takes an MLPClassifier or MLPRegressor; got LogisticRegression"
