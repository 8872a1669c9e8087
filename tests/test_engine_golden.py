"""float64 training is pinned: history CSVs must stay byte-identical to the
digests recorded from the engine before snapshots, dtypes and the speed work
(commit 8f217b3). A change here means every saved run would re-render
differently, so it must be deliberate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nnviz import catalog
from nnviz.engine import history, train

GOLDEN = {
    "blobs_default": ({}, "0d72f2de1904d6a0d5ddc02c2539087ce07bef30a95c3496009f2b644a84e885"),
    "digits_adam": ({"data.name": "digits", "model.hidden": "32,2", "train.epochs": 3, "train.stop_loss": 0},
                    "e404427c8eabbe3cd8dd9151b73770c5546f6eae0394fc160d6dee453f0aa46b"),
    # Each run names what its dataset's defaults would otherwise change (the
    # digests predate those defaults): the engine is pinned, not the defaults.
    "sine_sgd_wd": ({"data.name": "sine", "data.test_fraction": 0.2, "train.optimizer": "sgd",
                     "model.init": "glorot_uniform", "train.batch_size": 32, "train.seed": 5,
                     "train.weight_decay": 0.01, "train.epochs": 5, "train.stop_loss": 0, "train.lr": 0.05},
                    "109d2c262a5f026a6817d323ea0d1058626ad761618b2b900912d63de23ee953"),
    "blobs3_relu_rms": ({"data.name": "blobs3", "model.activation": "relu", "train.optimizer": "rmsprop",
                         "train.lr": 0.01,
                         "train.epochs": 5, "train.stop_loss": 0, "train.batch_size": 7},
                        "1851b8bbd18f242ecad8aae127175a1b0dddf8adb3fa32845ba39ddfca6cef1f"),
    "moons_momentum_full": ({"data.name": "moons", "model.activation": "gelu", "train.optimizer": "momentum",
                             "model.hidden": "2", "train.lr": 0.01,
                             "train.epochs": 5, "train.stop_loss": 0, "train.batch_size": "full"},
                            "7c5425fd00b3e16c5a24f388099fc44b57cc1fc026de308efa61100fa1751f8a"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_float64_history_csv_matches_the_recorded_digest(name: str, tmp_path: Path) -> None:
    overrides, digest = GOLDEN[name]
    cfg = catalog.resolve({}, overrides)
    h = train.train(cfg, train.load_data(cfg))
    csv = history.write_history(h, tmp_path / "h.csv").read_bytes()
    assert hashlib.sha256(csv).hexdigest() == digest
