"""Write README.pypi.md, the package index's description, from README.md.

A package index page shows the description alone: a relative link there (an image
``docs/x.gif``, a page ``docs/install.md``) points at nothing. Absolute links need a public
address, which the project does not have yet, and files packaged in the wheel have no address
either. So the index gets the README without its images, and with each relative link as its
text plus the path it names in the source, which stays true wherever the page is read. When
the project has a public address, turn the links absolute instead (pinned to the release tag)
and point ``readme`` in pyproject.toml back at README.md.

Run ``python tools/pypi_readme.py`` after editing README.md; tests/test_site.py fails until
README.pypi.md matches.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "README.md"
TARGET = ROOT / "README.pypi.md"

HEADER = (
    "<!-- Generated from README.md by tools/pypi_readme.py: edit README.md, then run it. -->\n"
    "<!-- The README's images and relative links need a public address to work on a package index;\n"
    "     until the project has one, its images are left out here and its links name their files. -->\n\n"
)

# A Markdown link or image whose target has no scheme (http:, mailto:) and is not an anchor.
_RELATIVE = r"\]\((?![a-z][a-z0-9+.-]*:|#)(?P<target>[^)\s]+)\)"
_IMAGE_LINE = re.compile(r"^!\[[^\]]*" + _RELATIVE + r"\n\n?", re.MULTILINE)
_IMAGE = re.compile(r"!\[[^\]]*" + _RELATIVE)
_LINK = re.compile(r"\[(?P<text>[^\]]+)" + _RELATIVE)


def _link_text(match: re.Match[str]) -> str:
    text, target = match["text"], match["target"]
    return text if text.strip("`") == target else f"{text} (`{target}`)"


def pypi_readme(readme: str) -> str:
    """``readme`` with no relative image and every relative link as text naming its file."""
    text = _IMAGE_LINE.sub("", readme)
    text = _IMAGE.sub("", text)
    return HEADER + _LINK.sub(_link_text, text)


def main() -> int:
    TARGET.write_text(pypi_readme(SOURCE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
