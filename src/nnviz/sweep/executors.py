"""Where a sweep's runs execute: a local process pool or a Dask cluster.

``EXECUTORS`` is the only list of executor names (the CLI's ``--executor``
choices read it). Each kind refuses bad options before any run starts and
opens a ``concurrent.futures.Executor`` as a context manager.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import kernels
from ..errors import ConfigError, NnvizError, one_line
from .runner import init_worker


@dataclass(frozen=True)
class ExecutorKind:
    """``check(scheduler, workers)`` refuses bad options before any run starts;
    ``open(jobs, scheduler, workers)`` is a context manager yielding a
    ``concurrent.futures.Executor``."""

    open: Callable[[int, str | None, int | None], contextlib.AbstractContextManager[cf.Executor]]
    check: Callable[[str | None, int | None], None]


# --- the local process pool ------------------------------------------------------------


def _check_process(scheduler: str | None, workers: int | None) -> None:
    if scheduler is not None or workers is not None:
        raise ConfigError("--scheduler and --workers belong to --executor dask; use --jobs with the process pool")


STOP_GRACE = 3.0  # seconds a stopping worker gets to unwind (drop temp files) before it is killed


class _Pool(cf.ProcessPoolExecutor):
    """A process pool that never leaves a worker half-spawned.

    Workers are spawned lazily inside ``submit``. Two things are held off
    while it runs, then delivered:

    * SIGINT and SIGTERM in this process: handled mid-spawn, they would
      abandon a child before it got its start-up data (an ``EOFError``
      traceback from the child). They are re-raised right after.
    * SIGINT in the child: it inherits the blocked mask, so a Ctrl-C that
      reaches it while it is still importing stays pending until
      ``runner.init_worker`` has set SIGINT to ignored.
    """

    def __init__(self, jobs: int, **kwargs: Any) -> None:
        super().__init__(max_workers=jobs, **kwargs)
        self.jobs = jobs

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        # The workers spawned here import NumPy afresh: they get the kernel pins whatever this process
        # has, and the BLAS threads their share of the cores (jobs x threads <= cores).
        with _signals_held(), kernels.pinned_environ(self.jobs):
            return super().submit(fn, *args, **kwargs)


_HELD = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (and only it gets Python's signals)
        return
    arrived: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: arrived.append(signum)) for sig in _HELD}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if arrived:
            signal.raise_signal(arrived[0])  # now, with the real handler back


@contextlib.contextmanager
def process_executor(jobs: int, scheduler: str | None = None, workers: int | None = None) -> Iterator[cf.Executor]:
    """A local pool of spawned processes (matplotlib is not fork- or thread-safe)."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    pool = _Pool(jobs, mp_context=ctx, initializer=init_worker, initargs=(stop, os.getpid()))
    try:
        yield pool
    except BaseException:
        stop.set()
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _stop_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Stop now, once the stop Event is set: cancel what has not started, wait for the rest.

    A plain ``shutdown`` would let the running runs, and the one already in
    the pool's call queue, train and render to the end. With the Event set,
    each worker raises KeyboardInterrupt at its next epoch or frame (writers
    remove their temp files; the marker was never written, so a re-run redoes
    the run) and exits. A signal would not do: the pool's own worker loop
    swallows a KeyboardInterrupt that lands between runs.
    """
    # Python 3.11 has no public handle on the workers (3.14 adds terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_GRACE
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()  # SIGTERM: unwinds a run (temps removed), ends an idle worker
            proc.join(1.0)
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


# --- Dask -------------------------------------------------------------------------------

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler and finish Dask's handshake, in total


def _import_dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise NnvizError('--executor dask needs dask.distributed: pip install "nnviz-anim[dask]"') from None
    return distributed


def _check_dask(scheduler: str | None, workers: int | None) -> None:
    _import_dask()
    if scheduler is not None and workers is not None:
        raise ConfigError("--workers starts a local Dask cluster; it cannot be combined with --scheduler")


def _unreachable(scheduler: str, why: str) -> NnvizError:
    return NnvizError(
        f"cannot reach a Dask scheduler at {scheduler} ({why}); start one with 'dask scheduler' or drop --scheduler"
    )


GREETING_WAIT = 3.0  # seconds: a Dask scheduler greets a new connection at once


def _probe(scheduler: str, timeout: float) -> None:
    """Before Dask's Client: is a Dask scheduler listening there at all?

    A closed port or a bad address fails fast. A Dask scheduler sends its
    handshake (msgpack naming "compression" and "pickle-protocol") as soon
    as it accepts; a listener that stays silent is asked an HTTP question,
    so a web server is named as such, and one that never answers is "no
    reply". Everything within ``timeout`` seconds.
    """
    parts = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme not in ("tcp", "tls") or not host or not port:
        raise _unreachable(scheduler, "not an address like tcp://HOST:PORT")
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        raise _unreachable(scheduler, "connection refused") from None
    except TimeoutError:
        raise _unreachable(scheduler, f"no reply in {timeout:g} s") from None
    except OSError as exc:
        raise _unreachable(scheduler, one_line(exc.strerror or exc)) from None
    if parts.scheme == "tls":
        sock.close()
        return  # the greeting is encrypted: leave the check to Dask, still time-bounded
    with sock:
        reply = _read_some(sock, min(GREETING_WAIT, timeout))
        if reply is None:  # silent so far: maybe a server that waits for a request (HTTP)
            with contextlib.suppress(OSError):
                sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            reply = _read_some(sock, max(0.1, deadline - time.monotonic()))
    if reply is None:
        raise _unreachable(scheduler, f"no reply in {timeout:g} s")
    if b"compression" in reply or b"pickle-protocol" in reply:
        return
    if reply.startswith(b"HTTP/"):
        raise _unreachable(scheduler, "not a Dask scheduler: an HTTP server answered")
    raise _unreachable(scheduler, "not a Dask scheduler" if reply else "not a Dask scheduler: it closed the connection")


def _read_some(sock: socket.socket, wait: float) -> bytes | None:
    """Up to 4 KiB the peer sends within ``wait`` seconds; None if it sent nothing."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096)
    except TimeoutError:
        return None
    except OSError:
        return b""


def _connect(distributed: Any, scheduler: str) -> Any:
    """A Client on ``scheduler``, or a clear error within about CONNECT_TIMEOUT seconds.

    A listener that is not a Dask scheduler (silent, or an HTTP server)
    accepts the TCP connection and then never finishes Dask's handshake,
    and Dask's own timeouts do not bound that wait. So the Client is made in
    a daemon thread that is abandoned at the deadline: its event loop may
    linger until the process ends, but nothing waits for it.
    """
    import dask

    started = time.monotonic()
    _probe(scheduler, CONNECT_TIMEOUT)
    left = max(1.0, CONNECT_TIMEOUT - (time.monotonic() - started))
    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{left:.0f}s"}):
                outcome["client"] = distributed.Client(scheduler, timeout=f"{left:.0f}s", set_as_default=False)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="nnviz-dask-connect", daemon=True)
    thread.start()
    thread.join(left)
    if thread.is_alive():
        raise _unreachable(scheduler, f"no reply in {CONNECT_TIMEOUT:g} s")
    if "client" in outcome:
        return outcome["client"]
    exc = outcome.get("error")
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        raise _unreachable(scheduler, f"no reply in {CONNECT_TIMEOUT:g} s")
    raise _unreachable(scheduler, f"not a Dask scheduler: {type(exc).__name__}")


# Cancelling a sweep's futures (Ctrl-C, SIGTERM, an error in one run) makes
# the scheduler log "Couldn't gather keys" and tornado log the cancelled
# future's traceback from the event loop thread; the user has already been
# told what happened in one line, so teardown noise from these is dropped.
TEARDOWN_LOGGERS = ("distributed", "tornado", "asyncio")


@contextlib.contextmanager
def _quiet(*roots: str) -> Iterator[None]:
    """Drop every record from the ``roots`` loggers and their children, then restore their levels.

    Children are set one by one because distributed's logging config gives
    some of them (``tornado.application``) their own level, which a parent's
    level would not override.
    """
    names = {*roots, *(n for n in logging.root.manager.loggerDict if n.split(".")[0] in roots)}
    loggers = [logging.getLogger(name) for name in sorted(names)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def dask_executor(jobs: int, scheduler: str | None = None, workers: int | None = None) -> Iterator[cf.Executor]:
    """Dask's concurrent.futures executor on an existing cluster or a local one.

    With ``scheduler`` the workers must see the same output folder (a shared
    filesystem) and have nnviz installed.
    """
    distributed = _import_dask()
    with contextlib.ExitStack() as stack:
        teardown = stack.enter_context(contextlib.ExitStack())  # unwound last: after the cluster closes
        if scheduler is None:
            with kernels.pinned_environ(workers or jobs):  # the workers it spawns inherit the pins and BLAS threads
                cluster = distributed.LocalCluster(
                    host="127.0.0.1",
                    n_workers=workers or jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # Workers outlive an interrupted sweep by a moment and log its
                    # cut connections as ERRORs with tracebacks ("Failed to communicate
                    # with scheduler during heartbeat") under the one "Error:" line.
                    silence_logs=logging.WARNING if os.environ.get("NNVIZ_DEBUG") else logging.CRITICAL,
                    preload=["nnviz.sweep.runner"],  # its dask_setup: workers ignore Ctrl-C
                )
            stack.enter_context(cluster)
            client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
        else:
            client = stack.enter_context(_connect(distributed, scheduler))
        # pure=False: a run has side effects (files), so Dask must never dedupe or cache it.
        executor = client.get_executor(pure=False)
        try:
            yield executor
        finally:
            teardown.enter_context(_quiet(*TEARDOWN_LOGGERS))
            executor.shutdown(wait=False)


EXECUTORS: dict[str, ExecutorKind] = {
    "process": ExecutorKind(process_executor, _check_process),
    "dask": ExecutorKind(dask_executor, _check_dask),
}


def executor_for(name: str) -> ExecutorKind:
    try:
        return EXECUTORS[name]
    except KeyError:
        raise ConfigError(f"unknown executor {name!r}; valid: {', '.join(EXECUTORS)}") from None
