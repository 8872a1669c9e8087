"""The animation pipeline: a Plan -> data -> History -> frame source -> engine -> writer -> files.

Library use (no CLI needed)::

    from nnviz import catalog, render
    result = render.animate(catalog.resolve({}, {"train.epochs": 50}), "outputs/run.gif")
    result            # in a notebook this shows the animation inline (``_repr_html_``)

``animate`` trains (unless given a History), writes the animation, the
poster PNG (last frame), the history CSV and the resolved config TOML side
by side, and returns an ``AnimationResult``. ``render_history`` re-renders a
saved or in-memory History without training; ``execute_morph`` writes the
layer-to-layer morph of a morph plan. Each builds its ``plan.Plan`` first, so every check
runs before any work; the CLI builds the plan itself and calls ``execute``.

The default ``stream`` engine computes one scene per frame (``scene``), draws
it in place on one figure (``paint.Painter``) and streams the pixels to a
writer (``writers``), so memory does not grow with the number of frames.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import config as config_mod
from .. import plan as plans
from .. import signals
from ..atomic import one_set, write_text_atomic
from ..config import Config
from ..engine.data import Dataset
from ..engine.events import Event, write_events
from ..engine.history import History, write_history
from ..engine.train import load_data, run_events, train
from ..errors import Interrupted, LargeOutputWarning, RenderError, stage
from ..progress import Progress, reporter
from .animation import Animation, FrameSource, palette
from .engines import ENGINES, Engine
from .morph import Morph
from .notebook import to_html
from .scene import select_epochs
from .scene.morph import check_data, parse_epochs
from .writers import PngWriter, Writer, writer_for

Array = np.ndarray


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
    events: tuple[Event, ...] = ()  # what happened in training: a dead unit, a plateau (``engine.events``)
    events_csv: Path | None = None

    def _repr_html_(self) -> str:
        return to_html(self.path)

    def display(self) -> Any:
        """Show the animation inline in Jupyter (returns an IPython HTML object)."""
        from IPython.display import HTML  # only in notebooks

        return HTML(self._repr_html_())


@dataclass(frozen=True)
class MorphResult:
    """What ``morph`` wrote: the file, the morph drawn (its epochs and stages) and the run's History."""

    path: Path
    morph: Morph
    history: History = field(repr=False)


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


# --- drawing a frame source into files ---------------------------------------------------------


def render_source(
    source: FrameSource,
    cfg: Config,
    outputs: plans.Outputs,
    *,
    progress: Progress | bool | None = None,
    workers: int = 1,
) -> Path:
    """Write ``source``'s frames to ``outputs.path`` (and its last frame to ``outputs.poster``, when set).

    Every file is atomic: on failure nothing appears at its destination. To
    stdout, the file is made complete in a temp folder first, then copied.
    ``workers=2`` paints on two cores (Linux, from a process without threads;
    the bytes are the same).
    """
    assert outputs.path is not None and outputs.format is not None  # a plan that draws
    if outputs.stdout:
        with tempfile.TemporaryDirectory(prefix="nnviz-") as tmp:
            temp = Path(tmp) / f"animation{writer_for(outputs.format).suffix}"
            _write(source, cfg, replace(outputs, path=temp, stdout=False), reporter(progress), workers)
            _copy_to_stdout(temp)
        return Path(plans.STDOUT)
    return _write(source, cfg, outputs, reporter(progress), workers)


def _write(source: FrameSource, cfg: Config, outputs: plans.Outputs, report: Progress | None, workers: int) -> Path:
    assert outputs.path is not None and outputs.format is not None
    kind = writer_for(outputs.format)
    engine = ENGINES[cfg.render.engine](source)
    try:
        if not kind.animated:  # a still: only the last frame is drawn
            last = engine.still(source.indices[-1])
            with kind(outputs.path) as still:
                still.write(last)
        else:
            with _open_writer(kind, outputs.path, cfg, source, engine) as writer:
                last = engine.write(writer, workers, _on_frame(writer, outputs.path, len(source), report))
        if outputs.poster is not None and outputs.poster != outputs.path:
            with PngWriter(outputs.poster) as png:
                png.write(last)
    finally:
        engine.close()
    return outputs.path


def _copy_to_stdout(path: Path) -> None:
    out = sys.stdout.buffer
    with path.open("rb") as f:
        shutil.copyfileobj(f, out, 2**20)
    out.flush()


def _open_writer(kind: type[Writer], path: Path, cfg: Config, source: FrameSource, engine: Engine) -> Writer:
    options: dict[str, Any] = {"fps": cfg.render.fps, "hold": cfg.render.hold}
    if kind.wants_palette or cfg.render.colors == "palette":
        # Both ends of training hold nearly every colour the animation uses.
        options["sample"] = engine.sample([source.indices[0], source.indices[-1]])
        options["colors"] = palette(source)
    return kind(path, **options)


def _on_frame(writer: Writer, path: Path, total: int, report: Progress | None) -> Any:
    def on_frame(n: int) -> None:
        signals.check()  # a Ctrl-C that C code swallowed (matplotlib's Agg, see signals) ends the run here
        if n == SIZE_PROBE_FRAMES and total > n:
            _warn_if_large(path, writer.bytes_written / n * total)
        if report:
            report("rendering", n, total)

    return on_frame


# --- the commands' work --------------------------------------------------------------------------


def _trained(cfg: Config, data: Dataset, report: Progress | None) -> History:
    """Train, reporting once per epoch; Ctrl-C means stop, not "render what you have"."""
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
        raise Interrupted(history.signal or signal.SIGINT)
    if report and len(history) < total:
        report("training", len(history), len(history))  # stopped early: close the stage at its count
    if not len(history):
        raise RenderError("training produced no epochs to render")
    return history


def _report(progress: Progress | bool | None) -> Progress | None:
    return reporter(progress) if isinstance(progress, bool) or progress is None else progress


def execute(
    plan: plans.Plan,
    *,
    history: History | None = None,
    data: Dataset | None = None,
    progress: Progress | bool | None = False,
    workers: int = 1,
) -> AnimationResult:
    """Carry out a checked animate (or re-render) plan: train unless ``history`` is given, then write its files.

    A run that diverged is rendered up to its last finite epoch
    (``result.history.message`` says what happened).
    """
    report = _report(progress)
    cfg, outs = plan.cfg, plan.outputs
    with stage("loading the data"):
        data = data if data is not None else load_data(cfg)
    plan.admit(data, workers)  # every memory cap, from the config and the data's shape, before training
    if history is None:
        history = _trained(cfg, data, report)
    events = run_events(history, data, cfg)
    # The files land together: two runs on one --out leave one run's set, never a mix.
    # (To stdout there is one file, copied once complete.)
    with contextlib.nullcontext() if outs.stdout else one_set():
        with stage("rendering"):
            source = Animation(history, data, cfg.render, events=events)
            path = render_source(source, cfg, outs, progress=report, workers=workers)
        csv = write_history(history, outs.history_csv) if outs.history_csv is not None else None
        toml = write_text_atomic(outs.config_toml, config_mod.run_toml(cfg)) if outs.config_toml is not None else None
        listed = write_events(events, history, outs.events_csv) if outs.events_csv is not None else None
    frames = _frame_count(history, cfg)
    return AnimationResult(path, outs.poster, csv, toml, frames, history, data.note, events, listed)


def animate(
    cfg: Config,
    out: str | Path | None = None,
    *,
    history: History | None = None,
    data: Dataset | None = None,
    progress: bool | Progress = False,
    workers: int = 1,
) -> AnimationResult:
    """Train (unless ``history`` is given), render, and write every output of a run.

    Writes the animation (``out`` or ``outputs/<run>.<format>``) and beside
    it, with the same stem, the poster ``.png``, the history ``.csv`` and the
    resolved config ``.toml``.
    """
    plan = plans.animate(cfg, out, trained=history is not None)
    plan.check()
    return execute(plan, history=history, data=data, progress=progress, workers=workers)


def render_history(
    history: History,
    data: Dataset,
    cfg: Config,
    out: str | Path | None = None,
    *,
    poster: str | Path | None = None,
    progress: Progress | bool | None = None,
    workers: int = 1,
) -> Path:
    """Render ``history`` (trained on ``data``) with ``cfg.render`` and return the file written.

    ``poster`` also writes the last frame as a PNG there.
    """
    plan = plans.animate(cfg, out, trained=True, sides=False)
    if poster is not None:
        plan = replace(plan, outputs=replace(plan.outputs, poster=Path(poster)))
    plan.check()
    plan.admit(data, workers)
    with stage("rendering"):
        source = Animation(history, data, plan.cfg.render)
        return render_source(source, plan.cfg, plan.outputs, progress=progress, workers=workers)


def execute_morph(
    plan: plans.Plan,
    *,
    history: History | None = None,
    data: Dataset | None = None,
    progress: Progress | bool | None = False,
    workers: int = 1,
) -> MorphResult:
    """Carry out a checked morph plan: train unless ``history`` is given, then write the morph."""
    assert plan.morph is not None
    report = _report(progress)
    cfg, spec = plan.cfg, plan.morph
    with stage("loading the data"):
        data = data if data is not None else load_data(cfg)
    check_data(data)  # before training, not after
    plan.admit(data, workers)
    if history is None:
        history = _trained(cfg, data, report)
    positions = parse_epochs(spec.epochs, history)
    with stage("rendering"):
        source = Morph(history, data, cfg.render, positions, steps=spec.steps, pause=spec.pause)
        path = render_source(source, cfg, plan.outputs, progress=report, workers=workers)
    return MorphResult(path, source, history)


def _frame_count(history: History, cfg: Config) -> int:
    """Distinct frames in the file: every rendered epoch, or one for a still."""
    if not writer_for(cfg.render.format).animated:
        return 1
    return len(select_epochs(len(history), cfg.render.every, cfg.render.log_frames))
