"""The network panel (issue 18): nodes holding each unit's map, edges coloured by the weight's sign."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import small_cfg
from matplotlib.colors import to_rgba
from PIL import Image
from test_layout import _assert_clean, _painted
from test_layout import _run as _layout_run

from nnviz import catalog, render, sweep
from nnviz.engine import nn
from nnviz.engine.events import Event
from nnviz.engine.history import Epoch, History
from nnviz.engine.train import train
from nnviz.render import layout
from nnviz.render import pipeline as pipe
from nnviz.render.animation import Animation
from nnviz.render.panels import network, network_layout
from nnviz.render.panels.base import NOTE_INK, NOTE_RED
from nnviz.render.scene import passes


def _trained(**over):
    cfg = catalog.resolve(
        {}, {"train.epochs": 8, "train.stop_loss": 0, "render.grid": 30, "data.n_samples": 120, **over}
    )
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


def _anim(run, **render_over):
    cfg, data, hist = run
    return Animation(hist, data, catalog.with_values(cfg, render_over).render)


def _history(w2s, w1=((0.5,), (-0.3,))):
    """A hand-made 2-1-1 tanh network whose one output weight takes the values ``w2s``, epoch by epoch."""
    model = nn.Model((2, 1, 1), "tanh", "bce")
    W1, b1, b2 = np.array(w1, dtype=float), np.zeros(1), np.zeros(1)
    epochs = tuple(Epoch(i, (W1, b1, np.array([[w]]), b2), {"loss": 0.5, "accuracy": 0.5}) for i, w in enumerate(w2s))
    return History(model, epochs)


def _blobs():
    cfg = catalog.resolve({}, {"data.name": "blobs", "data.n_samples": 60, "render.grid": 30})
    return cfg, render.load_data(cfg)


def _frames(hist, size="1200x400", panels="input,network"):
    """(painter, the network's view, [pixels of every epoch]) drawn one after the other in place."""
    cfg, data = _blobs()
    anim = Animation(hist, data, catalog.with_values(cfg, {"render.size": size, "render.panels": panels}).render)
    painter = anim.painter()
    view = next(v for v in painter.views if v.name == "network")
    shots = [painter.render(anim.frame(i)).copy() for i in range(len(hist))]
    return painter, view, shots


# --- edges: colour is the sign, width the size ----------------------------------------------


def test_an_edge_changes_colour_when_its_weight_changes_sign():
    """Epoch 0's output weight is +0.8, epoch 1's -0.8: its edge is green, then pink (artist and pixels)."""
    painter, view, shots = _frames(_history([0.8, -0.8]))
    try:
        edges = view.artists[0]
        seg = view.segments[-1]  # the last edge: the hidden unit to the output (W2)
        mid = seg.mean(axis=0)
        x, y = view.ax.transData.transform(mid)
        row, col = round(painter.canvas.get_width_height()[1] - y), round(x)
        green, pink = network.edge_colours()[1, -1, :3], network.edge_colours()[0, -1, :3]
        seen = [shot[row, col].astype(int) for shot in shots]
        # Epoch 0: the strong green; epoch 1: the strong pink (exact: the line is wider than a pixel).
        assert np.abs(seen[0] - 255 * green).max() <= 3, seen
        assert np.abs(seen[1] - 255 * pink).max() <= 3, seen
        assert seen[0][1] > seen[0][0] and seen[1][0] > seen[1][1]  # green, then red-dominant pink
        # The artist holds the last frame drawn: pink for W2, W1's edges as they were.
        colours = edges.get_colors()
        assert np.allclose(colours[-1], network.edge_colours()[0, -1])
        assert colours[0][1] > colours[0][0] and colours[1][0] > colours[1][1]  # W1: +0.5 green, -0.3 pink
    finally:
        painter.close()


def test_edge_colours_are_the_sign_in_three_steps_of_the_runs_strongest_weight():
    w = np.array([-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0])
    rgba = network.edge_rgba(w, 1.0)
    pink, green = network.edge_colours()
    assert np.allclose(rgba[:3], pink[[2, 1, 0]]) and np.allclose(rgba[4:], green[[0, 1, 2]])
    assert all(c[0] > c[1] for c in rgba[:3]) and all(c[1] > c[0] for c in rgba[3:])


def test_a_growing_weight_thickens_on_one_scale_for_the_whole_run():
    """Widths are fixed by the run's strongest weight: 0.2, 0.4, 0.8 draw at a quarter, half and all of it."""
    cfg, data = _blobs()
    hist = _history([0.2, 0.4, 0.8], w1=((0.1,), (0.1,)))
    anim = Animation(
        hist, data, catalog.with_values(cfg, {"render.size": "1200x400", "render.panels": "network"}).render
    )
    painter = anim.painter()
    try:
        view = painter.views[0]
        assert view.net.strongest == pytest.approx(0.8)
        widths = []
        for i in range(3):
            painter.render(anim.frame(i))  # the widths are set as the lines are drawn
            widths.append(float(view.artists[0].get_linewidths()[-1]))
        floor, top = network.LINE_FLOOR, widths[-1]
        assert widths[0] < widths[1] < widths[2]
        for w, share in zip(widths, (0.25, 0.5, 1.0)):
            assert w == pytest.approx(top * (floor + (1 - floor) * share))
    finally:
        painter.close()


def test_the_key_shows_the_runs_strongest_weight():
    painter, view, _ = _frames(_history([0.8, -0.8]))
    try:
        painter.canvas.draw()
        texts = [t.get_text() for t in layout.visible_texts(painter.fig)]
        assert "weight −0.8" in texts and "+0.8" in texts, texts
    finally:
        painter.close()


# --- nodes: each unit's map over the input ------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["one pass", "sliced pass"])
def test_node_maps_are_each_units_activation_over_the_mesh_downsampled(monkeypatch, chunked):
    """Input, hidden and output nodes equal nn.forward over the meshgrid at the panel's samples,
    also when the mesh's pass runs in slices (take_rows picks each slice's own samples)."""
    if chunked:
        monkeypatch.setattr(passes, "CHUNK_BYTES", 8 * 1024)  # a few rows a slice
    run = _trained(**{"data.name": "xor", "model.hidden": (4, 3)})
    anim = _anim(run, **{"render.panels": "input,network"})
    scene, panel = anim.scene, anim.panel("network")
    last = len(run[2]) - 1
    maps = anim.frame(last).panels["network"].maps
    g, r = scene.grid, network_layout.NODE_RES
    idx = network_layout.samples(g, r)

    def sampled(values):
        return values.reshape(g, g)[np.ix_(idx, idx)].ravel()

    def scaled(v):
        return (v - v.min()) / (v.max() - v.min())

    t = nn.forward(scene.model, run[2].last.params, scene.mesh_x)
    expected = [scaled(sampled(scene.mesh_x[:, j])) for j in range(2)]
    expected += [scaled(sampled(t.a[k][:, j])) for k in range(2) for j in range(t.a[k].shape[1])]
    expected.append(sampled(scene.surface_values(t.a[-1])))
    assert maps.shape == (2 + 4 + 3 + 1, r * r)
    assert np.allclose(maps, np.array(expected))
    assert panel.picks.size == r * r  # what a frame keeps of the mesh: 20x20 samples a unit


def test_node_maps_keep_a_fixed_sample_whatever_the_grid():
    run = _trained(**{"data.name": "xor", "model.hidden": (6,)})
    for grid in (30, 150):
        anim = _anim(run, **{"render.panels": "network", "render.grid": grid})
        kept = anim.frame(0).panels["network"].maps
        assert kept.shape == (2 + 6 + 1, network_layout.NODE_RES**2)


def test_the_node_maps_are_drawn_in_their_nodes():
    """The image holds each node's map in the neuron colours (units) and the surface's (output)."""
    from nnviz.render.colours import neuron_cmap, surface_cmap

    run = _trained(**{"data.name": "moons", "model.hidden": (3,)})
    anim = _anim(run, **{"render.panels": "input,network", "render.size": "1200x400"})
    painter = anim.painter()
    try:
        frame = anim.frame(anim.indices[-1])
        painter.render(frame)
        view = next(v for v in painter.views if v.name == "network")
        image = view.artists[1].get_array()
        maps = frame.panels["network"].maps
        r = network_layout.NODE_RES
        for k, (x, y) in enumerate(view.corners):
            x0, y0 = x - view.mosaic.extent[0], y - view.mosaic.extent[2]
            cells = np.asarray(image[int(y0) : int(y0) + r, int(x0) : int(x0) + r])
            cmap = surface_cmap(anim.scene) if k == len(view.corners) - 1 else neuron_cmap()
            assert np.array_equal(cells.reshape(-1, 4), cmap(maps[k], bytes=True)), k
    finally:
        painter.close()


def test_multiclass_has_one_output_node_per_class_each_coloured_where_its_class_wins():
    run = _trained(**{"data.name": "blobs3", "model.hidden": (4,)})
    anim = _anim(run, **{"render.panels": "input,network"})
    scene, panel = anim.scene, anim.panel("network")
    assert [c.size for c in panel.columns] == [2, 4, 3] and panel.columns[-1].shown == 3
    frame = anim.frame(len(run[2]) - 1)
    out = frame.panels["network"].maps[-3:]
    probs = nn.forward(scene.model, run[2].last.params, scene.mesh_x[panel.picks]).a[-1]
    values = scene.surface_values(probs)
    for c in range(3):
        wins = probs.argmax(axis=1) == c
        assert wins.any()
        assert np.allclose(out[c][wins], values[wins]) and np.allclose(out[c][~wins], c / 3)


def test_one_feature_draws_each_nodes_curve_over_the_interval():
    run = _trained(**{"data.name": "sine", "model.hidden": (3,)})
    anim = _anim(run, **{"render.panels": "input,network"})
    scene, panel = anim.scene, anim.panel("network")
    assert scene.mode == "curve"
    maps = anim.frame(len(run[2]) - 1).panels["network"].maps
    t = nn.forward(scene.model, run[2].last.params, scene.mesh_x[panel.picks])
    a = t.a[0]
    assert maps.shape == (1 + 3 + 1, network_layout.CURVE_RES)
    assert np.allclose(maps[1:4], ((a - a.min(axis=0)) / (a.max(axis=0) - a.min(axis=0))).T)
    assert np.allclose(maps[-1], scene.surface_values(t.a[-1]))  # the prediction, as the input panel colours it
    painter = anim.painter()
    try:
        painter.render(anim.frame(0))
        view = next(v for v in painter.views if v.name == "network")
        curves = view.artists[1].get_segments()
        assert len(curves) == 5 and all(len(c) == network_layout.CURVE_RES for c in curves)
    finally:
        painter.close()


# --- summaries ------------------------------------------------------------------------------


def test_a_wide_layer_shows_its_first_units_and_says_how_many_are_not_drawn():
    run = _trained(**{"data.name": "xor", "model.hidden": (20,)})
    anim = _anim(run, **{"render.panels": "input,network", "render.size": "1200x400"})
    panel = anim.panel("network")
    hidden = panel.columns[1]
    assert (hidden.size, hidden.shown, hidden.more, hidden.count) == (20, 9, 11, 10)
    assert "first 9 units a layer" in panel.title
    # Its edges: the first 9 units' own weights, then the mean of the 11 it stands for.
    params = run[2].last.params
    weights = anim.frame(len(run[2]) - 1).panels["network"].weights
    W1, W2 = params[0], params[2]
    assert np.allclose(weights[:20], np.hstack([W1[:, :9], W1[:, 9:].mean(axis=1, keepdims=True)]).ravel())
    assert np.allclose(weights[20:], np.r_[W2[:9, 0], W2[9:, 0].mean()])
    with _painted(run, "1200x400", "input,network") as painter:
        texts = _assert_clean(painter)
        assert "+11\nmore" in texts or "+11" in texts, texts


def test_summarised_inputs_say_how_many_features_are_not_drawn():
    run = _trained(**{"data.name": "digits", "data.n_samples": 200, "model.hidden": (8, 2)})
    panel = _anim(run, **{"render.panels": "network"}).panel("network")
    assert [(c.size, c.shown) for c in panel.columns] == [(64, 9), (8, 8), (2, 2), (10, 10)]
    with _painted(run, "1200x400", "input,network,loss") as painter:
        texts = _assert_clean(painter)
        assert "+55" in texts or "+55\nmore" in texts, texts
        assert {"x0", "x8"} <= set(texts) and "x9" not in texts, texts  # the first 9 of 64 features


def test_blocks_are_the_first_weights_and_the_means_of_the_rest():
    W = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(network_layout.blocks(W, 3, 4), W)
    b = network_layout.blocks(W, 2, 2)
    assert np.allclose(b, [[0, 1, 2.5], [4, 5, 6.5], [8, 9, 10.5]])


def test_every_depth_up_to_the_limit_draws_a_column_a_layer():
    run = _trained(**{"data.name": "xor", "model.hidden": (3,) * 16, "train.epochs": 2})
    anim = _anim(run, **{"render.panels": "network"})
    panel = anim.panel("network")
    assert len(panel.columns) == 18 and "16 hidden layers" in panel.title
    with _painted(run, "600x200", "input,network") as painter:
        _assert_clean(painter)


# --- training events: a dead unit is a node ------------------------------------------------


def _rgb(hex_colour):
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_a_dead_unit_is_outlined_in_red_and_named_under_the_network():
    """relu at lr 0.1 kills a₂ from epoch 4 (issue 17's run): with no layer panel shown, the network names it.

    Its node's border is red and thicker on those frames, the others' stay grey; the caption under
    the network is the event's, in red; before it died, neither.
    """
    cfg = catalog.resolve({}, {"model.activation": "relu", "train.lr": 0.1, "render.grid": 20})
    data = render.load_data(cfg)
    r = catalog.with_values(cfg, {"render.panels": "input,network,loss"}).render
    anim = Animation(train(cfg, data), data, r)
    last, first = anim.frame(anim.indices[-1]), anim.frame(0)
    assert last.notes["network"].kind == "dead" and last.notes["network"].units == (1,)
    assert "network" not in first.notes
    painter = anim.painter()
    try:
        view = next(v for v in painter.views if v.name == "network")
        panel = view.net
        dead = panel.node_index(1, 1)  # layer 1, a₂
        assert dead == 3  # after x0, x1 and a₁
        pixels = painter.render(last)
        borders = view.artists[-1]
        colours, widths = borders.get_colors(), borders.get_linewidths()
        assert np.allclose(colours[dead], to_rgba(NOTE_RED)), colours
        others = [i for i in range(len(colours)) if i != dead]
        assert np.allclose(colours[others], to_rgba(network.BORDER_COLOUR))
        assert widths[dead] > max(widths[i] for i in others)
        assert view.caption.get_text() == "a₂ is dead: relu is 0 on every point"
        # Pixels: the red border is drawn along the dead node's bottom edge.
        x0, _, y = panel.boxes()[1][1]
        px, py = view.ax.transData.transform((x0 + network_layout.NODE_RES / 2, y))
        row, col = round(pixels.shape[0] - py), round(px)
        patch = pixels[row - 2 : row + 3, col - 2 : col + 3].reshape(-1, 3).astype(int)
        assert (np.abs(patch - _rgb(NOTE_RED)).sum(axis=1) < 40).any(), patch
        # The first frame, drawn in place after it: every border grey again, the panel's own caption.
        painter.render(first)
        assert np.allclose(borders.get_colors(), to_rgba(network.BORDER_COLOUR))
        assert view.caption.get_text() == panel.caption
    finally:
        painter.close()


def test_a_dead_unit_is_outlined_by_the_celluloid_engine_too(tmp_path):
    cfg = catalog.resolve(
        {}, {"model.activation": "relu", "train.lr": 0.1, "render.grid": 20, "train.epochs": 12, "train.stop_loss": 0}
    )
    data = render.load_data(cfg)
    anim = Animation(train(cfg, data), data, catalog.with_values(cfg, {"render.panels": "input,network"}).render)
    frame = anim.frame(anim.indices[-1])
    assert frame.notes["network"].kind == "dead"
    painter = anim.painter()
    try:
        view = next(v for v in painter.views if v.name == "network")
        borders = view.add(frame)[-1]  # what celluloid snapshots for this frame
        assert np.allclose(borders.get_colors()[view.net.node_index(1, 1)], to_rgba(NOTE_RED))
    finally:
        painter.close()


def test_an_event_that_only_explains_outlines_its_units_in_ink_not_red():
    """Units saturated in a run that ends fair are explained, not warned of: ink, as the caption."""
    cfg, data = _blobs()
    hist = _history([0.8, 0.8])
    anim = Animation(hist, data, catalog.with_values(cfg, {"render.panels": "input,network"}).render)
    fair = Event("saturated", 0, 1, "a₁ saturated", layer=1, units=(0,), warning=False)
    painter = anim.painter()
    try:
        view = next(v for v in painter.views if v.name == "network")
        painter.render(replace(anim.frame(1), notes={"network": fair}))
        colours = view.artists[-1].get_colors()
        unit = view.net.node_index(1, 0)
        assert np.allclose(colours[unit], to_rgba(NOTE_INK)) and not np.allclose(colours[unit], to_rgba(NOTE_RED))
        painter.render(replace(anim.frame(1), notes={"network": replace(fair, warning=True)}))
        assert np.allclose(view.artists[-1].get_colors()[unit], to_rgba(NOTE_RED))
    finally:
        painter.close()


def test_the_network_names_only_unit_events_and_leaves_the_rest_to_its_panels():
    cfg, data = _blobs()
    r = catalog.with_values(cfg, {"render.panels": "network"}).render
    panel = Animation(_history([0.5, 0.5]), data, r).panel("network")
    dead = Event("dead", 0, 1, "a₁ is dead", layer=1, units=(0,))
    assert panel.concerns(dead) and panel.concerns(replace(dead, kind="saturated"))
    assert not panel.concerns(replace(dead, kind="plateau", layer=0, units=()))
    assert not panel.concerns(replace(dead, kind="collapsed"))  # the z panel's, when it is shown


def test_the_caption_says_what_is_drawn_and_shortens_at_small_sizes():
    run = _layout_run(**{"data.name": "moons"})
    for size, want in (("1200x400", "caption"), ("600x200", "short_caption")):
        with _painted(run, size, "input,network,loss") as painter:
            _assert_clean(painter)
            view = next(v for v in painter.views if v.name == "network")
            assert view.caption.get_visible() and view.caption.get_text() == getattr(view.panel, want), size
            box = view.caption.get_window_extent(painter.canvas.get_renderer())
            assert box.y1 <= view.ax.get_window_extent().y0  # under the network, not over it


# --- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["1200x400", "600x200"])
@pytest.mark.parametrize(
    "over",
    [
        {"data.name": "moons", "data.test_fraction": 0.25},
        {"data.name": "blobs3"},
        {"data.name": "sine"},
        {"data.name": "spiral", "model.hidden": (8, 8, 8)},
        {"data.name": "xor", "model.hidden": (20, 12)},
    ],
    ids=["binary", "multiclass", "regression-curve", "deep", "wide"],
)
def test_no_text_overlaps_with_the_network_panel(size, over):
    run = _layout_run(**over)
    with _painted(run, size, "input,network,loss") as painter:
        texts = _assert_clean(painter)
        names = [v.ax.get_title() for v in painter.views]
        assert any(t.startswith("Network") for t in names), names
        if size == "1200x400":
            # Readable at the default size: the inputs' and layers' names, the activation, the key.
            assert "x0" in texts, texts
            assert any("tanh" in t for t in texts), texts
            assert any(t.startswith("weight −") for t in texts), texts


def test_labels_are_the_features_the_layers_and_the_outputs_at_the_default_size():
    run = _layout_run(**{"data.name": "moons"})
    with _painted(run, "1200x400", "input,network,loss") as painter:
        texts = _assert_clean(painter)
        assert {"x0", "x1", "Input", "Layer 1\ntanh", "Output\nsigmoid", "P(class 1)"} <= set(texts), texts


def test_a_frame_too_small_for_labels_leaves_them_out():
    run = _layout_run(**{"data.name": "xor", "model.hidden": (20, 12)})
    with _painted(run, "320x160", "input,network,loss") as painter:
        _assert_clean(painter)
        view = next(v for v in painter.views if v.name == "network")
        fitted = [t for t in view.ax.texts if isinstance(t, network._FittedText)]
        shown = [t for t in fitted if t.get_visible()]
        assert fitted and len(shown) < len(fitted)


def test_the_panel_is_a_diagram_with_its_own_fixed_axes():
    run = _trained(**{"data.name": "moons"})
    anim = _anim(run, **{"render.panels": "input,network"})
    panel = anim.panel("network")
    assert anim.limits is not None and anim.limits["network"] == panel.box
    painter = anim.painter()
    try:
        view = next(v for v in painter.views if v.name == "network")
        assert list(view.ax.get_xticks()) == [] and list(view.ax.get_yticks()) == []
        for i in anim.indices:
            painter.render(anim.frame(i))
            assert painter.limits["network"] == panel.box
        assert panel.caption and "green +" in panel.caption
    finally:
        painter.close()


# --- every output ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gif", "mp4", "webp", "html", "png"])
def test_every_format_writes_the_network_panel(tmp_path, fmt):
    cfg = small_cfg(render__panels=("input", "network"), render__format=fmt)
    res = pipe.animate(cfg, tmp_path / f"net.{fmt}")
    assert res.path.exists() and res.path.stat().st_size > 0
    if fmt == "gif":
        assert Image.open(res.path).n_frames == res.frames == 7


@pytest.mark.parametrize(
    "over",
    [{"render.engine": "celluloid"}, {"render.axes": "per-frame"}, {"data.name": "sine"}, {"data.name": "blobs3"}],
    ids=["celluloid", "per-frame", "regression", "multiclass"],
)
def test_the_network_panel_renders_with_every_engine_axes_and_task(tmp_path, over):
    cfg = small_cfg(render__panels=("input", "network", "loss"), **{k.replace(".", "__"): v for k, v in over.items()})
    res = pipe.animate(cfg, tmp_path / "n.gif")
    assert Image.open(res.path).n_frames == res.frames


def test_the_celluloid_engine_draws_the_same_labels_on_every_frame(tmp_path):
    """The celluloid engine snapshots each frame's artists: the labels and the key are in each one."""
    from nnviz.render.celluloid import artist_animation

    run = _trained(**{"data.name": "moons", "train.epochs": 3})
    anim = _anim(run, **{"render.panels": "network", "render.size": "600x400"})
    artists = artist_animation(anim)
    artists._init_draw()  # as playing it starts: every frame's artists hidden but the first's
    try:
        frames = artists._framedata
        assert len(frames) == len(anim)
        labels = [[a for a in shot if isinstance(a, network._FittedText)] for shot in frames]
        assert len(labels[0]) > 0 and all(len(ls) == len(labels[0]) for ls in labels)
        artists._draw_frame(frames[0])  # shows the first frame's artists, as playing does
        artists._fig.canvas.draw()
        # The first frame's labels show; the others' stay hidden (drawing them never shows them again).
        assert any(t.get_visible() for t in labels[0])
        assert not any(t.get_visible() for ls in labels[1:] for t in ls)
    finally:
        artists._fig.clear()


def test_a_sweep_draws_the_network_panel(tmp_path):
    spec = {
        "data": {"name": "blobs", "n_samples": 60},
        "train": {"epochs": 3, "stop_loss": 0},
        "render": {"grid": 16, "size": "480x160", "hold": 0, "panels": ["input", "network"]},
        "sweep": {"model.hidden": [[3], [12, 4]]},
    }
    result = sweep.run_sweep(spec, tmp_path / "sweep", jobs=1)
    assert not result.failed
    gifs = sorted((tmp_path / "sweep").rglob("*.gif"))
    assert len(gifs) >= 2 and all(Image.open(g).n_frames == 4 for g in gifs if "thumb" not in g.name)


def test_the_gif_palette_keeps_the_edge_colours_and_white():
    """The palette a GIF keeps exactly holds every edge colour (and white, for the background)."""
    from nnviz.render.paint import frame_palette

    for name in ("moons", "digits"):
        run = _trained(**{"data.name": name, "train.epochs": 2, "data.n_samples": 200})
        anim = _anim(run, **{"render.panels": "input,network,loss"})
        pal = {tuple(c) for c in frame_palette(anim.scene, anim.panels)}
        edges = {tuple(c) for c in (network.edge_colours()[..., :3].reshape(-1, 3) * 255).round().astype(int)}
        assert edges <= pal and (255, 255, 255) in pal
        assert len(pal) <= 63, len(pal)  # a GIF keeps 63: more and the brightest (white) would be cut
