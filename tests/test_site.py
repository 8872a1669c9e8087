"""The docs site (mkdocs.yml, tools/site_hooks.py, `make site`) and the package index's description.

What a reader of the site would meet: a page that is in docs/ but in no menu, a command the CLI
reference leaves out, a broken link (the strict build, marked slow), a README image that points
at nothing on the package index.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import yaml

from nnviz.cli import COMMAND_MODULES, cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Files in docs/ the site leaves out on purpose, and why (mkdocs.yml's exclude_docs says the same).
EXCLUDED = {
    "gallery/index.md": "the sweep's Markdown copy of gallery/index.html, which the site serves as it is",
}


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _load("site_hooks")
pypi = _load("pypi_readme")


def _mkdocs() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def _nav_pages() -> list[str]:
    """The pages the built site's nav lists: mkdocs.yml's nav as the hook completes it."""
    return hooks.nav_pages(hooks.with_views(_mkdocs()["nav"], DOCS))


def test_every_docs_page_is_in_the_nav_or_excluded_with_a_reason() -> None:
    sources = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in (".md", ".ipynb")}
    nav = _nav_pages()
    assert len(nav) == len(set(nav)), "a page is listed twice"
    missing = sources - set(nav) - set(EXCLUDED)
    assert not missing, f"docs pages in no menu (add them to mkdocs.yml's nav, or to EXCLUDED with a reason): {sorted(missing)}"
    generated = set(hooks.ROOT_PAGES.values())
    assert not set(nav) - sources - generated, "the nav names a page that does not exist"
    excluded = _mkdocs()["exclude_docs"].split()
    assert sorted(excluded) == sorted(EXCLUDED)
    assert all((DOCS / page).is_file() for page in EXCLUDED), "EXCLUDED names a page that is gone"


def test_the_nav_has_each_section_a_reader_looks_for() -> None:
    nav = _nav_pages()
    for page in ("index.md", "reading-the-frame.md", "animate.md", "views.md", "morph.md", "formats.md",
                 "sweeps.md", "record-torch.md", "configs.md", "engine.md", "performance.md", "reliability.md",
                 "reference/cli.md", "reference/render.md"):
        assert page in nav, page
    notebooks = [p for p in nav if p.endswith(".ipynb")]
    assert notebooks == ["notebooks/quickstart.ipynb", "notebooks/views.ipynb", "notebooks/sweep.ipynb"]
    assert nav[0] == "index.md", "the site opens on getting started"


def test_a_view_page_joins_the_views_section_once_its_file_exists(tmp_path: Path) -> None:
    nav = [{"Getting started": "index.md"}, {"Views": ["views.md"]}, {"Notebooks": [{"Views": "notebooks/v.ipynb"}]}]
    (tmp_path / "views.md").write_text("# Views\n")
    assert hooks.with_views(nav, tmp_path)[1] == {"Views": ["views.md"]}
    for name in ("view-space3d.md", "view-network.md"):
        (tmp_path / name).write_text("# A view\n")
    done = hooks.with_views(nav, tmp_path)
    assert done[1] == {"Views": ["views.md", "view-network.md", "view-space3d.md"]}
    assert done[2] == nav[2], "a notebook titled Views is a page, not the section"


def test_links_to_root_files_point_at_their_site_pages() -> None:
    page = SimpleNamespace(file=SimpleNamespace(src_uri="install.md"))
    text = "policy: [CHANGELOG.md](../CHANGELOG.md), [tags](../CHANGELOG.md#versions-and-tags), [x](../LICENSE)"
    assert hooks.on_page_markdown(text, page, None, None) == (
        "policy: [CHANGELOG.md](changelog.md), [tags](changelog.md#versions-and-tags), [x](../LICENSE)"
    )


def _directive(page: Path) -> dict[str, str]:
    text = page.read_text(encoding="utf-8")
    assert "::: mkdocs-click" in text
    return dict(re.findall(r"^\s+:(\w+): (.+)$", text, re.M))


def test_the_cli_reference_documents_every_command() -> None:
    options = _directive(DOCS / "reference" / "cli.md")
    assert (options["module"], options["command"]) == ("nnviz.cli", "cli")
    assert options.get("list_subcommands") == "true"
    docs = pytest.importorskip("mkdocs_click._docs")
    lines = list(docs.make_command_docs(options["prog_name"], cli, depth=int(options["depth"]),
                                         style=options["style"], list_subcommands=True))
    headings = {line.lstrip("#").strip() for line in lines if line.startswith("#")}
    assert set(COMMAND_MODULES) <= headings, sorted(headings)
    usages = {line.split(" [")[0] for line in lines if line.startswith("nnviz ")}
    assert {f"nnviz {name}" for name in COMMAND_MODULES} <= usages, sorted(usages)


def test_the_package_index_description_is_the_readme_with_no_link_that_points_at_nothing() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["readme"] == "README.pypi.md"
    described = (ROOT / "README.pypi.md").read_text(encoding="utf-8")
    assert described == pypi.pypi_readme((ROOT / "README.md").read_text(encoding="utf-8")), (
        "README.pypi.md is stale: run python tools/pypi_readme.py"
    )
    targets = re.findall(r"\]\(([^)\s]+)\)", described) + re.findall(r"<img[^>]*src=\"([^\"]+)", described)
    relative = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]
    assert not relative, relative
    assert "pip install nnviz-anim" in described


def test_the_pypi_rewrite_drops_images_and_names_the_files_links_pointed_at() -> None:
    text = "# x\n\n![hero](docs/a.gif)\n\nSee [install](docs/install.md), [site](https://example.org/) and [`x.md`](x.md).\n"
    out = pypi.pypi_readme(text).removeprefix(pypi.HEADER)
    assert out == "# x\n\nSee install (`docs/install.md`), [site](https://example.org/) and `x.md`.\n"


@pytest.mark.slow
def test_the_site_builds_strict_with_every_command_the_api_and_executed_notebooks(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1", "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert not warnings, warnings
    cli_page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for name in COMMAND_MODULES:
        assert f"nnviz {name} [OPTIONS]" in cli_page, name
    assert "--epochs" in cli_page
    api = (site / "reference" / "render" / "index.html").read_text(encoding="utf-8")
    assert "nnviz.render.pipeline.animate" in api and "Train (unless" in api
    for name in ("quickstart", "views", "sweep"):
        page = (site / "notebooks" / name / "index.html").read_text(encoding="utf-8")
        assert "data:image/" in page or "<img" in page, f"{name}: the executed notebook shows no picture"
        assert "Traceback" not in page, name
    assert (site / "gallery" / "index.html").is_file() and (site / "changelog" / "index.html").is_file()
