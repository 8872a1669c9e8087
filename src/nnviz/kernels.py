"""The same bits on every x86-64 machine: NumPy's and OpenBLAS's kernels pinned to AVX2.

NumPy picks SIMD kernels for ``tanh``, ``exp`` and friends, and OpenBLAS its
matrix-multiply kernels, by the CPU it is imported on, and the AVX-512 ones
round differently from the AVX2 ones. The same seed then trains to histories
that differ in the last bits, and the GIF's pixels follow. Both libraries read
an environment variable once, when NumPy is first imported, so nnviz sets them
before that (``nnviz/__init__`` runs this first) unless the user already chose:

- ``NPY_DISABLE_CPU_FEATURES``: NumPy's dispatch targets above x86-64-v3 off;
  names a machine lacks are ignored, so this is harmless anywhere.
- ``OPENBLAS_CORETYPE=Haswell``: OpenBLAS's AVX2 kernels, on any x86-64 that has AVX2.

Measured on an AVX-512 (Sapphire Rapids) machine: without these, 4 of the 5
recorded float64 training digests (tests/test_engine_golden.py, recorded on
an AVX2 machine) differ; with them all 5 match. Child processes (the parallel
painter, sweep workers, Dask workers) inherit the environment. Machines
without AVX2 or of another architecture still train correctly but may differ
in the last bits.
"""

from __future__ import annotations

import os
import sys
import warnings

PINS = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",
}


def pin() -> None:
    """Set the pins unless the user set them; warn if NumPy was imported before with AVX-512 on."""
    if "numpy" not in sys.modules:
        for name, value in PINS.items():
            os.environ.setdefault(name, value)
        return
    if avx512_active():
        warnings.warn(
            "NumPy was imported before nnviz, so its AVX-512 kernels are active: results are correct but "
            "may differ in the last bits from other machines. Import nnviz first (or set "
            + pinned_env()
            + ") for byte-identical files.",
            stacklevel=3,
        )


def pinned_env() -> str:
    """The pins as shell assignments, for a process nnviz does not start (a Dask worker)."""
    return " ".join(f"{k}={v!r}" for k, v in PINS.items())


def avx512_active() -> bool:
    """Whether this process runs NumPy's AVX-512 kernels: its results may differ in the last bits."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # another NumPy layout: nothing to say
        return False
    return bool(__cpu_features__.get("X86_V4") or __cpu_features__.get("AVX512_SKX"))
