"""train.dtype: float32 training computes in float32 end to end, keeps a
lossless float64 History, and is as deterministic as float64."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnviz import catalog, config
from nnviz.engine import history, nn, train
from nnviz.engine.optimizers import OPTIMIZERS


@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
@pytest.mark.parametrize("loss", ["bce", "ce", "mse", "sse"])
def test_backprop_stays_in_float32(activation: str, loss: str) -> None:
    rng = np.random.default_rng(0)
    k = 3 if loss == "ce" else 1
    model = nn.Model((2, 4, k), activation, loss)
    params = [p.astype(np.float32) for p in nn.init_params(model, rng)]
    X = rng.normal(size=(16, 2)).astype(np.float32)
    y = (rng.integers(0, k, 16) if loss == "ce" else rng.integers(0, 2, 16)).astype(np.float32)
    _, grads = nn.loss_and_grads(model, params, X, y)
    assert [g.dtype for g in grads] == [np.float32] * len(grads)
    for name, opt_cls in OPTIMIZERS.items():
        ps = [p.copy() for p in params]
        opt_cls(ps, 0.01, 0.1).step(ps, grads)
        assert [p.dtype for p in ps] == [np.float32] * len(ps), name


def _run(dtype: str, **values) -> train.History:
    cfg = catalog.resolve({}, {"data.name": "digits", "model.hidden": "32,2", "train.epochs": 3,
                              "train.stop_loss": 0, "train.dtype": dtype, **values})
    return train.train(cfg, train.load_data(cfg))


def test_float32_history_is_float64_holding_float32_values() -> None:
    h32, h64 = _run("float32"), _run("float64")
    for ep in h32.epochs:
        for p in ep.params:
            assert p.dtype == np.float64
            assert np.array_equal(p.astype(np.float32).astype(np.float64), p)  # exactly float32 values
    # Same initial weights (drawn in float64, then rounded), different arithmetic after.
    assert np.array_equal(h32.epochs[0].params[0], h64.epochs[0].params[0].astype(np.float32))
    assert not np.array_equal(h32.last.params[0], h64.last.params[0])
    np.testing.assert_allclose(h32.column("loss"), h64.column("loss"), rtol=1e-4)


def test_float32_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    a = history.write_history(_run("float32", **{"train.snapshot_every": 20}), tmp_path / "a.csv")
    b = history.write_history(_run("float32", **{"train.snapshot_every": 20}), tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()
    back = history.read_history(a)
    assert history.write_history(back, tmp_path / "c.csv").read_bytes() == a.read_bytes()


def test_bad_dtype_is_one_line() -> None:
    with pytest.raises(config.ConfigError, match=r"^--dtype = 'float16' is invalid: unknown name; valid: float64, float32$"):
        catalog.resolve({}, {"train.dtype": "float16"}, flags=True)
