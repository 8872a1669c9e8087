import numpy as np

from nnviz.render import paint, scene


def _framer(spec, lims):
    """Frames that carry ``lims`` (or their own limits when None), as an Animation makes them."""
    return lambda hist, i: scene.with_limits(spec, scene.make_frame(spec, hist.epochs[i], i), lims)


def _painter(tiny_run, fixed=False, **kw):
    cfg, data, hist = tiny_run
    spec = scene.build_spec(hist, data, 1, 20)
    idx = scene.select_epochs(len(hist))
    first = _framer(spec, None)(hist, 0)
    return spec, hist, idx, paint.Painter(spec, first, size=(300, 100), fixed=fixed, **kw)


def test_frames_are_rgb_of_the_requested_size(tiny_run):
    spec, hist, idx, p = _painter(tiny_run)
    frame = p.render(_framer(spec, None)(hist, idx[-1]))
    assert frame.shape == (100, 300, 3) and frame.dtype == np.uint8
    assert frame.std() > 0  # something was drawn


def test_fixed_axes_stay_still(tiny_run):
    cfg, data, hist = tiny_run
    spec = scene.build_spec(hist, data, 1, 20)
    idx = scene.select_epochs(len(hist))
    lims = scene.fixed_limits(spec, hist, idx)
    frame = _framer(spec, lims)
    p = paint.Painter(spec, frame(hist, 0), size=(300, 100), fixed=True)
    seen = []
    for i in idx:
        p.render(frame(hist, i))
        seen.append(p.limits)
    assert all(s == seen[0] for s in seen)
    assert np.allclose(seen[0]["hidden"], lims["hidden"])


def test_per_frame_axes_follow_the_data(tiny_run):
    spec, hist, idx, p = _painter(tiny_run)
    frame = _framer(spec, None)
    p.render(frame(hist, 0))
    a = p.limits["hidden"]
    p.render(frame(hist, idx[-1]))
    assert p.limits["hidden"] != a


def test_blit_matches_full_redraw(tiny_run):
    """The blitted frame equals what a full draw of the same state shows."""
    cfg, data, hist = tiny_run
    spec = scene.build_spec(hist, data, 1, 20)
    idx = scene.select_epochs(len(hist))
    lims = scene.fixed_limits(spec, hist, idx)
    frame = _framer(spec, lims)
    p = paint.Painter(spec, frame(hist, 0), size=(300, 100), fixed=True,
                      panels=("input", "hidden", "activation", "loss"))
    fr = frame(hist, idx[-1])
    blitted = p.render(fr).copy()
    for panel in p.panels:
        for a in panel.artists:
            a.set_animated(False) if hasattr(a, "set_animated") else None
    p.title.set_animated(False)
    p.canvas.draw()
    full = paint.rgb_view(p.canvas)
    diff = np.abs(blitted.astype(int) - full.astype(int)).max(axis=2) > 8
    # Only antialiased spine pixels differ: spines are drawn again over the surface.
    assert diff.mean() < 0.03, diff.mean()


def test_palette_colors_include_classes(tiny_run):
    cfg, data, hist = tiny_run
    spec = scene.build_spec(hist, data, 1, 20)
    cols = paint.palette_colors(spec)
    assert cols.dtype == np.uint8 and cols.shape[1] == 3 and len(cols) <= 255


def test_warped_panels_draw_every_other_grid_line_crisp(tiny_run):
    """Mapped grid lines move every frame: fewer of them, no antialiased edges (GIF size)."""
    spec, hist, idx, p = _painter(tiny_run)
    n = len(spec.line_index())
    grids = {panel.name: panel.artists[1] for panel in p.panels}
    assert len(grids["input"].get_segments()) == 2 * n
    for name in ("hidden", "activation"):
        assert len(grids[name].get_segments()) == 2 * len(range(0, n, paint.WARPED_LINE_STEP))
        assert not grids[name].get_antialiased().any()
    assert grids["input"].get_antialiased().all()
