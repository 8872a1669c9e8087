"""Sweeps: a grid of runs from one TOML file, run in parallel, with a gallery.

``spec`` reads the sweep file, ``runner`` does one run in a worker,
``executors`` says where runs execute, ``orchestrate`` runs the whole sweep
and ``gallery`` (with ``thumbs``) draws the pages and the comparison.
"""

from .executors import EXECUTORS, ExecutorKind, executor_for
from .orchestrate import (
    LOCK,
    SUMMARY,
    SweepResult,
    default_out,
    kept_note,
    result_line,
    run_sweep,
    summary_rows,
    write_summary,
)
from .runner import MARKER, METRICS, RunResult, execute_run, read_marker, write_marker
from .spec import RunSpec, SweepSpec, format_value, key_labels, load_sweep, parse_sweep, sanitize

__all__ = [
    "EXECUTORS",
    "LOCK",
    "MARKER",
    "METRICS",
    "SUMMARY",
    "ExecutorKind",
    "RunResult",
    "RunSpec",
    "SweepResult",
    "SweepSpec",
    "default_out",
    "execute_run",
    "executor_for",
    "format_value",
    "kept_note",
    "key_labels",
    "load_sweep",
    "parse_sweep",
    "read_marker",
    "result_line",
    "run_sweep",
    "sanitize",
    "summary_rows",
    "write_marker",
    "write_summary",
]
