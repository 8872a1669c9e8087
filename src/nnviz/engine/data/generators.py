"""Generated and bundled datasets: pure functions ``(n_samples, noise, rng) -> (X, y)``.

Each draws only from the ``np.random.Generator`` it is handed, so the same
seed always gives bit-identical arrays.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

from ...errors import DataError
from .base import DatasetSpec

Array = np.ndarray


def _even_split(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` near-equal counts; earlier parts take the remainder."""
    base, extra = divmod(n, parts)
    return [base + (i < extra) for i in range(parts)]


def _shuffled(X: Array, y: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    # Generators build class by class; mixing the order lets every mini-batch see all classes.
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.float64)


def _gaussian_groups(
    centres: Sequence[tuple[float, float]],
    counts: Sequence[int],
    labels: Sequence[int],
    std: float,
    rng: np.random.Generator,
) -> tuple[Array, Array]:
    X = np.concatenate([rng.normal(c, std, size=(k, 2)) for c, k in zip(centres, counts)])
    y = np.repeat(np.asarray(labels, dtype=np.float64), counts)
    return _shuffled(X, y, rng)


def make_blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Class 1 is the middle blob (half the points); class 0 the two outer blobs."""
    middle = (n + 1) // 2  # the odd point goes to the middle so the classes stay as even as possible
    low, high = _even_split(n - middle, 2)
    return _gaussian_groups([(-1, -1), (0, 0), (1, 1)], [low, middle, high], [0, 1, 0], noise, rng)


def make_blobs3(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """The blobs geometry with each blob its own class."""
    return _gaussian_groups([(-1, -1), (0, 0), (1, 1)], _even_split(n, 3), [0, 1, 2], noise, rng)


def make_gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two linearly separable blobs: class 0 at (-1.5, -1.5), class 1 at (1.5, 1.5)."""
    return _gaussian_groups([(-1.5, -1.5), (1.5, 1.5)], _even_split(n, 2), [0, 1], noise, rng)


def make_xor(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Uniform on [-1, 1]^2, class 1 where x0*x1 > 0; jitter comes after labelling."""
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    # Jittering after labelling (as TensorFlow Playground does) puts some points on the wrong side.
    X = X + rng.normal(0.0, noise, size=X.shape)
    return _shuffled(X, y, rng)


def make_sine(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Regression: t = x + 0.3 sin(2 pi x) + U(-noise, noise), x ~ U(0, 1)."""
    x = rng.uniform(0.0, 1.0, size=n)
    t = x + 0.3 * np.sin(2 * np.pi * x) + rng.uniform(-noise, noise, size=n)
    return _shuffled(x[:, None], t, rng)


def make_circles(n: int, noise: float, rng: np.random.Generator, factor: float = 0.5) -> tuple[Array, Array]:
    """As sklearn's make_circles: outer circle class 0, inner (radius ``factor``) class 1."""
    n_out, n_in = n // 2, n - n // 2
    a_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.c_[np.cos(a_out), np.sin(a_out)], factor * np.c_[np.cos(a_in), np.sin(a_in)]])
    y = np.repeat([0.0, 1.0], [n_out, n_in])
    return _shuffled(X + rng.normal(0.0, noise, size=X.shape), y, rng)


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """As sklearn's make_moons: the upper moon class 0, the lower one class 1."""
    n_out, n_in = n // 2, n - n // 2
    a_out = np.linspace(0.0, np.pi, n_out)
    a_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate([np.c_[np.cos(a_out), np.sin(a_out)], np.c_[1 - np.cos(a_in), 0.5 - np.sin(a_in)]])
    y = np.repeat([0.0, 1.0], [n_out, n_in])
    return _shuffled(X + rng.normal(0.0, noise, size=X.shape), y, rng)


SPIRAL_TURNS = 1.75  # TensorFlow Playground's value


def make_spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Two interleaved spirals of radius 1 (class 1 starts at angle 0, class 0 at pi).

    TensorFlow Playground draws radius 5 with jitter ``U(-1, 1) * noise``;
    we scale the spiral to radius 1 and keep ``noise`` in those same units,
    so noise 0.1 moves a point at most 0.1 per coordinate.
    """
    arms = []
    for count, phase in zip(_even_split(n, 2), (0.0, np.pi)):
        s = np.arange(count) / max(count, 1)
        angle = SPIRAL_TURNS * 2 * np.pi * s + phase
        arms.append(np.c_[s * np.sin(angle), s * np.cos(angle)])
    X = np.concatenate(arms)
    X = X + rng.uniform(-1.0, 1.0, size=X.shape) * noise
    y = np.repeat([1.0, 0.0], _even_split(n, 2))
    return _shuffled(X, y, rng)


DIGITS_FILE = "digits.csv.gz"
DIGITS_ROWS = 1797
DIGIT_NAMES = tuple(str(k) for k in range(10))


@lru_cache(maxsize=1)
def _digits_table() -> Array:
    """The bundled 1,797 x 65 table (64 pixels 0..16, then the label), read once."""
    with resources.files("nnviz.data").joinpath(DIGITS_FILE).open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    table.flags.writeable = False
    return table


def subset(n: int, total: int, what: str, rng: np.random.Generator) -> Array:
    """Row indices: all ``total`` rows in order, or a seeded sorted sample of ``n``."""
    if n > total:
        raise DataError(f"n_samples = {n} is more than the {total:,} rows of {what}; use at most {total}")
    return np.arange(total) if n == total else np.sort(rng.choice(total, size=n, replace=False))


def make_digits(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """UCI handwritten digits (8x8, as scikit-learn ships them), pixels scaled to [0, 1]."""
    table = _digits_table()
    rows = subset(n, len(table), "the digits dataset", rng)
    return table[rows, :-1] / 16.0, table[rows, -1].copy()


BINARY = ("0", "1")

# Defaults are the settings that let each dataset's animation show its lesson;
# README "Datasets" lists what each reaches with them. Wider layers than two
# where a 2-2-1 net cannot learn the data (they are shown projected).
GENERATED: tuple[DatasetSpec, ...] = (
    # The blog's threshold belongs to the blobs: seed 5's draw reaches it at epoch 74.
    DatasetSpec(
        "blobs",
        "binary",
        "three Gaussian blobs on a diagonal; the middle one is class 1",
        make_blobs,
        n_samples=400,
        noise=0.5,
        class_names=BINARY,
        defaults={"train.stop_loss": 0.263},
    ),
    DatasetSpec(
        "blobs3",
        "multiclass",
        "three Gaussian blobs on a diagonal, one class each",
        make_blobs3,
        n_samples=600,
        noise=0.5,
        class_names=("0", "1", "2"),
        defaults={"train.lr": 0.02, "train.epochs": 150},
    ),
    DatasetSpec(
        "xor",
        "binary",
        "uniform square, class 1 in the quadrants where x0*x1 > 0",
        make_xor,
        n_samples=1000,
        noise=0.0,
        class_names=BINARY,
        defaults={"model.hidden": (4,), "train.lr": 0.03, "train.epochs": 150, "train.stop_loss": 0.05},
    ),
    # A wide normal init starts the tanh units outside their linear middle;
    # from Glorot's small weights Adam settles on a straight line (R^2 ~ 0.5).
    DatasetSpec(
        "sine",
        "regression",
        "1-D regression: t = x + 0.3 sin(2 pi x) + uniform noise",
        make_sine,
        n_samples=100,
        noise=0.1,
        defaults={
            "model.init": "normal",
            "model.init_std": 4.0,
            "train.lr": 0.02,
            "train.batch_size": 10,
            "train.epochs": 300,
            "train.seed": 0,
        },
    ),
    DatasetSpec(
        "circles",
        "binary",
        "a small circle (class 1) inside a larger one",
        make_circles,
        n_samples=400,
        noise=0.1,
        class_names=BINARY,
        defaults={"model.hidden": (4,), "train.lr": 0.03, "train.epochs": 200, "train.stop_loss": 0.05},
    ),
    DatasetSpec(
        "moons",
        "binary",
        "two interleaving half circles",
        make_moons,
        n_samples=400,
        noise=0.1,
        class_names=BINARY,
        defaults={"model.hidden": (3,), "train.lr": 0.03, "train.epochs": 200, "train.stop_loss": 0.05},
    ),
    # Depth untangles the spirals; the last hidden layer is 2 wide and shown exactly.
    DatasetSpec(
        "spiral",
        "binary",
        "two interleaved spirals (TensorFlow Playground)",
        make_spiral,
        n_samples=400,
        noise=0.1,
        class_names=BINARY,
        defaults={"model.hidden": (16, 16, 2), "train.epochs": 400, "train.stop_loss": 0.05, "train.seed": 0},
    ),
    DatasetSpec(
        "gaussians",
        "binary",
        "two linearly separable Gaussian blobs",
        make_gaussians,
        n_samples=400,
        noise=0.5,
        class_names=BINARY,
        defaults={"train.epochs": 100, "train.stop_loss": 0.02},
    ),
    # Ten classes through a 2-unit bottleneck (layer 2).
    DatasetSpec(
        "digits",
        "multiclass",
        "8x8 handwritten digits 0-9 (UCI, bundled), 64 pixels in [0, 1]",
        make_digits,
        n_samples=DIGITS_ROWS,
        class_names=DIGIT_NAMES,
        defaults={"model.hidden": (32, 2), "train.epochs": 60},
        image_shape=(8, 8),
    ),
)
