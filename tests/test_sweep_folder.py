"""A sweep folder is untrusted (issue 22, items 1 and 2): it may be shared, so anything in it
may have been planted or edited since the last sweep.

Links nnviz did not make (a run folder, the lock, a marker, a thumbnail, a page) are never
followed; a marker whose fields are of the wrong type or value means "redo the run"; a folder
that is neither empty nor a sweep's is refused unless ``--force``; and text from data, names
or configs is escaped for the file it lands in (HTML, Markdown, CSV). The fuzz at the end
plants links, FIFOs and edited markers at random and checks the two promises that matter:
no file outside ``--out`` changes, and no page carries raw markup.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import cli_run, error_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnviz import sweep
from nnviz.errors import ConfigError
from nnviz.sweep import LOCK, MARKER, SUMMARY, gallery
from nnviz.sweep.escape import csv_cell, md
from nnviz.sweep.executors import ExecutorKind

SPEC = """\
[data]
n_samples = 40
[train]
epochs = 3
stop_loss = 0
[render]
grid = 6
size = "240x80"
hold = 0
[sweep]
"train.lr" = [0.1, 0.01]
"""
RUNS = ("lr=0.1", "lr=0.01")
MARKUP = '"><script>alert(7)</script><img src=x onerror=alert(document.domain)>'


@contextlib.contextmanager
def _inline(jobs: int, scheduler: str | None, workers: int | None) -> Iterator[cf.Executor]:
    with cf.ThreadPoolExecutor(max_workers=1) as pool:  # in this process: fast, and monkeypatches apply
        yield pool


@pytest.fixture(autouse=True)
def inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sweep.EXECUTORS, "process", ExecutorKind(_inline, lambda s, w: None))


def snapshot(root: Path, skip: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under ``root`` but ``skip``: a link's target, a file's bytes, a folder, a FIFO."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == skip or skip in here.parents:
            dirnames[:] = []
            continue
        for name in [*dirnames, *filenames]:
            path = here / name
            if path == skip:
                continue
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir", "")
            elif path.is_file():
                found[rel] = ("file", path.read_bytes())
            else:
                found[rel] = ("special", "")
    return found


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep folder (``o``) beside its file, made once and copied by each test."""
    base = tmp_path_factory.mktemp("finished")
    (base / "s.toml").write_text(SPEC)
    with pytest.MonkeyPatch.context() as m:
        m.setitem(sweep.EXECUTORS, "process", ExecutorKind(_inline, lambda s, w: None))
        code, output = cli_run("sweep", str(base / "s.toml"), "--out", str(base / "o"), "-q")
    assert code == 0, output
    return base


@pytest.fixture
def work(tmp_path: Path, finished: Path) -> Path:
    shutil.copy(finished / "s.toml", tmp_path / "s.toml")
    shutil.copytree(finished / "o", tmp_path / "o", symlinks=True)
    victims = tmp_path / "victim"
    victims.mkdir()
    for run in RUNS:  # the files a run writes, by name, in the user's own folder
        for suffix in ("csv", "gif", "png", "toml", "events.csv"):
            (victims / f"blobs-tanh-{run.replace('=', '')}.{suffix}").write_text(f"the user's own {suffix}\n")
    (victims / "thumb.gif").write_bytes(b"the user's picture")
    (victims / "notes.txt").write_text("the user's notes\n")
    return tmp_path


def resweep(root: Path, *flags: str) -> tuple[int, str]:
    return cli_run("sweep", str(root / "s.toml"), "--out", str(root / "o"), "-q", *flags)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


# The elements nnviz's page is made of: anything else came from data.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "p", "code", "a", "img", "figure",
             "figcaption", "table", "thead", "tbody", "tr", "th", "td", "div", "video"}


def pages_are_clean(out: Path) -> None:
    """No page carries markup from data: only nnviz's own elements and attributes in index.html,
    and in index.md no HTML but nnviz's own <br> (everything else from data is escaped)."""
    parser = _Tags()
    parser.feed((out / gallery.INDEX_HTML).read_text())
    for tag, attrs in parser.tags:
        assert tag in PAGE_TAGS, (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), (tag, attrs)
            if name == "class" and tag == "div" and (value or "").startswith("card"):
                assert value in ("card ok", "card diverged", "card failed"), value
    text = (out / gallery.INDEX_MD).read_text()
    assert "<" not in text.replace("<br>", "") and ">" not in text.replace("<br>", ""), text


# --- 1. links nnviz did not make -----------------------------------------------------


def test_a_run_folder_linked_elsewhere_is_not_written_through(work: Path) -> None:
    out, victims = work / "o", work / "victim"
    before = snapshot(work, out)
    shutil.rmtree(out / "lr=0.1")
    (out / "lr=0.1").symlink_to(victims, target_is_directory=True)
    code, output = resweep(work)
    assert code == 0, output
    assert snapshot(work, out) == before, "a file outside --out changed"
    assert not (out / "lr=0.1").is_symlink() and (out / "lr=0.1" / MARKER).is_file()
    assert (victims / "blobs-tanh-lr0.1.csv").read_text() == "the user's own csv\n"


@pytest.mark.parametrize("planted", [LOCK, f"lr=0.1/{MARKER}", "lr=0.1/thumb.gif", "lr=0.1/blobs-tanh-lr0.1.csv",
                                     "lr=0.1/blobs-tanh-lr0.1.events.csv", gallery.STATE, SUMMARY, gallery.INDEX_HTML, gallery.COMPARISON])
def test_a_planted_link_is_never_followed(work: Path, planted: str) -> None:
    out, victim = work / "o", work / "victim" / "notes.txt"
    (out / planted).unlink(missing_ok=True)
    (out / planted).symlink_to(victim)
    before = snapshot(work, out)
    code, output = resweep(work)
    assert code == 0, output
    assert snapshot(work, out) == before, "a file outside --out changed"
    assert not (out / planted).is_symlink() or planted == LOCK
    assert not (out / LOCK).exists()
    pages_are_clean(out)


@pytest.mark.parametrize("planted", [f"lr=0.1/{MARKER}", "lr=0.1/thumb.gif", gallery.STATE, LOCK, SUMMARY])
def test_a_fifo_where_nnviz_writes_never_blocks(work: Path, planted: str) -> None:
    out = work / "o"
    (out / planted).unlink(missing_ok=True)
    os.mkfifo(out / planted)  # opened the usual way, a FIFO with no writer waits for ever
    code, output = resweep(work)
    assert code == 0, output
    assert (out / planted).is_file() or planted == LOCK


def test_a_dangling_link_at_a_run_folder_is_replaced(work: Path) -> None:
    out = work / "o"
    shutil.rmtree(out / "lr=0.01")
    (out / "lr=0.01").symlink_to(work / "nowhere" / "deep")
    code, output = resweep(work)
    assert code == 0, output
    assert not (work / "nowhere").exists() and (out / "lr=0.01" / MARKER).is_file()


# --- 1. markers are claims ---------------------------------------------------------------


def edit_marker(out: Path, run: str, **fields: object) -> None:
    path = out / run / MARKER
    body = json.loads(path.read_text())
    body.update(fields)
    path.write_text(json.dumps(body))


@pytest.mark.parametrize(
    "fields",
    [
        {"status": 'ok"><script>alert(7)</script>'},
        {"epochs": "abc"},
        {"loss": [1]},
        {"accuracy": "x"},
        {"epochs": True},
        {"epochs": 99999},
        {"seconds": -1},
        {"loss": None},
        {"path": "../../victim/notes.txt"},
        {"thumb": "/etc/passwd"},
        {"error": {"a": 1}},
        {"files": []},
        {"files": {"lr=0.1/thumb.gif": {"size": "1", "sha256": 5}}},
        {"name": "lr=0.01"},
        {"status": "failed"},
        {"unknown": 1},
    ],
    ids=lambda f: next(iter(f)) + "=" + repr(next(iter(f.values())))[:20],
)
def test_an_edited_marker_means_redo_never_an_internal_error(work: Path, fields: dict) -> None:
    out = work / "o"
    edit_marker(out, "lr=0.1", **fields)
    code, output = resweep(work)
    assert code == 0 and "internal error" not in output, output
    summary = pd.read_csv(out / SUMMARY)
    assert summary.set_index("run").loc["lr=0.1", "cached"] == False  # noqa: E712  (redone, not kept)
    assert summary.set_index("run").loc["lr=0.01", "cached"] == True  # noqa: E712
    assert json.loads((out / "lr=0.1" / MARKER).read_text())["status"] == "ok"
    pages_are_clean(out)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[" * 100_000, b"{" + b" " * (2 << 20) + b"}", b"null", b"[]"])
def test_a_damaged_marker_means_redo(work: Path, content: bytes) -> None:
    (work / "o" / "lr=0.1" / MARKER).write_bytes(content)
    code, output = resweep(work)
    assert code == 0, output
    assert pd.read_csv(work / "o" / SUMMARY).set_index("run").loc["lr=0.1", "cached"] == False  # noqa: E712


@pytest.mark.parametrize("suffix", ["events.csv", "csv", "toml"])
def test_an_edited_file_of_a_finished_run_means_redo(work: Path, suffix: str) -> None:
    """Each of a run's six files is in its marker: an edited one (the events list too) is not kept."""
    path = work / "o" / "lr=0.1" / f"blobs-tanh-lr0.1.{suffix}"
    original = path.read_bytes()
    path.write_bytes(original + b"edited\n")
    code, output = resweep(work)
    assert code == 0, output
    assert pd.read_csv(work / "o" / SUMMARY).set_index("run").loc["lr=0.1", "cached"] == False  # noqa: E712
    assert path.read_bytes() == original


def test_an_edited_sweep_state_is_ignored(work: Path) -> None:
    (work / "o" / gallery.STATE).write_text('{"comparison": [1], "nnviz": {}}')
    code, output = resweep(work)
    assert code == 0, output
    assert json.loads((work / "o" / gallery.STATE).read_text())["nnviz"] == "sweep"


# --- 1. a folder that is not a sweep's ---------------------------------------------------


def test_a_users_own_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(SPEC)
    docs = tmp_path / "docs"
    docs.mkdir()
    mine = {"index.md": "# my docs\n", "index.html": "<p>mine</p>\n", "summary.csv": "a,b\n1,2\n"}
    for name, text in mine.items():
        (docs / name).write_text(text)
    code, output = cli_run("sweep", str(tmp_path / "s.toml"), "--out", str(docs), "-q")
    assert code == 1
    assert error_line(output) == (
        f"Error: --out {str(docs)!r} is not empty and not a sweep's folder (it holds index.html, index.md, "
        "summary.csv); give a new or empty folder, or add --force to write the sweep there (its summary.csv, "
        "index.md and index.html would be replaced)"
    )
    assert {p.name: p.read_text() for p in docs.iterdir()} == mine  # nothing written, nothing replaced
    code, output = cli_run("sweep", str(tmp_path / "s.toml"), "--out", str(docs), "-q", "--force")
    assert code == 0, output
    assert (docs / "index.md").read_text() != mine["index.md"] and (docs / gallery.STATE).is_file()
    code, output = cli_run("sweep", str(tmp_path / "s.toml"), "--out", str(docs), "-q")
    assert code == 0, output  # a sweep's folder now: resumed without --force


@pytest.mark.parametrize("spelling", ["{out}/", "{out}/.", "{out}//", "./{rel}", "{out}/../{name}"])
def test_odd_spellings_of_a_users_folder_are_refused_too(tmp_path: Path, spelling: str, monkeypatch) -> None:
    (tmp_path / "s.toml").write_text(SPEC)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# mine\n")
    monkeypatch.chdir(tmp_path)
    given = spelling.format(out=str(docs), rel="docs", name="docs")
    code, output = cli_run("sweep", str(tmp_path / "s.toml"), "--out", given, "-q")
    assert code == 1 and "is not empty and not a sweep's folder" in error_line(output)
    assert (docs / "index.md").read_text() == "# mine\n"


def test_the_sweep_file_and_its_data_beside_the_runs_do_not_make_a_folder_foreign(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(SPEC)
    code, output = cli_run("sweep", str(tmp_path / "s.toml"), "--out", str(tmp_path), "-q")
    assert code == 0, output


# --- 2. text from data, escaped for where it lands ---------------------------------------


HOSTILE = [
    MARKUP,
    "<img src=x onerror=alert(document.domain)>",
    "[click](javascript:alert(1))",
    "![x](https://evil.example/x.png)",
    "`code` *em* _em_ **b** # h | cell | {: onclick=alert(1)}",
    "a & b &amp; &lt;x&gt; \\<b\\>",
    "line\nbreak\rreturn\ttab",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_escaping_leaves_no_markup(text: str) -> None:
    out = md(text)
    assert "\n" not in out and "\r" not in out
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert not re.search(r"&(?!(amp|lt|gt|quot|#39);)", out)  # every & starts one of the five entities
    for char in "`*_{}[]()#!|":  # every Markdown punctuation character is escaped
        assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c == char), out
    # What a reader sees once the escapes are undone is the text as typed (whitespace made one space).
    undone = re.sub(r"\\(.)", r"\1", out)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        undone = undone.replace(entity, char)
    assert undone == " ".join(text.split())


@pytest.mark.parametrize(("cell", "safe"), [("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"),
                                            ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
                                            ("ok", "ok"), (-0.5, -0.5), (3, 3), (None, None)])
def test_csv_cells_cannot_be_formulas(cell: object, safe: object) -> None:
    assert csv_cell(cell) == safe


def test_a_failure_message_from_data_reaches_no_page_raw(tmp_path: Path) -> None:
    """The issue's case: a CSV value in a failure message was written into index.md verbatim."""
    data = tmp_path / "d.csv"
    data.write_text("x0,x1,label\n0,0,0\n1,<img src=x onerror=alert(document.domain)>,1\n0,1,0\n1,0,1\n")
    (tmp_path / "s.toml").write_text(SPEC.replace("[data]\n", f'[data]\npath = "{data}"\n'))
    code, output = cli_run("sweep", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), "-q")
    assert code == 1 and "runs failed" in error_line(output)
    out = tmp_path / "o"
    text = (out / gallery.INDEX_MD).read_text()
    assert "img src" in text.replace("\\", "")  # the message is there, as text
    pages_are_clean(out)
    assert all(not str(v).startswith(("=", "+", "-", "@")) for v in pd.read_csv(out / SUMMARY).to_numpy().ravel())


def test_a_hostile_sweep_file_name_and_values_reach_no_page_raw(tmp_path: Path, monkeypatch) -> None:
    name = "<img src=x onerror=alert(1)>"
    folder = tmp_path / name
    folder.mkdir()
    monkeypatch.chdir(folder)
    data = "=HYPERLINK(evil)`x`[y](z).csv"  # relative: the value in summary.csv starts with "="
    (folder / data).write_text("x0,x1,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n0.5,0.2,0\n0.9,0.8,1\n")
    spec = folder / f"{name}.toml"
    spec.write_text(SPEC.replace('"train.lr" = [0.1, 0.01]', f'"data.path" = ["{data}"]'))
    out = tmp_path / "o"
    code, output = cli_run("sweep", str(spec), "--out", str(out), "-q")
    assert code == 0, output
    pages_are_clean(out)
    cells = pd.read_csv(out / SUMMARY, dtype=str).fillna("").to_numpy().ravel()
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells), cells
    assert "'=HYPERLINK" in (out / SUMMARY).read_text()


# --- the held-out kind: planted links and edited markers at random ------------------------

PLANTS = ("link-file", "link-dir", "dangling", "fifo", "edit", "garbage")
TARGETS = (
    LOCK, gallery.STATE, SUMMARY, gallery.INDEX_MD, gallery.INDEX_HTML, gallery.COMPARISON,
    "lr=0.1", "lr=0.01", *(f"{r}/{n}" for r in RUNS for n in (MARKER, "thumb.gif")),
    *(f"{r}/blobs-tanh-{r.replace('=', '')}.{s}" for r in RUNS for s in ("csv", "gif", "png", "toml")),
)
FIELDS = ("status", "epochs", "loss", "accuracy", "path", "thumb", "error", "config_hash", "seconds", "files", "name")
VALUES = st.one_of(st.sampled_from([MARKUP, "abc", "", "../victim/notes.txt", "/etc/passwd", -1, 1e308, True]),
                   st.none(), st.integers(), st.floats(), st.text(max_size=30), st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
EXAMPLES = int(os.environ.get("NNVIZ_FUZZ_EXAMPLES", "12"))


def _plant(out: Path, victims: Path, kind: str, target: str, field: str, value: object) -> None:
    path = out / target
    if kind == "edit":
        marker = out / target.split("/")[0] / MARKER
        if marker.is_file() and not marker.is_symlink():
            with contextlib.suppress(ValueError):
                body = json.loads(marker.read_text())
                if isinstance(body, dict):
                    body[field] = value
                    marker.write_text(json.dumps(body))
        return
    if path.parent != out and (path.parent.is_symlink() or not path.parent.is_dir()):
        return  # its run folder is itself planted: nothing to plant inside it
    if path.is_symlink() or path.is_file() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    if kind == "link-file":
        path.symlink_to(victims / "notes.txt")
    elif kind == "link-dir":
        path.symlink_to(victims, target_is_directory=True)
    elif kind == "dangling":
        path.symlink_to(victims / "gone" / "x")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(MARKUP.encode() + b"\x00\xff")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
@given(plants=st.lists(st.tuples(st.sampled_from(PLANTS), st.sampled_from(TARGETS), st.sampled_from(FIELDS), VALUES),
                       min_size=1, max_size=5))
def test_planted_links_and_edited_markers_change_nothing_outside_and_leak_no_markup(
    finished: Path, tmp_path_factory: pytest.TempPathFactory, plants: list
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copy(finished / "s.toml", root / "s.toml")
    shutil.copytree(finished / "o", root / "o", symlinks=True)
    victims = root / "victim"
    (victims / "inner").mkdir(parents=True)
    (victims / "notes.txt").write_text("the user's notes\n")
    (victims / "inner" / "blobs-tanh-lr0.1.csv").write_text("the user's csv\n")
    for plant in plants:
        _plant(root / "o", victims, *plant)
    before = snapshot(root, root / "o")
    digest = hashlib.sha256(repr(sorted(before.items())).encode()).hexdigest()
    code, output = cli_run("sweep", str(root / "s.toml"), "--out", str(root / "o"), "-q")
    assert "internal error" not in output and "Traceback" not in output, (plants, output)
    assert code == 0 or (code == 1 and output.count("Error:") == 1), (plants, output)
    after = snapshot(root, root / "o")
    assert hashlib.sha256(repr(sorted(after.items())).encode()).hexdigest() == digest, (plants, "outside changed")
    if code == 0:
        pages_are_clean(root / "o")
        code, output = cli_run("sweep", str(root / "s.toml"), "--out", str(root / "o"), "-q")
        assert code == 0, output
        assert pd.read_csv(root / "o" / SUMMARY)["cached"].all()  # every run redone once, then kept


# --- in a browser: the page shows the hostile text, and nothing runs ------------------------


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    exe = os.environ.get("NNVIZ_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("no Chromium found (apt-get install chromium, or set NNVIZ_CHROMIUM)")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=args, headless=True)
        yield b
        b.close()


def _shown_in_chromium(browser, page_path: Path) -> dict:
    ctx = browser.new_context()
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    found = page.evaluate("""() => ({
        scripts: document.scripts.length,
        handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on')))
                  .map(e => e.outerHTML.slice(0, 80)),
        text: document.body.innerText })""")
    ctx.close()
    return {**found, "dialogs": dialogs}


def test_an_edited_status_runs_no_script_in_chromium(work: Path, browser) -> None:
    """The issue's case: status 'ok"><script>alert(7)</script>' went into a card's class attribute."""
    out = work / "o"
    edit_marker(out, "lr=0.01", status='ok"><script>alert(7)</script>')
    code, output = resweep(work)
    assert code == 0, output
    found = _shown_in_chromium(browser, out / gallery.INDEX_HTML)
    assert found["dialogs"] == [] and found["scripts"] == 0 and found["handlers"] == [], found


def test_markup_from_data_runs_no_script_in_chromium(work: Path, browser) -> None:
    out = work / "o"
    data = work / "d.csv"
    data.write_text("x0,x1,label\n0,0,0\n1,<img src=x onerror=alert(document.domain)>,1\n0,1,0\n1,0,1\n")
    (work / "s.toml").write_text(SPEC.replace('"train.lr" = [0.1, 0.01]',
                                              f'"data.path" = ["{data}", "{work / "missing<b>.csv"}"]'))
    code, output = resweep(work, "--force")
    assert code == 1, output
    pages_are_clean(out)
    found = _shown_in_chromium(browser, out / gallery.INDEX_HTML)
    assert found["dialogs"] == [] and found["scripts"] == 0 and found["handlers"] == [], found
    assert "<img src=x onerror=alert(document.domain)>" in found["text"]  # shown as text


# --- hostile names through every page (fast: no training) -----------------------------------

NAMES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"), min_size=1,
            max_size=40),
    st.text(alphabet='<>&"\'`*_{}[]()#!|\\=+-@ \n\tab', min_size=1, max_size=30),
)


@settings(max_examples=max(EXAMPLES * 5, 60), deadline=None, suppress_health_check=list(HealthCheck))
@given(stem=NAMES, values=st.lists(NAMES, min_size=1, max_size=3, unique=True), error=NAMES, two=st.booleans())
def test_hostile_names_values_and_messages_reach_no_page_raw(stem: str, values: list[str], error: str,
                                                              two: bool) -> None:
    import tempfile

    table: dict = {"data.path": [f"{v}.csv" for v in values]}
    if two:
        table["model.activation"] = ["tanh", "relu"]
    try:
        spec = sweep.parse_sweep({"train": {"epochs": 3}, "sweep": table}, f"{stem}.toml")
    except ConfigError:
        return  # two values made one folder name: refused before any run, as a sweep file would be
    runs = [sweep.RunResult(r.name, "failed" if i % 2 else "ok", epochs=3, loss=0.5, accuracy=0.5,
                            error=error if i % 2 else "") for i, r in enumerate(spec.runs)]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        (out / gallery.INDEX_HTML).write_text(gallery.render_html(spec, runs, None, out))
        (out / gallery.INDEX_MD).write_text(gallery.render_md(spec, runs, None))
        pages_are_clean(out)
        rows = [{k: csv_cell(v) for k, v in row.items()} for row in sweep.summary_rows(spec, runs)]
        assert all(not str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for v in row.values()
                   if isinstance(v, str))


@settings(max_examples=max(EXAMPLES * 3, 30), deadline=None, suppress_health_check=list(HealthCheck))
@given(stem=NAMES.filter(lambda s: s not in (".", "..") and len(s.encode()) < 200))
def test_a_hostile_file_name_reaches_the_player_as_text(stem: str) -> None:
    import tempfile

    import numpy as np

    from nnviz.render import writers

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{stem}.html"
        frames = [np.full((8, 8, 3), c, np.uint8) for c in (0, 255)]
        with writers.HtmlWriter(path, fps=5) as w:
            for f in frames:
                w.write(f, {"title": stem, "metrics": {stem[:12] or "m": 0.5}})
        parser = _Tags()
        text = path.read_text()
        parser.feed(text)
    scripts = [t for t, _ in parser.tags if t == "script"]
    assert len(scripts) == 1, parser.tags  # the player's own
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name, _ in attrs), (tag, attrs)
    body = text.split("<script>", 1)[1].split("</script>", 1)[0]
    assert "</script" not in body.lower() and "<!--" not in body
