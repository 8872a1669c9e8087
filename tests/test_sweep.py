"""Sweeps end to end: parsing, both executors, resume, failure isolation, the CLI."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nnviz import sweep
from nnviz.cli import cli
from nnviz.errors import ConfigError, NnvizError

SMALL = """
[data]
name = "blobs"
n_samples = 60
[train]
epochs = 4
stop_loss = 0
[render]
grid = 16
size = "240x80"
hold = 0
"""

GRID_2X3 = SMALL + """
[sweep]
"model.activation" = ["relu", "tanh"]
"train.lr" = [0.1, 0.01, 0.001]
"""

NAMES_2X3 = [f"activation={a}_lr={lr}" for a in ("relu", "tanh") for lr in ("0.1", "0.01", "0.001")]


def write(tmp: Path, text: str, name: str = "grid.toml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def cli_run(*args: str) -> CliRunner.invoke:
    return CliRunner().invoke(cli, list(args))


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("spec"), GRID_2X3)


@pytest.fixture(scope="module")
def process_run(grid_file: Path, tmp_path_factory: pytest.TempPathFactory) -> sweep.SweepResult:
    return sweep.run_sweep(grid_file, tmp_path_factory.mktemp("process"), jobs=2)


# --- the sweep file ----------------------------------------------------------------------

def test_the_grid_is_the_cartesian_product_in_file_order(grid_file: Path) -> None:
    spec = sweep.load_sweep(grid_file)
    assert spec.keys == ("model.activation", "train.lr")
    assert [r.name for r in spec.runs] == NAMES_2X3
    assert spec.runs[4].cfg.model.activation == "tanh" and spec.runs[4].cfg.train.lr == 0.01
    assert spec.runs[4].cfg.train.epochs == 4  # the base table applies to every run


def test_fmt_overrides_every_run(grid_file: Path) -> None:
    assert {r.cfg.render.format for r in sweep.load_sweep(grid_file, fmt="mp4").runs} == {"mp4"}


def test_names_use_the_full_key_when_last_parts_clash() -> None:
    spec = sweep.parse_sweep({"sweep": {"data.seed": [1, 2], "train.seed": [3]}})
    assert [r.name for r in spec.runs] == ["data.seed=1_train.seed=3", "data.seed=2_train.seed=3"]


def test_names_are_file_safe() -> None:
    spec = sweep.parse_sweep({"sweep": {"model.hidden": [[4, 2], "3"], "render.size": ["240x80"]}})
    assert [r.name for r in spec.runs] == ["hidden=4,2_size=240,80", "hidden=3_size=240,80"]


def test_longest_runs_start_first() -> None:
    spec = sweep.parse_sweep({"sweep": {"render.grid": [8, 64, 16]}})
    assert [r.name for r in sorted(spec.runs, key=lambda r: -r.cost)] == ["grid=64", "grid=16", "grid=8"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('"model.activaton" = ["relu"]', "unknown key 'model.activaton'"),
        ('"train.lr" = []', "'train.lr' in grid.toml is an empty list"),
        ('"train.lr" = 0.1', "'train.lr' in grid.toml must be a list of values"),
        ('"train.lr" = [0.1, -1]', "'train.lr' in grid.toml: -1 is invalid: must be a number > 0"),
        ('"model.activation" = ["relu", "swish"]', "\"swish\" is invalid: unknown name; valid: linear"),
        ('"render.layer" = [1, 2]', "run render.layer = 2: render.layer = 2 is invalid"),
        ('"train.lr" = [0.1, 0.1]', "two runs the same folder 'lr=0.1'"),
        ("", "[sweep] in grid.toml is empty"),
    ],
)
def test_bad_sweep_files_are_refused_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    write(tmp_path, SMALL + "[sweep]\n" + table + "\n")
    result = cli_run("sweep", "grid.toml", "--out", str(out))
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1  # one line
    assert not out.exists()  # refused before anything ran


def test_a_file_without_a_sweep_table_is_refused(tmp_path: Path) -> None:
    result = cli_run("sweep", str(write(tmp_path, SMALL)))
    assert result.exit_code == 1 and "has no [sweep] table" in result.output


def test_a_bad_base_table_is_refused(tmp_path: Path) -> None:
    result = cli_run("sweep", str(write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1]\n[model]\nwidth = 3\n')))
    assert result.exit_code == 1 and "unknown key model.width" in result.output


# --- executors ---------------------------------------------------------------------------

def test_executor_registry() -> None:
    assert set(sweep.EXECUTORS) == {"process", "dask"}
    with pytest.raises(ConfigError, match="valid: process, dask"):
        sweep.executor_for("threads")


def test_process_pool_runs_the_whole_grid(process_run: sweep.SweepResult) -> None:
    out = process_run.out
    assert [r.name for r in process_run.runs] == NAMES_2X3
    assert all(r.status == "ok" and not r.cached for r in process_run.runs)
    for run in process_run.runs:
        stem = f"blobs-{run.name.split('_')[0].split('=')[1]}-lr{run.name.split('=')[-1]}"
        for suffix in (".gif", ".png", ".csv", ".toml"):
            assert (out / run.name / f"{stem}{suffix}").is_file()
        assert (out / run.name / sweep.MARKER).is_file()


def test_summary_has_one_row_per_run(process_run: sweep.SweepResult) -> None:
    frame = pd.read_csv(process_run.summary)
    assert list(frame.columns) == [
        "run", "model.activation", "train.lr", "status", "epochs", "loss", "accuracy", "rmse",
        "seconds", "path", "error", "cached",
    ]
    assert list(frame["run"]) == NAMES_2X3
    assert list(frame["model.activation"]) == ["relu"] * 3 + ["tanh"] * 3
    assert list(frame["train.lr"]) == [0.1, 0.01, 0.001] * 2
    assert set(frame["status"]) == {"ok"} and set(frame["epochs"]) == {4}
    assert frame["accuracy"].between(0, 1).all() and frame["rmse"].isna().all()
    assert (frame["seconds"] > 0).all()
    for path in frame["path"]:
        assert (process_run.out / path).is_file() and path.endswith(".gif")


def test_dask_local_cluster_gives_byte_identical_files(
    grid_file: Path, process_run: sweep.SweepResult, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    result = sweep.run_sweep(grid_file, tmp_path / "dask", executor="dask", workers=2)
    assert [(r.name, r.error) for r in result.runs if r.status != "ok"] == []
    a, b = files(process_run.out), files(result.out)
    assert sorted(a) == sorted(b)
    timed = {sweep.SUMMARY} | {f"{n}/{sweep.MARKER}" for n in NAMES_2X3}  # hold wall-clock seconds
    differing = [name for name in a if a[name] != b[name] and name not in timed]
    assert differing == []
    assert any(name.endswith(".gif") for name in a) and "comparison.gif" in a
    drop = ["seconds"]
    pd.testing.assert_frame_equal(pd.read_csv(process_run.summary).drop(columns=drop),
                                  pd.read_csv(result.summary).drop(columns=drop))


def test_dask_joins_an_existing_scheduler(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    spec = write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1]\n')
    with distributed.LocalCluster(host="127.0.0.1", n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = sweep.run_sweep(spec, tmp_path / "out", executor="dask", scheduler=cluster.scheduler_address)
    assert [r.status for r in result.runs] == ["ok"]
    with pytest.raises(NnvizError, match="cannot be combined with --scheduler"):
        sweep.run_sweep(spec, tmp_path / "out", executor="dask", scheduler="tcp://127.0.0.1:1", workers=2)


def test_missing_dask_is_a_clean_error(monkeypatch: pytest.MonkeyPatch, grid_file: Path, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = cli_run("sweep", str(grid_file), "--out", str(tmp_path / "o"), "--executor", "dask")
    assert result.exit_code == 1
    assert result.output.strip() == 'Error: --executor dask needs dask.distributed: pip install "nnviz-anim[dask]"'


def test_scheduler_needs_the_dask_executor(grid_file: Path, tmp_path: Path) -> None:
    result = cli_run("sweep", str(grid_file), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2 and "need --executor dask" in result.output
    with pytest.raises(NnvizError, match="belong to --executor dask"):
        sweep.run_sweep(grid_file, tmp_path / "o", workers=2)


# --- resume ------------------------------------------------------------------------------

def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_resume_skips_finished_runs_and_force_redoes_them(tmp_path: Path) -> None:
    spec = write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1, 0.01]\n')
    out = tmp_path / "out"
    fresh = sweep.run_sweep(spec, out, jobs=2)
    before = mtimes(out)
    started = time.perf_counter()
    again = sweep.run_sweep(spec, out, jobs=2)
    resumed = time.perf_counter() - started
    assert [r.cached for r in again.runs] == [True, True]
    assert again.runs == tuple(r.__class__(**{**r.__dict__, "cached": True}) for r in fresh.runs)
    run_files = {k: v for k, v in mtimes(out).items() if "/" in k}
    assert run_files == {k: v for k, v in before.items() if "/" in k}  # no run folder touched
    assert mtimes(out)["comparison.gif"] == before["comparison.gif"]  # nothing changed: kept
    assert list(pd.read_csv(again.summary)["cached"]) == [True, True]
    assert resumed < 1.5  # no worker pool started at all

    forced = sweep.run_sweep(spec, out, jobs=2, force=True)
    assert [r.cached for r in forced.runs] == [False, False]
    after = mtimes(out)
    assert all(after[k] > before[k] for k in before if "/" in k)


def test_a_changed_config_reruns_only_that_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sweep.run_sweep(write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1, 0.01]\n'), out, jobs=1)
    result = sweep.run_sweep(write(tmp_path, SMALL.replace("epochs = 4", "epochs = 3")
                                   + '[sweep]\n"train.lr" = [0.1]\n'), out, jobs=1)
    assert [(r.name, r.cached, r.epochs) for r in result.runs] == [("lr=0.1", False, 3)]


def test_a_half_written_run_is_redone(tmp_path: Path) -> None:
    spec = write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1]\n')
    out = tmp_path / "out"
    first = sweep.run_sweep(spec, out, jobs=1)
    (out / first.runs[0].path).unlink()  # e.g. a crash between files
    assert sweep.run_sweep(spec, out, jobs=1).runs[0].cached is False


# --- failures ----------------------------------------------------------------------------

def test_one_failing_run_is_isolated(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    bad = tmp_path / "bad.csv"
    rows = "".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}\n" for i in range(20))
    good.write_text("x0,x1,label\n" + rows)
    bad.write_text("x0,x1,label\n" + rows + "0.5,oops,1\n")  # valid path, unreadable at run time
    text = SMALL.replace('name = "blobs"\nn_samples = 60', 'name = "csv"') + (
        f'[sweep]\n"data.path" = ["{good.as_posix()}", "{bad.as_posix()}"]\n"model.activation" = ["relu", "tanh"]\n'
    )
    out = tmp_path / "out"
    result = cli_run("sweep", str(write(tmp_path, text)), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: 2 of 4 runs failed: path=bad_activation=relu: data file")
    assert "'oops' is not a number" in last
    frame = pd.read_csv(out / sweep.SUMMARY)
    assert list(frame["status"]) == ["ok", "ok", "failed", "failed"]
    assert frame["error"].iloc[2].endswith("'oops' is not a number")
    assert frame["path"].iloc[:2].map(lambda p: (out / p).is_file()).all()
    assert not (out / "path=bad_activation=relu" / sweep.MARKER).exists()  # retried next time
    assert (out / "index.html").is_file() and "failed: data file" in (out / "index.html").read_text()


def test_a_diverged_run_is_a_result_not_a_failure(tmp_path: Path) -> None:
    text = SMALL.replace('name = "blobs"\nn_samples = 60', 'name = "sine"') + (
        '[model]\nactivation = "linear"\n[sweep]\n"train.optimizer" = ["sgd"]\n"train.lr" = [0.01, 1000]\n'
    )
    out = tmp_path / "out"
    result = cli_run("sweep", str(write(tmp_path, text)), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / sweep.SUMMARY)
    assert list(frame["status"]) == ["ok", "diverged"]
    assert "diverged at epoch" in frame["error"].iloc[1]
    assert frame["rmse"].notna().all() and frame["accuracy"].isna().all()
    assert (out / frame["path"].iloc[1]).is_file()  # rendered up to its last finite epoch
    assert "diverged" in (out / "index.md").read_text()


# --- the command -------------------------------------------------------------------------

def test_cli_progress_lines_and_quiet(tmp_path: Path) -> None:
    spec = write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1, 0.01]\n')
    loud = cli_run("sweep", str(spec), "--out", str(tmp_path / "a"), "--jobs", "2")
    assert loud.exit_code == 0, loud.output
    lines = loud.output.splitlines()
    assert any(line.startswith("ok") and "lr=0.1  loss " in line and "  acc " in line for line in lines)
    assert "2 runs in" in loud.output and "index.html" in loud.output
    again = cli_run("sweep", str(spec), "--out", str(tmp_path / "a"))
    assert "(2 already done)" in again.output and "skip" in again.output
    quiet = cli_run("sweep", str(spec), "--out", str(tmp_path / "b"), "--quiet", "--jobs", "2")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_default_out_is_outputs_file_stem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SMALL + '[sweep]\n"train.lr" = [0.1]\n', "lrs.toml")
    assert cli_run("sweep", "lrs.toml", "-q", "--jobs", "1").exit_code == 0
    assert (tmp_path / "outputs" / "lrs" / "summary.csv").is_file()


def test_on_run_sees_runs_as_they_end_longest_first(tmp_path: Path) -> None:
    seen: list[str] = []
    spec = write(tmp_path, SMALL + '[sweep]\n"render.grid" = [8, 32, 16]\n')
    sweep.run_sweep(spec, tmp_path / "out", jobs=1, on_run=lambda r: seen.append(r.name))
    assert seen == ["grid=32", "grid=16", "grid=8"]


def test_shipped_sweep_files_are_valid() -> None:
    root = Path(__file__).resolve().parents[1] / "configs"
    blog = sweep.load_sweep(root / "sweep-activation-lr.toml")
    assert blog.keys == ("model.activation", "train.lr") and len(blog.runs) == 6
    docs = sweep.load_sweep(root / "docs.toml")
    assert len(docs.keys) == 2 and len(docs.runs) >= 4


def test_a_sweep_faster_than_a_gif_plays_still_gets_its_gif_previews(tmp_path: Path) -> None:
    """Thumbnails and the comparison are GIFs whatever the runs' format: a 60 fps MP4 (or 90 fps
    WebP) sweep must not fail on them; they play at the fastest a GIF can (50 fps, 2 cs a frame)."""
    from PIL import Image

    text = SMALL.replace("hold = 0", 'hold = 0\nformat = "mp4"\nfps = 60') + '[sweep]\n"train.lr" = [0.1, 0.01]\n'
    out = tmp_path / "out"
    result = cli_run("sweep", str(write(tmp_path, text)), "--out", str(out), "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.parent.name for p in out.glob("*/*.mp4")) == ["lr=0.01", "lr=0.1"]
    for gif in [*out.glob("*/thumb.gif"), out / "comparison.gif"]:
        with Image.open(gif) as im:
            im.seek(1)
            assert im.info["duration"] == 20, gif


def test_a_sweep_of_stills_takes_png_from_the_command_line_as_from_the_file(tmp_path: Path) -> None:
    """--format png and render.format = "png" agree: a gallery of each run's last frame."""
    out = tmp_path / "out"
    result = cli_run("sweep", str(write(tmp_path, GRID_2X3)), "--out", str(out), "--format", "png", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.parent.name for p in out.glob("*/*.png")) == sorted(NAMES_2X3)
    assert sorted(p.name for p in out.glob("*/*.gif")) == ["thumb.gif"] * 6  # the previews only
    page = (out / "index.html").read_text()
    assert all(f'href="{name}/' in page and f"{name}/" in page for name in NAMES_2X3)
    assert re.findall(r'href="[^"]+\.png"', page) and not re.findall(r'href="[^"]+(?<!thumb)\.gif"', page.replace(
        'href="comparison.gif"', ""))
