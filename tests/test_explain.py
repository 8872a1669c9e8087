"""Frames that explain themselves (issue 17): a user's own unscaled data trains, every frame with a surface
has a colour key, every panel a caption, and training events are named where they happen.

Each case is what a student sees: the end-of-run lines, the events file beside the run,
the captions and the key on the frame (their artists and their pixels), no text overlapping.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from nnviz import catalog
from nnviz.cli import cli
from nnviz.engine.events import find_events
from nnviz.engine.train import load_data, train
from nnviz.render import layout
from nnviz.render.animation import Animation
from nnviz.render.panels.base import NOTE_RED

ROOT = Path(__file__).resolve().parents[1]


def _table(path: Path, scale: tuple[float, float], shift: tuple[float, float], n: int = 200) -> Path:
    """Two clearly separable classes, features on their own scales (the kind of table users bring)."""
    rng = random.Random(3)
    with path.open("w") as f:
        f.write("a,b,label\n")
        for i in range(n):
            k = i % 2
            a = shift[0] + scale[0] * (rng.gauss(0, 1) + 4 * k)
            b = shift[1] + scale[1] * (rng.gauss(0, 1) - 3 * k)
            f.write(f"{a:.6g},{b:.6g},{'yes' if k else 'no'}\n")
    return path


UNSCALED = {
    "cats and dogs (tens)": lambda tmp: ROOT / "examples" / "pets.csv",
    "thousands": lambda tmp: _table(tmp / "big.csv", (900.0, 1500.0), (40_000.0, -8_000.0)),
    "thousandths": lambda tmp: _table(tmp / "tiny.csv", (0.0007, 0.002), (0.01, -0.003)),
}


@pytest.mark.parametrize("name", list(UNSCALED))
def test_a_users_unscaled_csv_trains_with_the_defaults(tmp_path: Path, name: str) -> None:
    data_file = UNSCALED[name](tmp_path)
    cfg = catalog.resolve({}, {"data.path": str(data_file)})
    assert cfg.data.standardize
    history = train(cfg, load_data(cfg))
    assert history.last.metrics["accuracy"] >= 0.95, (name, history.last.metrics)


@pytest.mark.parametrize("name", list(UNSCALED))
def test_without_standardising_the_end_of_the_run_names_the_cause(tmp_path: Path, name: str) -> None:
    data_file = UNSCALED[name](tmp_path)
    r = CliRunner().invoke(cli, ["animate", "--data", str(data_file), "--no-standardize", "--epochs", "40",
                                 "--grid", "10", "--size", "300x100", "--format", "png", "-q",
                                 "--out", str(tmp_path / "raw.png")])
    assert r.exit_code == 0, r.output
    events = [line for line in r.stdout.splitlines() if line.startswith("event: ")]
    assert any("not standardised" in line and "drop --no-standardize" in line for line in events), r.stdout


def test_standardising_keeps_the_axes_in_the_users_units(tmp_path: Path) -> None:
    cfg = catalog.resolve({}, {"data.path": str(ROOT / "examples" / "pets.csv"), "train.epochs": 5,
                               "render.grid": 20})
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    x0, x1, y0, y1 = anim.limits["input"]
    assert x0 < data.X[:, 0].min() and data.X[:, 0].max() < x1  # heights in cm, not z-scores
    assert y0 < data.X[:, 1].min() and data.X[:, 1].max() < y1
    assert anim.panel("input").labels == ("height_cm", "weight_kg")


def test_the_history_network_reads_the_users_units() -> None:
    """Standardising is folded into the first layer: the History's network, fed raw inputs, gives the
    training metrics, so every picture and every re-render draws in the user's own units."""
    from nnviz.engine import nn

    cfg = catalog.resolve({}, {"data.path": str(ROOT / "examples" / "pets.csv"), "train.epochs": 20})
    data = load_data(cfg)
    history = train(cfg, data)
    model, last = history.model, history.last
    raw = nn.forward(model, last.params, np.asarray(data.X)).z[-1]
    assert model.out.value(raw, np.asarray(data.y)) == pytest.approx(last.metrics["loss"], rel=1e-9)


# --- training events -----------------------------------------------------------------------------


def _events(**over):
    cfg = catalog.resolve({}, over)
    data = load_data(cfg)
    history = train(cfg, data)
    return find_events(history, data, standardized=data.scaled or cfg.data.standardize), history


def test_a_dead_relu_unit_is_named_on_its_frames_and_at_the_end(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["animate", "--activation", "relu", "--lr", "0.1", "-q", "--grid", "20",
                                 "--out", str(tmp_path / "relu.gif")])
    assert r.exit_code == 0, r.output
    assert "event: epochs 4-200: a₂ is dead: relu is 0 on every point; a dead relu unit never learns again: " \
           "try --activation leaky_relu or a smaller --lr" in r.stdout
    rows = list(csv.DictReader((tmp_path / "relu.events.csv").open()))
    dead = [row for row in rows if row["event"] == "dead"]
    assert dead and dead[0]["from_epoch"] == "4" and dead[0]["units"] == "2" and dead[0]["layer"] == "1"
    # On a frame where it holds, the activation panel's caption says so, in the events' red.
    cfg = catalog.resolve({}, {"model.activation": "relu", "train.lr": 0.1, "render.grid": 20})
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    painter = anim.painter()
    try:
        pixels = painter.render(anim.frame(anim.indices[-1]))
        view = next(v for v in painter.views if v.name == "activation")
        assert view.caption.get_text() == "a₂ is dead: relu is 0 on every point"
        box = view.caption.get_window_extent(painter.canvas.get_renderer())
        rows_ = slice(round(pixels.shape[0] - box.y1), round(pixels.shape[0] - box.y0))
        patch = pixels[rows_, round(box.x0): round(box.x1)].reshape(-1, 3).astype(int)
        red = np.array([int(NOTE_RED[i: i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(patch - red).sum(axis=1) < 60).sum() > 20  # red text pixels really drawn
        early = anim.frame(0)
        assert "activation" not in early.notes  # before it died, the panel's own caption
    finally:
        painter.close()


@pytest.mark.parametrize(
    ("over", "kind", "words"),
    [
        ({"model.activation": "relu", "train.lr": 0.1}, "dead", "is dead"),
        ({"data.path": str(ROOT / "examples" / "pets.csv"), "data.standardize": False}, "saturated", "saturated"),
        ({}, "collapsed", "collapsed"),  # the default blobs run: both units learn one direction
        ({"data.path": str(ROOT / "examples" / "pets.csv"), "data.standardize": False}, "plateau", "loss flat"),
        ({"data.path": str(ROOT / "examples" / "pets.csv")}, "separated", "every training point"),
        ({"data.path": str(ROOT / "examples" / "pets.csv"), "data.standardize": False},
         "no better than guessing", "always guessing 'cat'"),
    ],
)
def test_each_event_kind_on_a_run_built_to_show_it(over: dict, kind: str, words: str) -> None:
    events, history = _events(**over)
    found = [e for e in events if e.kind == kind]
    assert found, [(e.kind, e.caption) for e in events]
    assert words in found[0].caption and 0 <= found[0].start <= found[0].end < len(history)


def test_a_healthy_run_has_no_warning_events() -> None:
    events, _ = _events(**{"data.name": "xor"})
    assert not [e for e in events if e.kind in ("dead", "saturated", "no better than guessing")]


# --- the colour key and the captions, at two sizes ----------------------------------------------


RUNS = {
    "binary": ({}, "P(class 1)"),
    "multiclass": ({"data.name": "blobs3"}, "likeliest class (pale: unsure)"),
    "regression": ({"data.name": "sine"}, "prediction"),
}


@pytest.mark.parametrize("size", ["1200x400", "600x200"])
@pytest.mark.parametrize("task", list(RUNS))
def test_every_frame_with_a_surface_has_a_key_and_captions_and_nothing_overlaps(task: str, size: str) -> None:
    over, label = RUNS[task]
    cfg = catalog.resolve({}, {**over, "train.epochs": 8, "render.grid": 30, "render.size": size})
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    painter = anim.painter()
    try:
        pixels = painter.render(anim.frame(anim.indices[-1])).copy()
        painter.canvas.draw()
        assert layout.text_clashes(painter.fig) == []
        keys = [ax for ax in painter.fig.axes if ax.get_ylabel() == label]
        assert len(keys) == 1, [ax.get_ylabel() for ax in painter.fig.axes]
        # The key is drawn: its box holds the surface's colours, not white.
        box = keys[0].get_window_extent()
        assert box.width >= 6  # thick enough to read its colours
        middle = round((box.x0 + box.x1) / 2)
        strip = pixels[round(pixels.shape[0] - box.y1) + 2: round(pixels.shape[0] - box.y0) - 2, middle]
        assert len(strip) > 20 and (strip.std(axis=0) > 10).any()  # the surface's colours, not white
        captions = [v.caption for v in painter.views if v.caption is not None and v.caption.get_visible()]
        assert len(captions) == len(painter.views)  # every panel says what it shows, at both sizes
    finally:
        painter.close()


def test_captions_can_be_turned_off_for_frames_embedded_under_ones_own_text(tmp_path: Path) -> None:
    cfg = catalog.resolve({}, {"train.epochs": 3, "render.grid": 20, "render.captions": False})
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    painter = anim.painter()
    try:
        assert all(v.caption is None for v in painter.views)
    finally:
        painter.close()


def test_where_no_input_lands_a_two_wide_plane_is_faded() -> None:
    """The relu run's hidden plane: its corner above the data is a region no input reaches; it was
    drawn as strongly as the data's, and a student asked what it meant."""
    cfg = catalog.resolve({}, {"model.activation": "relu", "train.lr": 0.1, "render.grid": 40})
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    painter = anim.painter()
    try:
        frame = anim.frame(anim.indices[-1])
        pixels = painter.render(frame).copy()
        view = next(v for v in painter.views if v.name == "hidden")
        mesh = frame.panels["hidden"].mesh.reshape(-1, 2)
        x0, x1, y0, y1 = frame.limits["hidden"]
        far = (x0 + 0.05 * (x1 - x0), y1 - 0.05 * (y1 - y0))  # the top-left corner: no input lands there
        assert np.linalg.norm(mesh - np.array(far), axis=1).min() > 0.1 * (x1 - x0)

        def saturation(point: tuple[float, float]) -> float:
            col, row = view.ax.transData.transform(point)
            patch = pixels[round(pixels.shape[0] - row) - 2: round(pixels.shape[0] - row) + 3,
                           round(col) - 2: round(col) + 3].reshape(-1, 3).astype(float)
            return float((patch.max(axis=1) - patch.min(axis=1)).mean())

        on_data = tuple(frame.panels["hidden"].points[0])
        assert saturation(far) < 0.6 * saturation(on_data)
    finally:
        painter.close()


def test_the_gif_of_a_default_run_has_its_key_and_captions(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["animate", "--epochs", "3", "--grid", "20", "-q", "--out", str(tmp_path / "a.gif")])
    assert r.exit_code == 0, r.output
    im = Image.open(tmp_path / "a.gif")
    assert im.n_frames == 4 and (tmp_path / "a.events.csv").exists()


@pytest.mark.parametrize(("size", "shown"), [
    ("2400x400", "the layer collapsed: its units point one way, so the plane is squeezed onto a line"),  # room
    ("1200x400", "the layer collapsed: its units point one way"),  # the default frame: up to a clause
    ("600x200", "the layer collapsed"),  # the event's short form
])
def test_an_event_too_long_for_its_panel_shows_as_much_as_reads_whole(size: str, shown: str) -> None:
    """The default run's collapsed layer said "the layer collapsed: its units point one way, so the…",
    cut mid-sentence; a student could not tell what was squeezed onto what."""
    cfg = catalog.resolve({}, {"render.grid": 30, "render.size": size})
    data = load_data(cfg)
    anim = Animation(train(cfg, data), data, cfg.render)
    painter = anim.painter()
    try:
        painter.render(anim.frame(anim.indices[-1]))
        view = next(v for v in painter.views if v.name == "hidden")
        assert view.caption.get_text() == shown
        assert view.caption.get_window_extent(painter.canvas.get_renderer()).width <= view.ax.bbox.width
    finally:
        painter.close()


def test_an_event_is_cut_at_a_clause_never_inside_quotes_or_brackets() -> None:
    from nnviz.engine.events import Event
    from nnviz.render.panels.base import event_forms

    guess = Event("no better than guessing", 0, 0, "no better than always guessing 'cat, dog' (50%)",
                  short="no better than guessing")
    assert event_forms(guess) == (guess.caption, guess.short)
    span = Event("unscaled", 0, 0, "not standardised (they span 0 to 9, 1 to 2): units saturate; try this",
                 short="inputs unscaled")
    assert event_forms(span) == (span.caption, "not standardised (they span 0 to 9, 1 to 2): units saturate",
                                 span.short)
    separated = Event("separated", 3, 3, "epoch 3: every training point is now on its side", short="all on their side")
    assert event_forms(separated) == (separated.caption, separated.short)  # "epoch 3" alone says nothing
