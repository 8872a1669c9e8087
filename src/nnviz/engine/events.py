"""Training events: what went right or wrong in a run, named from the History and the data alone.

A student who sees a bad picture needs its reason: a ReLU unit that is zero
on every point (dead), tanh or sigmoid units pinned at their limits
(saturated), two units of a layer that point the same way (the layer
collapses the plane to a line), a loss that stopped moving (a plateau), the
epoch the boundary passes the last misclassified point, and a run that ends
no better than always guessing. Each is a pure function of the History and
the data: the scene draws them as captions on the frames where they hold,
the run writes them beside its history CSV, and the CLI names them (with the
flag that helps) at the end.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import write_text_atomic
from . import nn
from .data import Dataset
from .history import History

Array = np.ndarray

SAMPLE = 2000  # training points the per-epoch checks look at: a seeded sample of larger data
MAX_CHECKED = 600  # snapshots checked at most; more are spread evenly (the rendered ones always)
SATURATED = 0.995  # |tanh| (or sigmoid's distance from 0.5, doubled) past this is pinned
SATURATED_SHARE = 0.95  # of the points, for a unit to count as saturated
RANK_ONE = 0.05  # second singular value over the first of a layer's unit directions below this: one direction
PLATEAU_SHARE = 0.005  # relative change of the loss over the window below this: flat
FAIR_ACCURACY, FAIR_R2 = 0.95, 0.9  # a run that ends here did its job: what it did is explained, not warned of
MIN_STREAK = 3  # checked snapshots a state must hold to count (a blip of a frame or two is not an event)
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Event:
    """One event: what happened, from which snapshot to which (History positions), and what to say.

    ``caption`` is the short line drawn on the frames where it holds;
    ``advice`` what to try, for the end-of-run line. ``layer`` (1-based) and
    ``units`` (0-based) say where, when it is about units. ``warning`` is
    False for what explains a picture without being wrong (every point
    separated, a plateau the loss escapes, a fold the task needs): the frames
    draw it in ink, a warning in red.
    """

    kind: str  # dead, saturated, collapsed, plateau, separated, no better than guessing
    start: int
    end: int
    caption: str
    advice: str = ""
    layer: int = 0
    units: tuple[int, ...] = ()
    short: str = ""  # for a small frame
    warning: bool = True

    def __post_init__(self) -> None:
        if not self.short:
            object.__setattr__(self, "short", self.caption)

    def holds(self, position: int) -> bool:
        return self.start <= position <= self.end


def unit_name(layer: int, unit: int, n_hidden: int) -> str:
    """``a₂`` in a one-hidden-layer net, ``layer 2's a₃`` in a deeper one."""
    name = f"a{str(unit + 1).translate(SUBSCRIPTS)}"
    return name if n_hidden == 1 else f"layer {layer}'s {name}"


def find_events(
    history: History, data: Dataset, *, standardized: bool = True, positions: Sequence[int] | None = None
) -> tuple[Event, ...]:
    """Every event of ``history`` trained on ``data``, in the order they begin.

    ``standardized`` says whether training saw standardised inputs (the
    advice for a run that learns nothing names the flag when it did not).
    ``positions`` are the snapshots to check (default: every one, spread
    out past ``MAX_CHECKED``).
    """
    if not len(history):
        return ()
    checked = _positions(len(history), positions)
    X = _sample(np.asarray(data.X, dtype=np.float64))
    found: list[Event] = []
    model = history.model
    # A history may hold huge (finite) parameters that rendering refuses on its own terms: what
    # overflows here names no event, and must not warn on the way.
    with np.errstate(all="ignore"):
        states = [_states(model, history.epochs[i].params, X) for i in checked]
        for layer in range(1, model.n_hidden + 1):
            found += _unit_events(model, layer, checked, [s[layer - 1] for s in states], _fair(history))
            found += _collapse(history, layer, checked, _fair(history))
        found += _plateau(history)
        found += _separated(history)
        found += _guessing(history, data, standardized, found)
    return tuple(sorted(found, key=lambda e: (e.start, e.kind)))


def _positions(n: int, positions: Sequence[int] | None) -> list[int]:
    every = range(n) if n <= MAX_CHECKED else np.unique(np.linspace(0, n - 1, MAX_CHECKED).round().astype(int))
    return sorted({*(int(i) for i in every), *(positions or ())} & set(range(n)))


def _sample(X: Array) -> Array:
    if len(X) <= SAMPLE:
        return X
    return X[np.sort(np.random.default_rng(0).choice(len(X), SAMPLE, replace=False))]


def _states(model: nn.Model, params: Sequence[Array], X: Array) -> list[tuple[Array, Array]]:
    """Per hidden layer: (dead, saturated) flags per unit for one snapshot."""
    t = nn.forward(model, params, X, layers=model.n_hidden, finite=True)
    out = []
    for a in t.a:
        dead = np.all(a == 0.0, axis=0) if model.activation == "relu" else np.zeros(a.shape[1], bool)
        if model.activation == "tanh":
            pinned = np.abs(a) > SATURATED
        elif model.activation == "sigmoid":
            pinned = np.abs(2 * a - 1) > SATURATED
        else:
            pinned = np.zeros(a.shape, bool)
        out.append((dead, pinned.mean(axis=0) >= SATURATED_SHARE))
    return out


def _streaks(flags: Array, checked: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) history positions of each run of True of at least MIN_STREAK checks, or ending the run."""
    runs, start = [], None
    for k, on in enumerate([*flags, False]):
        if on and start is None:
            start = k
        elif not on and start is not None:
            if k - start >= MIN_STREAK or k == len(flags):
                runs.append((checked[start], checked[k - 1]))
            start = None
    return runs


def _unit_events(
    model: nn.Model, layer: int, checked: Sequence[int], states: Sequence[tuple[Array, Array]], fair: bool
) -> list[Event]:
    """Dead and saturated units; units that share a streak are named together (``a₁, a₂ saturated``)."""
    dead = np.array([s[0] for s in states])
    pinned = np.array([s[1] for s in states])
    limits = "±1" if model.activation == "tanh" else "0 or 1"
    kinds = {
        "dead": (
            dead,
            "{names} {verb} dead: relu is 0 on every point",
            "a dead relu unit never learns again: try --activation leaky_relu or a smaller --lr",
            "{names} dead",
        ),
        "saturated": (
            pinned,
            f"{{names}} saturated: {model.activation} is at {limits} on most points",
            "a saturated unit's gradient is near 0: standardise the inputs or use a smaller --lr",
            "{names} saturated",
        ),
    }
    events = []
    for kind, (flags, caption, advice, short) in kinds.items():
        by_streak: dict[tuple[int, int], list[int]] = {}
        for unit in range(flags.shape[1]):
            for streak in _streaks(flags[:, unit], checked):
                by_streak.setdefault(streak, []).append(unit)
        for (start, end), units in sorted(by_streak.items()):
            names = ", ".join(unit_name(layer, u, model.n_hidden) for u in units)
            text = caption.format(names=names, verb="is" if len(units) == 1 else "are")
            # Saturated units in a run that ends fair did no harm: explained, not warned of.
            warn = kind == "dead" or not fair
            short_text = short.format(names=names)
            events.append(Event(kind, start, end, text, advice if warn else "", layer, tuple(units), short_text, warn))
    return events


def _collapse(history: History, layer: int, checked: Sequence[int], fair: bool) -> list[Event]:
    """A layer whose units all point the same way: it maps the plane onto a curve (a rank-1 weight matrix).

    Every unit's incoming direction must agree, and a layer fed by one value
    is a curve by nature and never counts. Parallel units with different
    biases can be the answer (a middle band needs two parallel lines), so in
    a run that ends ``fair`` the fold is explained, not warned about.
    """
    fan_in, width = history.model.sizes[layer - 1], history.model.sizes[layer]
    if width < 2 or fan_in < 2:
        return []
    flags = []
    for i in checked:
        W = history.epochs[i].params[2 * (layer - 1)]
        norms = np.linalg.norm(W, axis=0)
        if not (np.isfinite(norms).all() and (norms > 1e-12).all()):  # overflowed: no direction to compare
            flags.append(False)
            continue
        s = np.linalg.svd(W / norms, compute_uv=False)
        flags.append(bool(s[1] / s[0] < RANK_ONE))
    where = "the layer" if history.model.n_hidden == 1 else f"layer {layer}"
    if fair:
        caption = f"{where}'s units point one way, so the plane is squeezed onto a line: one direction is enough here"
        advice, short = "", "the units point one way"
    else:
        caption = f"{where} collapsed: its units point one way, so the plane is squeezed onto a line"
        advice, short = (
            "units that learn one direction act as one: more units or another --seed may help",
            f"{where} collapsed",
        )
    units = tuple(range(width))
    return [
        Event("collapsed", start, end, caption, advice, layer, units, short, warning=not fair)
        for start, end in _streaks(np.array(flags), checked)
    ]


def _fair(history: History) -> bool:
    """Whether the run ends doing its job well (95 % accuracy, R² 0.9)."""
    last = history.last.metrics
    if "accuracy" in last:
        return last["accuracy"] >= FAIR_ACCURACY
    return "r2" in last and last["r2"] >= FAIR_R2


def _plateau(history: History) -> list[Event]:
    """The longest stretch where the loss stopped moving, when it is long enough to see."""
    loss = history.column("loss")
    n = len(loss)
    window = max(5, n // 20)
    if n < 3 * window:
        return []
    change = np.abs(loss[window:] - loss[:-window]) / np.maximum(np.abs(loss[:-window]), 1e-12)
    flat = np.concatenate([np.zeros(window, bool), change < PLATEAU_SHARE])
    runs = _streaks(flat, list(range(n)))
    if not runs:
        return []
    start, end = max(runs, key=lambda r: r[1] - r[0])
    start = max(0, start - window)
    if end - start < 2 * window:
        return []
    level = float(loss[end])
    later = loss[end:].min()
    escaped = later < level * 0.9  # it fell clearly after the flat stretch
    how = f"loss flat at {level:.3g}" + (" before it falls again" if escaped else "")
    return [
        Event(
            "plateau",
            start,
            end,
            how,
            "" if escaped else "a loss that stays flat: try another --lr, --optimizer, or more units",
            short=f"loss flat at {level:.3g}",
            warning=not escaped,
        )
    ]


def _separated(history: History) -> list[Event]:
    """The first epoch every training point is on its side of the boundary."""
    if "accuracy" not in history.epochs[0].metrics:
        return []
    acc = history.column("accuracy")
    hits = np.flatnonzero(acc >= 1.0)
    if not len(hits):
        return []
    first = int(hits[0])
    epoch = history.epochs[first].epoch
    caption = f"epoch {epoch}: every training point is now on its side"
    return [Event("separated", first, first, caption, short="all points on their side", warning=False)]


def _guessing(history: History, data: Dataset, standardized: bool, found: Sequence[Event]) -> list[Event]:
    """A run that ends no better than always guessing the commonest class (or the mean), with its likely cause;
    or one held back by inputs on a scale the units cannot use (``--no-standardize``)."""
    last = history.last.metrics
    y = np.asarray(data.y)
    end = len(history) - 1
    if "accuracy" in last:
        values, counts = np.unique(y, return_counts=True)
        base = counts.max() / len(y)
        names = data.class_names
        common = names[int(values[counts.argmax()])] if names else str(values[counts.argmax()])
        nothing, fair = last["accuracy"] <= base + 0.02, last["accuracy"] >= FAIR_ACCURACY
        caption = f"no better than always guessing {common!r} ({base:.0%})"
    elif "r2" in last:
        nothing, fair = last["r2"] <= 0.05, last["r2"] >= FAIR_R2
        caption = f"no better than predicting the mean (R² {last['r2']:.2f})"
    else:
        return []
    cause = _cause(data, standardized, found)
    if nothing:
        return [Event("no better than guessing", end, end, caption, cause, short="no better than guessing")]
    if not fair and _unscaled(data, standardized):
        return [
            Event("unscaled", end, end, "held back: the inputs are not standardised", cause, short="inputs unscaled")
        ]
    return []


def _unscaled(data: Dataset, standardized: bool) -> bool:
    """Inputs far from the unit scale the units work in (a file's own units, not standardised)."""
    X = np.asarray(data.X, dtype=np.float64)
    if standardized or not len(X):
        return False
    lo, hi = X.min(axis=0), X.max(axis=0)
    spread = np.maximum(np.abs(lo), np.abs(hi))
    return bool(spread.max() > 10 or (hi - lo).max() > 20 or spread.max() < 0.05)


def _cause(data: Dataset, standardized: bool, found: Sequence[Event]) -> str:
    """The likeliest reason a run learned nothing, and the flag that fixes it."""
    X = np.asarray(data.X, dtype=np.float64)
    if _unscaled(data, standardized):
        lo, hi = X.min(axis=0), X.max(axis=0)
        span = ", ".join(f"{a:.3g} to {b:.3g}" for a, b in zip(lo[:3], hi[:3]))
        return (
            f"the inputs are not standardised (they span {span}): the units saturate or barely move; "
            "drop --no-standardize"
        )
    kinds = {e.kind for e in found}
    if "dead" in kinds:
        return "its relu units died: try --activation leaky_relu or a smaller --lr"
    if "saturated" in kinds:
        return "its units saturated: standardise the inputs or use a smaller --lr"
    return "try more --epochs, another --lr, or wider --hidden layers"


EVENT_COLUMNS = ("event", "from_epoch", "to_epoch", "layer", "units", "caption", "advice")


def write_events(events: Sequence[Event], history: History, dest: str | os.PathLike[str]) -> Path:
    """The events as a CSV beside the run's history (atomic): one row each, epochs as the History numbers them."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(EVENT_COLUMNS)
    for e in events:
        units = " ".join(str(u + 1) for u in e.units)
        row = (e.kind, history.epochs[e.start].epoch, history.epochs[e.end].epoch, e.layer or "", units, e.caption)
        out.writerow((*row, e.advice))
    return write_text_atomic(dest, buf.getvalue())


def summary(events: Sequence[Event], history: History) -> list[str]:
    """One line per event for the end of a run: when, what, and what to try."""
    lines = []
    for e in events:
        first, last = history.epochs[e.start].epoch, history.epochs[e.end].epoch
        when = f"epoch {first}" if first == last else f"epochs {first}-{last}"
        text = e.caption.removeprefix(f"epoch {first}: ")
        lines.append(f"{when}: {text}" + (f"; {e.advice}" if e.advice else ""))
    return lines
