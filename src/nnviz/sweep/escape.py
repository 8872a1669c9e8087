"""Text from data, names and configs, escaped for the file it lands in.

A sweep's pages and summary carry strings nnviz did not choose: a CSV's
values in an error message, a data file's name, a varied value, the sweep
file's own name. Each format has its own way to turn such text into markup:

* HTML: ``html.escape`` (quotes too, so an attribute cannot be closed);
* Markdown (``md``): HTML's five characters as entities, so a renderer that
  passes raw HTML through (MkDocs, Python-Markdown) gets text, and the
  characters that make links, images, emphasis, code, headings, tables or
  attribute lists (MkDocs' ``{: ...}``) backslash-escaped, so they are
  shown as typed; line breaks become spaces (a table row is one line);
* CSV (``csv_cell``): a cell a spreadsheet would run as a formula (one that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
  leading ``'``, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

from typing import Any

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
# The punctuation CommonMark and Python-Markdown both let a backslash escape that
# starts markup inside a line: code, emphasis, links and images, headings, tables, attributes.
_MARKDOWN = frozenset("\\`*_{}[]()#!|")
_TABLE = {**_ENTITIES, **{c: "\\" + c for c in _MARKDOWN}}


def md(text: object) -> str:
    """``text`` for a Markdown page: shown as typed, on one line, never markup."""
    return "".join(_TABLE.get(c, c) for c in " ".join(str(text).split()))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: a string starting like a formula gets a leading ``'``.

    Numbers are left alone (``-0.5`` is a number to a spreadsheet too).
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
