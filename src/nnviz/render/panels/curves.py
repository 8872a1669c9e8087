"""The loss panel: the training curves, loss and metric over the epochs, with the frame's epoch marked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from ...engine.events import Event
from ...engine.history import History
from ..colours import CURVE_GREYS
from ..layout import Style
from ..scene import Frame, FrameContext, Limits, Panel, Scene
from .base import PanelKind, PanelView, Setup

Array = np.ndarray


@dataclass(frozen=True)
class Marker:
    """The curves' frame: nothing but where the run is (``Frame.index``, ``loss``, ``metric``)."""

    limits: Limits | None = None

    def finite_arrays(self) -> Iterable[Array | None]:
        return ()


@dataclass(frozen=True)
class CurvesPanel(Panel):
    """The whole run's loss and metric (and the test split's), fixed from the History."""

    epochs: Array  # every epoch of the history (optimizer steps for sub-epoch snapshots)
    loss: Array
    metric: str
    metric_values: Array
    test_loss: Array | None
    test_metric: Array | None
    name: str = "loss"
    title: str = "Training curves"
    labels: tuple[str, str] = ("epoch", "loss")
    caption: str = ""
    short_caption: str = ""

    def concerns(self, event: Event) -> bool:
        return event.kind == "plateau"

    @property
    def painter(self) -> Any:
        return CurvesView

    def frame(self, ctx: FrameContext, limits: Limits | None) -> Marker:
        return Marker()


def _column(history: History, name: str) -> Array | None:
    return history.column(name) if name in history.epochs[0].metrics else None


def build(setup: Setup) -> tuple[Panel, ...]:
    history, metric = setup.history, setup.scene.metric
    test_loss = _column(history, "test_loss")
    return (
        CurvesPanel(
            # Sub-epoch snapshots share epoch numbers: their curves run over optimizer steps.
            epochs=np.array([(e.step or 0) if history.sub_epoch else e.epoch for e in history.epochs]),
            loss=history.column("loss"),
            metric=metric,
            metric_values=history.column(metric),
            test_loss=test_loss,
            test_metric=_column(history, f"test_{metric}"),
            # The test split is drawn dashed: the title says so.
            title="Training curves (dashed: test)" if test_loss is not None else "Training curves",
            labels=("step" if history.sub_epoch else "epoch", "loss"),
            caption=f"black: loss, grey: {metric}; faint: the whole run",
            short_caption=f"loss: black; {'acc' if metric == 'accuracy' else metric}: grey",
        ),
    )


class CurvesView(PanelView):
    """Loss (left axis) and metric (right axis) up to the current epoch.

    The whole run is drawn faint underneath, so the axes never move and the
    viewer sees where training is heading without the curve giving it away;
    the part up to the frame's epoch is drawn strong on top. Test curves,
    when there is a test split, are dashed.
    """

    FAINT = 0.18
    LOSS, METRIC = CURVE_GREYS

    def __init__(self, ax: Any, scene: Scene, panel: Panel, style: Style, stride: int = 1) -> None:
        super().__init__(ax, scene, panel, style, stride)
        assert isinstance(panel, CurvesPanel)
        self.curves = c = panel
        self.twin = ax.twinx()
        self.twin.tick_params(labelsize=style.tick, length=3 * style.scale, pad=2)
        # The metric axis's lowest label sits on the corner where the epoch axis
        # ends ('0.0' against '90'): drop it rather than every tick label of the panel.
        self.twin.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], prune="lower"))
        self.twin.set_ylabel(c.metric, fontsize=style.label, labelpad=2, color=self.METRIC)
        ax.set_ylabel("loss", fontsize=style.label, labelpad=2, color=self.LOSS)
        x = c.epochs
        ax.set_xlim(x[0], max(x[-1], x[0] + 1))
        losses = [v for v in (c.loss, c.test_loss) if v is not None]
        metrics = [v for v in (c.metric_values, c.test_metric) if v is not None]
        ax.set_ylim(*_range(np.concatenate(losses), floor=0.0))
        self.twin.set_ylim(*((0.0, 1.02) if c.metric == "accuracy" else _range(np.concatenate(metrics), floor=0.0)))
        # (axes, values, colour, dashes) per curve: train solid, test dashed.
        self.series = [(ax, c.loss, self.LOSS, "-"), (self.twin, c.metric_values, self.METRIC, "-")]
        if c.test_loss is not None and c.test_metric is not None:
            self.series += [(ax, c.test_loss, self.LOSS, "--"), (self.twin, c.test_metric, self.METRIC, "--")]

    @property
    def axes(self) -> list[Any]:
        return [self.ax, self.twin]

    def set_limits(self, lim: Limits) -> None:
        pass  # the curves' limits never change

    def _faint(self) -> list[Any]:
        lw = 1.2 * self.scale
        return [
            a.plot(self.curves.epochs, v, color=c, ls=ls, lw=lw, alpha=self.FAINT)[0] for a, v, c, ls in self.series
        ]

    def _so_far(self, frame: Frame) -> list[Any]:
        n = frame.index + 1
        lw = 1.5 * self.scale
        return [a.plot(self.curves.epochs[:n], v[:n], color=c, ls=ls, lw=lw)[0] for a, v, c, ls in self.series]

    def _markers(self, frame: Frame) -> list[Any]:
        # Not clipped: the last epoch's marker sits on the axes' right edge and was half cut off.
        kw = {"ms": max(6 * self.scale, 4.0), "mec": "white", "mew": 0.8 * self.scale, "zorder": 5, "clip_on": False}
        x = self.curves.epochs[frame.index]  # the epoch, or the step of a sub-epoch snapshot
        vline = self.ax.axvline(x, color="0.4", lw=0.8 * self.scale, ls="--")
        (m1,) = self.ax.plot([x], [frame.loss], "o", color=self.LOSS, **kw)
        (m2,) = self.twin.plot([x], [frame.metric], "o", color=self.METRIC, **kw)
        return [vline, m1, m2]

    def build(self, frame: Frame) -> list[Any]:
        self._faint()  # static: drawn once into the background
        self.artists = self._so_far(frame) + self._markers(frame)
        for a in self.artists:
            a.set_animated(True)
        return self.artists

    def add(self, frame: Frame) -> list[Any]:
        return self._faint() + self._so_far(frame) + self._markers(frame)

    def update(self, frame: Frame) -> None:
        n = frame.index + 1
        *curves, vline, m1, m2 = self.artists
        for line, (_, values, _, _) in zip(curves, self.series):
            line.set_data(self.curves.epochs[:n], values[:n])
        x = self.curves.epochs[frame.index]
        vline.set_xdata([x, x])
        m1.set_data([x], [frame.loss])
        m2.set_data([x], [frame.metric])

    def draw(self) -> None:
        # Each artist is drawn by the axes it belongs to (the metric's is the twin).
        for a in self.artists:
            a.axes.draw_artist(a)
        self.draw_caption()


def _range(v: Array, floor: float | None = None) -> tuple[float, float]:
    lo, hi = float(np.min(v)), float(np.max(v))
    if floor is not None:
        lo = min(lo, floor) if lo >= floor else lo
    span = hi - lo or 1.0
    return lo - 0.03 * span, hi + 0.05 * span


KIND = PanelKind("loss", "the loss and metric curves so far, over the faint whole run (test dashed)", build)
