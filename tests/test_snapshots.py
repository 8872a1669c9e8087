"""Sub-epoch snapshots (train.snapshot_every): which steps, which epochs, the
CSV step column, the cap, and stop/divergence/Ctrl-C at snapshot granularity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nnviz import catalog
from nnviz.cli import cli
from nnviz.engine import history, train
from nnviz.errors import ConfigError

# blobs: 400 samples; batch 32 -> 13 steps per epoch (the last batch has 16 rows).
BASE = {"train.epochs": 2, "train.stop_loss": 0}


def _run(**values) -> train.History:
    cfg = catalog.resolve({}, {**BASE, **{k.replace("__", "."): v for k, v in values.items()}})
    return train.train(cfg, train.load_data(cfg))


def test_default_snapshots_once_per_epoch_and_records_the_step() -> None:
    h = _run()
    assert [e.epoch for e in h.epochs] == [0, 1, 2]
    assert [e.step for e in h.epochs] == [0, 13, 26]
    assert not h.sub_epoch


def test_every_n_steps_plus_epoch_0_and_the_last_step() -> None:
    h = _run(train__snapshot_every=5)
    assert [e.step for e in h.epochs] == [0, 5, 10, 15, 20, 25, 26]
    # A snapshot belongs to the epoch its step falls in: steps 1-13 are epoch 1.
    assert [e.epoch for e in h.epochs] == [0, 1, 1, 2, 2, 2, 2]
    assert h.sub_epoch and len(h.column("loss")) == 7


@pytest.mark.parametrize(("n", "batch", "every", "epochs", "steps"), [
    (100, 10, 3, 1, [0, 3, 6, 9, 10]),          # 10 steps an epoch
    (100, 30, 2, 2, [0, 2, 4, 6, 8]),           # 4 steps an epoch (30, 30, 30, 10)
    (100, "full", 1, 3, [0, 1, 2, 3]),          # one step an epoch
    (100, 10, 25, 2, [0, 20]),                   # N beyond the run: just the end
])
def test_snapshot_steps_for_n_samples_and_batch(n, batch, every, epochs, steps) -> None:
    h = _run(data__n_samples=n, train__batch_size=batch, train__snapshot_every=every, train__epochs=epochs)
    assert [e.step for e in h.epochs] == steps
    per_epoch = -(-n // (n if batch == "full" else batch))
    assert [e.epoch for e in h.epochs] == [-(-s // per_epoch) for s in steps]


def test_sub_epoch_snapshots_do_not_change_training() -> None:
    per_epoch = _run()
    every_step = _run(train__snapshot_every=1)
    assert len(every_step) == 27
    for ep in per_epoch.epochs:
        twin = every_step.epochs[ep.step]
        assert twin.step == ep.step and twin.epoch == ep.epoch and twin.metrics == ep.metrics
        assert all(np.array_equal(p, q) for p, q in zip(ep.params, twin.params))


def test_sub_epoch_metrics_are_over_the_full_training_set() -> None:
    cfg = catalog.resolve({}, {**BASE, "train.snapshot_every": 4})
    data = train.load_data(cfg)
    h = train.train(cfg, data)
    for ep in h.epochs[1:3]:
        assert ep.metrics == train.evaluate(h.model, ep.params, data)


def test_csv_gains_a_step_column_and_round_trips_exactly(tmp_path: Path) -> None:
    h = _run(train__snapshot_every=5, data__test_fraction=0.25)
    path = history.write_history(h, tmp_path / "h.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("epoch,step,loss,accuracy,test_loss,test_accuracy,W1_0_0")
    assert [line.split(",")[:2] for line in lines[1:4]] == [["0", "0"], ["1", "5"], ["1", "10"]]
    back = history.read_history(path)
    assert back.sub_epoch and back.metric_names == h.metric_names
    for a, b in zip(h.epochs, back.epochs, strict=True):
        assert (a.epoch, a.step, a.metrics) == (b.epoch, b.step, b.metrics)
        assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params))
    assert history.write_history(back, tmp_path / "again.csv").read_bytes() == path.read_bytes()


def test_per_epoch_csv_has_no_step_column_and_stays_readable(tmp_path: Path) -> None:
    path = history.write_history(_run(), tmp_path / "h.csv")
    assert path.read_text().startswith("epoch,loss,accuracy,W1_0_0")
    back = history.read_history(path)
    assert not back.sub_epoch and [e.step for e in back.epochs] == [None] * 3
    assert history.write_history(back, tmp_path / "again.csv").read_bytes() == path.read_bytes()


def test_too_many_snapshots_is_refused_before_training() -> None:
    # 13 steps x 2000 epochs = 26,000 steps: 26,001 snapshots at N = 1.
    cfg = catalog.resolve({}, {"train.epochs": 2000, "train.snapshot_every": 1})
    with pytest.raises(ConfigError) as err:
        train.train(cfg, train.load_data(cfg))
    assert str(err.value) == (
        "--snapshot-every 1 with --epochs 2000 (13 steps per epoch: 400 samples, batch 32) gives 26,001 "
        "snapshots, over the cap of 20,000; use --snapshot-every 2 or more, or fewer --epochs"
    )
    # The suggested N fits.
    data = train.load_data(cfg)
    train.check_snapshot_budget(catalog.with_values(cfg, {"train.snapshot_every": 2}), train.build_model(cfg, data), 400)


def test_history_memory_cap_is_refused_before_training() -> None:
    # 64-1024-1024-10: 1,126,410 parameters, 9 MB a snapshot; 301 snapshots are 2.5 GiB.
    cfg = catalog.resolve({}, {"data.name": "digits", "data.n_samples": 100, "model.hidden": "1024,1024",
                              "train.epochs": 150, "train.snapshot_every": 1, "train.batch_size": 50})
    with pytest.raises(ConfigError) as err:
        train.train(cfg, train.load_data(cfg))
    assert str(err.value) == (
        "--snapshot-every 1 with --epochs 150 keeps 301 snapshots of 1,126,410 parameters (2.5 GiB), "
        "over the history cap of 2 GiB; use fewer --epochs, a larger --snapshot-every or narrower --hidden layers"
    )


def test_the_cap_error_is_one_line_on_the_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--epochs", "2000", "--snapshot-every", "1",
                                      "--history", str(tmp_path / "h.csv")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: --snapshot-every 1 with --epochs 2000")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "h.csv").exists()


def test_stop_loss_acts_at_the_first_snapshot_below_it() -> None:
    h = _run(train__snapshot_every=3, train__epochs=200, train__stop_loss=0.263)
    assert h.stop_reason == "stop_loss"
    assert h.last.loss <= 0.263 and all(e.loss > 0.263 for e in h.epochs[:-1])
    assert h.last.step % 3 == 0
    assert f"at epoch {h.last.epoch}, step {h.last.step}" in h.message
    per_epoch = _run(train__epochs=200, train__stop_loss=0.263)
    assert h.last.step <= per_epoch.last.step


def test_divergence_names_the_epoch_and_step() -> None:
    h = _run(data__name="sine", model__activation="linear", train__lr=1000, train__optimizer="sgd",
             train__epochs=50, train__snapshot_every=2)
    assert h.stop_reason == "diverged"
    last = h.last
    assert "diverged at epoch" in h.message and ", step " in h.message
    assert all(np.isfinite(e.loss) for e in h.epochs) and last.step % 2 == 0


def test_ctrl_c_keeps_the_snapshots_so_far() -> None:
    cfg = catalog.resolve({}, {**BASE, "train.snapshot_every": 4})

    def interrupt(ep: train.Epoch) -> None:
        if ep.step == 8:
            raise KeyboardInterrupt

    h = train.train(cfg, train.load_data(cfg), on_epoch=interrupt)
    assert h.stop_reason == "interrupted" and h.message == "interrupted after epoch 1, step 8"
    assert [e.step for e in h.epochs] == [0, 4, 8]


def test_train_final_line_names_the_numbers_behind_the_stop(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["train", "-q", "--history", str(tmp_path / "a.csv")]).output
    h = history.read_history(tmp_path / "a.csv")
    first, *events = out.splitlines()
    assert first == f"stopped at epoch {h.last.epoch} (stop_loss): loss {h.last.loss:.4g} <= stop_loss 0.263; wrote {tmp_path / 'a.csv'}, {tmp_path / 'a.toml'}"
    assert all(line.startswith("event: ") for line in events)  # the default run's collapsed layer, as animate says
    out = CliRunner().invoke(cli, ["train", "-q", "--epochs", "2", "--snapshot-every", "5", "--stop-loss", "0",
                                   "--history", str(tmp_path / "b.csv")]).output
    assert out.startswith("stopped at epoch 2, step 26 (epochs): the epoch budget (2) is spent, loss ")
    result = CliRunner().invoke(cli, ["train", "-q", "--dataset", "sine", "--activation", "linear", "--optimizer", "sgd",
                                      "--lr", "1000", "--stop-loss", "0", "--history", str(tmp_path / "c.csv")])
    last = result.output.splitlines()[-1]
    assert "(diverged): the next snapshot was not finite with sgd lr=1000; last finite loss " in last


def test_train_progress_lines_show_the_step_when_sub_epoch(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["train", "--epochs", "2", "--snapshot-every", "10", "--stop-loss", "0",
                                   "--history", str(tmp_path / "h.csv")]).output
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert [line.split("  loss")[0] for line in lines] == [
        "epoch 0/2  step  0/26", "epoch 1/2  step 10/26", "epoch 2/2  step 20/26", "epoch 2/2  step 26/26"]
