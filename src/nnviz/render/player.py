"""One self-contained HTML file that plays the frames: the ``html`` format.

The page needs no server, network, external script or font: it opens from
disk and, through ``player_html``, inside a Jupyter output cell (which
matplotlib's ``to_jshtml`` refuses past 20 MB). Every ``keyframes``-th frame
is stored whole; the others store only the rectangle that changed since the
previous frame, with unchanged pixels transparent, which halves the file
(most of an epoch's pixels repeat the last one). Each image is a lossless
WebP (or PNG), base64-encoded and written to the temporary file as soon as
its frame arrives, so memory stays flat however many frames there are.
The player composites a frame on a canvas from its keyframe and the deltas
after it, so any frame is exact and a seek decodes at most ``keyframes``
small images.

The player finds its own elements from its ``<script>`` (no ids, no globals),
so two players on one page stay independent, and it never uses
``document.write``, which would wipe a notebook.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, features

from ..errors import RenderError
from .writerbase import Array, Writer

BEGIN = "<!-- nnviz-player -->"  # player_html cuts the fragment between these markers
END = "<!-- /nnviz-player -->"
IMAGE_MIME = {"webp": "image/webp", "png": "image/png"}
# Effort (quality) 75 is 18% smaller than 25 on the default run's frames; method 6 adds nothing.
# exact=False lets libwebp change the colour under fully transparent pixels: invisible, and smaller.
WEBP_OPTIONS: dict[str, Any] = {"lossless": True, "method": 4, "quality": 75, "exact": False}
PNG_OPTIONS: dict[str, Any] = {"optimize": False, "compress_level": 6}
# A whole frame every 10: a seek composites at most 10 images. Only whole frames
# would be 1.9x the size; one in 25 saves another 6%.
KEYFRAMES = 10

_STYLE = """
.nnviz-player{display:inline-flex;flex-wrap:wrap;gap:12px;align-items:flex-start;
 font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;outline:none}
.nnviz-player:focus-visible{box-shadow:0 0 0 2px #4a90d9}
.nnviz-player .nnviz-stage{margin:0;max-width:100%}
.nnviz-player .nnviz-view{max-width:100%;overflow-x:auto}
.nnviz-player .nnviz-frame{display:block;max-width:100%;height:auto}
.nnviz-player .nnviz-controls{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:6px}
.nnviz-player button{font:inherit;min-width:2.4em;padding:2px 6px;cursor:pointer;line-height:1}
.nnviz-player button svg{display:block;margin:auto;fill:currentColor}
.nnviz-player [aria-pressed="true"] .nnviz-i-play,.nnviz-player [aria-pressed="false"] .nnviz-i-pause{display:none}
.nnviz-player .nnviz-scrub{flex:1 1 200px;min-width:120px}
.nnviz-player .nnviz-counter{font-variant-numeric:tabular-nums;min-width:8em}
.nnviz-player .nnviz-info{min-width:160px;max-width:100%;overflow-wrap:anywhere}
.nnviz-player .nnviz-title{font-size:1.1em;font-weight:600;margin:0 0 6px}
.nnviz-player .nnviz-metrics{display:grid;grid-template-columns:auto auto;gap:2px 12px;margin:0}
.nnviz-player .nnviz-metrics dt{color:#555}
.nnviz-player .nnviz-metrics dd{margin:0;font-variant-numeric:tabular-nums;text-align:right}
@media (max-width:640px){
 .nnviz-player{display:flex;width:100%}
 .nnviz-player .nnviz-stage{width:100%}
 .nnviz-player .nnviz-frame{max-width:none;width:640px}
 .nnviz-player button{min-width:44px;min-height:44px}
 .nnviz-player .nnviz-scrub{min-height:32px}
}
"""


# Icons are inline SVG, not symbol characters: U+23EE and friends are missing from common
# fonts (a Debian machine with DejaVu shows empty boxes), and SVG draws the same everywhere.
def _icon(path: str, cls: str = "") -> str:
    extra = f' class="{cls}"' if cls else ""
    return (
        f'<svg{extra} viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" focusable="false">'
        f'<path d="{path}"/></svg>'
    )


# (action, accessible name, tooltip, icon): play holds both icons, CSS shows one by aria-pressed.
_BUTTONS = (
    ("first", "First frame (Home)", "First frame (Home)", _icon("M3 3h2v10H3zM13 3v10L6 8z")),
    ("prev", "Previous frame (Left arrow)", "Previous frame (&#x2190;)", _icon("M11 3v10L4 8z")),
    (
        "play",
        "Play (Space)",
        "Play / pause (Space)",
        _icon("M4 3v10l9-5z", "nnviz-i-play") + _icon("M4 3h3v10H4zM9 3h3v10H9z", "nnviz-i-pause"),
    ),
    ("next", "Next frame (Right arrow)", "Next frame (&#x2192;)", _icon("M5 3v10l7-5z")),
    ("last", "Last frame (End)", "Last frame (End)", _icon("M3 3v10l7-5zM11 3h2v10h-2z")),
)

_CONTROLS = (
    '<div class="nnviz-controls" role="group" aria-label="Playback">\n'
    + "".join(
        f'<button type="button" data-act="{act}" aria-label="{name}" title="{tip}"'
        + (' aria-pressed="false"' if act == "play" else "")
        + f">{icon}</button>\n"
        for act, name, tip, icon in _BUTTONS
    )
    + """<input type="range" class="nnviz-scrub" min="0" max="0" step="1" value="0" aria-label="Frame">
<label>Speed <select class="nnviz-speed" aria-label="Playback speed">
<option value="0.25">0.25&#xD7;</option><option value="0.5">0.5&#xD7;</option>
<option value="1" selected>1&#xD7;</option><option value="2">2&#xD7;</option><option value="4">4&#xD7;</option>
</select></label>
<output class="nnviz-counter" aria-live="off"></output>
</div>"""
)

# The player itself. It runs once the frame array F above it is complete.
_SCRIPT = r"""
var root = (document.currentScript && document.currentScript.parentNode) ||
  [].slice.call(document.querySelectorAll(".nnviz-player:not([data-ready])")).pop();
var $ = function (s) { return root.querySelector(s); };
var canvas = $(".nnviz-frame"), ctx = canvas.getContext("2d"), scrub = $(".nnviz-scrub"),
  speedSel = $(".nnviz-speed"), counter = $(".nnviz-counter"), playBtn = $('[data-act="play"]'),
  titleEl = $(".nnviz-title"), metricsEl = $(".nnviz-metrics");
// F[i] = [image, info] for a keyframe, [image, info, x, y] for a delta drawn at (x, y).
var n = F.length, k = -1, shown = -1, token = 0, playing = false, timer = null, runs = 0, speed = 1;
scrub.max = String(n - 1);
function fmt(v, name) {
  if (/accuracy/.test(name) && isFinite(v)) return (100 * v).toFixed(1) + "%";  // as the frame's title says it
  if (!isFinite(v)) return String(v);
  var a = Math.abs(v);
  return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(3) : String(+v.toPrecision(4));
}
function describe(info, i) {
  if (info.title) return info.title;
  return info.epoch !== undefined ? "Epoch " + info.epoch : "Frame " + (i + 1);
}
function decode(data) {
  if (!data) return Promise.resolve(null);  // a frame identical to the one before
  var im = new Image();
  im.src = "data:" + MIME + ";base64," + data;
  return im.decode().then(function () { return im; });
}
function paint(i) {
  // From what the canvas holds, or else from frame i's keyframe: draw the images in order.
  var my = ++token, key = i;
  while (F[key].length > 2) key--;
  var from = (shown >= key && shown <= i) ? shown + 1 : key, todo = [];
  for (var j = from; j <= i; j++) todo.push(j);
  return Promise.all(todo.map(function (j) { return decode(F[j][0]); })).then(function (images) {
    if (my !== token) return;  // a later seek won; it starts from what is drawn
    images.forEach(function (im, m) {
      var e = F[todo[m]];
      if (im) ctx.drawImage(im, e.length > 2 ? e[2] : 0, e.length > 2 ? e[3] : 0);
    });
    shown = i;
    root.setAttribute("data-shown", String(i));
  });
}
function show(i) {
  // Sets the controls to frame i at once; the returned promise settles once it is drawn.
  i = ((Math.round(i) % n) + n) % n;
  if (i === k) return Promise.resolve();
  k = i;
  var info = F[k][1] || {};
  var drawn = paint(k);
  canvas.setAttribute("aria-label", describe(info, k));
  scrub.value = String(k);
  scrub.setAttribute("aria-valuetext", "frame " + (k + 1) + " of " + n + ", " + describe(info, k));
  counter.textContent = "frame " + (k + 1) + " / " + n;
  titleEl.textContent = describe(info, k);
  metricsEl.textContent = "";
  var m = info.metrics || {};
  Object.keys(m).forEach(function (name) {
    var dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = name; dd.textContent = (info.shown && name in info.shown) ? info.shown[name] : fmt(m[name], name);
    metricsEl.appendChild(dt); metricsEl.appendChild(dd);
  });
  root.setAttribute("data-frame", String(k));
  return drawn;
}
function duration() {
  // Each frame lasts 1/fps; the last one `hold` seconds longer, as in the GIF.
  return (1000 / FPS + (k === n - 1 ? 1000 * HOLD : 0)) / speed;
}
function wait(run, ms) {
  timer = setTimeout(function () { timer = null; if (run === runs) step(run); }, Math.max(0, ms));
}
function step(run) {
  // The next frame waits until this one is drawn: a slow decoder slows playback
  // down rather than every frame being superseded before it is drawn.
  var t0 = Date.now();
  show(k + 1).then(function () { if (run === runs) wait(run, duration() - (Date.now() - t0)); });
}
function setPlaying(on) {
  playing = on && n > 1;
  runs++;  // callbacks of an earlier run of playback stop
  if (timer !== null) { clearTimeout(timer); timer = null; }
  playBtn.setAttribute("aria-label", playing ? "Pause (Space)" : "Play (Space)");
  playBtn.setAttribute("aria-pressed", String(playing));
  root.setAttribute("data-playing", String(playing));
  if (playing) wait(runs, duration());
}
function seek(i) { setPlaying(false); show(i); }
var acts = {
  first: function () { seek(0); }, last: function () { seek(n - 1); },
  prev: function () { seek(k - 1); }, next: function () { seek(k + 1); },
  play: function () { setPlaying(!playing); }
};
root.addEventListener("click", function (e) {
  var b = e.target.closest ? e.target.closest("[data-act]") : null;
  if (b && root.contains(b)) acts[b.getAttribute("data-act")]();
});
scrub.addEventListener("input", function () { seek(+scrub.value); });
speedSel.addEventListener("change", function () {
  speed = +speedSel.value || 1;
  if (playing) setPlaying(true);
});
root.addEventListener("keydown", function (e) {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  var tag = e.target.tagName, native = tag === "SELECT" ||
    (tag === "INPUT" && e.key !== " ") || (tag === "BUTTON" && (e.key === " " || e.key === "Enter"));
  if (native) return;  // the control's own handling (range arrows, button space) already acts
  var act = {" ": "play", "ArrowLeft": "prev", "ArrowRight": "next", "Home": "first", "End": "last"}[e.key];
  if (!act) return;
  e.preventDefault();
  e.stopPropagation();  // a notebook's own shortcuts must not see it
  acts[act]();
});
root.setAttribute("data-ready", "");
root.setAttribute("data-frames", String(n));
root.nnviz = {count: n, show: seek, play: function () { setPlaying(true); }, pause: function () { setPlaying(false); },
  frame: function () { return k; }};
show(0);
var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
if (AUTOPLAY && !still) setPlaying(true);
"""


def _js(value: Any) -> str:
    """``value`` as a JavaScript literal that cannot close the <script> element."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class HtmlWriter(Writer):
    """A self-contained HTML player: play/pause, scrubber, steps, speed, keyboard.

    Options: ``image`` ("webp", the default, or "png") is how each frame is
    stored; ``keyframes`` (default 10) how often a whole frame is stored;
    ``title`` names the page; ``autoplay`` (default True) starts playing on
    load unless the reader prefers reduced motion.
    """

    format = "html"
    suffix = ".html"
    mime = "text/html"

    @classmethod
    def unavailable(cls) -> str | None:
        return None if features.check("webp") else "this Pillow was built without WebP support"

    def open(self) -> HtmlWriter:
        image = self.options.get("image", "webp")
        if image not in IMAGE_MIME:
            raise RenderError(f"html image={image!r} is not allowed; use one of: {', '.join(IMAGE_MIME)}")
        self._image: str = image
        every = self.options.get("keyframes", KEYFRAMES)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise RenderError(f"html keyframes={every!r} is not allowed; use a whole number >= 1")
        self._keyframes: int = every
        self._prev: Array | None = None  # the frame before, for the delta
        super().open()
        assert self.tmp is not None  # open() made it
        # Held open across write() calls and closed in _finish/_cleanup, as every writer's file is.
        self._fh = open(self.tmp, "w", encoding="ascii", newline="\n")  # noqa: SIM115
        return self

    @property
    def bytes_written(self) -> int:
        return self._fh.tell()

    def _encode(self, pixels: Array) -> str:
        buf = io.BytesIO()
        img = Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if pixels.shape[2] == 4 else "RGB")
        if self._image == "webp":
            img.save(buf, format="WEBP", **WEBP_OPTIONS)
        else:
            img.save(buf, format="PNG", **PNG_OPTIONS)
        return base64.b64encode(buf.getvalue()).decode("ascii")

    def _header(self, w: int, h: int) -> None:
        # Character references keep the file ASCII whatever the title's language.
        # The file's stem by default: several players on a page (a sweep's) stay told apart.
        title = html.escape(str(self.options.get("title", self.path.stem or "nnviz animation")))
        title = title.encode("ascii", "xmlcharrefreplace").decode("ascii")
        self._fh.write(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n</head>\n<body>\n{BEGIN}\n"
            f'<div class="nnviz-player" tabindex="0" role="region" aria-label="{title}: animation player">\n'
            f"<style>{_STYLE}</style>\n"
            f'<figure class="nnviz-stage"><div class="nnviz-view"><canvas class="nnviz-frame" width="{w}" height="{h}" role="img" aria-label=""></canvas></div>\n'
            f"{_CONTROLS}\n</figure>\n"
            '<div class="nnviz-info" aria-live="off"><p class="nnviz-title"></p><dl class="nnviz-metrics"></dl></div>\n'
            "<noscript>This animation player needs JavaScript.</noscript>\n"
            '<script>\n(function () {\n"use strict";\n'
            f"var FPS = {self.fps!r}, HOLD = {self.hold!r}, MIME = {_js(IMAGE_MIME[self._image])}, "
            f"AUTOPLAY = {_js(bool(self.options.get('autoplay', True)))};\n"
            "var F = [\n"
        )

    def _delta(self, frame: Array) -> tuple[str, int, int]:
        """The pixels that changed since the previous frame: (image, x, y); the rest transparent."""
        assert self._prev is not None
        changed = (frame != self._prev).any(axis=2)
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if len(rows) == 0:
            return "", 0, 0
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        mask = changed[r0:r1, c0:c1]
        rgba = np.zeros((r1 - r0, c1 - c0, 4), np.uint8)
        rgba[mask, :3] = frame[r0:r1, c0:c1][mask]
        rgba[mask, 3] = 255
        return self._encode(rgba), int(c0), int(r0)

    def _write(self, frame: Array, info: dict[str, Any] | None) -> None:
        if self.frames == 0:
            self._header(frame.shape[1], frame.shape[0])
        # One frame per line, written now: nothing accumulates in memory.
        if self._prev is None or self.frames % self._keyframes == 0:
            self._fh.write(f'["{self._encode(frame)}",{_js(info or {})}],\n')
        else:
            data, x, y = self._delta(frame)
            self._fh.write(f'["{data}",{_js(info or {})},{x},{y}],\n')
        self._prev = frame.copy()

    def _finish(self) -> None:
        self._fh.write(f"];\n{_SCRIPT}}})();\n</script>\n</div>\n{END}\n</body>\n</html>\n")
        self._fh.close()

    def _cleanup(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()


def player_html(path: str | os.PathLike[str]) -> str:
    """The player in ``path`` (written by ``HtmlWriter``) as an HTML fragment for a notebook cell.

    Wrap it as ``IPython.display.HTML(player_html(path))``; several players
    can sit on one page.
    """
    try:
        text = Path(path).read_text(encoding="ascii")
    except OSError as exc:
        raise RenderError(f"cannot read the player {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        text = ""
    start, end = text.find(BEGIN), text.rfind(END)
    if start < 0 or end < start:
        raise RenderError(f"{str(path)!r} is not an nnviz HTML player (write one with --format html)")
    return text[start : end + len(END)]


class Player:
    """An HTML player file shown in a notebook: make ``Player("run.html")`` a cell's last line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _repr_html_(self) -> str:
        return player_html(self.path)
