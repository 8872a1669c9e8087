"""Every command in the README and the docs pages runs, as written, in order.

Each page's ```bash blocks are read, and every line that starts with ``nnviz``
runs in a fresh folder holding the repository's ``configs/`` and ``examples/``
(a page's commands run in order in one folder, as a reader would type them).
A command that needs something this machine does not have is listed in
``NOT_RUN`` with the reason; the list is checked against the pages, so it
cannot hide a command that no longer exists.

For the README the run is also the check of issue 17: each command leaves its
own files (none replaces another's), and the ``--history`` line re-renders
the history it names.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```bash\n(.*?)^```", re.M | re.S)

# Commands the docs show that cannot run here, and why (checked: each must still be in a page).
NOT_RUN = {
    "--scheduler tcp://HOST:8786": "needs a Dask scheduler at a placeholder address",
}


def commands(page: Path) -> list[str]:
    """The ``nnviz`` lines of ``page``'s bash blocks, in order."""
    found = []
    for block in FENCE.findall(page.read_text(encoding="utf-8")):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("nnviz "):
                found.append(line)
    return found


def _runnable(line: str) -> bool:
    return not any(marker in line for marker in NOT_RUN)


def _folder(tmp: Path) -> Path:
    for name in ("configs", "examples"):
        shutil.copytree(ROOT / name, tmp / name)
    return tmp


def _files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` but the copied inputs, with its digest."""
    out = {}
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and not rel.startswith(("configs/", "examples/")):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _run(line: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("NNVIZ_DEBUG", None)
    # bash: the docs use redirections (--out - > run.gif); comments after the command are bash's too.
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


def test_the_pages_have_commands_and_the_skip_list_is_current() -> None:
    every = [line for page in PAGES for line in commands(page)]
    assert len(commands(ROOT / "README.md")) >= 5
    for marker in NOT_RUN:
        assert any(marker in line for line in every), f"NOT_RUN lists {marker!r}, which no page shows any more"


@pytest.mark.slow
def test_every_readme_command_runs_in_order_and_leaves_its_own_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    owner: dict[str, str] = {}  # file -> the command that wrote it
    for line in commands(ROOT / "README.md"):
        assert _runnable(line), line
        before = _files(folder)
        proc = _run(line, folder)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, proc.stderr
        after = _files(folder)
        changed = {f for f, digest in after.items() if before.get(f) != digest}
        assert changed, f"{line} wrote nothing"
        replaced = {f: owner[f] for f in changed if f in owner}
        assert not replaced, f"{line} replaced another command's files: {replaced}"
        owner.update(dict.fromkeys(changed, line))
        if "--history" in line:  # it re-renders the run it names: that history's config is the one it used
            history = re.search(r"--history (\S+)", line)[1]
            assert history in owner and owner[history] != line
            wrote = sorted(f for f in changed if f.endswith(".toml"))
            assert wrote, line
            named = (folder / history).with_suffix(".toml").read_text()
            mine = (folder / wrote[0]).read_text()
            for section in ("[data]", "[model]", "[train]"):  # the same run, re-drawn
                assert _section(mine, section) == _section(named, section), (line, section)


def _section(toml: str, name: str) -> str:
    return toml.split(name, 1)[1].split("\n[", 1)[0]


DOC_PAGES = [p for p in PAGES if p.name != "README.md" and commands(p)]


@pytest.mark.slow
@pytest.mark.parametrize("page", DOC_PAGES, ids=[p.name for p in DOC_PAGES])
def test_every_docs_command_runs(page: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "docs").mkdir()  # commands that regenerate a docs image write into docs/
    for line in commands(page):
        if not _runnable(line):
            continue
        proc = _run(line, folder)
        assert proc.returncode == 0, f"{page.name}: {line}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
