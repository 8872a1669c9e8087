"""MNIST files as users have them: IDX pairs (gzipped or not) and Keras' mnist.npz, good and malformed.

Every file here is generated small in the standard formats: IDX is a big-endian
magic number (0x00000803 images, 0x00000801 labels), one 32-bit size per
dimension, then unsigned bytes.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nnviz.cli import cli
from nnviz.engine.data import load_dataset, mnist
from nnviz.errors import DataError

H, W = 4, 3


def _pixels(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, H, W), dtype=np.uint8)


def _labels(n: int, seed: int = 0) -> np.ndarray:
    return (np.arange(n) + seed) % 10


def idx_images(images: np.ndarray) -> bytes:
    return struct.pack(">IIII", 0x00000803, *images.shape) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x00000801, len(labels)) + labels.astype(np.uint8).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def idx_pair(folder: Path, split: str, n: int, gz: bool = False, seed: int = 0) -> tuple[Path, np.ndarray, np.ndarray]:
    X, y = _pixels(n, seed), _labels(n, seed)
    images = write(folder / f"{split}-images-idx3-ubyte", idx_images(X), gz)
    write(folder / f"{split}-labels-idx1-ubyte", idx_labels(y), gz)
    return images, X, y


def one_line_error(path: Path, message: str, **kwargs: object) -> None:
    with pytest.raises(DataError) as info:
        load_dataset("mnist", path=str(path), **kwargs)
    text = str(info.value)
    assert "\n" not in text
    assert re.search(message, text), text


# --- IDX: good files -----------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True])
def test_idx_pair_is_scaled_flattened_and_labelled(tmp_path: Path, gz: bool) -> None:
    images, X, y = idx_pair(tmp_path, "train", 12, gz)
    data = load_dataset("mnist", path=str(images))
    assert data.name == "mnist" and data.task == "multiclass" and data.class_names == tuple("0123456789")
    assert data.X.shape == (12, H * W) and data.X.dtype == np.float64
    assert np.array_equal(data.X, X.reshape(12, -1) / 255.0) and data.X.max() <= 1.0
    assert data.y.tolist() == y.tolist() and data.X_test.shape == (0, H * W)
    assert data.feature_names[:2] == ("px0", "px1") and len(data.feature_names) == H * W
    assert data.note == f"12 images from {images.name}"


def test_labels_path_finds_its_images_and_gzip_goes_by_content(tmp_path: Path) -> None:
    X, y = _pixels(8), _labels(8)
    write(tmp_path / "train-images-idx3-ubyte", idx_images(X), gz=True)  # only the images are gzipped
    labels = write(tmp_path / "train-labels-idx1-ubyte", idx_labels(y))
    data = load_dataset("mnist", path=str(labels))
    assert data.y.tolist() == y.tolist() and np.array_equal(data.X * 255, X.reshape(8, -1))


def test_t10k_files_beside_the_training_files_are_the_test_set(tmp_path: Path) -> None:
    images, _, _ = idx_pair(tmp_path, "train", 20)
    _, X_test, y_test = idx_pair(tmp_path, "t10k", 6, gz=True, seed=1)
    data = load_dataset("mnist", path=str(images), test_fraction=0.3)
    assert len(data.y) == 20 and data.y_test.tolist() == y_test.tolist()
    assert np.array_equal(data.X_test * 255, X_test.reshape(6, -1))
    assert data.note == (
        "20 training images from train-images-idx3-ubyte, 6 test images from t10k-images-idx3-ubyte.gz; "
        "test set: the file's own split; test_fraction = 0.3 is ignored"
    )


def test_without_a_test_split_test_fraction_applies(tmp_path: Path) -> None:
    images, _, _ = idx_pair(tmp_path, "train", 20)
    data = load_dataset("mnist", path=str(images), test_fraction=0.25)
    assert (len(data.y), len(data.y_test)) == (15, 5)


def test_n_samples_subsets_training_rows_only(tmp_path: Path) -> None:
    images, _, _ = idx_pair(tmp_path, "train", 20)
    idx_pair(tmp_path, "t10k", 6, seed=1)
    a = load_dataset("mnist", path=str(images), n_samples=8, seed=4)
    b = load_dataset("mnist", path=str(images), n_samples=8, seed=4)
    assert len(a.y) == 8 and len(a.y_test) == 6 and np.array_equal(a.X, b.X)


def test_cli_trains_on_an_idx_file_named_by_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    images, _, _ = idx_pair(tmp_path, "train", 30, gz=True)
    result = CliRunner().invoke(cli, ["train", "-q", "--epochs", "2", "--data", images.name, "--history", "h.csv"])
    assert result.exit_code == 0, result.output
    assert "stopped at epoch 2" in result.output


# --- npz: good files --------------------------------------------------------------------

@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_keras_npz_uses_its_test_split(tmp_path: Path, save) -> None:
    X, y, X_test, y_test = _pixels(10), _labels(10), _pixels(4, 1), _labels(4, 1)
    path = tmp_path / "mnist.npz"
    save(path, x_train=X, y_train=y, x_test=X_test, y_test=y_test)
    data = load_dataset("mnist", path=str(path))
    assert data.X.shape == (10, H * W) and data.X_test.shape == (4, H * W)
    assert np.array_equal(data.X * 255, X.reshape(10, -1)) and data.y_test.tolist() == y_test.tolist()
    assert data.note == "10 training and 4 test images from mnist.npz (x_train/x_test); test set: the file's own split"


def test_npz_with_only_a_training_pair(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=_pixels(10), y_train=_labels(10))
    data = load_dataset("mnist", path=str(path), test_fraction=0.2)
    assert (len(data.y), len(data.y_test)) == (8, 2) and data.note == "10 images from mnist.npz"


# --- malformed files ----------------------------------------------------------------------

def test_bad_magic_number(tmp_path: Path) -> None:
    X = _pixels(3)
    path = write(tmp_path / "train-images-idx3-ubyte", struct.pack(">IIII", 0x00000802, 3, H, W) + X.tobytes())
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(3)))
    one_line_error(path, r"magic number 0x00000802 is not IDX images \(expected 0x00000803\)")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_images(tmp_path: Path, gz: bool) -> None:
    data = idx_images(_pixels(5))[:-10]
    path = write(tmp_path / "train-images-idx3-ubyte", data, gz)
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(5)), gz)
    one_line_error(path, r"train-images-idx3-ubyte(\.gz)? is truncated: images 5x4x3 needs 60 bytes, found 50$")


def test_truncated_header(tmp_path: Path) -> None:
    path = write(tmp_path / "train-images-idx3-ubyte", struct.pack(">II", 0x00000803, 5))
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(5)))
    one_line_error(path, r"is truncated: the IDX header needs 4 bytes, found 0")


def test_trailing_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "train-images-idx3-ubyte", idx_images(_pixels(5)) + b"\x00")
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(5)))
    one_line_error(path, r"has bytes after its images 5x4x3; it is malformed")


def test_mismatched_counts(tmp_path: Path) -> None:
    path = write(tmp_path / "train-images-idx3-ubyte", idx_images(_pixels(5)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(4)))
    one_line_error(path, r"train-labels-idx1-ubyte: 4 labels for 5 images; the counts must match")


def test_label_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path / "train-images-idx3-ubyte", idx_images(_pixels(3)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(np.array([1, 10, 2])))
    one_line_error(path, r"label 10 is out of range; MNIST labels are 0\.\.9")


def test_missing_partner_file(tmp_path: Path) -> None:
    path = write(tmp_path / "train-images-idx3-ubyte", idx_images(_pixels(3)))
    one_line_error(path, r"the matching labels file \(train-labels\.\.\.\) is not beside it")


def test_unrecognised_name(tmp_path: Path) -> None:
    path = write(tmp_path / "digits.bin", idx_images(_pixels(3)))
    one_line_error(path, r"digits\.bin is not a recognised MNIST file; expected mnist\.npz or an IDX pair")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda gz: gz[:-8] + bytes(b ^ 0xFF for b in gz[-8:-4]) + gz[-4:], "CRC check failed"),
        (lambda gz: gz[: len(gz) // 2], "Compressed file ended before the end-of-stream marker was reached"),
    ],
)
def test_damaged_gzip(tmp_path: Path, damage, reason: str) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(gzip.compress(idx_images(_pixels(50)), mtime=0)))
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(50)))
    one_line_error(path, rf"^cannot read data file .*train-images-idx3-ubyte\.gz: {reason}")


def test_header_over_the_memory_cap_is_refused_before_reading(tmp_path: Path) -> None:
    # 200,000 28x28 images would be 1,196 MiB as floats; the body is not even there.
    path = write(tmp_path / "train-images-idx3-ubyte", struct.pack(">IIII", 0x00000803, 200_000, 28, 28))
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(3)))
    one_line_error(path, r"train-images-idx3-ubyte: images 200000x28x28 would take 1,196 MiB as floats; the cap is 512 MiB$")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    one_line_error(tmp_path / "mnist.npz", r"^data file not found: .*mnist\.npz$")
    one_line_error(tmp_path, r"is a folder; give an MNIST file")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": _pixels(3), "y": _labels(3)},
         r"has arrays x, y; expected x_train, y_train, x_test, y_test as in Keras' mnist\.npz"),
        ({"x_train": _pixels(3), "y_train": _labels(3), "x_test": _pixels(2)}, r"has arrays x_train, y_train, x_test; expected"),
        ({"x_train": _pixels(3).astype(np.float32), "y_train": _labels(3)},
         r"x_train has dtype float32; expected 8-bit pixels 0\.\.255"),
        ({"x_train": _pixels(3).astype(np.int16) * 2, "y_train": _labels(3)},
         r"x_train has pixel values outside 0\.\.255"),
        ({"x_train": _pixels(3), "y_train": _labels(2)}, r"2 labels for 3 images; the counts must match"),
        ({"x_train": _pixels(3), "y_train": np.array([0, -1, 3])}, r"label -1 is out of range"),
        ({"x_train": _pixels(3), "y_train": _labels(3).astype(float)},
         r"y_train has shape \(3,\) and dtype float64; expected integer labels"),
        ({"x_train": np.zeros(3, np.uint8), "y_train": _labels(3)}, r"x_train has shape \(3,\); expected images"),
    ],
)
def test_malformed_npz(tmp_path: Path, arrays: dict, message: str) -> None:
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    one_line_error(path, message)


def test_npz_that_is_not_a_zip_or_is_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"not a zip at all")
    one_line_error(path, r"is not a readable \.npz archive")
    np.savez(path, x_train=_pixels(50), y_train=_labels(50))
    path.write_bytes(path.read_bytes()[:300])
    one_line_error(path, r"is not a readable \.npz archive")


def test_npz_header_over_the_memory_cap_is_refused_before_loading(tmp_path: Path) -> None:
    # A .npy header promising 200,000 28x28 images, with no data behind it.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (200_000, 28, 28)})
    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", header.getvalue())  # write_array_header_1_0 includes the magic
        archive.writestr("y_train.npy", b"")
    one_line_error(path, r"mnist\.npz: x_train 200000x28x28 would take 1,196 MiB as floats; the cap is 512 MiB$")


def test_a_header_whose_sizes_overflow_int64_is_refused(tmp_path: Path) -> None:
    # 0xFFFFFFFF^3 bytes wraps round in int64 arithmetic; the cap must still see it as huge.
    path = write(tmp_path / "train-images-idx3-ubyte", struct.pack(">IIII", 0x00000803, *[0xFFFFFFFF] * 3))
    write(tmp_path / "train-labels-idx1-ubyte", idx_labels(_labels(3)))
    one_line_error(path, r"images 4294967295x4294967295x4294967295 would take .* MiB as floats; the cap is 512 MiB$")


def test_the_cap_fits_real_mnist() -> None:
    assert mnist.MAX_ARRAY_BYTES >= 60_000 * 28 * 28 * 8


# --- what zipfile and the .npy parser raise, and files that are not files (issue 22) ----------


def _patched_npz(path: Path, *, flags: int | None = None, method: int | None = None) -> Path:
    """A good mnist.npz whose zip headers claim every member is encrypted (flag bit 0) or
    compressed with a method zipfile does not know (the local and central headers both say so)."""
    np.savez(path, x_train=_pixels(10), y_train=_labels(10))
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(sig)
        while at >= 0:
            if flags is not None:
                struct.pack_into("<H", data, at + flag_at, flags)
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("flags", "method", "raised"),
    [(1, None, "RuntimeError"), (None, 99, "NotImplementedError"), (None, 14, "")],
    ids=["encrypted", "unknown-method", "lzma-claimed"],
)
def test_an_npz_zipfile_cannot_open_is_one_line(tmp_path: Path, flags, method, raised: str) -> None:
    path = _patched_npz(tmp_path / "mnist.npz", flags=flags, method=method)
    one_line_error(path, rf"^data file .*mnist.npz is not a readable \.npz archive: {raised}")
    result = CliRunner().invoke(cli, ["train", "--data", str(path), "--epochs", "1", "--history",
                                      str(tmp_path / "h.csv")])
    assert result.exit_code == 1 and "internal error" not in result.output, result.output
    assert result.output.startswith("Error: data file") and result.output.count("\n") == 1, result.output


def test_an_npz_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    os.mkfifo(path)  # no writer: opening it for reading the usual way would wait for ever
    one_line_error(path, r"^data file .*mnist.npz is a pipe, not a file; give a regular file$")


def test_an_idx_fifo_with_no_writer_does_not_wait_for_ever(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nnviz import bounded

    monkeypatch.setattr(bounded, "FIFO_WAIT", 0.2)
    _, X, y = idx_pair(tmp_path, "train", 4)
    images = tmp_path / "train-images-idx3-ubyte"
    images.unlink()
    os.mkfifo(images)
    one_line_error(images, r"is a pipe that nothing writes to \(waited 0.2 s\); start its writer first$")


def test_an_idx_pair_through_fifos_still_loads(tmp_path: Path) -> None:
    import threading

    X, y = _pixels(5), _labels(5)
    images, labels = tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte"
    os.mkfifo(images)
    labels.write_bytes(idx_labels(y))
    feeder = threading.Thread(target=lambda: images.write_bytes(gzip.compress(idx_images(X), mtime=0)), daemon=True)
    feeder.start()
    data = load_dataset("mnist", path=str(images))
    feeder.join(10)
    assert np.array_equal(data.X, X.reshape(5, -1) / 255.0)
