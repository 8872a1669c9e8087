"""Shared fixtures. Agg first, so no test ever needs a display."""

from __future__ import annotations

# isort: off
import nnviz

nnviz.pin_kernels()  # first: before matplotlib imports NumPy, as the CLI does (nnviz/kernels.py)
import matplotlib
# isort: on

matplotlib.use("Agg")

import pytest

from nnviz import catalog

SMALL = {"render.grid": 20, "render.size": "300x100", "train.epochs": 6, "train.stop_loss": 0,
         "data.n_samples": 60}


def small_cfg(**overrides):
    """A tiny, fast config: 20x20 grid, 300x100 px, a few epochs."""
    values = dict(SMALL)
    values.update({k.replace("__", "."): v for k, v in overrides.items()})
    return catalog.resolve({}, values)


@pytest.fixture
def tiny_run():
    """(cfg, data, history) for a tiny blobs run, trained once per test."""
    from nnviz import render
    from nnviz.engine.train import train

    cfg = small_cfg()
    data = render.load_data(cfg)
    return cfg, data, train(cfg, data)


def animation_of(cfg, history=None, data=None, **render_over):
    """(Animation, history, data) for ``cfg`` (trained here unless given), drawn with ``render_over`` dotted keys."""
    from nnviz import render
    from nnviz.engine.train import train
    from nnviz.render.animation import Animation

    data = data if data is not None else render.load_data(cfg)
    history = history if history is not None else train(cfg, data)
    r = catalog.with_values(cfg, render_over).render if render_over else cfg.render
    return Animation(history, data, r), history, data


def logits(anim, params, X):
    """The output layer's logits of ``anim``'s network with ``params`` at inputs ``X``."""
    from nnviz.engine import nn

    return nn.forward(anim.scene.model, params, X, finite=True).z[-1]


def cli_run(*args: str) -> tuple[int, str]:
    """(exit code, output) of ``nnviz ARGS`` run in this process."""
    from click.testing import CliRunner

    from nnviz.cli import cli

    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def error_line(output: str) -> str:
    """The one ``Error:`` line of ``output`` (and no traceback)."""
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in output, output
    return errors[0]
