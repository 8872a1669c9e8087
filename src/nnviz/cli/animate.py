"""``nnviz animate``: train, then write the three-space animation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..atomic import check_name_length
from .options import config_options, load_config


def _history_config(history_path: str, kwargs: dict[str, Any]):
    """For ``--history``: the resolved TOML beside the CSV (if any) plus the flags."""
    if kwargs.get("config_path") is None:
        beside = Path(history_path).with_suffix(".toml")
        if beside.is_file():
            kwargs["config_path"] = str(beside)
    return load_config(kwargs)


def _check_inputs(cfg: Any, out: str | None, config_path: str | None, history_path: str | None) -> None:
    """No output (animation, poster, CSV, TOML) may land on a file this run reads."""
    from ..paths import check_disjoint, run_outputs
    from ..render.pipeline import output_paths

    outs = output_paths(cfg, out)
    inputs = {"--config file": config_path, "--data file": cfg.data.path, "--history file": history_path}
    check_disjoint(inputs, run_outputs(outs.path, outs.poster, outs.history_csv, outs.config_toml),
                   "--out", out if out is not None else outs.path)


@click.command("animate")
@config_options(sections=("data", "model", "train", "render"))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Animation path [default: outputs/<run>.<format>]; poster, CSV and TOML go beside it.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Re-render a saved history CSV instead of training.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def animate_cmd(out: str | None, history_path: str | None, quiet: bool, **kwargs: Any) -> None:
    """Train a network and animate its input, hidden and activation spaces."""
    from .. import render
    from ..engine.history import read_history
    from ..render.writers import format_of

    if out and kwargs.get("render__format") is None and format_of(out):
        # The --out suffix is the more specific wish than a config file's format;
        # only an explicit --format that contradicts it is an error.
        kwargs["render__format"] = format_of(out)
    if out:
        check_name_length(out, "--out")  # a name over NAME_MAX makes even a stat() fail
    config_path = kwargs.get("config_path")
    cfg = _history_config(history_path, kwargs) if history_path else load_config(kwargs)
    if history_path and config_path is None:
        config_path = str(Path(history_path).with_suffix(".toml"))  # read if it exists: an input too
    _check_inputs(cfg, out, config_path, history_path)  # before the history is read or anything trained
    history = None
    if history_path:
        loss = None if cfg.model.loss == "auto" else cfg.model.loss
        history = read_history(history_path, activation=cfg.model.activation, loss=loss)
    # Two painters when the machine has the cores (the output is byte-identical).
    workers = min(2, os.cpu_count() or 1)
    result = render.animate(cfg, out, history=history, progress=not quiet, workers=workers)
    hist = result.history
    if hist.stop_reason == "diverged":
        click.echo(f"Warning: {hist.message}", err=True)
    written = [result.path] + [p for p in (result.poster, result.history_csv, result.config_toml)
                               if p is not None and p != result.path]
    click.echo(f"wrote {result.frames} frames (epochs 0-{hist.last.epoch}): " + ", ".join(str(p) for p in written))


COMMANDS = [animate_cmd]
