"""Each run's own checks, before any run starts: what ``nnviz animate`` refuses before training.

``config.resolve`` (in ``spec``) checks each key and the keys against each
other. What it cannot see, ``animate`` checks just before training: the
format's encoder is here, it takes the frame size and fps, and the run's
mesh, painter and snapshots fit their memory caps (``plan.Plan.admit``). A sweep
that left these to the runs would do its good runs, then fail on the bad
ones; here they fail first, naming the run, and nothing is written.

The memory caps depend on the data's shape, so a built-in dataset (made or
bundled, cheap) is built here, once per distinct data config; that also
refuses data options the dataset does not take (``data.target`` on blobs),
as ``animate`` does when it loads the data. A file named by ``data.path`` is
not read twice: its own checks (its target column, the caps that depend on
its shape) stay in the run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .. import plan as plans
from ..config import Config
from ..engine.data import Dataset
from ..errors import ConfigError, NnvizError
from .spec import SweepSpec

# Built datasets kept at once: runs usually vary data in the outer loop, so
# consecutive runs share one; a million-row dataset is ~50 MB.
DATA_CACHE = 4

Loader = Callable[[Config], Dataset]


def check_runs(spec: SweepSpec, out: Path) -> None:
    """Raise a ConfigError naming the first run (in file order) that ``animate`` would refuse before training."""
    from ..engine.train import load_data

    load = functools.lru_cache(maxsize=DATA_CACHE)(load_data)  # this sweep's only: freed when it returns
    where = f" in {spec.source}" if spec.source else ""
    for run in spec.runs:
        try:
            check_run(run.cfg, out / run.name, load)
        except NnvizError as exc:
            raise ConfigError(f"[sweep]{where}, run {run.name}: {exc}") from None


def check_run(cfg: Config, folder: Path, load: Loader) -> None:
    """One run's pre-training checks, as its plan makes them in ``render.animate`` (one painter, as a run has)."""
    from ..engine.data import reads_file

    plan = plans.sweep_run(cfg, folder)
    plan.check_format()
    if reads_file(cfg.data.name):
        # The painter's cap, which the config alone decides; the data's own wait for the run.
        from .. import budget

        budget.check_painter(cfg)
        return
    plan.admit(load(data_key(cfg)))


def data_key(cfg: Config) -> Config:
    """A config with only what ``load_data`` reads (the data section and its seed), as a cache key."""
    return Config(data=replace(cfg.data, seed=cfg.data_seed))
