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

The same module sets the thread policy: the BLAS library gets the cores the
painters do not use. The forked second painter (render/parallel.py) already
keeps the other core busy, and OpenBLAS's own threads then fight it (on 2
cores, one BLAS thread took digits from 17.6 s to 7.6 s). OpenBLAS reads
``OPENBLAS_NUM_THREADS`` when it loads, like the pins, so nnviz sets it beside
them: ``cores // painters`` in a process that paints (the CLI paints on two,
``pin_kernels(painters=2)``), ``cores // jobs`` in each of a sweep's workers
(``pinned_environ(processes=jobs)``), at least 1. A user's own
``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS`` or ``OMP_NUM_THREADS`` is kept.

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
BLAS_THREADS = "OPENBLAS_NUM_THREADS"  # the one nnviz sets
# A user who set any of these chose OpenBLAS's threads (it reads them in this order): nnviz sets none.
USER_THREADS = (BLAS_THREADS, "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
PAINTERS = 2  # the CLI paints on up to two processes (render/parallel.py)

_set_here: set[str] = set()  # the thread variable, once nnviz set it in this process (not the user's)


def cores() -> int:
    """The cores this process may run on (its affinity where the OS says, else every core)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def blas_threads(processes: int) -> int:
    """BLAS threads for each of ``processes`` busy processes sharing the cores: jobs x threads <= cores."""
    return max(1, cores() // max(1, processes))


def _users_threads() -> bool:
    return any(name in os.environ and name not in _set_here for name in USER_THREADS)


def pin_kernels(painters: int = 1) -> bool:
    """Pin NumPy's and OpenBLAS's kernels to AVX2 for this process: call it before anything imports NumPy.

    nnviz's files are then byte-identical on any x86-64 machine with AVX2
    (the ``nnviz`` command does this itself). It sets two environment
    variables (``PINS``) unless you already set them. Returns True when they
    are in effect. Once NumPy is loaded its kernels are chosen, so a call
    that comes too late changes nothing and says so in a warning.

    It also gives OpenBLAS the cores the painters leave: pass ``painters=2``
    when you will render with ``workers=2``. ``OPENBLAS_NUM_THREADS`` (or
    ``OMP_NUM_THREADS``) that you set yourself is kept.
    """
    if "numpy" not in sys.modules:
        for name, value in PINS.items():
            os.environ.setdefault(name, value)
        if not _users_threads():
            os.environ[BLAS_THREADS] = str(blas_threads(painters))
            _set_here.add(BLAS_THREADS)
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
def pinned_environ(processes: int = 1) -> Iterator[None]:
    """The pins in ``os.environ`` while nnviz spawns worker processes, which inherit them; removed after.

    ``processes`` workers share the cores, so each gets ``blas_threads(processes)``
    BLAS threads (each paints on one process). Values the user set are kept as they are.
    """
    added = {name: PINS[name] for name in PINS if name not in os.environ}
    if not _users_threads():
        added[BLAS_THREADS] = str(blas_threads(processes))
    previous = {name: os.environ.get(name) for name in added}
    os.environ.update(added)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pinned_env() -> str:
    """The pins as shell assignments, for a process nnviz does not start (a Dask worker).

    A Dask worker runs one nnviz run per thread slot: give it
    ``OPENBLAS_NUM_THREADS`` = cores / runs at a time yourself.
    """
    return " ".join(f"{k}={v!r}" for k, v in PINS.items())


def avx512_active() -> bool:
    """Whether this process runs NumPy's AVX-512 kernels: its results may differ in the last bits."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # another NumPy layout: nothing to say
        return False
    return bool(__cpu_features__.get("X86_V4") or __cpu_features__.get("AVX512_SKX"))
