"""Memory budgets from the inputs, before anything big is allocated (issue 10, item 6).

Each test shrinks a cap with monkeypatch, so the refusal it checks happens
on tiny inputs: fast, and small in memory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from nnviz import atomic, budget, catalog, config
from nnviz import plan as plans
from nnviz.cli import cli
from nnviz.engine import data as datasets
from nnviz.engine import nn
from nnviz.engine.data import csv as csvdata
from nnviz.engine.train import train
from nnviz.errors import DataError, OutputError, RenderError
from nnviz.render import morph, pipeline, writers
from nnviz.render.animation import Animation
from nnviz.render.scene import passes

FAST = ("animate", "-q", "--epochs", "2", "--grid", "8", "--size", "128x64")


def _run(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [*FAST, "--out", str(tmp_path / "a.gif"), *args])


def _no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*a: Any, **k: Any) -> Any:
        raise AssertionError("training ran before the budget refused the run")

    monkeypatch.setattr(pipeline, "train", refuse)


# --- the meshgrid pass ------------------------------------------------------------------


def _small_run(hidden: tuple[int, ...] = (8,), grid: int = 30) -> tuple[Any, Any, Any]:
    cfg = catalog.resolve({}, {"train.epochs": 2, "model.hidden": hidden, "render.grid": grid})
    data = datasets.load_dataset("blobs", n_samples=40)
    return cfg, data, train(cfg, data)


@pytest.mark.parametrize("hidden", [(8,), (2, 3), (1,)])
def test_the_meshgrid_pass_runs_in_slices_and_draws_the_same(
    monkeypatch: pytest.MonkeyPatch, hidden: tuple[int, ...]
) -> None:
    cfg, data, history = _small_run(hidden)
    whole = Animation(history, data, cfg.render).frame(len(history) - 1)
    rows: list[int] = []
    real = nn.forward

    def counting(model: Any, params: Any, X: Any, **kwargs: Any) -> Any:
        rows.append(len(X))
        return real(model, params, X, **kwargs)

    monkeypatch.setattr(passes, "CHUNK_BYTES", 8 * 1024)  # a few dozen mesh rows a slice
    monkeypatch.setattr(nn, "forward", counting)
    sliced = Animation(history, data, cfg.render).frame(len(history) - 1)
    assert max(rows) < 30 * 30  # never the whole mesh at once (boundary points and the data come whole)
    np.testing.assert_allclose(sliced.values, whole.values, rtol=1e-12, atol=1e-12)
    for name in ("hidden", "activation"):
        a, b = sliced.panels[name], whole.panels[name]
        for got, want in ((a.mesh, b.mesh), (a.values, b.values)):
            if want is not None:
                assert got is not None
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_the_morph_keyframes_run_in_slices_too(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, data, history = _small_run((4, 3))
    whole = morph.Morph(history, data, cfg.render).frame(5)
    monkeypatch.setattr(passes, "CHUNK_BYTES", 8 * 1024)
    sliced = morph.Morph(history, data, cfg.render).frame(5)
    got, want = sliced.panels["morph"].mesh, whole.panels["morph"].mesh
    assert got is not None and want is not None
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_wide_layer_at_the_largest_grid_is_not_refused_now_that_the_pass_is_sliced() -> None:
    # 1000 x 1000 mesh points through 1024 units: 16 GB at once before; now a slice at a time.
    cfg = catalog.resolve({}, {"model.hidden": (1024,), "render.grid": 1000})
    data = datasets.load_dataset("blobs")
    budget.check_drawing(cfg, data)
    assert passes.chunk_rows(nn.Model((2, 1024, 1), "tanh", "bce")) * (2 + 2 * 1025) * 8 <= passes.CHUNK_BYTES


# --- what the mesh keeps, the painter, refused before training ----------------------------


def test_a_grid_whose_mesh_would_not_fit_is_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_training(monkeypatch)
    monkeypatch.setattr(budget, "CAP_BYTES", 2**20)
    r = _run(tmp_path, "--grid", "300")
    assert r.exit_code == 1, r.output
    gmax = budget._max_grid(2, 1, 0)
    assert r.output.strip() == (
        f"Error: --grid 300 with 2 input features (blobs) needs ~16 MiB for the meshgrid; "
        f"the cap is 1 MiB: use --grid <= {gmax}"
    )
    assert budget.mesh_bytes(gmax, 2, 1) <= budget.CAP_BYTES < budget.mesh_bytes(gmax + 1, 2, 1)
    fits = catalog.resolve({}, {"render.grid": gmax})
    budget.check_mesh(fits, datasets.load_dataset("blobs"), 1)  # the advice is a grid that passes
    assert not (tmp_path / "a.gif").exists()


def test_the_mesh_in_input_features_counts_every_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    # digits: 64 features a mesh point; 1000 x 1000 of them is 512 MB of mesh_x alone.
    cfg = catalog.resolve({}, {"data.name": "digits", "render.grid": 1000})
    data = datasets.load_dataset("digits")
    monkeypatch.setattr(budget, "CAP_BYTES", 512 * 2**20)
    with pytest.raises(
        config.ConfigError,
        match=r"^--grid 1000 with 64 input features \(digits\) needs ~786 MiB "
        r"for the meshgrid; the cap is 512 MiB: use --grid <= 807$",
    ):
        budget.check_drawing(cfg, data)


def test_a_morph_budgets_one_mesh_per_representation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, data, history = _small_run((4, 3), grid=40)
    monkeypatch.setattr(budget, "CAP_BYTES", budget.mesh_bytes(40, 2, 1) + 1)  # training's animation fits
    monkeypatch.setattr(budget, "PIXEL_BYTES", 0)  # the painter is another test's
    budget.check_drawing(cfg, data)
    built: list[int] = []
    monkeypatch.setattr(morph.Morph, "__init__", lambda *a, **k: built.append(1))
    plan = plans.morph(cfg, tmp_path / "m.gif", trained=True)
    plan.check()
    with pytest.raises(config.ConfigError, match=r"with 2 input features \(blobs\) and 7 morph representations"):
        pipeline.execute_morph(plan, history=history, data=data)
    assert not built  # refused before the Morph built its meshgrid


def test_a_size_whose_painter_would_not_fit_is_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_training(monkeypatch)
    monkeypatch.setattr(budget, "CAP_BYTES", 2 * 2**20)
    r = _run(tmp_path, "--size", "640x480")
    assert r.exit_code == 1, r.output
    # The CLI paints on up to two cores; each painter has its own buffers.
    assert re.fullmatch(
        r"Error: --size 640x480( with 2 painters \(workers\))? needs ~(15|30) MiB for the painter; "
        r"the cap is 2 MiB: use a --size of at most (40,329|20,164) pixels in all \(W x H\)\n",
        r.output,
    ), r.output


def test_a_rerender_is_budgeted_before_the_animation_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, data, history = _small_run(grid=50)
    monkeypatch.setattr(budget, "CAP_BYTES", budget.mesh_bytes(49, 2, 1))
    monkeypatch.setattr(pipeline, "Animation", lambda *a, **k: pytest.fail("the Animation was built"))
    with pytest.raises(config.ConfigError, match="^--grid 50 with 2 input features"):
        pipeline.render_history(history, data, cfg, tmp_path / "a.gif")


def test_snapshots_are_budgeted_by_the_rule_training_already_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nnviz.engine import train as train_mod

    _no_training(monkeypatch)
    monkeypatch.setattr(train_mod, "MAX_HISTORY_BYTES", 100)
    r = _run(tmp_path)
    assert r.exit_code == 1
    assert "over the history cap of" in r.output


# --- CSV files ------------------------------------------------------------------------------


def _csv(path: Path, rows: int, tail: str = "") -> Path:
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(rows)) + tail)
    return path


def test_a_csv_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _csv(tmp_path / "big.csv", 50)
    monkeypatch.setattr(csvdata, "MAX_CSV_BYTES", 100)
    monkeypatch.setattr(csvdata, "_rows", lambda p: pytest.fail("the file was read"))
    size = path.stat().st_size
    with pytest.raises(DataError) as err:
        datasets.load_csv(path)
    assert str(err.value) == (
        f"data file {path} is {size} bytes; the cap for a CSV is 100 bytes: "  # not "0 MiB"
        "give it a random sample of its rows (e.g. keep the header and shuf -n 100000 of the rest)"
    )


def test_a_csv_past_the_row_cap_is_refused_without_reading_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A malformed line past the cap is never reached: the file was not read to its end.
    path = _csv(tmp_path / "long.csv", 10, tail='"unclosed\n')
    monkeypatch.setattr(csvdata, "MAX_CSV_ROWS", 5)
    with pytest.raises(DataError, match=r"has more than 5 data rows \(line 7\); the cap for 3 columns is 5"):
        datasets.load_csv(path)


def test_the_row_cap_shrinks_with_the_columns_so_the_floats_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets.mnist, "MAX_ARRAY_BYTES", 8 * 100)
    assert csvdata._row_cap(11) == 10  # 10 features a row: 80 bytes
    assert csvdata.MAX_CSV_ROWS == config.MAX_SAMPLES


def test_a_csv_within_the_caps_still_reads_as_before(tmp_path: Path) -> None:
    data = datasets.load_csv(_csv(tmp_path / "ok.csv", 12))
    assert data.X.shape == (12, 2) and data.X[5].tolist() == [5.0, 2.0] and data.y.tolist()[:3] == [0, 1, 0]


# --- the writers' own limits ---------------------------------------------------------------


def test_a_gif_faster_than_its_delays_can_time_is_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_training(monkeypatch)
    r = _run(tmp_path, "--fps", "60")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: --fps 60 is too fast for gif: GIF frame delays are whole centiseconds and browsers slow delays "
        "under 2 cs to 10 cs; use --fps <= 50, or --format mp4, webp or html"
    )
    with pytest.raises(RenderError, match="too fast for gif"):
        writers.GifWriter(tmp_path / "b.gif", fps=51)
    writers.check_capacity("mp4", (1200, 400), 60, 100)  # video timing is not in centiseconds


def test_a_format_that_takes_the_fps_never_asks_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    # Which other formats would do is only for the refusal's message: a GIF run
    # at 10 fps must not pay for running ffmpeg -encoders to find out.
    def asked(*_: object) -> None:
        raise AssertionError("ffmpeg was asked")

    monkeypatch.setattr(writers, "ffmpeg_exe", asked)
    monkeypatch.setattr(writers, "ffmpeg_encoders", asked)
    writers.check_capacity("gif", (1200, 400), 10, 100)
    writers.check_capacity("html", (1200, 400), 60, 100)
    with pytest.raises(AssertionError, match="ffmpeg was asked"):  # the refusal still names the others
        writers.check_capacity("gif", (1200, 400), 60, 100)


def test_a_webp_faster_than_browsers_play_is_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_training(monkeypatch)
    r = CliRunner().invoke(cli, [*FAST, "--out", str(tmp_path / "a.webp"), "--fps", "95"])
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: --fps 95 is too fast for webp: browsers show a WebP frame of 10 ms or less for 100 ms; "
        "use --fps <= 90, or --format mp4 or html"
    )
    writers.check_capacity("webp", (1200, 400), 90, 100)  # 11.1 ms a frame: played as written


@pytest.mark.parametrize(("fmt", "side"), [("webp", 16383), ("gif", 65535), ("mp4", 16384)])
def test_each_format_states_its_largest_frame(fmt: str, side: int) -> None:
    writers.check_capacity(fmt, (side, 64), 10, 1)
    with pytest.raises(RenderError, match=rf"is too large for {fmt}: its frames are at most {side} pixels a side"):
        writers.check_capacity(fmt, (side + 1, 64), 10, 1)


def test_a_path_whose_temp_file_would_pass_path_max_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "deep" / "run.gif"
    room = len(str(dest.parent)) + 1 + len("run.gif") + atomic.TEMP_EXTRA + len(".gif")
    monkeypatch.setattr(atomic, "path_max", lambda folder: room + 1)
    atomic.check_writable(dest)  # exactly fits (with the NUL)
    monkeypatch.setattr(atomic, "path_max", lambda folder: room)
    with pytest.raises(
        OutputError, match=rf"temp file's path would be {room} bytes long; at most {room - 1} are allowed"
    ):
        atomic.check_writable(dest)


# --- running out anyway ---------------------------------------------------------------------


def test_memory_error_names_the_stage_and_the_allocation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def oom(*a: Any, **k: Any) -> Any:
        raise MemoryError("Unable to allocate 7.63 GiB for an array with shape (1000000, 1024) and data type float64")

    monkeypatch.setattr(pipeline, "train", oom)
    r = _run(tmp_path)
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: out of memory while training (Unable to allocate 7.63 GiB for an array with shape (1000000, 1024) "
        "and data type float64); use fewer samples (--n-samples) or narrower --hidden layers"
    )
    monkeypatch.undo()
    from nnviz.render import animation

    monkeypatch.setattr(animation.scene, "build_scene", oom)
    r = _run(tmp_path)
    assert "Error: out of memory while rendering (Unable to allocate 7.63 GiB" in r.output
    assert r.output.strip().endswith("use a smaller --grid or --size, or fewer painters")


def test_memory_error_outside_a_stage_gives_no_advice_that_may_not_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnviz.errors import memory_message

    assert memory_message(MemoryError()) == "out of memory; set NNVIZ_DEBUG=1 to see where"
