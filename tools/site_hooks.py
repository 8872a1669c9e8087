"""MkDocs hooks for the docs site (mkdocs.yml: ``hooks``), so the pages stay right on GitHub too.

- The views section lists docs/views.md and then every docs/view-*.md that exists, in name
  order: a branch that adds a view page adds the file, not a nav line, and a page that is not
  there yet is never a broken nav entry (tests/test_site.py builds the nav the same way).
- Files at the repository's root that the site publishes too (``ROOT_PAGES``) become generated
  pages, and the docs' links to them (``../CHANGELOG.md``, right when reading docs/ on GitHub)
  point at those pages on the site.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# The nav section that collects the view pages, and the page it starts with.
VIEWS_SECTION = "Views"
VIEWS_GLOB = "view-*.md"

# Root files published as site pages: the file (relative to the repository) -> its page in the site.
ROOT_PAGES = {"CHANGELOG.md": "changelog.md"}


def view_pages(docs_dir: Path) -> list[str]:
    """docs/views.md (when present), then every docs/view-*.md, as nav entries (paths in docs/)."""
    first = ["views.md"] if (docs_dir / "views.md").is_file() else []
    return first + sorted(p.name for p in docs_dir.glob(VIEWS_GLOB))


def with_views(nav: list[Any], docs_dir: Path) -> list[Any]:
    """``nav`` with the pages of each section named ``VIEWS_SECTION`` replaced by ``view_pages``."""
    out: list[Any] = []
    for entry in nav:
        if isinstance(entry, dict) and isinstance(entry.get(VIEWS_SECTION), list):
            out.append({VIEWS_SECTION: view_pages(docs_dir)})
        elif isinstance(entry, dict):
            out.append(
                {
                    title: with_views(value, docs_dir) if isinstance(value, list) else value
                    for title, value in entry.items()
                }
            )
        else:
            out.append(entry)
    return out


def nav_pages(nav: list[Any]) -> list[str]:
    """Every page path a nav names (external links left out), depth first."""
    pages: list[str] = []
    for entry in nav:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                pages += nav_pages(value)
            elif isinstance(value, str) and "://" not in value:
                pages.append(value)
    return pages


def on_config(config: Any) -> Any:
    config["nav"] = with_views(config["nav"], Path(config["docs_dir"]))
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File  # only inside a build: the tests import this module without mkdocs

    root = Path(config["config_file_path"]).parent
    for source, page in ROOT_PAGES.items():
        files.append(File.generated(config, page, content=(root / source).read_text(encoding="utf-8")))
    return files


def _root_link(match: re.Match[str]) -> str:
    return f"]({ROOT_PAGES[match['file']]}{match['anchor'] or ''})"


_ROOT_LINK = re.compile(r"\]\(\.\./(?P<file>" + "|".join(map(re.escape, ROOT_PAGES)) + r")(?P<anchor>#[^)]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    # Only pages directly in docs/ link to the root as ../FILE.
    if "/" in page.file.src_uri:
        return markdown
    return _ROOT_LINK.sub(_root_link, markdown)
