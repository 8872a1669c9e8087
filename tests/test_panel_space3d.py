"""The 3-D panels (issue 18, tensorflow/playground#108): a 3-wide layer's space, turning, with the output's plane."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from mpl_toolkits.mplot3d import proj3d
from PIL import Image, ImageSequence

from nnviz import catalog, render, sweep
from nnviz.cli import cli
from nnviz.engine import nn
from nnviz.engine.train import train
from nnviz.errors import ConfigError
from nnviz.render import layout
from nnviz.render.animation import Animation
from nnviz.render.colours import class_colors
from nnviz.render.panels import PANELS, space3d
from nnviz.render.scene import pad, union
from nnviz.render.scene import space3d as view3

CIRCLES = {"data.name": "circles", "model.hidden": (3,), "train.seed": 0, "data.n_samples": 200}


def _run(**over):
    values = {**CIRCLES, "train.epochs": 10, "train.stop_loss": 0, "render.grid": 24, **over}
    cfg = catalog.resolve({}, values)
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


@pytest.fixture(scope="module")
def circles():
    return _run()


@contextlib.contextmanager
def _animation(run, **render_over):
    """(animation, painter) for ``run`` drawn with ``render_over``; the painter closed afterwards."""
    cfg, data, hist = run
    anim = Animation(hist, data, catalog.with_values(cfg, render_over).render)
    painter = anim.painter()
    try:
        yield anim, painter
    finally:
        painter.close()


def _view(painter, name="activation3d"):
    return next(v for v in painter.views if v.name == name)


def _limits(ax):
    return (*ax.get_xlim(), *ax.get_ylim(), *ax.get_zlim())


def _turned(frame, name, azim):
    """``frame`` with its 3-D panel's camera at ``azim``."""
    return replace(frame, panels={**frame.panels, name: replace(frame.panels[name], azim=float(azim))})


# --- Must show 3: fixed axes, a constant turn, the plane ---------------------------------------


def test_the_3d_axes_stay_fixed_over_every_frame(circles):
    with _animation(circles, **{"render.panels": "input,activation3d"}) as (anim, painter):
        ax = _view(painter).ax
        fixed = anim.limits["activation3d"]
        assert len(fixed) == 6
        seen = []
        for frame in anim.frames():
            painter.render(frame)
            seen.append(_limits(ax))
            lo, hi = np.array(fixed[0::2]), np.array(fixed[1::2])
            cloud = frame.panels["activation3d"]
            for pts in (cloud.points, cloud.grid.reshape(-1, 3)):  # every drawn value inside the box
                assert ((pts >= lo) & (pts <= hi)).all()
        assert len(seen) == len(anim) == 11
        assert all(np.allclose(lim, fixed) for lim in seen), seen
    # The same reading tells per-frame axes apart: the check can fail.
    with _animation(circles, **{"render.panels": "input,activation3d", "render.axes": "per-frame"}) as (anim, p):
        own = []
        for frame in anim.frames():
            p.render(frame)
            own.append(_limits(_view(p).ax))
        assert not all(np.allclose(lim, own[0]) for lim in own)


@pytest.mark.parametrize("over", [{}, {"render.every": 3}, {"render.log_frames": 6}], ids=["every1", "every3", "log"])
def test_the_camera_turns_the_same_degrees_every_frame_whatever_the_epochs_between(circles, over):
    with _animation(circles, **{"render.panels": "activation3d,loss", **over}) as (anim, painter):
        ax = _view(painter).ax
        angles = []
        for frame in anim.frames():
            painter.render(frame)
            angles.append((ax.azim, ax.elev))
        azim = np.array([a for a, _ in angles])
        steps = (np.diff(azim) + 180) % 360 - 180
        assert len(azim) == len(anim) >= 4
        assert np.allclose(steps, view3.DEG_PER_FRAME), steps
        assert {e for _, e in angles} == {view3.ELEV}
        # Every run ends on the same camera, the one the poster shows.
        assert azim[-1] == pytest.approx(anim.panel("activation3d").end)


def test_the_separating_plane_is_where_the_output_layer_decides(circles):
    cfg, data, hist = circles
    with _animation(circles, **{"render.panels": "activation3d"}) as (anim, painter):
        view = _view(painter)
        for i in anim.indices:
            frame = anim.frame(i)
            painter.render(frame)
            cloud = frame.panels["activation3d"]
            (plane,) = cloud.planes
            w, b = hist.epochs[i].params[2][:, 0], hist.epochs[i].params[3][0]  # the output layer: a.w + b
            verts = plane.polygon
            assert len(verts) >= 3
            scale = np.abs(verts) @ np.abs(w) + abs(b)
            assert np.all(np.abs(verts @ w + b) <= 1e-9 * scale), verts @ w + b
            lo, hi = np.array(cloud.limits[0::2]), np.array(cloud.limits[1::2])
            assert ((verts >= lo - 1e-9) & (verts <= hi + 1e-9)).all()  # clipped to the axes box
            # The view draws that one polygon, tinted by the class on the camera's side.
            poly = view.artists[2]
            assert len(poly.get_paths()) == 1
            colour = class_colors(anim.scene)[cloud.facing[0]]
            assert np.allclose(poly.get_facecolor()[0], (*colour, space3d.PLANE_ALPHA))


def test_circles_are_cut_apart_by_a_plane_in_the_3d_activation_space():
    """The classic lesson: no line parts the circles in the plane; lifted into 3-D by three units, a plane does."""
    cfg, data, hist = _run(**{"train.epochs": 200, "train.stop_loss": 0.05, "data.n_samples": 400})
    with _animation((cfg, data, hist), **{"render.panels": "input,activation3d"}) as (anim, painter):
        cloud = anim.frame(anim.indices[-1]).panels["activation3d"]
        (plane,) = cloud.planes
        above = cloud.points @ plane.normal + plane.offset > 0
        labels = anim.scene.y.astype(int) == 1
        assert (above == labels).mean() >= 0.97
        # and the points sit on three axes that span 3-D, not on a flat sheet
        assert np.linalg.svd(cloud.points - cloud.points.mean(axis=0), compute_uv=False)[2] > 0.05


def test_multiclass_faces_are_where_two_classes_tie_and_beat_the_rest():
    cfg, data, hist = _run(**{"data.name": "blobs3", "train.epochs": 30, "data.n_samples": 300})
    with _animation((cfg, data, hist), **{"render.panels": "input,activation3d,loss"}) as (anim, painter):
        frame = anim.frame(anim.indices[-1])
        painter.render(frame)
        cloud = frame.panels["activation3d"]
        W, b = hist.last.params[2], hist.last.params[3]
        assert 1 <= len(cloud.planes) <= 3
        for plane in cloud.planes:
            j, i = plane.classes
            logits = plane.polygon @ W + b
            span = np.abs(logits).max()
            assert np.allclose(logits[:, i], logits[:, j], atol=1e-9 * span)
            assert (logits[:, [i]] >= logits - 1e-9 * span).all()  # the two winners there
        assert len(_view(painter).artists[2].get_paths()) == len(cloud.planes)


def test_a_wider_layer_is_drawn_on_its_decision_axes_where_the_last_plane_is_exact():
    cfg, data, hist = _run(**{"data.name": "moons", "model.hidden": (6,), "train.epochs": 40})
    with _animation((cfg, data, hist), **{"render.panels": "hidden3d,activation3d"}) as (anim, painter):
        a3 = anim.panel("activation3d")
        assert a3.view.projected and a3.view.labels[0] == "output axis"
        assert "6 units projected" in a3.title
        assert anim.panel("hidden3d").view.labels == ("PC1", "PC2", "PC3")  # z: the output decides on a, not z
        cloud = anim.frame(anim.indices[-1]).panels["activation3d"]
        (plane,) = cloud.planes
        logit = nn.forward(hist.model, hist.last.params, anim.scene.X).z[-1][:, 0]
        assert np.array_equal(cloud.points @ plane.normal + plane.offset > 0, logit > 0)
        assert not anim.frame(anim.indices[-1]).panels["hidden3d"].planes


def _up_is_nearer(view, plane):
    """Whether matplotlib's projection puts the plane's ``p . normal > 0`` side nearer the camera."""
    centre = plane.polygon.mean(axis=0)
    n = plane.normal / np.linalg.norm(plane.normal) * 0.01
    depth = [proj3d.proj_transform(*(centre + s * n), view.ax.M)[2] for s in (1, -1)]
    return depth[0] < depth[1]  # smaller is nearer: matplotlib draws it last


def test_what_is_on_the_cameras_side_of_the_plane_is_what_matplotlib_puts_nearer(circles):
    with _animation(circles, **{"render.panels": "activation3d"}) as (anim, painter):
        view = _view(painter)
        last = anim.frame(anim.indices[-1])
        for azim in range(-180, 180, 30):  # the rule, all round the turn
            frame = _turned(last, "activation3d", azim)
            painter.render(frame)
            cloud = frame.panels["activation3d"]
            (plane,) = cloud.planes
            assert view3.faces_camera(plane.normal, cloud.limits, azim, view3.ELEV) == _up_is_nearer(view, plane)
        for frame in anim.frames():  # and each frame's own split and tint
            painter.render(frame)
            cloud = frame.panels["activation3d"]
            (plane,) = cloud.planes
            up = _up_is_nearer(view, plane)
            assert cloud.facing[0] == plane.classes[int(up)]
            assert np.array_equal(cloud.front, (cloud.points @ plane.normal + plane.offset > 0) == up)


# --- what a student sees -------------------------------------------------------------------------


def test_names_help_and_caption():
    assert {"hidden3d", "activation3d"} <= set(PANELS)
    cfg, data, hist = _run(**{"train.epochs": 2})
    anim = Animation(hist, data, catalog.with_values(cfg, {"render.panels": "hidden3d,activation3d"}).render)
    z, a = anim.panel("hidden3d"), anim.panel("activation3d")
    assert z.title == "Hidden space in 3-D (pre-activation z)" and a.title == "Activation space in 3-D (tanh(z))"
    assert a.caption == "after tanh: the tinted plane is the boundary"
    assert z.caption == "input grid after z = xW₁ + b₁, in 3-D"
    assert len(a.short_caption) < len(a.caption) and len(z.short_caption) < len(z.caption)


def test_the_panel_is_there_with_the_class_colours_and_a_cube():
    cfg, data, hist = _run(**{"train.epochs": 30})
    with _animation((cfg, data, hist), **{"render.panels": "input,activation3d,loss"}) as (anim, painter):
        pixels = painter.render(anim.frame(anim.indices[-1])).copy()
        ax = _view(painter).ax
        x0, y0, x1, y1 = (int(v) for v in ax.bbox.extents)
        h = pixels.shape[0]
        region = pixels[h - y1 : h - y0, x0:x1].reshape(-1, 3).astype(int)
        for colour in class_colors(anim.scene):  # both classes' points are drawn in the panel
            rgb = np.round(np.array(colour) * 255)
            assert (np.abs(region - rgb).sum(axis=1) < 12).sum() > 20
        assert ax.get_xlabel() == "a₁" and ax.get_ylabel() == "a₂" and ax.get_zlabel() == "a₃"
        assert ax.get_proj_type() == "ortho" if hasattr(ax, "get_proj_type") else True
        assert ax.name == space3d.TURNING_AXES


def test_the_other_panels_stay_blitted_while_the_3d_one_turns(circles):
    """Between two frames of one epoch seen from two angles only the 3-D panel's pixels change."""
    with _animation(circles, **{"render.panels": "input,activation3d,loss"}) as (anim, painter):
        last = anim.frame(anim.indices[-1])
        a = painter.render(_turned(last, "activation3d", 0)).copy()
        b = painter.render(_turned(last, "activation3d", 40)).copy()
        changed = np.flatnonzero((a != b).any(axis=2).any(axis=0))
        ax = _view(painter).ax
        left, right = painter.views[0].ax.bbox.x1, painter.views[2].ax.bbox.x0
        assert changed.size and left < changed.min() and changed.max() < right
        assert ax.bbox.x0 - 60 < changed.min() and changed.max() < ax.bbox.x1 + 60


@pytest.mark.parametrize("size", ["1200x400", "600x200"])
@pytest.mark.parametrize(
    ("over", "panels"),
    [
        ({"data.test_fraction": 0.25}, "input,activation3d,loss"),
        ({}, "hidden3d,input,activation3d"),
        ({"data.name": "blobs3"}, "input,activation3d,loss"),
        ({"data.name": "sine", "data.n_samples": 60}, "input,hidden3d,activation3d"),  # a colour scale beside
    ],
    ids=["binary", "between", "multiclass", "regression"],
)
def test_no_text_overlaps_at_any_angle_of_the_turn(over, panels, size):
    with _animation(_run(**over), **{"render.panels": panels, "render.size": size}) as (anim, painter):
        assert not painter.clashes, painter.clashes
        last = anim.frame(anim.indices[-1])
        names = [p.name for p in anim.panels if p.axes != "2d"]
        for azim in range(-180, 180, 20):
            frame = last
            for name in names:
                frame = _turned(frame, name, azim)
            painter.render(frame)
            assert not layout.text_clashes(painter.fig), (azim, layout.text_clashes(painter.fig))
        texts = [t.get_text() for t in layout.visible_texts(painter.fig)]
        assert any(t.startswith("Epoch") for t in texts) and any("in 3-D" in t for t in texts), texts
        if size == "1200x400":  # room for every caption: the 3-D panels' are kept too
            assert all(v.caption.get_visible() for v in painter.views if v.panel.axes != "2d")


def test_the_caption_is_drawn_under_the_cube_below_every_label_of_the_turn(circles):
    """Its view draws its own axes, so it draws its caption too; it hangs below where any label swings."""
    with _animation(circles, **{"render.panels": "input,activation3d,loss"}) as (anim, painter):
        view, renderer = _view(painter), painter.fig.canvas.get_renderer()
        last = anim.frame(anim.indices[-1])
        pixels = painter.render(last).copy()
        box = view.caption.get_window_extent(renderer)
        assert view.caption.get_text() == "after tanh: the tinted plane is the boundary"
        h = pixels.shape[0]
        ink = pixels[h - int(box.y1) : h - int(box.y0), int(box.x0) : int(box.x1)]
        assert (ink.min(axis=2) < 160).sum() > 50  # the caption's grey letters are there
        centre = (view.ax.bbox.x0 + view.ax.bbox.x1) / 2
        assert abs((box.x0 + box.x1) / 2 - centre) < 2
        for azim in range(-180, 180, 15):  # it stays put while the labels turn, and under them all
            painter.render(_turned(last, "activation3d", azim))
            assert view.caption.get_window_extent(renderer).y0 == box.y0
            labels = [a.label.get_window_extent(renderer) for a in (view.ax.xaxis, view.ax.yaxis, view.ax.zaxis)]
            assert all(b.y0 >= box.y1 for b in labels), azim


def test_unit_events_are_named_in_the_3d_panel_of_their_layer(circles):
    """A dead or pinned unit shows in a, a layer folded onto a line in z, as the 2-D layer panels say."""
    from nnviz.engine.events import Event
    from nnviz.render.scene import notes

    with _animation(circles, **{"render.panels": "input,hidden3d,activation3d"}) as (anim, _painter):
        z, a = anim.panel("hidden3d"), anim.panel("activation3d")
        dead = Event("dead", 0, 5, "a₂ is dead", layer=1, units=(1,))
        collapsed = Event("collapsed", 0, 5, "z₁ and z₂ point the same way", layer=1)
        assert a.concerns(dead) and not z.concerns(dead)
        assert z.concerns(collapsed) and not a.concerns(collapsed)
        assert not a.concerns(replace(dead, layer=2))
        assert notes(anim.panels, [dead, collapsed], 3) == {"activation3d": dead, "hidden3d": collapsed}


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hidden", "layer", "says"),
    [
        ("2", None, "layer 1 has 2: set --hidden with a layer of 3 or more units (--hidden 3)"),
        ("3,2", None, "layer 2 has 2: pick one with --layer 1"),
        ("3,1", "2", "layer 2 has 1: pick one with --layer 1"),
    ],
)
@pytest.mark.parametrize("panel", ["hidden3d", "activation3d"])
def test_a_layer_narrower_than_3_is_refused_in_one_line_before_training(tmp_path, hidden, layer, says, panel):
    args = ["animate", "--hidden", hidden, "--panels", f"input,{panel}", "--out", str(tmp_path / "x.gif")]
    r = CliRunner().invoke(cli, [*args, *(["--layer", layer] if layer else [])])
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert lines == [f"Error: --panels {panel} draws a hidden layer of 3 or more units in 3-D, and {says}"]
    assert not any(tmp_path.iterdir())  # nothing trained, nothing written


def test_a_library_caller_gets_the_same_refusal():
    cfg, data, hist = _run(**{"model.hidden": (2,), "train.epochs": 1})
    with pytest.raises(ConfigError, match="layer 1 has 2"):
        Animation(hist, data, catalog.with_values(cfg, {"render.panels": "activation3d"}).render)


def test_a_sweep_with_one_narrow_run_is_refused_before_any_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(
        '[data]\nname = "circles"\nn_samples = 60\n[train]\nepochs = 2\n'
        '[render]\ngrid = 16\npanels = ["input", "activation3d"]\n[sweep]\n"model.hidden" = [[3], [2]]\n',
        encoding="utf-8",
    )
    r = CliRunner().invoke(cli, ["sweep", "s.toml", "--out", str(tmp_path / "out")])
    assert r.exit_code == 1 and r.output.count("\n") == 1, r.output
    assert "layer 1 has 2" in r.output and r.output.startswith("Error: ")
    assert not (tmp_path / "out").exists()


# --- every format, both engines, sweeps ------------------------------------------------------------


def _frames(path: Path) -> list[np.ndarray]:
    return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(path))]


@pytest.mark.parametrize("fmt", ["gif", "mp4", "webp", "html", "png"])
def test_every_format_writes_the_turning_panel(tmp_path, fmt):
    out = tmp_path / f"s3.{fmt}"
    args = ["animate", "--dataset", "circles", "--hidden", "3", "--seed", "0", "--epochs", "4", "--grid", "20"]
    r = CliRunner().invoke(cli, [*args, "--panels", "input,activation3d,loss", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert out.is_file() and out.stat().st_size > 0
    if fmt in ("gif", "webp"):
        frames = _frames(out)
        assert len(frames) == 5
        right = frames[0].shape[1] // 3
        assert not np.array_equal(frames[0][:, right : 2 * right], frames[1][:, right : 2 * right])  # it turns


def test_the_celluloid_engine_turns_the_camera_as_the_stream_engine_does(tmp_path):
    args = ["animate", "--dataset", "circles", "--hidden", "3", "--seed", "0", "--epochs", "3", "--grid", "20"]
    args += ["--panels", "loss,activation3d", "--quiet"]
    for engine in ("stream", "celluloid"):
        r = CliRunner().invoke(cli, [*args, "--engine", engine, "--out", str(tmp_path / f"{engine}.gif")])
        assert r.exit_code == 0, r.output
    stream, cel = _frames(tmp_path / "stream.gif"), _frames(tmp_path / "celluloid.gif")
    half = stream[0].shape[1] // 2
    assert len(stream) == len(cel) == 4
    # The 3-D half: the same camera, frame by frame, down to its axis labels and its caption.
    for a, b in zip(stream, cel):
        assert np.array_equal(a[40:, half:], b[40:, half:])
    assert not np.array_equal(stream[0][40:, half:], stream[1][40:, half:])


def test_one_feature_data_and_regression_draw_the_mapped_interval():
    cfg, data, hist = _run(**{"data.name": "sine", "data.n_samples": 60, "train.epochs": 5})
    with _animation((cfg, data, hist), **{"render.panels": "input,hidden3d,activation3d"}) as (anim, painter):
        frame = anim.frame(anim.indices[-1])
        painter.render(frame)
        cloud = frame.panels["activation3d"]
        assert cloud.grid.shape == (1, space3d.ALONG, 3) and not cloud.planes  # no boundary to draw
        assert len(cloud.points) == len(anim.scene.y)


def test_a_sweep_draws_the_3d_panel_in_every_run(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[data]\nname = "circles"\nn_samples = 60\n[model]\nhidden = [3]\n[train]\nepochs = 3\nstop_loss = 0\n'
        '[render]\ngrid = 16\nsize = "480x160"\nhold = 0\npanels = ["input", "activation3d"]\n'
        '[sweep]\n"train.lr" = [0.1, 0.01]\n',
        encoding="utf-8",
    )
    result = sweep.run_sweep(spec, tmp_path / "out", jobs=1)
    assert [r.status for r in result.runs] == ["ok", "ok"]
    for run in result.runs:
        gifs = list((result.out / run.name).glob("*.gif"))
        assert gifs and Image.open(gifs[0]).n_frames == 4


# --- the geometry ----------------------------------------------------------------------------------


def test_limits_of_any_number_of_axes_union_and_pad_as_the_planes_did():
    assert union((0.0, 1.0, 0.0, 2.0), (-1.0, 0.5, 1.0, 3.0)) == (-1.0, 1.0, 0.0, 3.0)
    assert union((0, 1, 0, 1, 0, 1), (-1, 0, 2, 3, 0.5, 4)) == (-1, 1, 0, 3, 0, 4)
    assert pad((0.0, 10.0, -1.0, 1.0)) == (-0.5, 10.5, -1.1, 1.1)
    assert pad((0.0, 10.0, -1.0, 1.0, 2.0, 2.0)) == (-0.5, 10.5, -1.1, 1.1, 1.9, 2.1)


def test_a_plane_that_misses_the_box_has_no_polygon():
    box = (-1.0, 1.0, -1.0, 1.0, -1.0, 1.0)
    assert len(view3.plane_in_box(np.array([0.0, 0.0, 1.0]), -5.0, box)) == 0
    assert len(view3.plane_in_box(np.zeros(3), 0.0, box)) == 0
    square = view3.plane_in_box(np.array([0.0, 0.0, 1.0]), 0.0, box)  # z = 0: the box's middle square
    assert len(square) == 4 and np.allclose(square[:, 2], 0.0) and np.allclose(np.abs(square[:, :2]), 1.0)


def test_the_last_frame_looks_at_the_plane_obliquely():
    m = np.array([0.2, -0.7, 0.4])
    azim = view3.end_azimuth(m, np.ones(3))
    cos = abs(view3.view_direction(azim, view3.ELEV) @ m) / np.linalg.norm(m)
    assert abs(cos - view3.POSTER_COS) < 0.03
    assert view3.end_azimuth(np.zeros(3), np.ones(3)) == view3.AZIM0


def test_the_grid_lines_pass_runs_in_slices_with_the_same_values(circles, monkeypatch):
    """A deep, wide network's every layer for all the grid points would not fit; slices give the same frame."""
    from nnviz.render.scene import passes

    cfg, data, hist = circles
    anim = Animation(hist, data, catalog.with_values(cfg, {"render.panels": "activation3d"}).render)
    whole = anim.frame(anim.indices[-1]).panels["activation3d"]
    monkeypatch.setattr(passes, "CHUNK_BYTES", 50 * passes.pass_row_bytes(hist.model))  # 50 rows a slice
    rows: list[int] = []
    real = space3d.trace
    monkeypatch.setattr(space3d, "trace", lambda model, params, X: rows.append(len(X)) or real(model, params, X))
    sliced = anim.frame(anim.indices[-1]).panels["activation3d"]
    n = len(anim.panel("activation3d").line_x)
    assert sum(rows) == n > 50 and max(rows) <= 50  # the grid's points went through in slices
    assert np.array_equal(whole.grid, sliced.grid)
