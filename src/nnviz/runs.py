"""Carrying out a ``nnviz train`` plan: train, then write the history CSV and its config TOML as one set.

The rendering commands' plans are carried out by ``render.pipeline``; this is
the one that draws nothing, so it never loads the renderer.
"""

from __future__ import annotations

from collections.abc import Callable

from . import config
from .atomic import one_set, write_text_atomic
from .engine.data import Dataset
from .engine.history import Epoch, History, write_history
from .engine.train import load_data, total_steps, train
from .errors import Interrupted
from .plan import Plan


def train_history(
    plan: Plan,
    on_epoch: Callable[[Epoch, int], None] | None = None,
    on_trained: Callable[[History, Dataset], None] | None = None,
) -> History:
    """Load the data, check its memory caps, train, and write the plan's CSV and TOML together.

    ``on_epoch(snapshot, steps)`` is told every snapshot and, for sub-epoch
    snapshots, the run's total optimizer steps (else 0); ``on_trained(history,
    data)`` once training ends, before anything is written (the CLI finds the
    run's events with the data it trained on).
    """
    assert plan.outputs.history_csv is not None and plan.outputs.config_toml is not None
    cfg = plan.cfg
    data = load_data(cfg)
    plan.admit(data)
    steps = total_steps(cfg, len(data.y)) if cfg.train.snapshot_every else 0
    history = train(cfg, data, on_epoch=None if on_epoch is None else lambda ep: on_epoch(ep, steps))
    if history.stop_reason == "interrupted":
        raise Interrupted(history.signal or 2)
    if on_trained is not None:
        on_trained(history, data)
    with one_set():
        write_history(history, plan.outputs.history_csv)
        write_text_atomic(plan.outputs.config_toml, config.run_toml(plan.cfg))
    return history
