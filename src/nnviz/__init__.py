"""nnviz: watch small NumPy neural networks learn.

The engine (``nn``, ``optimizers``, ``data``, ``train``) imports NumPy
only; rendering lives in ``scene``, ``paint``, ``writers`` and ``render``.
"""

__version__ = "0.1.0"

# First, before anything imports NumPy: the same bits on every x86-64 machine (see kernels.py).
from . import kernels as _kernels

_kernels.pin()
