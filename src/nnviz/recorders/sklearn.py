"""scikit-learn: record an ``MLPClassifier`` or ``MLPRegressor``, driven by nnviz or by your own loop.

scikit-learn stores weights as nnviz does (``coefs_[i]`` shaped ``(fan_in,
fan_out)``, ``intercepts_[i]``), and its activations are nnviz's:
``identity`` (linear), ``logistic`` (sigmoid), ``tanh`` and ``relu``. Its
classifier ends in a logistic unit (two classes) or a softmax, its regressor
in the identity: nnviz's bce, ce and mse heads.

``rec.fit(epochs)`` lets nnviz drive: one ``partial_fit`` an epoch, a
snapshot after each. scikit-learn draws its initial weights inside the
first ``partial_fit``, where nobody can see them; so that epoch 0 is the
untrained network, ``rec.start(seed)`` (which ``fit`` calls on an unfitted
estimator) sets nnviz's own seeded initial weights (Glorot uniform, biases
0) and records them. In your own loop call ``rec.start()`` (or nothing, and
the recording starts at your first snapshot), then ``partial_fit`` and
``rec.snapshot()`` once an epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import nn as engine
from .arrays import as_numpy, from_arrays
from .core import Network, Recorder, RecordError, require

require("sklearn")  # first: without scikit-learn, one line naming the extra
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

Array = np.ndarray
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
HEADS = {"logistic": "sigmoid", "softmax": "softmax", "identity": "logits"}


class SklearnRecorder(Recorder):
    """Records an ``MLPClassifier`` or ``MLPRegressor``: ``fit(epochs)``, or your loop with ``snapshot()``."""

    framework = "scikit-learn"
    slug = "sklearn"

    def __init__(self, model: Any, data: Any, X: Array, y: Array, labels: Array | None) -> None:
        if not isinstance(model, (MLPClassifier, MLPRegressor)):
            raise RecordError(
                f"nnviz's scikit-learn recorder takes an MLPClassifier or MLPRegressor; got {type(model).__name__}"
            )
        if model.solver == "lbfgs":
            raise RecordError("solver='lbfgs' has no partial_fit, so no epochs to record; use solver='adam' or 'sgd'")
        super().__init__(model, data)
        self.X, self.y, self.labels = X, y, labels

    def read_network(self) -> Network:
        m = self.model
        kind = type(m).__name__
        if not hasattr(m, "coefs_"):
            raise RecordError(
                f"{kind} has no weights yet: call rec.start() (nnviz's initial weights, epoch 0) or partial_fit "
                "once before the first snapshot"
            )
        if m.activation not in ACTIVATIONS:
            raise RecordError(f"{kind} activation {m.activation!r} is unknown; valid: {', '.join(ACTIVATIONS)}")
        if getattr(m, "n_outputs_", 1) > 1 and isinstance(m, MLPRegressor):
            raise RecordError(f"{kind} predicts {m.n_outputs_} targets; nnviz draws one")
        if self.labels is not None and [_label(c) for c in m.classes_] != [_label(c) for c in self.labels]:
            raise RecordError(
                f"{kind}.classes_ {list(m.classes_)} are not y's classes {list(self.labels)}: fit it on the same labels"
            )
        sizes = (m.coefs_[0].shape[0], *(W.shape[1] for W in m.coefs_))
        names = tuple(f"coefs_[{i}]" for i in range(len(m.coefs_)))
        head = HEADS.get(m.out_activation_, m.out_activation_)
        if isinstance(m, MLPClassifier) and m.out_activation_ == "logistic" and sizes[-1] > 1:
            raise RecordError(f"{kind} is multilabel ({sizes[-1]} logistic outputs); nnviz draws one label per sample")
        return Network(
            "scikit-learn", names, sizes, ACTIVATIONS[m.activation], engine.LEAKY_SLOPE, head, "out_activation_"
        )

    def read_params(self) -> tuple[Array, ...]:
        m = self.model
        params: list[Array] = []
        for W, b in zip(m.coefs_, m.intercepts_):
            params += [np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)]
        return tuple(params)

    def _partial_fit(self) -> None:
        extra = {"classes": self.labels} if self.labels is not None else {}
        self.model.partial_fit(self.X, self.y, **extra)

    def start(self, seed: int | None = None) -> SklearnRecorder:
        """Give an unfitted estimator nnviz's seeded initial weights and record them as epoch 0.

        scikit-learn builds its layers in the first ``partial_fit``; nnviz
        calls it once, then puts its own initial weights (``seed``: the
        estimator's ``random_state`` when that is a number, else 0) in place
        of the ones that step trained and forgets the optimizer's state, so
        the next ``partial_fit`` starts from them as from a fresh start.
        """
        m = self.model
        if hasattr(m, "coefs_"):
            raise RecordError(
                f"{type(m).__name__} is already fitted; start() gives an unfitted one its initial weights"
            )
        if seed is None:
            seed = m.random_state if isinstance(m.random_state, int) else 0
        self._partial_fit()
        params = engine.init_params(self.network, np.random.default_rng(seed))
        for k, (W, b) in enumerate(zip(params[::2], params[1::2])):
            m.coefs_[k][...] = W
            m.intercepts_[k][...] = b
        # The next partial_fit builds a new optimizer (t = 0, no moments) around these arrays.
        for attr in ("_optimizer",):
            if hasattr(m, attr):
                delattr(m, attr)
        m.n_iter_, m.t_, m.loss_curve_ = 0, 0, []
        self.snapshot(0)
        return self

    def fit(self, epochs: int) -> SklearnRecorder:
        """nnviz drives: ``partial_fit`` on the whole training set once an epoch, a snapshot after each."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise RecordError(f"epochs = {epochs!r} is invalid: must be a whole number >= 1")
        if not hasattr(self.model, "coefs_"):
            self.start()
        elif not len(self):
            self.snapshot(0)  # a fitted estimator: its weights now are where this recording starts
        for _ in range(epochs):
            self._partial_fit()
            self.snapshot()
        return self


def _label(c: Any) -> str:
    """A class as the legend names it: 1.0 as "1", as a CSV's labels are read."""
    return f"{c:g}" if isinstance(c, (float, np.floating)) and float(c).is_integer() else str(c)


def recorder(model: Any, X: Any, y: Any, **data_options: Any) -> SklearnRecorder:
    """``nnviz.record`` for an MLP: classes numbered as scikit-learn's ``classes_`` (sorted)."""
    Xa, ya = np.asarray(as_numpy(X)), np.asarray(as_numpy(y))
    yt = data_options.pop("y_test", None)
    labels = None
    if isinstance(model, MLPClassifier):
        yt_a = None if yt is None else np.asarray(as_numpy(yt))
        labels = np.unique(ya if yt_a is None else np.concatenate([ya, yt_a]))
        names = data_options.pop("class_names", None) or tuple(_label(c) for c in labels)
        codes = np.searchsorted(labels, ya)
        test = None if yt_a is None else np.searchsorted(labels, yt_a)
        task = data_options.pop("task", None) or ("binary" if len(labels) == 2 else "multiclass")
        data = from_arrays(Xa, codes, y_test=test, task=task, class_names=names, **data_options)
    else:
        data = from_arrays(Xa, ya, y_test=yt, task=data_options.pop("task", "regression"), **data_options)
    return SklearnRecorder(model, data, Xa, ya, labels)
