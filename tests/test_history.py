"""History CSV: columns, exact float round trip, byte-identical reruns, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnviz import catalog
from nnviz.engine import history, train
from nnviz.errors import DataError


def _history(raw: dict) -> train.History:
    cfg = catalog.resolve(raw)
    data = train.load_data(cfg)
    return train.train(cfg, data)


def test_columns_follow_the_documented_layout(tmp_path: Path) -> None:
    h = _history({"model": {"hidden": [3, 2]}, "train": {"epochs": 2, "stop_loss": 0}})
    path = history.write_history(h, tmp_path / "h.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header[:3] == ["epoch", "loss", "accuracy"]
    assert header[3:9] == ["W1_0_0", "W1_0_1", "W1_0_2", "W1_1_0", "W1_1_1", "W1_1_2"]
    assert header[9:12] == ["b1_0", "b1_1", "b1_2"]
    assert header[-1] == "b3_0" and len(header) == 3 + (6 + 3) + (6 + 2) + (2 + 1)
    assert len(path.read_text().splitlines()) == 1 + 3


def test_round_trip_is_exact(tmp_path: Path) -> None:
    h = _history({"data": {"test_fraction": 0.25}, "model": {"hidden": [4, 2]}, "train": {"epochs": 4, "stop_loss": 0}})
    back = history.read_history(history.write_history(h, tmp_path / "h.csv"), activation="tanh")
    assert back.model == h.model
    assert back.metric_names == h.metric_names
    for a, b in zip(h.epochs, back.epochs):
        assert a.epoch == b.epoch and a.metrics == b.metrics
        assert all(np.array_equal(p, q) and p.dtype == q.dtype == np.float64 for p, q in zip(a.params, b.params))


def test_same_config_gives_a_byte_identical_csv(tmp_path: Path) -> None:
    raw = {"train": {"epochs": 5, "stop_loss": 0}}
    a = history.write_history(_history(raw), tmp_path / "a.csv").read_bytes()
    b = history.write_history(_history(raw), tmp_path / "b.csv").read_bytes()
    assert a == b


def test_regression_and_multiclass_tasks_are_recovered(tmp_path: Path) -> None:
    sine = _history({"data": {"name": "sine"}, "train": {"epochs": 1, "stop_loss": 0}})
    assert history.read_history(history.write_history(sine, tmp_path / "s.csv")).task == "regression"
    three = _history({"data": {"name": "blobs3"}, "train": {"epochs": 1, "stop_loss": 0}})
    assert history.read_history(history.write_history(three, tmp_path / "m.csv")).model.loss == "ce"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "cannot be read"),
        ("epoch,loss\n0,1.0\n", "no W{layer}_{i}_{j} parameter columns"),
        ("epoch,loss,W1_0_0,W1_1_0,b1_0\n0,1.0,0.5,abc,0\n", "line 2: a value is missing or not a number"),
        ("epoch,loss,W1_0_0,W1_1_0\n0,1.0,0.5,0.1\n", "lacks parameter column b1_0"),
        ("a,b\n1,2\n", "needs 'epoch' and 'loss' columns"),
        ("epoch,step,loss,W1_0_0,b1_0\n0,0,1.0,0.5,0\n1,2.5,1.0,0.5,0\n", "line 3: step must be a whole number >= 0"),
    ],
)
def test_bad_history_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message.replace("{", r"\{").replace("}", r"\}")):
        history.read_history(path)


def test_missing_history_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        history.read_history(tmp_path / "none.csv")
