"""Animate a network trained in PyTorch, scikit-learn or Keras (or anything that gives its weights).

``nnviz.record(model, X, y)`` picks the framework by the model's class and
returns its recorder: call ``rec.snapshot()`` before training and once an
epoch (PyTorch, your own loop), ``rec.fit(epochs)`` (scikit-learn, nnviz
drives ``partial_fit``) or pass ``rec.callback()`` to Keras' ``fit``; then
``rec.animate("run.gif")``. ``from_arrays`` makes a Dataset of your own
arrays, ``history_from_weights`` a History of per-epoch weight lists, and
``animate_history`` renders either. No framework is imported until a model of
it is recorded: importing nnviz never imports PyTorch, scikit-learn or Keras.
"""

from __future__ import annotations

import importlib
from typing import Any

from .arrays import from_arrays
from .core import FRAMEWORKS, MissingExtra, Recorder, RecordError, animate_history, history_from_weights

__all__ = [
    "MissingExtra",
    "RecordError",
    "Recorder",
    "animate_history",
    "framework_of",
    "from_arrays",
    "history_from_weights",
    "keras_callback",
    "record",
]

# Packages whose models look like ones nnviz records but are not (a hint instead of "unknown").
OTHERS = {
    "tensorflow": (
        "a tf.keras model: nnviz records Keras 3 models (pip install 'nnviz-anim[keras]', KERAS_BACKEND=torch)"
    ),
    "tf_keras": "a tf_keras (Keras 2) model: nnviz records Keras 3 models (pip install 'nnviz-anim[keras]')",
}


def framework_of(model: Any) -> str:
    """``torch``, ``sklearn`` or ``keras``: the framework whose class ``model`` is (or inherits from)."""
    for cls in type(model).__mro__:
        package = cls.__module__.split(".")[0]
        if package in FRAMEWORKS:
            return package
        if package in OTHERS:
            raise RecordError(f"{type(model).__name__} is {OTHERS[package]}")
    raise RecordError(
        f"nnviz.record takes a PyTorch nn.Module, a scikit-learn MLPClassifier or MLPRegressor, or a Keras "
        f"Sequential; got {type(model).__module__}.{type(model).__name__}: for another framework build the History "
        "with nnviz.history_from_weights"
    )


def record(model: Any, X: Any, y: Any, **data_options: Any) -> Recorder:
    """A recorder for ``model`` trained on ``(X, y)``, exactly as the model sees them (never rescaled).

    ``data_options`` are ``from_arrays``'s: ``X_test``, ``y_test``, ``task``,
    ``feature_names``, ``class_names``, ``image_shape``, ``name``. An
    unsupported model is refused in one line naming the layer, at once when
    the model is complete, else at the first snapshot.
    """
    package = framework_of(model)
    module = importlib.import_module(f"{__name__}.{package}")
    recorder: Recorder = module.recorder(model, X, y, **data_options)
    return recorder


def keras_callback(X: Any, y: Any, **data_options: Any) -> Any:
    """A ``keras.callbacks.Callback`` recording whichever Sequential ``fit`` trains; ``.animate()`` renders it."""
    module = importlib.import_module(f"{__name__}.keras")
    return module.callback(X, y, **data_options)
