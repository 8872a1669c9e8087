"""The writer protocol every output format shares: open, write frames, close.

A writer is opened on a destination, receives (h, w, 3) uint8 frames through
``write`` and finishes in ``close``. It works on a temporary file beside the
destination (``atomic.atomic_path``) and renames it only when ``close``
succeeds; on any error (or Ctrl-C) inside a ``with`` block the temporary file
is removed and the destination is untouched. The formats themselves live in
``writers`` (and ``player`` for HTML); this module is apart so both can
build on it without importing each other.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from ..atomic import atomic_path
from ..errors import RenderError
from .palette import as_palette, in_palette

Array = np.ndarray
INFO_KEYS = ("epoch", "title", "metrics", "shown")  # what ``write(frame, info)`` may describe


def check_info(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``info`` as a plain dict with checked types, or None.

    Checked for every writer (not only those that show it) so a caller's
    mistake shows up whatever the format.
    """
    if info is None:
        return None
    if not isinstance(info, Mapping):
        raise RenderError(f"frame info must be a mapping with keys {', '.join(INFO_KEYS)}, got {type(info).__name__}")
    unknown = sorted(str(k) for k in info if k not in INFO_KEYS)
    if unknown:
        raise RenderError(f"unknown frame info key(s) {', '.join(unknown)}; allowed: {', '.join(INFO_KEYS)}")
    out: dict[str, Any] = {}
    if "epoch" in info:
        epoch = info["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral):
            raise RenderError(f"frame info 'epoch' must be an integer, got {epoch!r}")
        out["epoch"] = int(epoch)
    if "title" in info:
        if not isinstance(info["title"], str):
            raise RenderError(f"frame info 'title' must be a string, got {info['title']!r}")
        out["title"] = info["title"]
    if "metrics" in info:
        metrics = info["metrics"]
        if not isinstance(metrics, Mapping):
            raise RenderError(f"frame info 'metrics' must map names to numbers, got {type(metrics).__name__}")
        checked: dict[str, float] = {}
        for name, value in metrics.items():
            if not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise RenderError(f"frame info metric {name!r} = {value!r}: metrics map names (str) to numbers")
            checked[name] = float(value)
        out["metrics"] = checked
    if "shown" in info:  # each metric as the frame's title writes it, so the two never disagree
        shown = info["shown"]
        if not isinstance(shown, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in shown.items()
        ):
            raise RenderError("frame info 'shown' must map metric names (str) to their text (str)")
        out["shown"] = dict(shown)
    return out


class Writer:
    """Base class: atomic temp-file handling and the open/write/close protocol.

    ``sample`` (an RGB array covering the animation's colours, e.g. the first
    and last frame stacked, or a ``P`` image from ``palette.build_palette``)
    and ``colors`` ((n, 3) uint8 colours to keep exactly) give the palette.
    Writers with ``wants_palette`` (GIF) always need one; any other writer
    given them maps every frame to it before encoding, so it shows exactly
    the GIF's pixels (``--colors palette``).
    """

    format: ClassVar[str] = ""  # the registry name, e.g. "gif"
    suffix: ClassVar[str] = ""  # ".gif"
    mime: ClassVar[str] = ""  # "image/gif", for data: URLs and pages
    video: ClassVar[bool] = False  # a page shows it with <video>, not <img>
    animated: ClassVar[bool] = True  # False: a poster, only the last frame matters
    wants_palette: ClassVar[bool] = False  # pass sample= and colors= for exact colours
    # What the file format can hold (None: no limit of its own); check_capacity
    # reads them before any training, and the writer again on the real frames.
    max_side: ClassVar[int | None] = None  # pixels per side of a frame
    max_fps: ClassVar[float | None] = None  # frames per second the format can time
    fps_why: ClassVar[str] = ""  # why, for the message

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fps: float = 10.0,
        hold: float = 0.0,
        sample: Any = None,
        colors: Array | None = None,
        **options: Any,
    ) -> None:
        renamed = {"palette": "sample", "palette_colors": "colors"}
        for old in sorted(set(options) & set(renamed)):
            # Fail loudly: an ignored palette would silently change a GIF's colours.
            raise TypeError(f"{type(self).__name__}: {old}= is now {renamed[old]}=")
        self.path = Path(path)
        self.fps = _positive("fps", fps)
        self._check_fps(self.fps)
        self.hold = _positive("hold", hold, zero=True)
        self.sample = sample
        self.colors = colors
        self._mapping: Image.Image | None = None  # the palette frames are mapped to, built at the first frame
        self.options = options
        self.frames = 0
        self._atomic: Any = None
        self.tmp: Path | None = None
        self.size: tuple[int, int] | None = None  # (w, h) of the first frame

    @classmethod
    def unavailable(cls) -> str | None:
        """None when this format can be written here; else the reason it cannot."""
        return None

    @classmethod
    def check_capacity(cls, size: tuple[int, int], fps: float, frames: int, instead: Sequence[str] = ()) -> None:
        """Raise a RenderError when frames of ``size`` (w, h) at ``fps`` cannot be written in this format.

        ``frames`` is the most the animation can have (no format here limits
        it today; it is passed so a format that does can say so). ``instead``
        names formats that would take ``fps``, for the message.
        """
        cls._check_fps(fps, instead)
        cls._check_size(size)

    @classmethod
    def takes_fps(cls, fps: float) -> bool:
        return cls.max_fps is None or fps <= cls.max_fps

    @classmethod
    def _check_fps(cls, fps: float, instead: Sequence[str] = ()) -> None:
        if not cls.takes_fps(fps):
            other = ""
            if instead:
                names = list(instead)
                other = ", or --format " + (f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0])
            raise RenderError(
                f"--fps {fps:g} is too fast for {cls.format}: {cls.fps_why}; use --fps <= {cls.max_fps:g}{other}"
            )

    @classmethod
    def _check_size(cls, size: tuple[int, int]) -> None:
        w, h = size
        if cls.max_side is not None and max(w, h) > cls.max_side:
            raise RenderError(
                f"--size {w}x{h} is too large for {cls.format}: its frames are at most {cls.max_side} pixels a side"
            )

    # --- protocol ---------------------------------------------------------
    def open(self) -> Writer:
        self._atomic = atomic_path(self.path)
        self.tmp = self._atomic.__enter__()
        return self

    def write(self, frame: Array, info: Mapping[str, Any] | None = None) -> None:
        """Add one (h, w, 3) uint8 frame.

        ``info`` optionally describes it: ``{"epoch": int, "title": str,
        "metrics": {name: float}}``; the HTML player shows it, others ignore it.
        """
        checked = check_info(info)
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise RenderError(f"a frame must be an (h, w, 3) uint8 array, got {frame.shape} {frame.dtype}")
        size = (frame.shape[1], frame.shape[0])
        if self.size is None:
            self._check_size(size)
            self.size = size
        elif size != self.size:
            raise RenderError(
                f"frame {self.frames} is {size[0]}x{size[1]}, the first was {self.size[0]}x{self.size[1]}"
            )
        if self.sample is not None and not self.wants_palette:
            if self._mapping is None:
                self._mapping = as_palette(self.sample, self.colors)
            frame = in_palette(frame, self._mapping)
        self._write(frame, checked)
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

    def __enter__(self) -> Writer:
        return self if self._atomic is not None else self.opened()

    def opened(self) -> Writer:
        """``open()``, dropping the temp file if ``open`` fails after making it.

        A subclass's ``open`` does work after ``super().open()`` made the temp
        (the GIF writer builds its palette there); Ctrl-C or SIGTERM in that
        work raised out of ``__enter__``, so no ``__exit__`` ran and the temp
        was left behind.
        """
        try:
            return self.open()
        except BaseException as exc:
            self.abort(exc)
            raise

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
    def _write(self, frame: Array, info: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        pass


def _positive(name: str, value: Any, zero: bool = False) -> float:
    """``value`` as a finite float > 0 (>= 0 with ``zero``), else a RenderError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        allowed = "a finite number >= 0" if zero else "a finite number > 0"
        raise RenderError(f"{name} must be {allowed}, got {value!r}")
    return number
