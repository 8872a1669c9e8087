"""nnviz.bounded: every read has a cap and a kind of file it must be (issue 22, item 3).

A FIFO nobody writes to, a terminal, a socket, a device, a link where nnviz
wrote a file itself: each is one clean ``Error:`` line or "not there", never
a wait for ever or a read without end. Config files, data CSVs, history CSVs,
MNIST files and a sweep's markers all read through here.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from conftest import cli_run, error_line

from nnviz import bounded, catalog, config
from nnviz.errors import ConfigError, DataError


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "FIFO_WAIT", 0.2)  # a silent FIFO is refused after this long


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


@pytest.mark.usefixtures("quick")
@pytest.mark.parametrize(
    ("flag", "name", "what"),
    [
        ("--config", "c.toml", "config file '{path}'"),
        ("--data", "d.csv", "data file {path}"),
    ],
)
def test_a_fifo_with_no_writer_is_one_line_not_a_hang(tmp_path: Path, flag: str, name: str, what: str) -> None:
    path = _fifo(tmp_path, name)
    code, output = cli_run("train", flag, str(path), "--epochs", "1", "--history", str(tmp_path / "h.csv"))
    assert code == 1
    shown = what.format(path=path)
    assert error_line(output) == f"Error: {shown} is a pipe that nothing writes to (waited 0.2 s); start its writer first"


@pytest.mark.usefixtures("quick")
def test_a_history_fifo_with_no_writer_is_one_line(tmp_path: Path) -> None:
    code, output = cli_run("train", "--epochs", "1", "--n-samples", "20", "--history", str(tmp_path / "run.csv"))
    assert code == 0, output
    fifo = _fifo(tmp_path, "f.csv")
    code, output = cli_run("animate", "--history", str(fifo), "--config", str(tmp_path / "run.toml"), "-q",
                           "--out", str(tmp_path / "o.gif"))
    assert code == 1
    assert error_line(output).endswith("is a pipe that nothing writes to (waited 0.2 s); start its writer first")


def test_a_config_through_a_fifo_whose_writer_comes_later_still_loads(tmp_path: Path) -> None:
    path = _fifo(tmp_path, "c.toml")

    def writer_after_the_reader() -> None:
        # O_NONBLOCK: opening for writing fails (ENXIO) until a reader holds the FIFO open,
        # so this writer comes only once the reader is already waiting for one.
        for _ in range(100_000):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                time.sleep(0.001)
        else:
            return
        os.write(fd, b"[train]\nepochs = 3\n")
        os.close(fd)

    thread = threading.Thread(target=writer_after_the_reader, daemon=True)
    thread.start()
    assert catalog.load(path).train.epochs == 3
    thread.join(10)


def test_a_silent_fifo_is_refused_and_a_writer_that_stays_is_waited_for(tmp_path: Path) -> None:
    path = _fifo(tmp_path, "f")
    with pytest.raises(DataError, match="is a pipe that nothing writes to"):
        bounded.read_input(path, "f", 1000, "", wait=0.1)
    # A writer that holds the FIFO open, then writes: read as cat would.
    writer_ready = threading.Event()

    def slow_writer() -> None:
        fd = os.open(path, os.O_WRONLY)  # blocks until the reader below opens
        writer_ready.set()
        os.write(fd, b"late bytes")
        os.close(fd)

    thread = threading.Thread(target=slow_writer, daemon=True)
    thread.start()
    assert bounded.read_input(path, "f", 1000, "", wait=30) == b"late bytes"
    thread.join(10)


def test_a_socket_and_a_folder_are_refused(tmp_path: Path) -> None:
    sock_path = tmp_path / "s.toml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(sock_path))
        with pytest.raises(ConfigError, match="cannot be read|is a socket"):
            config.read_toml(sock_path)
    with pytest.raises(ConfigError, match="is a folder"):
        config.read_toml(tmp_path)


def test_the_byte_cap_holds_for_a_device(tmp_path: Path) -> None:
    if not Path("/dev/urandom").exists():
        pytest.skip("no /dev/urandom")
    with pytest.raises(DataError, match="goes on past 64 KiB"):
        bounded.read_input("/dev/urandom", "random", 64 * 2**10, "", text=False)


def test_a_600_deep_toml_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 600 + "]" * 600 + "\n")
    with pytest.raises(ConfigError, match=r"^config file '.*deep.toml' nests arrays or tables too deeply to read$"):
        config.read_toml(deep)
    code, output = cli_run("train", "--config", str(deep), "--epochs", "1")
    assert code == 1 and "nests arrays or tables too deeply" in error_line(output)
    tables = tmp_path / "tables.toml"
    tables.write_text("x = " + "{a = " * 600 + "1" + "}" * 600 + "\n")
    code, output = cli_run("train", "--config", str(tables), "--epochs", "1")
    assert code == 1 and "internal error" not in error_line(output)


def test_own_files_are_never_read_through_a_link_or_as_a_fifo(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    fifo = _fifo(tmp_path, "fifo.json")
    assert bounded.read_own(real) == b"{}"
    assert bounded.read_own(link) is None and bounded.open_own(link) is None
    assert bounded.read_own(fifo) is None and bounded.open_own(fifo) is None  # at once: never waits for a writer
    assert bounded.read_own(tmp_path / "missing") is None
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (bounded.MAX_MARKER_BYTES + 1))
    assert bounded.read_own(big) is None
    assert bounded.is_link(link) and not bounded.is_link(real) and not bounded.is_link(tmp_path / "missing")
