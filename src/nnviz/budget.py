"""Memory budgets, estimated from the inputs before anything large is allocated.

The config caps (``config.MAX_GRID``, ``MAX_WIDTH``, ``MAX_SIDE``) bound each
input alone; their products do not fit a machine. ``check`` multiplies them
out once the data's shape is known and before training, and refuses a run
whose rendering would need more than ``CAP_BYTES`` in any one place, naming
the input that is too big, the estimate, the cap and what to change.

What can be streamed is streamed instead of capped: the meshgrid's pass
through a wide layer runs in row slices (``scene.CHUNK_BYTES``), frames go
to the writers one at a time, and a CSV is parsed row by row under its own
caps (``engine.data``). The History's snapshots are budgeted where they
are taken (``engine.train.check_snapshot_budget``); ``check`` calls it early,
it does not keep a second copy of that rule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

from .engine.data import Dataset
from .engine.train import build_model, check_snapshot_budget
from .errors import ConfigError
from .render import writers
from .render.scene import select_epochs

if TYPE_CHECKING:
    from pathlib import Path

    from .config import Config

# Each estimate below is held to this. Two painters (--workers 2) or a sweep's
# pool share a small machine (CI runners and laptops have 4-8 GiB), so one run's
# rendering may take about a quarter of it; every default run needs < 50 MiB.
CAP_BYTES = 2**30

# Per mesh point, float64 values the scene keeps for every frame however wide
# the layers are (the pass through them is sliced): the mesh in the plane (2)
# and build_spec's meshgrid temporaries (4), the frame's hidden and activation
# meshes (2 + 2) and its colours (1); the sliced pass briefly holds its
# slices and their concatenation, so the 4 mapped values count twice more.
MESH_FLOATS = 2 + 4 + 4 + 1 + 8
# Per pixel of a frame: Agg's RGBA canvas (4) and its saved background (4), the
# RGB copy handed to the writer (3) and the writer's own copies (GIF: palette
# indices, the previous frame, the change mask; MP4/WebP: the held-back frame),
# and matplotlib's float RGBA resampling of the image panels (4 x 8 over at
# most the whole figure). An estimate from those buffers, not a measurement per format.
PIXEL_BYTES = 4 + 4 + 3 + 9 + 32


class HasFormat(Protocol):
    """What ``check`` reads of ``pipeline.Outputs`` (kept apart: the pipeline imports this module)."""

    @property
    def path(self) -> Path: ...

    @property
    def format(self) -> str: ...


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def _cap() -> str:
    return f"{CAP_BYTES / 2**30:g} GiB" if CAP_BYTES >= 2**30 else f"{CAP_BYTES / 2**20:g} MiB"


def mesh_bytes(grid: int, n_features: int, n_out: int, reps: int = 0) -> int:
    """Bytes the meshgrid keeps: the mesh in input features, what every frame keeps, a morph's keyframes.

    ``reps`` is a morph's number of representations (each keeps its 2-D mesh).
    One input feature draws a curve of ``grid`` points, not a mesh.
    """
    points = grid * grid if n_features >= 2 else grid
    return 8 * points * (n_features + MESH_FLOATS + 2 * n_out + 2 * reps)


def _max_grid(n_features: int, n_out: int, reps: int) -> int:
    per_point = 8 * (n_features + MESH_FLOATS + 2 * n_out + 2 * reps)
    return max(2, math.isqrt(CAP_BYTES // per_point))


def painter_bytes(size: tuple[int, int], workers: int = 1) -> int:
    """Bytes the painters hold: each has its own canvas, copies and writer buffers."""
    return size[0] * size[1] * PIXEL_BYTES * max(1, workers)


def check_mesh(cfg: Config, data: Dataset, n_out: int, reps: int = 0) -> None:
    """Refuse a --grid whose mesh would not fit, naming what makes each point heavy."""
    grid, d = cfg.render.grid, data.n_features
    need = mesh_bytes(grid, d, n_out, reps)
    if need <= CAP_BYTES:
        return
    what = f"{d:,} input features ({data.name})"
    if reps:
        what += f" and {reps} morph representations"
    raise ConfigError(
        f"--grid {grid} with {what} needs ~{_gib(need)} for the meshgrid; the cap is {_cap()}: "
        f"use --grid <= {_max_grid(d, n_out, reps)}"
    )


def check_painter(cfg: Config, workers: int = 1) -> None:
    """Refuse a --size whose painters' buffers would not fit."""
    w, h = cfg.render.size
    need = painter_bytes((w, h), workers)
    if need <= CAP_BYTES:
        return
    shown = f"--size {w}x{h}" + (f" with {workers} painters (workers)" if workers > 1 else "")
    most = CAP_BYTES // (PIXEL_BYTES * max(1, workers))
    raise ConfigError(
        f"{shown} needs ~{_gib(need)} for the painter; the cap is {_cap()}: "
        f"use a --size of at most {most:,} pixels in all (W x H)"
    )


def frames_at_most(cfg: Config) -> int:
    """Frames a training animation can have: every selected epoch if training runs to the end."""
    return len(select_epochs(cfg.train.epochs + 1, cfg.render.every, cfg.render.log_frames))


def check(
    cfg: Config,
    data: Dataset,
    outputs: HasFormat,
    *,
    training: bool = True,
    workers: int = 1,
    morph_reps: int = 0,
    frames: int | None = None,
) -> None:
    """Refuse, before training or rendering, a run that would exceed a memory cap or a format's limits.

    ``training``: the History is still to be made, so its snapshots are
    budgeted too. ``morph_reps``: a morph's representations (its keyframes
    keep one mesh each). ``frames``: the animation's frame count when known
    (a re-render or a morph); else the most training can give.
    """
    writers.check_capacity(
        outputs.format, cfg.render.size, cfg.render.fps, frames if frames is not None else frames_at_most(cfg)
    )
    if training:
        model = build_model(cfg, data)  # also the activation cap (samples x hidden units)
        check_snapshot_budget(cfg, model, len(data.y))
    check_mesh(cfg, data, data.n_classes if data.task == "multiclass" else 1, morph_reps)
    check_painter(cfg, workers)
