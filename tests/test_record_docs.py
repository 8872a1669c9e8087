"""Every example in docs/record-*.md runs as written, and prints what the page says it prints.

Each page's ```python blocks run in order as one script in an empty folder; then each ``$ `` line
of its ```console blocks runs there, and its output must be the lines shown under it. A page
whose framework is not installed is skipped (`make test` installs them all).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = {"record-torch.md": "torch", "record-sklearn.md": "sklearn", "record-keras.md": "keras", "record-arrays.md": None}
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(page: str, kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall((DOCS / page).read_text(encoding="utf-8")) if lang == kind]


def test_every_record_page_is_tested_and_linked_from_the_readme() -> None:
    assert sorted(p.name for p in DOCS.glob("record-*.md")) == sorted(PAGES)
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/{page}" in readme for page in PAGES)
    assert all(blocks(page, "python") and blocks(page, "console") for page in PAGES)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_pages_examples_run_and_print_what_it_shows(page: str, tmp_path: Path) -> None:
    needs = PAGES[page]
    if needs and importlib.util.find_spec(needs) is None:
        pytest.skip(f"{needs} is not installed (pip install 'nnviz-anim[{needs}]')")
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    script = tmp_path / "example.py"
    script.write_text("\n".join(blocks(page, "python")), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr and "imported before nnviz" not in run.stderr, run.stderr
    nnviz_cli = str(Path(sys.executable).parent / "nnviz")
    for block in blocks(page, "console"):
        lines = block.splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
        for n, i in enumerate(starts):
            command = shlex.split(lines[i][2:])
            expected = lines[i + 1 : starts[n + 1] if n + 1 < len(starts) else len(lines)]
            if command[0] == "nnviz":
                command[0] = nnviz_cli
            done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            assert done.stdout.splitlines() == expected
