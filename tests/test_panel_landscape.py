"""The loss landscape panel (issue 18): the loss over the PCA plane of the path, and the path across it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_run, error_line
from PIL import Image

from nnviz import budget, catalog, render
from nnviz.engine import nn
from nnviz.engine.events import Event
from nnviz.engine.history import History
from nnviz.engine.train import train
from nnviz.errors import ConfigError
from nnviz.render import layout, pipeline, scene
from nnviz.render.animation import Animation
from nnviz.render.panels import landscape as ls
from nnviz.render.panels import trajectory

# Small and quick: 120 samples, a 24-point mesh for the other panels.
BASE = {"train.stop_loss": 0, "render.grid": 24, "data.n_samples": 120}
TASKS = {
    "binary": {"data.name": "blobs"},
    "multiclass": {"data.name": "blobs3"},
    "regression, 1 feature": {"data.name": "sine"},
    "64 features, 2 layers": {"data.name": "digits", "data.n_samples": 300},
}


def _run(**over):
    cfg = catalog.resolve({}, {**BASE, **over})
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


def _anim(run, **render_over):
    cfg, data, hist = run
    r = catalog.with_values(cfg, {"render.panels": "input,landscape,loss", **render_over}).render
    return Animation(hist, data, r)


def _panel(anim) -> ls.LandscapePanel:
    panel = anim.panel("landscape")
    assert isinstance(panel, ls.LandscapePanel)
    return panel


def _view(painter) -> ls.LandscapeView:
    (view,) = [v for v in painter.views if v.name == "landscape"]
    return view


@pytest.fixture(scope="module")
def moons():
    """A 40-epoch moons run: a curved path, so the plane explains most of it but not all."""
    return _run(**{"data.name": "moons", "train.epochs": 40})


# --- Must show 3: the loss on the plane is the engine's loss ------------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_the_loss_at_a_point_of_the_path_on_its_plane_is_the_engines_loss(task):
    """Epochs 0 to 2 are three points, which always lie on their own PCA plane: at each one the
    landscape's loss (computed as the map's nodes are) is nn.loss of that epoch's parameters."""
    cfg, data, hist = run = _run(**{**TASKS[task], "train.epochs": 2})
    assert len(hist) == 3
    panel = _panel(_anim(run))
    assert panel.plane is not None and panel.map is not None
    for i, epoch in enumerate(hist.epochs):
        u, v = panel.plane.coords[i]
        engine = nn.loss(hist.model, epoch.params, data.X, data.y)
        assert panel.loss_at(float(u), float(v)) == pytest.approx(engine, rel=1e-9)
        assert engine == pytest.approx(epoch.loss, rel=1e-12)  # the History's loss column
    assert panel.plane.explained == pytest.approx(1.0, abs=1e-12)
    assert "100% of the path" in panel.title


def test_every_node_of_the_map_is_the_engines_loss_there(moons):
    """The map's rows run along PC2 and its columns along PC1, each node nn.loss at that point."""
    cfg, data, hist = moons
    panel = _panel(_anim(moons))
    m, plane = panel.map, panel.plane
    assert m is not None and plane is not None
    for i, j in [(0, 0), (0, len(m.u) - 1), (len(m.v) - 1, 0), (len(m.v) // 2, len(m.u) // 3)]:
        engine = nn.loss(hist.model, plane.params_at(float(m.u[j]), float(m.v[i])), data.X, data.y)
        assert m.loss[i, j] == pytest.approx(engine, rel=1e-9), (i, j)


def test_the_frame_shows_the_true_loss_next_to_the_loss_at_its_projection(moons):
    """Off the plane the two differ, and the text says both; the trained network is the origin, on it."""
    anim = _anim(moons)
    panel, hist = _panel(anim), anim.history
    frames = [anim.frame(i) for i in range(len(hist))]
    spots = [f.panels["landscape"] for f in frames]
    for spot, epoch in zip(spots, hist.epochs):
        assert spot.loss == epoch.loss
        assert spot.on_plane == pytest.approx(panel.loss_at(*map(float, spot.point)), rel=1e-12)
    assert np.array_equal(spots[-1].point, [0.0, 0.0]) and spots[-1].on_plane == pytest.approx(spots[-1].loss)
    assert max(abs(s.on_plane - s.loss) / s.loss for s in spots) > 1e-4  # somewhere the path leaves the plane
    painter = anim.painter()
    try:
        painter.render(frames[len(frames) // 2])
        text = _view(painter).artists[2].get_text()
    finally:
        painter.close()
    spot = spots[len(frames) // 2]
    assert f"true loss {spot.loss:.4f}" in text and f"at the dot {spot.on_plane:.4f}" in text


# --- Must show 3: the explained variance --------------------------------------------------------


def test_the_explained_fraction_is_between_0_and_1_and_is_what_the_plane_holds(moons):
    """It is the share of the path's squared distance from the trained network in the plane:
    the top two singular values of the trajectory matrix, squared, over all of them."""
    cfg, data, hist = moons
    panel = _panel(_anim(moons))
    plane = panel.plane
    assert plane is not None
    r1, r2 = plane.ratios
    assert 0.0 <= plane.explained <= 1.0 and 0.0 <= r2 <= r1 <= 1.0
    final = np.concatenate([p.ravel() for p in hist.last.params])
    matrix = np.stack([np.concatenate([p.ravel() for p in e.params]) - final for e in hist.epochs])
    s = np.linalg.svd(matrix, compute_uv=False) ** 2
    assert plane.explained == pytest.approx(s[:2].sum() / s.sum(), rel=1e-9)
    assert plane.explained < 0.999  # a curved path: the plane does not hold it all
    assert r1 == pytest.approx(s[0] / s.sum(), rel=1e-9)
    shown = f"{plane.explained:.1%}"
    assert shown in panel.title and f"PC1 ({r1:.1%})" == panel.labels[0]


def test_directions_have_fixed_signs_and_reruns_agree(moons):
    """Training runs left to right: the path's farthest point along each direction is negative."""
    first, second = _panel(_anim(moons)), _panel(_anim(moons))
    assert first.plane is not None and second.plane is not None
    c = first.plane.coords
    for k in (0, 1):
        assert c[np.abs(c[:, k]).argmax(), k] < 0
    assert np.array_equal(c, second.plane.coords) and np.array_equal(first.map.loss, second.map.loss)
    d1, d2 = first.plane.directions
    assert trajectory.dot(d1, d1) == pytest.approx(1.0) and trajectory.dot(d2, d2) == pytest.approx(1.0)
    assert abs(trajectory.dot(d1, d2)) < 1e-12


# --- runs with no plane --------------------------------------------------------------------------


def _texts(painter) -> list[str]:
    painter.canvas.draw()
    return [t.get_text() for t in layout.visible_texts(painter.fig)]


@pytest.mark.parametrize("epochs", [0, 1])
def test_a_run_of_fewer_than_3_epochs_says_so_in_the_panel(epochs):
    # A stop loss above the untrained loss ends the run at epoch 0.
    over = {"train.epochs": 5, "train.stop_loss": 5.0} if epochs == 0 else {"train.epochs": epochs}
    anim = _anim(_run(**over))
    assert len(anim.history) == epochs + 1
    assert _panel(anim).plane is None
    painter = anim.painter()
    try:
        painter.render(anim.frame(anim.indices[-1]))
        texts = _texts(painter)
    finally:
        painter.close()
    shown = "1 epoch" if epochs == 0 else "2 epochs"
    assert f"needs 3 or more epochs\n(this run has {shown})" in texts


def _moved(hist: History, where) -> History:
    """``hist`` with every epoch's parameters replaced by ``where(i, first, last)``."""
    first, last = hist.epochs[0].params, hist.last.params
    n = len(hist) - 1
    epochs = tuple(
        replace(e, params=tuple(where(i / n, a, b) for a, b in zip(first, last))) for i, e in enumerate(hist.epochs)
    )
    return replace(hist, epochs=epochs)


@pytest.mark.parametrize(
    ("where", "says"),
    [
        (lambda t, a, b: a + t * (b - a), "the path is a straight line:\nit has no second direction"),
        (lambda t, a, b: a.copy(), "the parameters never moved:\nthere is no path to draw"),
    ],
    ids=["straight line", "never moved"],
)
def test_a_path_with_no_second_direction_says_so_and_still_draws(where, says):
    cfg, data, hist = _run(**{"train.epochs": 6})
    anim = _anim((cfg, data, _moved(hist, where)))
    assert _panel(anim).reason == says
    painter = anim.painter()
    try:
        for i in anim.indices:
            painter.render(anim.frame(i))
        assert says in _texts(painter)
    finally:
        painter.close()


# --- the frames ---------------------------------------------------------------------------------


def _panel_pixels(painter, pixels):
    """The landscape axes' pixels of a rendered frame (rows from the top)."""
    box = _view(painter).ax.get_window_extent()
    h = pixels.shape[0]
    return pixels[int(h - box.y1) + 2 : int(h - box.y0) - 2, int(box.x0) + 2 : int(box.x1) - 2]


def test_the_current_point_and_the_path_move_with_the_frames(moons):
    anim = _anim(moons, **{"render.size": "600x200"})
    coords = _panel(anim).plane.coords
    painter = anim.painter()
    seen = []
    try:
        for i in (0, 10, 40):
            pixels = painter.render(anim.frame(i))
            path, here, _text = _view(painter).artists
            assert np.array_equal(np.column_stack(here.get_data()), coords[i : i + 1])
            assert np.array_equal(np.column_stack(path.get_data()), coords[: i + 1])
            seen.append(_panel_pixels(painter, pixels).copy())
    finally:
        painter.close()
    assert not np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[1], seen[2])


def test_the_map_is_drawn_in_its_band_colours_with_a_colour_key(moons):
    """Every band's colour is in the frame (the GIF palette keeps them exact), and the key says what they are."""
    anim = _anim(moons)
    painter = anim.painter()
    try:
        pixels = painter.render(anim.frame(anim.indices[-1])).copy()
        view = _view(painter)
        label = view.bar.ax.get_ylabel()
    finally:
        painter.close()
    assert label.startswith("training loss")
    colours = (np.array(ls.band_colours()) * 255).round().astype(int)
    region = _panel_pixels(painter, pixels).reshape(-1, 3).astype(int)
    present = [np.any(np.abs(region - c).max(axis=1) <= 1) for c in colours]
    assert sum(present) >= ls.LEVELS - 2, present
    assert np.isin(colours, anim.palette_colors()).all()


def test_the_key_is_logarithmic_when_the_loss_spans_a_decade():
    assert ls.bands(0.02, 3.0)[1] and not ls.bands(0.2, 1.5)[1]
    levels, log = ls.bands(0.02, 3.0)
    assert levels[0] == 0.02 and levels[-1] == 3.0 and np.allclose(np.diff(np.log(levels)), np.log(150) / ls.LEVELS)
    assert not ls.bands(0.0, 5.0)[1]  # a loss of 0 has no logarithm: linear bands
    assert len(ls.bands(0.7, 0.7)[0]) == ls.LEVELS + 1  # a flat map still has bands


@pytest.mark.parametrize("size", ["1200x400", "600x200"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression, 1 feature"])
def test_no_text_overlaps(size, task):
    anim = _anim(_run(**{**TASKS[task], "train.epochs": 12}), **{"render.size": size})
    painter = anim.painter()
    try:
        painter.render(anim.frame(anim.indices[len(anim.indices) // 2]))
        painter.canvas.draw()
        assert not layout.text_clashes(painter.fig)
        texts = [t.get_text() for t in layout.visible_texts(painter.fig)]
    finally:
        painter.close()
    assert any(t.startswith("true loss") for t in texts), texts
    assert any(t.startswith("Loss landscape") for t in texts), texts


@pytest.mark.parametrize(
    ("panels", "size", "shown"),
    [("input,landscape,loss", "600x200", True), ("input,hidden,loss,neurons,landscape", "480x160", False)],
)
def test_a_panel_too_narrow_for_the_loss_text_leaves_it_out(moons, panels, size, shown):
    """Five panels at 480x160 leave ~70 px for the landscape: its text would spill over the key and the next panel."""
    anim = _anim(moons, **{"render.panels": panels, "render.size": size})
    painter = anim.painter()
    try:
        for i in (5, 6):
            painter.render(anim.frame(i))
        text = _view(painter).artists[2]
        assert text.get_visible() == shown
        painter.canvas.draw()
        if shown:
            inside = _view(painter).ax.get_window_extent()
            box = text.get_window_extent()
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
        assert not layout.text_clashes(painter.fig)
    finally:
        painter.close()


def test_the_text_goes_to_the_corner_the_path_leaves_free():
    lim = (0.0, 1.0, 0.0, 1.0)
    across_the_top = np.column_stack([np.linspace(0.05, 0.95, 20), np.full(20, 0.9)])
    assert ls.text_corner(across_the_top, lim) == "lower left"
    in_the_upper_left = np.array([[0.1, 0.9], [0.2, 0.8]])
    assert ls.text_corner(in_the_upper_left, lim) == "upper right"


# --- the budget ---------------------------------------------------------------------------------


def test_the_grid_is_the_largest_that_fits_the_cap():
    for sizes, n, snapshots in [((2, 8, 1), 400, 201), ((64, 32, 2, 10), 1797, 61), ((2, 64, 64, 1), 2_000, 101)]:
        model = nn.Model(sizes, "tanh", "ce" if sizes[-1] > 1 else "bce")
        res = ls.resolution(model, n, snapshots)
        once, node = ls.plane_work(model, snapshots, n), ls.pass_work(model, n)
        assert ls.MIN_RES <= res <= ls.MAX_RES and once + res**2 * node <= ls.WORK_CAP
        assert res == ls.MAX_RES or once + (res + 1) ** 2 * node > ls.WORK_CAP, (sizes, res)
    assert ls.resolution(nn.Model((2, 64, 64, 1)), 20_000, 101) == 0  # not even MIN_RES: refused


def test_a_landscape_too_costly_even_coarse_is_refused_before_training(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("trained before the budget refused the run")

    monkeypatch.setattr(pipeline, "_trained", never)
    out = tmp_path / "big.gif"
    args = ["--n-samples", "100000", "--hidden", "64,64", "--epochs", "3", "--out", str(out), "--quiet"]
    code, output = cli_run("animate", "--panels", "input,landscape", *args)
    line = error_line(output)
    assert code == 1 and output.strip() == line
    assert line.startswith("Error: --panels landscape evaluates the training loss at 9x9 points of its plane")
    assert "leave landscape out of --panels" in line
    assert not any(tmp_path.iterdir())
    # The --n-samples it suggests fits, and one more sample than that cap's does not.
    most = int(re.search(r"--n-samples <= ([\d,]+)", line).group(1).replace(",", ""))
    over = {"data.n_samples": most, "model.hidden": (64, 64), "train.epochs": 3, "render.panels": "landscape"}
    cfg = catalog.resolve({}, over)
    budget.check_drawing(cfg, render.load_data(cfg))
    cfg = catalog.with_values(cfg, {"data.n_samples": int(most * 1.05) + 1})
    with pytest.raises(ConfigError, match="--panels landscape"):
        budget.check_drawing(cfg, render.load_data(cfg))
    # Without the landscape the refused run is within every cap.
    cfg = catalog.resolve({}, {"data.n_samples": 100_000, "model.hidden": (64, 64), "train.epochs": 3})
    budget.check_drawing(catalog.with_values(cfg, {"render.panels": "input"}), render.load_data(cfg))


# --- every format, both engines, sweeps ----------------------------------------------------------

MAGIC = {"gif": b"GIF8", "mp4": b"\x00\x00\x00", "webp": b"RIFF", "html": b"<!DOC", "png": b"\x89PNG"}
SMALL_RUN = ["--n-samples", "60", "--epochs", "6", "--stop-loss", "0", "--grid", "16", "--size", "480x160", "--quiet"]


@pytest.mark.parametrize("fmt", MAGIC)
def test_every_format(tmp_path, fmt):
    out = tmp_path / f"run.{fmt}"
    code, output = cli_run("animate", "--panels", "input,landscape,loss", *SMALL_RUN, "--out", str(out))
    assert code == 0, output
    assert out.read_bytes()[: len(MAGIC[fmt])].upper() == MAGIC[fmt].upper()


@pytest.mark.parametrize("extra", [["--axes", "per-frame"], ["--engine", "celluloid"]], ids=["per-frame", "celluloid"])
def test_per_frame_axes_and_the_celluloid_engine_draw_the_map_and_its_key_in_every_frame(tmp_path, extra):
    """The celluloid engine keeps only what each frame adds: the key's bands must be added each frame
    (matplotlib's own colorbar showed them on frame 0 alone)."""
    out = tmp_path / "run.gif"
    code, output = cli_run("animate", "--panels", "landscape,loss", *SMALL_RUN, *extra, "--out", str(out))
    assert code == 0, output
    cfg = catalog.resolve({}, {"data.n_samples": 60, "train.epochs": 6, "train.stop_loss": 0})
    data = render.load_data(cfg)
    run = (cfg, data, train(cfg, data))
    anim = _anim(run, **{"render.panels": "landscape,loss", "render.size": "480x160", "render.grid": 16})
    painter = anim.painter()
    try:
        box = _view(painter).bar.ax.get_window_extent()
        assert box.width >= 4  # a key that can be seen at this size
    finally:
        painter.close()
    colours = (np.array(ls.band_colours()) * 255).round().astype(int)
    with Image.open(out) as im:
        assert im.n_frames == 7
        for k in (1, 6):
            im.seek(k)
            px = np.asarray(im.convert("RGB")).astype(int)
            h = px.shape[0]
            key = px[int(h - box.y1) + 2 : int(h - box.y0) - 2, int(box.x0) + 1 : int(box.x1) - 1].reshape(-1, 3)
            shown = sum(np.any(np.abs(key - c).max(axis=1) <= 1) for c in colours)
            assert shown >= ls.LEVELS - 1, (k, shown)


SWEEP = """
[data]
name = "blobs"
n_samples = 60
[train]
epochs = 4
stop_loss = 0
[render]
grid = 16
size = "480x160"
hold = 0
panels = ["input", "landscape"]
[sweep]
"train.lr" = [0.1, 0.01]
"""


def test_a_sweep_draws_the_landscape_in_every_run(tmp_path):
    spec = tmp_path / "grid.toml"
    spec.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "out"
    code, output = cli_run("sweep", str(spec), "--out", str(out), "--jobs", "1", "--quiet")
    assert code == 0, output
    gifs = sorted(p for p in out.glob("*/*.gif") if p.name != "thumb.gif")
    assert [p.parent.name for p in gifs] == ["lr=0.01", "lr=0.1"]
    colours = (np.array(ls.band_colours()) * 255).round().astype(int)
    for gif in gifs:
        with Image.open(gif) as im:
            im.seek(im.n_frames - 1)
            px = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
        assert sum(np.any(np.abs(px - c).max(axis=1) <= 1) for c in colours) >= ls.LEVELS - 2, gif


def test_a_history_rerender_draws_the_same_landscape(tmp_path):
    out = tmp_path / "run.png"
    code, output = cli_run("animate", "--panels", "landscape", *SMALL_RUN, "--format", "png", "--out", str(out))
    assert code == 0, output
    again = tmp_path / "again.png"
    code, output = cli_run(
        "animate", "--history", str(out.with_suffix(".csv")), "--panels", "landscape", "--out", str(again), "--quiet"
    )
    assert code == 0, output
    assert Path(again).read_bytes() == out.read_bytes()


@pytest.mark.parametrize(("size", "caption"), [("1200x400", ls.CAPTION), ("600x200", ls.SHORT_CAPTION)])
def test_the_caption_says_what_is_drawn_and_fits_without_the_frame_giving_way(moons, size, caption):
    """At 1200x400 the full caption fits under the panel, so nothing else gives way (a long one cost every
    panel its tick labels and its caption); at 600x200 the short one."""
    anim = _anim(moons, **{"render.size": size})
    painter = anim.painter()
    try:
        painter.render(anim.frame(anim.indices[-1]))
        painter.canvas.draw()
        view = _view(painter)
        assert view.caption is not None and view.caption.get_visible()
        assert view.caption.get_text() == caption
        assert all(v.caption is not None and v.caption.get_visible() for v in painter.views)
        if size == "1200x400":
            assert any(t.get_visible() and t.get_text() for t in view.ax.get_xticklabels())
        assert not layout.text_clashes(painter.fig)
    finally:
        painter.close()
    assert "\n" not in ls.CAPTION and "orange" in ls.CAPTION and "orange" in ls.SHORT_CAPTION



def test_the_notebooks_artist_animation_has_the_map_and_key_in_every_frame():
    """``celluloid_animation`` (what a notebook shows with ``to_jshtml``): each frame holds its own map and key."""
    from matplotlib.collections import QuadMesh
    from matplotlib.contour import ContourSet

    from nnviz.render.celluloid import celluloid_animation

    cfg, data, hist = _run(**{"train.epochs": 4})
    cfg = catalog.with_values(cfg, {"render.panels": "landscape,loss", "render.size": "480x160"})
    artists = celluloid_animation(hist, data, cfg)
    try:
        frames = artists._framedata
        assert len(frames) == 5
        for frame in frames:
            assert any(isinstance(a, ContourSet) for a in frame) and any(isinstance(a, QuadMesh) for a in frame)
        assert artists.to_jshtml().count("data:image/png;base64") == 5
    finally:
        artists._fig.clear()


def test_two_painters_write_the_same_bytes_as_one(tmp_path):
    """``nnviz animate`` paints every other frame in a forked helper: the landscape's frames match."""
    cfg = catalog.resolve({}, {**BASE, "train.epochs": 6, "render.panels": "input,landscape", "render.size": "480x160"})
    data = render.load_data(cfg)
    hist = train(cfg, data)
    one = pipeline.animate(cfg, tmp_path / "one.gif", history=hist, data=data, workers=1)
    two = pipeline.animate(cfg, tmp_path / "two.gif", history=hist, data=data, workers=2)
    assert one.path.read_bytes() == two.path.read_bytes()


@pytest.mark.parametrize(("panels", "host"), [("landscape,input", "input"), ("landscape,loss", "loss"), ("landscape", None)])
def test_another_panels_event_is_never_named_under_the_landscape(moons, panels, host):
    """An event no panel concerns goes to the first panel that hosts others, never the landscape: under a
    plane of parameters "the layer collapsed: ... the plane folds to a curve" misreads."""
    anim = _anim(moons, **{"render.panels": panels})
    collapsed = Event("collapsed", 0, 5, "the layer collapsed: the plane folds to a curve", layer=1)
    notes = scene.notes(anim.panels, [collapsed], 2)
    assert notes == ({host: collapsed} if host else {})
