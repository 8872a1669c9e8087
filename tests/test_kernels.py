"""NumPy's and OpenBLAS's kernels are pinned to AVX2 by the CLI, the workers nnviz starts and
``nnviz.pin_kernels()``, never by ``import nnviz`` (nnviz/kernels.py).

Without the pin an AVX-512 machine trains the same seed to different last bits
than an AVX2 one (tests/test_engine_golden.py's digests come from an AVX2 machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_engine_golden import GOLDEN

PROBE = """
import json, os, sys, warnings
warnings.simplefilter("always")
before = dict(os.environ)
result = None
with warnings.catch_warnings(record=True) as caught:
    {first}
    import numpy
    from numpy._core._multiarray_umath import __cpu_features__ as f
print(json.dumps({{"v4": bool(f.get("X86_V4")), "core": os.environ.get("OPENBLAS_CORETYPE"),
                  "warnings": [str(w.message) for w in caught], "env_changed": dict(os.environ) != before,
                  "result": result}}))
"""


NNVIZ_SETS = ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def clean_env(**env: str) -> dict[str, str]:
    """This environment without the pins and thread counts (conftest pinned this process), plus ``env``."""
    return {**{k: v for k, v in os.environ.items() if k not in NNVIZ_SETS}, **env}


def probe(first: str, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(first=first)], capture_output=True, text=True,
                         env=clean_env(**env), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_has_avx512() -> bool:
    return probe("pass")["v4"]


AVX512 = pytest.mark.skipif(not machine_has_avx512(), reason="this machine has no AVX-512 kernels to turn off")


def test_importing_nnviz_changes_nothing_in_the_process() -> None:
    """`import nnviz` set two environment variables (and warned in a notebook where NumPy came first)."""
    every_module = "import nnviz, nnviz.cli, nnviz.render, nnviz.sweep, nnviz.engine.train"
    assert probe(every_module) == {"v4": machine_has_avx512(), "core": None, "warnings": [], "env_changed": False,
                                   "result": None}
    assert probe("import numpy; " + every_module)["warnings"] == []


def test_pin_kernels_before_numpy_turns_avx512_kernels_off() -> None:
    got = probe("import nnviz; result = nnviz.pin_kernels()")
    assert (got["v4"], got["core"], got["warnings"], got["result"]) == (False, "Haswell", [], True)


def test_a_users_own_choice_is_kept() -> None:
    assert probe("import nnviz; nnviz.pin_kernels()", OPENBLAS_CORETYPE="SkylakeX")["core"] == "SkylakeX"


def test_pin_kernels_after_numpy_says_it_is_too_late() -> None:
    got = probe("import numpy, nnviz; result = nnviz.pin_kernels()")
    assert got["result"] is False and not got["env_changed"] and len(got["warnings"]) == 1
    assert got["warnings"][0].startswith("nnviz.pin_kernels() came after NumPy was imported, so NumPy's and "
                                         "OpenBLAS's kernels are already chosen (")
    assert "call it before anything imports NumPy" in got["warnings"][0]
    # Again after pinning in time (a notebook's first cell run twice): nothing to say.
    assert probe("import nnviz; nnviz.pin_kernels(); import numpy; result = nnviz.pin_kernels()")["warnings"] == []


def test_the_cli_module_loads_no_numpy() -> None:
    """main() pins the kernels first thing; it is too late if importing nnviz.cli already loaded NumPy."""
    out = subprocess.run([sys.executable, "-c", "import sys, nnviz.cli; print('numpy' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@AVX512
def test_the_command_trains_the_recorded_bits_on_an_avx512_machine(tmp_path: Path) -> None:
    """`nnviz train` pins its own process: the default run's history is the AVX2 machine's, byte for
    byte, while the same run in a process nobody pinned differs (so this test can fail)."""
    nnviz = Path(sys.executable).with_name("nnviz")
    subprocess.run([str(nnviz), "train", "-q", "--history", str(tmp_path / "h.csv")], env=clean_env(),
                   capture_output=True, check=True)
    golden = GOLDEN["blobs_default"][1]
    assert hashlib.sha256((tmp_path / "h.csv").read_bytes()).hexdigest() == golden
    unpinned = (
        "import hashlib, sys; from pathlib import Path; from nnviz import catalog; from nnviz.engine import history, train;"
        "cfg = catalog.resolve({}, {}); h = train.train(cfg, train.load_data(cfg));"
        "print(hashlib.sha256(history.write_history(h, Path(sys.argv[1])).read_bytes()).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", unpinned, str(tmp_path / "u.csv")], env=clean_env(),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() != golden


SWEEP = """
import json, os, sys
import numpy  # the caller loaded NumPy unpinned, as a notebook does
from nnviz.sweep import run_sweep
before = dict(os.environ)
result = run_sweep({{"data": {{"n_samples": 40}}, "train": {{"epochs": 2, "stop_loss": 0}},
                    "render": {{"grid": 8, "size": "300x100", "format": "png"}},
                    "sweep": {{"train.lr": [0.1, 0.01]}}}}, sys.argv[1], jobs=2, executor={executor!r})
print(json.dumps({{"unpinned": [r.unpinned for r in result.runs], "failed": [r.error for r in result.failed],
                  "env_changed": dict(os.environ) != before,
                  "pins_left": [k for k in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE") if k in os.environ]}}))
"""


@AVX512
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_the_workers_a_library_sweep_starts_are_pinned(tmp_path: Path, executor: str) -> None:
    """A sweep run from a process whose NumPy runs AVX-512 kernels: its workers import NumPy afresh
    with the pins (nnviz gives them the environment while it spawns them) and leave the caller's alone."""
    out = subprocess.run([sys.executable, "-c", SWEEP.format(executor=executor), str(tmp_path / "o")],
                         env=clean_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["failed"] == [] and got["unpinned"] == [False, False] and got["pins_left"] == [], got
    if executor == "process":  # distributed's Nanny sets PYTHONHASHSEED in its caller's environment itself
        assert got["env_changed"] is False


# OpenBLAS's own count of its threads, read from the library NumPy loaded (what threadpoolctl reads).
BLAS_PROBE = """
import ctypes, glob, os, sys
{first}
import numpy
lib = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "libscipy_openblas*.so"))[0])
print(lib.scipy_openblas_get_num_threads64_(), os.environ.get("OPENBLAS_NUM_THREADS"))
"""


def blas(first: str, **env: str) -> tuple[int, str | None]:
    out = subprocess.run([sys.executable, "-c", BLAS_PROBE.format(first=first)], capture_output=True, text=True,
                         env=clean_env(**env), check=True)
    threads, variable = out.stdout.strip().splitlines()[-1].split()
    return int(threads), None if variable == "None" else variable


def test_the_command_gives_blas_the_cores_its_two_painters_leave(tmp_path: Path) -> None:
    """The CLI paints on two processes, so OpenBLAS gets cores // 2 threads (1 here, not 2: its threads
    fought the second painter for the cores, 1.7-2.3x slower on the heavy views)."""
    from nnviz import kernels

    command = (f"from nnviz.cli import main\ntry: main(['train', '-q', '--epochs', '1', '--history', "
               f"{str(tmp_path / 'h.csv')!r}])\nexcept SystemExit as e: assert not e.code, e.code")
    want = max(1, kernels.cores() // 2)
    assert blas(command) == (want, str(want))
    assert blas("pass")[0] == kernels.cores()  # OpenBLAS's own default: every core


def test_a_users_own_blas_threads_are_kept() -> None:
    assert blas("import nnviz; nnviz.pin_kernels(painters=2)", OPENBLAS_NUM_THREADS="5")[1] == "5"
    # OMP_NUM_THREADS is the user's choice too (OpenBLAS reads it when OPENBLAS_NUM_THREADS is unset).
    assert blas("import nnviz; nnviz.pin_kernels(painters=2)", OMP_NUM_THREADS="5")[1] is None


POOL = """
import json, os, sys
from nnviz import kernels
from nnviz.sweep.executors import process_executor
out = {}
for jobs in (1, 2):
    with process_executor(jobs) as pool:
        out[jobs] = pool.submit(os.getenv, "OPENBLAS_NUM_THREADS").result()
print(json.dumps({"workers": out, "left": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


@pytest.mark.parametrize("user", [None, "5"])
def test_a_sweeps_workers_share_the_cores_with_blas(user: str | None) -> None:
    """Each of a sweep's `jobs` workers paints on one process: its BLAS gets cores // jobs threads
    (jobs x threads <= cores), unless the user chose the count; the caller's environment is left as it was."""
    from nnviz import kernels

    env = clean_env() if user is None else clean_env(OPENBLAS_NUM_THREADS=user)
    out = subprocess.run([sys.executable, "-c", POOL], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    want = {"1": str(kernels.cores()), "2": str(max(1, kernels.cores() // 2))} if user is None else {"1": user, "2": user}
    assert got == {"workers": want, "left": user}


def test_the_readme_starts_dask_workers_with_the_pins() -> None:
    """`dask worker` loads NumPy before nnviz: only its environment can pin the kernels, so the docs'
    worker command must carry exactly nnviz's pins (it had none, and nnviz's install
    line fetched another project of the same name from PyPI)."""
    from pathlib import Path

    from nnviz import kernels

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "sweeps.md").read_text(encoding="utf-8")
    worker = page[page.index("dask scheduler") :].split("\n```")[0]
    assert f"{kernels.pinned_env()} \\\n    dask worker" in worker, worker
    assert 'pip install "nnviz-anim[dask]"' in page
    # Never the other project: `pip install nnviz` (or "nnviz[dask]") would fetch it from PyPI.
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        assert not re.search(r"pip install [\"']?nnviz[\"'\[\s]", doc.read_text(encoding="utf-8")), doc.name
