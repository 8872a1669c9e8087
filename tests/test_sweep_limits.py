"""A sweep's limits: runs refused before any starts, and a comparison that stays usable.

* Every run gets the checks ``nnviz animate`` makes before training (the
  format's encoder, fps and frame size, the memory caps, the data options of a
  built-in dataset), so a bad value fails the sweep at once, naming the run,
  before any run folder exists.
* Past ``gallery.MAX_COMPARED`` runs there is no comparison.gif and the pages
  say why; composing one never holds more files open than it has tiles.

Each test fails on the code before its fix.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli_run, error_line
from PIL import Image

from nnviz import sweep
from nnviz.errors import ConfigError
from nnviz.render import writers
from nnviz.sweep import gallery, pages, thumbs
from nnviz.sweep.executors import ExecutorKind

TINY = """\
[data]
n_samples = 40
[train]
epochs = 3
stop_loss = 0
[render]
grid = 16
size = "300x100"
hold = 0
"""


@contextlib.contextmanager
def _inline(jobs: int, scheduler: str | None, workers: int | None) -> Iterator[cf.Executor]:
    with cf.ThreadPoolExecutor(max_workers=1) as pool:  # in this process: fast, and monkeypatches apply to runs
        yield pool


@pytest.fixture
def inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sweep.EXECUTORS, "process", ExecutorKind(_inline, lambda s, w: None))


def sweep_file(tmp_path: Path, table: str, head: str = TINY) -> Path:
    path = tmp_path / "grid.toml"
    path.write_text(head + "[sweep]\n" + table + "\n", encoding="utf-8")
    return path


def refused(tmp_path: Path, table: str, *flags: str, head: str = TINY) -> str:
    """The one Error: line of a sweep refused before any run: exit 1 and no output folder."""
    out = tmp_path / "out"
    code, output = cli_run("sweep", str(sweep_file(tmp_path, table, head)), "--out", str(out), "-q", *flags)
    assert code == 1, output
    assert not out.exists(), sorted(p.name for p in out.iterdir())  # no run folder, no summary, no gallery
    return error_line(output)


# --- 1. each run's pre-training checks, before any run -------------------------------------


@pytest.mark.usefixtures("inline")
def test_an_fps_the_format_cannot_time_is_refused_before_any_run(tmp_path: Path) -> None:
    line = refused(tmp_path, '"render.fps" = [10, 60]')
    assert line.startswith("Error: [sweep] in "), line
    assert "grid.toml, run fps=60: --fps 60 is too fast for gif: " in line
    assert "use --fps <= 50" in line


@pytest.mark.usefixtures("inline")
def test_a_size_too_large_for_the_format_is_refused_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # config caps a side at 4096, under every format's own limit today, so lower the format's.
    monkeypatch.setattr(writers.GifWriter, "max_side", 200)
    line = refused(tmp_path, '"render.size" = ["150x100", "300x100"]')
    assert "run size=300,100: --size 300x100 is too large for gif: its frames are at most 200 pixels" in line


@pytest.mark.usefixtures("inline")
def test_a_format_whose_encoder_is_missing_is_refused_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writers.WebpWriter, "unavailable", classmethod(lambda cls: "no libwebp here"))
    line = refused(tmp_path, '"render.format" = ["gif", "webp"]')
    assert "run format=webp: format 'webp' cannot be written here: no libwebp here" in line


@pytest.mark.usefixtures("inline")
def test_a_run_over_a_memory_cap_is_refused_before_any_run(tmp_path: Path) -> None:
    # 301 snapshots of a 1000-1000 net's ~1M parameters: 2.3 GiB of history, over its 2 GiB cap.
    line = refused(tmp_path, '"model.hidden" = [[2], [1000, 1000]]', head=TINY.replace("epochs = 3", "epochs = 300"))
    assert "run hidden=1000,1000: --epochs 300 keeps 301 snapshots" in line and "history cap" in line


@pytest.mark.usefixtures("inline")
def test_a_loss_the_task_does_not_take_is_refused_before_any_run(tmp_path: Path) -> None:
    line = refused(tmp_path, '"model.loss" = ["auto", "mse"]')
    assert "run loss=mse: model.loss = 'mse' is invalid for the binary task of dataset 'blobs'" in line


@pytest.mark.usefixtures("inline")
def test_data_target_on_a_built_in_dataset_is_refused_before_any_run(tmp_path: Path) -> None:
    line = refused(tmp_path, '"data.target" = ["a/b", ".."]')
    assert "run target=a-b: data.target picks a CSV column; the blobs dataset has no columns to pick" in line


@pytest.mark.usefixtures("inline")
def test_a_file_dataset_gets_the_checks_that_need_no_data(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("x0,x1,y\n" + "".join(f"{i % 5},{i % 3},{i % 2}\n" for i in range(20)), encoding="utf-8")
    head = TINY.replace("n_samples = 40", f'name = "csv"\npath = "{csv.as_posix()}"')
    line = refused(tmp_path, '"render.fps" = [10, 60]', head=head)
    assert "run fps=60: --fps 60 is too fast for gif" in line
    assert not (tmp_path / "points.png").exists()


def test_the_library_refuses_a_bad_run_before_any_run(tmp_path: Path) -> None:
    raw = {"train": {"epochs": 3}, "render": {"grid": 16, "size": "300x100"}, "sweep": {"render.fps": [10, 60]}}
    with pytest.raises(ConfigError, match="run fps=60: "):
        sweep.run_sweep(raw, tmp_path / "out", jobs=1)
    assert not (tmp_path / "out").exists()


# --- 2. the comparison's cap and its open files ---------------------------------------------


def finished_runs(n: int, out: Path) -> tuple[sweep.SweepSpec, list[sweep.RunResult]]:
    """``n`` finished one-epoch runs whose thumbnails exist under ``out`` with the frames they should have."""
    spec = sweep.parse_sweep({"train": {"epochs": 1}, "sweep": {"train.seed": list(range(n))}}, "many.toml")
    runs = []
    for i, r in enumerate(spec.runs):
        frames = len(thumbs.thumb_epochs(r.cfg, 1))
        thumb = out / r.name / "thumb.gif"
        thumb.parent.mkdir(parents=True)
        images = [Image.new("RGB", (36, 40), (i % 256, 40 * k % 256, 90)) for k in range(frames)]
        images[0].save(thumb, save_all=True, append_images=images[1:], duration=100, loop=0)
        runs.append(
            sweep.RunResult(
                r.name, "ok", epochs=1, loss=0.5, accuracy=0.8, path=f"{r.name}/thumb.gif", thumb=f"{r.name}/thumb.gif"
            )
        )
    return spec, runs


@pytest.mark.parametrize(("n", "written"), [(3, True), (4, False)])
def test_the_comparison_shows_at_most_max_compared_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int, written: bool
) -> None:
    monkeypatch.setattr(pages, "MAX_COMPARED", 3)  # where the cap lives (gallery re-exports it)
    spec, runs = finished_runs(n, tmp_path)
    result = gallery.write_comparison(spec, tmp_path, runs)
    assert (result is not None) == written == (tmp_path / gallery.COMPARISON).exists()


@pytest.mark.usefixtures("inline")
def test_past_the_cap_the_pages_say_why_there_is_no_comparison(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "MAX_COMPARED", 3)  # where the cap lives (gallery re-exports it)
    out = tmp_path / "out"
    out.mkdir()
    (out / gallery.COMPARISON).write_bytes(b"GIF89a from an earlier, smaller sweep")
    gallery.write_state(out)  # the earlier sweep's own notes: this is a sweep's folder
    code, output = cli_run(
        "sweep", str(sweep_file(tmp_path, '"train.lr" = [0.1, 0.05, 0.02, 0.01]')), "--out", str(out), "-q", "-j", "1"
    )
    assert code == 0, output
    assert not (out / gallery.COMPARISON).exists()  # a stale one would show other runs than the pages
    why = "No comparison animation: 4 runs are more than the 3 it can show side by side; each run's thumbnail is below."
    md, page = (out / gallery.INDEX_MD).read_text(), (out / gallery.INDEX_HTML).read_text()
    assert why in md and why.replace("'", "&#x27;") in page
    assert "comparison.gif" not in md + page
    assert all((out / r / "thumb.gif").is_file() for r in ("lr=0.1", "lr=0.05", "lr=0.02", "lr=0.01"))


def test_under_the_cap_the_pages_have_no_such_note(tmp_path: Path) -> None:
    spec, runs = finished_runs(2, tmp_path)
    assert "No comparison" not in gallery.render_md(spec, runs, None)
    assert "No comparison" not in gallery.render_html(spec, runs, None, tmp_path)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
@pytest.mark.parametrize("n", [gallery.MAX_COMPARED, gallery.MAX_COMPARED + 14])
def test_the_gallery_fits_an_open_file_limit_a_little_above_the_cap(tmp_path: Path, n: int) -> None:
    """400 runs under ``ulimit -n 256`` failed: the composer held every thumbnail open.

    Here the limit leaves room for MAX_COMPARED thumbnails and a few more files
    (the GIF being written, a lazy import), not for every run's.
    """
    spec, runs = finished_runs(n, tmp_path)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (_open_fds() + gallery.MAX_COMPARED + 8, hard))
    try:
        comparison = gallery.write_comparison(spec, tmp_path, runs)
        gallery.write_index(spec, tmp_path, runs, comparison)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert (comparison is not None) == (n <= gallery.MAX_COMPARED)
    if comparison is not None:
        with Image.open(comparison) as im:
            assert im.n_frames == 2 and im.width == 6 * 36  # every tile, side by side
