import numpy as np
import pytest
from PIL import Image, ImageSequence

from nnviz.errors import RenderError
from nnviz.render import writers


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
    assert list(writers.WRITERS) == ["gif", "mp4", "webp", "html", "png"]
    assert writers.format_of("a/b.GIF") == "gif" and writers.format_of("x.txt") is None
    with pytest.raises(RenderError, match="valid: gif, mp4, webp, html, png"):
        writers.writer_for("webm")


def test_registry_describes_each_format():
    got = {name: (w.suffix, w.mime, w.video, w.animated, w.wants_palette) for name, w in writers.WRITERS.items()}
    assert got == {
        "gif": (".gif", "image/gif", False, True, True),
        "mp4": (".mp4", "video/mp4", True, True, False),
        "webp": (".webp", "image/webp", False, True, False),
        "html": (".html", "text/html", False, True, False),
        "png": (".png", "image/png", False, False, False),
    }
    for name, w in writers.WRITERS.items():
        assert writers.format_of(f"x/run{w.suffix.upper()}") == name


def test_every_format_is_available_here():
    # The bundled ffmpeg has libx264 and libwebp_anim; Pillow has WebP.
    assert {name: w.unavailable() for name, w in writers.WRITERS.items()} == dict.fromkeys(writers.WRITERS)
    for name in writers.WRITERS:
        writers.check_available(name)


def test_missing_encoder_fails_early_with_the_reason(monkeypatch):
    monkeypatch.setattr(writers, "ffmpeg_encoders", lambda exe: frozenset({"libx264"}))
    assert writers.WebpWriter.unavailable() == "the bundled ffmpeg has no libwebp_anim encoder"
    with pytest.raises(RenderError, match=r"^format 'webp' cannot be written here: the bundled ffmpeg has no "
                                          r"libwebp_anim encoder; use another format: gif, mp4, html, png$"):
        writers.check_available("webp")
    writers.check_available("mp4")


def test_missing_ffmpeg_makes_ffmpeg_formats_unavailable(monkeypatch):
    def missing():
        raise RenderError("ffmpeg is not available (no binary); use --format gif")

    monkeypatch.setattr(writers, "ffmpeg_exe", missing)
    with pytest.raises(RenderError, match="format 'mp4' cannot be written here: ffmpeg is not available.*"
                                          "use another format: gif, html, png$"):
        writers.check_available("mp4")
    with pytest.raises(RenderError, match="unknown format 'avi'"):
        writers.check_available("avi")


@pytest.mark.parametrize("kw, message", [
    ({"fps": 0}, "fps must be a finite number > 0, got 0"),
    ({"fps": float("nan")}, "fps must be a finite number > 0"),
    ({"fps": "fast"}, "fps must be a finite number > 0, got 'fast'"),
    ({"hold": -1}, "hold must be a finite number >= 0, got -1"),
])
def test_bad_fps_or_hold_is_refused(tmp_path, kw, message):
    with pytest.raises(RenderError, match=message):
        writers.GifWriter(tmp_path / "a.gif", **kw)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("info, message", [
    ({"epoch": "3"}, "frame info 'epoch' must be an integer, got '3'"),
    ({"epoch": True}, "'epoch' must be an integer"),
    ({"title": 3}, "'title' must be a string"),
    ({"metrics": {"loss": "low"}}, "metric 'loss' = 'low': metrics map names"),
    ({"metrics": [1.0]}, "'metrics' must map names to numbers"),
    ({"loss": 0.5}, "unknown frame info key.* loss; allowed: epoch, title, metrics"),
    ([("epoch", 1)], "frame info must be a mapping"),
])
@pytest.mark.parametrize("fmt", ["gif", "html"])
def test_bad_frame_info_is_refused_by_every_writer(tmp_path, fmt, info, message):
    with pytest.raises(RenderError, match=message), writers.WRITERS[fmt](tmp_path / f"a.{fmt}") as w:
        w.write(next(_frames(1)), info)
    assert list(tmp_path.iterdir()) == []


def test_frame_info_is_normalised():
    info = {"epoch": np.int64(4), "title": "Epoch 4", "metrics": {"loss": np.float32(0.5), "acc": 1}}
    assert writers.check_info(info) == {"epoch": 4, "title": "Epoch 4", "metrics": {"loss": 0.5, "acc": 1.0}}
    assert writers.check_info(None) is None


def test_gif_loops_and_holds_last_frame(tmp_path):
    path = _write(tmp_path / "a.gif", "gif", n=5, fps=10, hold=2.0, sample=next(_frames(1)))
    im = Image.open(path)
    assert im.info["loop"] == 0
    durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
    assert durations == [100, 100, 100, 100, 2100]


def test_old_palette_keywords_fail_loudly(tmp_path):
    with pytest.raises(TypeError, match="GifWriter: palette= is now sample="):
        writers.GifWriter(tmp_path / "a.gif", palette=next(_frames(1)))
    with pytest.raises(TypeError, match="palette_colors= is now colors="):
        writers.GifWriter(tmp_path / "a.gif", palette_colors=np.zeros((1, 3), np.uint8))


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


@pytest.mark.parametrize("fmt", ["gif", "mp4", "webp", "html", "png"])
def test_failure_leaves_nothing_and_keeps_existing(tmp_path, fmt):
    dest = tmp_path / f"a.{fmt}"
    dest.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError), writers.WRITERS[fmt](dest) as w:
        w.write(next(_frames(1)))
        raise ZeroDivisionError("the body fails mid-write")
    assert dest.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a.{fmt}"]


@pytest.mark.parametrize("fmt", ["mp4", "webp"])
def test_ffmpeg_is_killed_on_error(tmp_path, fmt):
    w = writers.WRITERS[fmt](tmp_path / f"a.{fmt}").open()
    w.write(next(_frames(1)))
    proc = w._proc
    w.abort(RuntimeError("boom"))
    assert proc.poll() is not None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["mp4", "webp"])
def test_missing_ffmpeg_suggests_gif(tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(writers, "ffmpeg_exe", lambda: str(tmp_path / "no-ffmpeg"))
    with pytest.raises(RenderError, match="--format gif"):
        _write(tmp_path / f"a.{fmt}", fmt, n=2)
    assert list(tmp_path.iterdir()) == []


def test_bad_frames_are_refused(tmp_path):
    with pytest.raises(RenderError), writers.GifWriter(tmp_path / "a.gif") as w:
        w.write(np.zeros((4, 4), np.uint8))
    with pytest.raises(RenderError, match="no frames"), writers.GifWriter(tmp_path / "b.gif"):
        pass
    assert list(tmp_path.iterdir()) == []


# --- WebP ---------------------------------------------------------------------------

def _webp_frames(path):
    """Each frame of an animated WebP as (RGB array, duration in ms), as Pillow decodes it."""
    im = Image.open(path)
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        im.load()  # Pillow fills in the duration on load
        out.append((np.asarray(im.convert("RGB")), im.info["duration"]))
    return im, out


def test_webp_is_lossless_loops_and_holds_last_frame(tmp_path):
    frames = list(_frames(5))
    path = _write(tmp_path / "a.webp", "webp", n=5, fps=10, hold=2.0)
    im, got = _webp_frames(path)
    assert im.format == "WEBP" and im.info["loop"] == 0
    assert len(got) == 5  # the 20 hold repeats merge into the last frame
    for f, (pixels, _) in zip(frames, got):
        assert np.array_equal(pixels, f)
    assert [d for _, d in got] == [100, 100, 100, 100, 2100]


def test_webp_odd_size_and_fractional_fps(tmp_path):
    frames = list(_frames(3, w=65, h=49))
    with writers.WebpWriter(tmp_path / "a.webp", fps=12) as w:
        for f in frames:
            w.write(f)
    _, got = _webp_frames(tmp_path / "a.webp")
    assert all(np.array_equal(p, f) for f, (p, _) in zip(frames, got))
    durations = [d for _, d in got]
    assert set(durations) <= {83, 84} and abs(sum(durations) - 250) <= 1  # 1/12 s each, no drift


def test_webp_is_deterministic(tmp_path):
    a = _write(tmp_path / "a.webp", "webp", n=6, hold=1.0).read_bytes()
    b = _write(tmp_path / "b.webp", "webp", n=6, hold=1.0).read_bytes()
    assert a == b


def test_webp_with_a_sample_shows_the_gifs_pixels(tmp_path):
    frames = list(_frames(4))
    sample, colors = np.concatenate([frames[0], frames[-1]]), np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    gif = _write(tmp_path / "a.gif", "gif", n=4, sample=sample, colors=colors)
    webp = _write(tmp_path / "a.webp", "webp", n=4, sample=sample, colors=colors)
    gif_frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(gif))]
    _, got = _webp_frames(webp)
    assert len(got) == 4 and all(np.array_equal(g, p) for g, (p, _) in zip(gif_frames, got))
    assert not np.array_equal(got[0][0], frames[0])  # quantised, not the input
    assert webp.stat().st_size < _write(tmp_path / "b.webp", "webp", n=4).stat().st_size


@pytest.mark.parametrize("fmt", ["webp", "html", "mp4"])
def test_any_writer_given_a_sample_maps_frames_to_the_gifs_palette(tmp_path, fmt, monkeypatch):
    """``--colors palette`` reaches every format through the base class: each frame is mapped
    before the format's own encoder sees it (mp4's is lossy, so the frames it is handed are checked)."""
    frames = list(_frames(4))
    sample, colors = np.concatenate([frames[0], frames[-1]]), np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    gif = _write(tmp_path / "a.gif", "gif", n=4, sample=sample, colors=colors)
    gif_frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(gif))]
    kind = writers.writer_for(fmt)
    handed: list[np.ndarray] = []
    encode = kind._write
    monkeypatch.setattr(kind, "_write", lambda self, f, info: (handed.append(f.copy()), encode(self, f, info))[1])
    with kind(tmp_path / f"b.{fmt}", sample=sample, colors=colors) as w:
        for f in frames:
            w.write(f)
    assert len(handed) == 4 and all(np.array_equal(g, h) for g, h in zip(gif_frames, handed))
    assert not np.array_equal(handed[0], frames[0])  # mapped, not the input
    if fmt == "html":
        shown = [pixels for pixels, _ in _player_frames(tmp_path / "b.html")]
        assert all(np.array_equal(g, s) for g, s in zip(gif_frames, shown))


@pytest.mark.parametrize("kw, message", [
    ({"compression_level": 7}, "webp compression_level=7 is not allowed; use a whole number from 0 to 6"),
    ({"quality": "best"}, "webp quality='best' is not allowed; use a whole number from 0 to 100"),
])
def test_webp_bad_options(tmp_path, kw, message):
    with pytest.raises(RenderError, match=message):
        _write(tmp_path / "a.webp", "webp", **kw)
    assert list(tmp_path.iterdir()) == []


# --- HTML player ----------------------------------------------------------------------

def _player_frames(path):
    """(RGB frame, info) for each frame of an HTML player, composited as its script does."""
    import base64
    import io
    import json

    out, canvas = [], None
    for line in path.read_text(encoding="ascii").splitlines():
        if not line.startswith('["'):
            continue
        data, info, *at = json.loads(line.rstrip(","))
        image = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA")) if data else None
        if not at:  # a keyframe: the whole frame, opaque
            assert image is not None and (image[..., 3] == 255).all()
            canvas = image[..., :3].copy()
        elif image is not None:  # a delta: opaque pixels replace, transparent ones keep
            x, y = at
            region = canvas[y: y + image.shape[0], x: x + image.shape[1]]
            assert set(np.unique(image[..., 3])) <= {0, 255}
            region[image[..., 3] == 255] = image[..., :3][image[..., 3] == 255]
        out.append((canvas.copy(), info))
    return out


def _write_html(path, n=4, **kw):
    with writers.HtmlWriter(path, **kw) as w:
        for i, f in enumerate(_frames(n)):
            w.write(f, {"epoch": i * 10, "title": f"Epoch {i * 10}", "metrics": {"loss": 1 / (i + 1)}})
    return path


@pytest.mark.parametrize("image", ["webp", "png"])
def test_html_stores_every_frame_losslessly_with_its_info(tmp_path, image):
    frames = list(_frames(4))
    got = _player_frames(_write_html(tmp_path / "a.html", image=image))
    assert len(got) == 4
    for i, (f, (pixels, info)) in enumerate(zip(frames, got)):
        assert np.array_equal(pixels, f)
        assert info == {"epoch": i * 10, "title": f"Epoch {i * 10}", "metrics": {"loss": 1 / (i + 1)}}


def test_html_stores_keyframes_and_deltas(tmp_path):
    frames = list(_frames(12))
    frames[6] = frames[5]  # an unchanged frame stores nothing
    with writers.HtmlWriter(tmp_path / "a.html", keyframes=5) as w:
        for f in frames:
            w.write(f)
    lines = [ln for ln in (tmp_path / "a.html").read_text(encoding="ascii").splitlines() if ln.startswith('["')]
    kinds = ["key" if ln.endswith("{}],") else "empty" if ln.startswith('["",') else "delta" for ln in lines]
    assert kinds == ["key"] + ["delta"] * 4 + ["key", "empty"] + ["delta"] * 3 + ["key", "delta"]
    assert all(np.array_equal(f, got) for f, (got, _) in zip(frames, _player_frames(tmp_path / "a.html")))
    whole = _write_html(tmp_path / "b.html", n=12, keyframes=1)
    assert (tmp_path / "a.html").stat().st_size < 0.7 * whole.stat().st_size


@pytest.mark.parametrize("keyframes", [0, 2.5, True])
def test_html_bad_keyframes(tmp_path, keyframes):
    with pytest.raises(RenderError, match=f"html keyframes={keyframes!r} is not allowed; use a whole number >= 1"):
        _write_html(tmp_path / "a.html", keyframes=keyframes)
    assert list(tmp_path.iterdir()) == []


def test_html_is_self_contained_and_deterministic(tmp_path):
    a = _write_html(tmp_path / "a.html", fps=5, hold=1.5)
    text = a.read_text(encoding="ascii")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    code = "\n".join(line for line in text.splitlines() if not line.startswith('["'))  # all but frame data
    for remote in ("http:", "https:", "://", "src=\"", "<link", "@import", "url(", "document.write", " id="):
        assert remote not in code, remote
    assert "var FPS = 5.0, HOLD = 1.5" in text
    (tmp_path / "again").mkdir()
    assert a.read_bytes() == _write_html(tmp_path / "again" / "a.html", fps=5, hold=1.5).read_bytes()


def test_html_info_cannot_break_out_of_the_script(tmp_path):
    with writers.HtmlWriter(tmp_path / "a.html", title="<b>run</b> été") as w:
        w.write(next(_frames(1)), {"title": "</script><script>alert(1)</script>", "metrics": {"nan": float("nan")}})
    text = (tmp_path / "a.html").read_text(encoding="ascii")
    assert text.count("</script>") == 1 and text.count("<script>") == 1
    assert "<title>&lt;b&gt;run&lt;/b&gt; &#233;t&#233;</title>" in text
    assert _player_frames(tmp_path / "a.html")[0][1]["title"] == "</script><script>alert(1)</script>"


def test_player_html_is_the_fragment_for_a_notebook(tmp_path):
    from nnviz.render.player import Player, player_html

    frag = player_html(_write_html(tmp_path / "a.html"))
    assert Player(tmp_path / "a.html")._repr_html_() == frag
    assert frag.startswith("<!-- nnviz-player -->") and frag.endswith("<!-- /nnviz-player -->")
    assert "<html" not in frag and "<head" not in frag and frag.count('class="nnviz-player"') == 1
    (tmp_path / "b.gif").write_bytes(b"GIF89a")
    with pytest.raises(RenderError, match="is not an nnviz HTML player"):
        player_html(tmp_path / "b.gif")
    with pytest.raises(RenderError, match="cannot read the player"):
        player_html(tmp_path / "missing.html")


def test_html_bad_image_option(tmp_path):
    with pytest.raises(RenderError, match="html image='jpeg' is not allowed; use one of: webp, png"):
        _write_html(tmp_path / "a.html", image="jpeg")
    assert list(tmp_path.iterdir()) == []


def test_gif_keeps_fixed_colours_exact_beside_near_ones(tmp_path):
    """A white background stays pure white even when the sample holds near-white
    (antialiased text): the palette keeps median-cut colours away from fixed ones."""
    from PIL import Image

    from nnviz.render.writers import GifWriter

    frame = np.full((40, 60, 3), 255, np.uint8)
    frame[10:20, 10:50] = 253  # near-white, like text antialiasing
    frame[25:30, 5:55] = (60, 120, 180)
    fixed = np.array([[255, 255, 255], [0, 0, 0], [60, 120, 180]], np.uint8)
    dest = tmp_path / "w.gif"
    with GifWriter(dest, fps=10, sample=frame, colors=fixed) as w:
        w.write(frame)
    with Image.open(dest) as im:
        decoded = np.asarray(im.convert("RGB"))
    assert (decoded[0, 0] == 255).all()
    assert (decoded[25, 5] == (60, 120, 180)).all()
