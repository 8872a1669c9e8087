import threading

import numpy as np
import pytest
from conftest import small_cfg
from PIL import Image, ImageSequence

from nnviz import plan as plans
from nnviz.engine.data import DATASETS, reads_file
from nnviz.errors import RenderError
from nnviz.render import engines, parallel
from nnviz.render import pipeline as render


def _gif_frames(path):
    im = Image.open(path)
    return [f.info["duration"] for f in ImageSequence.Iterator(im)]


def test_animate_writes_all_four_files(tmp_path):
    res = render.animate(small_cfg(), tmp_path / "run.gif")
    assert res.path == tmp_path / "run.gif"
    for p in (res.path, res.poster, res.history_csv, res.config_toml):
        assert p.exists() and p.stem == "run"
    assert res.frames == len(res.history) == 7
    assert len(_gif_frames(res.path)) == 7
    assert Image.open(res.poster).size == (300, 100)
    assert "data:image/gif;base64," in res._repr_html_()


@pytest.mark.parametrize("over,count,last_ms", [
    ({}, 7, 100 + 1000),
    ({"render.every": 4}, 3, 100 + 1000),          # epochs 0, 4, 6
    ({"render.log_frames": 4}, 4, 100 + 1000),
    ({"render.hold": 0, "render.fps": 20}, 7, 50),
])
def test_frame_choice_and_hold(tmp_path, over, count, last_ms):
    cfg = small_cfg(**{k.replace(".", "__"): v for k, v in over.items()})
    res = render.animate(cfg, tmp_path / "a.gif")
    durations = _gif_frames(res.path)
    assert len(durations) == count == res.frames
    assert durations[-1] == last_ms


def test_mp4_holds_by_repeating_frames(tmp_path):
    import imageio_ffmpeg

    res = render.animate(small_cfg(render__hold=0.5), tmp_path / "a.mp4")
    n, _ = imageio_ffmpeg.count_frames_and_secs(str(res.path))
    assert n == 7 + 5


def test_png_format_writes_the_last_frame(tmp_path):
    res = render.animate(small_cfg(), tmp_path / "a.png")
    assert res.path == res.poster and Image.open(res.path).size == (300, 100)


def test_reruns_are_byte_identical(tmp_path):
    a = render.animate(small_cfg(), tmp_path / "a" / "run.gif")
    b = render.animate(small_cfg(), tmp_path / "b" / "run.gif")
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.poster.read_bytes() == b.poster.read_bytes()


@pytest.mark.parametrize("name", sorted(n for n in DATASETS if not reads_file(n)))
def test_every_dataset_renders(tmp_path, name):
    res = render.animate(small_cfg(data__name=name, render__panels="input,hidden,activation,loss"),
                         tmp_path / f"{name}.gif")
    assert res.frames == len(res.history)
    frame = np.asarray(Image.open(res.poster))
    assert frame.shape == (100, 300, 3) and frame.std() > 10


def test_csv_dataset_renders(tmp_path):
    rng = np.random.default_rng(0)
    rows = ["a,b,c,label"] + [f"{x:.3f},{y:.3f},{z:.3f},{int(x + y > 0)}" for x, y, z in rng.normal(size=(40, 3))]
    csv = tmp_path / "d.csv"
    csv.write_text("\n".join(rows) + "\n")
    res = render.animate(small_cfg(data__path=str(csv)), tmp_path / "run.gif")
    assert res.frames == len(res.history)


@pytest.mark.parametrize("over", [{"model.hidden": "4"}, {"model.hidden": "3,2", "render.layer": 2},
                                  {"model.hidden": "1"}, {"render.axes": "per-frame"},
                                  {"model.activation": "relu"}])
def test_network_shapes_and_options_render(tmp_path, over):
    cfg = small_cfg(**{k.replace(".", "__"): v for k, v in over.items()})
    assert render.animate(cfg, tmp_path / "x.gif").path.exists()


def test_celluloid_engine_matches_frame_count(tmp_path):
    res = render.animate(small_cfg(render__engine="celluloid"), tmp_path / "c.gif")
    assert len(_gif_frames(res.path)) == 7 and res.poster.exists()


def test_the_celluloid_engine_keeps_every_panels_caption_on_every_frame(tmp_path):
    """Captions are animated artists (the stream painter blits them), so the replayed frames after
    the first lost them: each frame must show the same caption rows as the stream engine's."""
    import numpy as np

    def caption_grey(img: np.ndarray) -> int:  # captions are the only mid-grey text (0.3 grey, in the GIF's palette)
        low = img[int(img.shape[0] * 0.8) :].astype(int)
        grey = (np.ptp(low, axis=-1) == 0) & (low.mean(axis=-1) > 60) & (low.mean(axis=-1) < 140)
        return int(grey.sum())

    frames = {}
    for engine in ("stream", "celluloid"):
        res = render.animate(small_cfg(render__engine=engine, render__size="900x300"), tmp_path / f"{engine}.gif")
        frames[engine] = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(res.path))]
    assert len(frames["stream"]) == len(frames["celluloid"]) > 2
    for i, (stream, cell) in enumerate(zip(frames["stream"], frames["celluloid"])):
        assert caption_grey(cell) > 0.5 * caption_grey(stream) > 0, f"celluloid frame {i} lost its captions"


def test_celluloid_animation_object(tiny_run):
    cfg, data, hist = tiny_run
    from nnviz.render.celluloid import celluloid_animation

    anim = celluloid_animation(hist, data, cfg)
    assert type(anim).__name__ == "ArtistAnimation"


def test_render_history_rerenders_without_training(tiny_run, tmp_path):
    cfg, data, hist = tiny_run
    out = render.render_history(hist, data, cfg, tmp_path / "again.mp4")
    assert out.exists() and out.suffix == ".mp4"


@pytest.mark.parametrize("fmt", ["gif", "mp4"])
def test_failure_midway_leaves_no_file(tmp_path, monkeypatch, fmt, tiny_run):
    cfg, data, hist = tiny_run
    dest = tmp_path / f"run.{fmt}"
    calls = {"n": 0}
    real = engines.StreamEngine.still

    def flaky(self, i):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("boom")
        return real(self, i)

    monkeypatch.setattr(engines.StreamEngine, "still", flaky)
    with pytest.raises(RuntimeError, match="boom"):
        render.render_history(hist, data, cfg, dest, poster=tmp_path / "run.png")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_existing_destination(tmp_path, monkeypatch, tiny_run):
    cfg, data, hist = tiny_run
    dest = tmp_path / "run.gif"
    dest.write_bytes(b"previous")
    from nnviz.render import writers

    def bad(self, frame, info):
        raise OSError("disk full")

    monkeypatch.setattr(writers.GifWriter, "_write", bad)
    with pytest.raises(OSError):
        render.render_history(hist, data, cfg, dest)
    assert dest.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


def test_output_paths(tmp_path):
    cfg = small_cfg()
    o = plans.animation_outputs(cfg)
    # The default name says what differs from the dataset's defaults, so two configs never share files.
    assert str(o.path) == "outputs/blobs-tanh-lr0.01-n-samples60-epochs6-stop-loss0-grid20-size300x100.gif"
    assert o.history_csv.suffix == ".csv"
    assert plans.animation_outputs(cfg, tmp_path / "x.mp4").format == "mp4"
    assert plans.animation_outputs(cfg, tmp_path / "x").path.suffix == ".gif"
    assert plans.animation_outputs(cfg, tmp_path / "run-lr0.01").path.name == "run-lr0.01.gif"
    with pytest.raises(RenderError, match="unknown suffix"):
        plans.animation_outputs(cfg, tmp_path / "x.webm")
    with pytest.raises(RenderError, match="agree"):
        plans.animation_outputs(small_cfg(render__format="mp4"), tmp_path / "x.png")


def test_diverged_run_still_renders(tmp_path):
    res = render.animate(small_cfg(train__lr=1e5, train__optimizer="sgd", train__epochs=50), tmp_path / "d.gif")
    if res.history.stop_reason == "diverged":
        assert "diverged at epoch" in res.history.message
    assert res.path.exists() and res.frames == len(res.history)


def test_a_gif_on_course_to_be_too_large_is_warned_about(tmp_path, monkeypatch):
    from nnviz.errors import LargeOutputWarning

    monkeypatch.setattr(render, "SIZE_PROBE_FRAMES", 3)
    monkeypatch.setattr(render, "WARN_BYTES", 1000)  # far below any real GIF of 7 frames
    with pytest.warns(LargeOutputWarning, match=r"run.gif is on course to be about .* MB .*--every N"):
        render.animate(small_cfg(), tmp_path / "run.gif")
    assert (tmp_path / "run.gif").exists()  # a warning, not a refusal


def test_small_gifs_are_not_warned_about(tmp_path, recwarn):
    render.animate(small_cfg(), tmp_path / "run.gif")
    assert not [w for w in recwarn if "on course" in str(w.message)]


def test_out_that_is_a_device_is_refused_before_training(tmp_path):
    from nnviz.errors import OutputError

    with pytest.raises(OutputError, match="--out = '/dev/full' is not writable: .*not a regular file"):
        plans.animation_outputs(small_cfg(), "/dev/full")


def test_two_painters_write_the_same_bytes_as_one(tmp_path, monkeypatch):
    calls = []
    real = parallel._interleaved
    monkeypatch.setattr(parallel, "_interleaved", lambda *a: calls.append(1) or real(*a))
    cfg = small_cfg(train__epochs=40)
    one = render.animate(cfg, tmp_path / "one.gif", workers=1)
    assert not calls
    two = render.animate(cfg, tmp_path / "two.gif", workers=2)
    # A painter forks only from a single-threaded process (parallel.can_fork): a thread left
    # running by an earlier test (an in-process Dask cluster's, say) shows here.
    assert calls, f"the helper painter never ran; threads alive: {[t.name for t in threading.enumerate()]}"
    assert one.frames == two.frames == 41
    assert (tmp_path / "one.gif").read_bytes() == (tmp_path / "two.gif").read_bytes()
    assert (tmp_path / "one.png").read_bytes() == (tmp_path / "two.png").read_bytes()


def test_two_painters_mp4_has_every_frame(tmp_path):
    import imageio_ffmpeg

    res = render.animate(small_cfg(train__epochs=30, render__hold=0), tmp_path / "a.mp4", workers=2)
    assert imageio_ffmpeg.count_frames_and_secs(str(res.path))[0] == 31


def test_a_helper_painter_that_dies_fails_cleanly(tmp_path, monkeypatch):
    import os

    parent = os.getpid()
    real = engines.StreamEngine.still

    def dies_in_the_helper(self, i):
        if os.getpid() != parent and i >= 7:
            os._exit(3)
        return real(self, i)

    monkeypatch.setattr(engines.StreamEngine, "still", dies_in_the_helper)
    dest = tmp_path / "a.gif"
    with pytest.raises(RenderError, match=r"helper painter stopped at frame \d+ \(exit code 3\)"):
        render.animate(small_cfg(train__epochs=40), dest, workers=2)
    assert not dest.exists()
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_the_palettes_sample_frames_are_painted_once_and_are_the_streamed_ones(tiny_run, tmp_path, monkeypatch):
    from nnviz.render import paint
    from nnviz.render.animation import Animation
    from nnviz.render.writers import GifWriter

    cfg, data, history = tiny_run
    anim = Animation(history, data, cfg.render)
    ends = [anim.indices[0], anim.indices[-1]]
    painted = []
    real = paint.Painter.render
    monkeypatch.setattr(paint.Painter, "render", lambda self, frame: (painted.append(frame), real(self, frame))[1])

    def write(path, reuse):
        engine = engines.StreamEngine(anim)
        try:
            sample = engine.sample(ends) if reuse else np.concatenate([engine.still(i).copy() for i in ends])
            with GifWriter(path, fps=10, sample=sample, colors=anim.palette_colors()) as w:
                engine.write(w)
        finally:
            engine.close()

    write(tmp_path / "reused.gif", reuse=True)
    assert len(painted) == len(anim.indices)  # not two more: the sampled ends are not painted again
    write(tmp_path / "painted.gif", reuse=False)
    assert len(painted) == 2 * len(anim.indices) + 2
    assert (tmp_path / "reused.gif").read_bytes() == (tmp_path / "painted.gif").read_bytes()
