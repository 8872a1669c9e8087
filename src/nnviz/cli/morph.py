"""``nnviz morph``: the data and the input grid carried through the network, stage by stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import kernels
from .help import Command, option
from .options import PathName, config_options, format_from_out, load_config, load_history_config, read_saved_run

# One square panel: the config's default size is for three panels side by side.
DEFAULT_SIZE = "600x600"
# Layers differ in scale by orders of magnitude (x·W can be 30x the input,
# tanh squeezes to ±1): one set of axes leaves most stages a dot.
DEFAULT_AXES = "per-frame"
# The training animation's panel choice, frame selection and drawing engine: the morph has one
# panel, its own frames and always the stream engine, so it offers no flags for them.
NOT_MORPH = ("render.panels", "render.layer", "render.every", "render.log_frames", "render.engine")


@click.command(
    "morph",
    cls=Command,
    examples=[
        ("the spiral's input plane carried through its three layers", "nnviz morph --config spiral --steps 16"),
        (
            "a saved run at its first and last epochs, one after the other",
            "nnviz morph --history outputs/blobs-tanh-lr0.01.csv --epoch 0,last",
        ),
    ],
)
@config_options(
    sections=("data", "model", "train", "render"),
    shown={"render.size": DEFAULT_SIZE, "render.axes": DEFAULT_AXES},
    omit=NOT_MORPH,
)
@option(
    "--out",
    "out",
    group="Output",
    type=PathName(),
    default=None,
    help="Output path [default: outputs/<run>-morph.<format>]; - for stdout.",
)
@option(
    "--history",
    "history_path",
    group="Input",
    type=PathName(exists=True),
    default=None,
    help="Morph a saved history CSV (its .toml beside it) instead of training.",
)
@option(
    "--epoch",
    "epochs",
    group="Rendering",
    default=None,
    metavar="E1,E2,...|last",
    help="Epochs to morph, one after another [default: last].",
)
@option("--steps", "steps", group="Rendering", type=int, default=20, show_default=True, help="Frames per stage.")
@option(
    "--pause",
    "pause",
    group="Rendering",
    type=int,
    default=6,
    show_default=True,
    help="Extra still frames at each representation.",
)
@option("--quiet", "-q", group="Output", is_flag=True, help="No progress bar.")
def morph_cmd(
    out: str | None, history_path: str | None, epochs: str | None, steps: int, pause: int, quiet: bool, **kwargs: Any
) -> None:
    """Carry the input plane through every layer, as one animation.

    Stage by stage: x, xW, xW+b, f(xW+b), then the next layer's, to the
    last hidden layer's activation and the output's decision line.

    --axes per-frame (the default here) gives each stage its own axes, the
    union of its two ends, and moves the camera only during the pauses;
    --axes fixed keeps one set of axes for the whole morph. --size defaults
    to 600x600 (one square panel).
    """
    from .. import plan as plans
    from .. import render
    from ..render.writers import writer_for

    format_from_out(out, kwargs)
    defaults = {"render.size": DEFAULT_SIZE, "render.axes": DEFAULT_AXES}
    for dotted, value in defaults.items():
        kwargs.setdefault(dotted.replace(".", "__"), None)
        if kwargs[dotted.replace(".", "__")] is None:
            kwargs[dotted.replace(".", "__")] = value
    config_path = kwargs.get("config_path")
    if history_path:
        cfg, config_path = load_history_config(history_path, kwargs)
    else:
        cfg = load_config(kwargs)
    inputs = {"--config file": config_path, "--history file": history_path}
    plan = plans.morph(
        cfg,
        out,
        inputs=inputs,
        trained=bool(history_path),
        steps=steps,
        pause=pause,
        epochs=epochs,
        command_defaults=defaults,
    )
    plan.check()  # before the history is read or anything trained
    history, data = read_saved_run(history_path, plan.cfg) if history_path else (None, None)
    workers = min(kernels.PAINTERS, kernels.cores())  # the BLAS threads got the rest (nnviz/kernels.py)
    result = render.execute_morph(plan, history=history, data=data, progress=not quiet, workers=workers)
    hist, anim = result.history, result.morph
    if hist.stop_reason == "diverged" and history is None:
        click.echo(f"Warning: {hist.message}", err=True)
    shown = ",".join(str(hist.epochs[p].epoch) for p in anim.positions)
    stages = len(anim.reps) - 1
    what = f"{len(anim)} frames" if writer_for(plan.cfg.render.format).animated else f"the last of {len(anim)} frames"
    where = "standard output" if plan.outputs.stdout else str(Path(result.path))
    click.echo(f"wrote {what} ({stages} stages x {steps} steps, epoch {shown}): {where}", err=plan.outputs.stdout)


COMMANDS = [morph_cmd]
