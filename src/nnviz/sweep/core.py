"""Sweeps: a grid of runs from one TOML file, run in parallel, with a gallery.

A sweep file is a normal config plus a ``[sweep]`` table whose keys are
dotted config keys and whose values are lists; the runs are their Cartesian
product. ``load_sweep`` validates every combination with ``config.resolve``
before anything runs, so a typo never costs half a sweep.

``run_sweep`` hands the runs that are not already done to an executor from
``EXECUTORS`` (a local process pool or a Dask cluster), longest first. Each
run writes its animation, poster, history CSV and config TOML into its own
folder and, last of all, a ``run.json`` marker with its config hash and
results: a folder with a matching marker is complete and is skipped on the
next run. Then the sweep writes ``summary.csv``, the gallery (``index.md``,
``index.html``) and ``comparison.gif`` at the top of the output folder.

A run that raises or diverges is recorded, never fatal to the others.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .. import config as config_mod
from ..atomic import write_text_atomic
from ..config import Config
from ..errors import ConfigError, NnvizError

MARKER = "run.json"
SUMMARY = "summary.csv"
METRICS = ("accuracy", "rmse")


# --- the sweep file ------------------------------------------------------------------

@dataclass(frozen=True)
class RunSpec:
    """One point of the grid: its folder name, varied values and full config."""

    name: str
    values: tuple[tuple[str, Any], ...]   # (dotted key, resolved value) per varied key
    cfg: Config

    @property
    def cost(self) -> float:
        """Relative work, to start the longest runs first (frames x pixels drawn)."""
        r = self.cfg.render
        frames = r.log_frames or self.cfg.train.epochs / r.every
        return frames * (r.grid**2 * len(r.panels) + r.size[0] * r.size[1])


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the varied keys, their values and every run."""

    source: str
    keys: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]   # resolved values per key, in file order
    runs: tuple[RunSpec, ...]

    @property
    def stem(self) -> str:
        return Path(self.source).stem if self.source else "sweep"


def _resolved(cfg: Config, dotted: str) -> Any:
    section, key = config_mod.split_key(dotted)
    return getattr(getattr(cfg, section), key)


def format_value(value: Any) -> str:
    """A value as people write it: ``0.01``, ``relu``, ``4,2``, ``240x80``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(format_value(v) for v in value)
    return str(value)


def _name_value(dotted: str, value: Any) -> str:
    # A CSV path names its run by the file, not the folders above it.
    return Path(value).stem if dotted == "data.path" and isinstance(value, str) else format_value(value)


def sanitize(text: str) -> str:
    """Keep a folder name portable: letters, digits and ``._,=+-`` only."""
    return re.sub(r"[^A-Za-z0-9._,=+-]+", "-", text).strip("-") or "run"


# Where the last part of a key says too little on its own.
LABELS = {"data.name": "data"}


def key_labels(keys: Sequence[str]) -> dict[str, str]:
    """``train.lr`` -> ``lr``, unless two varied keys share that last part."""
    last = [LABELS.get(k, k.rpartition(".")[2]) for k in keys]
    return {k: (part if last.count(part) == 1 else k) for k, part in zip(keys, last)}


def _run_name(values: Sequence[tuple[str, Any]], labels: Mapping[str, str]) -> str:
    return sanitize("_".join(f"{labels[k]}={_name_value(k, v)}" for k, v in values))


def _check_sweep_table(table: Any, where: str) -> dict[str, list[Any]]:
    if table is None:
        raise ConfigError(f"{where or 'the sweep'} has no [sweep] table; add one, e.g. [sweep] \"train.lr\" = [0.1, 0.01]")
    if not isinstance(table, Mapping) or not table:
        raise ConfigError(f"[sweep]{where and ' in ' + where} is empty; list at least one key, e.g. \"train.lr\" = [0.1, 0.01]")
    axes: dict[str, list[Any]] = {}
    for dotted, values in table.items():
        label = f"[sweep] {dotted!r}{where and ' in ' + where}"
        try:
            config_mod.split_key(dotted)
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        if not isinstance(values, list):
            raise ConfigError(f"{label} must be a list of values, e.g. [{_describe(values)}], not {_describe(values)}")
        if not values:
            raise ConfigError(f"{label} is an empty list; give at least one value")
        _check_values(dotted, values, label)
        axes[dotted] = values
    return axes


def _check_values(dotted: str, values: list[Any], label: str) -> None:
    """Each value on its own, so the message names the value, not a whole run."""
    section, key = config_mod.split_key(dotted)
    for value in values:
        try:
            config_mod.SCHEMA[section][key].parse(value)
        except ValueError as exc:
            raise ConfigError(f"{label}: {_describe(value)} is invalid: {exc}") from None


def _describe(value: Any) -> str:
    return json.dumps(value, default=str)


def parse_sweep(raw: Mapping[str, Any], source: str = "", fmt: str | None = None) -> SweepSpec:
    """Validate a sweep (TOML-shaped, with a ``[sweep]`` table) into its runs.

    Every combination is resolved now, so any bad value fails before a run starts.
    ``fmt`` overrides ``render.format`` for every run (``--format``).
    """
    raw = dict(raw)
    axes = _check_sweep_table(raw.pop("sweep", None), source)
    where = f" in {source}" if source else ""
    labels = key_labels(list(axes))
    runs: list[RunSpec] = []
    for combo in itertools.product(*axes.values()):
        overrides = dict(zip(axes, combo))
        try:
            cfg = config_mod.resolve(raw, overrides | ({"render.format": fmt} if fmt else {}), source=source)
        except ConfigError as exc:
            point = ", ".join(f"{k} = {_describe(v)}" for k, v in overrides.items())
            raise ConfigError(f"[sweep]{where}, run {point}: {exc}") from None
        values = tuple((k, _resolved(cfg, k)) for k in axes)
        runs.append(RunSpec(_run_name(values, labels), values, cfg))
    _check_unique(runs, where)
    levels = tuple(tuple(dict.fromkeys(_freeze(_resolved(r.cfg, k)) for r in runs)) for k in axes)
    return SweepSpec(source, tuple(axes), levels, tuple(runs))


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _check_unique(runs: Sequence[RunSpec], where: str) -> None:
    seen: dict[str, RunSpec] = {}
    for run in runs:
        if run.name in seen:
            raise ConfigError(
                f"[sweep]{where} gives two runs the same folder {run.name!r}; "
                "a list repeats a value (or two values look alike once made file-safe)"
            )
        seen[run.name] = run


def load_sweep(path: str | os.PathLike[str], fmt: str | None = None) -> SweepSpec:
    """Read and validate a sweep file."""
    return parse_sweep(config_mod.read_toml(path), str(path), fmt)


# --- one run (in a worker process) ------------------------------------------------------

@dataclass(frozen=True)
class RunResult:
    """How one run ended. Paths are relative to the sweep's output folder."""

    name: str
    status: str                 # ok, diverged or failed
    epochs: int | None = None   # the last epoch trained
    loss: float | None = None
    accuracy: float | None = None
    rmse: float | None = None
    seconds: float = 0.0
    path: str = ""              # the animation
    poster: str = ""
    history_csv: str = ""
    config_toml: str = ""
    thumb: str = ""             # the input-space thumbnail the comparison is built from
    error: str = ""
    config_hash: str = ""
    cached: bool = False        # skipped: a finished run with the same config was there

    @property
    def metric(self) -> tuple[str, float] | None:
        """The headline metric: accuracy for classifiers, rmse for regression."""
        for name in METRICS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        return None

    def files(self) -> tuple[str, ...]:
        return tuple(p for p in (self.path, self.poster, self.history_csv, self.config_toml, self.thumb) if p)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


_STOP: Any = None  # in a pool worker: the pool's "stop now" Event (see process_executor)


def _init_worker(stop: Any) -> None:
    global _STOP
    _STOP = stop


def _check_stop(*_: Any) -> None:
    """Raise KeyboardInterrupt once the sweep is stopping; called at every epoch and frame."""
    if _STOP is not None and _STOP.is_set():
        raise KeyboardInterrupt


def execute_run(cfg: Config, out: str, name: str) -> RunResult:
    """Train and render one run into ``out/name/``; never raises for a run's own failure.

    Runs in a worker (a spawned process or a Dask worker), so it takes and
    returns plain picklable values. The marker is written last: if anything
    before it fails, the folder does not count as done.
    """
    _check_stop()  # runs still queued when the sweep stopped end at once
    start = time.perf_counter()
    folder = Path(out) / name
    try:
        result = _train_and_render(cfg, folder)
    except NnvizError as exc:
        return RunResult(name, "failed", seconds=time.perf_counter() - start, error=_one_line(exc))
    except Exception as exc:  # a bug in one run must not take the sweep down
        return RunResult(name, "failed", seconds=time.perf_counter() - start,
                         error=_one_line(f"{type(exc).__name__}: {exc}"))
    result = replace(result, name=name, seconds=time.perf_counter() - start)
    write_marker(folder, result)
    return result


def _train_and_render(cfg: Config, folder: Path) -> RunResult:
    from .gallery import THUMB, write_thumb
    from ..engine.train import load_data
    from ..render import animate

    stem = config_mod.run_name(cfg)
    data = load_data(cfg)
    # _check_stop as the progress report stops the run at its next epoch or
    # frame; animate then raises Interrupted and writes nothing, so a stopped
    # run is never rendered or marked done.
    anim = animate(cfg, folder / f"{stem}.{cfg.render.format}", data=data, progress=_check_stop)
    history = anim.history
    _check_stop()
    thumb = write_thumb(cfg, history, data, folder / THUMB)
    last = history.last
    rel = lambda p: Path(p).relative_to(folder.parent).as_posix() if p else ""  # noqa: E731
    return RunResult(
        name=folder.name,
        status="diverged" if history.stop_reason == "diverged" else "ok",
        epochs=last.epoch,
        loss=last.metrics.get("loss"),
        accuracy=last.metrics.get("accuracy"),
        rmse=last.metrics.get("rmse"),
        path=rel(anim.path), poster=rel(anim.poster),
        history_csv=rel(anim.history_csv), config_toml=rel(anim.config_toml), thumb=rel(thumb),
        error=history.message if history.stop_reason == "diverged" else "",
        config_hash=config_mod.config_hash(cfg),
    )


def write_marker(folder: Path, result: RunResult) -> Path:
    """The run's "done" marker: its config hash and results, written atomically."""
    body = {k: v for k, v in asdict(result).items() if k != "cached"}
    return write_text_atomic(folder / MARKER, json.dumps(body, indent=2, sort_keys=True) + "\n")


def read_marker(out: Path, run: RunSpec) -> RunResult | None:
    """The stored result of a finished run with the same config, else None."""
    try:
        body = json.loads((out / run.name / MARKER).read_text(encoding="utf-8"))
        result = RunResult(**body)
    except (OSError, ValueError, TypeError):
        return None  # missing or damaged: run it again
    if result.config_hash != config_mod.config_hash(run.cfg) or result.status == "failed":
        return None
    if not all((out / f).is_file() for f in result.files()):
        return None
    return replace(result, name=run.name, cached=True)


# --- executors -----------------------------------------------------------------------

@dataclass(frozen=True)
class ExecutorKind:
    """Where runs execute: ``check`` refuses bad options before any run starts,
    ``open(jobs, scheduler, workers)`` is a context manager yielding a
    ``concurrent.futures.Executor``."""

    open: Callable[[int, str | None, int | None], contextlib.AbstractContextManager[cf.Executor]]
    check: Callable[[str | None, int | None], None]


def _check_process(scheduler: str | None, workers: int | None) -> None:
    if scheduler is not None or workers is not None:
        raise ConfigError("--scheduler and --workers belong to --executor dask; use --jobs with the process pool")


STOP_GRACE = 3.0  # seconds a stopping worker gets to unwind (drop temp files) before it is killed


@contextlib.contextmanager
def process_executor(jobs: int, scheduler: str | None = None, workers: int | None = None) -> Iterator[cf.Executor]:
    """A local pool of spawned processes (matplotlib is not fork- or thread-safe)."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(stop,))
    try:
        yield pool
    except BaseException:
        stop.set()
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Stop now, once the stop Event is set: cancel what has not started, wait for the rest.

    A plain ``shutdown`` would let the running runs, and the one already in
    the pool's call queue, train and render to the end. With the Event set,
    each worker raises KeyboardInterrupt at its next epoch or frame (writers
    remove their temp files; the marker was never written, so a re-run redoes
    the run) and ends queued runs at once. A signal would not do: the pool's
    own worker loop swallows a KeyboardInterrupt that lands between runs.
    """
    # Python 3.11 has no public handle on the workers (3.14 adds terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_GRACE
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()
            proc.join(1.0)


def _import_dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise NnvizError('--executor dask needs dask.distributed: pip install "nnviz[dask]"') from None
    return distributed


def _check_dask(scheduler: str | None, workers: int | None) -> None:
    _import_dask()
    if scheduler is not None and workers is not None:
        raise ConfigError("--workers starts a local Dask cluster; it cannot be combined with --scheduler")


@contextlib.contextmanager
def dask_executor(jobs: int, scheduler: str | None = None, workers: int | None = None) -> Iterator[cf.Executor]:
    """Dask's concurrent.futures executor on an existing cluster or a local one.

    With ``scheduler`` the workers must see the same output folder (a shared
    filesystem) and have nnviz installed.
    """
    import logging

    distributed = _import_dask()
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(distributed.LocalCluster(
                host="127.0.0.1", n_workers=workers or jobs, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR,
            ))
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(scheduler, timeout="10s"))
            except (OSError, TimeoutError) as exc:
                raise NnvizError(f"cannot reach the Dask scheduler at {scheduler!r}: {_one_line(exc)}") from None
        # pure=False: a run has side effects (files), so Dask must never dedupe or cache it.
        executor = client.get_executor(pure=False)
        try:
            yield executor
        finally:
            executor.shutdown(wait=False)


EXECUTORS: dict[str, ExecutorKind] = {
    "process": ExecutorKind(process_executor, _check_process),
    "dask": ExecutorKind(dask_executor, _check_dask),
}


def executor_for(name: str) -> ExecutorKind:
    try:
        return EXECUTORS[name]
    except KeyError:
        raise ConfigError(f"unknown executor {name!r}; valid: {', '.join(EXECUTORS)}") from None


# --- the sweep ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepResult:
    """Everything a sweep wrote; ``runs`` follow the grid order of the file."""

    spec: SweepSpec
    out: Path
    runs: tuple[RunResult, ...]
    summary: Path
    index_md: Path
    index_html: Path
    comparison: Path | None
    seconds: float

    @property
    def failed(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.status == "failed")

    @property
    def cached(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.cached)


def result_line(run: RunResult) -> str:
    """``ok  activation=tanh_lr=0.01  loss 0.262  acc 87.2%  3.1s``"""
    status = "skip" if run.cached else run.status
    parts = [f"{status:<8}", run.name]
    if run.loss is not None:
        parts.append(f"loss {run.loss:.3f}")
    metric = run.metric
    if metric is not None:
        name, value = metric
        parts.append(f"acc {value:.1%}" if name == "accuracy" else f"{name} {value:.3f}")
    parts.append("(done before)" if run.cached else f"{run.seconds:.1f}s")
    if run.status == "failed":
        parts.append(run.error)
    return "  ".join(parts)


class _Progress:
    """One click bar over runs plus a line per finished run, on stderr."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        if enabled:
            import click

            self.click = click
            self.bar = click.progressbar(length=total, label="runs", file=sys.stderr, show_pos=True)
            self.bar.__enter__()

    def done(self, run: RunResult) -> None:
        if not self.enabled:
            return
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")  # clear the bar; it redraws below the line
        self.click.echo(result_line(run), err=True)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _as_spec(path_or_spec: str | os.PathLike[str] | SweepSpec | Mapping[str, Any], fmt: str | None) -> SweepSpec:
    if isinstance(path_or_spec, SweepSpec):
        if fmt is None:
            return path_or_spec
        runs = tuple(replace(r, cfg=r.cfg.with_values({"render.format": fmt})) for r in path_or_spec.runs)
        return replace(path_or_spec, runs=runs)
    if isinstance(path_or_spec, Mapping):
        return parse_sweep(path_or_spec, "", fmt)
    return load_sweep(path_or_spec, fmt)


def default_out(spec: SweepSpec) -> Path:
    return Path("outputs") / spec.stem


def run_sweep(
    path_or_spec: str | os.PathLike[str] | SweepSpec | Mapping[str, Any],
    out: str | os.PathLike[str] | None = None,
    *,
    jobs: int | None = None,
    executor: str = "process",
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    fmt: str | None = None,
    progress: bool = False,
    on_run: Callable[[RunResult], None] | None = None,
) -> SweepResult:
    """Run every point of a sweep in parallel and write the summary and gallery.

    Runs already finished in ``out`` with the same resolved config are
    skipped unless ``force``. ``jobs`` (default: the number of cores) bounds
    the process pool and the size of a local Dask cluster (``workers``
    overrides it there). ``on_run`` is called in this process as each run
    ends. A failed run is recorded in ``SweepResult.failed``, not raised.
    """
    started = time.perf_counter()
    spec = _as_spec(path_or_spec, fmt)
    kind = executor_for(executor)
    kind.check(scheduler, workers)
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs = {jobs} is invalid: must be a whole number >= 1")
    out = Path(out) if out is not None else default_out(spec)
    done = {} if force else {r.name: m for r in spec.runs if (m := read_marker(out, r)) is not None}
    pending = sorted((r for r in spec.runs if r.name not in done), key=lambda r: -r.cost)
    results: dict[str, RunResult] = {}
    n = min(jobs or os.cpu_count() or 1, max(len(pending), 1))
    # The pool opens first, so a cluster that cannot be reached fails before any output.
    with (kind.open(n, scheduler, workers) if pending else contextlib.nullcontext()) as pool:
        bar = _Progress(len(spec.runs), progress)

        def finish(run: RunResult) -> None:
            results[run.name] = run
            bar.done(run)
            if on_run:
                on_run(run)

        try:
            for run in (r for r in spec.runs if r.name in done):
                finish(done[run.name])
            # Absolute: a Dask worker's working folder need not be ours.
            futures = {pool.submit(execute_run, r.cfg, str(out.resolve()), r.name): r for r in pending}
            for fut in cf.as_completed(futures):
                finish(_outcome(fut, futures[fut]))
        finally:
            bar.close()
    ordered = tuple(results[r.name] for r in spec.runs)
    return _write_reports(spec, out, ordered, started)


def _outcome(fut: cf.Future, run: RunSpec) -> RunResult:
    """A future's RunResult; a crashed worker (not a failed run) still becomes a row."""
    try:
        return fut.result()
    except Exception as exc:
        return RunResult(run.name, "failed", error=_one_line(f"worker crashed: {type(exc).__name__}: {exc}"))


def _write_reports(spec: SweepSpec, out: Path, runs: tuple[RunResult, ...], started: float) -> SweepResult:
    from . import gallery

    summary = write_summary(spec, out, runs)
    comparison = gallery.write_comparison(spec, out, runs)
    index_md, index_html = gallery.write_index(spec, out, runs, comparison)
    return SweepResult(spec, out, runs, summary, index_md, index_html, comparison, time.perf_counter() - started)


def summary_rows(spec: SweepSpec, runs: Sequence[RunResult]) -> list[dict[str, Any]]:
    """One row per run: run, each varied key, status, epochs, loss, metrics, seconds, path, error."""
    rows = []
    for run_spec, run in zip(spec.runs, runs):
        row: dict[str, Any] = {"run": run.name}
        row |= {k: (format_value(v) if isinstance(v, tuple) else v) for k, v in run_spec.values}
        row |= {
            "status": run.status, "epochs": run.epochs, "loss": run.loss,
            **{m: getattr(run, m) for m in METRICS},
            "seconds": round(run.seconds, 3), "path": run.path, "error": run.error, "cached": run.cached,
        }
        rows.append(row)
    return rows


def write_summary(spec: SweepSpec, out: Path, runs: Sequence[RunResult]) -> Path:
    """``summary.csv``, written atomically."""
    import pandas as pd

    from ..atomic import atomic_path

    frame = pd.DataFrame(summary_rows(spec, runs)).astype({"epochs": "Int64"})
    dest = out / SUMMARY
    with atomic_path(dest) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return dest
