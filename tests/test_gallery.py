"""The sweep gallery: page layout, links that resolve, and the comparison GIF."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nnviz import sweep
from nnviz.sweep import comparison, gallery, thumbs

SMALL = """
[data]
name = "blobs"
n_samples = 60
[model]
activation = "tanh"
[train]
epochs = 6
lr = 0.1
[render]
grid = 16
size = "240x80"
hold = 0
"""


def spec_of(table: dict) -> sweep.SweepSpec:
    return sweep.parse_sweep({"train": {"epochs": 3}, "sweep": table}, "demo.toml")


THUMB_SIZE = (36, 40)  # distinct from FULL_SIZE, so a test sees which file an <img> measured
FULL_SIZE = (120, 40)


def _gif(path: Path, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [Image.new("RGB", size, c) for c in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def fake_results(spec: sweep.SweepSpec, fmt: str = "gif", out: Path | None = None,
                 thumbs: bool = True) -> list[sweep.RunResult]:
    """Finished runs; with ``out``, their thumbnail and animation files exist there."""
    runs = []
    for i, r in enumerate(spec.runs):
        run = sweep.RunResult(
            r.name, "ok", epochs=3, loss=0.5 - i / 100, accuracy=0.8, path=f"{r.name}/anim.{fmt}",
            poster=f"{r.name}/anim.png", history_csv=f"{r.name}/anim.csv",
            thumb=f"{r.name}/thumb.gif" if thumbs else "",
        )
        if out is not None:
            (out / r.name).mkdir(parents=True, exist_ok=True)
            if thumbs:
                _gif(out / run.thumb, THUMB_SIZE)
            Image.new("RGB", FULL_SIZE).save(out / run.poster)
            if fmt == "gif":
                _gif(out / run.path, FULL_SIZE)
            else:
                (out / run.path).write_bytes(b"not an image")
        runs.append(run)
    return runs


def tags(page: str, name: str) -> list[dict[str, str]]:
    """Every ``<name ...>`` tag's attributes."""
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', t)) for t in re.findall(rf"<{name}\b[^>]*>", page)]


# --- layout and pages (no rendering) ---------------------------------------------------

def test_two_keys_make_a_rows_by_columns_table() -> None:
    spec = spec_of({"model.activation": ["relu", "tanh"], "train.lr": [0.1, 0.01, 0.001]})
    lay = gallery.layout(spec)
    assert (lay.rows, lay.cols) == (2, 3)
    assert lay.row_labels == ("activation=relu", "activation=tanh")
    assert lay.col_labels == ("lr=0.1", "lr=0.01", "lr=0.001")
    assert lay.cells == ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2))


@pytest.mark.parametrize(
    ("table", "shape"),
    [({"train.lr": [0.1, 0.01]}, (1, 2)),
     ({"train.lr": [0.1, 0.01, 0.001, 0.0001]}, (2, 3)),
     ({"train.lr": [0.1], "model.activation": ["relu"], "train.seed": [1, 2]}, (1, 2))],
)
def test_other_key_counts_make_a_flat_grid(table: dict, shape: tuple[int, int]) -> None:
    lay = gallery.layout(spec_of(table))
    assert (lay.rows, lay.cols) == shape and lay.row_labels == ()


def test_html_is_a_self_contained_table_for_two_keys(tmp_path: Path) -> None:
    spec = spec_of({"model.activation": ["relu", "tanh"], "train.lr": [0.1, 0.01]})
    _gif(tmp_path / "comparison.gif", (200, 150))
    page = gallery.render_html(spec, fake_results(spec, out=tmp_path), "comparison.gif", tmp_path)
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert not re.search(r"https?://|<script|<link|@import|url\(", page)  # no external assets
    assert page.count("<tr>") == 3 and '<th scope="col">lr=0.01</th>' in page and ">activation=tanh</th>" in page
    assert "loss 0.490 · acc 80.0% · epoch 3" in page
    assert "prefers-color-scheme: dark" in page and "@media (max-width:" in page


def test_html_shows_thumbnails_linking_to_the_full_animations(tmp_path: Path) -> None:
    spec = spec_of({"model.activation": ["relu", "tanh"], "train.lr": [0.1, 0.01]})
    _gif(tmp_path / "comparison.gif", (200, 150))
    page = gallery.render_html(spec, fake_results(spec, out=tmp_path), "comparison.gif", tmp_path)
    for r in spec.runs:
        assert f'<a href="{r.name}/anim.gif"><img src="{r.name}/thumb.gif"' in page
        assert f'<a class="full" href="{r.name}/anim.gif">Full GIF · ' in page
        assert f'src="{r.name}/anim.gif"' not in page  # the full animation is linked, not embedded
    imgs = tags(page, "img")
    assert len(imgs) == len(spec.runs) + 1
    for img in imgs:  # sizes read from the files: the layout does not shift as images load
        expected = (200, 150) if img["src"] == "comparison.gif" else THUMB_SIZE
        assert (int(img["width"]), int(img["height"])) == expected
        assert img["alt"].strip()


def test_html_without_thumbnails_embeds_sized_named_media(tmp_path: Path) -> None:
    spec = spec_of({"train.lr": [0.1, 0.01]})
    for fmt in ("gif", "mp4"):
        page = gallery.render_html(spec, fake_results(spec, fmt, tmp_path / fmt, thumbs=False), None, tmp_path / fmt)
        media = tags(page, "img") + tags(page, "video")
        assert len(media) == len(spec.runs)
        for m in media:
            assert (int(m["width"]), int(m["height"])) == FULL_SIZE
            assert (m.get("alt") or m.get("aria-label") or "").startswith("lr=")
        if fmt == "mp4":
            assert len(tags(page, "video")) == 2 and all("aria-label" in v for v in tags(page, "video"))


def test_html_skips_an_unreadable_thumbnail(tmp_path: Path) -> None:
    spec = spec_of({"train.lr": [0.1]})
    runs = fake_results(spec, out=tmp_path)
    (tmp_path / runs[0].thumb).write_bytes(b"GIF89a truncated")
    page = gallery.render_html(spec, runs, None, tmp_path)
    # No broken image: the full animation is shown, at its own size.
    assert [(i["src"], i["width"]) for i in tags(page, "img")] == [(runs[0].path, str(FULL_SIZE[0]))]


def test_html_flat_grid_and_escaping(tmp_path: Path) -> None:
    spec = spec_of({"train.lr": [0.1, 0.01, 0.001]})
    runs = fake_results(spec, out=tmp_path)
    runs[1] = sweep.RunResult(runs[1].name, "failed", error="data file <x> & 'y' is bad")
    page = gallery.render_html(spec, runs, None, tmp_path)
    assert '<div class="flat">' in page and "<table" not in page and "comparison" not in page.split("<body>")[1]
    assert "failed: data file &lt;x&gt; &amp; &#x27;y&#x27; is bad" in page
    assert page.count('class="card ') == 3 and "no animation" in page
    assert "3 runs (2 ok, 1 failed)" in page


def test_markdown_table_and_mp4_posters() -> None:
    spec = spec_of({"model.activation": ["relu", "tanh"], "train.lr": [0.1, 0.01]})
    md = gallery.render_md(spec, fake_results(spec, "mp4", thumbs=False), None)
    assert "| activation \\ lr | lr=0.1 | lr=0.01 |" in md
    assert "| **activation=relu** |" in md
    # Markdown cannot embed video: the poster links to the MP4.
    assert "[![activation=relu, lr=0.1](activation=relu_lr=0.1/anim.png)](activation=relu_lr=0.1/anim.mp4)" in md


def test_markdown_shows_thumbnails_linking_to_the_animations() -> None:
    spec = spec_of({"train.lr": [0.1, 0.01]})
    md = gallery.render_md(spec, fake_results(spec, "webp"), None)
    assert "[![lr=0.1](lr=0.1/thumb.gif)](lr=0.1/anim.webp)" in md and "![lr=0.1](lr=0.1/anim.webp)" not in md


def test_markdown_escapes_pipes_in_errors() -> None:
    spec = spec_of({"train.lr": [0.1]})
    md = gallery.render_md(spec, [sweep.RunResult("lr=0.1", "failed", error="a | b")], None)
    assert "failed: a \\| b" in md


@pytest.mark.parametrize(
    ("lasts", "step", "expected"),
    [([3, 3], 1, (0, 1, 2, 3)), ([2, 5], 2, (0, 2, 4, 5)), ([0], 1, (0,)), ([4], 2, (0, 2, 4))],
)
def test_timeline_covers_every_run_to_its_end(lasts: list[int], step: int, expected: tuple[int, ...]) -> None:
    assert gallery.timeline(lasts, step) == expected


def test_thumbnails_have_at_most_max_frames() -> None:
    cfg = spec_of({"train.epochs": [1000]}).runs[0].cfg
    epochs = thumbs.thumb_epochs(cfg, 1000)
    assert epochs[0] == 0 and epochs[-1] == 1000 and len(epochs) <= thumbs.MAX_FRAMES + 1
    assert thumbs.thumb_epochs(cfg, 7) == (0, 7)  # stopped early: its last epoch closes it


# --- a real sweep ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def early_stop(tmp_path_factory: pytest.TempPathFactory) -> sweep.SweepResult:
    """Two runs; the second stops early on its stop loss."""
    root = tmp_path_factory.mktemp("gallery")
    (root / "stop.toml").write_text(SMALL + '[sweep]\n"train.stop_loss" = [0, 0.67]\n')
    return sweep.run_sweep(root / "stop.toml", root / "out", jobs=2)


def test_every_animation_linked_from_the_pages_exists(early_stop: sweep.SweepResult) -> None:
    out = early_stop.out
    html_refs = re.findall(r'(?:src|href)="([^"]+)"', early_stop.index_html.read_text())
    md_refs = re.findall(r"\]\(([^)]+)\)", early_stop.index_md.read_text())
    for refs in (html_refs, md_refs):
        gifs = {r for r in refs if r.endswith(".gif")}
        assert gifs == {r.path for r in early_stop.runs} | {r.thumb for r in early_stop.runs} | {"comparison.gif"}
        assert all((out / r.thumb).is_file() for r in early_stop.runs)
        assert all((out / r).is_file() for r in refs)


def frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
        return out


def test_comparison_holds_and_marks_a_run_that_stopped_early(early_stop: sweep.SweepResult) -> None:
    full, stopped = early_stop.runs
    assert full.epochs == 6 and stopped.epochs < 6
    shots = frames(early_stop.comparison)
    assert len(shots) == len(gallery.timeline([6, stopped.epochs])) == 7
    t, y0 = thumbs.TILE, gallery.HEADER_H + gallery.LABEL_H + thumbs.METRICS_H
    assert shots[0].shape == (y0 + t, 2 * t, 3)

    def tile(k: int, col: int) -> np.ndarray:  # the input panel under the numbers strip
        return shots[k][y0 : y0 + t, col * t : (col + 1) * t].astype(int)

    at_stop, final = tile(stopped.epochs, 1), tile(-1, 1)
    # Held in full colour (issue 17: the runs that reached their stop loss were greyed out, so the
    # good runs read as failures): away from its badge the tile is the frame it stopped on.
    corner = (slice(0, 20), slice(t // 3, t))
    rest = np.ones(final.shape[:2], bool)
    rest[corner] = False
    assert np.array_equal(final[rest], at_stop[rest])
    assert saturation(final) >= 0.97 * saturation(at_stop) > 0
    ink = lambda a: int((a[corner] <= 100).all(axis=2).sum())  # noqa: E731
    assert ink(final) > ink(at_stop) + 100  # the "stop loss 0.67 reached" badge: its text and outline
    assert not np.array_equal(tile(stopped.epochs, 0), tile(-1, 0))  # the other run kept training


def saturation(rgb: np.ndarray) -> float:
    """Mean HSV saturation: a greyed-out tile has little."""
    rgb = rgb.astype(float)
    hi, lo = rgb.max(axis=-1), rgb.min(axis=-1)
    return float(np.where(hi > 0, (hi - lo) / np.maximum(hi, 1), 0).mean())


def test_every_tile_of_the_comparison_ends_in_full_colour(early_stop: sweep.SweepResult) -> None:
    """The last frame: each tile as saturated as the run's own last thumbnail frame (none greyed)."""
    shots = frames(early_stop.comparison)
    t, y0 = thumbs.TILE, gallery.HEADER_H + gallery.LABEL_H + thumbs.METRICS_H
    for col, run in enumerate(early_stop.runs):
        own = frames(early_stop.out / run.thumb)[-1][thumbs.METRICS_H :].astype(int)
        tile = shots[-1][y0 : y0 + t, col * t : (col + 1) * t].astype(int)
        assert saturation(tile) >= 0.95 * saturation(own) > 0.02, run.name


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 12, 17, 30, 64])
def test_comparison_grid_is_near_square(n: int) -> None:
    grid = gallery.tile_grid(n)
    assert grid.rows * grid.cols >= n > (grid.rows - 1) * grid.cols  # no empty row
    w = grid.cols * thumbs.TILE
    h = gallery.HEADER_H + grid.rows * (gallery.LABEL_H + thumbs.TILE + thumbs.METRICS_H)
    assert 0.5 <= w / h <= 2


def test_comparison_of_a_two_key_table_is_near_square(tmp_path: Path) -> None:
    # 4 x 2 runs used to make a 360 x 872 strip.
    spec = spec_of({"data.name": ["blobs", "xor", "circles", "moons"], "model.activation": ["relu", "tanh"]})
    runs = [sweep.RunResult(r.name, "ok", epochs=3, thumb=f"{r.name}/thumb.gif") for r in spec.runs]
    epochs = len(thumbs.thumb_epochs(spec.runs[0].cfg, 3))
    for r in runs:
        frames = [Image.new("RGB", (thumbs.TILE, thumbs.TILE + thumbs.METRICS_H), (40 * k, 90, 90)) for k in range(epochs)]
        (tmp_path / r.name).mkdir()
        frames[0].save(tmp_path / r.thumb, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(gallery.write_comparison(spec, tmp_path, runs)) as im:
        label_h = comparison._label_h(max(len(comparison.label_lines(spec, r, thumbs.TILE)) for r in spec.runs))
        assert im.size == (3 * thumbs.TILE, gallery.HEADER_H + 3 * (label_h + thumbs.TILE + thumbs.METRICS_H))
        assert 0.5 <= im.width / im.height <= 2


def test_a_label_too_wide_for_its_tile_takes_one_line_per_key() -> None:
    spec = spec_of({"model.activation": ["leaky_relu"], "train.lr": [0.0001], "data.name": ["circles"]})
    run = spec.runs[0]
    assert gallery.label_lines(spec, run, 600) == [gallery.run_label(spec, run)]
    assert gallery.label_lines(spec, run, 150) == ["activation=leaky_relu", "lr=0.0001", "data=circles"]


def test_a_value_too_wide_even_alone_keeps_its_key_and_its_end() -> None:
    """Long file names: the start is the same folder in every run, the end tells them apart."""
    from PIL import Image, ImageDraw

    spec = spec_of({"data.name": ["csv"], "data.path": ["/data/experiments/2026/a_long_training_set_b.csv"]})
    lines = gallery.label_lines(spec, spec.runs[0], 136)
    assert lines[0] == "data=csv" and lines[1].startswith("path=...") and lines[1].endswith("set_b.csv"), lines
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    assert all(measure.textlength(line, font=thumbs.font(12)) <= 136 - 16 for line in lines)  # a gap to the next label
    tiny = gallery.label_lines(spec, spec.runs[0], 40)  # not even "path=..." fits: the end alone
    assert all(measure.textlength(line, font=thumbs.font(12)) <= 40 - 16 for line in tiny), tiny


def test_thumbnails_keep_the_runs_white_exactly_and_hold_the_end(early_stop: sweep.SweepResult) -> None:
    """Tiles side by side in a page must not differ in shade: median cut alone gave (248, 249, 249)."""
    for run in early_stop.runs:
        with Image.open(early_stop.out / run.thumb) as im:
            top = np.asarray(im.convert("RGB"))[: thumbs.METRICS_H]  # the numbers strip: white paper
            assert (top == 255).all(axis=2).mean() > 0.7, run.thumb
            im.seek(im.n_frames - 1)
            assert im.info["duration"] >= 1000  # the end is held, not flashed
    comparison = np.asarray(Image.open(early_stop.comparison).convert("RGB"))
    assert (comparison[: gallery.HEADER_H] == 255).all(axis=2).mean() > 0.7


def test_comparison_is_rebuilt_only_when_runs_change(early_stop: sweep.SweepResult, tmp_path: Path) -> None:
    out = early_stop.out
    digest = gallery.comparison_digest(early_stop.spec, early_stop.runs, out)
    assert gallery.comparison_digest(early_stop.spec, [*early_stop.runs[:1], early_stop.runs[0]], out) != digest
    assert gallery.comparison_digest(early_stop.spec, early_stop.runs) != digest  # the thumbnails' bytes count
    assert '"comparison": "' + digest in (out / gallery.STATE).read_text()


def test_no_comparison_when_every_run_failed(tmp_path: Path) -> None:
    spec = spec_of({"train.lr": [0.1]})
    assert gallery.write_comparison(spec, tmp_path, [sweep.RunResult("lr=0.1", "failed", error="x")]) is None


def test_the_stopped_badge_is_small_and_in_the_panels_top_right_corner() -> None:
    """"stopped at epoch 122" was a box across the middle of a dimmed tile; the badge now sits in the
    corner under the numbers strip and leaves the rest of the tile as it was."""
    rng = np.random.default_rng(0)
    tile = rng.integers(0, 200, (thumbs.TILE + thumbs.METRICS_H, thumbs.TILE, 3)).astype(np.uint8)
    marked = gallery._stopped(tile, "stop loss 0.263 reached")
    changed = (marked != tile).any(axis=2)
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    assert rows.min() >= thumbs.METRICS_H and rows.max() < thumbs.METRICS_H + 20  # under the strip, one line
    assert cols.max() < tile.shape[1] and cols.min() > 0.25 * tile.shape[1]  # the right part only
    assert changed.mean() < 0.08


