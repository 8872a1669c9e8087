"""A sweep's gallery: ``index.md``, ``index.html`` and ``comparison.gif``.

The pages show every run's small ``thumb.gif``, linking to its full
animation, in a grid labelled by the varied keys (a rows x columns table when
exactly two keys vary), with final metrics. ``index.html`` is one
self-contained file (inline CSS, no script, relative links to the files beside
it) that a browser opens straight from disk; it never scrolls sideways from
320 px up (a table too wide for the screen becomes stacked cards) and follows
the reader's dark theme.

``comparison.gif`` puts every run's input space side by side in a near-square
grid, synchronised by epoch, for up to ``MAX_COMPARED`` runs (past that the
pages say why there is none). Each worker renders its run's input space small into
``thumb.gif`` (``write_thumb``) as part of the run; the comparison then only
decodes the thumbnails forward and pastes them, one composite frame at a
time into the GIF writer, so memory does not grow with the number of
epochs. A run that stopped early holds its last frame, dimmed and marked.
Nothing here depends on timings, so the same sweep gives the same bytes
whichever executor ran it.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import html
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ..atomic import write_text_atomic
from ..errors import OutputError, RenderError
from ..numbers import count, metric
from .runner import RunResult
from .spec import RunSpec, SweepSpec, format_value, key_labels, level
from .thumbs import METRICS_H, TEXT_RGB, TILE, font, preview_timing, text_strip, thumb_epochs, thumb_step

Array = np.ndarray

INDEX_MD = "index.md"
INDEX_HTML = "index.html"
COMPARISON = "comparison.gif"
STATE = "sweep.json"  # the comparison's input digest, so a resume can skip it
LABEL_H = 18  # px of a one-line label strip above each tile
LABEL_LINE = 15  # px added per extra line when a label wraps, one key a line
HEADER_H = 24  # px of the epoch header above the grid
FLAT_COLUMNS = 3  # cards per row when the grid is not a two-key table
LAYOUT_VERSION = "3"  # bump when the comparison's look changes
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


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_cell(spec: SweepSpec, run_spec: RunSpec, run: RunResult, with_label: bool) -> str:
    label = run_label(spec, run_spec)
    parts = [f"**{_md_escape(label)}**"] if with_label else []
    if run.path and run.thumb:
        # The small thumbnail, linking to the full animation in whatever format.
        parts.append(f"[![{_md_escape(label)}]({_href(run.thumb)})]({_href(run.path)})")
    elif run.path and _is_video(run.path):
        parts.append(f"[![{_md_escape(label)}]({_href(run.poster)})]({_href(run.path)})")
    elif run.path:
        parts.append(f"![{_md_escape(label)}]({_href(run.path)})")
    parts.append(_md_escape(metrics_text(run)))
    return "<br>".join(parts)


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
    varied = " × ".join(f"`{k}`" for k in spec.keys)
    lines = [f"# Sweep: {spec.stem}", "", f"{_intro(runs)} varying {varied}.", ""]
    if comparison:
        lines += [f"![All runs side by side, synchronised by epoch]({_href(comparison)})", ""]
    elif note := no_comparison_note(runs):
        lines += [note, ""]
    if two:
        corner = " \\ ".join(key_labels(spec.keys)[k] for k in spec.keys)
        lines += _md_table([corner, *lay.col_labels], [[f"**{h}**", *row] for h, row in zip(lay.row_labels, grid)])
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
    """(width, height) from an image file's header, or None when it is missing or not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError, SyntaxError, UnidentifiedImageError):
        return None


def _kb(path: Path) -> str:
    try:
        return f"{path.stat().st_size / 1000:.0f} kB"
    except OSError:
        return "missing"


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
        f'<div class="card {run.status}">{_media(out, run, label, run_spec.cfg.render.size)}'
        f'<div class="label">{html.escape(label)}</div>'
        f'<div class="metrics">{html.escape(metrics_text(run))}</div>{_full_link(out, run)}</div>'
    )


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
    md = write_text_atomic(out / INDEX_MD, render_md(spec, runs, rel))
    page = write_text_atomic(out / INDEX_HTML, render_html(spec, runs, rel, out))
    return md, page


class _Track:
    """Reads a run's thumbnail frame by frame as the timeline advances."""

    def __init__(self, path: Path, epochs: Sequence[int]) -> None:
        from PIL import Image

        self.image = Image.open(path)
        self.epochs = tuple(epochs)
        try:
            # Counting frames reads through the file; if a damaged one makes that
            # raise, close it now, not whenever the garbage collector gets to it.
            frames = int(getattr(self.image, "n_frames", 1))  # only multi-frame formats say
        except BaseException:
            self.image.close()
            raise
        if frames != len(self.epochs):
            self.image.close()
            raise RenderError(f"{path} has {frames} frames, expected {len(self.epochs)}")
        self.index = -1  # nothing decoded yet: the first at() seeks
        self.pixels: Array = np.zeros((0, 0, 3), np.uint8)

    @classmethod
    def open(cls, path: Path, epochs: Sequence[int]) -> _Track | None:
        """The thumbnail's track, or None when it is missing or damaged.

        A truncated or empty ``thumb.gif`` (a full disk, a crash, a hand edit)
        must not make every later gallery fail: its tile shows "no thumbnail",
        and the next resume redoes the run (its digest no longer matches).
        Decoding the last frame up front finds truncation now, not mid-GIF.
        """
        try:
            track = cls(path, epochs)
        except (OSError, ValueError, SyntaxError, RenderError, EOFError):
            return None
        try:
            track.at(track.last)
            track.at(0)
        except (OSError, ValueError, SyntaxError, EOFError):
            track.close()
            return None
        return track

    @property
    def last(self) -> int:
        return self.epochs[-1]

    def at(self, epoch: int) -> Array:
        """The tile of the latest thumbnail epoch <= ``epoch``."""
        target = max(0, bisect.bisect_right(self.epochs, epoch) - 1)
        if target != self.index:
            # GIF frames are deltas: a forward seek decodes only the frames in
            # between, a backward one (only for the palette sample) restarts.
            self.image.seek(target)
            self.pixels = np.asarray(self.image.convert("RGB"))
            self.index = target
        return self.pixels

    def close(self) -> None:
        self.image.close()


# --- comparison.gif -----------------------------------------------------------------------


def _stopped(tile: Array, text: str) -> Array:
    """The held last frame, dimmed, with why it stopped written across it."""
    from PIL import Image, ImageDraw

    dim = (tile.astype(np.uint16) * 5 // 10 + 128).astype(np.uint8)
    img = Image.fromarray(dim)
    draw = ImageDraw.Draw(img)
    centre, face = (img.width // 2, img.height // 2), font(12)
    # Two lines ("stopped" / "at epoch 122"): one ran across the tile's axis label and ticks.
    text = text.replace(" at ", "\nat ", 1)
    box = draw.multiline_textbbox(centre, text, font=face, anchor="mm", align="center")
    draw.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill=(255, 255, 255), outline=(90, 90, 90))
    draw.multiline_text(centre, text, fill=(20, 20, 20), font=face, anchor="mm", align="center")
    return np.asarray(img)


def _blank(width: int, height: int, text: str) -> Array:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (235, 235, 235))
    ImageDraw.Draw(img).text((width // 2, height // 2), text, fill=(150, 0, 20), font=font(13), anchor="mm")
    return np.asarray(img)


def tile_grid(n: int) -> Layout:
    """ceil(sqrt(n)) columns in file order: a near-square comparison whatever the sweep's shape.

    A key1 x key2 table of 4 x 2 runs would make a tall strip; a near-square
    grid keeps the GIF readable at the size a page or README shows it.
    """
    cols = max(1, math.ceil(math.sqrt(n)))
    return Layout(max(1, math.ceil(n / cols)), cols, tuple(divmod(i, cols) for i in range(n)))


def label_lines(spec: SweepSpec, run: RunSpec, width: int) -> list[str]:
    """The run's label on one line, or one key a line when one line would not fit ``width``.

    A line still too long keeps its ``key=`` and the end of its value (a file's
    name and suffix tell runs apart, its folders seldom do): ``path=...ta_b.csv``.
    """
    from PIL import Image, ImageDraw

    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def fits(text: str) -> bool:
        return measure.textlength(text, font=font(12)) <= width - 6

    line = run_label(spec, run)
    lines = [line] if fits(line) or len(run.values) < 2 else run_label(spec, run, "\n").split("\n")
    return [text if fits(text) else _elided(text, fits) for text in lines]


def _elided(text: str, fits: Callable[[str], bool]) -> str:
    """``key=...end``: as much of the value's end as fits after its key (or just the end)."""
    key, sep, value = text.partition("=")
    head = f"{key}{sep}..." if sep and fits(f"{key}{sep}...") else "..."
    tail = value if sep else text
    lo, hi = 0, len(tail)  # the longest end of ``tail`` that fits after ``head``
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(head + tail[len(tail) - mid :]) else (lo, mid - 1)
    return head + tail[len(tail) - lo :]


def _label_strip(width: int, lines: Sequence[str], height: int) -> Array:
    """The lines stacked on white, padded to ``height`` so every tile's label strip matches."""
    strip = np.full((height, width, 3), 255, np.uint8)
    y = 0
    for i, text in enumerate(lines):
        h = LABEL_H if i == 0 else LABEL_LINE
        strip[y : y + h] = text_strip(width, h, text)
        y += h
    return strip


def _label_h(lines: int) -> int:
    return LABEL_H + LABEL_LINE * (lines - 1)


def timeline(last_epochs: Sequence[int], step: int = 1) -> tuple[int, ...]:
    """The epochs the comparison shows: 0, step, 2*step, ... and the last one."""
    end = max(last_epochs, default=0)
    return (*range(0, end, step), end)


class _Composer:
    """Builds each comparison frame from the runs' thumbnails, in the grid layout."""

    def __init__(self, spec: SweepSpec, runs: Sequence[RunResult], out: Path) -> None:
        self.spec, self.lay = spec, tile_grid(len(spec.runs))
        self.status = [r.status for r in runs]
        self.tracks: list[_Track | None] = []
        try:
            for run_spec, run in zip(spec.runs, runs):
                usable = run.status != "failed" and run.thumb and run.epochs is not None
                epochs = thumb_epochs(run_spec.cfg, run.epochs) if usable and run.epochs is not None else ()
                self.tracks.append(_Track.open(out / run.thumb, epochs) if epochs else None)
        except BaseException:
            self.close()
            raise
        sizes = [t.image.size for t in self.tracks if t is not None]
        self.tile_w = max((w for w, _ in sizes), default=TILE)
        self.tile_h = max((h for _, h in sizes), default=TILE + METRICS_H)
        lines = [label_lines(spec, s, self.tile_w) for s in spec.runs]
        self.label_h = _label_h(max(map(len, lines), default=1))
        self.labels = [_label_strip(self.tile_w, ls, self.label_h) for ls in lines]
        self.failed = _blank(self.tile_w, self.tile_h, "failed")
        self.missing = _blank(self.tile_w, self.tile_h, "no thumbnail")
        steps = [thumb_step(s.cfg) for s, t in zip(spec.runs, self.tracks) if t is not None]
        self.epochs = timeline([t.last for t in self.tracks if t is not None], max(steps, default=1))

    def frame(self, epoch: int) -> Array:
        tw, th, lh, lay = self.tile_w, self.tile_h, self.label_h, self.lay
        h, w = lay.rows * (th + lh), lay.cols * tw
        canvas = np.full((HEADER_H + h, w, 3), 255, np.uint8)
        canvas[:HEADER_H] = text_strip(w, HEADER_H, f"{self.spec.stem}    epoch {epoch}", 14)
        for i, (r, c) in enumerate(lay.cells):
            y, x = HEADER_H + r * (th + lh), c * tw
            tile = self._tile(i, epoch)
            canvas[y : y + lh, x : x + tw] = self.labels[i]
            canvas[y + lh : y + lh + tile.shape[0], x : x + tile.shape[1]] = tile
        return canvas

    def _tile(self, i: int, epoch: int) -> Array:
        track = self.tracks[i]
        if track is None:
            return self.failed if self.status[i] == "failed" else self.missing
        pixels = track.at(epoch)
        if epoch <= track.last:
            return pixels
        verb = "diverged" if self.status[i] == "diverged" else "stopped"
        return _stopped(pixels, f"{verb} at epoch {track.last}")

    def frames(self) -> Iterator[Array]:
        for epoch in self.epochs:
            yield self.frame(epoch)

    def close(self) -> None:
        for track in self.tracks:
            if track is not None:
                track.close()


def comparison_digest(spec: SweepSpec, runs: Sequence[RunResult], out: Path | None = None) -> str:
    """What the comparison depends on: the layout, each run's outcome and its thumbnail's bytes.

    The bytes matter because a forced re-run (say, after a renderer change)
    keeps every config and outcome but not every pixel.
    """
    digest = hashlib.sha256("\n".join([LAYOUT_VERSION, *spec.keys]).encode())
    for r in runs:
        digest.update(f"\n{r.name}:{r.config_hash}:{r.status}:{r.epochs}:".encode())
        if out is not None and r.thumb:
            with contextlib.suppress(OSError):
                digest.update(hashlib.sha256((out / r.thumb).read_bytes()).digest())
    return digest.hexdigest()[:16]


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot remove {str(path)!r}: {exc.strerror or exc}") from None


def _state(out: Path) -> dict[str, Any]:
    try:
        return json.loads((out / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_comparison(spec: SweepSpec, out: Path, runs: Sequence[RunResult]) -> Path | None:
    """Write ``comparison.gif`` from the runs' thumbnails (None when no run has one, or too many runs).

    Skipped when an up-to-date one exists (same runs, same outcomes). Past
    ``MAX_COMPARED`` runs none is written, and one left by an earlier, smaller
    sweep in ``out`` is removed: it would show other runs than the pages.
    """
    from ..render.writers import GifWriter

    dest = out / COMPARISON
    if too_many_to_compare(len(runs)):
        _remove(dest)
        return None
    if not any(r.status != "failed" and r.thumb for r in runs):
        return None
    digest = comparison_digest(spec, runs, out)
    if dest.is_file() and _state(out).get("comparison") == digest:
        return dest
    composer = _Composer(spec, runs, out)
    try:
        render = spec.runs[0].cfg.render
        # The first and last composites hold nearly every colour the animation uses.
        sample = np.concatenate([composer.frame(composer.epochs[0]), composer.frame(composer.epochs[-1])])
        # White exactly, as in the tiles: median cut alone can give the page an off-white strip.
        colors = np.array([[255, 255, 255], TEXT_RGB], np.uint8)
        with GifWriter(dest, **preview_timing(render), sample=sample, colors=colors) as writer:
            for frame in composer.frames():
                writer.write(frame)
    finally:
        composer.close()
    state = {"comparison": digest, "keys": list(spec.keys), "runs": [r.name for r in runs]}
    write_text_atomic(out / STATE, json.dumps(state, indent=2) + "\n")
    return dest
