"""nnviz: watch small NumPy neural networks learn.

The engine (``nn``, ``optimizers``, ``data``, ``train``) imports NumPy
only; rendering lives in ``scene``, ``paint``, ``writers`` and ``render``.

Importing nnviz changes nothing in the process. For byte-identical files
on any x86-64 machine, call ``nnviz.pin_kernels()`` before anything imports
NumPy (the ``nnviz`` command and the workers it starts do it themselves).
"""

from .kernels import pin_kernels

# The one version source: pyproject.toml reads it (setuptools dynamic version), the CLI prints it.
# Tag policy (CHANGELOG.md): a release is the commit that sets this and the CHANGELOG heading, tagged vX.Y.Z.
__version__ = "0.4.0.dev0"

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


__all__ = ["__version__", "pin_kernels", *_RECORDERS]
