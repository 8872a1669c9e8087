"""The reference approach: fresh artists every epoch, ``celluloid.Camera``.

It is how the blog that inspired nnviz drew its animations, and what a
notebook user gets as a matplotlib ``ArtistAnimation``. Every frame's artists
stay alive until the animation is saved, so memory grows with the number of
frames: the stream engine is the one for files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import Config
from ..engine.data import Dataset
from ..engine.history import History
from . import layout, mplsettings, paint
from .animation import Animation, FrameSource, OnFrame, frames, painter

Array = np.ndarray


@mplsettings.applied  # nnviz's matplotlib settings, whatever the user's (as paint.Painter)
def artist_animation(anim: FrameSource, fps: float = 10.0) -> Any:
    """``anim`` as a ``matplotlib.animation.ArtistAnimation`` (its figure is ``._fig``).

    An ArtistAnimation replays artists and cannot move axes, so ``anim``
    keeps one set of limits for every frame (``--axes fixed``).
    """
    from celluloid import Camera  # the reference engine's own dependency, loaded only when it draws

    fig, _canvas, axes = paint.make_figure(anim.size, anim.panels)
    style = layout.style_for(anim.size, len(anim.panels))
    panels = paint.make_views(axes, anim.scene, anim.panels, style, anim.size)
    first = anim.layout_frame()
    for p in panels:  # the first frame's ticks, as the stream painter lays out with
        if p.name in first.limits:
            p.set_limits(first.limits[p.name])
    # The same layout as the stream engine: the title's line is kept (blank),
    # and the legend or colour scale and the fitting are shared.
    title = fig.suptitle(first.title, fontsize=style.title)
    paint.decorate(fig, panels, anim.scene, style, title, captions=anim.captions)
    fig.set_layout_engine("none")
    x, y = title.get_position()
    title.set_text(" ")
    # A caption is animated (the stream painter blits it), so a replayed frame would lose it:
    # each frame gets its own copy, with the event that holds there, where the layout put it.
    captioned = [p for p in panels if p.caption is not None and p.caption.get_visible()]
    for p in captioned:  # out of the axes, or the first frame would draw it under its copy
        p.caption.remove()
    camera = Camera(fig)
    for frame in frames(anim):
        for p in panels:
            if p.name in frame.limits:
                p.set_limits(frame.limits[p.name])
            p.ax.set_autoscale_on(False)
            p.add(frame)
        for p in captioned:
            p.update_caption(frame.notes.get(p.name), target=_still_copy(p.ax, p.caption))
        # celluloid only captures artists inside axes, so the title is axes text where the title was.
        axes[0].text(
            x,
            y,
            frame.title,
            transform=fig.transFigure,
            ha="center",
            va="top",
            fontsize=title.get_fontsize(),
            in_layout=False,
        )
        camera.snap()
    return camera.animate(interval=1000.0 / fps, blit=False, repeat=True)


def _still_copy(ax: Any, caption: Any) -> Any:
    """A plain (not animated) copy of a caption annotation, for one replayed frame."""
    return ax.annotate(
        caption.get_text(),
        xy=caption.xy,
        xycoords=caption.xycoords,
        xytext=caption.xyann,
        textcoords=caption.anncoords,
        ha=caption.get_ha(),
        va=caption.get_va(),
        fontsize=caption.get_fontsize(),
        color=caption.get_color(),
        annotation_clip=False,
        in_layout=False,
    )


def celluloid_animation(history: History, data: Dataset, cfg: Config, indices: Sequence[int] | None = None) -> Any:
    """The run as a matplotlib ``ArtistAnimation``, e.g. for ``anim.to_jshtml()`` in a notebook."""
    return artist_animation(Animation(history, data, cfg.render, indices), cfg.render.fps)


class CelluloidEngine:
    """Frames through matplotlib's own saving loop, fed into an nnviz writer."""

    def __init__(self, anim: FrameSource) -> None:
        self.anim = anim
        # Built on the first write: a still never plays it, and matplotlib warns
        # about an Animation deleted without rendering anything.
        self._artists: Any = None

    @property
    def artists(self) -> Any:
        if self._artists is None:
            self._artists = artist_animation(self.anim)
        return self._artists

    def still(self, index: int) -> Array:
        # One frame alone: the celluloid figure only draws inside its saving loop.
        one = painter(self.anim)
        try:
            return one.render(self.anim.frame(index)).copy()
        finally:
            one.close()

    def sample(self, indices: Sequence[int]) -> Array:
        return np.concatenate([self.still(i) for i in indices])

    @mplsettings.applied
    def write(self, writer: Any, workers: int = 1, on_frame: OnFrame | None = None) -> Array:
        from matplotlib.animation import AbstractMovieWriter

        fps = float(getattr(writer, "fps", 10.0))
        if self._artists is None:
            self._artists = artist_animation(self.anim, fps)
        fig, indices, info = self.artists._fig, self.anim.indices, self.anim.info
        last: list[Array] = []

        class _Adapter(AbstractMovieWriter):
            count = 0

            def setup(self, fig: Any, outfile: Any, dpi: float | None = None) -> None:
                self.fig, self.outfile = fig, outfile

            def grab_frame(self, **savefig_kwargs: Any) -> None:
                fig.canvas.draw()
                pixels = paint.rgb_view(fig.canvas)
                writer.write(pixels, info(indices[self.count]))
                last[:] = [pixels.copy()]
                self.count += 1
                if on_frame:
                    on_frame(self.count)

            def finish(self) -> None:
                pass

        self.artists.save(str(writer.path), writer=_Adapter(fps=round(fps)), dpi=layout.DPI)
        return last[0]

    def close(self) -> None:
        if self._artists is not None:
            self._artists._fig.clear()
