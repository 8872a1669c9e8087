"""What a reader's browser shows: the HTML player and animated WebP in headless Chromium.

Needs ``playwright`` (pip) and a Chromium binary (Debian: ``apt-get install
chromium``; or set NNVIZ_CHROMIUM); without them every test here is skipped
with the reason. ``playwright install`` is never needed: the system Chromium
is launched directly.
"""

from __future__ import annotations

import base64
import os
import re
import shutil

import numpy as np
import pytest

from nnviz.render import writers
from nnviz.render.player import player_html

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
N = 6


def _chromium() -> str | None:
    found = os.environ.get("NNVIZ_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found if found and os.access(found, os.X_OK) else None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set NNVIZ_CHROMIUM)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and uncaught exceptions."""
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def _frames(n: int = N, w: int = 40, h: int = 30) -> list[np.ndarray]:
    """Distinct frames, each the one before plus a random patch.

    A delta alone is not its frame, so drawing one on the wrong frame shows.
    """
    rng = np.random.default_rng(1)
    f = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    out = []
    for _ in range(n):
        f = f.copy()
        y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
        f[y: y + rng.integers(2, 5), x: x + rng.integers(2, 5)] = rng.integers(0, 255, 3, dtype=np.uint8)
        out.append(f)
    return out


def _info(i: int) -> dict:
    return {"epoch": 10 * i, "title": f"Epoch {10 * i}", "metrics": {"loss": 1.0 / (i + 1), "accuracy": i / 10}}


def _player(path, frames, **kw):
    with writers.HtmlWriter(path, **kw) as w:
        for i, f in enumerate(frames):
            w.write(f, _info(i))
    return path


# The RGB pixels on a player's canvas once the frame it was asked for is drawn.
_SHOWN = """async (root) => {
  for (let t = 0; root.dataset.shown !== root.dataset.frame; t++) {
    if (t > 500) throw new Error('frame ' + root.dataset.frame + ' was never drawn');
    await new Promise(r => setTimeout(r, 10));
  }
  const c = root.querySelector('.nnviz-frame');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const rgb = []; for (let i = 0; i < d.length; i += 4) rgb.push(d[i], d[i + 1], d[i + 2]);
  return {w: c.width, h: c.height, rgb: rgb, frame: +root.dataset.shown}; }"""


def _shown(player) -> tuple[int, np.ndarray]:
    """(index, pixels) of the frame the player shows."""
    got = player.evaluate(_SHOWN)
    return got["frame"], np.array(got["rgb"], np.uint8).reshape(got["h"], got["w"], 3)


def _assert_shows(player, frames, k: int) -> None:
    index, pixels = _shown(player)
    assert index == k
    assert np.array_equal(pixels, frames[k]), f"the image shown is not frame {k}"


def test_player_counts_scrubs_and_steps(page, tmp_path):
    frames = _frames()
    path = _player(tmp_path / "a.html", frames, autoplay=False, keyframes=4)
    page.goto(path.as_uri())
    player = page.locator(".nnviz-player")
    assert player.get_attribute("data-frames") == str(N)
    scrub = page.get_by_role("slider", name="Frame")
    assert scrub.get_attribute("max") == str(N - 1)
    _assert_shows(player, frames, 0)
    assert page.locator(".nnviz-title").inner_text() == "Epoch 0"

    scrub.fill("3")  # as a drag would: sets the value and fires input
    _assert_shows(player, frames, 3)
    assert page.locator(".nnviz-counter").inner_text() == f"frame 4 / {N}"
    assert page.locator(".nnviz-title").inner_text() == "Epoch 30"
    assert page.locator(".nnviz-metrics").inner_text().split() == ["loss", "0.25", "accuracy", "30.0%"]

    page.get_by_role("button", name="Next frame (Right arrow)").click()
    _assert_shows(player, frames, 4)
    page.get_by_role("button", name="Previous frame (Left arrow)").click()
    page.get_by_role("button", name="Previous frame (Left arrow)").click()
    _assert_shows(player, frames, 2)
    page.get_by_role("button", name="Last frame (End)").click()
    _assert_shows(player, frames, N - 1)
    page.get_by_role("button", name="Next frame (Right arrow)").click()  # loops
    _assert_shows(player, frames, 0)
    assert page.errors == []


_ICONS = """(b) => ({text: b.textContent.trim(),
  shown: [...b.querySelectorAll('svg')].filter(s => getComputedStyle(s).display !== 'none')
    .map(s => [s.getAttribute('class') || '', s.getBoundingClientRect().width])})"""


def _ink(button) -> float:
    """The share of a button's pixels that are dark: its icon's ink."""
    import io

    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(button.screenshot())).convert("L"))
    return float((grey < 100).mean())


def test_player_buttons_draw_icons_that_need_no_font(page, tmp_path):
    """Symbol characters (U+23EE...) are missing from common fonts and show as empty boxes;
    each button draws one SVG icon instead, with ink, and play turns into pause."""
    path = _player(tmp_path / "a.html", _frames(), autoplay=False)
    page.goto(path.as_uri())
    buttons = page.locator(".nnviz-controls button")
    assert buttons.count() == 5
    for i in range(5):
        got = buttons.nth(i).evaluate(_ICONS)
        assert got["text"] == "" and len(got["shown"]) == 1 and got["shown"][0][1] >= 8, got
        assert _ink(buttons.nth(i)) > 0.02
    play = page.locator('[data-act="play"]')
    assert play.evaluate(_ICONS)["shown"][0][0] == "nnviz-i-play"
    play.click()
    assert play.evaluate(_ICONS)["shown"][0][0] == "nnviz-i-pause"
    assert play.get_attribute("aria-label") == "Pause (Space)"
    assert page.errors == []


@pytest.mark.parametrize("image", ["webp", "png"])
def test_any_seek_order_shows_the_exact_frame(page, tmp_path, image):
    # Across keyframes, backwards, repeated, and a burst of seeks where only the last may win.
    frames = _frames(9)
    page.goto(_player(tmp_path / "a.html", frames, autoplay=False, keyframes=3, image=image).as_uri())
    player = page.locator(".nnviz-player")
    for k in [5, 2, 8, 0, 3, 3, 7, 1, 6, 4]:
        player.evaluate(f"root => root.nnviz.show({k})")
        _assert_shows(player, frames, k)
    player.evaluate("root => { for (const k of [8, 1, 7, 2, 5]) root.nnviz.show(k); }")
    _assert_shows(player, frames, 5)
    assert page.errors == []


def test_player_keyboard(page, tmp_path):
    frames = _frames()
    page.goto(_player(tmp_path / "a.html", frames, autoplay=False).as_uri())
    player = page.locator(".nnviz-player")
    player.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    _assert_shows(player, frames, 2)
    page.keyboard.press("ArrowLeft")
    _assert_shows(player, frames, 1)
    page.keyboard.press("End")
    _assert_shows(player, frames, N - 1)
    page.keyboard.press("Home")
    _assert_shows(player, frames, 0)
    page.keyboard.press("ArrowLeft")  # wraps to the last frame
    _assert_shows(player, frames, N - 1)

    page.keyboard.press(" ")
    assert player.get_attribute("data-playing") == "true"
    assert page.get_by_role("button", name="Pause (Space)").get_attribute("aria-pressed") == "true"
    page.keyboard.press(" ")
    assert player.get_attribute("data-playing") == "false"

    # On the slider the browser's own arrow handling moves one step, not two.
    page.get_by_role("slider", name="Frame").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    _assert_shows(player, frames, 1)
    assert page.errors == []


def test_player_plays_loops_and_pauses(page, tmp_path):
    frames = _frames()
    page.goto(_player(tmp_path / "a.html", frames, fps=50, hold=0.0).as_uri())  # autoplay by default
    player = page.locator(".nnviz-player")
    assert player.get_attribute("data-playing") == "true"
    seen = set()
    for _ in range(60):  # 6 frames at 50 fps loop in 0.12 s; watch for ~1 s
        seen.add(int(player.get_attribute("data-frame")))
        page.wait_for_timeout(15)
    assert seen == set(range(N)), "playback should visit every frame and loop"
    page.get_by_role("button", name="Pause (Space)").click()
    k = int(player.get_attribute("data-frame"))
    page.wait_for_timeout(200)
    assert int(player.get_attribute("data-frame")) == k
    _assert_shows(player, frames, k)
    assert page.errors == []


def test_playback_keeps_drawing_when_decoding_is_slower_than_the_frame_rate(page, tmp_path):
    frames = _frames(9)
    # Every image takes 80 ms to decode; frames are due every 20 ms.
    page.add_init_script("""const decode = HTMLImageElement.prototype.decode;
      HTMLImageElement.prototype.decode = function () {
        return decode.call(this).then(() => new Promise(r => setTimeout(r, 80))); };""")
    page.goto(_player(tmp_path / "a.html", frames, fps=50, hold=0.0).as_uri())
    player = page.locator(".nnviz-player")
    drawn = set()
    for _ in range(40):
        drawn.add(player.get_attribute("data-shown"))
        page.wait_for_timeout(25)
    assert len(drawn) >= 5, f"only frames {sorted(drawn)} were drawn while playing"
    page.get_by_role("button", name="Pause (Space)").click()
    _assert_shows(player, frames, int(player.get_attribute("data-frame")))
    assert page.errors == []


def test_two_players_inserted_like_a_notebook_are_independent(page, tmp_path):
    a, b = _frames(N), _frames(3, w=20, h=10)
    frag_a = player_html(_player(tmp_path / "a.html", a, autoplay=False))
    frag_b = player_html(_player(tmp_path / "b.html", b, autoplay=False))
    page.set_content("<!DOCTYPE html><html><body><div id='out'></div></body></html>")
    # JupyterLab sets the output's innerHTML, then replaces each <script> with a fresh copy to run it.
    page.evaluate("""(html) => { const out = document.getElementById('out'); out.innerHTML = html;
      for (const old of out.querySelectorAll('script')) {
        const s = document.createElement('script'); s.textContent = old.textContent; old.replaceWith(s); } }""",
                  frag_a + frag_b)
    players = page.locator(".nnviz-player")
    assert players.count() == 2
    assert [players.nth(i).get_attribute("data-frames") for i in range(2)] == [str(N), "3"]
    players.nth(1).get_by_role("button", name="Next frame (Right arrow)").click()
    _assert_shows(players.nth(1), b, 1)
    _assert_shows(players.nth(0), a, 0)
    assert page.errors == []


def test_webp_decodes_in_the_browser_with_every_frame(page, tmp_path):
    frames = _frames()
    path = tmp_path / "a.webp"
    with writers.WebpWriter(path, fps=10, hold=1.0) as w:
        for f in frames:
            w.write(f)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    page.goto(blank.as_uri())  # ImageDecoder needs a secure context: file: is one, about:blank is not
    if not page.evaluate("typeof ImageDecoder === 'function'"):
        pytest.skip("this Chromium has no ImageDecoder API")
    got = page.evaluate("""async (b64) => {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const dec = new ImageDecoder({data: bytes, type: 'image/webp'});
      await dec.tracks.ready; await dec.completed;
      const track = dec.tracks.selectedTrack, out = [];
      for (let i = 0; i < track.frameCount; i++) {
        const {image} = await dec.decode({frameIndex: i});
        const c = new OffscreenCanvas(image.displayWidth, image.displayHeight), ctx = c.getContext('2d');
        ctx.drawImage(image, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data, rgb = [];
        for (let j = 0; j < d.length; j += 4) rgb.push(d[j], d[j + 1], d[j + 2]);
        out.push({rgb: rgb, w: c.width, h: c.height, ms: image.duration / 1000});
        image.close();
      }
      return {count: track.frameCount, loops: track.repetitionCount, frames: out};
    }""", base64.b64encode(path.read_bytes()).decode())
    assert got["count"] == N
    assert got["loops"] == float("inf")
    assert [f["ms"] for f in got["frames"]] == [100] * (N - 1) + [1100]
    for f, shown in zip(frames, got["frames"]):
        assert np.array_equal(np.array(shown["rgb"], np.uint8).reshape(shown["h"], shown["w"], 3), f)
    assert page.errors == []


# --- the sweep gallery -----------------------------------------------------------------------

def _gif(path, size, colour=(200, 60, 40)) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [Image.new("RGB", size, colour), Image.new("RGB", size, (40, 90, 200))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _gallery(tmp_path, table: dict, loss: float | None = None) -> str:
    """A gallery page over fake finished runs: 180 x 194 thumbnails, 600 x 200 animations."""
    from nnviz import sweep
    from nnviz.sweep import gallery

    spec = sweep.parse_sweep({"train": {"epochs": 3}, "sweep": table}, "docs.toml")
    runs = []
    for i, r in enumerate(spec.runs):
        run = sweep.RunResult(r.name, "ok", epochs=150, loss=loss or 0.1 + i / 100, accuracy=0.9, path=f"{r.name}/a.gif",
                              thumb=f"{r.name}/thumb.gif")
        _gif(tmp_path / run.path, (600, 200))
        _gif(tmp_path / run.thumb, (180, 194))
        runs.append(run)
    _gif(tmp_path / "comparison.gif", (540, 660))
    path = tmp_path / "index.html"
    path.write_text(gallery.render_html(spec, runs, "comparison.gif", tmp_path))
    return path.as_uri()


DOCS = {"data.name": ["blobs", "xor", "circles", "moons"], "model.activation": ["relu", "tanh"]}
FLAT = {"data.name": ["blobs", "xor", "circles"], "model.activation": ["relu", "tanh"], "train.lr": [0.1, 0.01]}

# Every image, scrolled into view (thumbnails load lazily), once decoded: its natural and shown width.
_IMAGES = """async () => {
  const out = [];
  for (const img of document.images) {
    img.scrollIntoView();
    await img.decode().catch(() => null);
    out.push({src: img.getAttribute('src'), natural: img.naturalWidth, shown: img.getBoundingClientRect().width});
  }
  window.scrollTo(0, 0);
  return out; }"""


def _open(browser, uri: str, width: int, scheme: str = "light"):
    ctx = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(uri)
    return ctx, pg


@pytest.mark.parametrize("width", [320, 390, 520, 768])
@pytest.mark.parametrize("table", [DOCS, FLAT], ids=["table", "flat"])
def test_gallery_fits_a_phone(browser, tmp_path, width, table):
    ctx, pg = _open(browser, _gallery(tmp_path, table), width)
    try:
        images = pg.evaluate(_IMAGES)
        overflow = pg.evaluate("document.scrollingElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        assert images and all(i["natural"] > 0 for i in images), images
        assert sum(i["src"].endswith("thumb.gif") for i in images) == len(images) - 1  # and the comparison
        for i in images:  # a thumbnail is readable: never shrunk below its own size
            if i["src"].endswith("thumb.gif"):
                assert i["shown"] >= i["natural"], i
        assert pg.errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [320, 1400])
def test_a_huge_finite_loss_does_not_widen_the_gallery(browser, tmp_path, width):
    """A diverging run can end on a finite 1e263: in fixed point that is a 264-digit word."""
    ctx, pg = _open(browser, _gallery(tmp_path, DOCS, loss=1.0801204555553239e263), width)
    try:
        assert pg.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 0
        metrics = pg.evaluate("[...document.querySelectorAll('.card .metrics')].map(m => m.textContent)")
        assert len(metrics) == 8 and all("loss 1.08e+263" in m for m in metrics), metrics
    finally:
        ctx.close()


# Header cells' boxes, and whether each one's text fits inside it.
_HEADERS = """() => [...document.querySelectorAll('table.sweep th')].filter(th => th.offsetParent).map(th => {
  const r = th.getBoundingClientRect();
  return {text: th.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          fits: th.scrollWidth <= th.clientWidth}; })"""


@pytest.mark.parametrize("width", [700, 1400])
def test_gallery_table_reads_on_a_desktop(browser, tmp_path, width):
    ctx, pg = _open(browser, _gallery(tmp_path, DOCS), width)
    try:
        images = pg.evaluate(_IMAGES)
        assert pg.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 0
        heads = pg.evaluate(_HEADERS)
        assert len(heads) == 3 + 4  # corner, two columns, four rows: still a table
        for k, a in enumerate(heads):
            assert a["fits"], f"header {a['text']!r} spills out of its cell"
            for b in heads[k + 1:]:
                apart = (a["right"] <= b["left"] + 0.5 or b["right"] <= a["left"] + 0.5
                         or a["bottom"] <= b["top"] + 0.5 or b["bottom"] <= a["top"] + 0.5)
                assert apart, f"headers {a['text']!r} and {b['text']!r} overlap"
        thumbs = [i for i in images if i["src"].endswith("thumb.gif")]
        assert len(thumbs) == 8 and all(i["natural"] > 0 and i["shown"] >= i["natural"] for i in thumbs), images
        assert pg.errors == []
    finally:
        ctx.close()


def test_gallery_follows_a_dark_theme(browser, tmp_path):
    uri = _gallery(tmp_path, DOCS)
    backgrounds = []
    for scheme in ("light", "dark"):
        ctx, pg = _open(browser, uri, 390, scheme)
        backgrounds.append(pg.evaluate("getComputedStyle(document.body).backgroundColor"))
        ctx.close()
    light, dark = ([int(v) for v in re.findall(r"\d+", c)[:3]] for c in backgrounds)
    assert sum(light) > 600 and sum(dark) < 150, backgrounds
