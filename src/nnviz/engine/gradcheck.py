"""Backpropagation checked against central finite differences.

For each parameter array the relative error is
``||g_backprop - g_numeric|| / (||g_backprop|| + ||g_numeric||)`` (0 when both
vanish), the usual definition that stays meaningful when single entries are
near zero. With float64 and a step of 1e-6 correct gradients give about
1e-9 or better; a wrong derivative gives 1e-2 and up.

Every entry costs two full forward passes, so a wide network (a 1024x1024
layer has a million entries) is checked on a seeded sample of each array's
entries, as practical gradient checkers do: the same seed checks the same
entries. A wrong derivative is wrong for (nearly) every entry it touches, so a
sample catches it; small arrays are checked whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import nn

Array = np.ndarray
TOLERANCE = 1e-6
MAX_ENTRIES = 200  # entries checked per parameter array at most
MIN_ENTRIES = 4  # ... and at least, however costly the network
# Multiply-adds the finite differences may cost in all: a few seconds of NumPy.
# A deep, wide network gets fewer entries per array (down to MIN_ENTRIES).
BUDGET_MACS = 5 * 10**10
SAMPLE_STREAM = 0x67636B  # the sample's own random stream, apart from the weights'


@dataclass(frozen=True)
class GradCheck:
    """Relative error per parameter array, keyed by name (``W1``, ``b1``, ...).

    ``checked`` holds, per array, how many of its entries were compared and
    how many it has (equal when it was checked whole).
    """

    errors: dict[str, float]
    checked: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def worst(self) -> float:
        return max(self.errors.values())

    @property
    def sampled(self) -> bool:
        """Whether any array was checked on a sample of its entries."""
        return any(k < n for k, n in self.checked.values())

    def coverage(self, name: str) -> str:
        """``all 6 entries`` or ``200 of 1,048,576 entries`` for array ``name``."""
        k, n = self.checked[name]
        if k == n:
            return "its 1 entry" if n == 1 else f"all {n:,} entries"
        return f"{k:,} of {n:,} entries"

    def passed(self, tolerance: float = TOLERANCE) -> bool:
        return self.worst <= tolerance


def entries_per_array(model: nn.Model, n_points: int) -> int:
    """How many entries of each array fit ``BUDGET_MACS``: two forward passes each."""
    per_pass = max(1, n_points * sum(a * b for a, b in zip(model.sizes[:-1], model.sizes[1:])))
    arrays = 2 * (len(model.sizes) - 1)
    return int(np.clip(BUDGET_MACS // (2 * arrays * per_pass), MIN_ENTRIES, MAX_ENTRIES))


def choose_entries(params: Sequence[Array], k: int, seed: int) -> list[Array]:
    """Flat indices to check in each array: all of a small one, else ``k`` drawn with ``seed`` (sorted)."""
    rng = np.random.default_rng([seed, SAMPLE_STREAM])
    return [np.arange(p.size) if p.size <= k else np.sort(rng.choice(p.size, k, replace=False)) for p in params]


def numeric_entries(
    model: nn.Model, params: Sequence[Array], X: Array, y: Array, entries: Sequence[Array], step: float = 1e-6
) -> list[Array]:
    """d loss / d theta at the flat indices ``entries[k]`` of each array ``k``, by central differences."""
    work = [p.copy() for p in params]
    grads: list[Array] = []
    for p, idx in zip(work, entries):
        flat = p.reshape(-1)
        g = np.zeros(len(idx))
        for n, i in enumerate(idx):
            keep = flat[i]
            flat[i] = keep + step
            up = nn.loss(model, work, X, y)
            flat[i] = keep - step
            down = nn.loss(model, work, X, y)
            flat[i] = keep
            g[n] = (up - down) / (2 * step)
        grads.append(g)
    return grads


def numeric_gradient(model: nn.Model, params: Sequence[Array], X: Array, y: Array, step: float = 1e-6) -> list[Array]:
    """d loss / d theta for every entry, by central differences."""
    every = [np.arange(p.size) for p in params]
    return [g.reshape(p.shape) for p, g in zip(params, numeric_entries(model, params, X, y, every, step))]


def relative_error(a: Array, b: Array) -> float:
    scale = float(np.linalg.norm(a) + np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / scale if scale > 0 else 0.0


def check_run(
    model: nn.Model, X: Array, y: Array, *, seed: int, init: str = "glorot_uniform", std: float = 0.05
) -> GradCheck:
    """Check a configured network at its seeded initial weights.

    Biases start at zero, which parks relu units exactly on their kink for
    some inputs, where the derivative is one-sided and no finite difference
    can agree with it. So the check draws small random biases too.
    """
    rng = np.random.default_rng(seed)
    params = nn.init_params(model, rng, init, std)
    params = tuple(p + rng.normal(0.0, 0.1, p.shape) if p.ndim == 1 else p for p in params)
    return check_gradients(model, params, X, y, seed=seed)


def check_gradients(
    model: nn.Model, params: Sequence[Array], X: Array, y: Array, *, seed: int = 0, per_array: int | None = None
) -> GradCheck:
    """Compare backprop with finite differences for every parameter array.

    Each array is compared on at most ``per_array`` entries (default:
    ``entries_per_array``), chosen with ``seed``; a smaller array whole.
    """
    _, analytic = nn.loss_and_grads(model, params, X, y)
    entries = choose_entries(params, per_array or entries_per_array(model, len(X)), seed)
    numeric = numeric_entries(model, params, X, y, entries)
    names = model.param_names()
    errors = {n: relative_error(a.reshape(-1)[i], b) for n, a, b, i in zip(names, analytic, numeric, entries)}
    checked = {n: (len(i), p.size) for n, p, i in zip(names, params, entries)}
    return GradCheck(errors, checked)
