"""The morph as a frame source: the data and the input grid carried through the network, stage by stage.

``scene.morph`` computes the representations, their fixed 2-D views and the
timing; ``Morph`` is a ``FrameSource`` like the training ``Animation``, so
every engine and writer draws it. ``render_morph`` writes one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..config import MAX_FRAMES, RenderConfig
from ..engine.data import Dataset
from ..engine.history import History
from ..errors import RenderError
from . import animation
from .panels.planes import EveryLineView
from .scene import Frame, FrameContext, Limits, Panel, Scene, Space, build_scene, pad
from .scene import morph as geo

Array = np.ndarray


@dataclass(frozen=True)
class MorphPanel(Panel):
    """The morph's one panel: a warped plane drawn with every input grid line, since watching them bend is its point.

    Its frames are made by ``Morph``, not by the meshgrid pass, and it is not
    in ``render.panels.PANELS``: a morph panel means nothing in a training animation.
    """

    scene: Scene = field(repr=False)
    name: str = "morph"
    title: str = ""
    labels: tuple[str, str] = ("", "")

    @property
    def painter(self) -> Any:
        return EveryLineView

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Space:  # pragma: no cover - Morph makes its frames
        raise NotImplementedError("the morph's frames come from Morph.frame")


class Morph:
    """The morph of ``history`` at the epochs in ``positions``, one after another: a ``FrameSource``.

    ``render.axes`` "fixed" keeps one set of axes for the whole morph;
    "per-frame" gives each stage its own, eased between stages while paused.
    """

    titles = True

    def __init__(
        self,
        history: History,
        data: Dataset,
        render: RenderConfig,
        positions: Sequence[int] | None = None,
        *,
        steps: int = 20,
        pause: int = 6,
    ) -> None:
        geo.check_counts(steps, pause)
        model = history.model
        self.reps = geo.chain(model)
        geo.check_data(data)
        self.history, self.render, self.steps, self.pause = history, render, steps, pause
        self.positions = tuple(positions) if positions is not None else (len(history) - 1,)
        self.moments = geo.timeline(len(self.reps), steps, pause)
        total = len(self.positions) * len(self.moments)
        if total > MAX_FRAMES:
            raise RenderError(
                f"the morph would be {total:,} frames, over the cap of {MAX_FRAMES:,}; "
                "use fewer --epoch values, fewer --steps or a shorter --pause"
            )
        self.indices = tuple(range(total))
        self.size = render.size
        self.scene = build_scene(history, data, model.n_hidden, render.grid)
        self.panels: tuple[Panel, ...] = (MorphPanel(self.scene),)
        self.views = geo.projections(self.scene, history.last.params)
        self._bounds = [geo.checked_bounds(self.scene, self.views, history.epochs[p]) for p in self.positions]
        # Per chosen epoch: each stage's camera, and each representation's own axes.
        self._cams = [(geo.cameras(b), [pad(r) for r in b]) for b in self._bounds]
        self.limits: Mapping[str, Limits] | None = (
            {"morph": pad(geo.union_all(b for bs in self._bounds for b in bs))} if render.axes == "fixed" else None
        )
        self._cache: tuple[int, geo.Keyframes] | None = None  # one epoch's keyframes: memory stays flat

    def __len__(self) -> int:
        return len(self.indices)

    def _keys(self, e: int) -> geo.Keyframes:
        if self._cache is None or self._cache[0] != e:
            params = self.history.epochs[self.positions[e]].params
            keys = geo.keyframes(self.scene, self.views, params)
            # Over every camera this epoch's last representation is seen through (a line may overrun: clipped).
            seen = self.limits["morph"] if self.limits is not None else geo.union_all(self._cams[e][0])
            keys = replace(keys, output=geo.output_lines(self.scene, self.views[-1], params, seen))
            self._cache = (e, keys)
        return self._cache[1]

    def where(self, index: int) -> tuple[int, geo.Moment]:
        """Frame ``index`` as (which chosen epoch, moment within its morph)."""
        return divmod(index, len(self.moments))[0], self.moments[index % len(self.moments)]

    def title(self, index: int) -> str:
        e, m = self.where(index)
        ep = self.history.epochs[self.positions[e]]
        reached = m.rep + 1 if m.t > 0 else m.rep  # while moving, the stage under way
        name = self.reps[reached].name(self.scene.model.activation)
        stage = f"stage {reached}/{len(self.reps) - 1}: " if reached else ""
        return f"Epoch {ep.epoch}    {stage}{name}"

    def frame(self, index: int) -> Frame:
        e, m = self.where(index)
        ep = self.history.epochs[self.positions[e]]
        keys = self._keys(e)
        if self.limits is not None:
            limits = dict(self.limits)
        else:
            limits = {"morph": geo.moment_limits(*self._cams[e], m, self.pause)}
        metrics = ep.metrics
        title = self.title(index)
        return Frame(
            self.positions[e],
            ep.epoch,
            title,
            keys.values,
            {"morph": replace(geo.at(keys, m), limits=limits["morph"])},
            float(metrics["loss"]),
            float(metrics.get(self.scene.metric, np.nan)),
            limits,
            short_title=title,
        )

    def frames(self) -> Iterator[Frame]:
        return animation.frames(self)

    def layout_frame(self) -> Frame:
        first = self.frame(0)
        if self.limits is None:
            # The layout is fixed by the frame the painter is built with; lay it
            # out for labels as wide as "−0.75" so no camera's ticks are clipped.
            first = replace(first, limits={"morph": geo.LAYOUT_LIMITS})
        return first

    def info(self, index: int) -> dict[str, Any]:
        e, _ = self.where(index)
        ep = self.history.epochs[self.positions[e]]
        return {"epoch": ep.epoch, "title": self.title(index), "metrics": dict(ep.metrics)}
