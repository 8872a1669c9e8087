"""Showing a finished animation inline in Jupyter."""

from __future__ import annotations

import base64
from pathlib import Path

from .player import player_html
from .writers import HtmlWriter, format_of, writer_for


def to_html(path: str | Path) -> str:
    """The file as inline HTML: the scrubbable player for ``.html``, else an <img> or <video>
    tag with the file inlined as base64 (its type from the writer registry)."""
    p = Path(path)
    fmt = format_of(p)
    if fmt is None:
        raise ValueError(f"{p} is not a file nnviz writes")
    kind = writer_for(fmt)
    if kind is HtmlWriter:
        return player_html(p)
    data = base64.b64encode(p.read_bytes()).decode("ascii")
    if kind.video:
        return f'<video controls loop autoplay muted src="data:{kind.mime};base64,{data}"></video>'
    return f'<img src="data:{kind.mime};base64,{data}"/>'
