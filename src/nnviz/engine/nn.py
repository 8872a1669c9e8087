"""Dense networks in NumPy: activations, output losses, forward and backward.

Parameters are a flat tuple ``(W1, b1, W2, b2, ...)`` with ``W`` shaped
``(fan_in, fan_out)`` so a layer computes ``x @ W + b``. Everything here is a
pure function of ``(model, params, X)``: the rendering side calls ``forward``
on a meshgrid with any epoch's parameters and never needs an object with
state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import ConfigError

Array = np.ndarray
Params = tuple[Array, ...]


# --- hidden activations -----------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """A hidden nonlinearity ``a = f(z)`` and its derivative ``df(z, a)``.

    The derivative gets both the pre-activation ``z`` and the output ``a``
    (``forward`` keeps both in its ``Trace``): tanh and sigmoid are cheapest
    from ``a``, but GELU, SiLU or softplus can only be written from ``z``.
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array, Array], Array]


LEAKY_SLOPE = 0.01  # the default (PyTorch's); Keras' LeakyReLU uses 0.3: Model.leaky_slope sets it
# Python floats, not NumPy float64 scalars: those would promote a float32
# array to float64 (NEP 50); a Python float takes the array's dtype.
_GELU_C = float(np.sqrt(2.0 / np.pi))
_GELU_K = 0.044715


def _sigmoid(z: Array) -> Array:
    # Split by sign so exp never overflows.
    out = np.empty_like(z)  # z's float type, so float32 training stays float32
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _gelu_tanh(z: Array) -> tuple[Array, Array]:
    """``tanh(c (z + k z^3))`` and ``z`` clipped to [-10, 10].

    Beyond |z| = 10 the tanh is exactly +-1 in float64 (its argument is over
    43), so clipping changes no value; it only keeps ``z^3`` (and the
    derivative's ``z * 0``) from overflowing into inf or nan on a diverging run.
    """
    zc = np.clip(z, -10.0, 10.0)
    return np.tanh(_GELU_C * (zc + _GELU_K * zc**3)), zc


def _gelu(z: Array) -> Array:
    """GELU in its tanh approximation, as PyTorch's ``GELU(approximate="tanh")``.

    The exact form is ``gelu_erf``; the two differ by under 1e-3.
    """
    t, _ = _gelu_tanh(z)
    return 0.5 * z * (1.0 + t)


def _gelu_df(z: Array, a: Array) -> Array:
    t, zc = _gelu_tanh(z)
    return 0.5 * (1.0 + t) + 0.5 * zc * (1.0 - t * t) * _GELU_C * (1.0 + 3.0 * _GELU_K * zc * zc)


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; the C library's is accurate to an ulp


def _erf_of(x: Array) -> Array:
    return np.asarray(_erf(x)).astype(x.dtype)  # an object array from frompyfunc, back in x's float type


def _gelu_erf(z: Array) -> Array:
    """Exact GELU, z * Phi(z) = z/2 (1 + erf(z / sqrt 2)): PyTorch's default ``GELU()`` and Keras' ``gelu``."""
    return 0.5 * z * (1.0 + _erf_of(z * _SQRT1_2))


def _gelu_erf_df(z: Array, a: Array) -> Array:
    # Phi(z) + z phi(z); z is clipped where phi is 0 anyway, so z * phi never makes inf * 0.
    zc = np.clip(z, -40.0, 40.0)
    return 0.5 * (1.0 + _erf_of(zc * _SQRT1_2)) + zc * np.exp(-0.5 * zc * zc) * _INV_SQRT_2PI


def _leaky(slope: float) -> Activation:
    """Leaky ReLU with negative slope ``slope`` (``Model.leaky_slope``)."""
    return Activation(
        "leaky_relu",
        lambda z: np.where(z > 0, z, slope * z),
        lambda z, a: np.where(z > 0, 1.0, slope).astype(z.dtype, copy=False),
    )


def _silu(z: Array) -> Array:
    """SiLU (swish): z * sigmoid(z)."""
    return z * _sigmoid(z)


def _silu_df(z: Array, a: Array) -> Array:
    # d/dz z s(z) = s + z s (1 - s) = s + a (1 - s)
    s = _sigmoid(z)
    return s + a * (1.0 - s)


def _softplus(z: Array) -> Array:
    """log(1 + e^z), written as max(z, 0) + log1p(e^-|z|) so exp never overflows."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", lambda z: z, lambda z, a: np.ones_like(z)),
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1.0 - a)),
        Activation("tanh", np.tanh, lambda z, a: 1.0 - a * a),
        Activation("relu", lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
        _leaky(LEAKY_SLOPE),
        Activation("gelu", _gelu, _gelu_df),
        Activation("gelu_erf", _gelu_erf, _gelu_erf_df),
        Activation("silu", _silu, _silu_df),
        Activation("softplus", _softplus, lambda z, a: _sigmoid(z)),
    )
}


# --- output heads and losses -----------------------------------------------


def _softmax(logits: Array) -> Array:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Loss:
    """An output head and its loss, both taking the network's raw logits.

    ``value(logits, y)`` is the scalar loss and ``grad(logits, y)`` its
    derivative with respect to the logits. Pairing the head with the loss is
    what makes the gradient simple and stable (e.g. sigmoid + BCE gives
    ``p - y`` and never takes ``log(0)``).
    """

    name: str
    task: str
    head: Callable[[Array], Array]
    value: Callable[[Array, Array], float]
    grad: Callable[[Array, Array], Array]


def _bce_value(logits: Array, y: Array) -> float:
    z = logits[:, 0]
    # log(1 + e^z) - y z, written so that neither exp overflows.
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _bce_grad(logits: Array, y: Array) -> Array:
    return (_sigmoid(logits) - y[:, None]) / len(y)


def _ce_value(logits: Array, y: Array) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    picked = shifted[np.arange(len(y)), y.astype(int)]
    return float(np.mean(log_norm - picked))


def _ce_grad(logits: Array, y: Array) -> Array:
    # softmax - one_hot(y), without building the one-hot matrix each step:
    # subtracting 1 where the label is and 0 elsewhere gives the same bits.
    p = _softmax(logits)
    p[np.arange(len(y)), y.astype(int)] -= 1.0
    return p / len(y)


def _identity(logits: Array) -> Array:
    return logits


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("bce", "binary", _sigmoid, _bce_value, _bce_grad),
        Loss("ce", "multiclass", _softmax, _ce_value, _ce_grad),
        Loss(
            "mse",
            "regression",
            _identity,
            lambda o, y: float(np.mean((o[:, 0] - y) ** 2)),
            lambda o, y: 2.0 * (o - y[:, None]) / len(y),
        ),
        Loss(
            "sse",
            "regression",
            _identity,
            lambda o, y: float(np.sum((o[:, 0] - y) ** 2)),
            lambda o, y: 2.0 * (o - y[:, None]),
        ),
    )
}

# Every task, in one place: the losses say which task they serve.
TASKS: tuple[str, ...] = tuple(dict.fromkeys(loss.task for loss in LOSSES.values()))

# The loss a task gets unless the config names one.
DEFAULT_LOSS: dict[str, str] = {"binary": "bce", "multiclass": "ce", "regression": "mse"}


# --- the model --------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """Architecture only: layer widths (input, hidden..., output), activation, loss.

    ``leaky_slope`` is leaky_relu's negative slope (PyTorch's 0.01 by default,
    Keras' layer 0.3); other activations ignore it.
    """

    sizes: tuple[int, ...]
    activation: str = "tanh"
    loss: str = "bce"
    leaky_slope: float = LEAKY_SLOPE

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(s < 1 for s in self.sizes):
            raise ConfigError(f"layer sizes {self.sizes} are invalid: need at least input and output, all >= 1")
        _lookup(ACTIVATIONS, self.activation, "activation")
        _lookup(LOSSES, self.loss, "loss")

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def n_hidden(self) -> int:
        return len(self.sizes) - 2

    @property
    def act(self) -> Activation:
        if self.activation == "leaky_relu" and self.leaky_slope != LEAKY_SLOPE:
            return _leaky_with(self.leaky_slope)
        return ACTIVATIONS[self.activation]

    @property
    def out(self) -> Loss:
        return LOSSES[self.loss]

    @property
    def task(self) -> str:
        return self.out.task

    def param_names(self) -> list[str]:
        """``["W1", "b1", "W2", "b2", ...]`` in the order of the params tuple."""
        return [f"{kind}{i}" for i in range(1, self.n_layers + 1) for kind in ("W", "b")]

    def param_shapes(self) -> list[tuple[int, ...]]:
        shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        return shapes


@lru_cache(maxsize=8)
def _leaky_with(slope: float) -> Activation:
    return _leaky(slope)  # one record per slope, so each forward pass does not build its own


def _lookup(table: dict, name: str, what: str):
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r}; valid: {', '.join(table)}") from None


@dataclass(frozen=True)
class Trace:
    """Per-layer values of one forward pass.

    ``z[k]`` is the pass's k-th layer's pre-activation ``x @ W + b`` and
    ``a[k]`` its output; ``a[-1]`` is the prediction (after the head),
    ``z[-1]`` the logits. A pass from the input covers every layer, so
    ``z[k]`` is layer k+1's. ``lin[k]`` is ``x @ W`` before the bias, kept
    only when asked for (the morph draws it).
    """

    z: tuple[Array, ...]
    a: tuple[Array, ...]
    lin: tuple[Array, ...] = ()


# The error policy of ``finite=True``: what a non-finite value becomes. A
# diverging run's huge parameters overflow; rendering draws the clipped values
# (and refuses what is still out of range) instead of NumPy warning.
FINITE_BIG = 1e12  # +-inf becomes +-this
FINITE_OUTPUT_NAN = 0.5  # a NaN prediction is "unsure"; any other NaN is 0


def forward(
    model: Model,
    params: Sequence[Array],
    X: Array,
    *,
    head: bool = True,
    start: int = 0,
    pre: bool = False,
    layers: int | None = None,
    linear: bool = False,
    finite: bool = False,
) -> Trace:
    """Run the network on ``X`` (n, width) and keep every layer's values: the one forward pass.

    Training, metrics and every picture call this. ``X`` enters after hidden
    layer ``start`` (0: ``X`` is the input): it is that layer's activation,
    or with ``pre=True`` its pre-activation, which the activation is applied
    to first. ``layers`` stops after that many layers (all hidden: no head);
    ``head=False`` leaves the output head off (``a[-1]`` is then the logits,
    all backprop reads). ``linear`` also keeps ``x @ W`` before the bias.
    ``finite`` is rendering's error policy: no floating-point warnings, and
    every value finite (``FINITE_BIG``, ``FINITE_OUTPUT_NAN``).
    """
    if not finite:
        return _forward(model, params, X, head, start, pre, layers, linear)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        t = _forward(model, params, X, head, start, pre, layers, linear)
    ends_at_output = start + len(t.z) == model.n_layers
    outputs = [
        finite_values(a, FINITE_OUTPUT_NAN if ends_at_output and k == len(t.a) - 1 else 0.0) for k, a in enumerate(t.a)
    ]
    return Trace(tuple(finite_values(z, 0.0) for z in t.z), tuple(outputs), tuple(finite_values(v, 0.0) for v in t.lin))


def _forward(
    model: Model,
    params: Sequence[Array],
    X: Array,
    head: bool,
    start: int,
    pre: bool,
    layers: int | None,
    linear: bool,
) -> Trace:
    zs: list[Array] = []
    acts: list[Array] = []
    lins: list[Array] = []
    last, f = model.n_layers - 1, model.act.f
    h = f(X) if pre else X
    stop = model.n_layers if layers is None else start + layers
    for k in range(start, stop):
        W, b = params[2 * k], params[2 * k + 1]
        if linear:
            lins.append(h @ W)
            z = lins[-1] + b
        else:
            z = h @ W + b
        h = f(z) if k < last else (model.out.head(z) if head else z)
        zs.append(z)
        acts.append(h)
    return Trace(tuple(zs), tuple(acts), tuple(lins))


def finite_values(x: Array, nan: float = 0.0) -> Array:
    """``x`` with NaN as ``nan`` and +-inf as +-``FINITE_BIG`` (``x`` itself when it is finite)."""
    # The check is far cheaper than nan_to_num, and only diverging runs need the fix.
    return x if np.isfinite(x).all() else np.nan_to_num(x, nan=nan, posinf=FINITE_BIG, neginf=-FINITE_BIG)


def predict(model: Model, params: Sequence[Array], X: Array) -> Array:
    """The network's output: P(class 1) (n,), class probabilities (n, k), or values (n,)."""
    out = forward(model, params, X).a[-1]
    return out if model.task == "multiclass" else out[:, 0]


def hidden(model: Model, params: Sequence[Array], X: Array, layer: int = 1) -> tuple[Array, Array]:
    """Hidden layer ``layer``'s pre-activation and activation (1-based)."""
    if not 1 <= layer <= model.n_hidden:
        raise ConfigError(f"layer {layer} is out of range: the network has hidden layers 1..{model.n_hidden}")
    t = forward(model, params, X, layers=layer)
    return t.z[-1], t.a[-1]


def loss(model: Model, params: Sequence[Array], X: Array, y: Array) -> float:
    """The data loss on (X, y)."""
    return model.out.value(forward(model, params, X).z[-1], y)


def loss_and_grads(model: Model, params: Sequence[Array], X: Array, y: Array) -> tuple[float, list[Array]]:
    """The data loss and its gradient for every parameter, by backpropagation."""
    trace = forward(model, params, X)
    return model.out.value(trace.z[-1], y), _backward(model, params, X, y, trace)


def grads(model: Model, params: Sequence[Array], X: Array, y: Array, out: Sequence[Array] | None = None) -> list[Array]:
    """The gradient alone, as training needs it: no loss value to compute each step.

    With ``out`` (arrays shaped as ``params``) the gradients are written there
    instead of into new arrays; the values are the same either way.
    """
    return _backward(model, params, X, y, forward(model, params, X, head=False), out)


def _backward(
    model: Model, params: Sequence[Array], X: Array, y: Array, trace: Trace, out: Sequence[Array] | None = None
) -> list[Array]:
    delta = model.out.grad(trace.z[-1], y)  # dL/dz of the output layer
    grads: list[Array] = list(out) if out is not None else [np.empty(0)] * len(params)
    for k in reversed(range(model.n_layers)):
        inputs = X if k == 0 else trace.a[k - 1]
        if out is None:
            grads[2 * k] = inputs.T @ delta
            grads[2 * k + 1] = delta.sum(axis=0)
        else:
            np.matmul(inputs.T, delta, out=grads[2 * k])
            np.add.reduce(delta, axis=0, out=grads[2 * k + 1])  # delta.sum(axis=0), minus the wrapper
        if k > 0:
            delta = (delta @ params[2 * k].T) * model.act.df(trace.z[k - 1], trace.a[k - 1])
    return grads


# --- initialisation ---------------------------------------------------------

InitFn = Callable[[np.random.Generator, int, int, float], Array]


def _glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int, std: float) -> Array:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def _he_normal(rng: np.random.Generator, fan_in: int, fan_out: int, std: float) -> Array:
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def _normal(rng: np.random.Generator, fan_in: int, fan_out: int, std: float) -> Array:
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def _truncated_normal(rng: np.random.Generator, fan_in: int, fan_out: int, std: float) -> Array:
    # Redraw anything beyond two standard deviations, as Keras and TF do.
    w = rng.normal(0.0, std, size=(fan_in, fan_out))
    bad = np.abs(w) > 2 * std
    while bad.any():
        w[bad] = rng.normal(0.0, std, size=int(bad.sum()))
        bad = np.abs(w) > 2 * std
    return w


def _uniform(rng: np.random.Generator, fan_in: int, fan_out: int, std: float) -> Array:
    # Keras' RandomUniform default range.
    return rng.uniform(-0.05, 0.05, size=(fan_in, fan_out))


INITIALIZERS: dict[str, InitFn] = {
    "glorot_uniform": _glorot_uniform,
    "he_normal": _he_normal,
    "normal": _normal,
    "truncated_normal": _truncated_normal,
    "uniform": _uniform,
}


def init_params(model: Model, rng: np.random.Generator, init: str = "glorot_uniform", std: float = 0.05) -> Params:
    """Seeded weights from ``INITIALIZERS[init]``; biases start at zero."""
    fn = _lookup(INITIALIZERS, init, "init")
    params: list[Array] = []
    for fan_in, fan_out in zip(model.sizes[:-1], model.sizes[1:]):
        params += [fn(rng, fan_in, fan_out, std), np.zeros(fan_out)]
    return tuple(params)
