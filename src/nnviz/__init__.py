"""nnviz: watch small NumPy neural networks learn.

The engine (``nn``, ``optimizers``, ``data``, ``train``) imports NumPy
only; rendering lives in ``scene``, ``paint``, ``writers`` and ``render``.
"""

__version__ = "0.1.0"

# First, before anything imports NumPy: the same bits on every x86-64 machine (see kernels.py).
from . import kernels as _kernels

_kernels.pin()

# Recording a model trained elsewhere (nnviz.recorders), imported on first use: `import nnviz`
# stays as light as it was, and imports no framework.
_RECORDERS = ("record", "keras_callback", "from_arrays", "history_from_weights", "animate_history")


def __getattr__(name: str) -> object:
    if name in _RECORDERS:
        from . import recorders

        return getattr(recorders, name)
    raise AttributeError(f"module 'nnviz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_RECORDERS])
