"""The animation pipeline: Config -> History -> Animation -> engine -> writer -> files.

Library use (no CLI needed)::

    from nnviz import config, render
    result = render.animate(catalog.resolve({}, {"train.epochs": 50}), "outputs/run.gif")
    result            # in a notebook this shows the animation inline (``_repr_html_``)

``animate`` trains (unless given a History), writes the animation, the
poster PNG (last frame), the history CSV and the resolved config TOML side
by side, and returns an ``AnimationResult``. ``render_history`` re-renders a
saved or in-memory History without training.

The default ``stream`` engine computes one scene per epoch (``scene``), draws
it in place on one figure (``paint.Painter``) and streams the pixels to a
writer (``writers``), so memory does not grow with the number of frames.
"""

from __future__ import annotations

import re
import signal
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import budget
from .. import config as config_mod
from ..atomic import check_writable, one_set, write_text_atomic
from ..config import Config
from ..engine.data import Dataset
from ..engine.history import History, write_history
from ..engine.train import load_data, train
from ..errors import Interrupted, LargeOutputWarning, RenderError, stage
from ..plan import default_stem
from ..progress import Progress, reporter
from .animation import Animation
from .engines import ENGINES
from .notebook import to_html
from .scene import select_epochs
from .writers import WRITERS, PngWriter, Writer, agreeing_format, check_available, writer_for

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
    history: History = field(repr=False)  # thousands of arrays: not for a one-line repr
    note: str = ""  # what loading the data inferred or changed (target column, subset, split)

    def _repr_html_(self) -> str:
        return to_html(self.path)

    def display(self) -> Any:
        """Show the animation inline in Jupyter (returns an IPython HTML object)."""
        from IPython.display import HTML  # only in notebooks

        return HTML(self._repr_html_())


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
        path = OUTPUT_DIR / f"{default_stem(cfg)}.{fmt}"
    else:
        path = Path(out)
        if path.exists() and not path.is_file():
            check_writable(path, "--out")  # a folder or device: refuse it before adding a suffix
        # The default format is no wish of the caller's: the suffix decides then.
        by_suffix = agreeing_format(path, fmt if fmt != config_mod.RenderConfig.format else None)
        if by_suffix is not None:
            fmt = by_suffix
        elif re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]*", path.suffix):  # not "run-lr0.01"
            raise RenderError(
                f"--out {str(path)!r} has an unknown suffix {path.suffix!r}; valid: "
                + ", ".join(w.suffix for w in WRITERS.values())
            )
        else:
            path = path.with_name(f"{path.name}.{fmt}")
    return Outputs(path, fmt, path.with_suffix(".png"), path.with_suffix(".csv"), path.with_suffix(".toml"))


WARN_BYTES = 50 * 2**20  # past this a GIF is too heavy to embed in a page
SIZE_PROBE_FRAMES = 10  # frames written before the size is extrapolated


def _warn_if_large(path: Path, estimate: float) -> None:
    # Early epochs change the most, so this overestimates: a warning, not a refusal.
    if estimate > WARN_BYTES:
        warnings.warn(
            f"{path} is on course to be about {estimate / 2**20:.0f} MB (over {WARN_BYTES // 2**20} MB); "
            "a smaller --size or --grid, --every N or --log-frames K make it lighter",
            LargeOutputWarning,
            stacklevel=3,
        )


def render_history(
    history: History,
    data: Dataset,
    cfg: Config,
    out: str | Path | None = None,
    *,
    poster: str | Path | None = None,
    progress: Progress | bool | None = None,
    workers: int = 1,
    anim: Any = None,
) -> Path:
    """Render ``history`` (trained on ``data``) with ``cfg.render`` and return the file written.

    ``poster`` also writes the last frame as a PNG. Every file is atomic:
    on failure nothing appears at its destination. ``workers=2`` paints on
    two cores (Linux, from a process without threads; the bytes are the same).
    """
    with stage("rendering"):
        return _render(history, data, cfg, out, poster, progress, workers, anim)


def _render(
    history: History,
    data: Dataset,
    cfg: Config,
    out: str | Path | None,
    poster: str | Path | None,
    progress: Progress | bool | None,
    workers: int,
    anim: Any,
) -> Path:
    report = reporter(progress)
    outs = output_paths(cfg, out)
    kind = writer_for(outs.format)
    if anim is None:
        # Before the Animation builds its meshgrid (a morph checks before building its own).
        frames = len(select_epochs(len(history), cfg.render.every, cfg.render.log_frames))
        budget.check(cfg, data, outs, training=False, workers=workers, frames=frames)
        anim = Animation(history, data, cfg.render)
    engine = ENGINES[cfg.render.engine](anim)
    try:
        if not kind.animated:  # a still: only the last frame is drawn
            last = engine.still(anim.indices[-1])
            with kind(outs.path) as still:
                still.write(last)
        else:
            with _open_writer(kind, outs.path, cfg, anim, engine) as writer:
                last = engine.write(writer, workers, _on_frame(writer, outs.path, len(anim), report))
        if poster is not None and Path(poster) != outs.path:
            with PngWriter(poster) as png:
                png.write(last)
    finally:
        engine.close()
    return outs.path


def _open_writer(kind: type[Writer], path: Path, cfg: Config, anim: Animation, engine: Any) -> Writer:
    options: dict[str, Any] = {"fps": cfg.render.fps, "hold": cfg.render.hold}
    if kind.wants_palette or cfg.render.colors == "palette":
        # Both ends of training hold nearly every colour the animation uses.
        first = engine.still(anim.indices[0]).copy()
        options["sample"] = np.concatenate([first, engine.still(anim.indices[-1])])
        options["colors"] = anim.palette_colors()
    return kind(path, **options)


def _on_frame(writer: Writer, path: Path, total: int, report: Progress | None) -> Any:
    def on_frame(n: int) -> None:
        if n == SIZE_PROBE_FRAMES and total > n:
            _warn_if_large(path, writer.bytes_written / n * total)
        if report:
            report("rendering", n, total)

    return on_frame


def animate(
    cfg: Config,
    out: str | Path | None = None,
    *,
    history: History | None = None,
    data: Any = None,
    progress: bool | Progress = False,
    workers: int = 1,
) -> AnimationResult:
    """Train (unless ``history`` is given), render, and write every output of a run.

    Writes the animation (``out`` or ``outputs/<run>.<format>``) and beside
    it, with the same stem, the poster ``.png``, the history ``.csv`` and the
    resolved config ``.toml``. A run that diverged is rendered up to its
    last finite epoch (``result.history.message`` says what happened).
    """
    report = reporter(progress) if isinstance(progress, bool) else progress
    outs = output_paths(cfg, out)
    # [h/sweep] Before loading data: no output on the --data file, all four outputs writable
    # (not only the animation), and temps left by crashed runs in the folder removed.
    from ..paths import prepare_outputs, run_outputs

    prepare_outputs(
        {"--data file": cfg.data.path},
        run_outputs(outs.path, outs.poster, outs.history_csv, outs.config_toml),
        "--out",
        out,
    )
    check_available(outs.format)  # a format whose encoder this machine lacks fails now, not after training
    with stage("loading the data"):
        data = data if data is not None else load_data(cfg)
    # Every memory cap and format limit, from the config and the data's shape, before training.
    budget.check(cfg, data, outs, training=history is None, workers=workers)
    if history is None:
        total = cfg.train.epochs + 1
        reported = -1

        def on_epoch(ep: Any) -> None:
            # Sub-epoch snapshots share their epoch: count epochs, once each (the last
            # epoch's snapshots would each print the finished stage line again).
            nonlocal reported
            if report and ep.epoch != reported:
                reported = ep.epoch
                report("training", ep.epoch + 1, total)

        with stage("training"):
            history = train(cfg, data, on_epoch=on_epoch)
        if history.stop_reason == "interrupted":
            # Ctrl-C means stop, not "render what you have": nothing is written.
            raise Interrupted(history.signal or signal.SIGINT)
        if report and len(history) < total:
            report("training", len(history), len(history))  # stopped early: close the stage at its count
    if not len(history):
        raise RenderError("training produced no epochs to render")
    # The four files land together: two runs on one --out leave one run's set, never a mix.
    with one_set():
        path = render_history(history, data, cfg, outs.path, poster=outs.poster, progress=report, workers=workers)
        csv = write_history(history, outs.history_csv)
        toml = write_text_atomic(outs.config_toml, config_mod.run_toml(cfg))
    return AnimationResult(path, outs.poster, csv, toml, _frame_count(history, cfg), history, data.note)


def _frame_count(history: History, cfg: Config) -> int:
    """Distinct frames in the file: every rendered epoch, or one for a still."""
    if not writer_for(cfg.render.format).animated:
        return 1
    return len(select_epochs(len(history), cfg.render.every, cfg.render.log_frames))
