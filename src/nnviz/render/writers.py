"""Pixels -> files: GIF, MP4 and PNG writers that take one frame at a time.

A writer is opened on a destination, receives (h, w, 3) uint8 frames through
``write`` and finishes in ``close``. It works on a temporary file beside the
destination (``atomic.atomic_path``) and renames it only when ``close``
succeeds; on any error (or Ctrl-C) inside a ``with`` block the temporary file
is removed, an ffmpeg child is killed, and the destination is untouched.
Nothing holds more than one or two frames, so memory stays flat however long
the animation is.

``WRITERS`` maps a format name to its class (as matplotlib's writer registry
does); ``open_writer(path, fmt, ...)`` picks one.
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import numpy as np
from PIL import GifImagePlugin, Image

from ..atomic import atomic_path
from ..errors import RenderError

Array = np.ndarray
# 63 colours hold the banded surfaces (paint.LEVELS steps), the class colours and
# the antialiasing of text and lines. Fewer colours mean longer runs of one
# index, which LZW packs tighter: the default GIF is ~25% smaller than with 255.
GIF_COLORS = 63
TRANSPARENT = GIF_COLORS  # the index kept free for "unchanged pixel", just past the palette


class Writer:
    """Base class: atomic temp-file handling and the open/write/close protocol."""

    format: ClassVar[str] = ""
    suffix: ClassVar[str] = ""
    mime: ClassVar[str] = ""
    video: ClassVar[bool] = False          # shown with <video> in pages
    animated: ClassVar[bool] = True        # False: a still (only the last frame matters)
    wants_palette: ClassVar[bool] = False  # takes ``sample=`` and ``colors=`` for its palette

    def __init__(self, path: str | os.PathLike[str], *, fps: float = 10.0, hold: float = 0.0, **options: Any) -> None:
        self.path = Path(path)
        self.fps = float(fps)
        self.hold = float(hold)
        self.options = options
        self.frames = 0
        self._atomic: Any = None
        self.tmp: Path | None = None
        self.size: tuple[int, int] | None = None  # (w, h) of the first frame

    # --- protocol ---------------------------------------------------------
    def open(self) -> "Writer":
        self._atomic = atomic_path(self.path)
        self.tmp = self._atomic.__enter__()
        return self

    def write(self, frame: Array, info: Any = None) -> None:
        """Add one (h, w, 3) uint8 frame (``info``: its epoch, title and metrics, for writers that show them)."""
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise RenderError(f"a frame must be an (h, w, 3) uint8 array, got {frame.shape} {frame.dtype}")
        size = (frame.shape[1], frame.shape[0])
        if self.size is None:
            self.size = size
        elif size != self.size:
            raise RenderError(f"frame {self.frames} is {size[0]}x{size[1]}, the first was {self.size[0]}x{self.size[1]}")
        self._write(frame)
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it to the destination."""
        if self._atomic is None:
            return self.path
        try:
            if self.frames == 0:
                raise RenderError(f"no frames were written to {self.path}")
            self._finish()
        except BaseException as exc:
            self.abort(exc)
            raise
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(None, None, None)
        return self.path

    def abort(self, exc: BaseException | None = None) -> None:
        """Drop the temporary file (and any child process); the destination is untouched."""
        with contextlib.suppress(Exception):
            self._cleanup()
        if self._atomic is not None:
            atomic, self._atomic = self._atomic, None
            err = exc or RenderError("aborted")
            with contextlib.suppress(BaseException):
                atomic.__exit__(type(err), err, err.__traceback__)

    def __enter__(self) -> "Writer":
        return self if self._atomic is not None else self.open()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if ev is None:
            self.close()
        else:
            self.abort(ev)

    @property
    def bytes_written(self) -> int:
        """Bytes in the temporary file so far (for size estimates)."""
        try:
            return self.tmp.stat().st_size if self.tmp is not None else 0
        except OSError:
            return 0

    # --- for subclasses ---------------------------------------------------
    def _write(self, frame: Array) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        pass


# --- GIF ------------------------------------------------------------------------

def build_palette(sample: Array, colors: int = GIF_COLORS, fixed: Array | None = None) -> Image.Image:
    """A fixed palette of at most ``colors`` entries from an RGB sample image.

    ``fixed`` colours ((n, 3) uint8) are included exactly; median cut of the
    sample fills the rest. Median cut is deterministic, so the same sample
    gives the same palette.
    """
    fixed = np.zeros((0, 3), np.uint8) if fixed is None else np.asarray(fixed, np.uint8).reshape(-1, 3)[:colors]
    img = Image.fromarray(np.ascontiguousarray(sample, dtype=np.uint8), "RGB")
    q = img.quantize(max(1, colors - len(fixed)), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    used = sorted(c for _, c in q.getcolors(256))
    found = np.array(q.getpalette()[: 3 * (max(used) + 1)], dtype=np.uint8).reshape(-1, 3)[used]
    rgb = np.vstack([fixed, found])
    _, first = np.unique(rgb, axis=0, return_index=True)
    rgb = rgb[np.sort(first)][:colors]
    pal = Image.new("P", (1, 1))
    pal.putpalette(rgb.ravel().tobytes())  # exactly len(used) entries: the index past them stays free
    return pal


class GifWriter(Writer):
    """Animated GIF with one palette, looping forever, streamed frame by frame.

    Pass ``sample=`` (an RGB sample array covering the animation's colours,
    or a ``P`` image from ``build_palette``); without it the first frame
    decides. Each frame after the first stores only the rectangle that
    changed, with unchanged pixels transparent: LZW packs those runs into
    almost nothing. The last frame is held back one step so ``hold`` can
    lengthen its duration at ``close`` without extra frames.
    """

    format = "gif"
    suffix = ".gif"
    mime = "image/gif"
    wants_palette = True

    def open(self) -> "GifWriter":
        super().open()
        self._fh = open(self.tmp, "wb")
        pal = self.options.get("sample")
        if pal is not None and not isinstance(pal, Image.Image):
            pal = build_palette(pal, fixed=self.options.get("colors"))
        self._palette: Image.Image | None = pal
        self._prev: Array | None = None       # the last frame as shown (palette indices)
        self._pending: tuple[Image.Image, tuple[int, int], bool] | None = None
        self._clock = 0.0                       # exact time, so rounding never drifts
        self._written_cs = 0
        return self

    @property
    def bytes_written(self) -> int:
        return self._fh.tell()

    def _delay_cs(self, extra: float = 0.0) -> int:
        self._clock += 100.0 / self.fps + 100.0 * extra
        cs = max(2, int(round(self._clock)) - self._written_cs)  # browsers treat <2 cs as 10
        self._written_cs += cs
        return cs

    def _header(self, w: int, h: int) -> None:
        pal = self._palette.getpalette() or []
        table = bytes(pal) + bytes(768 - len(pal))
        self._fh.write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + table)
        self._fh.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00")  # loop=0: forever

    def _write(self, frame: Array) -> None:
        img = Image.fromarray(np.ascontiguousarray(frame), "RGB")
        if self._palette is None:
            self._palette = build_palette(frame)
        idx = np.asarray(img.quantize(palette=self._palette, dither=Image.Dither.NONE))
        if self._prev is None:
            self._header(img.width, img.height)
            part, offset, transparent = idx, (0, 0), False
        else:
            # Lossless delta: exactly the pixels that changed, the rest transparent.
            changed = idx != self._prev
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if len(rows) == 0:  # identical frame: one transparent pixel
                part, offset = np.full((1, 1), TRANSPARENT, np.uint8), (0, 0)
            else:
                r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
                part = np.where(changed[r0:r1, c0:c1], idx[r0:r1, c0:c1], TRANSPARENT).astype(np.uint8)
                offset = (int(c0), int(r0))
            transparent = True
        self._prev = idx
        self._flush()
        sub = Image.frombytes("P", (part.shape[1], part.shape[0]), np.ascontiguousarray(part).tobytes())
        self._pending = (sub, offset, transparent)

    def _flush(self, extra: float = 0.0) -> None:
        if self._pending is None:
            return
        sub, offset, transparent = self._pending
        params: dict[str, Any] = {"duration": 10 * self._delay_cs(extra), "disposal": 1}
        if transparent:
            params["transparency"] = TRANSPARENT
        for chunk in GifImagePlugin.getdata(sub, offset, **params):
            self._fh.write(chunk)
        self._pending = None

    def _finish(self) -> None:
        self._flush(extra=self.hold)
        self._fh.write(b";")
        self._fh.close()

    def _cleanup(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh is not None:
            fh.close()


# --- MP4 ---------------------------------------------------------------------------

def ffmpeg_exe() -> str:
    """The ffmpeg binary imageio-ffmpeg ships (or IMAGEIO_FFMPEG_EXE)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # missing package or binary
        raise RenderError(f"ffmpeg is not available ({exc}); use --format gif") from None


class Mp4Writer(Writer):
    """H.264 yuv420p MP4 through an ffmpeg pipe; odd sizes are cropped to even.

    The last frame is repeated ``round(hold * fps)`` times. ffmpeg is killed
    if anything fails, and the partial file removed.
    """

    format = "mp4"
    suffix = ".mp4"
    mime = "video/mp4"
    video = True
    crf = 20

    def open(self) -> "Mp4Writer":
        super().open()
        self._proc: subprocess.Popen | None = None
        self._last: Array | None = None
        self._log = tempfile.TemporaryFile()
        return self

    def _start(self, w: int, h: int) -> None:
        cmd = [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{self.fps:g}", "-i", "-",
            "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", str(self.crf), "-preset", "medium",
            "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-f", "mp4", str(self.tmp),
        ]
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        except OSError as exc:
            raise RenderError(f"cannot run ffmpeg ({exc.strerror or exc}); use --format gif") from None

    def _send(self, frame: Array) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).data)
        except (BrokenPipeError, OSError):
            raise RenderError(f"ffmpeg stopped: {self._stderr()}; use --format gif") from None

    def _write(self, frame: Array) -> None:
        h, w = frame.shape[0] & ~1, frame.shape[1] & ~1  # H.264 4:2:0 needs even sides
        frame = frame[:h, :w]
        if self._proc is None:
            self._start(w, h)
        if self._last is not None:
            self._send(self._last)
        self._last = frame.copy()

    def _finish(self) -> None:
        assert self._last is not None and self._proc is not None
        for _ in range(1 + max(0, round(self.hold * self.fps))):
            self._send(self._last)
        self._proc.stdin.close()
        code = self._proc.wait()
        self._proc = None
        if code != 0:
            raise RenderError(f"ffmpeg failed with exit code {code}: {self._stderr()}; use --format gif")
        self._log.close()

    def _stderr(self) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            text = ""
        return " ".join(text.split()[-30:]) or "no message"

    def _cleanup(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            proc.wait()
            with contextlib.suppress(OSError):
                proc.stdin.close()
        self._proc = None
        log = getattr(self, "_log", None)
        if log is not None:
            log.close()


# --- PNG ---------------------------------------------------------------------------

class PngWriter(Writer):
    """The poster: keeps a copy of the latest frame and saves it at ``close``.

    Pillow writes no timestamp chunks, so the bytes depend on the pixels only.
    """

    format = "png"
    suffix = ".png"
    mime = "image/png"
    animated = False

    def _write(self, frame: Array) -> None:
        self._last = np.array(frame, dtype=np.uint8, copy=True)

    def _finish(self) -> None:
        Image.fromarray(self._last, "RGB").save(self.tmp, format="PNG", optimize=False, compress_level=6)


WRITERS: dict[str, type[Writer]] = {w.format: w for w in (GifWriter, Mp4Writer, PngWriter)}


def writer_for(fmt: str) -> type[Writer]:
    try:
        return WRITERS[fmt]
    except KeyError:
        raise RenderError(f"unknown format {fmt!r}; valid: {', '.join(WRITERS)}") from None


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The format a path's suffix names (``.gif`` -> ``gif``), or None."""
    suffix = Path(path).suffix.lower()
    return next((name for name, w in WRITERS.items() if w.suffix == suffix), None)


def open_writer(path: str | os.PathLike[str], fmt: str | None = None, **options: Any) -> Writer:
    """An opened writer for ``path``; use it as a context manager."""
    fmt = fmt or format_of(path)
    if fmt is None:
        raise RenderError(f"cannot tell the format of {str(path)!r}; use a suffix or format: {', '.join(WRITERS)}")
    return writer_for(fmt)(path, **options).open()
