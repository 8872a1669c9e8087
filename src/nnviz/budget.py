"""Memory budgets, estimated from the inputs before anything large is allocated.

The config caps (``config.MAX_GRID``, ``MAX_WIDTH``, ``MAX_SIDE``) bound each
input alone; their products do not fit a machine. ``check_drawing`` multiplies them
out once the data's shape is known and before training (``plan.Plan.admit``), and refuses a run
whose rendering would need more than ``CAP_BYTES`` in any one place, naming
the input that is too big, the estimate, the cap and what to change.

What can be streamed is streamed instead of capped: the meshgrid's pass
through a wide layer runs in row slices (``scene.CHUNK_BYTES``), frames go
to the writers one at a time, and a CSV is parsed row by row under its own
caps (``engine.data``). The History's snapshots are budgeted where they
are taken (``engine.train.check_snapshot_budget``); the run plan calls it
early, nothing keeps a second copy of that rule.
"""

from __future__ import annotations

import math

from .config import Config
from .engine.data import Dataset
from .engine.train import build_model
from .errors import ConfigError
from .render.panels import PANELS, mesh_floats, refusal

# Each estimate below is held to this. Two painters (--workers 2) or a sweep's
# pool share a small machine (CI runners and laptops have 4-8 GiB), so one run's
# rendering may take about a quarter of it; every default run needs < 50 MiB.
CAP_BYTES = 2**30

# Per mesh point, float64 values the scene keeps for every frame however wide
# the layers are (the pass through them is sliced): the mesh in the plane (2)
# and build_scene's meshgrid temporaries (4), and the frame's colours (1). Each
# panel adds what it keeps (``PanelKind.mesh_floats``: a layer panel's two
# mapped coordinates, counted three times while the sliced pass holds its
# slices and their concatenation).
SCENE_FLOATS = 2 + 4 + 1
# The morph draws no --panels; its frame holds one interpolated mesh and the
# two spaces it moves between, and each representation keeps its 2-D mesh.
MORPH_FLOATS = 12
# Per pixel of a frame: Agg's RGBA canvas (4) and its saved background (4), the
# RGB copy handed to the writer (3) and the writer's own copies (GIF: palette
# indices, the previous frame, the change mask; MP4/WebP: the held-back frame),
# and matplotlib's float RGBA resampling of the image panels (4 x 8 over at
# most the whole figure). An estimate from those buffers, not a measurement per format.
PIXEL_BYTES = 4 + 4 + 3 + 9 + 32


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def _cap() -> str:
    return f"{CAP_BYTES / 2**30:g} GiB" if CAP_BYTES >= 2**30 else f"{CAP_BYTES / 2**20:g} MiB"


def point_bytes(n_features: int, n_out: int, panels: int = 12, reps: int = 0) -> int:
    """Bytes one meshgrid point costs: its input features, the scene's values, the panels' and a morph's.

    ``panels`` is what the drawn panels keep per point (float64 values;
    the three classic panels keep 12); ``reps`` a morph's representations
    (each keeps its 2-D mesh). The output's values count twice (the pass and
    the colours computed from it).
    """
    return 8 * (n_features + SCENE_FLOATS + panels + 2 * n_out + 2 * reps)


def mesh_bytes(grid: int, n_features: int, n_out: int, reps: int = 0, panels: int = 12) -> int:
    """Bytes the meshgrid keeps. One input feature draws a curve of ``grid`` points, not a mesh."""
    points = grid * grid if n_features >= 2 else grid
    return points * point_bytes(n_features, n_out, panels, reps)


def _max_grid(n_features: int, n_out: int, reps: int, panels: int = 12) -> int:
    return max(2, math.isqrt(CAP_BYTES // point_bytes(n_features, n_out, panels, reps)))


def painter_bytes(size: tuple[int, int], workers: int = 1) -> int:
    """Bytes the painters hold: each has its own canvas, copies and writer buffers."""
    return size[0] * size[1] * PIXEL_BYTES * max(1, workers)


def check_mesh(cfg: Config, data: Dataset, n_out: int, reps: int = 0, panels: int = 12) -> None:
    """Refuse a --grid whose mesh would not fit, naming what makes each point heavy."""
    grid, d = cfg.render.grid, data.n_features
    need = mesh_bytes(grid, d, n_out, reps, panels)
    if need <= CAP_BYTES:
        return
    what = f"{d:,} input features ({data.name})"
    if reps:
        what += f" and {reps} morph representations"
    raise ConfigError(
        f"--grid {grid} with {what} needs ~{_gib(need)} for the meshgrid; the cap is {_cap()}: "
        f"use --grid <= {_max_grid(d, n_out, reps, panels)}"
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


def check_drawing(cfg: Config, data: Dataset, *, morph: bool = False, workers: int = 1) -> None:
    """Refuse, before training or rendering, a drawing whose memory would pass a cap.

    The meshgrid (with what each panel keeps, or a ``morph``'s
    representations), each panel's fixed part (``PanelKind.admit``) and the
    painters; first, a panel that cannot draw the network's shape at all (a
    3-D panel of a 2-wide layer).
    """
    model = build_model(cfg, data)
    n_out = data.n_classes if data.task == "multiclass" else 1
    why = None if morph else refusal(cfg.render.panels, model, cfg.render.layer)
    if why is not None:
        raise ConfigError(why)
    if morph:
        check_mesh(cfg, data, n_out, reps=1 + 3 * model.n_hidden, panels=MORPH_FLOATS)
    else:
        check_mesh(cfg, data, n_out, panels=mesh_floats(cfg.render.panels, model, cfg.render.layer))
        for name in cfg.render.panels:  # what a panel computes once (the landscape's grid)
            PANELS[name].admit(cfg, data, model)
    check_painter(cfg, workers)
