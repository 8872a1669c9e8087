"""Training: the History it yields, when it stops, and that it is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz import catalog, config
from nnviz.engine import data as datasets
from nnviz.engine import train
from nnviz.errors import ConfigError


def _data(cfg: config.Config) -> datasets.Dataset:
    return train.load_data(cfg)


def _run(raw: dict) -> train.History:
    cfg = catalog.resolve(raw)
    return train.train(cfg, _data(cfg))


def test_history_starts_before_any_update_and_copies_params() -> None:
    h = _run({"train": {"epochs": 3, "stop_loss": 0}})
    assert [e.epoch for e in h.epochs] == [0, 1, 2, 3]
    assert h.stop_reason == "epochs"
    assert not np.array_equal(h.epochs[0].params[0], h.epochs[3].params[0])
    assert not np.shares_memory(h.epochs[2].params[0], h.epochs[3].params[0])
    # Epoch 0 holds the initial weights: biases are still zero.
    assert not h.epochs[0].params[1].any()
    assert h.metric_names == ("loss", "accuracy")


def test_metrics_are_over_the_full_training_set() -> None:
    cfg = catalog.resolve({"train": {"epochs": 2, "stop_loss": 0}})
    data = _data(cfg)
    h = train.train(cfg, data)
    expected = train.evaluate(h.model, h.last.params, data)
    assert h.last.metrics == expected
    assert 0.0 <= h.last.metrics["accuracy"] <= 1.0


def test_default_run_reaches_the_blog_stop_loss() -> None:
    h = _run({})
    assert h.stop_reason == "stop_loss"
    assert h.last.loss <= 0.263
    assert h.last.epoch <= 200
    assert all(e.loss > 0.263 for e in h.epochs[:-1])


def test_same_seed_same_history_other_seed_differs() -> None:
    raw = {"train": {"epochs": 5, "stop_loss": 0, "seed": 3}}
    a, b = _run(raw), _run(raw)
    c = _run({"train": {"epochs": 5, "stop_loss": 0, "seed": 4}})
    assert all(np.array_equal(p, q) for ea, eb in zip(a.epochs, b.epochs) for p, q in zip(ea.params, eb.params))
    assert not np.array_equal(a.last.params[0], c.last.params[0])


def test_regression_metrics_and_test_split() -> None:
    h = _run({"data": {"name": "sine", "test_fraction": 0.2}, "train": {"epochs": 20, "stop_loss": 0, "lr": 0.05}})
    assert h.task == "regression"
    assert h.metric_names == ("loss", "rmse", "r2", "test_loss", "test_rmse", "test_r2")
    assert h.last.metrics["r2"] > h.epochs[0].metrics["r2"]
    assert h.last.metrics["rmse"] == pytest.approx(np.sqrt(h.last.metrics["loss"]))


def test_multiclass_uses_softmax_with_one_output_per_class() -> None:
    h = _run({"data": {"name": "blobs3"}, "train": {"epochs": 3, "stop_loss": 0}})
    assert h.model.sizes == (2, 2, 3) and h.model.loss == "ce"


def test_sse_loss_on_regression_and_refused_on_classification() -> None:
    h = _run({"data": {"name": "sine"}, "model": {"loss": "sse"}, "train": {"epochs": 2, "stop_loss": 0, "lr": 0.001}})
    assert h.model.loss == "sse"
    with pytest.raises(ConfigError, match="model.loss = 'sse' is invalid for the binary task of dataset 'blobs'; valid: auto, bce"):
        _run({"model": {"loss": "sse"}})


def test_full_batch_is_one_step_per_epoch() -> None:
    # With SGD and a full batch the first update is exactly lr * gradient.
    from nnviz.engine import nn

    cfg = catalog.resolve({"train": {"epochs": 1, "stop_loss": 0, "optimizer": "sgd", "lr": 0.5, "batch_size": "full"}})
    data = _data(cfg)
    h = train.train(cfg, data)
    _, grads = nn.loss_and_grads(h.model, h.epochs[0].params, data.X, data.y)
    np.testing.assert_allclose(h.epochs[1].params[0], h.epochs[0].params[0] - 0.5 * grads[0])


def test_divergence_stops_and_keeps_the_finite_epochs() -> None:
    h = _run({"data": {"name": "sine"}, "model": {"activation": "linear"},
              "train": {"lr": 1000, "optimizer": "sgd", "epochs": 50, "stop_loss": 0}})
    assert h.stop_reason == "diverged"
    assert "diverged at epoch" in h.message and "lr=1000" in h.message and "smaller --lr" in h.message
    assert 1 <= len(h) < 51
    assert all(np.isfinite(e.loss) for e in h.epochs)


def test_ctrl_c_keeps_the_history_so_far() -> None:
    cfg = catalog.resolve({"train": {"epochs": 50, "stop_loss": 0}})

    def interrupt(ep: train.Epoch) -> None:
        if ep.epoch == 4:
            raise KeyboardInterrupt

    h = train.train(cfg, _data(cfg), on_epoch=interrupt)
    assert h.stop_reason == "interrupted"
    assert [e.epoch for e in h.epochs] == [0, 1, 2, 3, 4]
