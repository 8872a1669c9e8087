"""Saved histories that are out of order or out of range, and gradcheck on wide networks.

Every bad history must end in one ``Error: ...`` line with exit code 1, never
a traceback, a NumPy warning or an "internal error".
"""

from __future__ import annotations

import csv
import shutil
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from nnviz import catalog
from nnviz.cli import cli
from nnviz.engine import gradcheck, nn
from nnviz.engine.history import read_history
from nnviz.errors import DataError, RenderError
from nnviz.render import scene
from nnviz.render.animation import Animation

Rows = list[list[str]]


def run(*args: str) -> Result:
    """The CLI, with every warning recorded so a leaked NumPy RuntimeWarning fails the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(cli, list(args))
    leaked = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not leaked, leaked
    return result


def one_error(result: Result) -> str:
    """The single ``Error: ...`` line of a refused command."""
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "internal error" not in lines[0] and "Traceback" not in result.output
    return lines[0]


def trained(tmp_path: Path, name: str, *flags: str) -> Path:
    """A saved run (CSV + TOML), trained by the CLI on a tiny setup."""
    dest = tmp_path / f"{name}.csv"
    result = run("train", "--epochs", "4", "--stop-loss", "0", "--n-samples", "40", *flags, "--history", str(dest))
    assert result.exit_code == 0, result.output
    return dest


def edited(src: Path, name: str, edit: Callable[[Rows], None]) -> Path:
    """A copy of a saved run (its TOML too) with its CSV rows changed by ``edit`` (row 0 is the header)."""
    with src.open(newline="") as f:
        rows = list(csv.reader(f))
    edit(rows)
    dest = src.with_name(f"{name}.csv")
    with dest.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    shutil.copy(src.with_suffix(".toml"), dest.with_suffix(".toml"))
    return dest


def set_cell(row: int, column: str, value: str) -> Callable[[Rows], None]:
    def edit(rows: Rows) -> None:
        rows[row][rows[0].index(column)] = value

    return edit


def swap(a: int, b: int) -> Callable[[Rows], None]:
    def edit(rows: Rows) -> None:
        rows[a], rows[b] = rows[b], rows[a]

    return edit


def duplicate(r: int) -> Callable[[Rows], None]:
    def edit(rows: Rows) -> None:
        rows.insert(r + 1, list(rows[r]))

    return edit


def animate(history: Path, tmp_path: Path, *flags: str) -> Result:
    out = tmp_path / "out" / f"{history.stem}.gif"
    return run(
        "animate", "--history", str(history), "-q", "--grid", "10", "--size", "300x100", *flags, "--out", str(out)
    )


# --- epochs out of order --------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return trained(tmp_path, "run")  # epochs 0..4 on lines 2..6


@pytest.fixture
def saved_sub(tmp_path: Path) -> Path:
    # 40 points in batches of 10: 4 steps an epoch, a snapshot every 3 steps (0, 3, 6, ..., 15, 16).
    path = trained(tmp_path, "sub", "--batch-size", "10", "--snapshot-every", "3")
    with path.open() as f:
        head = [line.split(",")[:2] for line in f.read().splitlines()[:4]]
    assert head == [["epoch", "step"], ["0", "0"], ["1", "3"], ["2", "6"]]
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (swap(3, 4), "line 5: epoch 2 follows epoch 3; epochs must increase"),
        (duplicate(2), "line 4: epoch 1 repeats; epochs must increase"),
        (swap(1, 5), "line 3: epoch 1 follows epoch 4; epochs must increase"),
        (set_cell(3, "epoch", "-1"), "line 4: epoch must be a whole number >= 0"),
        (set_cell(3, "epoch", "2.5"), "line 4: epoch must be a whole number >= 0"),
    ],
    ids=["swapped", "duplicated", "last-first", "negative", "fractional"],
)
def test_epochs_out_of_order_are_refused(saved: Path, tmp_path: Path, edit, message: str) -> None:
    bad = edited(saved, "bad", edit)
    assert one_error(animate(bad, tmp_path)) == f"Error: history file {str(bad)!r} {message}"
    with pytest.raises(DataError, match=message):
        read_history(bad)


def test_a_valid_history_still_renders(saved: Path, tmp_path: Path) -> None:
    assert animate(saved, tmp_path).exit_code == 0


def test_a_valid_sub_epoch_history_loads_and_renders(saved_sub: Path, tmp_path: Path) -> None:
    h = read_history(saved_sub)
    assert h.sub_epoch
    epochs = [e.epoch for e in h.epochs]
    assert epochs == sorted(epochs) and len(set(epochs)) < len(epochs)  # epochs repeat, in order
    steps = [e.step for e in h.epochs]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    result = animate(saved_sub, tmp_path)
    assert result.exit_code == 0, result.output


def _step_back(rows: Rows) -> None:
    rows[4][1] = rows[3][1]  # the same step twice


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (swap(2, 3), "line 4: epoch 1 follows epoch 2; epochs must not decrease"),
        (_step_back, "line 5: step 6 repeats; steps must increase"),
        (duplicate(2), "line 4: step 3 repeats; steps must increase"),
        (set_cell(4, "step", "5"), "line 5: step 5 follows step 6; steps must increase"),
    ],
    ids=["swapped", "same-step", "duplicated", "step-back"],
)
def test_sub_epoch_snapshots_out_of_order_are_refused(saved_sub: Path, tmp_path: Path, edit, message: str) -> None:
    bad = edited(saved_sub, "bad", edit)
    assert one_error(animate(bad, tmp_path)) == f"Error: history file {str(bad)!r} {message}"


@pytest.mark.parametrize("value", ["inf", "-inf"])
@pytest.mark.parametrize("column", ["W1_0_1", "loss"])
def test_non_finite_values_are_refused_at_load(saved: Path, tmp_path: Path, column: str, value: str) -> None:
    bad = edited(saved, "bad", set_cell(3, column, value))
    line = one_error(animate(bad, tmp_path))
    assert (
        line
        == f"Error: history file {str(bad)!r} line 4: column {column!r} is {value}; every value must be a finite number"
    )


# --- finite parameters too large to draw --------------------------------------------


@pytest.mark.parametrize(
    "flags", [(), ("--axes", "per-frame"), ("--panels", "layers,neurons"), ("--panels", "activation,hidden")]
)
def test_a_huge_finite_parameter_gives_one_clean_error(saved: Path, tmp_path: Path, flags: tuple[str, ...]) -> None:
    bad = edited(saved, "big", set_cell(3, "W1_0_0", "1e308"))
    line = one_error(animate(bad, tmp_path, *flags))
    assert line.startswith("Error: epoch 2's network gives non-finite values, or values beyond ±1e+300, in the ")
    assert line.endswith(" panel (parameters up to 1e+308); it cannot be drawn")


@pytest.mark.parametrize(
    ("flags", "row", "column", "epoch"),
    [
        (("--hidden", "4,3"), 5, "W1_0_0", 4),  # the last epoch fixes the projected (PCA) axes
        (("--hidden", "4,3"), 2, "W2_0_0", 1),  # a deeper layer, drawn by the layers view
        (("--dataset", "sine"), 2, "b2_0", 1),  # regression: the fitted curve itself
    ],
    ids=["pca-last", "layer-2", "curve"],
)
def test_huge_parameters_in_other_geometries(tmp_path: Path, flags, row: int, column: str, epoch: int) -> None:
    bad = edited(trained(tmp_path, "run", *flags), "big", set_cell(row, column, "1e308"))
    line = one_error(animate(bad, tmp_path, "--panels", "layers,loss"))
    assert line.startswith(f"Error: epoch {epoch}'s network gives non-finite values")


@pytest.mark.parametrize(
    ("value", "flags"),
    [
        ("1e250", ()),  # far out, but matplotlib can still place ticks: large alone is no reason to refuse
        ("1e308", ("--panels", "input,loss")),  # the input plane's colours saturate; nothing overflows
    ],
)
def test_large_but_drawable_parameters_still_render(saved: Path, tmp_path: Path, value: str, flags) -> None:
    big = edited(saved, "big", set_cell(3, "W1_0_0", value))
    result = animate(big, tmp_path, *flags)
    assert result.exit_code == 0, result.output


def test_drawable_limits() -> None:
    assert scene.drawable((-1.0, 1.0, 0.0, 2.0))
    assert scene.drawable((-1e300, 1e300, 0.0, 1.0))
    assert not scene.drawable((-np.inf, 1.0, 0.0, 1.0))
    assert not scene.drawable((0.0, np.nan, 0.0, 1.0))
    assert not scene.drawable((-1e308, 1e308, 0.0, 1.0))


def test_the_scene_names_the_epoch_and_warns_nothing(saved: Path) -> None:
    from nnviz.engine.train import load_data

    bad = edited(saved, "big", set_cell(4, "W1_1_1", "-1e308"))
    history = read_history(bad)
    data = load_data(catalog.load(str(bad.with_suffix(".toml")), {}))
    render = catalog.with_values(catalog.load(str(bad.with_suffix(".toml")), {}), {"render.grid": 10}).render
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RenderError, match=r"^epoch 3's network .* in the hidden panel"):
            Animation(history, data, render)
        per_frame = Animation(history, data, replace(render, axes="per-frame"))
        with pytest.raises(RenderError, match=r"^epoch 3's network"):
            per_frame.frame(3)
        per_frame.frame(2)  # the epochs around it are fine


# --- gradcheck on wide networks --------------------------------------------------------


def test_gradcheck_of_a_wide_network_checks_a_bounded_sample() -> None:
    """Checking every entry of a 1024x1024 layer took more than 5 minutes (two loss passes an entry):
    the work is bounded by the number of entries checked, whatever the width (no clock asserted)."""
    result = run("gradcheck", "--hidden", "1024,1024")
    assert result.exit_code == 0, result.output
    model = nn.Model((2, 1024, 1024, 1), "tanh", "bce")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), rng.integers(0, 2, 8).astype(float)
    checked = gradcheck.check_run(model, X, y, seed=0).checked
    assert checked["W2"][1] == 1024 * 1024 and checked["W2"][0] <= 200  # sampled, not all 1,048,576
    assert all(n <= 200 for n, _ in checked.values())  # at most 200 entries an array, so ~1,000 in all


def test_gradcheck_samples_the_same_entries_for_the_same_seed() -> None:
    model = nn.Model((2, 300, 1), "tanh", "bce")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), rng.integers(0, 2, 8).astype(float)
    first = gradcheck.check_run(model, X, y, seed=3)
    assert first.checked == {"W1": (200, 600), "b1": (200, 300), "W2": (200, 300), "b2": (1, 1)}
    assert first.sampled and first.coverage("W1") == "200 of 600 entries" and first.coverage("b2") == "its 1 entry"
    assert first.passed(), first.errors
    params = [np.zeros((600,)), np.zeros(5)]
    picks = gradcheck.choose_entries(params, 200, seed=3)
    again = gradcheck.choose_entries(params, 200, seed=3)
    other = gradcheck.choose_entries(params, 200, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(picks, again))
    assert not np.array_equal(picks[0], other[0])
    assert len(np.unique(picks[0])) == 200 and np.array_equal(picks[1], np.arange(5))
    assert gradcheck.check_run(model, X, y, seed=3).errors == first.errors


def test_a_deep_wide_network_gets_fewer_entries_per_array() -> None:
    deep = nn.Model((2, *[1024] * 16, 1), "tanh", "bce")
    assert gradcheck.entries_per_array(deep, 32) == gradcheck.MIN_ENTRIES
    assert gradcheck.entries_per_array(nn.Model((2, 3, 2, 1), "tanh", "bce"), 32) == gradcheck.MAX_ENTRIES


def test_a_sampled_gradcheck_still_catches_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = nn.Activation("tanh", np.tanh, lambda z, a: 1.0 - a)  # should be 1 - a^2
    monkeypatch.setitem(nn.ACTIVATIONS, "tanh", broken)
    model = nn.Model((2, 300, 1), "tanh", "bce")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), rng.integers(0, 2, 8).astype(float)
    result = gradcheck.check_run(model, X, y, seed=0)
    assert result.sampled and not result.passed()


# --- bounded headers, rows and writes (issue 22, item 3) ---------------------------------


def _tiny_csv(tmp_path: Path, header: str, rows: list[str], name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_header_naming_a_huge_layer_is_refused_before_building_its_columns(tmp_path: Path) -> None:
    # 137 bytes that used to make the reader build 4 x 10^8 column names (and run out of memory).
    path = _tiny_csv(tmp_path, "epoch,loss,accuracy,W1_0_0,W1_1_99999999,b1_0", ["0,0.7,0.5,0.1,0.2,0.0"])
    with pytest.raises(DataError, match=r"column 'W1_1_99999999' names a layer or unit beyond what its 6 columns"):
        read_history(path)


def test_a_5000_digit_index_is_one_line(tmp_path: Path, saved: Path) -> None:
    path = _tiny_csv(tmp_path, "epoch,loss,W1_0_" + "9" * 5000 + ",b1_0", ["0,0.7,0.1,0.0"], "digits.csv")
    shutil.copy(saved.with_suffix(".toml"), path.with_suffix(".toml"))
    line = one_error(animate(path, tmp_path))
    assert "names a layer or unit beyond what its 4 columns can hold" in line and len(line) < 300


@pytest.mark.parametrize(("step", "cap"), [(False, 100_001), (True, 20_000)], ids=["per-epoch", "sub-epoch"])
def test_more_rows_than_training_keeps_are_refused(tmp_path: Path, step: bool, cap: int) -> None:
    header = "epoch,step,loss,W1_0_0,b1_0" if step else "epoch,loss,W1_0_0,b1_0"
    rows = [f"{i},{i},0.5,0.1,0.0" if step else f"{i},0.5,0.1,0.0" for i in range(cap + 1)]
    path = _tiny_csv(tmp_path, header, rows)
    with pytest.raises(DataError, match=rf"has more than {cap:,} snapshots; training keeps at most {cap:,}$"):
        read_history(path)
    path.write_text("\n".join([header, *rows[:cap]]) + "\n")  # at the cap: fine (epochs up to the epoch cap)
    assert len(read_history(path)) == cap


def test_an_epoch_past_the_cap_is_refused(tmp_path: Path) -> None:
    path = _tiny_csv(tmp_path, "epoch,loss,W1_0_0,b1_0", ["0,0.5,0.1,0.0", "300000,0.5,0.1,0.0"])
    with pytest.raises(DataError, match=r"line 3: epoch is over 100,000, the most nnviz trains$"):
        read_history(path)


def test_the_streamed_csv_has_the_bytes_a_pandas_frame_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_history no longer builds a frame of one column per parameter; its bytes are the frame's."""
    import io

    import pandas as pd

    from nnviz.engine import history, train

    raws = [
        {"train": {"epochs": 6, "stop_loss": 0}},
        {"data": {"name": "sine"}, "train": {"epochs": 2}},
        {"data": {"name": "blobs3", "test_fraction": 0.25}, "model": {"hidden": [5, 3, 2]}, "train": {"epochs": 3}},
        {"data": {"n_samples": 40}, "train": {"epochs": 2, "batch_size": 10, "snapshot_every": 3}},
        {"data": {"name": "digits"}, "model": {"hidden": [8, 2]}, "train": {"epochs": 1, "dtype": "float32"}},
    ]
    for raw in raws:
        cfg = catalog.resolve(raw)
        h = train.train(cfg, train.load_data(cfg))
        frame = io.StringIO()
        history.to_frame(h).to_csv(frame, index=False, float_format=None, lineterminator="\n")
        with monkeypatch.context() as m:
            m.setattr(pd, "DataFrame", None)  # any frame built while writing fails loudly
            written = history.write_history(h, tmp_path / "h.csv").read_bytes()
        assert written == frame.getvalue().encode(), raw
        assert history.write_history(read_history(tmp_path / "h.csv"), tmp_path / "again.csv").read_bytes() == written


def test_a_wide_saved_history_reads_back_without_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    path = trained(tmp_path, "wide", "--hidden", "64,64")
    monkeypatch.setattr(pd, "read_csv", None)  # the reader streams rows; a 2-million-column frame took minutes
    back = read_history(path)
    assert back.model.sizes == (2, 64, 64, 1) and len(back) == 5


def test_the_reader_caps_are_training_s() -> None:
    from nnviz import config
    from nnviz.engine import history, train

    assert history.MAX_PARAM_BYTES == train.MAX_HISTORY_BYTES
    assert history.MAX_EPOCHS == config.MAX_EPOCHS
    assert history.MAX_ROWS == {False: config.MAX_EPOCHS + 1, True: train.MAX_SNAPSHOTS}
