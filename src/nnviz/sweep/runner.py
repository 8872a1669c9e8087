"""One run of a sweep, in a worker process: train, render, mark it done.

A run writes its animation, poster, history CSV, config TOML and thumbnail
into its own folder and, last of all, ``run.json``: its config hash, its
results and each output's size and sha256. A folder whose marker matches the
config *and* whose files match their digests is complete; anything else
(a crash between files, a truncated GIF, an edited file) is redone.

In a process-pool worker the run also watches its parent: the pool's stop
Event, and the parent's death (SIGKILL leaves no chance to set the Event),
end the run at its next epoch or frame.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .. import config as config_mod
from .. import kernels, signals
from ..atomic import write_text_atomic
from ..bounded import open_own, read_own
from ..config import Config
from ..errors import Interrupted, NnvizError, one_line
from ..plan import run_stem, sweep_run
from .spec import RunSpec

MARKER = "run.json"
METRICS = ("accuracy", "rmse")


@dataclass(frozen=True)
class RunResult:
    """How one run ended. Paths are relative to the sweep's output folder."""

    name: str
    status: str  # ok, diverged or failed
    epochs: int | None = None  # the last epoch trained
    loss: float | None = None
    accuracy: float | None = None
    rmse: float | None = None
    seconds: float = 0.0
    path: str = ""  # the animation
    poster: str = ""
    history_csv: str = ""
    config_toml: str = ""
    events_csv: str = ""  # the training events the frames name
    thumb: str = ""  # the input-space thumbnail the comparison is built from
    error: str = ""
    config_hash: str = ""
    cached: bool = False  # not run now: a finished run with the same config was kept
    # Run where NumPy's AVX-512 kernels were on (NumPy loaded before nnviz on a
    # Dask worker): its files may differ in the last bits from anyone else's.
    unpinned: bool = False
    retry_error: str = ""  # with --force: why the re-run failed (its previous result was kept)

    @property
    def metric(self) -> tuple[str, float] | None:
        """The headline metric: accuracy for classifiers, rmse for regression."""
        for name in METRICS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        return None

    def files(self) -> tuple[str, ...]:
        files = (self.path, self.poster, self.history_csv, self.config_toml, self.events_csv, self.thumb)
        return tuple(p for p in files if p)


# --- the worker's view of its parent -------------------------------------------------

_STOP: Any = None  # in a pool worker: the pool's "stop now" Event (see executors.process_executor)
_PARENT: int | None = None  # in a pool worker: the sweep's pid; None in a Dask worker or in-process
_IN_RUN = False  # SIGTERM mid-run unwinds (temp files removed); between runs it just exits

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def init_worker(stop: Any, parent: int) -> None:
    """The process pool's initializer: watch the parent, leave Ctrl-C to it.

    * ``PR_SET_PDEATHSIG``: the kernel sends SIGTERM when the parent dies,
      even by SIGKILL, so no worker lives on as an orphan writing files.
    * SIGINT is ignored: the terminal sends Ctrl-C to the whole group, and
      the parent stops workers through ``stop`` (a worker's own
      KeyboardInterrupt would print a traceback, or be swallowed between runs).
      The parent spawned us with SIGINT blocked, so a Ctrl-C during our
      imports is still pending; ignoring it first, then unblocking, drops it.
    """
    global _STOP, _PARENT
    _STOP, _PARENT = stop, parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signals.install({signal.SIGTERM: _on_sigterm})  # never raised inside a finalizer (a traceback, then lost)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _set_parent_death_signal()
    if _orphaned():  # the parent died before prctl took effect
        os._exit(143)
    threading.Thread(target=_watch_parent, name="nnviz-parent-watch", daemon=True).start()


WATCH_EVERY = 0.1  # seconds between two looks at the parent
GRACE = 20.0  # seconds a run gets to unwind on its own (dropping its temp files) once the parent is gone


def _watch_parent() -> None:
    """A pool worker's last guard: once the parent is gone, this process ends, whatever else happened.

    The parent-death SIGTERM and ``check_stop`` end a run in progress. But a
    worker idle in the pool's queue whose SIGTERM was lost, or one whose
    KeyboardInterrupt escaped ``execute_run`` into the pool's own handler
    (which sends it to the dead parent and waits for the next task), would
    wait for work for ever: under load, one was still there 120 s after its
    sweep was killed with SIGKILL. A run still going is given ``GRACE`` to
    unwind; an idle worker has nothing to clean and leaves at once.
    """
    while not _orphaned():
        time.sleep(WATCH_EVERY)
    deadline = time.monotonic() + GRACE
    while _IN_RUN and time.monotonic() < deadline:
        time.sleep(WATCH_EVERY)
    os._exit(143)


def dask_setup(worker: Any) -> None:
    """A local Dask cluster's workers preload this module: leave Ctrl-C to the sweep.

    The terminal sends Ctrl-C to the whole group; a Dask worker that took it
    printed Dask's tracebacks (KeyboardInterrupt, CancelledError) under the
    sweep's one ``Error:`` line. The sweep closes the cluster, which stops its
    workers, as the process pool's stop Event does. (A Ctrl-C while a worker
    is still starting, before this runs, can still reach it.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return  # elsewhere the getppid check at every epoch and frame is the guard
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _orphaned() -> bool:
    return _PARENT is not None and os.getppid() != _PARENT


def _on_sigterm(signum: int, frame: Any) -> None:
    if _IN_RUN:
        raise KeyboardInterrupt  # writers drop their temp files on the way out
    os._exit(128 + signum)


# A stopping sweep's word to every run, pool or Dask: this file in the output folder. A Dask
# worker's run has no Event to watch and is killed with its cluster: it left its temp files
# behind (.part files in 4 of 5 interrupted sweeps). Dask workers see the folder (they write
# into it), so they see this file; it is looked at no more often than every STOP_POLL seconds.
STOP_FILE = ".nnviz-stop"
STOP_POLL = 0.1
_watch = threading.local()  # per worker thread: (the stop file, when it was last looked at)


class Stopped(KeyboardInterrupt):
    """The sweep asked its runs to stop (its stop file appeared)."""


def _stop_file_seen() -> bool:
    path, last = getattr(_watch, "path", None), getattr(_watch, "last", 0.0)
    now = time.monotonic()
    if path is None or now - last < STOP_POLL:
        return False
    _watch.last = now
    return os.path.lexists(path)


def check_stop(*_: Any) -> None:
    """Raise KeyboardInterrupt once the sweep is stopping or gone; called at every epoch and frame."""
    if (_STOP is not None and _STOP.is_set()) or _orphaned():
        raise KeyboardInterrupt
    if _stop_file_seen():
        raise Stopped


# --- one run -------------------------------------------------------------------------


def execute_run(cfg: Config, out: str, name: str) -> RunResult:
    """Train and render one run into ``out/name/``; never raises for a run's own failure.

    Runs in a worker (a spawned process or a Dask worker), so it takes and
    returns plain picklable values. The marker is written last: if anything
    before it fails, the folder does not count as done.
    """
    global _IN_RUN
    start = time.perf_counter()
    folder = Path(out) / name
    try:
        _IN_RUN = True  # inside the try: a SIGTERM from here on unwinds through the handlers below
        _watch.path, _watch.last = Path(out) / STOP_FILE, 0.0
        check_stop()  # runs still queued when the sweep stopped end at once
        result = _train_and_render(cfg, folder)
        unpinned = kernels.avx512_active()
        result = replace(result, name=name, seconds=time.perf_counter() - start, unpinned=unpinned)
        write_marker(folder, result)
        return result
    except KeyboardInterrupt as exc:
        if _PARENT is not None:
            # A pool worker that was told to stop (or lost its parent) leaves
            # now: returning to the pool's loop would wait for work forever.
            os._exit(143)
        if isinstance(exc, Stopped):  # a Dask (or in-process) run: its temps are gone; the sweep is leaving
            return RunResult(name, "failed", seconds=time.perf_counter() - start, error="stopped: the sweep stopped")
        raise
    except Exception as exc:  # the run's own failure, or a bug in it: neither may take the sweep down
        signum = signals.arrived()
        if signum is not None:  # a signal's doing, under another name (C code replaced it: see signals)
            if _PARENT is not None:
                os._exit(128 + signum)
            raise Interrupted(signum) from exc
        error = one_line(exc) if isinstance(exc, NnvizError) else one_line(f"{type(exc).__name__}: {exc}")
        return RunResult(name, "failed", seconds=time.perf_counter() - start, error=error)
    finally:
        _IN_RUN = False
        _watch.path = None


def _train_and_render(cfg: Config, folder: Path) -> RunResult:
    from ..engine.train import load_data
    from ..render import animate
    from .thumbs import THUMB, write_thumb

    stem = run_stem(cfg)
    data = load_data(cfg)
    # check_stop as the progress report stops the run at its next epoch or
    # frame; animate then raises Interrupted and writes nothing, so a stopped
    # run is never rendered or marked done.
    anim = animate(cfg, folder / f"{stem}.{cfg.render.format}", data=data, progress=check_stop)
    history = anim.history
    check_stop()
    thumb = write_thumb(cfg, history, data, folder / THUMB)
    last = history.last
    rel = lambda p: Path(p).relative_to(folder.parent).as_posix() if p else ""  # noqa: E731
    return RunResult(
        name=folder.name,
        status="diverged" if history.stop_reason == "diverged" else "ok",
        epochs=last.epoch,
        loss=last.metrics.get("loss"),
        accuracy=last.metrics.get("accuracy"),
        rmse=last.metrics.get("rmse"),
        path=rel(anim.path),
        poster=rel(anim.poster),
        history_csv=rel(anim.history_csv),
        config_toml=rel(anim.config_toml),
        events_csv=rel(anim.events_csv),
        thumb=rel(thumb),
        error=history.message if history.stop_reason == "diverged" else "",
        config_hash=config_mod.config_hash(cfg),
    )


# --- the marker -----------------------------------------------------------------------


def file_digest(path: Path) -> dict[str, Any]:
    """Size and sha256 of a file, read in blocks (animations can be large)."""
    with path.open("rb") as f:
        return _digest(f)


def _digest(f: Any) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    return {"size": size, "sha256": digest.hexdigest()}


_STORED = tuple(f.name for f in fields(RunResult) if f.name not in ("cached", "retry_error", "unpinned"))


def write_marker(folder: Path, result: RunResult) -> Path:
    """The run's "done" marker: config hash, results and each file's digest, written atomically."""
    body: dict[str, Any] = {k: v for k, v in asdict(result).items() if k in _STORED}
    root = folder.parent
    body["files"] = {rel: file_digest(root / rel) for rel in result.files()}
    return write_text_atomic(folder / MARKER, json.dumps(body, indent=2, sort_keys=True) + "\n")


def read_marker(out: Path, run: RunSpec) -> RunResult | None:
    """The stored result of a finished run with the same config and intact files, else None.

    The marker is a claim, checked field by field: read capped and never
    through a link, every field of the type and value a finished run of
    this config would have written (its paths the ones this run writes),
    and every file it lists the size and sha256 it records. Anything else,
    a damaged, planted or edited marker included, means "redo the run".
    """
    raw = read_own(out / run.name / MARKER)
    if raw is None:
        return None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    result = _claimed(body, out, run)
    if result is None or not _intact(out, result.files(), body["files"]):
        return None
    return replace(result, name=run.name, cached=True)


def expected_files(out: Path, run: RunSpec) -> dict[str, str]:
    """The paths (relative to ``out``) a finished run of ``run`` records in its marker."""
    from .thumbs import THUMB

    folder = out / run.name
    outs = sweep_run(run.cfg, folder).outputs
    assert outs.path and outs.poster and outs.history_csv and outs.config_toml and outs.events_csv  # all six
    rel = lambda p: Path(p).relative_to(out).as_posix()  # noqa: E731
    return {
        "path": rel(outs.path),
        "poster": rel(outs.poster),
        "history_csv": rel(outs.history_csv),
        "config_toml": rel(outs.config_toml),
        "events_csv": rel(outs.events_csv),
        "thumb": rel(folder / THUMB),
    }


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is a Python int


def _number(value: Any, low: float = -math.inf, high: float = math.inf) -> bool:
    """A finite JSON number in [low, high]."""
    real = isinstance(value, (int, float)) and not isinstance(value, bool)
    return real and math.isfinite(value) and low <= value <= high


def _claimed(body: Any, out: Path, run: RunSpec) -> RunResult | None:
    """The RunResult a marker claims, if every field is what this run would have written; else None."""
    if not isinstance(body, dict) or set(body) != {*_STORED, "files"}:
        return None
    epochs = body["epochs"]
    checks = (
        body["name"] == run.name,
        body["status"] in ("ok", "diverged"),
        _whole(epochs) and 0 <= epochs <= run.cfg.train.epochs,
        _number(body["loss"], 0.0),
        body["accuracy"] is None or _number(body["accuracy"], 0.0, 1.0),
        body["rmse"] is None or _number(body["rmse"], 0.0),
        _number(body["seconds"], 0.0),
        isinstance(body["error"], str) and len(body["error"]) <= MAX_ERROR,
        body["config_hash"] == config_mod.config_hash(run.cfg),
        all(body[k] == v for k, v in expected_files(out, run).items()),
    )
    if not all(checks):
        return None
    values = {k: body[k] for k in _STORED}
    values |= {m: float(values[m]) if values[m] is not None else None for m in ("loss", *METRICS)}
    return RunResult(**values | {"seconds": float(values["seconds"])})


MAX_ERROR = 2000  # characters of a diverged run's message a marker may hold


def _intact(out: Path, files: tuple[str, ...], stored: Any) -> bool:
    """Every file is there, a regular file (not a link), with the size and sha256 the marker recorded."""
    if not isinstance(stored, dict) or set(stored) != set(files):
        return False
    for rel in files:
        claim = stored[rel]
        if not isinstance(claim, dict) or set(claim) != {"size", "sha256"}:
            return False
        if (
            not isinstance(claim["size"], int)
            or isinstance(claim["size"], bool)
            or not isinstance(claim["sha256"], str)
        ):
            return False
        file = open_own(out / rel)
        if file is None:
            return False
        with file:
            try:
                if os.fstat(file.fileno()).st_size != claim["size"] or _digest(file) != claim:
                    return False
            except OSError:
                return False
    return True
