"""A sweep's pages: ``index.md`` and ``index.html``.

The pages show every run's small ``thumb.gif``, linking to its full
animation, in a grid labelled by the varied keys (a rows x columns table when
exactly two keys vary), with final metrics. ``index.html`` is one
self-contained file (inline CSS, no script, relative links to the files beside
it) that a browser opens straight from disk; it never scrolls sideways from
320 px up (a table too wide for the screen becomes stacked cards) and follows
the reader's dark theme.

Everything on a page that comes from a run's data, names or config (labels,
metrics, error messages, the sweep file's name) is escaped for the page it
lands in: HTML-escaped (attributes too) in ``index.html``; in ``index.md``
HTML-escaped and stripped of Markdown's meaning (``escape.md``), so neither
a browser nor a Markdown renderer (MkDocs, Python-Markdown, GitHub) can
be handed markup. Image sizes are read from the files without following a
link another user planted in a shared sweep folder.
"""

from __future__ import annotations

import html
import math
import os
import re
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..atomic import write_text_atomic
from ..bounded import open_own
from ..numbers import count, metric
from .escape import md
from .runner import RunResult
from .spec import RunSpec, SweepSpec, format_value, key_labels, level
from .thumbs import TILE

INDEX_MD = "index.md"
INDEX_HTML = "index.html"
FLAT_COLUMNS = 3  # cards per row when the grid is not a two-key table
# Runs the comparison shows at most: a 6 x 6 grid of TILE-px tiles is 1080 px wide, about the
# widest a laptop browser or a README shows at full size; a 7 x 7 one (1260 px) is already
# scaled down, and at 400 runs (3600 px) a tile is a few dots. It also bounds the thumbnails
# held open while composing (one per tile) well under the usual 256-1024 open-file limit.
MAX_COMPARED = 36


# --- layout ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where each run sits: ``cells[i]`` is run i's (row, column)."""

    rows: int
    cols: int
    cells: tuple[tuple[int, int], ...]
    row_labels: tuple[str, ...] = ()
    col_labels: tuple[str, ...] = ()


def _is_video(path: str) -> bool:
    """Shown with <video> (the writer registry says which formats are videos)."""
    from ..render.writers import format_of, writer_for

    fmt = format_of(path)
    return fmt is not None and writer_for(fmt).video


def layout(spec: SweepSpec, flat_columns: int = FLAT_COLUMNS) -> Layout:
    """A key1 x key2 table for two varied keys, else a flat grid in file order."""
    if len(spec.keys) == 2:
        row_levels, col_levels = spec.levels
        cells = tuple(
            (row_levels.index(level(v[0][1])), col_levels.index(level(v[1][1]))) for v in (r.values for r in spec.runs)
        )
        labels = key_labels(spec.keys)
        return Layout(
            len(row_levels),
            len(col_levels),
            cells,
            tuple(f"{labels[spec.keys[0]]}={format_value(v)}" for v in row_levels),
            tuple(f"{labels[spec.keys[1]]}={format_value(v)}" for v in col_levels),
        )
    n = len(spec.runs)
    cols = min(n, flat_columns)
    return Layout(math.ceil(n / cols), cols, tuple(divmod(i, cols) for i in range(n)))


def run_label(spec: SweepSpec, run: RunSpec, sep: str = ", ") -> str:
    """``activation=tanh, lr=0.01``"""
    labels = key_labels(spec.keys)
    return sep.join(f"{labels[k]}={format_value(v)}" for k, v in run.values)


def metrics_text(run: RunResult) -> str:
    """``loss 0.262 · acc 87.0% · epoch 30`` (or why the run failed)."""
    if run.status == "failed":
        return f"failed: {run.error}"
    values = {"loss": run.loss, "accuracy": run.accuracy, "rmse": run.rmse}
    parts = [metric(name, value) for name, value in values.items() if value is not None]
    if run.epochs is not None:
        parts.append(f"epoch {run.epochs}")
    if run.status == "diverged":
        parts.append("diverged")
    return " · ".join(parts)


def _href(path: str) -> str:
    return quote(path, safe="/=,+-._")


# --- index.md -----------------------------------------------------------------------------


def _md_cell(spec: SweepSpec, run_spec: RunSpec, run: RunResult, with_label: bool) -> str:
    label = run_label(spec, run_spec)
    parts = [f"**{md(label)}**"] if with_label else []
    if run.path and run.thumb:
        # The small thumbnail, linking to the full animation in whatever format.
        parts.append(f"[![{md(label)}]({_href(run.thumb)})]({_href(run.path)})")
    elif run.path and _is_video(run.path):
        parts.append(f"[![{md(label)}]({_href(run.poster)})]({_href(run.path)})")
    elif run.path:
        parts.append(f"![{md(label)}]({_href(run.path)})")
    parts.append(md(metrics_text(run)))
    return "<br>".join(parts)


def _md_code(key: str) -> str:
    """A dotted config key as inline code; anything else (a library caller's SweepSpec) as escaped text.

    Inside backticks Markdown escapes nothing, so only a plain key may go there.
    """
    return f"`{key}`" if re.fullmatch(r"[A-Za-z0-9_.]+", key) else md(key)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _grid(lay: Layout, cells: Sequence[str], empty: str) -> list[list[str]]:
    grid = [[empty] * lay.cols for _ in range(lay.rows)]
    for (r, c), cell in zip(lay.cells, cells):
        grid[r][c] = cell
    return grid


def render_md(spec: SweepSpec, runs: Sequence[RunResult], comparison: str | None) -> str:
    """The gallery as Markdown (GitHub renders the GIFs inline)."""
    lay = layout(spec)
    two = len(spec.keys) == 2
    cells = [_md_cell(spec, s, r, with_label=not two) for s, r in zip(spec.runs, runs)]
    grid = _grid(lay, cells, " ")
    varied = " × ".join(_md_code(k) for k in spec.keys)
    lines = [f"# Sweep: {md(spec.stem)}", "", f"{_intro(runs)} varying {varied}.", ""]
    if comparison:
        lines += [f"![All runs side by side, synchronised by epoch]({_href(comparison)})", ""]
    elif note := no_comparison_note(runs):
        lines += [note, ""]
    if two:
        corner = " \\ ".join(md(key_labels(spec.keys)[k]) for k in spec.keys)  # "\ " shows as typed
        columns = [md(c) for c in lay.col_labels]
        lines += _md_table([corner, *columns], [[f"**{md(h)}**", *row] for h, row in zip(lay.row_labels, grid)])
    else:
        lines += _md_table([" "] * lay.cols, grid)
    return "\n".join([*lines, "", f"Every run's numbers: [summary.csv]({SUMMARY_HREF})", ""])


SUMMARY_HREF = "summary.csv"


def too_many_to_compare(n: int) -> bool:
    """Whether ``n`` runs are more than the comparison shows (it is then not written)."""
    return n > MAX_COMPARED


def no_comparison_note(runs: Sequence[RunResult]) -> str:
    """The pages' one sentence on why there is no comparison, when the runs are too many (else "")."""
    if not too_many_to_compare(len(runs)):
        return ""
    return (
        f"No comparison animation: {len(runs):,} runs are more than the {MAX_COMPARED} it can show "
        "side by side; each run's thumbnail is below."
    )


def _intro(runs: Sequence[RunResult]) -> str:
    """``6 runs (5 ok, 1 diverged)``"""
    counts = {s: sum(r.status == s for r in runs) for s in ("ok", "diverged", "failed")}
    tally = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"{count(len(runs), 'run')} ({tally})"


# --- index.html --------------------------------------------------------------------------

# A table column narrower than this shrinks its thumbnail below its own size:
# under that width the table becomes stacked cards (a row header over its runs),
# each card at least this wide, so a thumbnail (TILE px and a card's padding) keeps its size.
CELL_PX = 200

# Colours are variables so the dark theme is one block of overrides; everything
# else is plain CSS, so the page works from disk with no external file.
CSS = """
:root { color-scheme: light dark; --fg: #222; --muted: #555; --bg: #fafafa; --card: #fff; --line: #ddd;
  --head: #f0f0f0; --code: #eee; --link: #0645ad; --warn: #a15c00; --bad: #b00020; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --muted: #b0b0b0; --bg: #141414; --card: #1f1f1f; --line: #3a3a3a;
    --head: #2a2a2a; --code: #333; --link: #8ab4f8; --warn: #f0a848; --bad: #ff7a8a; }
}
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.4; margin: 0 auto;
  padding: 1rem .75rem; max-width: 100rem; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; overflow-wrap: anywhere; }
p.intro, p.note { margin: 0 0 1rem; color: var(--muted); overflow-wrap: anywhere; }
code { background: var(--code); padding: 0 .25em; border-radius: 3px; }
img, video { max-width: 100%; height: auto; }
figure.comparison { margin: 0 0 1.5rem; }
figure.comparison img { display: block; border: 1px solid var(--line); }
figcaption { font-size: .85rem; color: var(--muted); }
table.sweep { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.sweep th { font-weight: 600; padding: .4rem; background: var(--head); border: 1px solid var(--line);
  overflow-wrap: anywhere; }
table.sweep td { vertical-align: top; padding: .4rem; border: 1px solid var(--line); background: var(--card); }
div.flat { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, CELL), 1fr)); gap: .6rem; }
div.flat .card { border: 1px solid var(--line); background: var(--card); padding: .4rem; }
.card { min-width: 0; }
.card img, .card video { display: block; width: 100%; margin: 0 auto; }
.card .label { font-weight: 600; margin-top: .3rem; overflow-wrap: anywhere; }
.card .metrics { font-size: .85rem; color: var(--muted); font-variant-numeric: tabular-nums; }
.card .full { font-size: .85rem; }
.card.diverged .metrics { color: var(--warn); }
.card.failed .metrics { color: var(--bad); overflow-wrap: anywhere; }
.card .missing { aspect-ratio: 1; display: flex; align-items: center; justify-content: center;
  background: var(--head); color: var(--muted); }
""".replace("CELL", f"{CELL_PX}px")

PAGE_PAD_PX = 24
CH_PX = 9  # one `ch` of the bold header font, near enough for a breakpoint


def _row_head_ch(lay: Layout) -> int:
    """The row-header column's width in ch: its longest label, within 8..20 (longer ones wrap)."""
    return min(max([8, *(len(h) + 2 for h in lay.row_labels)]), 20)


def _table_css(lay: Layout) -> str:
    """The table's widths and, below the width its columns need, the stacked-card layout."""
    head = _row_head_ch(lay)
    narrow = head * CH_PX + lay.cols * CELL_PX + 2 * PAGE_PAD_PX
    # Cells no wider than a thumbnail at twice its size: a wide screen does not spread them apart.
    widest = f"calc({head}ch + {lay.cols * (2 * TILE + 16)}px)"
    return f"""
table.sweep {{ max-width: {widest}; }}
table.sweep th.row {{ width: {head}ch; text-align: left; }}
table.sweep td .card img {{ max-width: {2 * TILE}px; }}
@media (max-width: {narrow}px) {{
  table.sweep, table.sweep tbody, table.sweep tr, table.sweep td, table.sweep th.row {{ display: block; width: auto; }}
  table.sweep thead {{ display: none; }}
  table.sweep tr {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, {CELL_PX}px), 1fr));
    gap: .5rem; margin-bottom: 1.2rem; }}
  table.sweep th.row {{ grid-column: 1 / -1; background: none; border: 0; border-bottom: 2px solid var(--line);
    padding: .2rem 0; font-size: 1.05rem; }}
  table.sweep .card .label {{ font-size: .9rem; }}
}}
"""


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from an image file's header, or None when it is missing, not an image, or not nnviz's.

    Opened without following a link and only as a regular file: a sweep
    folder may be shared, and a planted link or FIFO is not a run's thumbnail.
    """
    from PIL import Image

    f = open_own(path)
    if f is None:
        return None
    try:
        with f, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: a header's claim
            with Image.open(f) as im:
                return im.size
    except Exception:  # Pillow's many kinds for a file that is not an image it can read
        return None


def _kb(path: Path) -> str:
    try:
        info = os.lstat(path)
    except OSError:
        return "missing"
    return f"{info.st_size / 1000:.0f} kB" if stat.S_ISREG(info.st_mode) else "missing"


def _img(src: str, size: tuple[int, int], alt: str, attrs: str = "") -> str:
    """An <img> with its own width and height, so the page does not jump as images load."""
    w, h = size
    return f'<img src="{html.escape(_href(src))}" width="{w}" height="{h}" alt="{html.escape(alt)}"{attrs}>'


def _media(out: Path, run: RunResult, label: str, size: tuple[int, int]) -> str:
    """The run's thumbnail linking to its animation; without a thumbnail, the animation itself.

    Thumbnails are small (one panel, at most 60 frames), so a page of many runs
    stays light; the full animation, in whatever format, is one click away.
    """
    if not run.path:
        return '<div class="missing">no animation</div>'
    href = html.escape(_href(run.path))
    thumb = image_size(out / run.thumb) if run.thumb else None
    if thumb is not None:
        img = _img(run.thumb, thumb, f"{label}: input space by epoch", ' loading="lazy" decoding="async"')
        return f'<a href="{href}">{img}</a>'
    if _is_video(run.path):
        poster = image_size(out / run.poster) if run.poster else None
        w, h = poster or size
        attr = f' poster="{html.escape(_href(run.poster))}"' if poster else ""
        return (
            f'<video src="{href}"{attr} width="{w}" height="{h}" aria-label="{html.escape(label)}" '
            "controls autoplay loop muted playsinline></video>"
        )
    full = image_size(out / run.path)
    if full is not None:
        lazy = ' loading="lazy"'
        return f'<a href="{href}">{_img(run.path, full, label, lazy)}</a>'
    return ""  # an HTML player: the link below opens it


def _full_link(out: Path, run: RunResult) -> str:
    """``Full GIF · 191 kB``, linking to the file."""
    if not run.path:
        return ""
    from ..render.writers import format_of

    fmt = (format_of(run.path) or Path(run.path).suffix.lstrip(".")).upper()
    return f'<a class="full" href="{html.escape(_href(run.path))}">Full {html.escape(fmt)} · {_kb(out / run.path)}</a>'


def _card(spec: SweepSpec, run_spec: RunSpec, run: RunResult, out: Path) -> str:
    label = run_label(spec, run_spec)
    return (
        f'<div class="card {_status_class(run.status)}">{_media(out, run, label, run_spec.cfg.render.size)}'
        f'<div class="label">{html.escape(label)}</div>'
        f'<div class="metrics">{html.escape(metrics_text(run))}</div>{_full_link(out, run)}</div>'
    )


def _status_class(status: str) -> str:
    """A card's class: one of the three statuses the CSS styles (a marker's claim is never copied in)."""
    return status if status in ("ok", "diverged", "failed") else "failed"


def _table(spec: SweepSpec, lay: Layout, cards: Sequence[str]) -> str:
    corner = " \\ ".join(key_labels(spec.keys)[k] for k in spec.keys)
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in lay.col_labels)
    rows = "".join(
        f'<tr><th class="row" scope="row">{html.escape(h)}</th>' + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
        for h, row in zip(lay.row_labels, _grid(lay, cards, ""))
    )
    return (
        f'<table class="sweep"><thead><tr><th class="row" scope="col">{html.escape(corner)}</th>{head}</tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _comparison_figure(out: Path, comparison: str) -> str:
    size = image_size(out / comparison)
    if size is None:
        return f'<p><a href="{html.escape(_href(comparison))}">All runs side by side</a></p>'
    # On a phone the comparison shrinks to fit; the link opens it at full size.
    img = f'<a href="{html.escape(_href(comparison))}">{_img(comparison, size, "All runs side by side")}</a>'
    caption = "<figcaption>All runs side by side, synchronised by epoch.</figcaption>"
    return f'<figure class="comparison">{img}{caption}</figure>'


def render_html(spec: SweepSpec, runs: Sequence[RunResult], comparison: str | None, out: Path) -> str:
    """The gallery as one self-contained HTML page; image sizes are read from the files under ``out``."""
    lay = layout(spec)
    cards = [_card(spec, s, r, out) for s, r in zip(spec.runs, runs)]
    title = f"nnviz sweep: {spec.stem}"
    keys = " × ".join(f"<code>{html.escape(k)}</code>" for k in spec.keys)
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="intro">{html.escape(_intro(runs))} varying {keys}. '
        f'Numbers for every run: <a href="{SUMMARY_HREF}">summary.csv</a>. '
        "Each thumbnail opens its full animation.</p>",
    ]
    if comparison:
        body.append(_comparison_figure(out, comparison))
    elif note := no_comparison_note(runs):
        body.append(f'<p class="note">{html.escape(note)}</p>')
    two = len(spec.keys) == 2
    body.append(_table(spec, lay, cards) if two else '<div class="flat">' + "".join(cards) + "</div>")
    css = CSS + (_table_css(lay) if two else "")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{html.escape(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_index(spec: SweepSpec, out: Path, runs: Sequence[RunResult], comparison: Path | None) -> tuple[Path, Path]:
    """Write ``index.md`` and ``index.html`` atomically; return their paths."""
    rel = comparison.relative_to(out).as_posix() if comparison is not None else None
    markdown = write_text_atomic(out / INDEX_MD, render_md(spec, runs, rel))
    page = write_text_atomic(out / INDEX_HTML, render_html(spec, runs, rel, out))
    return markdown, page
