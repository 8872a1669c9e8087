"""Keras 3: a callback that records a ``Sequential`` of ``Dense`` layers as ``fit`` trains it.

``model.fit(X, y, epochs=50, callbacks=[rec.callback()])`` snapshots the
untrained network when training begins (epoch 0) and after every epoch.
Keras stores a Dense kernel as nnviz does, ``(fan_in, fan_out)``; weights are
read with ``get_weights()`` (NumPy copies) and kept as float64.

Supported: ``Dense`` layers whose activation is one nnviz has (``linear``,
``tanh``, ``relu``, ``sigmoid``, ``leaky_relu``, ``gelu`` either form,
``silu``/``swish``, ``softplus``; a final ``sigmoid`` or ``softmax``), the
same as separate ``Activation``, ``ReLU``, ``LeakyReLU`` or ``Softmax``
layers, and ``Dropout`` (the identity at evaluation). Keras 3 runs on the
PyTorch backend, so no TensorFlow is needed: set ``KERAS_BACKEND=torch``
before Keras is first imported (nnviz sets it, if it is unset, when it is
the first to import Keras).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import numpy as np

from ..engine import nn as engine
from .arrays import as_numpy, from_arrays
from .core import Network, Recorder, RecordError, require

if "keras" not in sys.modules:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3's default is TensorFlow, which nnviz does not need
require("keras")  # first: without Keras, one line naming the extra
import keras  # noqa: E402

Array = np.ndarray
SUPPORTED = (
    "Dense (activations linear, tanh, relu, sigmoid, leaky_relu, gelu, silu, softplus; a final sigmoid or softmax), "
    "Activation, ReLU, LeakyReLU, Softmax, Dropout"
)
A = keras.activations
# Activation functions (by identity) -> nnviz's name; a partial of one with its settings is read too.
FUNCTIONS: dict[Any, str] = {
    A.linear: "linear",
    A.tanh: "tanh",
    A.relu: "relu",
    A.sigmoid: "sigmoid",
    A.leaky_relu: "leaky_relu",
    A.gelu: "gelu",
    A.silu: "silu",
    A.softplus: "softplus",
    A.softmax: "softmax",
}


def _activation(fn: Any, where: str) -> tuple[str, float]:
    """nnviz's (activation, leaky slope) for a Keras activation function."""
    settings: dict[str, Any] = {}
    if isinstance(fn, functools.partial):
        fn, settings = fn.func, dict(fn.keywords)
    name = FUNCTIONS.get(fn)
    if name is None:
        shown = getattr(fn, "__name__", type(fn).__name__)
        raise RecordError(f"Keras layer {where} uses activation {shown!r}; nnviz supports {SUPPORTED}")
    if name == "gelu":
        name = "gelu" if settings.pop("approximate", False) else "gelu_erf"  # Keras' gelu is exact by default
    if name == "relu":
        slope = settings.pop("negative_slope", 0.0)
        if settings.pop("max_value", None) is not None or settings.pop("threshold", 0.0) != 0.0:
            raise RecordError(f"Keras layer {where}: relu with max_value or threshold is not supported")
        if slope:
            name, settings["negative_slope"] = "leaky_relu", slope
    slope = float(settings.pop("negative_slope", 0.2)) if name == "leaky_relu" else engine.LEAKY_SLOPE
    if settings:
        raise RecordError(f"Keras layer {where}: {name} with {settings} is not supported")
    if not 0.0 <= slope < 1.0:
        raise RecordError(f"Keras layer {where}: negative_slope={slope:g}; nnviz supports 0 <= negative_slope < 1")
    return name, slope


def _layer_activation(layer: Any, where: str) -> tuple[str, float] | None:
    """A separate activation layer as (name, slope); None for a layer that is not one."""
    L = keras.layers
    if isinstance(layer, L.Activation):
        return _activation(layer.activation, where)
    if isinstance(layer, L.LeakyReLU):
        return _activation(functools.partial(A.leaky_relu, negative_slope=layer.negative_slope), where)
    if isinstance(layer, L.ReLU):
        settings = {"negative_slope": float(layer.negative_slope)}
        if layer.max_value is not None or float(layer.threshold) != 0.0:
            settings["threshold"] = 1.0  # refused below with the layer's name
        return _activation(functools.partial(A.relu, **settings), where)
    if isinstance(layer, L.Softmax):
        return "softmax", engine.LEAKY_SLOPE
    return None


def read_network(model: Any) -> tuple[Network, list[Any]]:
    """The model in nnviz's terms, and its Dense layers in order."""
    if not isinstance(model, keras.Sequential):
        raise RecordError(f"nnviz records a keras.Sequential of Dense layers; got {type(model).__name__}")
    if not model.built:
        raise RecordError("the Keras model is not built yet: give it keras.Input((features,)) first, or fit it")
    dense: list[Any] = []
    acts: dict[int, list[tuple[str, tuple[str, float]]]] = {}
    for layer in model.layers:
        where = f"'{layer.name}' ({type(layer).__name__})"
        if isinstance(layer, keras.layers.Dense):
            dense.append(layer)
            act = _activation(layer.activation, where)
            if act[0] != "linear":
                acts.setdefault(len(dense) - 1, []).append((where, act))
            continue
        if isinstance(layer, keras.layers.Dropout):
            continue
        separate = _layer_activation(layer, where)
        if separate is None:
            raise RecordError(f"Keras layer {where} is not supported; nnviz supports {SUPPORTED}")
        act = separate
        if not dense:
            raise RecordError(f"Keras model starts with {where}; the first layer must be Dense")
        if act[0] != "linear":
            acts.setdefault(len(dense) - 1, []).append((where, act))
    if not dense:
        raise RecordError(f"Keras model has no Dense layer; nnviz supports {SUPPORTED}")
    for found in acts.values():
        if len(found) > 1:
            raise RecordError(
                f"Keras layers {found[0][0]} and {found[1][0]} are two activations in a row; "
                "nnviz applies one per layer"
            )
    last = len(dense) - 1
    names = [f"'{d.name}' (Dense)" for d in dense]
    head = acts.pop(last, [("", ("logits", 0.0))])[0]
    if head[1][0] not in ("logits", "sigmoid", "softmax"):
        raise RecordError(
            f"Keras output layer {names[last]} ends in {head[1][0]} ({head[0]}); nnviz's output is the last Dense's "
            "logits, or a final sigmoid (binary) or softmax (multiclass)"
        )
    hidden = {
        i: acts[i][0] if i in acts else (f"none after {names[i]}", ("linear", engine.LEAKY_SLOPE)) for i in range(last)
    }
    for where, (name, _) in hidden.values():
        if name == "softmax":
            raise RecordError(f"Keras layer {where} is a softmax on a hidden layer; it is allowed only at the output")
    kinds = {act for _, act in hidden.values()}
    if len(kinds) > 1:
        shown = ", ".join(where for where, _ in hidden.values())
        raise RecordError(
            f"Keras hidden layers use different activations ({shown}); "
            "nnviz draws one activation for every hidden layer"
        )
    activation, slope = kinds.pop() if kinds else ("linear", engine.LEAKY_SLOPE)
    sizes = (int(dense[0].kernel.shape[0]), *(int(d.units) for d in dense))
    return Network("Keras", tuple(names), sizes, activation, slope, head[1][0], head[0]), dense


class KerasRecorder(Recorder):
    """Records a ``keras.Sequential``; pass ``rec.callback()`` to ``fit``, or call ``snapshot()`` yourself."""

    framework = "Keras"
    slug = "keras"

    def __init__(self, model: Any, data: Any) -> None:
        super().__init__(model, data)
        self._dense: list[Any] = []
        if model is not None and getattr(model, "built", False):
            self.network  # noqa: B018 -- read and checked now: an unsupported model is refused before fit

    def read_network(self) -> Network:
        if self.model is None:
            raise RecordError("the callback has no model yet: pass it to model.fit(..., callbacks=[...])")
        net, self._dense = read_network(self.model)
        return net

    def read_params(self) -> tuple[Array, ...]:
        params: list[Array] = []
        for layer in self._dense:
            weights = layer.get_weights()
            W = np.array(weights[0], dtype=np.float64)
            b = np.array(weights[1], dtype=np.float64) if layer.use_bias else np.zeros(W.shape[1])
            params += [W, b]
        return tuple(params)

    def callback(self) -> Any:
        """A ``keras.callbacks.Callback`` that snapshots at train begin (epoch 0) and every epoch end."""
        return NnvizCallback(self)


class NnvizCallback(keras.callbacks.Callback):
    """Snapshots its recorder's model when training begins and after each epoch.

    ``animate`` and ``history`` are the recorder's, so the callback alone is
    enough: ``cb = nnviz.keras_callback(X, y)``, ``model.fit(..., callbacks=[cb])``,
    ``cb.animate("run.gif")``.
    """

    def __init__(self, recorder: KerasRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    def on_train_begin(self, logs: Any = None) -> None:
        if self.recorder.model is None:
            self.recorder.model = self.model
        elif self.recorder.model is not self.model:
            raise RecordError("this callback records another model; make one callback per model")
        if not len(self.recorder):
            self.recorder.snapshot(0)  # a second fit() goes on from where the first ended

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.recorder.snapshot()

    @property
    def history(self) -> Any:
        return self.recorder.history

    def animate(self, *args: Any, **kwargs: Any) -> Any:
        return self.recorder.animate(*args, **kwargs)


def recorder(model: Any, X: Any, y: Any, **data_options: Any) -> KerasRecorder:
    """``nnviz.record`` for a Keras model (``model`` may be None for a callback not yet given to fit)."""
    return KerasRecorder(model, from_arrays(as_numpy(X), as_numpy(y), **data_options))


def callback(X: Any, y: Any, **data_options: Any) -> NnvizCallback:
    """A callback for ``model.fit`` that records the model it is given: ``nnviz.keras_callback(X, y)``."""
    return recorder(None, X, y, **data_options).callback()
