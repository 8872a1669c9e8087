"""PyTorch: record a user's own training loop, one ``snapshot()`` an epoch.

Supported: an ``nn.Sequential`` (nested ones too), or any module whose
forward is such a chain, of ``nn.Linear`` layers with one hidden activation
nnviz has (``Tanh``, ``ReLU``, ``Sigmoid``, ``LeakyReLU`` with its slope,
``GELU`` either form, ``SiLU``, ``Softplus`` with beta 1, ``Identity``), the
functional forms of those (``torch.tanh``, ``F.relu``, ``x.sigmoid()``, ...),
``Dropout`` (the identity at evaluation, which is what nnviz draws), and a
final ``Sigmoid`` or ``Softmax`` when the loss takes probabilities.

How a chain is proved: ``torch.fx`` traces ``forward`` symbolically into a
graph of the calls it makes, descending into the user's own modules and
stopping at PyTorch's. The model is recorded only when that graph is one
input, one path through supported calls, one output: every call takes the
previous one's result and nothing else. A residual (two inputs to an add), a
module fx cannot trace (data-dependent control flow), a convolution, a
normalisation or a custom computation is refused at once, in one line naming
the layer. Parameters are read as they are (no hooks): ``Linear.weight``
transposed to nnviz's ``(fan_in, fan_out)``, in float64.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import nn as engine
from .arrays import as_numpy, from_arrays
from .core import Network, Recorder, RecordError, require

require("torch")  # first: without PyTorch, one line naming the extra
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.fx import Tracer  # noqa: E402

Array = np.ndarray
SUPPORTED = (
    "Linear, Tanh, ReLU, Sigmoid, LeakyReLU, GELU, SiLU, Softplus, Identity, Dropout "
    "(and a final Sigmoid or Softmax), in one chain"
)
# Above this threshold PyTorch's Softplus returns z itself where nnviz's is z + log1p(e^-z): within e^-20 = 2e-9.
SOFTPLUS_THRESHOLD = 20.0


@dataclass(frozen=True)
class Op:
    """One call in the chain: a Linear, an activation (nnviz's name), or nothing at evaluation."""

    where: str  # how messages name it: "'net.1' (Tanh)"
    kind: str  # "linear", "act" or "noop"
    act: str = ""  # nnviz's activation name, or "sigmoid"/"softmax" as a head
    slope: float = engine.LEAKY_SLOPE
    linear: Any = None


class Refused(Exception):
    """Why one call is not supported (the caller names the layer)."""


def _slope(value: float, where: str) -> float:
    if not 0.0 <= value < 1.0:
        raise Refused(f"negative_slope={value:g}; nnviz supports 0 <= negative_slope < 1")
    return float(value)


def _gelu(approximate: str) -> str:
    return {"tanh": "gelu", "none": "gelu_erf"}.get(approximate) or _refuse(f"approximate={approximate!r}")


def _softplus(beta: float, threshold: float) -> str:
    if beta != 1:
        raise Refused(f"beta={beta:g}; nnviz's softplus is log(1 + e^z), beta 1")
    if threshold < SOFTPLUS_THRESHOLD:
        raise Refused(f"threshold={threshold:g} makes it linear above {threshold:g}; use threshold >= 20 (the default)")
    return "softplus"


def _softmax(dim: Any) -> str:
    if dim not in (None, 1, -1):
        raise Refused(f"dim={dim}; the classes are dim 1")
    return "softmax"


def _refuse(why: str) -> str:
    raise Refused(why)


# Modules, by class: the op each one is, from its settings.
MODULES: dict[type, Callable[[Any, str], Op]] = {
    nn.Linear: lambda m, w: Op(w, "linear", linear=m),
    nn.Tanh: lambda m, w: Op(w, "act", "tanh"),
    nn.ReLU: lambda m, w: Op(w, "act", "relu"),
    nn.Sigmoid: lambda m, w: Op(w, "act", "sigmoid"),
    nn.LeakyReLU: lambda m, w: Op(w, "act", "leaky_relu", _slope(m.negative_slope, w)),
    nn.GELU: lambda m, w: Op(w, "act", _gelu(m.approximate)),
    nn.SiLU: lambda m, w: Op(w, "act", "silu"),
    nn.Softplus: lambda m, w: Op(w, "act", _softplus(m.beta, m.threshold)),
    nn.Softmax: lambda m, w: Op(w, "act", _softmax(m.dim)),
    nn.LogSoftmax: lambda m, w: Op(w, "act", _softmax(m.dim)),
    nn.Identity: lambda m, w: Op(w, "noop"),
    # Every dropout is the identity at evaluation, and nnviz draws the network evaluated.
    nn.modules.dropout._DropoutNd: lambda m, w: Op(w, "noop"),
}

# Functions and tensor methods: their parameters after the input (name, default), and the op from them.
Params = tuple[tuple[str, Any], ...]
FUNCTIONS: dict[Any, tuple[Params, Callable[..., Op]]] = {}
for _fns, _params, _make in (
    ((torch.tanh, F.tanh, "tanh"), (), lambda w: Op(w, "act", "tanh")),
    ((torch.relu, F.relu, "relu"), (("inplace", False),), lambda w, inplace: Op(w, "act", "relu")),
    ((torch.sigmoid, F.sigmoid, "sigmoid"), (), lambda w: Op(w, "act", "sigmoid")),
    (
        (F.leaky_relu,),
        (("negative_slope", 0.01), ("inplace", False)),
        lambda w, negative_slope, inplace: Op(w, "act", "leaky_relu", _slope(negative_slope, w)),
    ),
    ((F.gelu,), (("approximate", "none"),), lambda w, approximate: Op(w, "act", _gelu(approximate))),
    ((F.silu,), (("inplace", False),), lambda w, inplace: Op(w, "act", "silu")),
    (
        (F.softplus,),
        (("beta", 1.0), ("threshold", SOFTPLUS_THRESHOLD)),
        lambda w, beta, threshold: Op(w, "act", _softplus(beta, threshold)),
    ),
    (
        (torch.softmax, F.softmax, torch.log_softmax, F.log_softmax, "softmax", "log_softmax"),
        (("dim", None), ("_stacklevel", 3), ("dtype", None)),
        lambda w, dim, _stacklevel, dtype: Op(w, "act", _softmax(dim)),
    ),
    (
        (F.dropout,),
        (("p", 0.5), ("training", True), ("inplace", False)),
        lambda w, p, training, inplace: Op(w, "noop"),
    ),
):
    for _fn in _fns:
        FUNCTIONS[_fn] = (_params, _make)


class _Tracer(Tracer):
    """Stops at PyTorch's own modules (their forward is known) and descends into the user's."""

    def is_leaf_module(self, m: Any, qualname: str) -> bool:
        containers = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
        return type(m).__module__.startswith("torch.nn") and not isinstance(m, containers)


def _module_of(node: Any, root: Any) -> tuple[str, str]:
    """The innermost module a traced call belongs to: (qualified name, class name)."""
    stack = node.meta.get("nn_module_stack") or {}
    if stack:
        qualname, cls = list(stack.values())[-1]
        return str(qualname), getattr(cls, "__name__", str(cls))
    return "", type(root).__name__


def _describe(node: Any, root: Any) -> str:
    if node.op == "call_module":
        return f"'{node.target}' ({type(root.get_submodule(node.target)).__name__})"
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
    qualname, cls = _module_of(node, root)
    inside = f"'{qualname}' ({cls})" if qualname else f"{cls}.forward"
    return f"{name}() in {inside}"


def _bind(node: Any, params: Params) -> dict[str, Any]:
    """The call's settings by name (positional or keyword, defaults filled in)."""
    values = dict(params)
    names = [n for n, _ in params]
    extra = node.args[1:]
    if len(extra) > len(names) or set(node.kwargs) - set(names):
        raise Refused("called with arguments nnviz does not know")
    values.update(zip(names, extra))
    values.update(node.kwargs)
    return values


def _op(node: Any, root: Any) -> Op:
    where = _describe(node, root)
    if node.op == "call_module":
        module = root.get_submodule(node.target)
        for cls, make in MODULES.items():
            if isinstance(module, cls) and (cls is not nn.Linear or type(module) is nn.Linear):
                return make(module, where)
        raise Refused("is not supported")
    key = node.target
    if node.op in ("call_function", "call_method") and key in FUNCTIONS:
        params, make = FUNCTIONS[key]
        return make(where, **_bind(node, params))
    if key in (operator.add, operator.iadd, torch.add):
        raise Refused("adds two values (a residual connection?)")
    raise Refused("is not supported")


def _chain(root: Any) -> list[Op]:
    """The model's calls in order, or Refused/RecordError when its forward is not one chain."""
    name = type(root).__name__
    try:
        graph = _Tracer().trace(root)
    except Exception as exc:  # fx raises many kinds (TraceError, TypeError, ...) for untraceable code
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RecordError(
            f"PyTorch model {name}: torch.fx cannot read its forward as a chain of layers ({first}); "
            f"write it as nn.Sequential of {SUPPORTED}"
        ) from None
    nodes = list(graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise RecordError(
            f"PyTorch model {name}: forward takes {len(inputs)} inputs; nnviz records models of one input X"
        )
    ops: list[Op] = []
    previous = inputs[0]
    for node in nodes[1:]:
        if node.op == "output":
            if node.args[0] is not previous:
                raise RecordError(
                    f"PyTorch model {name}: forward does not return its last call's result; record a chain"
                )
            break
        feeds = [a for a in node.all_input_nodes]
        if feeds != [previous] or node.args[:1] != (previous,) or len(previous.users) != 1:
            qualname, cls = _module_of(node, root)
            what = (
                f"custom module '{qualname}' ({cls})"
                if qualname and not _is_torch_class(node)
                else _describe(node, root)
            )
            if len(previous.users) != 1:
                source = "the input" if previous.op == "placeholder" else f"the result of {_describe(previous, root)}"
                why = f"{source} feeds {len(previous.users)} calls"
            else:
                why = f"it combines {len(feeds)} values"
            raise RecordError(
                f"PyTorch layer {what} is not one chain: {why} (a residual or branch); nnviz supports {SUPPORTED}"
            )
        try:
            ops.append(_op(node, root))
        except Refused as why:
            qualname, cls = _module_of(node, root)
            if qualname and not _is_torch_class(node) and node.op != "call_module":
                raise RecordError(
                    f"PyTorch layer '{qualname}' ({cls}) is a custom module: its forward calls "
                    f"{_describe(node, root).split(' in ')[0]}, which {why}; nnviz supports {SUPPORTED}"
                ) from None
            raise RecordError(f"PyTorch layer {_describe(node, root)} {why}; nnviz supports {SUPPORTED}") from None
        previous = node
    return ops


def _is_torch_class(node: Any) -> bool:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return True
    _, cls = list(stack.values())[-1]
    return str(getattr(cls, "__module__", "")).startswith("torch.nn")


def read_network(root: Any) -> tuple[Network, list[Any]]:
    """The model in nnviz's terms, and its Linear modules in order."""
    ops = [op for op in _chain(root) if op.kind != "noop"]
    linears: list[Op] = []
    after: dict[int, Op] = {}  # layer index -> the activation that follows it
    for op in ops:
        if op.kind == "linear":
            linears.append(op)
        elif not linears:
            raise RecordError(f"PyTorch model starts with {op.where}; the first layer must be an nn.Linear")
        elif len(linears) - 1 in after:
            raise RecordError(
                f"PyTorch layers {after[len(linears) - 1].where} and {op.where} are two activations in a row; "
                "nnviz applies one after each Linear"
            )
        else:
            after[len(linears) - 1] = op
    if not linears:
        raise RecordError(f"PyTorch model has no nn.Linear; nnviz supports {SUPPORTED}")
    for a, b in itertools.pairwise(linears):
        if a.linear.out_features != b.linear.in_features:
            raise RecordError(
                f"PyTorch layer {a.where} gives {a.linear.out_features} outputs but {b.where} "
                f"takes {b.linear.in_features}"
            )
    last = len(linears) - 1
    head = after.pop(last, None)
    if head is not None and head.act not in ("sigmoid", "softmax"):
        raise RecordError(
            f"PyTorch output layer {linears[last].where} is followed by {head.where}; nnviz's output is the last "
            "Linear's logits, optionally through a final Sigmoid (binary) or Softmax (multiclass)"
        )
    hidden = {i: after.get(i) for i in range(last)}
    for maybe in hidden.values():
        if maybe is not None and maybe.act == "softmax":
            raise RecordError(
                f"PyTorch layer {maybe.where} is a Softmax on a hidden layer; it is allowed only at the output"
            )
    kinds = {(op.act, op.slope) if op else ("linear", engine.LEAKY_SLOPE) for op in hidden.values()}
    if len(kinds) > 1:
        shown = ", ".join(op.where if op else f"none after {linears[i].where}" for i, op in hidden.items())
        raise RecordError(
            f"PyTorch hidden layers use different activations ({shown}); "
            "nnviz draws one activation for every hidden layer"
        )
    activation, slope = kinds.pop() if kinds else ("linear", engine.LEAKY_SLOPE)
    sizes = (linears[0].linear.in_features, *(op.linear.out_features for op in linears))
    net = Network(
        "PyTorch",
        tuple(op.where for op in linears),
        sizes,
        activation,
        slope,
        head.act if head is not None else "logits",
        head.where if head is not None else "",
    )
    return net, [op.linear for op in linears]


_NUMPY_DTYPES = (torch.float64, torch.float32)


def _array(t: Any) -> Array:
    """A parameter as NumPy, without a copy when it is on the CPU in a dtype NumPy has (the usual case)."""
    t = t.detach()
    if t.device.type != "cpu" or t.dtype not in _NUMPY_DTYPES:  # a GPU, or float16/bfloat16
        t = t.to(device="cpu", dtype=torch.float64)
    return t.numpy()


class TorchRecorder(Recorder):
    """Records an ``nn.Module`` as it trains; call ``snapshot()`` before training and after each epoch."""

    framework = "PyTorch"
    slug = "torch"

    def __init__(self, model: Any, data: Any) -> None:
        if not isinstance(model, nn.Module):
            raise RecordError(f"nnviz's PyTorch recorder takes an nn.Module; got {type(model).__name__}")
        super().__init__(model, data)
        self._linears: list[Any] = []
        self.network  # noqa: B018 -- read and checked now: an unsupported model is refused before training starts

    def read_network(self) -> Network:
        net, self._linears = read_network(self.model)
        return net

    def read_params(self) -> tuple[Array, ...]:
        params: list[Array] = []
        for lin in self._linears:
            # One float64 copy each; PyTorch keeps W as (fan_out, fan_in).
            params.append(np.array(_array(lin.weight).T, dtype=np.float64, order="C"))
            bias = lin.bias
            params.append(np.array(_array(bias), dtype=np.float64) if bias is not None else np.zeros(lin.out_features))
        return tuple(params)


def recorder(model: Any, X: Any, y: Any, **data_options: Any) -> TorchRecorder:
    """``nnviz.record`` for a PyTorch module: the arrays as given (tensors are fine), never rescaled."""
    return TorchRecorder(model, from_arrays(as_numpy(X), as_numpy(y), **data_options))
