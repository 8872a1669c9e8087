"""Each optimizer's first two steps against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnviz.engine.optimizers import OPTIMIZERS

# One weight matrix entry and one bias, with gradients g1 then g2.
P0 = (np.array([[1.0]]), np.array([0.5]))
G1 = (np.array([[0.2]]), np.array([-0.4]))
G2 = (np.array([[-0.1]]), np.array([0.3]))
LR = 0.1


def _two_steps(name: str, weight_decay: float = 0.0) -> list[float]:
    """[w after step 1, b after step 1, w after step 2, b after step 2]."""
    params = [p.copy() for p in P0]
    opt = OPTIMIZERS[name](params, LR, weight_decay)
    seen = []
    for grads in (G1, G2):
        opt.step(params, [g.copy() for g in grads])
        seen += [params[0].item(), params[1].item()]
    return seen


def test_sgd() -> None:
    # w: 1 - 0.1*0.2 = 0.98, then 0.98 + 0.1*0.1 = 0.99
    # b: 0.5 + 0.04 = 0.54, then 0.54 - 0.03 = 0.51
    assert _two_steps("sgd") == pytest.approx([0.98, 0.54, 0.99, 0.51])


def test_momentum() -> None:
    # v1 = g1; v2 = 0.9 g1 + g2.  w: v2 = 0.18 - 0.1 = 0.08 -> 0.98 - 0.008 = 0.972
    # b: v2 = -0.36 + 0.3 = -0.06 -> 0.54 + 0.006 = 0.546
    assert _two_steps("momentum") == pytest.approx([0.98, 0.54, 0.972, 0.546])


def test_adam() -> None:
    # Step 1: m_hat = g, v_hat = g^2, so each moves by lr * g / (|g| + eps).
    eps = 1e-7
    w1 = 1.0 - LR * 0.2 / (0.2 + eps)
    b1 = 0.5 + LR * 0.4 / (0.4 + eps)
    # Step 2 for w: m = 0.9*0.1*0.2 + 0.1*(-0.1) = 0.008, m_hat = 0.008/0.19
    # v = 0.999*0.001*0.04 + 0.001*0.01 = 4.996e-5, v_hat = v / (1 - 0.999^2)
    m_w = 0.9 * 0.02 + 0.1 * -0.1
    v_w = 0.999 * 0.001 * 0.04 + 0.001 * 0.01
    w2 = w1 - LR * (m_w / 0.19) / (math.sqrt(v_w / (1 - 0.999**2)) + eps)
    m_b = 0.9 * 0.1 * -0.4 + 0.1 * 0.3
    v_b = 0.999 * 0.001 * 0.16 + 0.001 * 0.09
    b2 = b1 - LR * (m_b / 0.19) / (math.sqrt(v_b / (1 - 0.999**2)) + eps)
    assert _two_steps("adam") == pytest.approx([w1, b1, w2, b2], rel=1e-12)


def test_rmsprop() -> None:
    eps = 1e-7
    v_w1, v_b1 = 0.1 * 0.04, 0.1 * 0.16
    w1 = 1.0 - LR * 0.2 / (math.sqrt(v_w1) + eps)
    b1 = 0.5 + LR * 0.4 / (math.sqrt(v_b1) + eps)
    v_w2, v_b2 = 0.9 * v_w1 + 0.1 * 0.01, 0.9 * v_b1 + 0.1 * 0.09
    w2 = w1 + LR * 0.1 / (math.sqrt(v_w2) + eps)
    b2 = b1 - LR * 0.3 / (math.sqrt(v_b2) + eps)
    assert _two_steps("rmsprop") == pytest.approx([w1, b1, w2, b2], rel=1e-12)


def test_weight_decay_touches_weights_not_biases() -> None:
    # g_w = 0.2 + 0.5*1.0 = 0.7 -> 1 - 0.07 = 0.93; the bias ignores decay.
    w, b, _, _ = _two_steps("sgd", weight_decay=0.5)
    assert (w, b) == pytest.approx((0.93, 0.54))


def test_registry_names() -> None:
    assert list(OPTIMIZERS) == ["sgd", "momentum", "adam", "rmsprop"]
