"""Kill matrix (issue 10): SIGINT, SIGTERM and SIGKILL at several moments of
``nnviz animate`` and of ``nnviz sweep`` on both executors.

Every case runs the real CLI in its own session, waits for a moment it can
see (a progress line on stderr, a temp file or a run's ``run.json``
appearing), sends one signal (SIGINT to the whole group, as a terminal's
Ctrl-C does; SIGTERM and SIGKILL to the command alone, as ``kill`` does) and
checks, from the user's side:

* no orphan: every process that descended from the command (pool workers,
  Dask workers, the resource tracker, painters) and every process whose
  command line names the test's folder is gone within ``REAP`` seconds;
* SIGINT/SIGTERM: exit 130/143, one ``Error:`` line, no traceback, no temp file;
* the destination is never a mix: animate's four files are the previous
  complete set or the new one; a sweep resumed after the kill gives the
  same bytes as an uninterrupted sweep of the same file elsewhere;
* after the next successful run in the same folder no ``*.part*`` temp file
  and no lock file remains.

SIGKILL between two of ``one_set``'s renames leaves a mix and the journal
that finishes it: the next reader (here a ``--history`` re-render) finds the
new complete set. Every wait is for a state (a line, a file, a pid), never a
duration, so the matrix holds on a loaded machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nnviz.cli import cli
from nnviz.sweep import LOCK, SUMMARY

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

TIMEOUT = 60  # seconds for a moment to come or a command to end; normally a few
# Seconds every child of a killed command gets to exit: a bound, not a wait (the test polls for the
# state). A pool worker killed while it still imports only sees its parent gone once its initializer
# runs, which took over 15 s on a loaded machine (CI, stop 24).
REAP = 120
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}

# --- processes ------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(ppid, state, start time) of a live process, else None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], fields[19]


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _descendants(root: int) -> set[tuple[int, str]]:
    """(pid, start time) of every live process under ``root``."""
    children: dict[int, list[tuple[int, str]]] = {}
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is not None:
            children.setdefault(stat[0], []).append((pid, stat[2]))
    found: set[tuple[int, str]] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child[0])
    return found


def _alive(pid: int, start: str) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == start and stat[1] != "Z"  # same process, not a zombie


def _naming(folder: Path) -> set[tuple[int, str]]:
    """Processes (not this one) whose command line names ``folder``."""
    found = set()
    for pid in _all_pids():
        if pid == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        stat = _stat(pid)
        if stat is not None and os.fsencode(folder) in cmdline:
            found.add((pid, stat[2]))
    return found


class Command:
    """The CLI in its own session; stderr collected by a thread; descendants recorded while it runs."""

    def __init__(self, args: list[str], folder: Path, prefix: tuple[str, ...] = ("-m", "nnviz")) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("NNVIZ_DEBUG", None)
        self.folder = folder
        self.proc = subprocess.Popen(
            [sys.executable, *prefix, *args],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self.seen: set[tuple[int, str]] = set()
        self._err = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := os.read(self.proc.stderr.fileno(), 4096):
            self._err += chunk

    @property
    def stderr(self) -> str:
        return self._err.decode(errors="replace")

    def wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        """Poll until ``ready()``, recording descendants; fail if the command ends first."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            self.seen |= _descendants(self.proc.pid)
            if ready():
                self.seen |= _descendants(self.proc.pid)
                return
            if self.proc.poll() is not None:
                pytest.fail(f"ended (exit {self.proc.returncode}) before {what}:\n{self.stderr}")
            assert time.monotonic() < deadline, f"no {what} in {TIMEOUT} s:\n{self.stderr}"
            time.sleep(0.02)

    def kill(self, sig: int) -> tuple[int, str]:
        """Send ``sig``; return the exit code and stderr once every child is gone (or fail, naming them)."""
        if sig == signal.SIGINT:
            os.killpg(self.proc.pid, sig)  # Ctrl-C: the terminal signals the whole group
        else:
            os.kill(self.proc.pid, sig)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.cleanup()
            pytest.fail(f"still running {TIMEOUT} s after {signal.Signals(sig).name}:\n{self.stderr}")
        deadline = time.monotonic() + REAP
        while (left := self._left()) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            described = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120] for pid, _ in left]
            self.cleanup()
            pytest.fail(f"orphans {REAP} s after {signal.Signals(sig).name}: {described}")
        self._reader.join(REAP)  # EOF: no process holds stderr any more
        return code, self.stderr

    def _left(self) -> set[tuple[int, str]]:
        return {p for p in self.seen | _naming(self.folder) if _alive(*p)}

    def cleanup(self) -> None:
        for pid, start in {*self.seen, *_naming(self.folder), (self.proc.pid, "")}:
            if not start or _alive(pid, start):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


@pytest.fixture
def command(tmp_path: Path) -> Iterator[Callable[..., Command]]:
    started: list[Command] = []

    def start(*args: str, prefix: tuple[str, ...] = ("-m", "nnviz")) -> Command:
        started.append(Command(list(args), tmp_path, prefix))
        return started[-1]

    yield start
    for cmd in started:  # a failed test must not leave its processes behind
        cmd.cleanup()


def temps(root: Path) -> list[Path]:
    return sorted(root.rglob(".*.part*"))


def check_clean_stop(sig: int, code: int, err: str) -> None:
    if sig == signal.SIGKILL:
        assert code == -signal.SIGKILL
        return
    assert code == CODES[sig], err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "CancelledError" not in err, err
    # The last line; in a pipe a progress stage ("rendering... ") may still be open before it.
    assert err.count("Error:") == 1, err
    assert err.strip().splitlines()[-1].endswith("Error: interrupted; no partial output was written"), err


# --- animate --------------------------------------------------------------------------

ANIMATE = ("animate", "--dataset", "xor", "--n-samples", "40", "--stop-loss", "0", "--grid", "6", "--size", "128x64")
SUFFIXES = (".gif", ".png", ".csv", ".toml", ".events.csv")
OLD = ("--epochs", "4")
NEW = ("--epochs", "12")
LONG_TRAINING = ("--epochs", "100000", "--every", "10000")  # seconds of training, a few frames
LONG_RENDERING = ("--epochs", "3000")  # 3001 frames: seconds of rendering

# Runs the CLI paused after it renamed the GIF, the first of the four files, until the test's
# signal has reached nnviz's handler (every handler is wrapped to leave a file saying so):
# the signal lands between one_set's renames whatever the machine's load, and SIGKILL
# kills the process there.
PAUSED_RENAMES = """\
import os, signal, sys, time
from pathlib import Path
real_replace, real_signal = os.replace, signal.signal
def replace(src, dst, *args, **kwargs):
    real_replace(src, dst, *args, **kwargs)
    if str(dst).endswith("a.gif"):
        print("renamed a.gif", file=sys.stderr, flush=True)
        while not Path("signalled").exists():
            time.sleep(0.01)
def wrapping(sig, handler):
    if not callable(handler):
        return real_signal(sig, handler)
    def noted(signum, frame):
        Path("signalled").touch()
        return handler(signum, frame)
    return real_signal(sig, noted)
os.replace, signal.signal = replace, wrapping
from nnviz.cli import main
sys.argv[0] = "nnviz"
main()
"""


def the_set(folder: Path) -> dict[str, bytes | None]:
    return {s: (folder / f"a{s}").read_bytes() if (folder / f"a{s}").exists() else None for s in SUFFIXES}


@pytest.fixture(scope="module")
def animate_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes | None]]:
    """The previous complete set (OLD) and the one the next run writes (NEW), from uninterrupted runs."""
    sets = {}
    for name, epochs in (("old", OLD), ("new", NEW)):
        folder = tmp_path_factory.mktemp(f"animate-{name}")
        result = CliRunner().invoke(cli, [*ANIMATE, *epochs, "-q", "--out", str(folder / "a.gif")])
        assert result.exit_code == 0, result.output
        sets[name] = the_set(folder)
    assert sets["old"] != sets["new"]
    return sets


def _rendering(tmp_path: Path) -> Callable[[], bool]:
    # The GIF's temp holds frames already (more than its header and palette).
    return lambda: any(p.stat().st_size > 4096 for p in tmp_path.glob(".a.gif.*.part.gif"))


@pytest.mark.parametrize(
    ("sig", "moment"),
    [
        (signal.SIGINT, "training"),
        (signal.SIGKILL, "training"),
        (signal.SIGTERM, "rendering"),
        (signal.SIGKILL, "rendering"),
        (signal.SIGINT, "renames"),
        (signal.SIGTERM, "renames"),
        (signal.SIGKILL, "renames"),
    ],
)
def test_animate_killed(tmp_path: Path, command, animate_sets, sig: int, moment: str) -> None:
    for suffix, data in animate_sets["old"].items():
        (tmp_path / f"a{suffix}").write_bytes(data or b"")
    out = str(tmp_path / "a.gif")
    if moment == "training":
        cmd = command(*ANIMATE, *LONG_TRAINING, "--out", out)
        # The stage line comes from the first epoch's report: training has begun (of 100000 epochs).
        cmd.wait_for("training", lambda: "training" in cmd.stderr)
    elif moment == "rendering":
        cmd = command(*ANIMATE, *LONG_RENDERING, "--out", out)  # the CLI paints on two processes
        cmd.wait_for("frames in the GIF's temp", _rendering(tmp_path))
    else:
        cmd = command("animate", *ANIMATE[1:], *NEW, "--out", out, prefix=("-c", PAUSED_RENAMES))
        cmd.wait_for("the GIF's rename", lambda: "renamed a.gif" in cmd.stderr)
    code, err = cmd.kill(sig)
    check_clean_stop(sig, code, err)
    (tmp_path / "signalled").unlink(missing_ok=True)
    after = the_set(tmp_path)
    if moment == "renames" and sig == signal.SIGKILL:
        # No signal can be held off: a mix on disk, and the journal that finishes it.
        assert after[".gif"] == animate_sets["new"][".gif"] and after[".csv"] == animate_sets["old"][".csv"]
        assert [p.name for p in tmp_path.glob(".nnviz-set.*.journal")], "no journal beside the mix"
        # A re-render of the CSV finds one complete set: the journal is rolled forward first.
        rerender = CliRunner().invoke(cli, ["animate", "--history", str(tmp_path / "a.csv"), "-q",
                                            "--out", str(tmp_path / "re" / "b.gif")])
        assert rerender.exit_code == 0, rerender.output
        assert the_set(tmp_path) == animate_sets["new"], "the interrupted set was not finished"
        shutil.rmtree(tmp_path / "re")
    elif moment == "renames":
        # The signal waits until all four are in: the new complete set, never a new GIF by old files.
        assert after == animate_sets["new"], "a mix of two runs' files"
    else:
        assert after == animate_sets["old"], "the previous set was touched"
    if sig != signal.SIGKILL:
        assert temps(tmp_path) == []
    # The next run in the same folder: the new set, and nothing left over.
    result = CliRunner().invoke(cli, [*ANIMATE, *NEW, "-q", "--out", out])
    assert result.exit_code == 0, result.output
    assert the_set(tmp_path) == animate_sets["new"]
    assert temps(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a{s}" for s in sorted(SUFFIXES)]


# --- sweep ----------------------------------------------------------------------------

SWEEP = """\
[data]
n_samples = 40
[train]
epochs = 25
stop_loss = 0
[render]
grid = 6
size = "128x64"
hold = 0
[sweep]
"train.lr" = [0.1, 0.01]
"""
NUMERIC = ["run", "status", "epochs", "loss", "accuracy", "rmse"]


def run_files(out: Path) -> dict[str, bytes]:
    """Every file of every run but run.json (it holds the seconds a run took)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.glob("*/*"))
        if p.name != "run.json" and not p.name.startswith(".")
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], pd.DataFrame]:
    """An uninterrupted sweep of the same file, in its own folder."""
    folder = tmp_path_factory.mktemp("sweep-reference")
    (folder / "s.toml").write_text(SWEEP)
    result = CliRunner().invoke(cli, ["sweep", str(folder / "s.toml"), "--out", str(folder / "o"), "--jobs", "2", "-q"])
    assert result.exit_code == 0, result.output
    return run_files(folder / "o"), pd.read_csv(folder / "o" / SUMMARY)[NUMERIC]


@pytest.mark.parametrize(
    ("executor", "sig", "moment"),
    [
        ("process", signal.SIGINT, "rendering"),
        ("process", signal.SIGTERM, "first run done"),
        ("process", signal.SIGKILL, "rendering"),
        ("dask", signal.SIGINT, "first run done"),
        ("dask", signal.SIGINT, "rendering"),
        ("dask", signal.SIGTERM, "rendering"),
        ("dask", signal.SIGKILL, "first run done"),
    ],
)
def test_sweep_killed_then_resumed(tmp_path: Path, command, reference, executor: str, sig: int, moment: str) -> None:
    spec, out = tmp_path / "s.toml", tmp_path / "o"
    spec.write_text(SWEEP)
    args = ["sweep", str(spec), "--out", str(out), "--jobs", "2", "--executor", executor]
    cmd = command(*args)
    if moment == "rendering":  # a worker is writing a run's files
        cmd.wait_for("a run's temp file", lambda: bool(list(out.glob("*/.*.part*"))))
    else:  # one run is done, the others are on their way
        cmd.wait_for("a run.json", lambda: bool(list(out.glob("*/run.json"))))
    code, err = cmd.kill(sig)
    check_clean_stop(sig, code, err)
    if sig != signal.SIGKILL:
        assert temps(tmp_path) == [] and not (out / LOCK).exists()
    # A child, not CliRunner: an in-process Dask cluster leaves distributed's offload
    # thread running, and a process with threads no longer forks a second painter.
    resumed = subprocess.run([sys.executable, "-m", "nnviz", *args, "-q"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert temps(tmp_path) == [] and not (out / LOCK).exists()
    files, summary = reference
    assert run_files(out) == files, "the resumed sweep's run files differ from an uninterrupted sweep's"
    pd.testing.assert_frame_equal(pd.read_csv(out / SUMMARY)[NUMERIC], summary)


def test_ctrl_c_while_a_gif_writer_opens_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one moment a signal cannot be aimed at from outside: after the GIF's temp exists,
    while its palette is built (inside ``with``'s ``__enter__``, so no ``__exit__`` runs)."""
    import numpy as np

    from nnviz.render import writers

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writers, "as_palette", interrupted)
    # ``caught`` keeps the traceback (and so the writer) alive, as a handler on the way out does
    # (a pool worker leaves by os._exit from there): garbage collection would hide a leak.
    sample = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(KeyboardInterrupt) as caught, writers.GifWriter(tmp_path / "a.gif", sample=sample):
        pass
    assert list(tmp_path.iterdir()) == [], caught


def test_a_killed_writer_not_yet_reaped_is_dead(tmp_path: Path) -> None:
    """After SIGKILL a sweep's workers go to init, which reaps them when it gets to it: meanwhile
    they are zombies, which ``kill(pid, 0)`` still finds. Their temps are stale all the same."""
    from nnviz.atomic import remove_stale_temps

    child = subprocess.Popen([sys.executable, "-c", "pass"])  # not waited for: a zombie once it exits
    try:
        deadline = time.monotonic() + TIMEOUT
        while (_stat(child.pid) or (0, "Z", ""))[1] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        stale = tmp_path / f".a.gif.{child.pid}-abcdefgh.part.gif"
        stale.write_bytes(b"GIF89a half")
        assert remove_stale_temps(tmp_path) == [stale]
    finally:
        child.wait()


def test_the_matrix_checks_can_fail(tmp_path: Path) -> None:
    """The helpers see what they look for: a temp file, an orphan, a changed file."""
    (tmp_path / ".a.gif.1-abcdefgh.part.gif").write_bytes(b"")
    assert temps(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(tmp_path)])
    try:
        # Until the child has exec'd, /proc shows the parent's command line: poll, do not race it.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(pid == sleeper.pid for pid, _ in _naming(tmp_path)):
            time.sleep(0.02)
        assert (sleeper.pid, _stat(sleeper.pid)[2]) in _naming(tmp_path)  # type: ignore[index]
        assert any(pid == sleeper.pid for pid, _ in _descendants(os.getpid()))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not any(pid == sleeper.pid for pid, _ in _naming(tmp_path))
