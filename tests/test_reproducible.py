"""The README's hero animation, regenerated, is byte-identical to the committed one.

``docs/blobs-tanh-lr0.01.gif`` (and its poster ``.png``) is what ``nnviz animate``
writes with no arguments. The README promises that the same config and seed give
byte-identical files; that holds for the versions pinned in ``constraints.txt``
(matplotlib with its bundled FreeType, Pillow, NumPy, pandas), which ``make run`` and
``make test`` install.

When this fails:

* If you changed the renderer, or a pin in constraints.txt, *on purpose*: look at the
  new GIF, then refresh the committed files with ``make docs`` (it runs
  ``nnviz animate --out <tmp>/blobs-tanh-lr0.01.gif --quiet`` and copies the GIF and PNG
  into docs/) and commit them with your change.
* Otherwise something changed the pixels by accident, or this environment does not
  have the pinned versions (the failure message shows both).

Deselect with ``-m "not golden"`` (it takes ~15 s: a full 75-epoch render).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
STEM = "blobs-tanh-lr0.01"
RENDER_DEPS = ("matplotlib", "pillow", "numpy", "pandas", "contourpy", "seaborn", "imageio", "imageio-ffmpeg")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned() -> dict[str, str]:
    pins = {}
    constraints = ROOT / "constraints.txt"
    if constraints.exists():
        for line in constraints.read_text().splitlines():
            name, sep, version = line.partition("==")
            if sep and not line.startswith("#"):
                pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def versions_report() -> str:
    pins = pinned()
    lines = []
    for dist in RENDER_DEPS:
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError:
            have = "not installed"
        want = pins.get(dist, "unpinned")
        lines.append(f"  {dist:15} installed {have:15} pinned {want}{'' if have == want else '   <-- differs'}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.golden
def test_default_animation_matches_the_committed_docs_gif(tmp_path: Path) -> None:
    out = tmp_path / f"{STEM}.gif"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNVIZ_")}
    proc = subprocess.run(
        [sys.executable, "-m", "nnviz", "animate", "--out", str(out), "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"nnviz animate failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"

    got = {suffix: sha256(out.with_suffix(suffix)) for suffix in (".gif", ".png")}
    want = {suffix: sha256(DOCS / f"{STEM}{suffix}") for suffix in (".gif", ".png")}
    assert got == want, (
        f"`nnviz animate` no longer reproduces docs/{STEM}.gif/.png byte for byte.\n"
        f"  gif: committed {want['.gif'][:16]}  rendered {got['.gif'][:16]}\n"
        f"  png: committed {want['.png'][:16]}  rendered {got['.png'][:16]}\n"
        f"rendering dependencies (installed vs constraints.txt):\n{versions_report()}\n"
        "If the renderer or a pinned dependency changed on purpose, refresh the committed files:\n"
        "  make docs      # = nnviz animate --out <tmp>/x.gif --quiet; cp x.gif x.png docs/\n"
        "then look at the new GIF and commit docs/ with the change. See tests/test_reproducible.py."
    )
