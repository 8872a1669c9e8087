"""A plain-text table on stdout: columns padded to their widest cell, the last one left ragged.

Plain rows, no rules or footer, so ``cut``, ``grep`` and ``head`` read them.
"""

from __future__ import annotations

from collections.abc import Sequence

import click


def echo_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """The header, then one line per row."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths)) + "  " + row[-1])
