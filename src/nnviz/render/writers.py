"""Pixels -> files: GIF, MP4, WebP, HTML and PNG writers that take one frame at a time.

A writer is opened on a destination, receives (h, w, 3) uint8 frames through
``write`` and finishes in ``close``. It works on a temporary file beside the
destination (``atomic.atomic_path``) and renames it only when ``close``
succeeds; on any error (or Ctrl-C) inside a ``with`` block the temporary file
is removed, an ffmpeg child is killed, and the destination is untouched.
Nothing holds more than one or two frames, so memory stays flat however long
the animation is.

``WRITERS`` maps a format name to its class (as matplotlib's writer registry
does) and is the only list of formats: each class declares what callers need
(``suffix``, ``mime``, ``video``, ``animated``, ``wants_palette``) and
whether it can write here (``unavailable()``), so pages, galleries, config
and CLI read them from the registry instead of keeping copies.
``open_writer(path, fmt, ...)`` picks one; ``check_available(fmt)`` fails
before any training when an encoder is missing.
"""

from __future__ import annotations

import contextlib
import functools
import os
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import GifImagePlugin, Image

from ..errors import NnvizError, OutputError, RenderError
from .palette import GIF_COLORS, as_palette, build_palette
from .player import HtmlWriter, player_html
from .writerbase import INFO_KEYS, Array, Writer, check_info

__all__ = [
    "INFO_KEYS",
    "WRITERS",
    "Array",
    "FfmpegWriter",
    "GifWriter",
    "HtmlWriter",
    "Mp4Writer",
    "PngWriter",
    "WebpWriter",
    "Writer",
    "available_formats",
    "build_palette",
    "check_available",
    "check_capacity",
    "check_info",
    "ffmpeg_encoders",
    "ffmpeg_exe",
    "format_of",
    "open_writer",
    "player_html",
    "writer_for",
]

TRANSPARENT = GIF_COLORS  # the index kept free for "unchanged pixel", just past the palette
MAX_DELAY_CS = 65535  # a frame's delay is a 16-bit count of centiseconds


# --- GIF ------------------------------------------------------------------------


class GifWriter(Writer):
    """Animated GIF with one palette, looping forever, streamed frame by frame.

    Pass ``sample=`` (an RGB sample array covering the animation's colours,
    or a ``P`` image from ``build_palette``) and ``colors=`` (colours kept
    exactly); without a sample the first frame decides. Each frame after the first stores only the rectangle that
    changed, with unchanged pixels transparent: LZW packs those runs into
    almost nothing. The last frame is held back one step so ``hold`` can
    lengthen its duration at ``close`` without extra frames.
    """

    format = "gif"
    suffix = ".gif"
    mime = "image/gif"
    wants_palette = True
    max_side = 65535  # the screen and frame sizes are 16-bit fields
    # Delays are whole centiseconds, and browsers show a delay under 2 cs as 10 cs.
    max_fps = 50.0
    fps_why = "GIF frame delays are whole centiseconds and browsers slow delays under 2 cs to 10 cs"

    def open(self) -> GifWriter:
        super().open()
        assert self.tmp is not None  # super().open() made it
        self._fh = open(self.tmp, "wb")  # noqa: SIM115 -- held open across write() calls, closed in _finish/_cleanup
        self._palette: Image.Image | None = None if self.sample is None else as_palette(self.sample, self.colors)
        self._prev: Array | None = None  # the last frame as shown (palette indices)
        self._pending: tuple[Image.Image, tuple[int, int], bool] | None = None
        self._clock = 0.0  # exact time, so rounding never drifts
        self._written_cs = 0
        return self

    @property
    def bytes_written(self) -> int:
        return self._fh.tell()

    def _delay_cs(self, extra: float = 0.0) -> int:
        self._clock += 100.0 / self.fps + 100.0 * extra
        cs = max(2, round(self._clock) - self._written_cs)  # browsers treat <2 cs as 10
        if cs > MAX_DELAY_CS:
            raise RenderError(
                f"a GIF frame lasts at most {MAX_DELAY_CS / 100:g} s; this one would last {cs / 100:g} s "
                f"(fps {self.fps:g}, hold {self.hold:g} s)"
            )
        self._written_cs += cs
        return cs

    def _header(self, w: int, h: int) -> None:
        assert self._palette is not None  # _write built it before the first header
        pal = self._palette.getpalette() or []
        table = bytes(pal) + bytes(768 - len(pal))
        self._fh.write(b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + table)
        self._fh.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00")  # loop=0: forever

    def _write(self, frame: Array, info: dict[str, Any] | None) -> None:
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


# --- ffmpeg pipe: MP4 and WebP -------------------------------------------------------


def ffmpeg_exe() -> str:
    """The ffmpeg binary imageio-ffmpeg ships (or IMAGEIO_FFMPEG_EXE)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # missing package or binary
        raise RenderError(f"ffmpeg is not available ({exc}); use --format gif") from None


@functools.lru_cache(maxsize=4)
def ffmpeg_encoders(exe: str) -> frozenset[str] | str:
    """The encoder names ``exe -encoders`` lists, or why it could not be asked.

    Cached per binary: it runs once per process, not once per writer.
    """
    try:
        out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run ffmpeg ({getattr(exc, 'strerror', None) or exc})"
    if out.returncode != 0:
        return f"ffmpeg -encoders failed with exit code {out.returncode}"
    # Lines look like " V....D libx264   libx264 H.264 ..."; the listing starts after " ------".
    lines = out.stdout.decode(errors="replace").split(" ------", 1)[-1].splitlines()
    return frozenset(parts[1] for parts in (line.split() for line in lines) if len(parts) >= 2)


class FfmpegWriter(Writer):
    """Raw rgb24 frames piped to an ffmpeg child that writes the temporary file.

    Subclasses give the ``encoder`` and its arguments. The last frame is held
    back so ``close`` can repeat it ``round(hold * fps)`` times. ffmpeg is
    killed if anything fails, and the partial file removed.
    """

    encoder: ClassVar[str] = ""

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            exe = ffmpeg_exe()
        except RenderError:
            return "ffmpeg is not available (imageio-ffmpeg is missing or has no binary)"
        encoders = ffmpeg_encoders(exe)
        if isinstance(encoders, str):
            return encoders
        if cls.encoder not in encoders:
            return f"the bundled ffmpeg has no {cls.encoder} encoder"
        return None

    def open(self) -> FfmpegWriter:
        super().open()
        self._proc: subprocess.Popen | None = None
        self._last: Array | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- ffmpeg's stderr for the writer's life, closed in _cleanup
        return self

    def _fit(self, frame: Array) -> Array:
        """The part of ``frame`` the encoder takes (MP4 crops to even sides)."""
        return frame

    def _codec_args(self) -> list[str]:
        raise NotImplementedError

    def _start(self, w: int, h: int) -> None:
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w}x{h}",
            "-r",
            f"{self.fps:g}",
            "-i",
            "-",
            "-an",
            *self._codec_args(),
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-f",
            self.format,
            str(self.tmp),
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
            raise self._failed("stopped") from None

    def _write(self, frame: Array, info: dict[str, Any] | None) -> None:
        frame = self._fit(frame)
        if self._proc is None:
            self._start(frame.shape[1], frame.shape[0])
        if self._last is not None:
            self._send(self._last)
        self._last = frame.copy()

    def _finish(self) -> None:
        assert self._last is not None and self._proc is not None
        for _ in range(1 + max(0, round(self.hold * self.fps))):
            self._send(self._last)
        assert self._proc.stdin is not None  # Popen(stdin=PIPE)
        self._proc.stdin.close()
        code = self._proc.wait()
        self._proc = None
        if code != 0:
            raise self._failed(f"failed with exit code {code}")
        self._log.close()

    def _failed(self, how: str) -> NnvizError:
        """Why ffmpeg gave up, as the error to raise: a full disk is the machine's, not the format's."""
        said = self._stderr()
        if any(sign in said for sign in ("No space left on device", "Disk quota exceeded")):
            return OutputError(f"cannot write {str(self.path)!r}: no space left on the device")
        return RenderError(f"ffmpeg {how} writing {str(self.path)!r}: {said}")

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


class Mp4Writer(FfmpegWriter):
    """H.264 yuv420p MP4; odd sizes are cropped to even."""

    format = "mp4"
    suffix = ".mp4"
    mime = "video/mp4"
    video = True
    encoder = "libx264"
    # Odd sides are cropped to even (4:2:0); libx264 takes at most 16384 a side (its x264_param limits).
    max_side = 16384
    crf = 20

    def _fit(self, frame: Array) -> Array:
        return frame[: frame.shape[0] & ~1, : frame.shape[1] & ~1]  # H.264 4:2:0 needs even sides

    def _codec_args(self) -> list[str]:
        return [
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-crf",
            str(self.crf),
            "-preset",
            "medium",
            "-movflags",
            "+faststart",
        ]


class WebpWriter(FfmpegWriter):
    """Lossless animated WebP (libwebp's animation encoder), looping forever.

    bgra keeps every rgb24 pixel exact (yuv would not). libwebp stores only
    the rectangle that changed and merges identical consecutive frames into
    one longer frame, so the ``hold`` repeats of the last frame cost nothing.
    Options ``compression_level`` (libwebp's method, 0-6) and ``quality``
    (for lossless: the effort, 0-100) trade time for size.

    Lossless keeps the renderer's antialiased colours, so it is larger than
    the GIF, whose palette has at most 63. Given ``sample=`` (and ``colors=``),
    as for the GIF, the base class maps each frame to that palette first
    (``--colors palette``): the GIF's pixels in 0.57 (default run) to 0.71
    (spiral) of its bytes, where every full-colour variant measured is
    1.22-1.25x the GIF (benchmarks/webp_study.py: the cost is the ~2,000
    antialiased edge colours a frame's changes hold).
    """

    format = "webp"
    suffix = ".webp"
    mime = "image/webp"
    encoder = "libwebp_anim"
    max_side = 16383  # the WebP bitstream's 14-bit width and height
    # Durations are whole milliseconds, and browsers (Chromium, as GIF's 2 cs rule) show a
    # frame of 10 ms or less for 100 ms: 1000 / 90 = 11.1 ms is the fastest they play as written.
    max_fps = 90.0
    fps_why = "browsers show a WebP frame of 10 ms or less for 100 ms"
    # libwebp's defaults. On the default run's frames (75, 1200x400) effort 75 is 20%
    # smaller than 25 and within 2% of 100 at 60% of its time; the level hardly matters.
    compression_level = 4
    quality = 75
    # Frames mapped to a palette are the opposite case: effort 25 is 2% smaller than 75 and ~7x faster.
    palette_quality = 25

    def _level(self, name: str, top: int, default: int) -> int:
        value = self.options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise RenderError(f"webp {name}={value!r} is not allowed; use a whole number from 0 to {top}")
        return value

    def open(self) -> WebpWriter:
        quality = self._level("quality", 100, self.palette_quality if self.sample is not None else self.quality)
        self._args = [
            "-compression_level",
            str(self._level("compression_level", 6, self.compression_level)),
            "-quality",
            str(quality),
        ]  # checked before the temp file exists
        super().open()
        return self

    def _codec_args(self) -> list[str]:
        return ["-c:v", "libwebp_anim", "-lossless", "1", *self._args, "-pix_fmt", "bgra", "-loop", "0"]


# --- PNG ---------------------------------------------------------------------------


class PngWriter(Writer):
    """The poster: keeps a copy of the latest frame and saves it at ``close``.

    Pillow writes no timestamp chunks, so the bytes depend on the pixels only.
    """

    format = "png"
    suffix = ".png"
    mime = "image/png"
    animated = False

    def _write(self, frame: Array, info: dict[str, Any] | None) -> None:
        self._last = np.array(frame, dtype=np.uint8, copy=True)

    def _finish(self) -> None:
        assert self.tmp is not None  # open() made it
        Image.fromarray(self._last, "RGB").save(self.tmp, format="PNG", optimize=False, compress_level=6)


WRITERS: dict[str, type[Writer]] = {w.format: w for w in (GifWriter, Mp4Writer, WebpWriter, HtmlWriter, PngWriter)}


def writer_for(fmt: str) -> type[Writer]:
    try:
        return WRITERS[fmt]
    except KeyError:
        raise RenderError(f"unknown format {fmt!r}; valid: {', '.join(WRITERS)}") from None


def available_formats() -> list[str]:
    """The formats that can be written here, in registry order."""
    return [name for name, w in WRITERS.items() if w.unavailable() is None]


def check_available(fmt: str) -> None:
    """Raise a RenderError saying why ``fmt`` cannot be written here (call it before training)."""
    reason = writer_for(fmt).unavailable()
    if reason is not None:
        others = [name for name in available_formats() if name != fmt]
        hint = f"; use another format: {', '.join(others)}" if others else ""
        raise RenderError(f"format {fmt!r} cannot be written here: {reason}{hint}")


def check_capacity(fmt: str, size: tuple[int, int], fps: float, frames: int) -> None:
    """Raise a RenderError when ``fmt`` cannot hold ``frames`` frames of ``size`` at ``fps`` (before training)."""
    kind = writer_for(fmt)
    # The formats that would take ``fps`` instead, for the message: asked
    # (which runs ffmpeg) only when this one does not take it.
    instead = (
        []
        if kind.takes_fps(fps)
        else [
            name
            for name, w in WRITERS.items()
            if name != fmt and w.animated and w.takes_fps(fps) and w.unavailable() is None
        ]
    )
    kind.check_capacity(size, fps, frames, instead)


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The format a path's suffix names (``.gif`` -> ``gif``), or None."""
    suffix = Path(path).suffix.lower()
    return next((name for name, w in WRITERS.items() if w.suffix == suffix), None)


def agreeing_format(path: str | os.PathLike[str], fmt: str | None) -> str | None:
    """The format ``path``'s suffix names (or None), refused when the asked-for ``fmt`` names another."""
    by_suffix = format_of(path)
    if by_suffix is not None and fmt is not None and by_suffix != fmt:
        raise RenderError(f"--out {str(path)!r} is a .{by_suffix} file but --format is {fmt}; make them agree")
    return by_suffix


def open_writer(path: str | os.PathLike[str], fmt: str | None = None, **options: Any) -> Writer:
    """An opened writer for ``path``; use it as a context manager."""
    fmt = fmt or format_of(path)
    if fmt is None:
        raise RenderError(f"cannot tell the format of {str(path)!r}; use a suffix or format: {', '.join(WRITERS)}")
    return writer_for(fmt)(path, **options).opened()
