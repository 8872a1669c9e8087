"""nnviz draws with matplotlib's own defaults plus nnviz's few settings, whatever the user's are.

A user's ``matplotlibrc`` (or ``rcParams`` changed in a notebook) applies to
every figure matplotlib builds: ``text.usetex: True`` made every frame need
LaTeX (``internal error: RuntimeError: ... latex could not be found``); a
font family the machine lacks printed a ``findfont`` line per text drawn;
line widths, colours, DPI or hinting would change nnviz's pixels, which must
be the same for the same config and seed on every machine. Settings are
read both when artists are built and when they are drawn, so ``applied``
wraps both, restoring the caller's settings on the way out (a notebook's
own figures are untouched). When the settings already are nnviz's (the
usual case) entering costs a comparison, not an update.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# nnviz's own settings on top of matplotlib's defaults (none needed today: every size, font
# and colour nnviz uses is set on its artists). "backend" is never touched: nnviz draws on
# Agg canvases it makes itself, and switching a notebook's backend would close its figures.
NNVIZ: dict[str, Any] = {}
SKIPPED = ("backend", "backend_fallback", "interactive", "webagg.port", "webagg.address", "webagg.open_in_browser")


@functools.cache
def settings() -> dict[str, Any]:
    """The rcParams nnviz draws with: matplotlib's defaults, then ``NNVIZ``."""
    import matplotlib

    defaults: dict[str, Any] = {k: v for k, v in matplotlib.rcParamsDefault.items() if k not in SKIPPED}
    return defaults | NNVIZ


@contextlib.contextmanager
def nnviz_settings() -> Iterator[None]:
    """Within: matplotlib's settings are nnviz's; after: the caller's again."""
    import matplotlib

    params: Any = matplotlib.rcParams  # typed by key; nnviz's keys are read from it
    wanted = settings()
    changed = {k: v for k, v in wanted.items() if params.get(k) != v}
    if not changed:
        yield
        return
    saved = {k: params[k] for k in changed}
    try:
        params.update(changed)
        yield
    finally:
        params.update(saved)


def applied(fn: F) -> F:
    """``fn`` runs with nnviz's settings (a decorator for what builds or draws a figure)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with nnviz_settings():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
