"""The same bits on every x86-64 machine: NumPy's and OpenBLAS's kernels pinned to AVX2.

NumPy picks SIMD kernels for ``tanh``, ``exp`` and friends, and OpenBLAS its
matrix-multiply kernels, by the CPU it is imported on, and the AVX-512 ones
round differently from the AVX2 ones. The same seed then trains to histories
that differ in the last bits, and the GIF's pixels follow. Both libraries read
an environment variable once, when NumPy is first imported, so the pins must
be in the environment before that:

- ``NPY_DISABLE_CPU_FEATURES``: NumPy's dispatch targets above x86-64-v3 off;
  names a machine lacks are ignored, so this is harmless anywhere.
- ``OPENBLAS_CORETYPE=Haswell``: OpenBLAS's AVX2 kernels, on any x86-64 that has AVX2.

Importing nnviz sets nothing. The ``nnviz`` command pins its own process
first thing (``nnviz.cli``), and the processes it starts inherit that
environment (the forked painter shares its NumPy; sweep workers and a local
Dask cluster's workers are spawned with it). A library call that starts
workers (``run_sweep``) gives them the pins while it spawns them
(``pinned_environ``), whatever the caller's process has. A library user opts
in for their own process with ``nnviz.pin_kernels()`` before NumPy loads.

Measured on an AVX-512 (Sapphire Rapids) machine: without these, 4 of the 5
recorded float64 training digests (tests/test_engine_golden.py, recorded on
an AVX2 machine) differ; with them all 5 match. Machines without AVX2 or of
another architecture still train correctly but may differ in the last bits.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator

PINS = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",
}


def pin_kernels() -> bool:
    """Pin NumPy's and OpenBLAS's kernels to AVX2 for this process: call it before anything imports NumPy.

    nnviz's files are then byte-identical on any x86-64 machine with AVX2
    (the ``nnviz`` command does this itself). It sets two environment
    variables (``PINS``) unless you already set them. Returns True when they
    are in effect. Once NumPy is loaded its kernels are chosen, so a call
    that comes too late changes nothing and says so in a warning.
    """
    if "numpy" not in sys.modules:
        for name, value in PINS.items():
            os.environ.setdefault(name, value)
        return True
    if all(name in os.environ for name in PINS):  # an earlier call (or the shell) set them before NumPy loaded
        return True
    consequence = (
        "this machine runs NumPy's AVX-512 kernels, so results may differ in the last bits from other machines"
        if avx512_active()
        else "NumPy runs no AVX-512 kernels here, so its results likely match anyway"
    )
    warnings.warn(
        "nnviz.pin_kernels() came after NumPy was imported, so NumPy's and OpenBLAS's kernels are already chosen "
        f"({consequence}): call it before anything imports NumPy (numpy, pandas, matplotlib; in a notebook, "
        f"first thing after a kernel restart), or start Python with {pinned_env()} set",
        RuntimeWarning,
        stacklevel=2,
    )
    return False


@contextlib.contextmanager
def pinned_environ() -> Iterator[None]:
    """The pins in ``os.environ`` while nnviz spawns worker processes, which inherit them; removed after.

    Values the user set are kept as they are.
    """
    added = [name for name in PINS if name not in os.environ]
    os.environ.update({name: PINS[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


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
