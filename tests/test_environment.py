"""The user's environment does not change what nnviz draws or how it ends (issue 22, item 4).

A ``matplotlibrc`` (``text.usetex: True``, a font the machine lacks, other
sizes and colours, a backend), ``MPLBACKEND=nonsense``, rcParams changed in
a notebook, and closed standard streams: the run succeeds, says nothing
extra, and writes the same bytes as a run in a clean environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ANIMATE = ["animate", "--epochs", "3", "--grid", "8", "--size", "240x80", "-q", "--out", "a.gif"]
RC_FILES = {
    "usetex": "text.usetex: True\n",
    "fonts": "font.family: Comic Sans MS\nfont.size: 31\nfont.sans-serif: Nope Sans\nmathtext.fontset: cm\n",
    "looks": "lines.linewidth: 9\naxes.facecolor: red\naxes.linewidth: 7\nfigure.dpi: 300\nsavefig.dpi: 17\n"
             "text.hinting: none\npath.simplify_threshold: 1\nimage.interpolation: bicubic\naxes.grid: True\n",
    "backend": "backend: nonsense\nbogus.key: 3\n",
}


def nnviz(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("NNVIZ_DEBUG", "MPLBACKEND", "MATPLOTLIBRC")}
    return subprocess.run([sys.executable, "-m", "nnviz", *args], cwd=cwd, env={**base, **(env or {})},
                          timeout=300, **kw)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of a run in a clean environment, for each engine."""
    found = {}
    for engine in ("stream", "celluloid"):
        folder = tmp_path_factory.mktemp(f"clean-{engine}")
        proc = nnviz([*ANIMATE, "--engine", engine], folder, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        found[engine] = (folder / "a.gif").read_bytes()
        found[f"{engine}.png"] = (folder / "a.png").read_bytes()
    return found


@pytest.mark.parametrize("engine", ["stream", "celluloid"])
@pytest.mark.parametrize("rc", sorted(RC_FILES))
def test_a_users_matplotlibrc_changes_no_pixel(tmp_path: Path, clean, rc: str, engine: str) -> None:
    (tmp_path / "matplotlibrc").write_text(RC_FILES[rc])  # matplotlib reads the one in the working folder first
    proc = nnviz([*ANIMATE, "--engine", engine], tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no internal error, no findfont lines, no rc-file complaints
    assert (tmp_path / "a.gif").read_bytes() == clean[engine]
    assert (tmp_path / "a.png").read_bytes() == clean[f"{engine}.png"]


@pytest.mark.parametrize("backend", ["nonsense", "gtk4agg", "module://no.such.module", "pdf", ""])
def test_any_mplbackend_changes_nothing(tmp_path: Path, clean, backend: str) -> None:
    proc = nnviz(ANIMATE, tmp_path, {"MPLBACKEND": backend}, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert (tmp_path / "a.gif").read_bytes() == clean["stream"]


def test_rcparams_changed_in_a_notebook_change_no_pixel_and_are_kept(tmp_path: Path, clean) -> None:
    import matplotlib

    from nnviz import catalog, render

    cfg = catalog.resolve({}, {"train.epochs": 3, "render.grid": 8, "render.size": "240x80"})
    with matplotlib.rc_context({"text.usetex": True, "lines.linewidth": 9.0, "font.size": 31.0}):
        render.animate(cfg, tmp_path / "a.gif")
        assert matplotlib.rcParams["text.usetex"] is True and matplotlib.rcParams["font.size"] == 31.0  # theirs
    assert (tmp_path / "a.gif").read_bytes() == clean["stream"]


def _closing(fds: tuple[int, ...]):
    return lambda: [os.close(fd) for fd in fds]


@pytest.mark.parametrize("fds", [(2,), (1,), (0,), (0, 1, 2), (1, 2)], ids=["stderr", "stdout", "stdin", "all", "out-err"])
@pytest.mark.parametrize("command", ["animate", "train", "sweep"])
def test_closed_standard_streams_do_not_fail_a_run(tmp_path: Path, clean, fds: tuple[int, ...], command: str) -> None:
    args = {
        "animate": [*ANIMATE[:-3], "--out", "a.gif"],  # with progress: it writes to the closed stderr
        "train": ["train", "--epochs", "2", "--history", "h.csv"],
        "sweep": ["sweep", "s.toml", "--out", "o", "--jobs", "1"],
    }[command]
    (tmp_path / "s.toml").write_text('[train]\nepochs = 2\n[render]\ngrid = 6\nsize = "240x80"\n[sweep]\n'
                                     '"train.lr" = [0.1]\n')
    proc = nnviz(args, tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 preexec_fn=_closing(fds))
    assert proc.returncode == 0
    if command == "animate":
        assert (tmp_path / "a.gif").read_bytes() == clean["stream"]  # nothing "printed" into an output file
    elif command == "train":
        assert (tmp_path / "h.csv").is_file() and (tmp_path / "h.toml").is_file()
    else:
        assert (tmp_path / "o" / "index.html").is_file()
