"""Data and history CSVs that are not regular files: pipes, FIFOs, devices, NUL bytes.

A regular file is refused by its size before reading; a stream has no size,
so reading itself must stop at the cap with one ``Error: ...`` line, never
grow without bound. The caps are patched small so no test reads much.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nnviz.cli import cli
from nnviz.engine import history
from nnviz.engine.data import csv as csvdata
from nnviz.engine.data import load_csv
from nnviz.engine.data.csv import CappedReader
from nnviz.errors import DataError

CAP = 64 * 2**10
GOOD_CSV = b"x0,x1,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n0.5,0.2,0\n0.9,0.8,1\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_error(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "internal error" not in lines[0]
    return lines[0]


def animate_data(path: Path, tmp_path: Path) -> Result:
    out = tmp_path / "out" / "e.gif"
    return run(
        "animate", "--data", str(path), "-q", "--epochs", "2", "--grid", "10", "--size", "300x100", "--out", str(out)
    )


def start_feeding(path: Path, chunks: list[bytes]) -> threading.Thread:
    """Write ``chunks`` into the FIFO ``path`` from a thread, until they run out or the reader closes its end."""

    def feed() -> None:
        try:
            with path.open("wb") as f:
                for chunk in chunks:
                    f.write(chunk)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def stream(tmp_path: Path) -> Path:
    path = tmp_path / "stream.csv"
    os.mkfifo(path)
    return path


# --- the data CSV ----------------------------------------------------------------


def test_a_stream_with_no_newline_stops_at_the_byte_cap(
    stream: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvdata, "MAX_CSV_BYTES", CAP)
    feeder = start_feeding(stream, [b"1," * 4096] * 64)  # 512 KiB with no newline, 8x the cap
    line = one_error(animate_data(stream, tmp_path))
    feeder.join(timeout=10)
    assert not feeder.is_alive()
    assert line == (
        f"Error: data file {stream} goes on past 64 KiB (the cap): give it a random sample of its rows "
        "(e.g. keep the header and shuf -n 100000 of the rest)"
    )


def test_a_stream_of_rows_past_the_cap_is_refused(stream: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvdata, "MAX_CSV_BYTES", CAP)
    feeder = start_feeding(stream, [b"x0,x1,label\n", *[b"0.5,0.5,1\n" * 1000] * 20])  # 200 KB of good rows
    with pytest.raises(DataError, match="goes on past"):
        load_csv(stream)
    feeder.join(timeout=10)


def test_a_small_csv_through_a_fifo_still_loads(stream: Path) -> None:
    feeder = start_feeding(stream, [GOOD_CSV])
    data = load_csv(stream)
    feeder.join(timeout=10)
    assert data.X.shape == (6, 2) and data.task == "binary"


def test_dev_zero_is_refused_at_once(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    line = one_error(animate_data(Path("/dev/zero"), tmp_path))
    assert line == (
        "Error: data file /dev/zero holds a NUL byte (offset 0): it is a binary file, not CSV text; save it as UTF-8 text"
    )


def test_a_nul_byte_in_a_regular_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"x0,x1,label\n1,\x00,0\n2,2,1\n")
    line = one_error(animate_data(path, tmp_path))
    assert line == (
        f"Error: data file {path} holds a NUL byte (offset 14): it is a binary file, not CSV text; save it as UTF-8 text"
    )


def test_utf16_text_is_called_binary_not_misparsed(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("x0,x1,label\n0,0,0\n1,1,1\n".encode("utf-16"))
    with pytest.raises(DataError, match="holds a NUL byte"):
        load_csv(path)


# --- the reader itself -------------------------------------------------------------


def _read_all(data: bytes, cap: int, line_cap: int | None = None) -> bytes:
    raw = CappedReader(io.BytesIO(data), "test file", cap, "advice", line_cap=line_cap)  # type: ignore[arg-type]
    with io.BufferedReader(raw, buffer_size=16) as f:
        return f.read()


def test_the_reader_allows_exactly_the_cap() -> None:
    assert _read_all(b"a,b\n" * 25, cap=100) == b"a,b\n" * 25
    with pytest.raises(DataError, match=r"^test file goes on past 100 bytes \(the cap\): advice$"):
        _read_all(b"a,b\n" * 25 + b"x", cap=100)


def test_the_reader_counts_lines_against_the_line_cap() -> None:
    assert _read_all(b"12345\n" * 10, cap=1000, line_cap=5) == b"12345\n" * 10
    with pytest.raises(DataError, match=r"^test file: line 3 goes on past"):
        _read_all(b"1\n2\n" + b"x" * 40, cap=1000, line_cap=20)


# --- the history CSV ---------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    dest = tmp_path / "run.csv"
    result = run("train", "--epochs", "2", "--stop-loss", "0", "--n-samples", "40", "--history", str(dest))
    assert result.exit_code == 0, result.output
    return dest.with_suffix(".toml")


def animate_history(path: Path, config: Path, tmp_path: Path) -> Result:
    out = tmp_path / "out" / "h.gif"
    return run("animate", "--history", str(path), "--config", str(config), "-q", "--grid", "10", "--out", str(out))


def test_a_history_from_dev_zero_is_refused(config_file: Path, tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    line = one_error(animate_history(Path("/dev/zero"), config_file, tmp_path))
    assert line.startswith("Error: history file '/dev/zero' holds a NUL byte (offset 0)")


def test_a_history_stream_with_no_newline_stops_at_the_line_cap(
    stream: Path, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "MAX_LINE_BYTES", CAP)
    feeder = start_feeding(stream, [b"1," * 4096] * 64)
    line = one_error(animate_history(stream, config_file, tmp_path))
    feeder.join(timeout=10)
    assert line.startswith(f"Error: history file {str(stream)!r}: line 1 goes on past 64 KiB (the cap for one line)")


def test_a_history_stream_past_the_byte_cap_is_refused(
    stream: Path, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "MAX_CSV_BYTES", CAP)
    rows = config_file.with_suffix(".csv").read_bytes().splitlines(keepends=True)
    feeder = start_feeding(stream, [rows[0], *[rows[1]] * 2000])
    line = one_error(animate_history(stream, config_file, tmp_path))
    feeder.join(timeout=10)
    assert line.startswith(f"Error: history file {str(stream)!r} goes on past 64 KiB (the cap)")


def test_a_saved_history_still_loads(config_file: Path) -> None:
    h = history.read_history(config_file.with_suffix(".csv"))
    assert len(h) == 3
