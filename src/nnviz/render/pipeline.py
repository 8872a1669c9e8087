"""The animation pipeline: Config -> History -> frames -> files.

Library use (no CLI needed)::

    from nnviz import config, render
    result = render.animate(config.resolve({}, {"train.epochs": 50}), "outputs/run.gif")
    result            # in a notebook this shows the GIF/MP4 inline (``_repr_html_``)
    result.display()  # the same, explicitly (IPython.display.HTML under the hood)

``animate`` trains (unless given a History), writes the animation, the
poster PNG (last frame), the history CSV and the resolved config TOML side
by side, and returns an ``AnimationResult``. ``render_history`` re-renders a
saved or in-memory History without training. ``celluloid_animation`` gives
the reference approach as a matplotlib ``ArtistAnimation`` for notebooks.

The default ``stream`` engine computes one scene per epoch (``scene``), draws
it in place on one figure (``paint.Painter``) and streams the pixels to a
writer (``writers``), so memory does not grow with the number of frames.
"""

from __future__ import annotations

import base64
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .. import config as config_mod
from ..atomic import check_writable, write_text_atomic
from ..config import Config
from ..engine.history import History
from ..engine.train import load_data  # load_data: part of this API too
from ..errors import Interrupted, LargeOutputWarning, RenderError
from ..progress import Progress, reporter
from . import scene
from .writers import WRITERS, PngWriter, format_of, writer_for

Array = np.ndarray
OUTPUT_DIR = Path("outputs")


@dataclass(frozen=True)
class AnimationResult:
    """What ``animate`` wrote. ``frames`` counts distinct rendered frames."""

    path: Path
    poster: Path | None
    history_csv: Path | None
    config_toml: Path | None
    frames: int
    history: History

    def _repr_html_(self) -> str:
        return to_html(self.path)

    def display(self) -> Any:
        """Show the animation inline in Jupyter (returns an IPython HTML object)."""
        from IPython.display import HTML  # only in notebooks

        return HTML(self._repr_html_())


def to_html(path: str | Path) -> str:
    """An <img>/<video> tag with the file inlined as base64, for notebooks."""
    p = Path(path)
    data = base64.b64encode(p.read_bytes()).decode("ascii")
    if p.suffix.lower() == ".mp4":
        return f'<video controls loop autoplay muted src="data:video/mp4;base64,{data}"></video>'
    mime = "image/gif" if p.suffix.lower() == ".gif" else "image/png"
    return f'<img src="data:{mime};base64,{data}"/>'


# --- paths -------------------------------------------------------------------------

@dataclass(frozen=True)
class Outputs:
    path: Path
    format: str
    poster: Path
    history_csv: Path
    config_toml: Path


def output_paths(cfg: Config, out: str | Path | None = None) -> Outputs:
    """Where a run writes: ``outputs/<run>.<fmt>`` or ``out``, the rest beside it.

    The suffix of ``out`` picks the format when it names one; a suffix that
    contradicts a non-default ``render.format`` is an error. Without a suffix
    the format's is added.
    """
    fmt = cfg.render.format
    if out is None:
        path = OUTPUT_DIR / f"{config_mod.run_name(cfg)}.{fmt}"
    else:
        path = Path(out)
        if path.exists() and not path.is_file():
            check_writable(path, "--out")  # a folder or device: refuse it before adding a suffix
        by_suffix = format_of(path)
        if by_suffix is not None:
            if fmt != config_mod.RenderConfig.format and by_suffix != fmt:
                raise RenderError(f"--out {str(path)!r} is a .{by_suffix} file but --format is {fmt}; make them agree")
            fmt = by_suffix
        elif re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]*", path.suffix):  # not "run-lr0.01"
            raise RenderError(
                f"--out {str(path)!r} has an unknown suffix {path.suffix!r}; valid: "
                + ", ".join(w.suffix for w in WRITERS.values())
            )
        else:
            path = path.with_name(f"{path.name}.{fmt}")
    return Outputs(path, fmt, path.with_suffix(".png"), path.with_suffix(".csv"), path.with_suffix(".toml"))


# --- frames ----------------------------------------------------------------------------

def frame_indices(history: History, cfg: Config) -> tuple[int, ...]:
    r = cfg.render
    return scene.select_epochs(len(history), r.every, r.log_frames)




class _Stream:
    """The stream engine: scene -> painter -> RGB frames, one at a time."""

    def __init__(self, history: History, data: Any, cfg: Config, indices: Sequence[int]) -> None:
        from . import paint

        r = cfg.render
        self.history, self.indices = history, tuple(indices)
        self.spec = scene.build_spec(history, data, r.layer, r.grid)
        limits = scene.fixed_limits(self.spec, history, self.indices) if r.axes == "fixed" else None
        first = scene.make_frame(self.spec, history.epochs[self.indices[0]], self.indices[0])
        self.painter = paint.Painter(self.spec, first, size=r.size, panels=r.panels, limits=limits)
        self.colors = paint.palette_colors(self.spec)

    def render_index(self, i: int) -> Array:
        return self.painter.render(scene.make_frame(self.spec, self.history.epochs[i], i))

    def frames(self, workers: int = 1) -> Iterator[Array]:
        """Every frame in order; with ``workers=2`` a forked helper paints every other one."""
        if workers > 1 and can_fork() and len(self.indices) >= MIN_PARALLEL_FRAMES:
            yield from _interleaved(self, self.indices)
        else:
            for i in self.indices:
                yield self.render_index(i)

    def close(self) -> None:
        self.painter.close()


# --- two painters ------------------------------------------------------------------
#
# Painting is most of a frame's cost and holds the GIL, so a second core needs
# a second process. Forking *after* the painter is built gives the helper an
# identical painter (same figure, same layout, same blitting background), so
# its pixels are the ones the parent would have drawn: the file stays
# byte-identical. The helper paints the odd-numbered frames and streams them
# through a pipe, whose small buffer is the backpressure that keeps memory
# flat. Fork is only safe in a process without threads, so this is opt-in
# (the CLI asks for it; library callers, sweeps and Dask workers get one
# process).

MIN_PARALLEL_FRAMES = 24  # below this the fork costs more than it saves


def can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _interleaved(stream: "_Stream", indices: Sequence[int]) -> Iterator[Array]:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    helper = ctx.Process(target=_paint_every_other, args=(stream, indices[1::2], send, receive), daemon=True)
    helper.start()
    send.close()  # the helper holds the only writing end: EOF means it stopped
    try:
        for k, i in enumerate(indices):
            if k % 2 == 0:
                yield stream.render_index(i)
                continue
            try:
                shape, raw = receive.recv()
            except EOFError:
                helper.join(timeout=5)  # so its exit code is known
                raise RenderError(f"the helper painter stopped at frame {k} (exit code {helper.exitcode})") from None
            yield np.frombuffer(raw, np.uint8).reshape(shape)
    finally:
        receive.close()
        if helper.is_alive():
            helper.terminate()
        helper.join()


def _paint_every_other(stream: "_Stream", indices: Sequence[int], send: Any, receive: Any) -> None:
    """The helper's whole life: paint its frames, send them, exit quietly."""
    # Only the parent may hold the reading end: if the parent dies (even by
    # SIGKILL) the next send fails and the helper ends instead of waiting.
    receive.close()
    # The parent handles Ctrl-C and ends the helper; a helper that raised
    # KeyboardInterrupt itself would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for i in indices:
            frame = stream.render_index(i)
            send.send((frame.shape, frame.tobytes()))
    except (BrokenPipeError, OSError):
        pass  # the parent stopped listening
    finally:
        send.close()


WARN_BYTES = 50 * 2**20  # past this a GIF is too heavy to embed in a page
SIZE_PROBE_FRAMES = 10    # frames written before the size is extrapolated


def _warn_if_large(path: Path, estimate: float) -> None:
    # Early epochs change the most, so this overestimates: a warning, not a refusal.
    if estimate > WARN_BYTES:
        warnings.warn(
            f"{path} is on course to be about {estimate / 2**20:.0f} MB (over {WARN_BYTES // 2**20} MB); "
            "a smaller --size or --grid, --every N or --log-frames K make it lighter",
            LargeOutputWarning, stacklevel=3,
        )


def render_history(history: History, data: Any, cfg: Config, out: str | Path | None = None, *,
                   poster: str | Path | None = None, progress: Progress | bool | None = None,
                   workers: int = 1) -> Path:
    """Render ``history`` (trained on ``data``) with ``cfg.render`` and return the file written.

    ``poster`` also writes the last frame as a PNG. Every file is atomic:
    on failure nothing appears at its destination. ``workers=2`` paints on
    two cores (Linux, from a process without threads; the bytes are the same).
    """
    report = reporter(progress) if isinstance(progress, bool) or progress is None else progress
    outs = output_paths(cfg, out)
    indices = frame_indices(history, cfg)
    if cfg.render.engine == "celluloid":
        return _render_celluloid(history, data, cfg, outs, indices, poster, report)
    stream = _Stream(history, data, cfg, indices)
    try:
        r = cfg.render
        last = stream.render_index(indices[-1]).copy()
        options: dict[str, Any] = {"fps": r.fps, "hold": r.hold}
        if outs.format == "gif":
            first = stream.render_index(indices[0])
            options["palette"] = np.concatenate([first, last])  # both ends of training
            options["palette_colors"] = stream.colors
        with writer_for(outs.format)(outs.path, **options) as writer:
            for n, frame in enumerate(stream.frames(workers), start=1):
                writer.write(frame)
                if n == SIZE_PROBE_FRAMES and len(indices) > n:
                    _warn_if_large(outs.path, writer.bytes_written / n * len(indices))
                if report:
                    report("rendering", n, len(indices))
        if poster is not None and Path(poster) != outs.path:
            with PngWriter(poster) as png:
                png.write(last)
    finally:
        stream.close()
    return outs.path


def animate(cfg: Config, out: str | Path | None = None, *, history: History | None = None,
            data: Any = None, progress: bool | Progress = False, workers: int = 1) -> AnimationResult:
    """Train (unless ``history`` is given), render, and write every output of a run.

    Writes the animation (``out`` or ``outputs/<run>.<format>``) and beside
    it, with the same stem, the poster ``.png``, the history ``.csv`` and the
    resolved config ``.toml``. A run that diverged is rendered up to its
    last finite epoch (``result.history.message`` says what happened).
    """
    from ..engine.history import write_history
    from ..engine.train import train

    report = reporter(progress) if isinstance(progress, bool) else progress
    outs = output_paths(cfg, out)
    check_writable(outs.path, "--out")  # an unwritable --out fails now, not after training
    data = data if data is not None else load_data(cfg)
    if history is None:
        total = cfg.train.epochs + 1

        def on_epoch(ep: Any) -> None:
            if report:
                report("training", ep.epoch + 1, total)

        history = train(cfg, data, on_epoch=on_epoch)
        if history.stop_reason == "interrupted":
            # Ctrl-C means stop, not "render what you have": nothing is written.
            raise Interrupted(history.signal or signal.SIGINT)
        if report and len(history) < total:
            report("training", len(history), len(history))  # stopped early: close the stage at its count
    if not len(history):
        raise RenderError("training produced no epochs to render")
    path = render_history(history, data, cfg, outs.path, poster=outs.poster, progress=report, workers=workers)
    csv = write_history(history, outs.history_csv)
    toml = write_text_atomic(outs.config_toml, config_mod.to_toml(cfg))
    return AnimationResult(path, outs.poster, csv, toml, len(frame_indices(history, cfg)), history)


# --- the celluloid engine ---------------------------------------------------------------

def celluloid_animation(history: History, data: Any, cfg: Config, indices: Sequence[int] | None = None):
    """The reference blog's way: fresh artists per epoch, ``Camera.snap()``, ``animate()``.

    Returns a ``matplotlib.animation.ArtistAnimation`` (its figure is
    ``anim._fig``), e.g. for ``anim.to_jshtml()`` in a notebook. Every
    frame's artists stay alive until the animation is saved, so memory grows
    with the number of frames: prefer the stream engine for files.
    """
    from celluloid import Camera

    from . import paint

    r = cfg.render
    indices = tuple(indices) if indices is not None else frame_indices(history, cfg)
    spec = scene.build_spec(history, data, r.layer, r.grid)
    limits = scene.fixed_limits(spec, history, indices) if r.axes == "fixed" else None
    fig, _canvas, axes = paint.make_figure(r.size, len(r.panels))
    scale = paint.font_scale(r.size, len(r.panels))
    panels = paint.make_panels(fig, axes, spec, r.panels, scale, r.size)
    paint.use_layout(fig)
    camera = Camera(fig)
    for i in indices:
        frame = scene.make_frame(spec, history.epochs[i], i)
        lims = limits if limits is not None else scene.frame_limits(spec, frame)
        for p in panels:
            if p.name in lims:
                p.set_limits(lims[p.name])
            p.ax.set_autoscale_on(False)
            p.add(frame)
        # celluloid only captures artists inside axes, so the title is axes text.
        axes[0].text(0.5 * len(axes) + 0.0, 1.13, frame.title, transform=axes[0].transAxes,
                     ha="center", va="bottom", fontsize=12 * scale)
        camera.snap()
    return camera.animate(interval=1000.0 / r.fps, blit=False, repeat=True)


def _render_celluloid(history: History, data: Any, cfg: Config, outs: Outputs, indices: Sequence[int],
                      poster: str | Path | None, report: Progress | None) -> Path:
    from matplotlib.animation import AbstractMovieWriter

    from . import paint

    anim = celluloid_animation(history, data, cfg, indices)
    fig = anim._fig
    r = cfg.render
    writer = writer_for(outs.format)(outs.path, fps=r.fps, hold=r.hold)
    last: list[Array] = []

    class _Adapter(AbstractMovieWriter):
        """Feeds matplotlib's saving loop into an nnviz writer."""

        def setup(self, fig: Any, outfile: Any, dpi: float | None = None) -> None:
            self.fig, self.outfile, self.dpi = fig, outfile, dpi

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            fig.canvas.draw()
            frame = paint.rgb_view(fig.canvas)
            writer.write(frame)
            last[:] = [frame.copy()]
            if report:
                report("rendering", writer.frames, len(indices))

        def finish(self) -> None:
            pass

    with writer:
        anim.save(str(outs.path), writer=_Adapter(fps=r.fps), dpi=paint.DPI)
    if poster is not None and Path(poster) != outs.path and last:
        with PngWriter(poster) as png:
            png.write(last[0])
    fig.clear()
    return outs.path
