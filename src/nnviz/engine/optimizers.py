"""First-order optimizers, each a small class keeping its state beside the params.

``step`` updates the parameter arrays in place, the way scikit-learn's
``_stochastic_optimizers`` do. Weight decay is the coupled L2 form
(PyTorch's ``weight_decay``): ``g += decay * W`` for weight matrices only,
never for biases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray


class Optimizer:
    """Base class: subclasses implement ``_update(i, param, grad)``."""

    def __init__(self, params: Sequence[Array], lr: float, weight_decay: float = 0.0) -> None:
        self.lr = lr
        self.weight_decay = weight_decay
        self.t = 0  # steps taken; Adam's bias correction needs it
        # Weights are the 2-D arrays; biases are 1-D and never decayed.
        self._decays = [p.ndim == 2 for p in params]

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.weight_decay and self._decays[i]:
                g = g + self.weight_decay * p
            self._update(i, p, g)

    def _update(self, i: int, p: Array, g: Array) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    def _update(self, i: int, p: Array, g: Array) -> None:
        p -= self.lr * g


class Momentum(Optimizer):
    """Heavy-ball momentum, PyTorch form: ``v = mu v + g; p -= lr v``.

    With a constant learning rate this is the same trajectory as Keras'
    ``v = mu v - lr g; p += v``.
    """

    mu = 0.9

    def __init__(self, params: Sequence[Array], lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.velocity = [np.zeros_like(p) for p in params]

    def _update(self, i: int, p: Array, g: Array) -> None:
        v = self.velocity[i]
        v *= self.mu
        v += g
        p -= self.lr * v


class Adam(Optimizer):
    """Adam with bias correction: ``p -= lr * m_hat / (sqrt(v_hat) + eps)``."""

    beta1, beta2, eps = 0.9, 0.999, 1e-7

    def __init__(self, params: Sequence[Array], lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        # Two scratch arrays per parameter instead of seven temporaries a step.
        self._scratch = [(np.empty_like(p), np.empty_like(p)) for p in params]

    def _update(self, i: int, p: Array, g: Array) -> None:
        # p -= lr * m_hat / (sqrt(v_hat) + eps): the same operations in the
        # same order as the plain expression (x * y == y * x exactly), so the
        # same bits, written into scratch arrays.
        m, v = self.m[i], self.v[i]
        a, denom = self._scratch[i]
        m *= self.beta1
        m += np.multiply(g, 1 - self.beta1, out=a)
        v *= self.beta2
        np.multiply(g, 1 - self.beta2, out=a)
        v += np.multiply(a, g, out=a)  # ((1 - beta2) * g) * g
        m_hat = np.divide(m, 1 - self.beta1**self.t, out=a)
        np.divide(v, 1 - self.beta2**self.t, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.eps
        np.multiply(m_hat, self.lr, out=m_hat)
        p -= np.divide(m_hat, denom, out=m_hat)


class RMSprop(Optimizer):
    """RMSprop: ``v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + eps)``."""

    rho, eps = 0.9, 1e-7

    def __init__(self, params: Sequence[Array], lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.v = [np.zeros_like(p) for p in params]

    def _update(self, i: int, p: Array, g: Array) -> None:
        v = self.v[i]
        v *= self.rho
        v += (1 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(v) + self.eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "adam": Adam,
    "rmsprop": RMSprop,
}


class Fused:
    """Steps every parameter at once, as views into one flat buffer.

    An elementwise update gives the same bits whether it runs array by array
    or on their concatenation, so this is the named optimizer's trajectory
    with a quarter of the NumPy calls per step for a 2-layer net (at small
    sizes the per-call overhead, not the arithmetic, is what costs).
    ``params`` and ``grads`` are the views: write gradients into ``grads``,
    then call ``step()``; ``params`` change in place.
    """

    def __init__(self, name: str, params: Sequence[Array], lr: float, weight_decay: float = 0.0) -> None:
        self.flat = np.concatenate([p.ravel() for p in params])
        self.grad_flat = np.empty_like(self.flat)
        self.params = self._views(self.flat, params)
        self.grads = self._views(self.grad_flat, params)
        self.weight_decay = weight_decay
        # Coupled L2 on weights only (2-D), applied here so the inner optimizer never decays.
        self._decayed = [(g, p) for g, p in zip(self.grads, self.params) if p.ndim == 2]
        self.opt = OPTIMIZERS[name]([self.flat], lr, 0.0)

    @staticmethod
    def _views(flat: Array, like: Sequence[Array]) -> list[Array]:
        bounds = np.cumsum([0] + [p.size for p in like])
        return [flat[lo:hi].reshape(p.shape) for lo, hi, p in zip(bounds[:-1], bounds[1:], like)]

    def step(self) -> None:
        if self.weight_decay:
            for g, p in self._decayed:
                g += self.weight_decay * p  # the same sum as Optimizer.step's g + decay * p
        self.opt.step([self.flat], [self.grad_flat])
