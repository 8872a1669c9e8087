"""Each run's own checks, before any run starts: what ``nnviz animate`` refuses before training.

``config.resolve`` (in ``spec``) checks each key and the keys against each
other. What it cannot see, ``animate`` checks just before training: the
format's encoder is here, it takes the frame size and fps, and the run's
mesh, painter and snapshots fit their memory caps (``budget.check``). A sweep
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

from ..config import Config
from ..engine.data import Dataset
from ..errors import ConfigError, NnvizError
from ..plan import default_stem
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
    """One run's pre-training checks, as ``render.animate`` makes them with one painter (as a sweep run has)."""
    from .. import budget
    from ..engine.data import reads_file
    from ..render.pipeline import output_paths
    from ..render.writers import check_available, check_capacity

    outs = output_paths(cfg, folder / f"{default_stem(cfg)}.{cfg.render.format}")
    check_available(outs.format)
    if reads_file(cfg.data.name):
        # The checks the config alone decides; budget.check adds them to the data-dependent ones.
        check_capacity(outs.format, cfg.render.size, cfg.render.fps, budget.frames_at_most(cfg))
        budget.check_painter(cfg)
        return
    budget.check(cfg, load(data_key(cfg)), outs, training=True)


def data_key(cfg: Config) -> Config:
    """A config with only what ``load_data`` reads (the data section and its seed), as a cache key."""
    return Config(data=replace(cfg.data, seed=cfg.data_seed))
