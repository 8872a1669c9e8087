"""A run's files are one set even under SIGKILL or a power loss (issue 22, item 7).

``atomic.one_set`` flushes every temp to disk, then makes a journal of the
renames durable, renames, and removes the journal. A writer killed between
two renames leaves the journal; the next nnviz run in that folder, a
``--history`` re-render or a sweep's resume rolls the set forward, so every
reader finds one complete set. The kill lands at a moment the test can see:
the child announces the first rename and then waits to be killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnviz import atomic
from nnviz.cli import cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and fork semantics")

ANIMATE = ["animate", "--dataset", "xor", "--n-samples", "40", "--stop-loss", "0", "--grid", "6", "--size", "240x80",
           "-q"]
SUFFIXES = (".gif", ".png", ".csv", ".toml", ".events.csv")
TIMEOUT = 120

# The CLI with os.replace announcing the rename of the set's first file (the GIF) and then
# waiting to be killed: SIGKILL lands between one_set's renames, whatever the machine's load.
KILLED_BETWEEN_RENAMES = """\
import os, sys, time
real = os.replace
def replace(src, dst, *args, **kwargs):
    real(src, dst, *args, **kwargs)
    if str(dst).endswith(".gif") and ".part" not in str(dst):
        print("renamed the gif", file=sys.stderr, flush=True)
        while True:
            time.sleep(1)  # until the test's SIGKILL
os.replace = replace
from nnviz.cli import main
sys.argv[0] = "nnviz"
main()
"""


def the_set(folder: Path, stem: str = "a") -> dict[str, bytes | None]:
    return {s: (folder / f"{stem}{s}").read_bytes() if (folder / f"{stem}{s}").exists() else None for s in SUFFIXES}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if atomic.is_temp_name(p.name))


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes | None]]:
    """An old complete set (4 epochs) and the new one (9 epochs), from uninterrupted runs."""
    found = {}
    for name, epochs in (("old", "4"), ("new", "9")):
        folder = tmp_path_factory.mktemp(name)
        result = CliRunner().invoke(cli, [*ANIMATE, "--epochs", epochs, "--out", str(folder / "a.gif")])
        assert result.exit_code == 0, result.output
        found[name] = the_set(folder)
    return found


def killed_between_renames(folder: Path, old: dict[str, bytes | None]) -> None:
    """The old set in ``folder``, then a run writing the new one SIGKILLed after its first rename."""
    for suffix, data in old.items():
        (folder / f"a{suffix}").write_bytes(data or b"")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BETWEEN_RENAMES, *ANIMATE, "--epochs", "9", "--out",
                             str(folder / "a.gif")], cwd=folder, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, env=env)
    try:
        assert proc.stderr is not None
        seen = b""
        while b"renamed the gif" not in seen:  # a state, not a duration: the line comes, or the child ends
            chunk = proc.stderr.read1(4096) if hasattr(proc.stderr, "read1") else proc.stderr.read(1)
            assert chunk, f"the child ended first (exit {proc.wait()}): {seen.decode(errors='replace')}"
            seen += chunk
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigkill_between_renames_leaves_a_journal_then_a_rerender_finds_the_new_set(tmp_path: Path, sets) -> None:
    killed_between_renames(tmp_path, sets["old"])
    mixed = the_set(tmp_path)
    assert mixed[".gif"] == sets["new"][".gif"] and mixed[".csv"] == sets["old"][".csv"]  # a mix, on disk now
    assert any(name.endswith(".journal") for name in leftovers(tmp_path)), leftovers(tmp_path)
    # A re-render of the CSV: it must read the CSV and TOML of the set beside its GIF, the new one.
    out = tmp_path / "other" / "b.gif"
    result = CliRunner().invoke(cli, ["animate", "--history", str(tmp_path / "a.csv"), "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert the_set(tmp_path) == sets["new"], "the set was not finished"
    assert leftovers(tmp_path) == []
    assert (tmp_path / "other" / "b.csv").read_bytes() == sets["new"][".csv"]


def test_sigkill_between_renames_then_the_next_run_finds_one_set(tmp_path: Path, sets) -> None:
    killed_between_renames(tmp_path, sets["old"])
    result = CliRunner().invoke(cli, [*ANIMATE, "--epochs", "4", "--out", str(tmp_path / "a.gif")])
    assert result.exit_code == 0, result.output
    assert the_set(tmp_path) == sets["old"]  # the next run's own complete set, over the finished one
    assert leftovers(tmp_path) == []


def test_recovery_alone_rolls_the_set_forward(tmp_path: Path, sets) -> None:
    killed_between_renames(tmp_path, sets["old"])
    placed = atomic.recover_sets(tmp_path)
    assert sorted(p.name for p in placed) == ["a.csv", "a.events.csv", "a.png", "a.toml"]
    assert the_set(tmp_path) == sets["new"] and leftovers(tmp_path) == []
    assert atomic.recover_sets(tmp_path) == []  # nothing left to do: idempotent


def test_the_journal_is_on_disk_before_the_first_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, list]] = []
    synced: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst, *args, **kwargs):
        if not str(dst).endswith(".journal"):
            journals = [p for p in tmp_path.iterdir() if p.name.endswith(".journal") and ".part" not in p.name]
            seen.append((Path(dst).name, [json.loads(j.read_text())["renames"] for j in journals]))
        return real_replace(src, dst, *args, **kwargs)

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    with atomic.one_set():
        for name in ("a.gif", "a.png"):
            with atomic.atomic_path(tmp_path / name) as tmp:
                tmp.write_text(name)
    assert [name for name, _ in seen] == ["a.gif", "a.png"]
    for _, journals in seen:  # at each rename: one journal naming both renames
        assert len(journals) == 1 and [d for _, d in journals[0]] == ["a.gif", "a.png"]
    assert leftovers(tmp_path) == [] and (tmp_path / "a.png").read_text() == "a.png"
    temps_synced = [p for p in synced if ".part" in p and not p.endswith(".journal")]
    assert len(temps_synced) == 2  # each file's data before its rename
    assert str(tmp_path) in synced  # the folder, after the renames


def test_a_single_atomic_write_is_flushed_before_its_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append("fsync " + os.readlink(f"/proc/self/fd/{fd}")),
                                                 real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    atomic.write_text_atomic(tmp_path / "x.txt", "text")
    assert order[0].startswith("fsync") and ".part" in order[0] and order[1] == "replace"
    assert order[2] == f"fsync {tmp_path}"


@pytest.mark.parametrize(
    "renames",
    [
        [["../escape.txt", "a.gif"]],  # out of the folder
        [[".a.gif.{pid}-abcdefgh.part.gif", "../../x"]],
        [["notes.txt", "a.gif"]],  # not a temp: a user's file
        [[".a.gif.1-abcdefgh.part.gif", "a.gif"]],  # another writer's temp
        [[".a.gif.{pid}-abcdefgh.part.gif", "b.gif"]],  # a temp renamed over another name
        "not a list",
    ],
)
def test_a_planted_journal_moves_nothing(tmp_path: Path, renames) -> None:
    dead = 4194304 + 7  # above Linux's pid_max: no such process, ever
    (tmp_path / "notes.txt").write_text("the user's notes")
    (tmp_path / "a.gif").write_text("the old gif")
    temp = tmp_path / f".a.gif.{dead}-abcdefgh.part.gif"
    temp.write_text("a temp")
    if isinstance(renames, list):
        renames = [[a.format(pid=dead), b] for a, b in renames]
    journal = tmp_path / f".nnviz-set.{dead}-abcdefgh.journal"
    journal.write_text(json.dumps({"nnviz": "set", "pid": dead, "start": "", "renames": renames}))
    assert atomic.recover_sets(tmp_path) == []
    assert (tmp_path / "notes.txt").read_text() == "the user's notes" and (tmp_path / "a.gif").read_text() == "the old gif"
    assert not journal.exists()  # not nnviz's: removed; the temp is stale, removed with the others
    atomic.remove_stale_temps(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif", "notes.txt"]


def test_a_live_writers_journal_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "a.gif").write_text("old")
    temp = tmp_path / f".a.gif.{os.getpid()}-abcdefgh.part.gif"
    temp.write_text("new")
    journal = tmp_path / f".nnviz-set.{os.getpid()}-abcdefgh.journal"
    journal.write_text(json.dumps({"nnviz": "set", "pid": os.getpid(), "start": atomic._start_time(os.getpid()),
                                   "renames": [[temp.name, "a.gif"]]}))
    assert atomic.recover_sets(tmp_path) == []
    assert journal.exists() and (tmp_path / "a.gif").read_text() == "old"


def test_a_journal_whose_pid_was_reused_is_finished(tmp_path: Path) -> None:
    (tmp_path / "a.gif").write_text("old")
    temp = tmp_path / f".a.gif.{os.getpid()}-abcdefgh.part.gif"
    temp.write_text("new")
    journal = tmp_path / f".nnviz-set.{os.getpid()}-abcdefgh.journal"
    journal.write_text(json.dumps({"nnviz": "set", "pid": os.getpid(), "start": "1",  # another process's start
                                   "renames": [[temp.name, "a.gif"]]}))
    assert atomic.recover_sets(tmp_path) == [tmp_path / "a.gif"]
    assert (tmp_path / "a.gif").read_text() == "new" and not journal.exists()


def test_no_room_for_the_journal_renames_nothing_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    from nnviz.errors import OutputError

    (tmp_path / "a.gif").write_text("old")

    def full(folder, pairs):
        raise OutputError(f"cannot write to {str(folder)!r}: No space left on device")

    monkeypatch.setattr(atomic, "_write_journal", full)
    with pytest.raises(OutputError, match="No space left on device"), atomic.one_set():
        for name in ("a.gif", "a.png"):
            with atomic.atomic_path(tmp_path / name) as tmp:
                tmp.write_text("new " + name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"] and (tmp_path / "a.gif").read_text() == "old"
