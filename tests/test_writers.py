import numpy as np
import pytest
from PIL import Image, ImageSequence

from nnviz.render import writers
from nnviz.errors import RenderError


def _frames(n, w=64, h=48):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    for i in range(n):
        f = base.copy()
        f[: (i % h) + 1, :8] = (i * 40) % 255  # a bar that changes
        yield f


def _write(path, fmt, n=5, **kw):
    with writers.WRITERS[fmt](path, **kw) as w:
        for f in _frames(n):
            w.write(f)
    return path


def test_registry():
    assert set(writers.WRITERS) == {"gif", "mp4", "png"}
    assert writers.format_of("a/b.GIF") == "gif" and writers.format_of("x.txt") is None
    with pytest.raises(RenderError, match="valid: gif, mp4, png"):
        writers.writer_for("webm")


def test_gif_loops_and_holds_last_frame(tmp_path):
    path = _write(tmp_path / "a.gif", "gif", n=5, fps=10, hold=2.0, sample=next(_frames(1)))
    im = Image.open(path)
    assert im.info["loop"] == 0
    durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
    assert durations == [100, 100, 100, 100, 2100]


def test_gif_frames_round_trip(tmp_path):
    frames = list(_frames(4))
    path = _write(tmp_path / "a.gif", "gif", n=4, tolerance=0)
    im = Image.open(path)
    for i, f in enumerate(ImageSequence.Iterator(im)):
        got = np.asarray(f.convert("RGB")).astype(int)
        # palette quantisation only: no frame is garbled by the delta encoding
        assert np.abs(got - frames[i]).mean() < 20


def test_gif_is_deterministic(tmp_path):
    a = _write(tmp_path / "a.gif", "gif", n=6).read_bytes()
    b = _write(tmp_path / "b.gif", "gif", n=6).read_bytes()
    assert a == b


def test_png_keeps_last_frame_and_is_deterministic(tmp_path):
    a = _write(tmp_path / "a.png", "png", n=3)
    b = _write(tmp_path / "b.png", "png", n=3)
    assert a.read_bytes() == b.read_bytes()
    assert np.array_equal(np.asarray(Image.open(a)), list(_frames(3))[-1])


def test_mp4_frame_count_with_hold_and_odd_size(tmp_path):
    import imageio_ffmpeg

    path = tmp_path / "a.mp4"
    with writers.Mp4Writer(path, fps=10, hold=0.5) as w:
        for f in _frames(4, w=65, h=49):
            w.write(f)
    n, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert n == 4 + 5


@pytest.mark.parametrize("fmt", ["gif", "mp4", "png"])
def test_failure_leaves_nothing_and_keeps_existing(tmp_path, fmt):
    dest = tmp_path / f"a.{fmt}"
    dest.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError):
        with writers.WRITERS[fmt](dest) as w:
            w.write(next(_frames(1)))
            1 / 0
    assert dest.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a.{fmt}"]


def test_mp4_kills_ffmpeg_on_error(tmp_path):
    w = writers.Mp4Writer(tmp_path / "a.mp4").open()
    w.write(next(_frames(1)))
    proc = w._proc
    w.abort(RuntimeError("boom"))
    assert proc.poll() is not None
    assert list(tmp_path.iterdir()) == []


def test_missing_ffmpeg_suggests_gif(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "ffmpeg_exe", lambda: str(tmp_path / "no-ffmpeg"))
    with pytest.raises(RenderError, match="--format gif"):
        _write(tmp_path / "a.mp4", "mp4", n=2)
    assert list(tmp_path.iterdir()) == []


def test_bad_frames_are_refused(tmp_path):
    with pytest.raises(RenderError):
        with writers.GifWriter(tmp_path / "a.gif") as w:
            w.write(np.zeros((4, 4), np.uint8))
    with pytest.raises(RenderError, match="no frames"):
        with writers.GifWriter(tmp_path / "b.gif"):
            pass
    assert list(tmp_path.iterdir()) == []
