"""The NumPy engine follows PyTorch's float64 loss trajectory on the digits
benchmark net (same initial weights, same batches). Skipped without torch,
which is not an nnviz dependency."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


def test_float64_loss_matches_pytorch_for_three_epochs() -> None:
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cfg = bench.digits_cfg(3, "float64")
    data = bench.train.load_data(cfg)
    _, ours = bench.engine_run(cfg, data)
    _, theirs = bench.torch_run(cfg, data)
    assert len(ours) == len(theirs) == 4
    assert ours[-1] < ours[0] - 0.5  # it learned, so the comparison means something
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
