"""A sweep's ``comparison.gif``: every run's input space side by side, synchronised by epoch.

Up to ``MAX_COMPARED`` runs in a near-square grid (past that the pages say
why there is none). Each worker renders its run's input space small into
``thumb.gif`` (``write_thumb``) as part of the run; the comparison then only
decodes the thumbnails forward and pastes them, one composite frame at a
time into the GIF writer, so memory does not grow with the number of
epochs. A run that stopped early holds its last frame in full colour with a
small badge saying why; a run that diverged is the one dimmed and marked.
Nothing here depends on timings, so the same sweep gives the same bytes
whichever executor ran it. Thumbnails are opened without following links
(a shared sweep folder may hold planted ones) and only as regular files.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import math
import os
import stat
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_text_atomic
from ..bounded import open_own, read_own
from ..errors import OutputError, RenderError
from .pages import Layout, run_label, too_many_to_compare
from .runner import RunResult
from .spec import RunSpec, SweepSpec
from .thumbs import METRICS_H, TEXT_RGB, TILE, font, preview_timing, text_strip, thumb_epochs, thumb_step

Array = np.ndarray

COMPARISON = "comparison.gif"
STATE = "sweep.json"  # the sweep's notes: it marks a sweep's folder, and holds the comparison's digest
MARK = {"nnviz": "sweep"}  # in sweep.json: this folder is a sweep's
LABEL_H = 18  # px of a one-line label strip above each tile
LABEL_LINE = 15  # px added per extra line when a label wraps, one key a line
HEADER_H = 24  # px of the epoch header above the grid
LAYOUT_VERSION = "5"  # bump when the comparison's look changes
BADGE_PT = 9  # the "stop loss reached" badge: small, in a corner, so the run stays in view


class _Track:
    """Reads a run's thumbnail frame by frame as the timeline advances."""

    def __init__(self, path: Path, epochs: Sequence[int]) -> None:
        from PIL import Image

        file = open_own(path)  # never through a planted link, never a FIFO
        if file is None:
            raise FileNotFoundError(f"{path} is not a regular file nnviz wrote")
        self.file = file
        try:
            self.image = Image.open(file)
        except BaseException:
            file.close()
            raise
        self.epochs = tuple(epochs)
        try:
            # Counting frames reads through the file; if a damaged one makes that
            # raise, close it now, not whenever the garbage collector gets to it.
            frames = int(getattr(self.image, "n_frames", 1))  # only multi-frame formats say
        except BaseException:
            self.close()
            raise
        if frames != len(self.epochs):
            self.close()
            raise RenderError(f"{path} has {frames} frames, expected {len(self.epochs)}")
        self.index = -1  # nothing decoded yet: the first at() seeks
        self.pixels: Array = np.zeros((0, 0, 3), np.uint8)

    @classmethod
    def open(cls, path: Path, epochs: Sequence[int]) -> _Track | None:
        """The thumbnail's track, or None when it is missing or damaged.

        A truncated or empty ``thumb.gif`` (a full disk, a crash, a hand edit)
        must not make every later gallery fail: its tile shows "no thumbnail",
        and the next resume redoes the run (its digest no longer matches).
        Decoding the last frame up front finds truncation now, not mid-GIF.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: a planted header's claim
                track = cls(path, epochs)
        except Exception:  # OSError, ValueError, SyntaxError, EOFError, DecompressionBombError...: not a thumbnail
            return None
        try:
            track.at(track.last)
            track.at(0)
        except Exception:
            track.close()
            return None
        return track

    @property
    def last(self) -> int:
        return self.epochs[-1]

    def at(self, epoch: int) -> Array:
        """The tile of the latest thumbnail epoch <= ``epoch``."""
        target = max(0, bisect.bisect_right(self.epochs, epoch) - 1)
        if target != self.index:
            # GIF frames are deltas: a forward seek decodes only the frames in
            # between, a backward one (only for the palette sample) restarts.
            self.image.seek(target)
            self.pixels = np.asarray(self.image.convert("RGB"))
            self.index = target
        return self.pixels

    def close(self) -> None:
        self.image.close()
        self.file.close()  # Pillow leaves a file it was handed open


# --- comparison.gif -----------------------------------------------------------------------


def _stopped(tile: Array, text: str) -> Array:
    """A run that ended before the others: its held last frame in full colour, with a small badge
    in the top-right corner of its panel saying why ("stop loss 0.263 reached").

    The frame stays as it is: dimming the runs that reached their goal made the good runs look
    like failures and left the worst one the only one in colour.
    """
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.ascontiguousarray(tile))
    draw = ImageDraw.Draw(img)
    face = font(BADGE_PT)
    right, top = img.width - 3, METRICS_H + 2  # under the numbers strip, which it must not hide
    box = draw.textbbox((right - 3, top + 2), text, font=face, anchor="ra")
    draw.rectangle((box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2), fill=(255, 255, 255), outline=(90, 90, 90))
    draw.text((right - 3, top + 2), text, fill=(20, 20, 20), font=face, anchor="ra")
    return np.asarray(img)


def _diverged(tile: Array, text: str) -> Array:
    """A run that diverged, the one marked: its last drawable frame dimmed, the reason across it in red."""
    from PIL import Image, ImageDraw

    dim = (tile.astype(np.uint16) * 5 // 10 + 128).astype(np.uint8)
    img = Image.fromarray(dim)
    draw = ImageDraw.Draw(img)
    centre, face = (img.width // 2, img.height // 2), font(12)
    text = text.replace(" at ", "\nat ", 1)  # two lines: one ran across the tile's axis label and ticks
    box = draw.multiline_textbbox(centre, text, font=face, anchor="mm", align="center")
    draw.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill=(255, 255, 255), outline=(150, 0, 20))
    draw.multiline_text(centre, text, fill=(150, 0, 20), font=face, anchor="mm", align="center")
    return np.asarray(img)


def _blank(width: int, height: int, text: str) -> Array:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (235, 235, 235))
    ImageDraw.Draw(img).text((width // 2, height // 2), text, fill=(150, 0, 20), font=font(13), anchor="mm")
    return np.asarray(img)


def tile_grid(n: int) -> Layout:
    """ceil(sqrt(n)) columns in file order: a near-square comparison whatever the sweep's shape.

    A key1 x key2 table of 4 x 2 runs would make a tall strip; a near-square
    grid keeps the GIF readable at the size a page or README shows it.
    """
    cols = max(1, math.ceil(math.sqrt(n)))
    return Layout(max(1, math.ceil(n / cols)), cols, tuple(divmod(i, cols) for i in range(n)))


def label_lines(spec: SweepSpec, run: RunSpec, width: int) -> list[str]:
    """The run's label on one line, or one key a line when one line would not fit ``width``.

    A line still too long keeps its ``key=`` and the end of its value (a file's
    name and suffix tell runs apart, its folders seldom do): ``path=...ta_b.csv``.
    """
    from PIL import Image, ImageDraw

    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def fits(text: str) -> bool:
        return measure.textlength(text, font=font(12)) <= width - 16  # a gap between neighbouring labels

    line = run_label(spec, run)
    lines = [line] if fits(line) or len(run.values) < 2 else run_label(spec, run, "\n").split("\n")
    return [text if fits(text) else _elided(text, fits) for text in lines]


def _elided(text: str, fits: Callable[[str], bool]) -> str:
    """``key=...end``: as much of the value's end as fits after its key (or just the end)."""
    key, sep, value = text.partition("=")
    head = f"{key}{sep}..." if sep and fits(f"{key}{sep}...") else "..."
    tail = value if sep else text
    lo, hi = 0, len(tail)  # the longest end of ``tail`` that fits after ``head``
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(head + tail[len(tail) - mid :]) else (lo, mid - 1)
    return head + tail[len(tail) - lo :]


def _label_strip(width: int, lines: Sequence[str], height: int) -> Array:
    """The lines stacked on white, padded to ``height`` so every tile's label strip matches."""
    strip = np.full((height, width, 3), 255, np.uint8)
    y = 0
    for i, text in enumerate(lines):
        h = LABEL_H if i == 0 else LABEL_LINE
        strip[y : y + h] = text_strip(width, h, text)
        y += h
    return strip


def _label_h(lines: int) -> int:
    return LABEL_H + LABEL_LINE * (lines - 1)


def timeline(last_epochs: Sequence[int], step: int = 1) -> tuple[int, ...]:
    """The epochs the comparison shows: 0, step, 2*step, ... and the last one."""
    end = max(last_epochs, default=0)
    return (*range(0, end, step), end)


def _why_stopped(run_spec: RunSpec, run: RunResult) -> str:
    """The badge of a run that ended before the sweep's last epoch: its stop loss, else its budget."""
    train = run_spec.cfg.train
    if run.epochs is not None and run.epochs < train.epochs and train.stop_loss:
        return f"stop loss {train.stop_loss:g} reached"
    return f"all {train.epochs} epochs done"


class _Composer:
    """Builds each comparison frame from the runs' thumbnails, in the grid layout."""

    def __init__(self, spec: SweepSpec, runs: Sequence[RunResult], out: Path) -> None:
        self.spec, self.lay = spec, tile_grid(len(spec.runs))
        self.status = [r.status for r in runs]
        self.why = [_why_stopped(s, r) for s, r in zip(spec.runs, runs)]
        self.tracks: list[_Track | None] = []
        try:
            for run_spec, run in zip(spec.runs, runs):
                usable = run.status != "failed" and run.thumb and run.epochs is not None
                epochs = thumb_epochs(run_spec.cfg, run.epochs) if usable and run.epochs is not None else ()
                self.tracks.append(_Track.open(out / run.thumb, epochs) if epochs else None)
        except BaseException:
            self.close()
            raise
        sizes = [t.image.size for t in self.tracks if t is not None]
        self.tile_w = max((w for w, _ in sizes), default=TILE)
        self.tile_h = max((h for _, h in sizes), default=TILE + METRICS_H)
        lines = [label_lines(spec, s, self.tile_w) for s in spec.runs]
        self.label_h = _label_h(max(map(len, lines), default=1))
        self.labels = [_label_strip(self.tile_w, ls, self.label_h) for ls in lines]
        self.failed = _blank(self.tile_w, self.tile_h, "failed")
        self.missing = _blank(self.tile_w, self.tile_h, "no thumbnail")
        steps = [thumb_step(s.cfg) for s, t in zip(spec.runs, self.tracks) if t is not None]
        self.epochs = timeline([t.last for t in self.tracks if t is not None], max(steps, default=1))

    def frame(self, epoch: int) -> Array:
        tw, th, lh, lay = self.tile_w, self.tile_h, self.label_h, self.lay
        h, w = lay.rows * (th + lh), lay.cols * tw
        canvas = np.full((HEADER_H + h, w, 3), 255, np.uint8)
        header = f"sweep {self.spec.stem}: {len(self.spec.runs)} runs at epoch {epoch}"
        canvas[:HEADER_H] = text_strip(w, HEADER_H, header, 14)
        for i, (r, c) in enumerate(lay.cells):
            y, x = HEADER_H + r * (th + lh), c * tw
            tile = self._tile(i, epoch)
            canvas[y : y + lh, x : x + tw] = self.labels[i]
            canvas[y + lh : y + lh + tile.shape[0], x : x + tile.shape[1]] = tile
        return canvas

    def _tile(self, i: int, epoch: int) -> Array:
        track = self.tracks[i]
        if track is None:
            return self.failed if self.status[i] == "failed" else self.missing
        pixels = track.at(epoch)
        if epoch <= track.last:
            return pixels
        if self.status[i] == "diverged":
            return _diverged(pixels, f"diverged at epoch {track.last}")
        return _stopped(pixels, self.why[i])

    def frames(self) -> Iterator[Array]:
        for epoch in self.epochs:
            yield self.frame(epoch)

    def close(self) -> None:
        for track in self.tracks:
            if track is not None:
                track.close()


def comparison_digest(spec: SweepSpec, runs: Sequence[RunResult], out: Path | None = None) -> str:
    """What the comparison depends on: the layout, each run's outcome and its thumbnail's bytes.

    The bytes matter because a forced re-run (say, after a renderer change)
    keeps every config and outcome but not every pixel.
    """
    digest = hashlib.sha256("\n".join([LAYOUT_VERSION, *spec.keys]).encode())
    for r in runs:
        digest.update(f"\n{r.name}:{r.config_hash}:{r.status}:{r.epochs}:".encode())
        if out is not None and r.thumb and (file := open_own(out / r.thumb)) is not None:
            with file, contextlib.suppress(OSError):
                thumb = hashlib.sha256()
                for block in iter(lambda: file.read(1 << 20), b""):
                    thumb.update(block)
                digest.update(thumb.digest())
    return digest.hexdigest()[:16]


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot remove {str(path)!r}: {exc.strerror or exc}") from None


def read_state(out: Path) -> dict[str, Any]:
    """``sweep.json``: the sweep's own notes (the comparison's digest), or {} when it is missing or not nnviz's."""
    raw = read_own(out / STATE)
    try:
        state = json.loads(raw) if raw is not None else {}
    except (ValueError, RecursionError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(out: Path, **values: Any) -> Path:
    """``sweep.json`` with ``values`` changed; it also marks ``out`` as a sweep's folder (``MARK``)."""
    state = {**read_state(out), **values, **MARK}
    return write_text_atomic(out / STATE, json.dumps(state, indent=2) + "\n")


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def write_comparison(spec: SweepSpec, out: Path, runs: Sequence[RunResult]) -> Path | None:
    """Write ``comparison.gif`` from the runs' thumbnails (None when no run has one, or too many runs).

    Skipped when an up-to-date one exists (same runs, same outcomes). Past
    ``MAX_COMPARED`` runs none is written, and one left by an earlier, smaller
    sweep in ``out`` is removed: it would show other runs than the pages.
    """
    from ..render.writers import GifWriter

    dest = out / COMPARISON
    if too_many_to_compare(len(runs)):
        _remove(dest)
        return None
    if not any(r.status != "failed" and r.thumb for r in runs):
        return None
    digest = comparison_digest(spec, runs, out)
    if _regular(dest) and read_state(out).get("comparison") == digest:
        return dest
    composer = _Composer(spec, runs, out)
    try:
        render = spec.runs[0].cfg.render
        # The first and last composites hold nearly every colour the animation uses.
        sample = np.concatenate([composer.frame(composer.epochs[0]), composer.frame(composer.epochs[-1])])
        # White exactly, as in the tiles: median cut alone can give the page an off-white strip.
        colors = np.array([[255, 255, 255], TEXT_RGB], np.uint8)
        with GifWriter(dest, **preview_timing(render), sample=sample, colors=colors) as writer:
            for frame in composer.frames():
                writer.write(frame)
    finally:
        composer.close()
    write_state(out, comparison=digest, keys=list(spec.keys), runs=[r.name for r in runs])
    return dest
