"""MNIST-style image files: the IDX pair (images + labels) and Keras' ``mnist.npz``.

Both give 8-bit grey images and integer labels 0..9. ``read`` returns the
pixels scaled to [0, 1] and flattened, plus the file's own test split when it
has one (``t10k-*`` beside ``train-*``, or ``x_test``/``y_test`` in the npz).

Every size is read from a header and checked against ``MAX_ARRAY_BYTES``
before anything is allocated, and every malformed file becomes one
``DataError`` line naming the file.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ...bounded import open_input, open_regular
from ...errors import DataError
from .base import Dataset, DatasetSpec, ReadOptions

Array = np.ndarray

N_CLASSES = 10
CLASS_NAMES = tuple(str(k) for k in range(N_CLASSES))
# The float64 feature array one file may produce. Full MNIST training data is
# 60,000 x 784 x 8 bytes = 376 MB; EMNIST "byclass" (700k images) is refused.
MAX_ARRAY_BYTES = 512 * 2**20
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

# train-images-idx3-ubyte[.gz], also the "train-images.idx3-ubyte" spelling some mirrors use.
_IDX_NAME = re.compile(r"(?P<split>.*)-(?P<kind>images|labels)(?P<sep>[.-])idx(?P<dims>[13])-ubyte(?P<gz>\.gz)?", re.I)
SUFFIXES = (".npz", "-ubyte", "-ubyte.gz")  # how --data PATH is recognised as an MNIST file


@dataclass(frozen=True)
class Images:
    """Flattened pixels in [0, 1] and labels as float64; the test pair may be empty."""

    X: Array
    y: Array
    X_test: Array
    y_test: Array
    note: str


def read(path: Path) -> Images:
    """Read an MNIST ``.npz`` or an IDX images (or labels) file and its partners."""
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"data.path {path} is a folder; give an MNIST file (mnist.npz or train-images-idx3-ubyte[.gz])")
    if path.suffix.lower() == ".npz":
        return _read_npz(path)
    return _read_idx_pair(path)


# --- budgeting and scaling ------------------------------------------------------


def _check_budget(path: Path, what: str, shape: tuple[int, ...]) -> None:
    # Python ints: three 32-bit header sizes can overflow int64 (a corrupt header must not wrap round the cap).
    need = math.prod(shape) * 8  # as float64
    if need > MAX_ARRAY_BYTES:
        raise DataError(
            f"data file {path}: {what} {'x'.join(map(str, shape))} would take {need / 2**20:,.0f} MiB as floats; "
            f"the cap is {MAX_ARRAY_BYTES / 2**20:,.0f} MiB"
        )


def _pixels(path: Path, what: str, raw: Array) -> Array:
    if raw.ndim < 2:
        raise DataError(f"data file {path}: {what} has shape {raw.shape}; expected images (n, height, width)")
    if len(raw) == 0 or raw[0].size == 0:
        raise DataError(f"data file {path}: {what} holds no images ({'x'.join(map(str, raw.shape))})")
    if not np.issubdtype(raw.dtype, np.integer):
        raise DataError(f"data file {path}: {what} has dtype {raw.dtype}; expected 8-bit pixels 0..255")
    if raw.size and (raw.min() < 0 or raw.max() > 255):
        raise DataError(f"data file {path}: {what} has pixel values outside 0..255")
    return raw.reshape(len(raw), -1).astype(np.float64) / 255.0


def _labels(path: Path, what: str, raw: Array, n_images: int) -> Array:
    if raw.ndim != 1 or not np.issubdtype(raw.dtype, np.integer):
        raise DataError(
            f"data file {path}: {what} has shape {raw.shape} and dtype {raw.dtype}; expected integer labels (n,)"
        )
    if len(raw) != n_images:
        raise DataError(f"data file {path}: {len(raw)} labels for {n_images} images; the counts must match")
    if raw.size and (raw.min() < 0 or raw.max() >= N_CLASSES):
        bad = raw[(raw < 0) | (raw >= N_CLASSES)][0]
        raise DataError(f"data file {path}: label {bad} is out of range; MNIST labels are 0..{N_CLASSES - 1}")
    return raw.astype(np.float64)


# --- IDX ------------------------------------------------------------------------------


# An IDX file's bytes at most (gzipped or not): its header, then at most the
# pixels MAX_ARRAY_BYTES allows as floats, one byte each. A FIFO or device has
# no size to refuse up front, so reading stops here.
MAX_IDX_BYTES = MAX_ARRAY_BYTES // 8 + 4096


@contextlib.contextmanager
def _open(path: Path) -> Iterator[BinaryIO]:
    with open_input(path, f"data file {path}", MAX_IDX_BYTES, "give the MNIST file itself", text=False) as raw:
        # Go by the gzip magic bytes, not the name: a renamed file still reads.
        if raw.peek(2)[:2] != b"\x1f\x8b":
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield unzipped  # type: ignore[misc]


def _read_exact(f: BinaryIO, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise DataError(f"data file {path} is truncated: {what} needs {n:,} bytes, found {len(data):,}")
    return data


def read_idx(path: Path, magic: int) -> Array:
    """One IDX file of unsigned bytes whose magic number must be ``magic``."""
    kind = "images" if magic == IMAGES_MAGIC else "labels"
    try:
        with _open(path) as f:
            head = _read_exact(f, 4, path, "the IDX header")
            found = int.from_bytes(head, "big")
            if found != magic:
                raise DataError(
                    f"data file {path}: magic number 0x{found:08x} is not IDX {kind} (expected 0x{magic:08x})"
                )
            ndim = magic & 0xFF
            dims = tuple(int.from_bytes(_read_exact(f, 4, path, "the IDX header"), "big") for _ in range(ndim))
            _check_budget(path, kind, dims)
            count = math.prod(dims)
            body = _read_exact(f, count, path, f"{kind} {'x'.join(map(str, dims))}")
            if f.read(1):
                raise DataError(
                    f"data file {path} has bytes after its {kind} {'x'.join(map(str, dims))}; it is malformed"
                )
    except (DataError, MemoryError):
        raise
    except (OSError, EOFError, zlib.error) as e:
        # gzip raises these for a damaged stream.
        raise DataError(f"cannot read data file {path}: {getattr(e, 'strerror', None) or e}") from None
    except Exception as e:  # anything else gzip or zlib raise on a file they cannot read: the same one line
        raise DataError(f"cannot read data file {path}: {type(e).__name__}: {e}") from None
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _partner(path: Path, kind: str, split: str | None = None) -> Path | None:
    """The file beside ``path`` holding ``kind`` (images/labels) of ``split``; gzipped or not."""
    m = _IDX_NAME.fullmatch(path.name)
    assert m is not None
    dims = "3" if kind == "images" else "1"
    stem = f"{split if split is not None else m['split']}-{kind}{m['sep']}idx{dims}-ubyte"
    for name in (stem + (m["gz"] or ""), stem, stem + ".gz"):
        if (path.parent / name).is_file():
            return path.parent / name
    return None


def _read_idx_split(images: Path, labels: Path) -> tuple[Array, Array]:
    raw = read_idx(images, IMAGES_MAGIC)
    X = _pixels(images, "images", raw)
    return X, _labels(labels, "labels", read_idx(labels, LABELS_MAGIC), len(X))


def _read_idx_pair(path: Path) -> Images:
    m = _IDX_NAME.fullmatch(path.name)
    if m is None:
        raise DataError(
            f"data file {path} is not a recognised MNIST file; expected mnist.npz or an IDX pair named like "
            "train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]"
        )
    images = path if m["kind"].lower() == "images" else _partner(path, "images")
    labels = path if m["kind"].lower() == "labels" else _partner(path, "labels")
    if images is None or labels is None:
        missing = "images" if images is None else "labels"
        raise DataError(f"data file {path}: the matching {missing} file ({m['split']}-{missing}...) is not beside it")
    X, y = _read_idx_split(images, labels)
    # The training files come with a t10k-* test pair in the same folder.
    test_images = _partner(images, "images", "t10k") if m["split"].lower() == "train" else None
    test_labels = _partner(images, "labels", "t10k") if m["split"].lower() == "train" else None
    if test_images is None or test_labels is None:
        return Images(X, y, np.empty((0, X.shape[1])), np.empty(0), f"{len(y):,} images from {images.name}")
    X_test, y_test = _read_idx_split(test_images, test_labels)
    _same_size(path, X, X_test)
    return Images(
        X,
        y,
        X_test,
        y_test,
        f"{len(y):,} training images from {images.name}, {len(y_test):,} test images from {test_images.name}",
    )


def _same_size(path: Path, X: Array, X_test: Array) -> None:
    if X.shape[1] != X_test.shape[1]:
        raise DataError(f"data file {path}: training images have {X.shape[1]} pixels but test images {X_test.shape[1]}")


# --- npz ------------------------------------------------------------------------------


def _npz_shape(path: Path, archive: zipfile.ZipFile, key: str) -> tuple[int, ...]:
    """A member's shape from its .npy header, without loading the data."""
    with archive.open(f"{key}.npy") as member:
        version = np.lib.format.read_magic(member)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, _ = reader(member)
    return tuple(shape)


def _read_npz(path: Path) -> Images:
    try:
        with open_regular(path, f"data file {path}") as f:
            X, y, X_test, y_test = _npz_arrays(path, f)
    except DataError:
        raise
    except MemoryError:
        raise  # the CLI names the stage that ran out
    except Exception as e:
        # zipfile, zlib, bz2, lzma and NumPy's .npy parser each raise their own kinds on a damaged or
        # unusual archive: RuntimeError (an encrypted member), NotImplementedError (an unknown
        # compression method), lzma.LZMAError, struct.error, ValueError (a pickled member), EOFError...
        # All of them mean the same to the user, so all of them get the same one line.
        raise DataError(f"data file {path} is not a readable .npz archive: {type(e).__name__}: {e}") from None
    if X_test is None or y_test is None:
        return Images(X, y, np.empty((0, X.shape[1])), np.empty(0), f"{len(y):,} images from {path.name}")
    _same_size(path, X, X_test)
    return Images(
        X, y, X_test, y_test, f"{len(y):,} training and {len(y_test):,} test images from {path.name} (x_train/x_test)"
    )


def _npz_arrays(path: Path, f: BinaryIO) -> tuple[Array, Array, Array | None, Array | None]:
    with zipfile.ZipFile(f) as archive:
        keys = [n[:-4] for n in archive.namelist() if n.endswith(".npy")]
        if not {"x_train", "y_train"} <= set(keys) or ("x_test" in keys) != ("y_test" in keys):
            raise DataError(
                f"data file {path} has arrays {', '.join(keys) or '(none)'}; expected "
                f"{', '.join(NPZ_KEYS)} as in Keras' mnist.npz (the test pair may be left out)"
            )
        for key in NPZ_KEYS:
            if key in keys:
                _check_budget(path, key, _npz_shape(path, archive, key))
    f.seek(0)
    with np.load(f, allow_pickle=False) as npz:
        X = _pixels(path, "x_train", npz["x_train"])
        y = _labels(path, "y_train", npz["y_train"], len(X))
        if "x_test" not in keys:
            return X, y, None, None
        X_test = _pixels(path, "x_test", npz["x_test"])
        return X, y, X_test, _labels(path, "y_test", npz["y_test"], len(X_test))


# --- as a dataset ---------------------------------------------------------------


def _read_dataset(path: Path, options: ReadOptions) -> Dataset:
    images = read(path)
    features = tuple(f"px{i}" for i in range(images.X.shape[1]))
    return Dataset(
        "mnist",
        "multiclass",
        images.X,
        images.y,
        images.X_test,
        images.y_test,
        features,
        CLASS_NAMES,
        images.note,
        image_shape=_square(images.X.shape[1]),
    )


def _square(pixels: int) -> tuple[int, int] | None:
    """MNIST-style images are square (28 x 28); another pixel count gets no pictures."""
    side = math.isqrt(pixels)
    return (side, side) if side * side == pixels else None


DATASET = DatasetSpec(
    "mnist",
    "multiclass",
    "your MNIST file (data.path): mnist.npz or train-images-idx3-ubyte[.gz]",
    read=_read_dataset,
    class_names=CLASS_NAMES,
    suffixes=SUFFIXES,
)
