"""``nnviz morph``: the scene's keyframes are the network's real spaces, and what users see of it."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import animation_of, small_cfg
from PIL import Image

from nnviz import plan as plans
from nnviz.cli import cli
from nnviz.engine import nn
from nnviz.engine.history import Epoch, History
from nnviz.engine.train import load_data, train
from nnviz.errors import RenderError
from nnviz.render import animation, morph, pipeline, scene
from nnviz.render.scene import base
from nnviz.render.scene import morph as geo

TINY = ["--grid", "20", "--size", "200x200", "--epochs", "5", "--stop-loss", "0", "--n-samples", "60", "--quiet"]


def _run(hidden: str, epochs: int = 8, **extra):
    cfg = small_cfg(model__hidden=hidden, train__epochs=epochs, train__lr=0.05, **extra)
    data = load_data(cfg)
    return cfg, data, train(cfg, data)


@pytest.fixture(scope="module")
def deep():
    """A 3-2 tanh net: a projected (3-wide) layer, then a 2-wide last layer."""
    return _run("3,2")


def _frames(m: morph.Morph) -> list:
    return list(m.frames())


def _reference(cfg, data, hist):
    """The training animation's last frame, with the morph's layer (the last), fitted to that frame alone."""
    anim, _, _ = animation_of(cfg, hist, data, **{"render.layer": hist.model.n_hidden, "render.axes": "per-frame"})
    return anim.frame(len(hist) - 1)


def render_morph(hist, data, cfg, out, **morph_options):
    """Write ``hist``'s morph as ``nnviz morph --history`` does: (path, the Morph drawn)."""
    plan = plans.morph(cfg, out, trained=True, **morph_options)
    plan.check()
    result = pipeline.execute_morph(plan, history=hist, data=data)
    return result.path, result.morph


def test_morph_geometry_does_not_import_matplotlib():
    code = "import sys, nnviz.render.scene.morph; print(any(m.startswith('matplotlib') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_first_frame_is_the_input_space(deep):
    cfg, data, hist = deep
    m = morph.Morph(hist, data, cfg.render, steps=3, pause=1)
    sp = m.frame(0).panels["morph"]
    ref = _reference(cfg, data, hist).panels["input"]
    np.testing.assert_array_equal(sp.points, ref.points)
    np.testing.assert_array_equal(sp.mesh, ref.mesh)
    assert len(sp.boundary) == len(ref.boundary) > 0
    for a, b in zip(sp.boundary, ref.boundary):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("hidden", ["3,2", "2,3"])
def test_last_frame_is_the_last_activation_space(hidden):
    cfg, data, hist = _run(hidden)
    m = morph.Morph(hist, data, cfg.render, steps=2, pause=0)
    sp = m.frame(len(m) - 1).panels["morph"]
    # The training animation's own activation panel of the last layer (2-wide as
    # it is, 3-wide through the same last-epoch PCA).
    ref = _reference(cfg, data, hist).panels["activation"]
    np.testing.assert_allclose(sp.points, ref.points, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sp.mesh, ref.mesh, rtol=0, atol=1e-12)
    # ...which is the network's last hidden activation, computed directly.
    _, a = nn.hidden(hist.model, hist.last.params, data.X, hist.model.n_hidden)
    if hidden.endswith(",2"):
        np.testing.assert_allclose(sp.points, a, rtol=0, atol=1e-12)


def test_affine_stage_midpoint_is_xw_plus_half_b():
    cfg, data, hist = _run("2")
    m = morph.Morph(hist, data, cfg.render, steps=2, pause=0)
    # Moments: input, (0, .5), linear, (1, .5) <- half way through "+b", affine, ...
    i = next(k for k, mo in enumerate(m.moments) if mo.rep == 1 and mo.t == 0.5)
    assert m.title(i).endswith("step 2 of 3: adding layer 1's bias (+b₁)")
    W, b = hist.last.params[:2]
    sp = m.frame(i).panels["morph"]
    np.testing.assert_allclose(sp.points, data.X @ W + b / 2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sp.mesh.reshape(-1, 2), m.scene.mesh_x @ W + b / 2, rtol=0, atol=1e-12)


def test_eased_midpoint_of_every_stage():
    keys = geo.Keyframes((np.zeros((3, 2)), np.ones((3, 2)) * 4), (np.zeros((2, 2, 2)), np.ones((2, 2, 2))),
                           (np.zeros((0, 2)), np.zeros((0, 2))), np.array([], int), np.zeros((2, 2)))
    assert geo.ease(0.5) == 0.5 and geo.ease(0.0) == 0.0 and geo.ease(1.0) == 1.0
    np.testing.assert_array_equal(geo.at(keys, geo.Moment(0, 0.5)).points, np.full((3, 2), 2.0))


def test_last_boundary_is_the_output_line(deep):
    cfg, data, hist = deep
    m = morph.Morph(hist, data, cfg.render, steps=2, pause=0)
    bound = m.frame(len(m) - 1).panels["morph"].boundary
    pts = np.concatenate(bound)
    assert len(pts) > 10
    W, b = hist.last.params[-2:]
    np.testing.assert_allclose(pts @ W[:, 0] + b[0], 0.0, atol=1e-6)
    # Far from trivially: the boundary spans a real stretch of the line.
    assert np.ptp(pts, axis=0).max() > 0.05


@pytest.mark.parametrize("hidden", ["2", "2,3"])
def test_the_last_space_shows_the_output_line_across_the_whole_panel(hidden):
    """The default blobs morph ended on dots: its two units fold the plane onto a sheet, so the
    mapped mesh and boundary have no area. At rest in the last space the output's own straight
    boundary is drawn from edge to edge (a 3-wide layer: on its output axis, so vertical)."""
    cfg, data, hist = _run(hidden, epochs=30)
    m = morph.Morph(hist, data, cfg.render, steps=2, pause=2)
    last = m.frame(len(m) - 1)
    x0, x1, y0, y1 = last.limits["morph"]
    pts = np.concatenate(last.panels["morph"].boundary)
    inside = pts[(pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)]
    spans = np.ptp(inside, axis=0) / np.array([x1 - x0, y1 - y0])
    assert spans.max() > 0.9, spans  # edge to edge, not a stub where the folded mesh happens to be
    W, b = hist.last.params[-2:]
    if hidden == "2":
        np.testing.assert_allclose(pts @ W[:, 0] + b[0], 0.0, atol=1e-6)
    else:
        assert np.ptp(inside[:, 0]) < 1e-6 * (x1 - x0)
    moving = m.frame(len(m) - 1 - m.pause - 1).panels["morph"].boundary  # on the way there: the mapped one only
    assert sum(map(len, moving)) < len(pts)


def test_frame_count_titles_and_gif(tmp_path, deep):
    cfg, data, hist = deep
    steps, pause = 3, 2
    path, m = render_morph(hist, data, cfg, tmp_path / "m.gif", epochs="0,last", steps=steps, pause=pause)
    stages = 3 * hist.model.n_hidden
    per_epoch = stages * (steps + pause) + 1 + pause
    assert len(m) == 2 * per_epoch
    assert Image.open(path).n_frames == 2 * per_epoch
    titles = [m.title(i) for i in range(per_epoch)]
    assert titles[0] == "Epoch 0    the input plane"
    assert titles[-1] == f"Epoch 0    step {stages} of {stages}: layer 2's tanh applied"
    assert m.title(per_epoch).startswith(f"Epoch {hist.last.epoch}    the input")
    # The stage's moving frames, its arrival and the pause after it.
    tanh = [t for t in titles if "layer 1's tanh" in t]
    assert tanh == [f"Epoch 0    step 3 of {stages}: applying layer 1's tanh"] * (steps - 1) + [
        f"Epoch 0    step 3 of {stages}: layer 1's tanh applied"
    ] * (1 + pause)


def test_png_and_deterministic_bytes(tmp_path, deep):
    cfg, data, hist = deep
    digests = []
    for name in ("a.gif", "b.gif"):
        path, _ = render_morph(hist, data, cfg, tmp_path / name, steps=2, pause=1)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    png, m = render_morph(hist, data, cfg, tmp_path / "last.png", steps=2, pause=1)
    assert Image.open(png).size == cfg.render.size


def test_per_stage_camera_is_still_while_moving(deep):
    cfg, data, hist = deep
    render = small_cfg(render__axes="per-frame").render
    m = morph.Morph(hist, data, render, steps=4, pause=3)
    frames = _frames(m)
    moving = [(mo.rep, f.limits["morph"]) for mo, f in zip(m.moments, frames) if mo.pause < 0]
    for rep in {r for r, _ in moving}:
        assert len({lim for r, lim in moving if r == rep}) == 1
    # It opens on the input alone and closes on the last space alone.
    keys = m._keys(0)
    assert frames[0].limits["morph"] == scene.pad(scene.bounds(keys.points[0], keys.mesh[0]))
    last = frames[-1].panels["morph"]
    x0, x1, y0, y1 = frames[-1].limits["morph"]
    assert x0 <= last.points[:, 0].min() and last.points[:, 0].max() <= x1
    assert (x1 - x0) < 3.0  # tanh space: about [-1, 1], not the x·W stage's range


def test_each_representation_fills_the_panel_in_the_middle_of_its_pause(deep):
    """Each stage's camera covers both its ends, so layer 1's tanh fold, after a wide affine stage,
    never filled more than a fifth of the panel. Mid-pause the camera rests on the representation
    alone; it still moves only while nothing else does."""
    cfg, data, hist = deep
    m = morph.Morph(hist, data, small_cfg(render__axes="per-frame").render, steps=2, pause=6)
    frames = _frames(m)
    for r in range(len(m.reps)):
        mid = next(i for i, mo in enumerate(m.moments) if mo.rep == r and mo.pause == 3)
        space = frames[mid].panels["morph"]
        pts = np.concatenate([space.points, space.mesh.reshape(-1, 2)])  # what the camera frames
        x0, x1, y0, y1 = frames[mid].limits["morph"]
        assert x0 <= pts[:, 0].min() and pts[:, 0].max() <= x1 and y0 <= pts[:, 1].min() and pts[:, 1].max() <= y1
        fill = max(np.ptp(pts[:, 0]) / (x1 - x0), np.ptp(pts[:, 1]) / (y1 - y0))
        assert fill > 0.8, (m.reps[r], fill)
    moving = [(mo.rep, f.limits["morph"]) for mo, f in zip(m.moments, frames) if mo.pause < 0]
    for rep in {r for r, _ in moving}:
        assert len({lim for r, lim in moving if r == rep}) == 1


def test_library_errors(deep):
    cfg, data, hist = deep
    with pytest.raises(RenderError, match="out of range; valid: comma-separated epochs from 0 to 8"):
        geo.parse_epochs("0,99", hist)
    with pytest.raises(RenderError, match="'ten' is not an epoch"):
        geo.parse_epochs("ten", hist)
    for bad in (0, geo.MAX_STEPS + 1):
        with pytest.raises(RenderError, match="--steps .* from 1 to"):
            morph.Morph(hist, data, cfg.render, steps=bad)
    flat = History(nn.Model((2, 1)), (Epoch(0, (np.zeros((2, 1)), np.zeros(1)), {"loss": 0.7, "accuracy": 0.5}),))
    with pytest.raises(RenderError, match="needs a network with a hidden layer"):
        morph.Morph(flat, data, cfg.render)


def test_cli_writes_and_says_what(tmp_path):
    out = tmp_path / "m.gif"
    r = CliRunner().invoke(cli, ["morph", *TINY, "--hidden", "3,2", "--steps", "2", "--pause", "0",
                                 "--epoch", "1,last", "--out", str(out)])
    assert r.exit_code == 0, r.output
    frames = 2 * (6 * 2 + 1)
    assert r.stdout.strip() == f"wrote {frames} frames (6 stages x 2 steps, epoch 1,5): {out}"
    assert Image.open(out).n_frames == frames
    assert Image.open(out).size == (200, 200)
    png = tmp_path / "m.png"
    r = CliRunner().invoke(cli, ["morph", *TINY, "--steps", "2", "--pause", "0", "--out", str(png)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"wrote the last of 7 frames (3 stages x 2 steps, epoch 5): {png}"


@pytest.mark.parametrize("args, message", [
    (["--epoch", "99"], "Error: --epoch '99': epoch 99 is out of range; valid: comma-separated epochs from 0 to 5"),
    (["--epoch", "0,,3"], "Error: --epoch '0,,3' is invalid"),
    (["--epoch", "first"], "Error: --epoch 'first': 'first' is not an epoch"),
    (["--steps", "0"], "Error: --steps 0 is invalid; valid: a whole number of frames per stage from 1 to 200"),
    (["--steps", "100000"], "Error: --steps 100000 is invalid"),
    (["--pause", "-1"], "Error: --pause -1 is invalid; valid: a whole number of still frames from 0 to 100"),
    (["--dataset", "sine"], "Error: a morph needs 2 or more input features; the sine data has 1"),
])
def test_cli_bad_values_are_one_line(tmp_path, args, message):
    out = tmp_path / "m.gif"
    r = CliRunner().invoke(cli, ["morph", *TINY, "--out", str(out), *args])
    assert r.exit_code == 1, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), r.stderr
    assert not out.exists()


def test_cli_usage_errors_exit_2():
    r = CliRunner().invoke(cli, ["morph", "--steps", "many"])
    assert r.exit_code == 2 and "Error:" in r.stderr


def test_cli_morphs_a_saved_run_with_its_toml(tmp_path):
    run = tmp_path / "run.gif"
    r = CliRunner().invoke(cli, ["animate", *TINY, "--hidden", "3,2", "--out", str(run)])
    assert r.exit_code == 0, r.output
    out = tmp_path / "m.gif"
    # No model flags: the 3-2 network comes from run.toml beside run.csv.
    r = CliRunner().invoke(cli, ["morph", "--history", str(run.with_suffix(".csv")), "--steps", "1", "--pause", "0",
                                 "--epoch", "2", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"wrote 7 frames (6 stages x 1 steps, epoch 2): {out}"


def test_painter_draws_every_grid_line(deep):
    cfg, data, hist = deep
    m = morph.Morph(hist, data, small_cfg(render__grid=40, render__size="200x200").render, steps=1, pause=0)
    painter = animation.painter(m)
    try:
        (panel,) = painter.views
        grid = panel.grid
        assert len(grid.get_segments()) == 2 * len(m.scene.line_index()) == 2 * base.GRID_LINES
        assert painter.render(m.frame(len(m) - 1)).shape == (200, 200, 3)
    finally:
        painter.close()
