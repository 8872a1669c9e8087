"""Recording a network trained elsewhere: its parameters in, nnviz's History out.

Training hands rendering nothing but a ``History`` (the parameters at every
snapshot) and a ``Dataset``; rendering runs its own forward pass. So a model
trained by another framework is animated by reading its parameters at each
snapshot, as nnviz's own W ``(fan_in, fan_out)`` and b, in float64, once the
model is known to compute exactly what ``nn.forward`` computes: dense layers,
one hidden activation that nnviz has, and an output that fits a loss nnviz
knows. Each framework module (``torch``, ``sklearn``, ``keras``) only says
what its model is (``Network``) and what its parameters are; this module
checks the network against the data, keeps the snapshots, computes nnviz's
own metrics for them (loss and accuracy or rmse, from nnviz's float64
forward pass, so every frame's numbers are what it draws) and renders them
with the pipeline that renders nnviz's own runs.

A snapshot only copies the parameters; the metrics are computed when the
History is first asked for, so recording costs the user's loop little.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import catalog
from .. import config as config_mod
from ..config import MAX_EPOCHS, MAX_FRAMES
from ..engine import nn
from ..engine.data import Dataset
from ..engine.history import Epoch, History
from ..engine.train import MAX_HISTORY_BYTES, evaluate, metric_names
from ..errors import ConfigError, NnvizError

if TYPE_CHECKING:
    from ..render.pipeline import AnimationResult

Array = np.ndarray


class RecordError(NnvizError):
    """A model, a snapshot or an array that nnviz cannot record (one line says what and what is allowed)."""


class MissingExtra(NnvizError, ImportError):
    """A framework that the model or call needs is not installed; the message names the extra."""


# The package each framework is imported as, its name for people, and the extra that installs it.
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "torch": ("PyTorch", "torch"),
    "sklearn": ("scikit-learn", "sklearn"),
    "keras": ("Keras", "keras"),
}


def require(package: str) -> Any:
    """Import a framework, or raise one line naming the nnviz extra that installs it."""
    name, extra = FRAMEWORKS[package]
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingExtra(f"{name} is not installed: pip install 'nnviz-anim[{extra}]'") from None


# --- what a framework's model is, in nnviz's terms -----------------------------------


@dataclass(frozen=True)
class Network:
    """A framework's model as nnviz reads it: what a framework module hands the core.

    ``layers`` names each dense layer as the framework does (``"net.0
    (Linear)"``), input to output; ``sizes`` are the widths (input,
    hidden..., output). ``head`` is what follows the last layer: ``logits``
    (nothing), ``sigmoid`` or ``softmax``; ``head_layer`` names the layer that
    applies it.
    """

    framework: str
    layers: tuple[str, ...]
    sizes: tuple[int, ...]
    activation: str
    leaky_slope: float = nn.LEAKY_SLOPE
    head: str = "logits"
    head_layer: str = ""


# The loss that turns each (task, head) pair into nnviz's forward pass; any other pair is refused.
LOSS_FOR: dict[tuple[str, str], str] = {
    ("binary", "logits"): "bce",
    ("binary", "sigmoid"): "bce",
    ("multiclass", "logits"): "ce",
    ("multiclass", "softmax"): "ce",
    ("regression", "logits"): "mse",
}
# What an output layer must be for each task, as messages say it.
NEEDS: dict[str, str] = {
    "binary": "1 output: a logit (binary cross-entropy with logits) or a unit with a sigmoid; "
    "for 2 logits with cross-entropy pass task='multiclass'",
    "multiclass": "{k} outputs, one per class: logits (cross-entropy) or a softmax",
    "regression": "1 output with no activation (squared error)",
}


def _outputs(data: Dataset) -> int:
    return data.n_classes if data.task == "multiclass" else 1


def _task_words(data: Dataset) -> str:
    if data.task == "regression":
        return "y holds numbers to predict (a regression task)"
    shown = ", ".join(data.class_names[:10]) + (", ..." if data.n_classes > 10 else "")
    return f"y holds a {data.task} task ({data.n_classes} classes: {shown})"


def model_for(net: Network, data: Dataset) -> nn.Model:
    """nnviz's model for ``net`` on ``data``, or one line saying why the two do not fit."""
    first, last = net.layers[0], net.layers[-1]
    if net.sizes[0] != data.n_features:
        raise RecordError(
            f"{net.framework} layer {first} takes {net.sizes[0]} inputs, but X has {data.n_features} columns; "
            "record the model with the arrays it was trained on"
        )
    if len(net.sizes) < 3:
        raise RecordError(
            f"{net.framework} model has a single dense layer ({first}): nnviz draws hidden layers, so it needs "
            "at least one hidden layer (dense, activation, dense)"
        )
    try:
        config_mod.hidden_widths(net.sizes[1:-1])
    except ValueError as exc:
        raise RecordError(
            f"{net.framework} model's hidden layers {list(net.sizes[1:-1])} are too many or too wide: {exc}"
        ) from None
    loss = LOSS_FOR.get((data.task, net.head))
    if loss is None or net.sizes[-1] != _outputs(data):
        head = f" and a {net.head} ({net.head_layer})" if net.head != "logits" else ""
        raise RecordError(
            f"{net.framework} output layer {last} has {net.sizes[-1]} output{'s' * (net.sizes[-1] != 1)}{head}, "
            f"but {_task_words(data)}: nnviz needs {NEEDS[data.task].format(k=data.n_classes)}"
        )
    return nn.Model(net.sizes, net.activation, loss, net.leaky_slope)


# --- the recorder --------------------------------------------------------------------


class Recorder:
    """Snapshots of one model on one dataset; ``history`` and ``animate`` as for nnviz's own runs.

    Call ``snapshot()`` once an epoch (first before training: epoch 0), or
    with ``step=`` every N optimizer steps. The first snapshot reads the model
    and refuses, in one line, anything nnviz would draw wrongly. Framework
    recorders implement ``read_network`` and ``read_params``.
    """

    framework: ClassVar[str] = "weights"  # how messages name the framework
    slug: ClassVar[str] = "weights"  # how default file names do

    def __init__(self, model: Any, data: Dataset) -> None:
        self.model = model
        self.data = data
        self._nn: nn.Model | None = None
        self._taken: list[tuple[int, int | None, tuple[Array, ...]]] = []
        self._epochs: list[Epoch] = []  # the first len(_epochs) snapshots, with their metrics

    # What a framework recorder provides.
    def read_network(self) -> Network:
        raise NotImplementedError

    def read_params(self) -> tuple[Array, ...]:
        """``(W1, b1, W2, b2, ...)`` as float64 copies, W shaped ``(fan_in, fan_out)``."""
        raise NotImplementedError

    @property
    def network(self) -> nn.Model:
        """nnviz's model for the recorded one (read, and checked, at the first snapshot)."""
        if self._nn is None:
            self._nn = model_for(self.read_network(), self.data)
        return self._nn

    def __len__(self) -> int:
        return len(self._taken)

    def snapshot(self, epoch: int | None = None, *, step: int | None = None) -> None:
        """Record the model's parameters now.

        ``epoch`` defaults to one more than the last snapshot's (0 first).
        ``step`` (optimizer steps so far) makes the run sub-epoch: then every
        snapshot gives it, and ``epoch`` is the epoch it falls in.
        """
        model = self.network
        params = self.read_params()
        shapes = [p.shape for p in params]
        if shapes != model.param_shapes():
            raise RecordError(
                f"the {self.framework} model's parameters changed shape since the first snapshot "
                f"({model.param_shapes()} then, {shapes} now); record one architecture per run"
            )
        where = self._where(epoch, step)
        if not all(np.isfinite(p).all() for p in params):
            raise RecordError(
                f"a parameter is not finite at {where}: training diverged; {len(self)} snapshots are kept "
                "(animate them, or train with a smaller learning rate)"
            )
        if len(self) >= MAX_FRAMES:
            raise RecordError(f"{MAX_FRAMES:,} snapshots is the cap; snapshot less often (every few epochs or steps)")
        size = 8 * sum(p.size for p in params)
        if (len(self) + 1) * size > MAX_HISTORY_BYTES:
            raise RecordError(
                f"{len(self) + 1:,} snapshots of {size // 8:,} parameters pass the history cap of "
                f"{MAX_HISTORY_BYTES / 2**30:g} GiB; snapshot less often"
            )
        self._taken.append((*self._number(epoch, step), params))

    def _where(self, epoch: int | None, step: int | None) -> str:
        e, s = self._number(epoch, step)
        return f"epoch {e}" if s is None else f"epoch {e}, step {s}"

    def _number(self, epoch: int | None, step: int | None) -> tuple[int, int | None]:
        """The snapshot's (epoch, step), refused when out of training order."""
        last = self._taken[-1] if self._taken else None
        if step is not None and epoch is None:
            raise RecordError("snapshot(step=...) needs epoch= too: the epoch that step falls in")
        if last is not None and (last[1] is None) != (step is None):
            raise RecordError("give step= to every snapshot of a run or to none (the first snapshot set the rule)")
        if epoch is None:
            epoch = 0 if last is None else last[0] + 1
        for value, what in ((epoch, "epoch"), (step, "step")):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
                raise RecordError(f"{what} = {value!r} is invalid: must be a whole number")
        epoch, step = int(epoch), None if step is None else int(step)
        if not 0 <= epoch <= MAX_EPOCHS or (step is not None and step < 0):
            raise RecordError(f"epoch {epoch} (step {step}) is invalid: epochs run 0..{MAX_EPOCHS:,}, steps from 0")
        if last is not None:
            if step is None and epoch <= last[0]:
                raise RecordError(f"epoch {epoch} follows epoch {last[0]}: epochs must increase")
            if step is not None and (epoch < last[0] or step <= (last[1] or 0)):
                raise RecordError(
                    f"epoch {epoch}, step {step} follows epoch {last[0]}, step {last[1]}: steps must increase"
                )
        return epoch, step

    @property
    def history(self) -> History:
        """Every snapshot so far with nnviz's own metrics, as training would have handed them to rendering."""
        if not self._taken:
            raise RecordError("nothing recorded yet: call snapshot() before training and after each epoch")
        model, data = self.network, self.data
        for epoch, step, params in self._taken[len(self._epochs) :]:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                metrics = evaluate(model, params, data)
            if not all(math.isfinite(v) for v in metrics.values()):
                raise RecordError(f"the loss is not finite at epoch {epoch}: training diverged")
            self._epochs.append(Epoch(epoch, params, metrics, step))
        sub_epoch = self._taken[0][1] is not None
        names = metric_names(model.task, len(data.y_test) > 0)
        return History(
            model, tuple(self._epochs), "epochs", f"recorded from {self.framework}", names, sub_epoch=sub_epoch
        )

    def animate(
        self, out: str | os.PathLike[str] | None = None, *, progress: bool = False, workers: int = 1, **render: Any
    ) -> AnimationResult:
        """Render every snapshot as nnviz renders its own runs (see ``animate_history``)."""
        default = f"{self.data.name}-{self.slug}-{self.network.activation}"
        return animate_history(self.history, self.data, out, progress=progress, workers=workers, name=default, **render)


# --- any framework: per-epoch weight lists ---------------------------------------------


class _Weights(Recorder):
    """A Recorder over weight lists someone else collected (``history_from_weights``)."""

    framework = "weights"

    def __init__(self, data: Dataset, activation: str, head: str, leaky_slope: float) -> None:
        super().__init__(None, data)
        self.current: tuple[Array, ...] = ()
        self.activation, self.head, self.leaky_slope = activation, head, leaky_slope

    def read_network(self) -> Network:
        params = self.current
        sizes = (params[0].shape[0], *(W.shape[1] for W in params[::2]))
        names = tuple(f"W{k + 1}" for k in range(len(params) // 2))
        return Network("weights", names, sizes, self.activation, self.leaky_slope, self.head, "the head")

    def read_params(self) -> tuple[Array, ...]:
        return self.current


def _weight_list(entry: Any, index: int) -> tuple[Array, ...]:
    """One snapshot's ``[W1, b1, W2, b2, ...]`` (or ``[(W1, b1), ...]``) as float64 copies."""
    flat: list[Any] = []
    for item in entry:
        flat += list(item) if isinstance(item, tuple) else [item]
    try:
        params = tuple(np.array(p, dtype=np.float64) for p in flat)
    except (TypeError, ValueError):
        raise RecordError(f"snapshot {index} holds something that is not an array of numbers") from None
    ok = len(params) >= 2 and len(params) % 2 == 0 and all(p.ndim == 2 - k % 2 for k, p in enumerate(params))
    chained = ok and all(
        params[k].shape[1] == params[k + 1].shape[0]
        and (k + 2 == len(params) or params[k].shape[1] == params[k + 2].shape[0])
        for k in range(0, len(params), 2)
    )
    if not chained:
        raise RecordError(
            f"snapshot {index} is not [W1, b1, W2, b2, ...] with each W shaped (fan_in, fan_out) and b (fan_out,) "
            f"feeding the next layer; got shapes {[p.shape for p in params]}"
        )
    return params


def history_from_weights(
    weights: Sequence[Sequence[Any]],
    data: Dataset,
    activation: str = "tanh",
    *,
    head: str = "logits",
    leaky_slope: float = nn.LEAKY_SLOPE,
    epochs: Sequence[int] | None = None,
) -> History:
    """A History from per-epoch weight lists, for any framework nnviz has no recorder for.

    ``weights[i]`` is snapshot i's ``[W1, b1, W2, b2, ...]`` (or ``[(W1, b1),
    ...]``) with each W shaped ``(fan_in, fan_out)`` as in ``x @ W + b``
    (a PyTorch ``Linear.weight`` is the transpose). ``activation`` is nnviz's
    name for the hidden activation (``nnviz.engine.nn.ACTIVATIONS``); ``head``
    what follows the last layer (``logits``, ``sigmoid`` or ``softmax``);
    ``epochs`` the snapshots' epoch numbers (default 0, 1, 2, ...). The
    metrics are nnviz's own, computed on ``data``.
    """
    if activation not in nn.ACTIVATIONS:
        raise RecordError(f"activation {activation!r} is unknown; valid: {', '.join(nn.ACTIVATIONS)}")
    if head not in {h for _, h in LOSS_FOR}:
        raise RecordError(f"head {head!r} is unknown; valid: logits, sigmoid, softmax")
    if epochs is not None and len(epochs) != len(weights):
        raise RecordError(f"{len(epochs)} epoch numbers for {len(weights)} snapshots; give one per snapshot")
    rec = _Weights(data, activation, head, leaky_slope)
    for i, entry in enumerate(weights):
        rec.current = _weight_list(entry, i)
        rec.snapshot(None if epochs is None else epochs[i])
    return rec.history


# --- rendering a recorded run ----------------------------------------------------------


def data_path(animation: Path) -> Path:
    """Where a recorded run keeps its arrays: ``run.data.npz`` beside ``run.gif``."""
    from ..engine.data.recorded import SUFFIX

    return animation.with_suffix(SUFFIX)


def recorded_config(
    history: History, data_file: str | os.PathLike[str] | None, render: dict[str, Any]
) -> config_mod.Config:
    """The config that describes a recorded run: its network, its data file, and the render options."""
    unknown = sorted(set(render) - set(config_mod.SCHEMA["render"]))
    if unknown:
        raise ConfigError(f"unknown render option {unknown[0]!r}; valid: {', '.join(config_mod.SCHEMA['render'])}")
    m = history.model
    raw = {
        # A placeholder until the output's name says where the data goes (it is written beside it).
        "data": {"name": "recorded", "path": str(data_file or "recorded.data.npz")},
        "model": {
            "hidden": list(m.sizes[1:-1]),
            "activation": m.activation,
            "loss": m.loss,
            "leaky_slope": m.leaky_slope,
        },
        "train": {"epochs": max(1, history.last.epoch)},
    }
    return catalog.resolve(raw, {f"render.{k}": v for k, v in render.items()})


def animate_history(
    history: History,
    data: Dataset,
    out: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    workers: int = 1,
    name: str = "recorded",
    **render: Any,
) -> AnimationResult:
    """Render a recorded History on its data, with every output of an nnviz run.

    Writes the animation (``out``, default ``outputs/<name>.gif``; its suffix
    picks the format) and beside it the poster ``.png``, the history ``.csv``,
    the config ``.toml`` and the arrays as ``.data.npz``, which the TOML names,
    so ``nnviz animate --history run.csv`` re-renders the run. ``render``
    takes the ``[render]`` options (``format``, ``fps``, ``size``, ``panels``,
    ``every``, ``log_frames``, ...). The result shows itself in a notebook.
    """
    from dataclasses import replace

    from .. import plan as plans
    from ..atomic import one_set
    from ..engine.data import recorded
    from ..render.pipeline import execute

    cfg = recorded_config(history, None, render)
    target = Path(out) if out is not None else plans.OUTPUT_DIR / f"{name}.{cfg.render.format}"
    outs = plans.animation_outputs(cfg, target)
    assert outs.path is not None
    data_file = data_path(outs.path).absolute()
    plan = plans.animate(cfg, outs.path, trained=True)
    # The arrays are one of the run's outputs, not an input: checked (writable, on no input)
    # with the others, and named by the TOML so that --history re-renders the run.
    plan = replace(
        plan,
        cfg=catalog.with_values(plan.cfg, {"data.path": str(data_file)}),
        outputs=replace(plan.outputs, extra={"its .data.npz arrays": data_file}),
    )
    plan.check()
    arrays = recorded.Arrays(
        data.name,
        data.task,
        data.X,
        data.y,
        data.X_test,
        data.y_test,
        data.feature_names,
        data.class_names,
        data.image_shape,
    )
    with one_set():  # the arrays land with the run's other files, or none of them do
        recorded.write(arrays, data_file)
        return execute(plan, history=history, data=data, progress=progress, workers=workers)
