"""The views of issue 11: the layers view, the per-neuron maps and the digits' pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from test_paint import assert_plane_sides

from nnviz import catalog, config, render
from nnviz.cli import cli
from nnviz.engine.train import train
from nnviz.render import animation, layout, scene
from nnviz.render.animation import Animation
from nnviz.render.panels.planes import ImageView, WarpedView

ROOT = Path(__file__).resolve().parents[1]


def _run(**over):
    values = {"train.epochs": 8, "train.stop_loss": 0, "render.grid": 24, "data.n_samples": 120}
    cfg = catalog.resolve({}, {**values, **over})
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


def _painted(run, **render_over):
    """(animation, painter, pixels of the last frame) for ``run`` drawn with ``render_over``."""
    cfg, data, hist = run
    r = catalog.with_values(cfg, render_over).render
    anim = Animation(hist, data, r)
    painter = anim.painter()
    pixels = painter.render(anim.frame(anim.indices[-1])).copy()
    return anim, painter, pixels


def _clashes(painter):
    painter.canvas.draw()  # a full draw: every text at its final place
    return layout.text_clashes(painter.fig)


# --- layers ----------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(3,), (3, 2), (4, 3, 2)])
def test_layers_view_shows_input_then_z_and_a_of_every_layer(hidden):
    run = _run(**{"data.name": "moons", "model.hidden": hidden})
    anim, painter, _ = _painted(run, **{"render.panels": "layers,loss"})
    try:
        names = [p.name for p in painter.views]
        depth = len(hidden)
        expected = ["input"] + [f"{kind}{k}" for k in range(1, depth + 1) for kind in "za"] + ["loss"]
        assert names == expected and len(names) - 1 == 1 + 2 * depth
        titles = {p.name: p.ax.get_title() for p in painter.views}
        for k, width in enumerate(hidden, start=1):
            for kind in "za":
                title = titles[f"{kind}{k}"]
                assert title.startswith(f"Layer {k} {kind}:"), title
                # Wider than 2: a fixed projection, and the title says so; 2 wide: exact.
                assert ("projected" in title) == (width > 2), title
                view = WarpedView if width > 2 else ImageView
                panel = anim.panel(f"{kind}{k}")
                assert panel.exact == (width == 2) and panel.painter is view
    finally:
        painter.close()


def test_layers_can_be_combined_without_drawing_a_panel_twice():
    anim, painter, _ = _painted(_run(**{"model.hidden": (3, 2)}), **{"render.panels": "input,layers,loss"})
    painter.close()
    assert [p.name for p in anim.panels] == ["input", "z1", "a1", "z2", "a2", "loss"]


def test_two_wide_activation_plane_in_the_layers_view_is_split_by_a_straight_boundary():
    """The last layer's lesson in the layers view: a₂'s plane is red (class 1) on the side
    where the output unit's a.W + b > 0 and blue on the other, and its boundary is that line."""
    run = _run(
        **{"data.name": "moons", "model.hidden": (3, 2), "train.epochs": 60, "data.n_samples": 200, "render.grid": 60}
    )
    anim, painter, pixels = _painted(run, **{"render.panels": "layers,loss", "render.size": "1800x400"})
    try:
        params = run[2].epochs[anim.indices[-1]].params
        W, b = params[4][:, 0], params[5][0]
        assert_plane_sides(pixels, painter, "a2", W, b)
        lines = anim.frame(anim.indices[-1]).panels["a2"].boundary
        assert lines and np.abs(np.concatenate(lines) @ W + b).max() < 1e-6
    finally:
        painter.close()


def test_the_default_frame_widens_for_many_panels_but_an_explicit_size_is_kept():
    assert config.RenderConfig.size == animation.DEFAULT_SIZE
    assert animation.auto_size(animation.DEFAULT_SIZE, 3) == (1200, 400)
    wide = animation.auto_size(animation.DEFAULT_SIZE, 8)
    assert wide[0] >= 8 * 300 and wide[1] == 400
    assert animation.auto_size((900, 300), 8) == (900, 300)


# --- neurons ---------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "shown", "says"), [(20, 16, "16 of 20 units"), (5, 5, "(5 units)")])
def test_neurons_panel_caps_at_16_units_and_says_so(width, shown, says):
    run = _run(**{"data.name": "xor", "model.hidden": (width,)})
    anim, painter, _ = _painted(run, **{"render.panels": "input,neurons,loss"})
    try:
        title = next(p for p in painter.views if p.name == "neurons").ax.get_title()
        assert says in title, title
        n = anim.panel("neurons")
        assert n.units == shown and n.total == width and n.rows * n.cols >= shown
        tiles = anim.frame(anim.indices[-1]).panels["neurons"].values
        # Each tile is one unit over the input plane, scaled to 0..1; the gaps are blank (NaN).
        g = anim.scene.grid
        assert np.isfinite(tiles).sum() == shown * g * g
        assert np.nanmin(tiles) >= 0 and np.nanmax(tiles) <= 1
    finally:
        painter.close()


@pytest.mark.parametrize("size", ["1200x400", "480x160"])
def test_each_neuron_tile_says_which_unit_it_is_when_it_can_hold_a_label(size):
    """Tiles had no unit number: "the third unit" had to be counted off the mosaic. Each is
    numbered in its top-left corner, drawn over the tiles (not in the background they cover);
    a frame too small to hold the labels has none."""
    run = _run(**{"data.name": "xor", "model.hidden": (5,)})
    anim, painter, pixels = _painted(run, **{"render.panels": "input,neurons", "render.size": size})
    try:
        panel = next(p for p in painter.views if p.name == "neurons")
        numbers = [t for t in panel.ax.texts if t.get_visible() and t.get_gid() != "caption"]
        if size == "480x160":
            assert numbers == []
            return
        assert [t.get_text() for t in numbers] == ["1", "2", "3", "4", "5"]
        n = anim.panel("neurons")
        renderer = painter.canvas.get_renderer()
        for i, t in enumerate(numbers):  # inside its own tile, and really on screen (light text pixels)
            r, c = divmod(i, n.cols)
            box = t.get_window_extent(renderer)
            (x0, y0), (x1, y1) = panel.ax.transData.transform([(c, n.rows - r - 1), (c + 1, n.rows - r)])
            assert x0 <= box.x0 and box.x1 <= x1 and y0 <= box.y0 and box.y1 <= y1, (i, box)
            rows = slice(round(pixels.shape[0] - box.y1), round(pixels.shape[0] - box.y0))
            patch = pixels[rows, round(box.x0) : round(box.x1)].astype(int)
            assert (patch.min(axis=2) > 200).any() and (patch.max(axis=2) < 90).any(), i  # white on dark
    finally:
        painter.close()


def test_neuron_tiles_show_each_units_activation_over_the_input():
    """Tile 1 (top left) is unit 1's activation over the input plane, min-max scaled."""
    from nnviz.engine import nn

    run = _run(**{"data.name": "xor", "model.hidden": (4,)})
    cfg, data, hist = run
    anim = Animation(hist, data, catalog.with_values(cfg, {"render.panels": "input,neurons"}).render)
    frame = anim.frame(len(hist) - 1)
    a = nn.forward(anim.scene.model, hist.last.params, anim.scene.mesh_x).a[0][:, 0].reshape(24, 24)
    expected = (a - a.min()) / (a.max() - a.min())
    mosaic = frame.panels["neurons"].values
    assert np.allclose(mosaic[-24:, :24], expected)  # origin lower: the top row of tiles is last


def test_neurons_of_a_layer_that_does_not_exist_is_one_error_line(tmp_path):
    r = CliRunner().invoke(
        cli,
        [
            "animate",
            "--dataset",
            "xor",
            "--hidden",
            "8",
            "--panels",
            "input,neurons",
            "--layer",
            "2",
            "--epochs",
            "2",
            "--quiet",
            "--out",
            str(tmp_path / "n.gif"),
        ],
    )
    assert r.exit_code == 1, r.output  # a config error (2 is for flags click itself rejects)
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "hidden layers 1..1" in lines[0], r.output
    assert not any(tmp_path.iterdir())


# --- digits ----------------------------------------------------------------------------


def test_image_datasets_know_their_image_shape():
    assert render.load_data(catalog.resolve({}, {"data.name": "digits", "data.n_samples": 50})).image_shape == (8, 8)
    assert render.load_data(catalog.resolve({}, {"data.name": "moons"})).image_shape is None


def test_digit_pictures_only_on_image_data():
    digits = _run(**{"data.name": "digits", "data.n_samples": 300, "model.hidden": (8, 2)})
    spec = scene.build_scene(digits[2], digits[1], 2, 20)
    assert spec.images is not None and spec.images.shape == (10, 8, 8)
    # One typical picture per class, each drawn at its own data point.
    assert sorted(spec.y[spec.thumbs].astype(int)) == list(range(10))
    assert np.array_equal(spec.images.reshape(10, 64), spec.X[spec.thumbs])
    moons = _run(**{"data.name": "moons", "model.hidden": (2,)})
    assert scene.build_scene(moons[2], moons[1], 1, 20).images is None


@pytest.mark.parametrize("size", ["1200x400", "480x160"])
def test_digit_pictures_stay_inside_their_panels_and_leave_small_frames(size):
    """Typical digits sit in tanh's corners: centred on their points, half of each picture hung
    over the tick labels or off the frame, and at 480x160 ten of them buried the panels."""
    from nnviz.render.animation import Animation
    from nnviz.render.panels import planes

    cfg, data, hist = _run(**{"data.name": "digits", "data.n_samples": 300, "model.hidden": (8, 2),
                              "render.layer": 2, "render.size": size})
    anim = Animation(hist, data, cfg.render)
    painter = anim.painter()
    try:
        painter.render(anim.frame(anim.indices[-1]))
        renderer = painter.canvas.get_renderer()
        boxes = [(p, a) for p in painter.views for a in p.ax.artists if isinstance(a, planes._InsideBox)]
        if size == "480x160":
            assert boxes == []
            return
        assert len(boxes) == 3 * 10  # input, hidden and activation panels, one per class
        for panel, box in boxes:
            outer, inner = panel.ax.bbox, box.get_window_extent(renderer)
            assert outer.x0 - 1 <= inner.x0 and inner.x1 <= outer.x1 + 1, (panel.name, inner, outer)
            assert outer.y0 - 1 <= inner.y0 and inner.y1 <= outer.y1 + 1, (panel.name, inner, outer)
    finally:
        painter.close()


def test_digits_config_renders_one_gif_frame_per_rendered_epoch(tmp_path):
    raw = config.read_toml(ROOT / "configs" / "digits.toml")
    # The shipped config, shortened: its layers, data and panels, fewer epochs and frames.
    cfg = catalog.resolve(raw, {"train.epochs": 6, "render.log_frames": 5, "render.grid": 24, "data.n_samples": 300})
    result = render.animate(cfg, tmp_path / "digits.gif")
    frames = len(scene.select_epochs(len(result.history), 1, 5))
    assert frames == 5 and result.frames == frames
    assert Image.open(result.path).n_frames == frames


# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["1200x400", "600x200"])
@pytest.mark.parametrize(
    ("over", "panels"),
    [
        ({"data.name": "moons", "model.hidden": (4, 3, 2), "data.test_fraction": 0.25}, "layers,loss"),
        ({"data.name": "xor", "model.hidden": (20,)}, "input,neurons,loss"),
        ({"data.name": "digits", "model.hidden": (8, 2), "data.test_fraction": 0.25}, "input,hidden,activation,loss"),
    ],
    ids=["layers", "neurons", "digits"],
)
def test_no_text_overlaps_in_the_new_views(over, panels, size):
    _, painter, _ = _painted(_run(**over), **{"render.panels": panels, "render.size": size})
    try:
        assert not _clashes(painter)
        texts = [t.get_text() for t in layout.visible_texts(painter.fig)]
        assert any(t.startswith("Epoch") for t in texts), texts
    finally:
        painter.close()
