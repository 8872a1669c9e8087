"""Engine commands: ``train``, ``gradcheck`` and ``datasets``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from .. import config as config_mod
from ..config import Config
from ..engine import gradcheck, history, train
from ..engine.data import DATASETS
from ..numbers import fixed
from .help import Command, option
from .options import PathName, config_options, load_config
from .table import echo_table

# gradcheck checks the seeded initial weights: of the training keys only the seed applies.
NOT_GRADCHECK = tuple(f"train.{key}" for key in config_mod.SCHEMA["train"] if key != "seed")


def _progress_line(ep: train.Epoch, total: int, steps: int = 0) -> str:
    """One snapshot's line; with sub-epoch snapshots (``steps``: the run's total) its step too."""
    metrics = "  ".join(f"{k} {fixed(v, 4)}" for k, v in ep.metrics.items() if k != "loss")
    step = f"  step {ep.step:>{len(str(steps))}}/{steps}" if steps else ""
    return f"epoch {ep.epoch:>{len(str(total))}}/{total}{step}  loss {fixed(ep.loss, 4)}  {metrics}"


@click.command(
    "train",
    cls=Command,
    examples=[
        (
            "train with relu; the CSV and its .toml go to outputs/",
            "nnviz train --activation relu --lr 0.1 --history outputs/relu.csv",
        ),
        ("then animate the saved run without training again", "nnviz animate --history outputs/relu.csv"),
    ],
)
@config_options()
@option(
    "--history",
    "history_path",
    group="Output",
    type=PathName(),
    default=None,
    help="Where to write the history CSV [default: outputs/<run>.csv]; its .toml goes beside it.",
)
@option("--quiet", "-q", group="Output", is_flag=True, help="Print only the final summary.")
def train_cmd(history_path: str | None, quiet: bool, **kwargs: Any) -> None:
    """Train a network and write its per-epoch history as CSV."""
    from .. import plan as plans
    from ..runs import train_history

    config_path = kwargs.get("config_path")
    cfg = load_config(kwargs)
    # Before training: neither output may replace the data or config it reads, and both must be writable.
    plan = plans.train(cfg, history_path, inputs={"--config file": config_path})
    plan.check()
    csv, toml = plan.outputs.history_csv, plan.outputs.config_toml

    def report(ep: train.Epoch, steps: int) -> None:
        if not quiet:
            click.echo(_progress_line(ep, cfg.train.epochs, steps), err=True)

    events: list[str] = []

    def found(hist: history.History, data: Any) -> None:  # what happened on the way, as animate says it
        events.extend(event_lines(train.run_events(hist, data, cfg), hist))

    result = train_history(plan, on_epoch=report, on_trained=found)
    if result.stop_reason == "diverged":
        click.echo(f"Warning: {result.message}", err=True)
    click.echo(f"{stop_line(result, cfg)}; wrote {csv}, {toml}")
    for line in events:
        click.echo(f"event: {line}")


MAX_EVENT_LINES = 5


def event_lines(events: Any, hist: history.History) -> list[str]:
    """The events worth a line at the end of a run, the first few (the events CSV has them all)."""
    from ..engine.events import summary

    lines = summary(events, hist)
    if len(lines) > MAX_EVENT_LINES:
        lines = [*lines[: MAX_EVENT_LINES - 1], f"and {len(lines) - MAX_EVENT_LINES + 1} more (see the .events.csv)"]
    return lines


def stop_line(result: history.History, cfg: Config) -> str:
    """Where training stopped and why, with the numbers behind the why."""
    last = result.last
    where = f"epoch {last.epoch}, step {last.step}" if result.sub_epoch else f"epoch {last.epoch}"
    if result.stop_reason == "stop_loss":
        why = f"loss {last.loss:.4g} <= stop_loss {cfg.train.stop_loss:g}"
    elif result.stop_reason == "diverged":
        why = (
            f"the next snapshot was not finite with {cfg.train.optimizer} lr={cfg.train.lr:g}; "
            f"last finite loss {last.loss:.4g}"
        )
    else:
        why = f"the epoch budget ({cfg.train.epochs}) is spent, loss {last.loss:.4g}"
    return f"stopped at {where} ({result.stop_reason}): {why}"


@click.command(
    "gradcheck",
    cls=Command,
    examples=[
        ("backprop of a gelu network against finite differences", "nnviz gradcheck --activation gelu --hidden 4,2"),
        ("a wide network: a seeded sample of each large array's entries", "nnviz gradcheck --hidden 1024,1024"),
    ],
)
@config_options(omit=NOT_GRADCHECK)
@option(
    "--samples",
    group="Data",
    type=click.IntRange(1, 1000),
    default=32,
    show_default=True,
    help="Training points used for the check.",
)
def gradcheck_cmd(samples: int, **kwargs: Any) -> None:
    """Check backprop against finite differences at the initial weights.

    Exits 1 when any parameter array's relative error exceeds 1e-6.
    """
    cfg = load_config(kwargs)
    data = train.load_data(cfg)
    model = train.build_model(cfg, data)
    n = min(samples, len(data.y))
    result = gradcheck.check_run(
        model, data.X[:n], data.y[:n], seed=cfg.train.seed, init=cfg.model.init, std=cfg.model.init_std
    )
    click.echo(f"gradcheck {'-'.join(map(str, model.sizes))} {model.activation}/{model.loss} on {n} points")
    for name, err in result.errors.items():
        click.echo(f"  {name:<4} relative error {err:.2e}  ({result.coverage(name)})")
    if not result.passed():
        click.echo(
            f"Error: gradient check failed: worst relative error {result.worst:.2e} > {gradcheck.TOLERANCE:g}", err=True
        )
        sys.exit(1)
    click.echo(f"ok: worst {result.worst:.2e} <= {gradcheck.TOLERANCE:g}")


@click.command(
    "datasets",
    cls=Command,
    examples=[
        ("the datasets, with the settings each one brings", "nnviz datasets"),
        ("animate one of them", "nnviz animate --dataset moons"),
    ],
)
def datasets_cmd() -> None:
    """List the built-in datasets, their tasks and their own defaults.

    A dataset's defaults apply where neither a flag nor the config file sets
    the key; a flag or config value wins over them.
    """
    rows = [
        # "-": a file's row count is unknown until read; noise None means the dataset has no noise.
        (
            spec.name,
            spec.task,
            str(spec.n_samples) if spec.n_samples else "-",
            "-" if spec.noise is None else f"{spec.noise:g}",
            _own_defaults(spec.defaults),
            spec.description,
        )
        for spec in DATASETS.values()
    ]
    echo_table(("name", "task", "samples", "noise", "its defaults", "description"), rows)


def _own_defaults(defaults: Mapping[str, Any]) -> str:
    """``hidden=4 lr=0.03 epochs=150``: the keys a dataset sets itself, by their flag names."""
    if not defaults:
        return "-"
    return " ".join(f"{dotted.split('.')[1]}={_value(v)}" for dotted, v in defaults.items())


def _value(v: Any) -> str:
    if isinstance(v, tuple):
        return ",".join(map(str, v))
    return f"{v:g}" if isinstance(v, float) else str(v)


COMMANDS = [train_cmd, gradcheck_cmd, datasets_cmd]
