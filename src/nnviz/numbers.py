"""How nnviz writes a loss, an accuracy or a count in text: titles, gallery cards, CLI lines.

A diverging run's loss can be finite and enormous (1e263): fixed point would
spell out all 264 digits, which runs off a frame, a thumbnail and a phone
screen. From 1e5 up the number is written with an exponent instead.
"""

from __future__ import annotations

import math

EXPONENT_FROM = 1e5  # |value| at which fixed point gives way to 1.08e+263


def fixed(value: float, places: int = 3) -> str:
    """``value`` to ``places`` decimals (``0.262``), or ``1.08e+263`` once it is that large."""
    if math.isfinite(value) and abs(value) >= EXPONENT_FROM:
        return f"{value:.2e}"
    return f"{value:.{places}f}"


SHORT_NAMES = {"accuracy": "acc"}  # where space is short: thumbnails, gallery cards, CLI lines


def number(name: str, value: float, places: int = 3) -> str:
    """Metric ``name``'s value: accuracy is a share, so a percentage (``87.2%``); errors are ``fixed``."""
    return f"{value:.1%}" if name == "accuracy" else fixed(value, places)


def shown(metrics: dict[str, float], places: int = 4) -> dict[str, str]:
    """Every metric as a frame's title writes it (``test_accuracy`` as ``accuracy``): what a player shows beside it."""
    return {name: number(name.removeprefix("test_"), value, places) for name, value in metrics.items()}


def metric(name: str, value: float) -> str:
    """``acc 87.2%``, ``rmse 0.123``, ``loss 0.262``: one metric in the short texts."""
    return f"{SHORT_NAMES.get(name, name)} {number(name, value)}"


def count(n: int, noun: str) -> str:
    """``1 run``, ``6 runs``: the noun takes an s unless there is exactly one."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
