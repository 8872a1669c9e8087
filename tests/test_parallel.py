"""The forked helper painter, killed as the OOM killer would (issue 22, item 4).

Killed while sending a frame, the pipe ended mid-message and the parent got
``OSError: got end of file during message``: an internal error. It is one
line naming what happened, and nothing is written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import small_cfg

from nnviz import render
from nnviz.errors import RenderError
from nnviz.render import parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="two painters need fork on Linux without threads")


def test_a_helper_killed_mid_frame_is_one_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from multiprocessing import connection

    parent = os.getpid()
    real = connection.Connection._send
    sent: list[int] = []

    def half_then_killed(self, buf, *args, **kwargs):  # in the helper only: half a frame, then SIGKILL
        if os.getpid() != parent and len(buf) > 1000:
            sent.append(1)
            if len(sent) >= 3:
                real(self, bytes(buf[: len(buf) // 2]))
                os.kill(os.getpid(), signal.SIGKILL)
        return real(self, buf, *args, **kwargs)

    monkeypatch.setattr(connection.Connection, "_send", half_then_killed)
    dest = tmp_path / "a.gif"
    with pytest.raises(RenderError, match=r"^the helper painter was killed by SIGKILL at frame \d+ \(the system may "
                                          r"have run out of memory\); nothing was written$"):
        render.animate(small_cfg(train__epochs=40), dest, workers=2)
    assert not dest.exists() and not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_the_exit_code_of_a_helper_that_exits_is_named() -> None:
    assert parallel._stopped(3, 7) == "the helper painter stopped at frame 7 (exit code 3)"
    assert parallel._stopped(-signal.SIGTERM, 5) == "the helper painter was killed by SIGTERM at frame 5; nothing was written"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_kill_9_of_the_helper_painter_from_outside(tmp_path: Path) -> None:
    """As the OOM killer would: SIGKILL to the forked painter while the CLI renders."""
    env = {k: v for k, v in os.environ.items() if k != "NNVIZ_DEBUG"}
    args = [sys.executable, "-m", "nnviz", "animate", "--epochs", "3000", "--grid", "6", "--size", "240x80",
            "--stop-loss", "0", "--out", str(tmp_path / "a.gif")]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        helpers: list[int] = []
        while not helpers:  # a state: frames in the GIF's temp, and the forked painter alive
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no helper painter came"
            rendering = any(p.stat().st_size > 4096 for p in tmp_path.glob(".a.gif.*.part.gif"))
            helpers = _children(proc.pid) if rendering else []
            time.sleep(0.02)
        for pid in helpers:
            os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    # The last line; in a pipe the progress stage ("rendering... ") is still open before it.
    assert err.count("Error:") == 1 and "internal error" not in err and "Traceback" not in err, err
    assert "Error: the helper painter was killed by SIGKILL at frame" in err.strip().splitlines()[-1], err
    assert not (tmp_path / "a.gif").exists() and not list(tmp_path.glob(".*.part*"))
