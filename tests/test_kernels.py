"""nnviz pins NumPy's and OpenBLAS's kernels to AVX2 before NumPy loads (nnviz/kernels.py).

Without the pin an AVX-512 machine trains the same seed to different last bits
than an AVX2 one (tests/test_engine_golden.py's digests come from an AVX2 machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, sys, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    {first}
    import numpy
    from numpy._core._multiarray_umath import __cpu_features__ as f
print(json.dumps({{"v4": bool(f.get("X86_V4")), "core": os.environ.get("OPENBLAS_CORETYPE"),
                  "warned": any("AVX-512" in str(w.message) for w in caught)}}))
"""


def probe(first: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE")}
    out = subprocess.run([sys.executable, "-c", PROBE.format(first=first)], capture_output=True, text=True,
                         env={**clean, **env}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_has_avx512() -> bool:
    return probe("pass")["v4"]


def test_importing_nnviz_first_turns_avx512_kernels_off() -> None:
    got = probe("import nnviz")
    assert got == {"v4": False, "core": "Haswell", "warned": False}


def test_a_users_own_choice_is_kept() -> None:
    assert probe("import nnviz", OPENBLAS_CORETYPE="SkylakeX")["core"] == "SkylakeX"


@pytest.mark.skipif(not machine_has_avx512(), reason="this machine has no AVX-512 kernels to turn off")
def test_numpy_imported_first_on_an_avx512_machine_is_named_in_a_warning() -> None:
    got = probe("import numpy; import nnviz")
    assert got["v4"] and got["warned"]


def test_the_readme_starts_dask_workers_with_the_pins() -> None:
    """`dask worker` loads NumPy before nnviz: only its environment can pin the kernels, so the
    README's worker command must carry exactly nnviz's pins (it had none, and nnviz's install
    line fetched another project of the same name from PyPI)."""
    from pathlib import Path

    from nnviz import kernels

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    worker = readme[readme.index("dask scheduler") :].split("\n```")[0]
    assert f"{kernels.pinned_env()} \\\n    dask worker" in worker, worker
    assert 'pip install "nnviz' not in readme and "-e \".[dask]\"" in readme
