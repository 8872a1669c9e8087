"""The NumPy engine follows PyTorch's float64 loss trajectory on the benchmark's
nets, binary (2-2-1 blobs, sigmoid and BCE) and multiclass (digits 64-32-2-10,
softmax and CE), with the same initial weights and batches: what
``make bench-engine`` times is the same training on both sides. Skipped without
torch, which is not an nnviz dependency."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


@pytest.mark.parametrize(("shape", "epochs", "learned"), [("digits", 3, 0.5), ("blobs", 20, 0.1)])
def test_float64_loss_matches_pytorch(shape: str, epochs: int, learned: float) -> None:
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cfg = bench.shape_cfg(shape, epochs, "float64")
    data = bench.train.load_data(cfg)
    _, ours = bench.engine_run(cfg, data)
    _, theirs = bench.torch_run(cfg, data)
    assert len(ours) == len(theirs) == epochs + 1
    assert ours[-1] < ours[0] - learned  # it learned, so the comparison means something
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
