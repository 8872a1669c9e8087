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
from ..numbers import shown
from . import animation
from .colours import NORM, unreached_cmap
from .panels.planes import EveryLineView, ImageView
from .scene import Frame, FrameContext, Limits, Panel, Scene, Space, build_scene, pad, sub
from .scene import morph as geo

Array = np.ndarray


@dataclass(frozen=True)
class MorphSpace(Space):
    """A morph frame's plane, with the axes of the representation it shows."""

    labels: tuple[str, str] = ("", "")


class MorphView(EveryLineView):
    """The warped plane with every grid line, its axis labels following the stage, and at rest a 2-wide
    layer's plane coloured under the mesh (faded where no input lands, as animate draws it)."""

    def add(self, frame: Frame) -> list[Any]:
        sp = self.mine(frame)
        self.under = self.ax.imshow(
            np.zeros((2, 2)) if sp.values is None else sp.values,
            origin="lower",
            extent=sp.extent or (0.0, 1.0, 0.0, 1.0),
            cmap=unreached_cmap(self.scene),
            norm=NORM,
            interpolation="bilinear",
            interpolation_stage="data",
            aspect="auto",
            zorder=0.5,
        )
        self.under.set_visible(sp.values is not None)
        # The labels follow the stage: drawn with the frame, not kept in a fixed background.
        self.ax.set_xlabel(sp.labels[0])
        self.ax.set_ylabel(sp.labels[1])
        for label in (self.ax.xaxis.label, self.ax.yaxis.label):
            label.set_animated(True)
        return [self.under, *super().add(frame)]

    def draw(self) -> None:
        super().draw()
        self.ax.draw_artist(self.ax.xaxis.label)
        self.ax.draw_artist(self.ax.yaxis.label)

    def update(self, frame: Frame) -> None:
        sp = self.mine(frame)
        if sp.values is not None:
            self.under.set_data(sp.values)
            self.under.set_extent(sp.extent)
        self.under.set_visible(sp.values is not None)
        self.ax.set_xlabel(sp.labels[0])
        self.ax.set_ylabel(sp.labels[1])
        super().update(frame)

    @classmethod
    def palette(cls, scene: Scene) -> Array | None:
        return ImageView.palette(scene)


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

    caption: str = "the input grid and the data carried through the trained network"
    short_caption: str = "the input, step by step through the network"

    @property
    def painter(self) -> Any:
        return MorphView

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
        self.captions = render.captions
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
        shown = " and ".join(str(history.epochs[p].epoch) for p in self.positions[:3])
        caption = f"the network of epoch {shown}, applied step by step to the input grid and data"
        short = f"epoch {shown}'s network, step by step"
        self.panels: tuple[Panel, ...] = (MorphPanel(self.scene, caption=caption, short_caption=short),)
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
            keys = replace(keys, planes=geo.rep_planes(self.scene, self.reps, self.views, params, self._seen(e)))
            self._cache = (e, keys)
        return self._cache[1]

    def _seen(self, e: int) -> list[Limits]:
        """Per representation, every axis limit the camera shows it through while at rest on it."""
        if self.limits is not None:
            return [self.limits["morph"]] * len(self.reps)
        cams, own = self._cams[e]
        return [geo.union_all([cams[r], own[r], cams[min(r + 1, len(cams) - 1)]]) for r in range(len(self.reps))]

    def where(self, index: int) -> tuple[int, geo.Moment]:
        """Frame ``index`` as (which chosen epoch, moment within its morph)."""
        return divmod(index, len(self.moments))[0], self.moments[index % len(self.moments)]

    def title(self, index: int) -> str:
        e, m = self.where(index)
        ep = self.history.epochs[self.positions[e]]
        reached = m.rep + 1 if m.t > 0 else m.rep  # while moving, the stage under way
        name = self.reps[reached].name(self.scene.model.activation, moving=m.t > 0)
        stage = f"step {reached} of {len(self.reps) - 1}: " if reached else ""
        return f"Epoch {ep.epoch}    {stage}{name}"

    def short_title(self, index: int) -> str:
        """The title for a small frame: the step in words (the caption names the epoch)."""
        _, m = self.where(index)
        reached = m.rep + 1 if m.t > 0 else m.rep
        name = self.reps[reached].name(self.scene.model.activation, moving=m.t > 0)
        return f"{reached}/{len(self.reps) - 1}: {name}" if reached else name

    def labels(self, index: int) -> tuple[str, str]:
        """The axes of the representation on screen (while moving, the one it moves to)."""
        _, m = self.where(index)
        reached = m.rep + 1 if m.t > 0 else m.rep
        rep, view = self.reps[reached], self.views[reached]
        if rep.kind == "input":
            return self.scene.input_labels
        if view.identity_map:
            name = "a" if rep.kind == "activation" else "z"
            return sub(name, 0), sub(name, 1)
        return view.labels

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
            {"morph": MorphSpace(**vars(replace(geo.at(keys, m), limits=limits["morph"])), labels=self.labels(index))},
            float(metrics["loss"]),
            float(metrics.get(self.scene.metric, np.nan)),
            limits,
            short_title=self.short_title(index),
        )

    def frames(self) -> Iterator[Frame]:
        return animation.frames(self)

    def layout_frame(self) -> Frame:
        # Laid out with the longest title any frame shows, so no later title runs off the frame.
        every = range(len(self.moments))
        longest = max((self.title(i) for i in every), key=len)
        shortest = max((self.short_title(i) for i in every), key=len)
        first = replace(self.frame(0), title=longest, short_title=shortest)
        if self.limits is None:
            # The layout is fixed by the frame the painter is built with; lay it
            # out for labels as wide as "−0.75" so no camera's ticks are clipped.
            first = replace(first, limits={"morph": geo.LAYOUT_LIMITS})
        return first

    def info(self, index: int) -> dict[str, Any]:
        e, _ = self.where(index)
        ep = self.history.epochs[self.positions[e]]
        return {"epoch": ep.epoch, "title": self.title(index), "metrics": dict(ep.metrics), "shown": shown(ep.metrics)}
