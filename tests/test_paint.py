import numpy as np
from conftest import animation_of

from nnviz import catalog
from nnviz.render import colours, paint
from nnviz.render.panels import planes


def _painter(tiny_run, axes="per-frame", **render_over):
    """(animation, history, indices, painter) for the tiny run at 300x100."""
    cfg, data, hist = tiny_run
    anim, _, _ = animation_of(cfg, hist, data, **{"render.axes": axes, **render_over})
    return anim, hist, anim.indices, anim.painter()


def test_frames_are_rgb_of_the_requested_size(tiny_run):
    anim, hist, idx, p = _painter(tiny_run)
    frame = p.render(anim.frame(idx[-1]))
    assert frame.shape == (100, 300, 3) and frame.dtype == np.uint8
    assert frame.std() > 0  # something was drawn


def test_fixed_axes_stay_still(tiny_run):
    anim, hist, idx, p = _painter(tiny_run, axes="fixed")
    seen = []
    for i in idx:
        p.render(anim.frame(i))
        seen.append(p.limits)
    assert all(s == seen[0] for s in seen)
    assert np.allclose(seen[0]["hidden"], anim.limits["hidden"])


def test_per_frame_axes_follow_the_data(tiny_run):
    anim, hist, idx, p = _painter(tiny_run)
    p.render(anim.frame(0))
    a = p.limits["hidden"]
    p.render(anim.frame(idx[-1]))
    assert p.limits["hidden"] != a


def test_blit_matches_full_redraw(tiny_run):
    """The blitted frame equals what a full draw of the same state shows."""
    anim, hist, idx, p = _painter(tiny_run, axes="fixed", **{"render.panels": "input,hidden,activation,loss"})
    fr = anim.frame(idx[-1])
    blitted = p.render(fr).copy()
    for panel in p.views:
        for a in panel.artists:
            a.set_animated(False) if hasattr(a, "set_animated") else None
    p.title.set_animated(False)
    p.canvas.draw()
    full = paint.rgb_view(p.canvas)
    diff = np.abs(blitted.astype(int) - full.astype(int)).max(axis=2) > 8
    # Only antialiased spine pixels differ: spines are drawn again over the surface.
    assert diff.mean() < 0.03, diff.mean()


def test_palette_colors_include_classes(tiny_run):
    anim, *_ = _painter(tiny_run)
    cols = anim.palette_colors()
    assert cols.dtype == np.uint8 and cols.shape[1] == 3 and len(cols) <= 255


def test_warped_panels_draw_every_other_grid_line_crisp(tiny_run):
    """Mapped grid lines move every frame: fewer of them, no antialiased edges (GIF size)."""
    anim, hist, idx, p = _painter(tiny_run)
    n = len(anim.scene.line_index())
    grids = {panel.name: panel.grid for panel in p.views}
    assert len(grids["input"].get_segments()) == 2 * n
    for name in ("hidden", "activation"):
        assert len(grids[name].get_segments()) == 2 * len(range(0, n, planes.WARPED_LINE_STEP))
        assert not grids[name].get_antialiased().any()
    assert grids["input"].get_antialiased().all()


def _default_run(**over):
    from nnviz import render
    from nnviz.engine.train import train

    cfg = catalog.resolve({}, {"render.size": "1200x400", **over})
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


def test_activation_plane_shows_both_class_colours_across_its_straight_boundary():
    """The README's lesson, as a pixel fact: in the last 2-wide activation space
    the boundary is the line a.w + b = 0, and the plane is red (class 1) on its
    positive side and blue (class 0) on the other, across the whole panel."""
    from nnviz.render.animation import Animation

    cfg, data, hist = _default_run()
    anim = Animation(hist, data, cfg.render)
    painter = anim.painter()
    last = anim.indices[-1]
    pixels = painter.render(anim.frame(last)).copy()
    W, b = hist.epochs[last].params[2][:, 0], hist.epochs[last].params[3][0]
    assert_plane_sides(pixels, painter, "activation", W, b)


def assert_plane_sides(pixels, painter, name, W, b):
    """Panel ``name`` of a binary run is red (class 1) where a.W + b > 0 and blue on the
    other side, at points of a coarse grid over the panel away from the line (also used
    by tests/test_views.py)."""
    panel = next(p for p in painter.views if p.name == name)
    x0, x1 = panel.ax.get_xlim()
    y0, y1 = panel.ax.get_ylim()
    # Sample the panel on a coarse grid; keep points well away from the line.
    seen = {True: 0, False: 0}
    for u in np.linspace(x0, x1, 9)[1:-1]:
        for v in np.linspace(y0, y1, 9)[1:-1]:
            side = u * W[0] + v * W[1] + b
            if abs(side) < 1.5 * np.linalg.norm(W) * 0.1:
                continue
            col, row = panel.ax.transData.transform((u, v))
            r, c = round(pixels.shape[0] - row), round(col)
            # The median of a 5x5 patch: a 1-px grid line or a marker edge does not decide it.
            rgb = np.median(pixels[r - 2 : r + 3, c - 2 : c + 3].reshape(-1, 3).astype(float), axis=0)
            # Faded bands near the line, and the faded plane where no input lands, are tints of the
            # class colour: red's tints have more red than blue, blue's more blue than red.
            nearer_red = (rgb[0] - rgb[2]) > 0 if abs(rgb[0] - rgb[2]) > 3 else None
            if nearer_red is None:  # white: unsure, on the line itself
                continue
            assert nearer_red == (side > 0), (u, v, side, rgb)
            seen[side > 0] += 1
    assert seen[True] >= 3 and seen[False] >= 3  # both sides are really in the panel


def test_boundary_in_the_last_activation_space_is_the_straight_line():
    cfg, data, hist = _default_run()
    anim, _, _ = animation_of(cfg, hist, data, **{"render.grid": 60, "render.axes": "per-frame"})
    ep = hist.last
    frame = anim.frame(len(hist) - 1)
    W, b = ep.params[2][:, 0], ep.params[3][0]
    lines = frame.panels["activation"].boundary
    assert lines, "no boundary in the activation space"
    pts = np.concatenate(lines)
    assert np.abs(pts @ W + b).max() < 1e-6
    # It crosses the whole panel: both ends of the line sit on the panel's edges.
    x0, x1, y0, y1 = frame.limits["activation"]
    tol = 0.02 * max(x1 - x0, y1 - y0)
    for end in (pts[0], pts[-1]):
        to_edge = min(abs(end[0] - x0), abs(end[0] - x1), abs(end[1] - y0), abs(end[1] - y1))
        assert to_edge < tol, (end, frame.limits["activation"])


def test_a_thumbnail_gives_its_plane_the_whole_tile(tiny_run):
    """No legend or panel title in a 180 px thumbnail, so the square window is drawn square, not 168x92."""
    from dataclasses import replace

    from nnviz.render.animation import Animation

    cfg, data, hist = tiny_run
    small = replace(cfg.render, size=(180, 180), panels=("input",))
    painter = Animation(hist, data, small, (0, len(hist) - 1), titles=False).painter()
    try:
        box = painter.views[0].ax.get_window_extent()
        assert not painter.fig.legends and painter.views[0].ax.get_title() == ""
        assert 0.8 <= box.width / box.height <= 1.25, (box.width, box.height)
        assert box.width >= 120  # most of the tile
    finally:
        painter.close()


def test_a_training_point_stands_out_from_its_own_region(tiny_run):
    """At full strength the surface of a confident region was exactly the class colour: a
    correctly classified filled point showed only its dark edge, which is how the legend draws
    a hollow test ring. The surface now stops well short of the colour its points are filled with."""
    from dataclasses import replace

    anim, *_ = _painter(tiny_run)
    for s, k in ((anim.scene, 2), (replace(anim.scene, task="multiclass", n_classes=3), 3)):
        cmap = colours.surface_cmap(s)
        surface = cmap(np.linspace(0, 1, cmap.N))[:, :3] * 255
        for colour in colours.class_colors(s)[:k]:
            nearest = np.linalg.norm(surface - np.array(colour) * 255, axis=1).min()
            assert nearest > 40, (s.task, colour, nearest)


def test_many_points_in_a_small_frame_leave_the_surface_visible():
    """xor's 1,000 points at a 480x160 frame's 3 pt covered its input panel; a few hundred at the
    default size keep their size."""
    import math

    def covered(ms: float, n: int, scale: float) -> float:  # share of the panel's axes the markers cover
        px = ms * paint.DPI / 72
        return n * math.pi * px**2 / 4 / (planes.AXES_PX * scale) ** 2

    assert planes.marker_size(1.0, 400) == 4.6  # the default frame, blobs: unchanged
    assert planes.marker_size(0.45, 1000) < 3.0 and covered(planes.marker_size(0.45, 1000), 1000, 0.45) <= 0.35 + 1e-9
    assert planes.marker_size(0.45, 100_000) == planes.MIN_MARKER_PT  # still a visible dot


def test_the_frozen_blue_red_map_is_seaborns_to_the_last_bit():
    """binary_cmap was seaborn's diverging_palette(220, 20) built at every render's start (seaborn's
    import cost 0.4-0.7 s); it is now built from frozen colours, which must give the same map: every
    lookup-table entry, and the 10-band map the surfaces use, equal bit for bit."""
    import seaborn as sns

    ours, theirs = colours.binary_cmap(), sns.diverging_palette(220, 20, as_cmap=True)
    assert (type(ours), ours.name, ours.N) == (type(theirs), theirs.name, theirs.N)
    for mine, ref in ((ours, theirs), (ours.resampled(colours.LEVELS), theirs.resampled(colours.LEVELS))):
        x = np.linspace(0.0, 1.0, 1001)
        assert np.array_equal(mine(x), ref(x)) and np.array_equal(mine(np.arange(mine.N)), ref(np.arange(ref.N)))


def test_rendering_never_imports_seaborn(tmp_path):
    """seaborn stays a dependency, but a render needs none of it (nor the pandas import it brings)."""
    import subprocess
    import sys

    probe = (
        "import sys, nnviz; nnviz.pin_kernels(); from nnviz import catalog, render;"
        f"render.animate(catalog.load(None, {{'render.grid': 10, 'render.size': '300x100', 'train.epochs': 1}}), {str(tmp_path / 'a.png')!r});"
        "print('seaborn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False", out.stdout + out.stderr
