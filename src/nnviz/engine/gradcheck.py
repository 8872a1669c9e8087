"""Backpropagation checked against central finite differences.

For each parameter array the relative error is
``||g_backprop - g_numeric|| / (||g_backprop|| + ||g_numeric||)`` (0 when both
vanish), the usual definition that stays meaningful when single entries are
near zero. With float64 and a step of 1e-6 correct gradients give about
1e-9 or better; a wrong derivative gives 1e-2 and up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import nn

Array = np.ndarray
TOLERANCE = 1e-6


@dataclass(frozen=True)
class GradCheck:
    """Relative error per parameter array, keyed by name (``W1``, ``b1``, ...)."""

    errors: dict[str, float]

    @property
    def worst(self) -> float:
        return max(self.errors.values())

    def passed(self, tolerance: float = TOLERANCE) -> bool:
        return self.worst <= tolerance


def numeric_gradient(model: nn.Model, params: Sequence[Array], X: Array, y: Array, step: float = 1e-6) -> list[Array]:
    """d loss / d theta for every entry, by central differences."""
    work = [p.copy() for p in params]
    grads = [np.zeros_like(p) for p in params]
    for p, g in zip(work, grads):
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + step
            up = nn.loss(model, work, X, y)
            flat[i] = keep - step
            down = nn.loss(model, work, X, y)
            flat[i] = keep
            gflat[i] = (up - down) / (2 * step)
    return grads


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
    return check_gradients(model, params, X, y)


def check_gradients(model: nn.Model, params: Sequence[Array], X: Array, y: Array) -> GradCheck:
    """Compare backprop with finite differences for every parameter array."""
    _, analytic = nn.loss_and_grads(model, params, X, y)
    numeric = numeric_gradient(model, params, X, y)
    names = model.param_names()
    return GradCheck({n: relative_error(a, b) for n, a, b in zip(names, analytic, numeric)})
