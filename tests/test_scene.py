import subprocess
import sys

import numpy as np
import pytest
from conftest import animation_of, logits, small_cfg

from nnviz.errors import RenderError
from nnviz.render import scene


def _anim(cfg, **render_over):
    anim, hist, _ = animation_of(cfg, **{"render.axes": "per-frame", **render_over})
    return anim, hist


def test_scene_does_not_import_matplotlib():
    code = "import sys, nnviz.render.scene; print(any(m.startswith('matplotlib') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("n,every,log,expected", [
    (10, 1, 0, tuple(range(10))),
    (10, 3, 0, (0, 3, 6, 9)),
    (11, 3, 0, (0, 3, 6, 9, 10)),
    (5, 1, 10, (0, 1, 2, 3, 4)),
    (1, 1, 0, (0,)),
])
def test_select_epochs(n, every, log, expected):
    assert scene.select_epochs(n, every, log) == expected


def test_log_frames_distinct_and_ends():
    idx = scene.select_epochs(201, 1, 12)
    assert len(idx) == 12 and len(set(idx)) == 12
    assert idx[0] == 0 and idx[-1] == 200 and list(idx) == sorted(idx)


def test_select_epochs_empty():
    with pytest.raises(RenderError):
        scene.select_epochs(0)


def test_frame_shapes_and_limits_cover_every_frame(tiny_run):
    cfg, data, hist = tiny_run
    anim, _, _ = animation_of(cfg, hist, data, **{"render.axes": "per-frame"})
    idx = scene.select_epochs(len(hist))
    lims = scene.fixed_limits(anim.scene, anim.panels, hist, idx)
    for i in idx:
        fr = anim.frame(i)
        assert fr.values.shape == (20, 20) and fr.values.min() >= 0 and fr.values.max() <= 1
        assert fr.title.startswith(f"Epoch {hist.epochs[i].epoch}")
        for name in ("hidden", "activation"):
            mesh = fr.panels[name].mesh
            x0, x1, y0, y1 = lims[name]
            assert mesh.shape == (20, 20, 2)
            assert x0 <= mesh[..., 0].min() and mesh[..., 0].max() <= x1
            assert y0 <= mesh[..., 1].min() and mesh[..., 1].max() <= y1


def test_wide_layer_uses_fixed_pca_basis():
    anim, hist = _anim(small_cfg(model__hidden="5"))
    hidden = anim.panel("hidden")
    assert hidden.proj.projected and hidden.labels == ("PC1 (projection)", "PC2 (projection)")
    assert anim.frame(0).panels["hidden"].mesh.shape == (20, 20, 2)


@pytest.mark.parametrize("hidden, layer", [("4", 1), ("6,5", 2)])
def test_a_wide_last_activation_is_drawn_on_the_output_axis_where_its_boundary_is_straight(hidden, layer):
    """Principal axes showed circles' 4-unit activation boundary as a triangle and moons' as a
    bent line with points on the wrong side. On the output axis the trained network's decision
    depends on the horizontal coordinate alone: one straight vertical line, every point on its side."""
    cfg = small_cfg(data__name="circles", model__hidden=hidden, render__layer=layer, train__epochs=40, render__grid=40)
    anim, hist = _anim(cfg)
    assert anim.panel("activation").labels == ("output axis (projection)", "PC1 across it (projection)")
    assert anim.panel("hidden").labels == ("PC1 (projection)", "PC2 (projection)")  # z is not what the output reads
    act = anim.frame(len(hist) - 1).panels["activation"]
    line = np.concatenate(act.boundary)
    assert len(line) > 5 and np.ptp(line[:, 0]) < 1e-6 * max(1.0, np.ptp(act.points[:, 0]))
    logit = logits(anim, hist.last.params, anim.scene.X)[:, 0]
    u = act.points[:, 0]
    assert ((u > line[0, 0]) == (logit > 0)).all()
    assert anim.panel("activation").layer == layer


def test_three_classes_are_drawn_on_their_two_output_axes_and_more_fall_back_to_pca():
    """Three classes' boundaries depend on two logit differences: exactly a plane. Ten do not."""
    anim, hist = _anim(small_cfg(data__name="blobs3", model__hidden="5", train__epochs=30, render__grid=40))
    assert anim.panel("activation").labels == ("output axis 1 (projection)", "output axis 2 (projection)")
    uv = anim.frame(len(hist) - 1).panels["activation"].points
    out = logits(anim, hist.last.params, anim.scene.X)
    diffs = out[:, 1:] - out[:, :1]  # what decides the class: an affine function of the plane
    design = np.column_stack([uv, np.ones(len(uv))])
    fit = design @ np.linalg.lstsq(design, diffs, rcond=None)[0]
    assert np.abs(fit - diffs).max() < 1e-8 * max(1.0, np.abs(diffs).max())
    h = np.random.default_rng(0).normal(size=(50, 6))
    assert scene.Projection.decision(h, np.random.default_rng(1).normal(size=(6, 10))) is None
    assert scene.Projection.decision(h, np.zeros((6, 1))) is None


def test_deeper_layer_and_width_one():
    anim, hist = _anim(small_cfg(model__hidden="3,1", render__layer=2))
    assert anim.panel("activation").width == 1 and anim.scene.layer == 2
    assert anim.frame(len(hist) - 1).panels["activation"].mesh.shape == (20, 20, 2)


def test_regression_is_a_curve():
    anim, hist = _anim(small_cfg(data__name="sine"))
    assert anim.scene.mode == "curve"
    fr = anim.frame(len(hist) - 1)
    assert fr.panels["hidden"].curve.shape == (20, 2) and fr.title.split()[2] == "rmse"


def test_multiclass_values_encode_class():
    anim, hist = _anim(small_cfg(data__name="blobs3"))
    out = np.array([[0.9, 0.05, 0.05], [0.2, 0.2, 0.6]])
    v = anim.scene.surface_values(out)
    assert 0 <= v[0] < 1 / 3 and 2 / 3 <= v[1] < 1


def test_boundary_is_exact_in_activation_space():
    """A 2-wide last hidden layer: the boundary there is the line a . w + b = 0.

    Contour points interpolated on the grid miss it once a deep net maps them;
    the refined ones lie on it (and the logit at the input points is zero).
    """
    anim, hist = _anim(small_cfg(model__hidden="8,2", render__layer=2, render__grid=40, train__epochs=40))
    params = hist.last.params
    fr = anim.frame(len(hist) - 1)
    pts = np.concatenate(fr.panels["input"].boundary)
    act = np.concatenate(fr.panels["activation"].boundary)
    assert len(pts) > 10
    w_out, b_out = params[-2][:, 0], params[-1][0]
    assert np.abs(act @ w_out + b_out).max() < 1e-6
    assert np.abs(logits(anim, params, anim.scene.plane.inverse(pts))).max() < 1e-6


def test_multiclass_boundary_points_are_ties():
    """Every multiclass boundary point is a tie between the two best logits."""
    anim, hist = _anim(small_cfg(data__name="blobs3", train__epochs=30))
    params = hist.last.params
    fr = anim.frame(len(hist) - 1)
    top2 = np.sort(logits(anim, params, np.concatenate(fr.panels["input"].boundary)), axis=1)[:, -2:]
    assert len(top2) > 10 and np.abs(top2[:, 1] - top2[:, 0]).max() < 1e-6


def test_large_data_draws_a_seeded_sample_and_says_so(tiny_run, monkeypatch):
    """60,000 MNIST points cost ~3 s a frame and show a blot: at most MAX_SHOWN_POINTS are drawn."""
    cfg, data, hist = tiny_run
    from nnviz.render.scene import base

    monkeypatch.setattr(base, "MAX_SHOWN_POINTS", 25)
    anim, _, _ = animation_of(cfg, hist, data)
    assert len(anim.scene.X) == len(anim.scene.y) == 25 < len(data.y)
    assert anim.panel("input").title == f"Input space (25 of {len(data.y) + len(data.y_test)} points drawn)"
    frame = anim.frame(len(hist) - 1)
    assert all(len(s.points) == 25 for s in frame.panels.values() if len(s.points))
    again, _, _ = animation_of(cfg, hist, data)
    assert np.array_equal(anim.scene.X, again.scene.X)  # the same sample every time: frames stay deterministic
    # The metrics in the title are the whole set's, from the history.
    assert f"{hist.last.metrics['accuracy']:.1%}" in frame.title


def test_small_data_draws_every_point(tiny_run):
    cfg, data, hist = tiny_run
    anim, _, _ = animation_of(cfg, hist, data)
    assert len(anim.scene.y) == len(data.y) + len(data.y_test) and anim.panel("input").title == "Input space"


@pytest.mark.parametrize("dataset, metric", [("blobs", "accuracy"), ("sine", "rmse")])
def test_titles_write_a_huge_finite_loss_with_an_exponent(dataset, metric):
    """A diverging run can end on a finite 1e263: fixed point would run 264 digits off the frame."""
    cfg = small_cfg(**{"data.name": dataset, "train.epochs": 1})
    anim, _ = _anim(cfg)
    metrics = {"loss": 1.0801204555553239e263, metric: 3.2865e131 if metric == "rmse" else 0.5}
    for title in (scene.title(anim.scene, 4, metrics), scene.short_title(anim.scene, 4, metrics)):
        assert "1.08e+263" in title and len(title) < 60, title
    ordinary = scene.title(anim.scene, 4, {"loss": 0.26274, metric: 0.5})
    assert "loss 0.2627" in ordinary


def test_numbers_fixed_count_and_metric():
    from nnviz.numbers import count, fixed, metric

    assert fixed(0.26274) == "0.263" and fixed(0.26274, 4) == "0.2627"
    assert fixed(99999.0, 1) == "99999.0" and fixed(123456.0) == "1.23e+05" and fixed(-2e300) == "-2.00e+300"
    assert fixed(float("inf")) == "inf" and fixed(float("nan")) == "nan"
    assert count(1, "run") == "1 run" and count(0, "run") == "0 runs" and count(6, "frame") == "6 frames"
    assert metric("accuracy", 0.8725) == "acc 87.2%" and metric("rmse", 0.12345) == "rmse 0.123"
    assert metric("loss", 3e200) == "loss 3.00e+200"
