"""Sweeps under stress: concurrent sweeps, damaged results, killed parents, bad schedulers, full disks.

Each test states a promise from the user's side (exit code, the one
``Error:`` line, the files left) and fails on the code before its fix.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import errno
import http.server
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import cli_run, error_line

from nnviz import atomic, sweep
from nnviz.errors import NnvizError
from nnviz.sweep import gallery, runner
from nnviz.sweep.executors import ExecutorKind

TINY = """\
[data]
n_samples = 40
[train]
epochs = {epochs}
stop_loss = 0
[render]
grid = 6
size = "128x64"
hold = 0
[sweep]
"train.lr" = {lrs}
"""


def write_spec(root: Path, epochs: int = 3, lrs: str = "[0.1, 0.01]", name: str = "s.toml") -> Path:
    path = root / name
    path.write_text(TINY.format(epochs=epochs, lrs=lrs))
    return path


def nnviz(*args: str, cwd: Path, **kw) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NNVIZ_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "nnviz", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def digests_match(out: Path) -> None:
    """Every run folder holds exactly the files its run.json describes."""
    for marker in out.glob("*/run.json"):
        body = json.loads(marker.read_text())
        for rel, want in body["files"].items():
            assert runner.file_digest(out / rel) == want, f"{rel} does not match {marker}"


# --- B3: one sweep per folder; resume verifies --------------------------------------------

def test_two_concurrent_sweeps_never_mix_files(tmp_path: Path) -> None:
    write_spec(tmp_path, epochs=2, lrs="[0.1]")
    for _ in range(5):
        procs = [nnviz("sweep", "s.toml", "--out", "o", "--jobs", "1", "--force", "-q", cwd=tmp_path)
                 for _ in range(2)]
        outcomes = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
        for code, err in outcomes:
            assert "Traceback" not in err, err
            if code != 0:
                assert code == 1 and err.startswith("Error: another nnviz sweep is writing to 'o' (pid "), err
                assert err.strip().endswith("wait for it or choose another --out"), err
        assert any(code == 0 for code, _ in outcomes)
        digests_match(tmp_path / "o")
        assert not (tmp_path / "o" / sweep.LOCK).exists()
        assert atomic_temps(tmp_path) == []


def atomic_temps(root: Path) -> list[Path]:
    return sorted(root.rglob(".*.part*"))


def test_a_held_lock_refuses_a_second_sweep_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nnviz.sweep import orchestrate
    from nnviz.sweep.orchestrate import folder_lock

    # "At once": refused at the lock, never reaching the work behind it (a state, not a time: under
    # load the refusal took more than the 5 s this test once allowed). A lock that waited would hang.
    reached: list[str] = []
    real = orchestrate._locked_sweep
    monkeypatch.setattr(orchestrate, "_locked_sweep", lambda *a, **k: reached.append("work") or real(*a, **k))
    spec = write_spec(tmp_path)
    (tmp_path / "o").mkdir()
    with folder_lock(tmp_path / "o"):
        code, output = cli_run("sweep", str(spec), "--out", str(tmp_path / "o"), "-q")
    assert reached == []
    assert code == 1
    assert error_line(output) == (f"Error: another nnviz sweep is writing to {str(tmp_path / 'o')!r} "
                                  f"(pid {os.getpid()}); wait for it or choose another --out")
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == []  # nothing written


def test_a_killed_sweep_leaves_no_stale_lock(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, epochs=100000, lrs="[0.1]")
    proc = nnviz("sweep", "s.toml", "--out", "o", "--jobs", "1", cwd=tmp_path, start_new_session=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "o" / sweep.LOCK).exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "o" / sweep.LOCK).exists()  # the file stays; the lock died with the process
    spec.write_text(TINY.format(epochs=2, lrs="[0.1]"))
    code, output = cli_run("sweep", str(spec), "--out", str(tmp_path / "o"), "-q", "--jobs", "1")
    assert code == 0, output


@pytest.fixture
def finished(tmp_path: Path) -> tuple[Path, Path, sweep.SweepResult]:
    spec = write_spec(tmp_path)
    return spec, tmp_path / "o", sweep.run_sweep(spec, tmp_path / "o", jobs=2)


@pytest.mark.parametrize("damage", ["truncated-gif", "empty-thumb", "edited-csv"])
def test_resume_redoes_a_run_whose_files_changed(finished, damage: str) -> None:
    spec, out, first = finished
    run = first.runs[0]
    target = {"truncated-gif": run.path, "empty-thumb": run.thumb, "edited-csv": run.history_csv}[damage]
    data = (out / target).read_bytes()
    (out / target).write_bytes(data[: len(data) // 2] if damage != "empty-thumb" else b"")
    code, output = cli_run("sweep", str(spec), "--out", str(out), "-q", "--jobs", "2")
    assert code == 0, output
    frame = pd.read_csv(out / sweep.SUMMARY)
    assert list(frame["cached"]) == [False, True]  # only the damaged run was redone
    assert (out / target).read_bytes() == data     # ... and it is whole again (deterministic bytes)
    digests_match(out)


def test_a_damaged_thumbnail_never_breaks_the_gallery(finished) -> None:
    _spec, out, first = finished
    (out / first.runs[1].thumb).write_bytes(b"GIF89a")  # not a GIF anyone can decode
    (out / gallery.COMPARISON).unlink()
    assert gallery.write_comparison(first.spec, out, first.runs) == out / gallery.COMPARISON


# --- B4: orphans, leftovers, Ctrl-C, worker counts ---------------------------------------

def session_members(sid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # fields[3]: session id; Z: a zombie is gone
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_exit_when_the_sweep_is_killed(tmp_path: Path) -> None:
    write_spec(tmp_path, epochs=100000, lrs="[0.1, 0.01]")
    proc = nnviz("sweep", "s.toml", "--out", "o", "--jobs", "2", cwd=tmp_path, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(session_members(proc.pid)) < 3:  # the sweep and its two workers
        assert time.monotonic() < deadline, "workers never started"
        time.sleep(0.2)
    time.sleep(3)  # the workers are training
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while (left := session_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"orphaned workers still running: {left}"
    assert not list((tmp_path / "o").glob("*/run.json"))


def test_stale_temps_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, lrs="[0.1]")
    run_dir = tmp_path / "o" / "lr=0.1"
    run_dir.mkdir(parents=True)
    dead = 4194304 + 1  # above Linux's pid_max: no such process, ever
    stale = [tmp_path / "o" / f".summary.csv.{dead}-abcdefgh.part.csv", run_dir / f".x.gif.{dead}-a_c0efgh.part.gif"]
    live = run_dir / f".x.gif.{os.getppid()}-abcdefgh.part.gif"
    other = run_dir / ".notes.part"
    for path in [*stale, live, other]:
        path.write_text("leftover")
    code, output = cli_run("sweep", str(spec), "--out", str(tmp_path / "o"), "-q", "--jobs", "1")
    assert code == 0, output
    assert [p.exists() for p in stale] == [False, False]
    assert live.exists() and other.exists()


def test_animate_removes_stale_temps_beside_its_output(tmp_path: Path) -> None:
    stale = tmp_path / f".a.gif.{4194305}-abcdefgh.part.gif"
    stale.write_text("leftover")
    code, output = cli_run("animate", "-q", "--epochs", "2", "--grid", "6", "--size", "128x64",
                           "--out", str(tmp_path / "a.gif"))
    assert code == 0, output
    assert not stale.exists()


def test_temp_names_carry_the_writer_pid(tmp_path: Path) -> None:
    with atomic.atomic_path(tmp_path / "a.gif") as tmp:
        assert f".{os.getpid()}-" in tmp.name and atomic.remove_stale_temps(tmp_path) == []
        assert tmp.exists()


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3, 1.0])
def test_ctrl_c_while_workers_start_prints_no_traceback(tmp_path: Path, delay: float) -> None:
    write_spec(tmp_path, epochs=100000, lrs="[0.1, 0.01]")
    proc = nnviz("sweep", "s.toml", "--out", "o", "--jobs", "2", cwd=tmp_path, start_new_session=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "o" / sweep.LOCK).exists():  # the sweep runs; its workers are being spawned
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert proc.returncode in (1, 130), err


def test_dask_workers_are_capped_by_the_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple] = []

    def fake_open(jobs, scheduler, workers):
        seen.append((jobs, scheduler, workers))
        raise NnvizError("stop here")

    monkeypatch.setitem(sweep.EXECUTORS, "dask", ExecutorKind(fake_open, lambda s, w: None))
    with pytest.raises(NnvizError, match="stop here"):
        sweep.run_sweep(write_spec(tmp_path), tmp_path / "o", executor="dask", workers=64, jobs=8)
    assert seen == [(2, None, 2)]
    assert not (tmp_path / "o").exists()  # refused before any output: no empty folder left


# --- B5: an address that is not a Dask scheduler ------------------------------------------

@contextlib.contextmanager
def silent_listener() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextlib.contextmanager
def http_server() -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"tcp://127.0.0.1:{port}"


@pytest.mark.parametrize("kind", ["closed", "silent", "http"])
def test_a_bad_scheduler_address_is_a_clear_bounded_error(tmp_path: Path, kind: str) -> None:
    pytest.importorskip("distributed")
    spec = write_spec(tmp_path, lrs="[0.1]")
    ctx = {"closed": lambda: contextlib.nullcontext(closed_port()), "silent": silent_listener,
           "http": http_server}[kind]
    with ctx() as address:
        started = time.monotonic()
        code, output = cli_run("sweep", str(spec), "--out", str(tmp_path / "o"), "--executor", "dask",
                               "--scheduler", address)
        took = time.monotonic() - started
    assert code == 1
    line = error_line(output)
    assert line.startswith(f"Error: cannot reach a Dask scheduler at {address} (")
    assert line.endswith("); start one with 'dask scheduler' or drop --scheduler")
    why = {"closed": "connection refused", "silent": "no reply in 10 s", "http": "not a Dask scheduler"}[kind]
    assert why in line, line
    assert took < 30  # a hang guard only
    assert not (tmp_path / "o").exists()


# --- B6: full disks: say which file, keep what was good ---------------------------------

def _enospc_for(name_part: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src, dst, *a, **kw):
        if name_part in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(atomic.os, "replace", replace)


@contextlib.contextmanager
def _inline(jobs, scheduler, workers) -> Iterator[cf.Executor]:
    with cf.ThreadPoolExecutor(max_workers=1) as pool:  # in this process: monkeypatches apply to runs
        yield pool


def test_a_failed_gallery_says_which_file_and_what_was_kept(finished, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, out, _ = finished
    _enospc_for("index.html", monkeypatch)
    code, output = cli_run("sweep", str(spec), "--out", str(out), "-q")
    assert code == 1
    assert error_line(output) == (f"Error: cannot write {str(out / 'index.html')!r}: No space left on device; "
                                  "the 2 finished runs and summary.csv were kept")


def test_force_on_a_full_disk_keeps_the_previous_runs(finished, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, out, first = finished
    before = pd.read_csv(out / sweep.SUMMARY)
    monkeypatch.setitem(sweep.EXECUTORS, "process", ExecutorKind(_inline, lambda s, w: None))
    _enospc_for(".gif", monkeypatch)
    code, output = cli_run("sweep", str(spec), "--out", str(out), "--force", "-q")
    assert code == 1
    line = error_line(output)
    assert line.startswith("Error: 2 of 2 runs failed: lr=0.1: re-run failed: cannot write "), line
    assert "No space left on device; kept the previous result" in line
    after = pd.read_csv(out / sweep.SUMMARY)
    assert list(after["status"]) == list(before["status"]) == ["ok", "ok"]
    assert list(after["loss"]) == list(before["loss"])
    assert after["error"].str.contains("kept the previous result").all()
    digests_match(out)


# --- two animates on one --out: one run's complete set ----------------------------------


def test_two_concurrent_animates_leave_one_runs_complete_set(tmp_path: Path) -> None:
    """Runs of different lengths race to write the same four files, many times.

    Each file is atomic on its own; before ``atomic.one_set`` the GIF could be
    one run's and the CSV and TOML the other's. The set must always agree: the
    TOML's epochs equal the CSV's last epoch and the GIF's frame count.
    """
    from PIL import Image

    out = tmp_path / "same.gif"
    base = ["animate", "--n-samples", "40", "--grid", "6", "--size", "128x64", "--hold", "0",
            "--stop-loss", "0", "--quiet", "--out", str(out)]
    for _ in range(4):
        procs = [nnviz(*base, "--epochs", str(epochs), cwd=tmp_path) for epochs in (3, 9)]
        for p in procs:
            assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
        epochs = int(next(line for line in out.with_suffix(".toml").read_text().splitlines()
                          if line.startswith("epochs")).split("=")[1])
        rows = pd.read_csv(out.with_suffix(".csv"))
        assert int(rows["epoch"].iloc[-1]) == epochs
        with Image.open(out) as gif:
            assert gif.n_frames == epochs + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.csv", "same.events.csv", "same.gif", "same.png", "same.toml"]


def test_a_run_that_lands_between_anothers_files_cannot_mix_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race above, forced: run B writes all its files while run A is between its GIF and CSV.

    Without one set per run, A's CSV and TOML would land beside B's GIF.
    """
    from conftest import small_cfg
    from PIL import Image

    from nnviz import render
    from nnviz.render import pipeline

    a_between, b_done = threading.Event(), threading.Event()
    real = pipeline.write_history

    def write_history(history, dest):  # A pauses after its GIF and poster until B has finished
        if threading.current_thread().name == "A":
            a_between.set()
            assert b_done.wait(60)
        return real(history, dest)

    monkeypatch.setattr(pipeline, "write_history", write_history)
    out = tmp_path / "same.gif"
    errors: list[BaseException] = []

    def run(epochs: int) -> None:
        try:
            render.animate(small_cfg(train__epochs=epochs), out)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    a = threading.Thread(target=run, args=(3,), name="A")
    a.start()
    assert a_between.wait(60)
    b = threading.Thread(target=run, args=(6,), name="B")
    b.start()
    b.join(60)
    b_done.set()
    a.join(60)
    assert not errors, errors
    with Image.open(out) as gif:
        frames = gif.n_frames
    last = int(pd.read_csv(out.with_suffix(".csv"))["epoch"].iloc[-1])
    assert frames == last + 1 == 4, (frames, last)  # all of A's: it landed last


def test_an_interrupted_dask_sweep_drops_teardown_noise_and_restores_logging(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Cancelling futures on Ctrl-C makes the scheduler and tornado log errors (CI saw a
    "Couldn't gather keys" line and a FutureCancelledError traceback under the one
    ``Error: interrupted`` line). Those records are dropped during teardown, and the
    loggers are as the user had them afterwards."""
    from nnviz.sweep import executors

    executors._import_dask()  # importing distributed configures these loggers; the sweep must not
    watched = ("distributed.scheduler", "tornado.application", "asyncio")
    before = {name: logging.getLogger(name).level for name in watched}
    with pytest.raises(KeyboardInterrupt), executors.dask_executor(1) as pool:
        pool.submit(time.sleep, 60)  # still running when the sweep is interrupted: cancelled
        shutdown = pool.shutdown

        def noisy_shutdown(*args: object, **kwargs: object) -> None:
            logging.getLogger("distributed.scheduler").error("Couldn't gather keys")
            logging.getLogger("tornado.application").error("Exception in callback: Traceback")
            shutdown(*args, **kwargs)

        monkeypatch.setattr(pool, "shutdown", noisy_shutdown)
        raise KeyboardInterrupt
    err = capfd.readouterr().err
    assert "Couldn't gather" not in err and "Traceback" not in err, err
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert {name: logging.getLogger(name).level for name in watched} == before
    logging.getLogger("tornado.application").error("after the sweep")  # the user's logging works again
    assert "after the sweep" in caplog.text


def test_runs_on_a_worker_with_avx512_kernels_on_are_named_in_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dask worker` loads NumPy before nnviz, so its AVX-512 kernels stay on and every file differed
    in the last bits from a local run while the sweep said nothing. The sweep still succeeds, says so
    in one line with the environment that fixes it, and the run's stored result does not keep it."""
    from nnviz import kernels

    monkeypatch.setitem(sweep.EXECUTORS, "process", ExecutorKind(_inline, lambda s, w: None))
    monkeypatch.setattr(kernels, "avx512_active", lambda: True)
    with warnings.catch_warnings(record=True) as seen:  # the CLI prints each as one "Warning: " line
        warnings.simplefilter("always")
        code, output = cli_run("sweep", str(write_spec(tmp_path)), "--out", str(tmp_path / "o"), "-q")
    assert code == 0, output
    warned = [str(w.message) for w in seen if "AVX-512" in str(w.message)]
    assert len(warned) == 1 and warned[0].startswith("2 runs ran on a worker with NumPy's AVX-512 kernels on")
    assert "NPY_DISABLE_CPU_FEATURES='X86_V4 AVX512_ICL AVX512_SPR' OPENBLAS_CORETYPE='Haswell'" in warned[0]
    assert "unpinned" not in (tmp_path / "o" / "lr=0.1" / runner.MARKER).read_text()
    monkeypatch.setattr(kernels, "avx512_active", lambda: False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        code, output = cli_run("sweep", str(write_spec(tmp_path)), "--out", str(tmp_path / "p"), "-q")
    assert code == 0 and not [w for w in seen if "AVX-512" in str(w.message)], output


def test_dask_workers_keep_their_error_logs_off_the_users_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    """Workers outlive an interrupted sweep by a moment and logged "Failed to communicate with
    scheduler during heartbeat" with a traceback under the one ``Error: interrupted`` line (CI).
    A worker's ERROR record never reaches the terminal (NNVIZ_DEBUG=1 shows them)."""
    from nnviz.sweep import executors

    with executors.dask_executor(1) as pool:
        pool.submit(logging.getLogger("distributed.worker").error, "boom-marker from a worker").result(timeout=60)
    err = capfd.readouterr().err
    assert "boom-marker" not in err, err


# --- a pool worker outlives nothing ----------------------------------------------------------

LOSES_ITS_SIGTERM = """\
import concurrent.futures as cf, multiprocessing, os, signal, time
from nnviz.sweep.runner import init_worker

def lose_sigterm():
    # As if the parent-death SIGTERM were lost (swallowed by a library, or its
    # KeyboardInterrupt escaped into the pool's own handler): the worker idles in the queue.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return os.getpid()

if __name__ == "__main__":
    ctx = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(1, mp_context=ctx, initializer=init_worker, initargs=(ctx.Event(), os.getpid()))
    print(pool.submit(lose_sigterm).result(), flush=True)
    time.sleep(3600)
"""


def _started(pid: int) -> str | None:
    """The start time of a live (not zombie) process, else None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else fields[19]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and the parent-death signal are Linux's")
def test_an_idle_pool_worker_whose_sigterm_was_lost_ends_when_its_sweep_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "sweep_like.py"
    script.write_text(LOSES_ITS_SIGTERM)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = 0
    try:
        line = parent.stdout.readline()  # a state: the worker has run its task and is idle
        assert line.strip().isdigit(), f"the pool did not start: {line!r}"
        worker = int(line)
        start = _started(worker)
        assert start is not None
        parent.send_signal(signal.SIGKILL)  # as the OOM killer would: no chance to stop the pool
        parent.wait()
        deadline = time.monotonic() + 120  # a bound for a failing run, not a timing: it normally takes 0.1 s
        while _started(worker) == start and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _started(worker) != start, "the worker outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()
        if worker and _started(worker) is not None:
            with contextlib.suppress(OSError):
                os.kill(worker, signal.SIGKILL)
