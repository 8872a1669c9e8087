"""The network: activations, losses, forward pass and backprop vs finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnviz.engine import nn
from nnviz.engine.gradcheck import check_gradients, relative_error
from nnviz.errors import ConfigError

TASK_DATA = {
    "binary": lambda rng, n: (rng.integers(0, 2, n).astype(float), 1),
    "multiclass": lambda rng, n: (rng.integers(0, 3, n).astype(float), 3),
    "regression": lambda rng, n: (rng.normal(size=n), 1),
}


def _problem(loss: str, activation: str, hidden: tuple[int, ...] = (3, 2), seed: int = 0):
    rng = np.random.default_rng(seed)
    task = nn.LOSSES[loss].task
    X = rng.normal(size=(12, 2))
    y, n_out = TASK_DATA[task](rng, 12)
    model = nn.Model((2, *hidden, n_out), activation, loss)
    params = nn.init_params(model, rng, "normal", std=0.8)
    # Non-zero biases so relu units are not all on the same side of the kink.
    params = tuple(p + 0.1 * rng.normal(size=p.shape) if p.ndim == 1 else p for p in params)
    return model, params, X, y


@pytest.mark.parametrize("loss", list(nn.LOSSES))
@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
def test_backprop_matches_finite_differences(activation: str, loss: str) -> None:
    model, params, X, y = _problem(loss, activation)
    result = check_gradients(model, params, X, y)
    assert set(result.errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert result.worst <= 1e-7, result.errors


def test_new_activations_are_checked_by_the_gradcheck_test() -> None:
    # The parametrised gradcheck above runs over ACTIVATIONS; make sure the new rows are in it.
    assert {"gelu", "silu", "softplus"} <= set(nn.ACTIVATIONS)


@pytest.mark.parametrize(
    ("name", "wrong_df"),
    [
        ("tanh", lambda z, a: 1.0 - a),  # should be 1 - a^2
        ("silu", lambda z, a: nn._sigmoid(z)),  # drops the z * s'(z) term
        ("gelu", lambda z, a: 0.5 * (1.0 + np.tanh(z))),  # a plausible-looking but wrong derivative
        ("softplus", lambda z, a: a),  # the value, not the slope
    ],
)
def test_gradcheck_catches_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch, name: str, wrong_df) -> None:
    broken = nn.Activation(name, nn.ACTIVATIONS[name].f, wrong_df)
    monkeypatch.setitem(nn.ACTIVATIONS, name, broken)
    model, params, X, y = _problem("bce", name)
    assert check_gradients(model, params, X, y).worst > 1e-3


def test_relative_error_is_zero_for_equal_and_vanishing_arrays() -> None:
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error(np.ones(3), -np.ones(3)) == pytest.approx(1.0)


def test_layer_is_x_at_w_plus_b() -> None:
    model = nn.Model((2, 2, 1), "linear", "mse")
    W1 = np.array([[1.0, 2.0], [3.0, 4.0]])
    b1 = np.array([0.5, -0.5])
    params = (W1, b1, np.array([[1.0], [1.0]]), np.array([0.0]))
    z, a = nn.hidden(model, params, np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(z, [[4.5, 5.5]])
    np.testing.assert_allclose(a, z)
    assert nn.predict(model, params, np.array([[1.0, 1.0]]))[0] == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("name", "z", "a", "da"),
    [
        ("linear", [-2.0, 0.5], [-2.0, 0.5], [1.0, 1.0]),
        ("relu", [-2.0, 0.5], [0.0, 0.5], [0.0, 1.0]),
        ("leaky_relu", [-2.0, 0.5], [-0.02, 0.5], [0.01, 1.0]),
        ("tanh", [0.0, 1.0], [0.0, np.tanh(1.0)], [1.0, 1 - np.tanh(1.0) ** 2]),
        ("sigmoid", [0.0, -800.0], [0.5, 0.0], [0.25, 0.0]),
        # silu(z) = z s(z); silu'(z) = s(z) (1 + z (1 - s(z)))
        ("silu", [0.0, 1.0, -800.0], [0.0, 1 / (1 + np.exp(-1)), 0.0],
         [0.5, 1 / (1 + np.exp(-1)) * (1 + np.exp(-1) / (1 + np.exp(-1))), 0.0]),
        # softplus(0) = ln 2, softplus' = sigmoid; no overflow at +-800
        ("softplus", [0.0, 800.0, -800.0], [np.log(2.0), 800.0, 0.0], [0.5, 1.0, 0.0]),
        # gelu(0) = 0 with slope 1/2; large |z| behaves like relu
        ("gelu", [0.0, 10.0, -10.0], [0.0, 10.0, 0.0], [0.5, 1.0, 0.0]),
    ],
)
def test_activation_values_and_derivatives(name: str, z: list, a: list, da: list) -> None:
    act = nn.ACTIVATIONS[name]
    zs = np.array(z)
    out = act.f(zs)
    np.testing.assert_allclose(out, a, atol=1e-12)
    np.testing.assert_allclose(act.df(zs, out), da, atol=1e-12)


def test_gelu_is_the_tanh_approximation() -> None:
    # PyTorch GELU(approximate="tanh") at z = 1: 0.5 * (1 + tanh(sqrt(2/pi) * 1.044715)).
    expected = 0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * 1.044715))
    assert nn.ACTIVATIONS["gelu"].f(np.array([1.0]))[0] == pytest.approx(expected, abs=1e-15)
    assert expected == pytest.approx(0.8411919906, abs=1e-9)
    # The docstring's promise: within 1e-3 of the exact z * Phi(z) everywhere.
    z = np.linspace(-8.0, 8.0, 1601)
    exact = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in z])
    assert np.abs(nn.ACTIVATIONS["gelu"].f(z) - exact).max() < 1e-3


@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "sigmoid", "tanh"])
def test_smooth_activations_stay_finite_and_silent_on_huge_inputs(name: str) -> None:
    # A diverging run feeds huge pre-activations; no overflow warning, inf or nan may come out.
    act = nn.ACTIVATIONS[name]
    z = np.array([-1e200, -800.0, -30.0, 30.0, 800.0, 1e200])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):  # underflow to 0 is fine
        a = act.f(z)
        da = act.df(z, a)
    assert np.isfinite(a).all() and np.isfinite(da).all()
    saturating = name in ("tanh", "sigmoid")  # flat at both ends; the others grow like z on the right
    assert da[0] == pytest.approx(0.0, abs=1e-12) and da[-1] == pytest.approx(0.0 if saturating else 1.0)


def test_bce_is_stable_for_huge_logits() -> None:
    logits = np.array([[800.0], [-800.0]])
    y = np.array([0.0, 1.0])
    value = nn.LOSSES["bce"].value(logits, y)
    assert value == pytest.approx(800.0)
    assert np.isfinite(nn.LOSSES["bce"].grad(logits, y)).all()


def test_softmax_cross_entropy_of_uniform_logits_is_log_k() -> None:
    value = nn.LOSSES["ce"].value(np.zeros((4, 3)), np.array([0.0, 1.0, 2.0, 0.0]))
    assert value == pytest.approx(np.log(3))


def test_sse_is_the_sum_and_mse_the_mean() -> None:
    out, y = np.array([[1.0], [3.0]]), np.array([0.0, 0.0])
    assert nn.LOSSES["sse"].value(out, y) == pytest.approx(10.0)
    assert nn.LOSSES["mse"].value(out, y) == pytest.approx(5.0)


@pytest.mark.parametrize("init", list(nn.INITIALIZERS))
def test_initialisers_are_seeded_and_zero_the_biases(init: str) -> None:
    model = nn.Model((2, 8, 1), "tanh", "bce")
    a = nn.init_params(model, np.random.default_rng(3), init, std=0.1)
    b = nn.init_params(model, np.random.default_rng(3), init, std=0.1)
    c = nn.init_params(model, np.random.default_rng(4), init, std=0.1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    assert [p.shape for p in a] == [(2, 8), (8,), (8, 1), (1,)]
    assert not a[1].any() and not a[3].any()


def test_glorot_limit_and_truncated_normal_cut() -> None:
    rng = np.random.default_rng(0)
    w = nn.INITIALIZERS["glorot_uniform"](rng, 200, 300, 0.0)
    assert np.abs(w).max() <= np.sqrt(6 / 500)
    t = nn.INITIALIZERS["truncated_normal"](rng, 200, 300, 0.5)
    assert np.abs(t).max() <= 1.0
    assert t.std() == pytest.approx(0.5 * 0.88, rel=0.05)  # a normal cut at 2 std


def test_unknown_names_list_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="unknown activation 'swish'; valid: linear, sigmoid, tanh, relu"):
        nn.Model((2, 2, 1), "swish", "bce")
    with pytest.raises(ConfigError, match="hidden layers 1..1"):
        nn.hidden(nn.Model((2, 2, 1)), nn.init_params(nn.Model((2, 2, 1)), np.random.default_rng(0)), np.zeros((1, 2)), 2)


def test_gelu_erf_is_the_exact_gelu_to_float64_accuracy() -> None:
    # PyTorch's default GELU() and Keras' gelu: z * Phi(z), against the C library's erf point by point.
    z = np.concatenate([np.linspace(-12.0, 12.0, 20001), [0.0, -0.0, 1e-300, -1e-300, 40.0, -40.0]])
    want = np.array([0.5 * v * (1.0 + math.erf(v * math.sqrt(0.5))) for v in z])
    got = nn.ACTIVATIONS["gelu_erf"].f(z)
    assert np.max(np.abs(got - want)) <= 2.0**-52 * np.maximum(np.abs(want), 1.0).max()
    # The tanh form is a different function (by up to ~5e-4): the two must not be confused.
    assert 1e-4 < np.max(np.abs(nn.ACTIVATIONS["gelu"].f(z) - got)) < 1e-3
    assert nn.ACTIVATIONS["gelu_erf"].f(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_leaky_slope_is_the_models_own() -> None:
    z = np.array([-2.0, 3.0])
    assert nn.Model((2, 2, 1), "leaky_relu").act.f(z).tolist() == [-0.02, 3.0]  # PyTorch's 0.01 by default
    keras_like = nn.Model((2, 2, 1), "leaky_relu", "bce", 0.3)
    assert keras_like.act.f(z).tolist() == [0.3 * -2.0, 3.0]
    assert keras_like.act.df(z, z).tolist() == [0.3, 1.0]
    model, params, X, y = _problem("bce", "leaky_relu")
    sloped = nn.Model(model.sizes, "leaky_relu", "bce", 0.2)
    assert check_gradients(sloped, params, X, y).worst <= 1e-7
    assert nn.loss(sloped, params, X, y) != nn.loss(model, params, X, y)
