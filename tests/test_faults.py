"""Fault injection: real signals, failing disks and failing writers.

The signal tests run ``python -m nnviz`` as a subprocess, wait until it is
visibly working (a progress line on stderr), send a real signal and check
the promise: exit 130 (SIGINT) or 143 (SIGTERM), nothing at the destination
(or the previous file, untouched), and no temporary file left behind. After
SIGKILL the destination holds the previous complete file or nothing; only a
hidden ``.<name>.*.part*`` temp file may remain.

The disk tests make writes fail in-process (``os.replace`` or the body of a
write raising ENOSPC) and, where the sandbox allows it, on a real 64 KiB
tmpfs that fills up.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import atomic
from nnviz.cli import cli
from nnviz.engine import history
from nnviz.errors import OutputError

PREVIOUS = "previous complete file\n"
SIGNAL_TIMEOUT = 20  # seconds; each test normally takes well under 2


def temp_files(root: Path) -> list[Path]:
    """Every atomic_path temp file (``.<name>.XXXX.part<ext>``) under root."""
    return sorted(p for p in root.rglob(".*.part*"))


def nnviz(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NNVIZ_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "nnviz", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def wait_for_progress(proc: subprocess.Popen[str], needle: str, lines: int = 1) -> list[str]:
    """Read stderr until ``lines`` lines containing ``needle`` were seen (the run is working)."""
    seen: list[str] = []
    deadline = time.monotonic() + SIGNAL_TIMEOUT
    hits = 0
    assert proc.stderr is not None
    while hits < lines:
        assert time.monotonic() < deadline, f"no {needle!r} progress in time: {seen[-5:]}"
        line = proc.stderr.readline()
        if not line:
            out, err = proc.communicate()
            pytest.fail(f"process ended early (exit {proc.returncode}) before {needle!r}:\n{''.join(seen)}{err}")
        seen.append(line)
        hits += needle in line
    return seen


def wait_for_bytes(proc: subprocess.Popen[str], needle: str, count: int) -> str:
    """Read raw stderr (progress bars redraw with \\r, not \\n) until ``needle`` appeared ``count`` times."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    seen = ""
    deadline = time.monotonic() + SIGNAL_TIMEOUT
    while seen.count(needle) < count:
        assert time.monotonic() < deadline, f"no {needle!r} progress in time: {seen[-300:]!r}"
        chunk = os.read(fd, 4096)
        if not chunk:
            proc.wait()
            pytest.fail(f"process ended early (exit {proc.returncode}) before {needle!r}: {seen[-500:]!r}")
        seen += chunk.decode(errors="replace")
    return seen


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=SIGNAL_TIMEOUT)
    return proc.returncode, out, err


TRAIN_FOREVER = ("train", "--dataset", "xor", "--epochs", "100000", "--stop-loss", "0", "--hidden", "8,8")


# --- signals during training ------------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_training_writes_nothing(tmp_path: Path, sig: int, code: int) -> None:
    dest = tmp_path / "out" / "h.csv"
    proc = nnviz(*TRAIN_FOREVER, "--history", str(dest), cwd=tmp_path)
    wait_for_progress(proc, "epoch", lines=20)
    rc, out, err = stop(proc, sig)
    assert rc == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "Error: interrupted; no partial output was written"
    assert not dest.exists()
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_training_keeps_the_previous_file(tmp_path: Path, sig: int, code: int) -> None:
    dest = tmp_path / "h.csv"
    dest.write_text(PREVIOUS)
    before = dest.stat()
    proc = nnviz(*TRAIN_FOREVER, "--history", str(dest), cwd=tmp_path)
    wait_for_progress(proc, "epoch", lines=20)
    rc, _, err = stop(proc, sig)
    assert rc == code, err
    assert dest.read_text() == PREVIOUS
    assert dest.stat().st_mtime_ns == before.st_mtime_ns and dest.stat().st_ino == before.st_ino
    assert temp_files(tmp_path) == []


def test_sigkill_leaves_the_previous_file_or_nothing(tmp_path: Path) -> None:
    """SIGKILL runs no cleanup: the destination must still be the old complete file."""
    dest = tmp_path / "h.csv"
    dest.write_text(PREVIOUS)
    proc = nnviz(*TRAIN_FOREVER, "--history", str(dest), cwd=tmp_path)
    wait_for_progress(proc, "epoch", lines=20)
    rc, _, _ = stop(proc, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert dest.read_text() == PREVIOUS
    # Anything left behind is a hidden temp file, never at or named like the destination.
    leftovers = [p for p in tmp_path.iterdir() if p != dest]
    assert all(p.name.startswith(".h.csv.") and ".part" in p.name for p in leftovers), leftovers


def test_sigkill_with_no_previous_file_leaves_no_destination(tmp_path: Path) -> None:
    dest = tmp_path / "h.csv"
    proc = nnviz(*TRAIN_FOREVER, "--history", str(dest), cwd=tmp_path)
    wait_for_progress(proc, "epoch", lines=20)
    stop(proc, signal.SIGKILL)
    assert not dest.exists()


def test_sigkill_during_an_atomic_write_leaves_only_a_hidden_temp(tmp_path: Path) -> None:
    """Kill a process mid-way through an atomic_path body (not merely during training)."""
    dest = tmp_path / "big.csv"
    dest.write_text(PREVIOUS)
    script = (
        "import sys, time\n"
        "from nnviz.atomic import atomic_path\n"
        f"with atomic_path({str(dest)!r}) as tmp:\n"
        "    with open(tmp, 'w') as fh:\n"
        "        fh.write('half a file'); fh.flush()\n"
        "        print('writing', flush=True)\n"
        "        time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait(timeout=SIGNAL_TIMEOUT)
    assert dest.read_text() == PREVIOUS
    leftovers = [p.name for p in tmp_path.iterdir() if p != dest]
    assert len(leftovers) == 1 and leftovers[0].startswith(".big.csv.") and ".part" in leftovers[0]


def test_sigterm_in_an_atomic_write_removes_the_temp(tmp_path: Path) -> None:
    """The CLI's SIGTERM handler unwinds through atomic_path: temp removed, old file kept."""
    dest = tmp_path / "big.csv"
    dest.write_text(PREVIOUS)
    script = (
        "import signal, sys, time\n"
        "from nnviz.atomic import atomic_path\n"
        "from nnviz.cli import _raise_interrupted\n"
        "from nnviz.errors import Interrupted\n"
        "signal.signal(signal.SIGTERM, _raise_interrupted)\n"
        "try:\n"
        f"    with atomic_path({str(dest)!r}) as tmp:\n"
        "        tmp.write_text('half a file')\n"
        "        print('writing', flush=True)\n"
        "        time.sleep(60)\n"
        "except Interrupted as exc:\n"
        "    sys.exit(exc.exit_code)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=SIGNAL_TIMEOUT) == 143
    assert dest.read_text() == PREVIOUS
    assert temp_files(tmp_path) == []


# --- divergence ------------------------------------------------------------------


def test_divergence_sine_linear_lr1000_keeps_finite_epochs(tmp_path: Path) -> None:
    dest = tmp_path / "h.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "nnviz", "train", "--dataset", "sine", "--activation", "linear",
         "--optimizer", "sgd", "--lr", "1000", "--stop-loss", "0", "--epochs", "200", "-q", "--history", str(dest)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if "diverged at epoch" in line]
    assert len(warning) == 1 and "lr=1000" in warning[0] and "try a smaller --lr" in warning[0]
    assert "Traceback" not in proc.stderr and "RuntimeWarning" not in proc.stderr
    n = int(warning[0].split("diverged at epoch ")[1].split()[0])
    h = history.read_history(dest, activation="linear")
    assert len(h) == n and n >= 1  # epochs 0..n-1 are finite and all kept
    assert "(diverged)" in proc.stdout


def test_non_finite_loss_before_training_is_a_clean_data_error(tmp_path: Path) -> None:
    """Huge CSV targets make epoch 0's loss overflow: no lr can fix that, so it is a data error."""
    csv = tmp_path / "huge.csv"
    csv.write_text("a,b,t\n1,2,1e308\n3,4,-1e308\n5,6,0\n")
    result = CliRunner().invoke(cli, ["train", "--data", str(csv), "--epochs", "2", "-q",
                                      "--history", str(tmp_path / "h.csv")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: the loss of the untrained network is not finite (the loss became non-finite at epoch 0): "
        "the csv data holds values too large to compute with; rescale them (e.g. to within +-1000)"
    ]
    assert not (tmp_path / "h.csv").exists()


# --- disk faults, in-process -------------------------------------------------------


def _enospc(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_at_rename_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "h.csv"
    dest.write_text(PREVIOUS)
    monkeypatch.setattr(atomic.os, "replace", _enospc)
    result = CliRunner().invoke(cli, ["train", "--epochs", "3", "--stop-loss", "0", "-q", "--history", str(dest)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"Error: cannot write {str(dest)!r}: No space left on device"
    assert dest.read_text() == PREVIOUS
    assert temp_files(tmp_path) == []


def test_writer_failing_midway_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV writer writes half its rows, then the disk fills up."""
    import contextlib

    from nnviz.engine import history

    dest = tmp_path / "h.csv"
    dest.write_text(PREVIOUS)
    written: list[Path] = []
    real_atomic, real_floats = history.atomic_path, history._floats
    calls: list[int] = []

    @contextlib.contextmanager
    def recorded(path):
        with real_atomic(path) as tmp:
            written.append(tmp)
            yield tmp

    def half_then_enospc(values):
        calls.append(1)
        if len(calls) > 7:  # the first rows are in the temp; then the disk is full
            _enospc()
        return real_floats(values)

    monkeypatch.setattr(history, "atomic_path", recorded)
    monkeypatch.setattr(history, "_floats", half_then_enospc)
    result = CliRunner().invoke(cli, ["train", "--epochs", "6", "--stop-loss", "0", "-q", "--history", str(dest)])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [f"Error: cannot write {str(dest)!r}: No space left on device"]
    assert written and not written[0].exists()  # the half-written temp was removed
    assert dest.read_text() == PREVIOUS
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), OSError(errno.EIO, "Input/output error"), RuntimeError("boom")])
def test_atomic_path_never_leaves_a_temp(tmp_path: Path, exc: BaseException) -> None:
    dest = tmp_path / "x.gif"
    dest.write_bytes(b"GIF89a old")
    with pytest.raises((type(exc), OutputError)), atomic.atomic_path(dest) as tmp:
        tmp.write_bytes(b"GIF89a new but broken")
        raise exc
    assert dest.read_bytes() == b"GIF89a old"
    assert temp_files(tmp_path) == []


def test_atomic_output_gets_ordinary_permissions(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; a finished output must be readable like any other file."""
    old = os.umask(0o022)
    try:
        fresh = atomic.write_text_atomic(tmp_path / "new.toml", "x = 1\n")
        existing = tmp_path / "old.toml"
        existing.write_text("")
        existing.chmod(0o640)
        atomic.write_text_atomic(existing, "x = 2\n")
    finally:
        os.umask(old)
    assert fresh.stat().st_mode & 0o777 == 0o644
    assert existing.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("make", ["fifo", "folder"])
def test_a_device_pipe_or_folder_is_never_replaced(tmp_path: Path, make: str) -> None:
    """Renaming over /dev/null-like targets would replace the device itself (we run as root)."""
    dest = tmp_path / "target"
    os.mkfifo(dest) if make == "fifo" else dest.mkdir()
    result = CliRunner().invoke(cli, ["train", "--epochs", "2", "-q", "--history", str(dest)])
    assert result.exit_code in (1, 2)
    assert len([line for line in result.output.splitlines() if line.startswith("Error:")]) == 1
    assert (dest.is_fifo() if make == "fifo" else dest.is_dir())
    assert temp_files(tmp_path) == []


def test_unwritable_history_fails_before_training(tmp_path: Path) -> None:
    (tmp_path / "somefile.txt").write_text("not a folder")
    result = CliRunner().invoke(cli, ["train", "--epochs", "3", "--history", str(tmp_path / "somefile.txt" / "h.csv")])
    assert result.exit_code == 1
    assert "epoch" not in result.output  # refused before the first epoch
    assert result.output.startswith("Error: --history = ")


# --- disk faults on a real, tiny filesystem ------------------------------------------


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs; skipped where the sandbox does not allow mounting."""
    mnt = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_really_full_disk_gives_a_clean_error_and_keeps_the_previous_file(tiny_fs: Path) -> None:
    dest = tiny_fs / "h.csv"
    dest.write_text(PREVIOUS)
    # 300 epochs of a 2-16-16-1 network is ~1.1 MB of CSV: far more than 64 KiB.
    proc = subprocess.run(
        [sys.executable, "-m", "nnviz", "train", "--epochs", "300", "--stop-loss", "0", "--hidden", "16,16",
         "-q", "--history", str(dest)],
        cwd=tiny_fs.parent, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"Error: cannot write {str(dest)!r}: No space left on device"]
    assert dest.read_text() == PREVIOUS
    assert temp_files(tiny_fs) == []


# --- signals during nnviz animate ------------------------------------------------------

ANIMATE = ("animate", "--dataset", "xor", "--n-samples", "100", "--stop-loss", "0", "--grid", "20", "--size", "128x64")
ANIMATE_OUTPUTS = ("a.gif", "a.png", "a.csv", "a.toml")


def _animate_outputs(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name in ANIMATE_OUTPUTS)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_animate_trains_writes_nothing(tmp_path: Path, sig: int, code: int) -> None:
    """Ctrl-C during the training phase of animate: no GIF, PNG, CSV or TOML, exit 130/143."""
    proc = nnviz(*ANIMATE, "--epochs", "100000", "--out", "a.gif", cwd=tmp_path)
    wait_for_bytes(proc, "training", 1)
    time.sleep(1.0)  # well into the 100000 epochs (a pipe gets one line per stage)
    try:
        rc, _, err = stop(proc, sig)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("animate kept going (rendering the partial run?) long after the signal")
    assert rc == code, err
    assert _animate_outputs(tmp_path) == [], "files written after an interrupt"
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_animate_renders_keeps_the_previous_gif(tmp_path: Path, sig: int, code: int) -> None:
    (tmp_path / "a.gif").write_bytes(b"GIF89a previous")
    proc = nnviz(*ANIMATE, "--epochs", "600", "--out", "a.gif", cwd=tmp_path)
    wait_for_bytes(proc, "rendering", 1)
    time.sleep(0.5)  # some of the 601 frames are written, far from all
    rc, _, err = stop(proc, sig)
    assert rc == code, err
    assert "Traceback" not in err
    assert (tmp_path / "a.gif").read_bytes() == b"GIF89a previous"
    assert _animate_outputs(tmp_path) == ["a.gif"]  # poster, CSV and TOML come after the GIF
    assert temp_files(tmp_path) == []


def test_sigkill_while_animate_renders_leaves_the_previous_gif(tmp_path: Path) -> None:
    (tmp_path / "a.gif").write_bytes(b"GIF89a previous")
    proc = nnviz(*ANIMATE, "--epochs", "600", "--out", "a.gif", cwd=tmp_path)
    wait_for_bytes(proc, "rendering", 1)
    time.sleep(0.5)  # some of the 601 frames are written, far from all
    stop(proc, signal.SIGKILL)
    assert (tmp_path / "a.gif").read_bytes() == b"GIF89a previous"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "a.gif"]
    assert all(n.startswith(".a.") and ".part" in n for n in leftovers), leftovers


def test_divergence_in_animate_still_writes_the_finite_epochs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nnviz", "animate", "--dataset", "sine", "--activation", "linear",
         "--optimizer", "sgd", "--lr", "1000", "--stop-loss", "0", "--epochs", "50", "--grid", "10",
         "--size", "128x64", "-q", "--out", "d.gif"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "diverged at epoch" in proc.stderr and "lr=1000" in proc.stderr and "try a smaller --lr" in proc.stderr
    assert (tmp_path / "d.gif").read_bytes()[:6] == b"GIF89a"


def test_full_disk_while_animate_writes_keeps_the_previous_gif(tiny_fs: Path) -> None:
    """A GIF larger than the 64 KiB tmpfs: clean error, previous GIF untouched, no temp."""
    dest = tiny_fs / "a.gif"
    dest.write_bytes(b"GIF89a previous")
    proc = subprocess.run(
        [sys.executable, "-m", "nnviz", *ANIMATE, "--epochs", "300", "--size", "512x256", "--grid", "40", "-q", "--out", str(dest)],
        cwd=tiny_fs.parent, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "No space left on device" in lines[0], lines
    assert "internal error" not in lines[0]
    assert dest.read_bytes() == b"GIF89a previous"
    assert temp_files(tiny_fs) == []


def test_unwritable_out_fails_before_training(tmp_path: Path) -> None:
    (tmp_path / "somefile.txt").write_text("not a folder")
    result = CliRunner().invoke(cli, ["animate", "--epochs", "3", "--grid", "8", "--size", "128x64",
                                      "--out", str(tmp_path / "somefile.txt" / "a.gif")])
    assert result.exit_code == 1, result.output
    assert "training" not in result.output and "rendering" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("Error:")]) == 1


# --- sweeps: interruption and resume -----------------------------------------------------

SWEEP = """\
[data]
n_samples = 60
[train]
epochs = {epochs}
stop_loss = 0
[render]
grid = 10
size = "128x64"
every = {every}
[sweep]
"train.lr" = [0.1, 0.01, 0.001, 0.002]
"""


def _needs_sweep() -> None:
    from nnviz.cli import cli as group

    if "sweep" not in group.commands:
        pytest.skip("nnviz sweep has not landed")


def test_sweep_interrupted_then_resumed_skips_finished_runs(tmp_path: Path) -> None:
    _needs_sweep()
    (tmp_path / "s.toml").write_text(SWEEP.format(epochs=20, every=1).replace(", 0.002", ""))
    proc = nnviz("sweep", "s.toml", "--jobs", "1", "--out", "o", cwd=tmp_path)
    seen = wait_for_bytes(proc, "lr=", 1)  # the first finished run's line
    rc, _, err = stop(proc, signal.SIGTERM)
    assert rc == 143, seen + err
    finished = sorted(p.parent.name for p in (tmp_path / "o").glob("*/run.json"))
    assert finished, "no run finished before the signal"
    again = subprocess.run([sys.executable, "-m", "nnviz", "sweep", "s.toml", "--jobs", "1", "--out", "o"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"({len(finished)} already done)" in again.stdout
    assert temp_files(tmp_path) == []


def test_ctrl_c_in_a_sweep_never_marks_a_partial_run_done(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group (the workers too). A run cut short must not
    be recorded as finished, or the re-run would skip it and keep a truncated result."""
    _needs_sweep()
    (tmp_path / "s.toml").write_text(SWEEP.format(epochs=100000, every=2000).replace(", 0.001, 0.002", ""))
    proc = subprocess.Popen([sys.executable, "-m", "nnviz", "sweep", "s.toml", "--jobs", "2", "--out", "o"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    time.sleep(4)  # both workers are training (100000 epochs take far longer)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    import json

    for marker in (tmp_path / "o").glob("*/run.json"):
        body = json.loads(marker.read_text())
        assert body["epochs"] == 100000 or body["status"] != "ok", f"{marker.parent.name}: partial run marked done: {body}"


def test_a_diverged_run_in_a_sweep_is_a_result_not_a_failure(tmp_path: Path) -> None:
    _needs_sweep()
    (tmp_path / "s.toml").write_text(
        '[data]\nname = "sine"\n[model]\nactivation = "linear"\n[train]\noptimizer = "sgd"\nepochs = 20\n'
        'stop_loss = 0\n[render]\ngrid = 6\nsize = "128x64"\n[sweep]\n"train.lr" = [1000.0, 0.01]\n'
    )
    proc = subprocess.run([sys.executable, "-m", "nnviz", "sweep", "s.toml", "--jobs", "2", "--out", "o", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import csv

    rows = {r["run"]: r for r in csv.DictReader((tmp_path / "o" / "summary.csv").open())}
    statuses = {name: row["status"] for name, row in rows.items()}
    assert sorted(statuses.values()) == ["diverged", "ok"], statuses
    diverged = next(r for r in rows.values() if r["status"] == "diverged")
    assert "diverged at epoch" in diverged["error"] and "lr=1000" in diverged["error"]
    assert (tmp_path / "o" / diverged["path"]).is_file()  # the finite epochs were still animated


def test_sigterm_stops_a_sweep_promptly(tmp_path: Path) -> None:
    """Each run takes ~3 s; a clean stop abandons the running one (its files are atomic and its
    marker comes last, so a re-run redoes it) instead of finishing it and the next."""
    _needs_sweep()
    (tmp_path / "s.toml").write_text(SWEEP.format(epochs=150, every=1).replace("n_samples = 60", "n_samples = 400"))
    proc = nnviz("sweep", "s.toml", "--jobs", "1", "--out", "o", cwd=tmp_path)
    wait_for_bytes(proc, "lr=", 1)
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    proc.communicate(timeout=120)
    took = time.monotonic() - started
    assert proc.returncode == 143
    finished = list((tmp_path / "o").glob("*/run.json"))
    assert len(finished) <= 2 and took < 2.5, f"{len(finished)} runs finished, exit after {took:.1f}s"
