"""``nnviz animate``: train, then write the three-space animation."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import click

from .. import kernels
from ..numbers import count
from .engine_cmds import event_lines, stop_line
from .help import Command, option
from .options import (
    PathName,
    config_options,
    format_from_out,
    load_config,
    load_history_config,
    read_saved_run,
)

if TYPE_CHECKING:
    from ..engine.history import History


@click.command(
    "animate",
    cls=Command,
    examples=[
        ("the default run: blobs through a 2-2-1 tanh network, to outputs/", "nnviz animate"),
        (
            "a shipped config by name (nnviz configs lists them), as an MP4",
            "nnviz animate --config spiral --format mp4",
        ),
        (
            "re-render a saved run with every layer side by side, without training",
            "nnviz animate --history outputs/blobs-tanh-lr0.01.csv --panels layers --out outputs/layers.gif",
        ),
    ],
)
@config_options(sections=("data", "model", "train", "render"))
@option(
    "--out",
    "out",
    group="Output",
    type=PathName(),
    default=None,
    help="Animation path [default: outputs/<run>.<format>]; poster, CSV and TOML go beside it; - for stdout.",
)
@option(
    "--history",
    "history_path",
    group="Input",
    type=PathName(exists=True),
    default=None,
    help="Re-render a saved history CSV (its .toml beside it) instead of training.",
)
@option("--quiet", "-q", group="Output", is_flag=True, help="No progress bar.")
def animate_cmd(out: str | None, history_path: str | None, quiet: bool, **kwargs: Any) -> None:
    """Train, then animate the input, hidden and activation spaces."""
    from .. import plan as plans
    from .. import render
    from ..render.writers import writer_for

    format_from_out(out, kwargs)
    config_path = kwargs.get("config_path")
    if history_path:
        cfg, config_path = load_history_config(history_path, kwargs)
    else:
        cfg = load_config(kwargs)
    inputs = {"--config file": config_path, "--history file": history_path}
    plan = plans.animate(cfg, out, inputs=inputs, trained=bool(history_path))
    plan.check()  # before the history is read or anything trained
    history, data = read_saved_run(history_path, plan.cfg) if history_path else (None, None)
    # Two painters when the machine has the cores (the output is byte-identical).
    workers = min(kernels.PAINTERS, kernels.cores())  # the BLAS threads got the rest (nnviz/kernels.py)
    result = render.execute(plan, history=history, data=data, progress=not quiet, workers=workers)
    cfg = plan.cfg
    hist = result.history
    if result.note:
        click.echo(f"data: {result.note.lstrip('; ')}", err=True)
    if hist.stop_reason == "diverged":
        click.echo(f"Warning: {hist.message}", err=True)
    # With --out - the animation is stdout: every line about it goes to stderr.
    say = functools.partial(click.echo, err=plan.outputs.stdout)
    if history is None:  # a fresh run: where it stopped and what it reached
        say(f"{stop_line(hist, cfg)}; {final_metrics(hist)}")
    for line in event_lines(result.events, hist):  # what happened on the way (a dead unit, a plateau)
        say(f"event: {line}")
    sides = (result.poster, result.history_csv, result.config_toml, result.events_csv)
    written = [result.path] + [p for p in sides if p is not None and p != result.path]
    if writer_for(cfg.render.format).animated:
        first = hist.epochs[0].epoch if result.frames > 1 else hist.last.epoch
        span = f"epochs {first}-{hist.last.epoch}" if first != hist.last.epoch else f"epoch {first}"
        what = f"{count(result.frames, 'frame')} ({span})"
    else:  # a still: the last epoch only, which the poster also is
        what = f"the epoch-{hist.last.epoch} still"
    shown = ["standard output" if plan.outputs.stdout and p == result.path else str(p) for p in written]
    say(f"wrote {what}: " + ", ".join(shown))


def final_metrics(hist: History) -> str:
    """The last snapshot's numbers, test split included when there is one."""
    shown = [f"{k} {_metric(k, v)}" for k, v in hist.last.metrics.items() if k != "loss"]  # stop_line has it
    return "final " + "  ".join(shown) if shown else "final metrics: loss only"


def _metric(name: str, value: float) -> str:
    return f"{value:.1%}" if "acc" in name else f"{value:.4g}"


COMMANDS = [animate_cmd]
