"""``nnviz sweep``: a grid of runs from one file, in parallel, with a gallery."""

from __future__ import annotations

from pathlib import Path

import click

from .. import sweep as sweep_mod
from ..render.writers import WRITERS
from .help import Command, option
from .options import PathName, complete_config

# Any format, as render.format in the file allows: png makes a gallery of each run's last frame.
FORMATS = list(WRITERS)


def _failure_line(result: sweep_mod.SweepResult) -> str:
    failed = result.failed
    shown = "; ".join(f"{r.name}: " + (sweep_mod.kept_note(r) if r.retry_error else r.error) for r in failed[:3])
    more = f"; and {len(failed) - 3} more (see summary.csv)" if len(failed) > 3 else ""
    return f"{len(failed)} of {len(result.runs)} runs failed: {shown}{more}"


@click.command(
    "sweep",
    cls=Command,
    examples=[
        (
            "the reference blog's relu-vs-tanh grid (a shipped sweep), one job per core",
            "nnviz sweep sweep-activation-lr",
        ),
        (
            "your own sweep file on a local Dask cluster of two workers",
            "nnviz sweep my-sweep.toml --executor dask --workers 2 --out outputs/mine",
        ),
    ],
)
@click.argument("file", type=PathName(path_type=Path), shell_complete=complete_config)
@option(
    "--out",
    "out",
    group="Output",
    type=PathName(folder=True, path_type=Path),
    default=None,
    help="Output folder [default: outputs/<file stem>/].",
)
@option(
    "--jobs",
    "-j",
    group="Execution",
    type=click.IntRange(min=1),
    default=None,
    help="Runs at once [default: the number of cores].",
)
@option(
    "--executor",
    group="Execution",
    type=click.Choice(sorted(sweep_mod.EXECUTORS)),
    default="process",
    show_default=True,
    help="Where runs execute: a local process pool or a Dask cluster.",
)
@option(
    "--scheduler",
    group="Execution",
    default=None,
    metavar="ADDRESS",
    help="Join this Dask scheduler (e.g. tcp://10.0.0.5:8786) [--executor dask].",
)
@option(
    "--workers",
    group="Execution",
    type=click.IntRange(min=1),
    default=None,
    help="Workers of the local Dask cluster [default: --jobs] [--executor dask].",
)
@option(
    "--force",
    group="Execution",
    is_flag=True,
    help="Redo every run, even those already finished; write into a folder not a sweep's.",
)
@option(
    "--format",
    "fmt",
    group="Output",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format for every run [default: the file's render.format].",
)
@option("--quiet", "-q", group="Output", is_flag=True, help="No progress bar or per-run lines.")
def sweep_cmd(
    file: Path,
    out: Path | None,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    workers: int | None,
    force: bool,
    fmt: str | None,
    quiet: bool,
) -> None:
    """Run every combination of a sweep file and build a gallery.

    FILE is a config TOML plus a [sweep] table of dotted keys and value
    lists, e.g. "train.lr" = [0.1, 0.01], or a shipped sweep's name
    (nnviz configs). Each run gets its own folder under
    --out; summary.csv, index.md, index.html and comparison.gif sit on top.
    Finished runs with the same config are skipped on a re-run. Exits 1 if
    any run failed (a diverged run is a result, not a failure).
    """
    if executor != "dask" and (scheduler or workers):
        raise click.UsageError("--scheduler and --workers need --executor dask")
    result = sweep_mod.run_sweep(
        file,
        out,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        workers=workers,
        force=force,
        fmt=fmt,
        progress=not quiet,
    )
    if not quiet:
        skipped = len(result.cached)
        note = f" ({skipped} already done)" if skipped else ""
        click.echo(f"{len(result.runs)} runs{note} in {result.seconds:.1f}s; gallery: {result.index_html}")
    if result.failed:
        raise click.ClickException(_failure_line(result))


COMMANDS = [sweep_cmd]
