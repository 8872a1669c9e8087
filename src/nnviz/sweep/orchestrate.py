"""A whole sweep: lock the output folder, run what is not done, write the reports.

``run_sweep`` refuses outputs that would land on an input and any run that
``animate`` would refuse before training (``preflight``), takes an
exclusive lock on the output folder (two sweeps never mix files), removes
temp files left by crashed writers, then hands the runs that are not
already done to an executor, longest first. A run that raises or diverges
is recorded, never fatal to the others. Then ``summary.csv``, the gallery
pages and ``comparison.gif`` are written on top.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import catalog, kernels
from .. import plan as plans
from ..atomic import atomic_path, remove_stale_temps
from ..errors import ConfigError, NnvizError, OutputError, one_line
from ..numbers import count, metric
from ..paths import check_disjoint
from ..progress import stderr_progress
from . import gallery
from .escape import csv_cell
from .executors import STOP_GRACE, executor_for
from .folder import LOCK, check_out, folder_lock, make_folder, unplant
from .preflight import check_runs
from .runner import MARKER, METRICS, STOP_FILE, RunResult, execute_run, read_marker
from .spec import SweepSpec, format_value, load_sweep, parse_sweep
from .thumbs import THUMB

SUMMARY = "summary.csv"


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
        """Runs that failed now, including forced re-runs whose previous result was kept."""
        return tuple(r for r in self.runs if r.status == "failed" or r.retry_error)

    @property
    def cached(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.cached and not r.retry_error)


def result_line(run: RunResult) -> str:
    """``ok  activation=tanh_lr=0.01  loss 0.262  acc 87.2%  3.1s``"""
    status = "failed" if run.retry_error else "skip" if run.cached else run.status
    parts = [f"{status:<8}", run.name]
    if run.loss is not None:
        parts.append(metric("loss", run.loss))
    if run.metric is not None:
        parts.append(metric(*run.metric))
    parts.append("(done before)" if run.cached else f"{run.seconds:.1f}s")
    if run.status == "failed":
        parts.append(run.error)
    if run.retry_error:
        parts.append(kept_note(run))
    return "  ".join(parts)


def kept_note(run: RunResult) -> str:
    return f"re-run failed: {run.retry_error}; kept the previous result"


# --- inputs and outputs -------------------------------------------------------------------


def _as_spec(path_or_spec: str | os.PathLike[str] | SweepSpec | Mapping[str, Any], fmt: str | None) -> SweepSpec:
    if isinstance(path_or_spec, SweepSpec):
        if fmt is None:
            return path_or_spec
        runs = tuple(replace(r, cfg=catalog.with_values(r.cfg, {"render.format": fmt})) for r in path_or_spec.runs)
        return replace(path_or_spec, runs=runs)
    if isinstance(path_or_spec, Mapping):
        return parse_sweep(path_or_spec, "", fmt)
    return load_sweep(path_or_spec, fmt)


def default_out(spec: SweepSpec) -> Path:
    return Path("outputs") / spec.stem


def sweep_outputs(spec: SweepSpec, out: Path) -> dict[str, Path]:
    """Every file a sweep may write, described as messages show them."""

    files: dict[str, Path] = {
        f"its {name}": out / name
        for name in (SUMMARY, gallery.INDEX_MD, gallery.INDEX_HTML, gallery.COMPARISON, gallery.STATE, LOCK)
    }
    for run in spec.runs:
        folder = out / run.name
        outs = plans.sweep_run(run.cfg, folder, {"thumb": folder / THUMB, "marker": folder / MARKER}).outputs
        for path in outs.files().values():
            files[f"run {run.name}'s {path.name}"] = path
    return files


def sweep_inputs(spec: SweepSpec) -> dict[str, str | None]:
    inputs: dict[str, str | None] = {"sweep file": spec.source or None}
    for run in spec.runs:
        if run.cfg.data.path:
            inputs.setdefault(f"data file of run {run.name}", run.cfg.data.path)
    return inputs


# --- the sweep ----------------------------------------------------------------------------


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

    Runs already finished in ``out`` with the same resolved config (and
    intact files) are skipped unless ``force``; with ``force`` a run that
    fails keeps its previous complete result. ``jobs`` (default: the number
    of cores) bounds the process pool and the size of a local Dask cluster
    (``workers`` overrides it there); neither exceeds the runs to do.
    ``on_run`` is called in this process as each run ends. A failed run is
    recorded in ``SweepResult.failed``, not raised.
    """
    started = time.perf_counter()
    spec = _as_spec(path_or_spec, fmt)
    kind = executor_for(executor)
    kind.check(scheduler, workers)
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs = {jobs} is invalid: must be a whole number >= 1")
    out = Path(out) if out is not None else default_out(spec)
    check_disjoint(sweep_inputs(spec), sweep_outputs(spec, out), "--out", out)
    check_runs(spec, out)  # what animate refuses before training, for every run: before any run starts
    # Never into a user's own folder, unless told.
    check_out(out, sweep_inputs(spec).values(), (r.name for r in spec.runs), force)
    created = make_folder(out)
    try:
        with folder_lock(out):
            return _locked_sweep(spec, out, kind, jobs, scheduler, workers, force, progress, on_run, started)
    except BaseException:
        if created:  # refused before writing anything (e.g. no scheduler): leave no empty folder
            with contextlib.suppress(OSError):
                out.rmdir()
        raise


def _locked_sweep(
    spec: SweepSpec,
    out: Path,
    kind: Any,
    jobs: int | None,
    scheduler: str | None,
    workers: int | None,
    force: bool,
    progress: bool,
    on_run: Callable[[RunResult], None] | None,
    started: float,
) -> SweepResult:
    # Links and special files nnviz never makes, where it writes: planted (the folder may be shared).
    unplant(sweep_outputs(spec, out).values(), (out / r.name for r in spec.runs))
    for folder in [out, *(out / r.name for r in spec.runs)]:
        remove_stale_temps(folder)  # left by a killed sweep; we hold the lock, so no writer owns them
    previous = {r.name: m for r in spec.runs if (m := read_marker(out, r)) is not None}
    done = {} if force else previous
    pending = sorted((r for r in spec.runs if r.name not in done), key=lambda r: -r.cost)
    results: dict[str, RunResult] = {}
    n = min(jobs or os.cpu_count() or 1, max(len(pending), 1))
    workers = min(workers, max(len(pending), 1)) if workers is not None else None
    report = stderr_progress(progress)
    stop = out / STOP_FILE
    _remove_quietly(stop)  # a killed sweep's word must not stop this sweep's runs
    try:
        # The pool opens first, so a cluster that cannot be reached fails before any output.
        with kind.open(n, scheduler, workers) if pending else contextlib.nullcontext() as pool:
            gallery.write_state(out)  # this folder is a sweep's from now on (a killed first run included)

            def finish(run: RunResult) -> None:
                results[run.name] = run
                if report is not None:
                    report.line(result_line(run))
                    report("runs", len(results), len(spec.runs))
                if on_run:
                    on_run(run)

            if report is not None:
                report("runs", 0, len(spec.runs))
            for run in (r for r in spec.runs if r.name in done):
                finish(done[run.name])
            # Absolute: a Dask worker's working folder need not be ours.
            # No pending runs: the pool is a nullcontext's None and this is empty.
            futures = {}
            if pool is not None:
                futures = {pool.submit(execute_run, r.cfg, str(out.resolve()), r.name): r for r in pending}
            try:
                for fut in cf.as_completed(futures):
                    finish(_kept_if_intact(_outcome(fut, futures[fut]), out, futures[fut], previous))
            except BaseException:
                _stop_runs(stop, futures)
                raise
    finally:
        _remove_quietly(stop)
    ordered = tuple(results[r.name] for r in spec.runs)
    _warn_unpinned(ordered)
    return _write_reports(spec, out, ordered, started)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _stop_runs(stop: Path, futures: Mapping[cf.Future, Any]) -> None:
    """Tell every run to stop (the stop file) and give them STOP_GRACE seconds to unwind.

    A run that sees the file stops at its next epoch or frame and removes its
    temp files on the way out; only then may its worker be ended (a Dask
    cluster's close kills its workers mid-write). The pool's own stop (an
    Event) follows as the pool closes.
    """
    with contextlib.suppress(OSError):  # never through a link planted at its name
        os.close(os.open(stop, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0), 0o644))
    running = [f for f in futures if not f.done()]
    if running:
        cf.wait(running, timeout=STOP_GRACE)


def _warn_unpinned(runs: Sequence[RunResult]) -> None:
    """One warning when some runs had NumPy's AVX-512 kernels on: their bits are not the promised ones.

    nnviz pins the kernels in every process it starts; a Dask worker started
    by hand loads NumPy before nnviz, so only its environment can pin them.
    """
    n = sum(r.unpinned for r in runs)
    if n:
        warnings.warn(
            f"{count(n, 'run')} ran on a worker with NumPy's AVX-512 kernels on (NumPy loaded before nnviz): "
            "correct, but its files may differ in the last bits from a local run; "
            f"start Dask workers with {kernels.pinned_env()} set",
            stacklevel=2,
        )


def _outcome(fut: cf.Future, run: Any) -> RunResult:
    """A future's RunResult; a crashed worker (not a failed run) still becomes a row."""
    try:
        return fut.result()
    except Exception as exc:
        return RunResult(run.name, "failed", error=one_line(f"worker crashed: {type(exc).__name__}: {exc}"))


def _kept_if_intact(result: RunResult, out: Path, run: Any, previous: Mapping[str, RunResult]) -> RunResult:
    """A forced re-run that failed keeps the previous result when its files are still intact.

    Files are replaced one by one, atomically: a re-run that failed at its
    first file left the old run whole, and its summary row must say so, not
    "failed". One that replaced some files did not; then it is a failure.
    """
    if result.status != "failed" or run.name not in previous:
        return result
    kept = read_marker(out, run)
    if kept is None:
        return result
    return replace(kept, retry_error=result.error)


def _kept_what(runs: Sequence[RunResult], summary: bool) -> str:
    n = sum(r.status != "failed" for r in runs)
    what = f"the {n} finished run{'s' if n != 1 else ''}"
    return f"{what} and {SUMMARY} were kept" if summary else f"{what} were kept"


def _write_reports(spec: SweepSpec, out: Path, runs: tuple[RunResult, ...], started: float) -> SweepResult:
    """summary.csv, then the gallery; a failure says which file and what was kept."""
    try:
        summary = write_summary(spec, out, runs)
    except NnvizError as exc:
        raise OutputError(f"{exc}; {_kept_what(runs, summary=False)}") from None
    try:
        comparison = gallery.write_comparison(spec, out, runs)
        index_md, index_html = gallery.write_index(spec, out, runs, comparison)
    except NnvizError as exc:
        raise OutputError(f"{exc}; {_kept_what(runs, summary=True)}") from None
    return SweepResult(spec, out, runs, summary, index_md, index_html, comparison, time.perf_counter() - started)


def summary_rows(spec: SweepSpec, runs: Sequence[RunResult]) -> list[dict[str, Any]]:
    """One row per run: run, each varied key, status, epochs, loss, metrics, seconds, path, error."""
    rows = []
    for run_spec, run in zip(spec.runs, runs):
        row: dict[str, Any] = {"run": run.name}
        row |= {k: (format_value(v) if isinstance(v, tuple) else v) for k, v in run_spec.values}
        row |= {
            "status": run.status,
            "epochs": run.epochs,
            "loss": run.loss,
            **{m: getattr(run, m) for m in METRICS},
            "seconds": round(run.seconds, 3),
            "path": run.path,
            "error": kept_note(run) if run.retry_error else run.error,
            "cached": run.cached,
        }
        rows.append(row)
    return rows


def write_summary(spec: SweepSpec, out: Path, runs: Sequence[RunResult]) -> Path:
    """``summary.csv``, written atomically."""
    import pandas as pd

    # A cell from data (an error message, a file name) must not run as a spreadsheet formula.
    rows = [{key: csv_cell(value) for key, value in row.items()} for row in summary_rows(spec, runs)]
    frame = pd.DataFrame(rows).astype({"epochs": "Int64"})
    dest = out / SUMMARY
    with atomic_path(dest) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return dest
