"""A sweep's gallery: ``index.md``, ``index.html`` (``pages``) and ``comparison.gif`` (``comparison``).

This module gathers both under the one name the orchestrator and users know.
"""

from __future__ import annotations

from .comparison import (
    COMPARISON,
    HEADER_H,
    LABEL_H,
    LABEL_LINE,
    LAYOUT_VERSION,
    STATE,
    comparison_digest,
    label_lines,
    read_state,
    tile_grid,
    timeline,
    write_comparison,
    write_state,
)
from .comparison import _stopped as _stopped  # tests draw a stopped tile directly
from .pages import (
    CSS,
    FLAT_COLUMNS,
    INDEX_HTML,
    INDEX_MD,
    MAX_COMPARED,
    SUMMARY_HREF,
    Layout,
    image_size,
    layout,
    metrics_text,
    no_comparison_note,
    render_html,
    render_md,
    run_label,
    too_many_to_compare,
    write_index,
)

__all__ = [
    "COMPARISON",
    "CSS",
    "FLAT_COLUMNS",
    "HEADER_H",
    "INDEX_HTML",
    "INDEX_MD",
    "LABEL_H",
    "LABEL_LINE",
    "LAYOUT_VERSION",
    "MAX_COMPARED",
    "STATE",
    "SUMMARY_HREF",
    "Layout",
    "comparison_digest",
    "image_size",
    "label_lines",
    "layout",
    "metrics_text",
    "no_comparison_note",
    "read_state",
    "render_html",
    "render_md",
    "run_label",
    "tile_grid",
    "timeline",
    "too_many_to_compare",
    "write_comparison",
    "write_index",
    "write_state",
]
