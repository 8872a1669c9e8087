"""The speed paths give the same bits as the plain ones they replace."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.engine import nn
from nnviz.engine.optimizers import OPTIMIZERS, Fused


def _net(loss: str = "ce"):
    rng = np.random.default_rng(1)
    model = nn.Model((5, 4, 3, 3 if loss == "ce" else 1), "tanh", loss)
    X = rng.normal(size=(20, 5))
    y = rng.integers(0, 3 if loss == "ce" else 2, 20).astype(float)
    return model, list(nn.init_params(model, rng)), X, y


@pytest.mark.parametrize("loss", ["ce", "bce", "mse"])
def test_grads_alone_and_into_buffers_equal_loss_and_grads(loss: str) -> None:
    model, params, X, y = _net(loss)
    _, expected = nn.loss_and_grads(model, params, X, y)
    out = [np.full_like(p, np.nan) for p in params]
    assert nn.grads(model, params, X, y, out=out) is not None
    for want, got, buf in zip(expected, nn.grads(model, params, X, y), out):
        assert np.array_equal(want, got) and np.array_equal(want, buf)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("decay", [0.0, 0.1])
def test_fused_steps_match_the_per_array_optimizer_bit_for_bit(name: str, decay: float) -> None:
    model, params, X, y = _net()
    plain = [p.copy() for p in params]
    opt = OPTIMIZERS[name](plain, 0.05, decay)
    fused = Fused(name, params, 0.05, decay)
    for _ in range(5):
        _, g = nn.loss_and_grads(model, plain, X, y)
        opt.step(plain, g)
        nn.grads(model, fused.params, X, y, out=fused.grads)
        fused.step()
    for p, q in zip(plain, fused.params):
        assert np.array_equal(p, q)
    assert not np.array_equal(plain[0], params[0])  # it did train
