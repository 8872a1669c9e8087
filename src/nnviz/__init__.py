"""nnviz: watch small NumPy neural networks learn.

The engine (``nn``, ``optimizers``, ``datasets``, ``train``) imports NumPy
only; rendering lives in ``scene``, ``paint``, ``writers`` and ``render``.
"""

__version__ = "0.1.0"
