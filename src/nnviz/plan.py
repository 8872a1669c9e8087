"""The run plan: what a command will write and read, decided and checked before any work.

Every command (``animate``, a ``--history`` re-render, ``train``, ``morph``,
each run of a ``sweep``) builds one ``Plan``: every output path, every input
path, the format, the frames to draw. ``Plan.check()`` then makes every check
that relates them, before anything is loaded or trained:

* no output lands on an input (resolved paths, and inodes, so a hard link or
  a symlink is caught too);
* every output is writable (its name fits the filesystem, its folder can be
  made, it is not a folder or a device), and temp files that crashed runs
  left beside them are removed;
* the format's encoder is on this machine, and the format takes the frame
  size, the fps and the frame count.

``Plan.admit(data)`` adds the memory budget once the data's shape is known
(still before training). Commands differ only in what they put in the plan,
so a new command cannot skip a check.

``--out -`` writes the animation to stdout (formats that can be piped: every
one, written complete to a temp file first, then copied), with no poster,
history or config beside it; a terminal is refused, as ``curl`` does.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import catalog, config
from .atomic import check_name_length, check_writable
from .config import SCHEMA, Config
from .engine.data import Dataset
from .engine.train import build_model, check_snapshot_budget
from .errors import OutputError, RenderError
from .paths import check_disjoint, check_outputs, remove_stale_temps_beside
from .render.scene import select_epochs
from .render.scene.morph import check_counts, check_epochs_text, timeline
from .render.writers import WRITERS, agreeing_format, check_available, check_capacity

OUTPUT_DIR = Path("outputs")
STDOUT = "-"  # --out - : the animation to standard output
MAX_STEM = 120  # characters of a default name; past this its extra keys become a digest


# --- default names ---------------------------------------------------------------------------


def run_stem(cfg: Config) -> str:
    """The name of a run: ``blobs-tanh-lr0.01`` (a file dataset by its file's name)."""
    reads_file = catalog.CATALOG.reads_file(cfg.data.name)
    name = Path(cfg.data.path).stem if cfg.data.path and reads_file else cfg.data.name
    return f"{name}-{cfg.model.activation}-lr{cfg.train.lr:g}"


# Keys the base name already says (data, activation, lr), or that say where the run writes.
_IN_BASE = {"data.name", "data.path", "model.activation", "train.lr"}


def default_stem(cfg: Config, *, sections: Sequence[str] = tuple(SCHEMA), command: Mapping[str, Any] = {}) -> str:
    """The default output stem: the run's name plus every key of ``sections`` that differs from its defaults.

    ``outputs/`` is shared by every command a user tries, so two configs must
    not share a name: ``--test-fraction 0.2`` writes
    ``blobs-tanh-lr0.01-test-fraction0.2.gif``, not over the default run's
    files (whose ``--history`` re-render would then draw another run). The
    defaults are the dataset's own and ``command``'s (the morph's square
    frame), so only what the user chose is named. ``train`` names only what
    shapes training (its history is the same whatever the render keys).
    """
    reference = catalog.resolve({}, {"data.name": cfg.data.name, "data.path": cfg.data.path, **command})
    mine, theirs = config.to_dict(cfg), config.to_dict(reference)
    auto_layer = catalog.resolve({}, {"model.hidden": list(cfg.model.hidden)}).render.layer
    tokens = []
    for section in sections:
        for key, spec in SCHEMA[section].items():
            dotted = f"{section}.{key}"
            value = mine[section].get(key)
            if dotted in _IN_BASE or value == theirs[section].get(key):
                continue
            if dotted == "render.layer" and value == auto_layer:
                continue  # the network's own choice, not the user's
            tokens.append(_token((spec.flag or f"--{key}").removeprefix("--"), value))
    stem = "-".join([run_stem(cfg), *tokens])
    if len(stem) > MAX_STEM:  # many keys: still distinct, still starting with the run's name
        stem = f"{run_stem(cfg)}-cfg{config.config_hash(cfg)[:10]}"
    return stem


def _token(name: str, value: Any) -> str:
    """``fps30``, ``hidden4.2``, ``panels-input.loss``, ``format-mp4``: a key and its value, safe in a file name."""
    if isinstance(value, bool):
        text, sep = ("on" if value else "off"), "-"
    elif isinstance(value, (int, float)):
        text, sep = f"{value:g}", ""
    elif isinstance(value, list) and all(isinstance(v, (int, float)) for v in value):
        sep = ""
        text = "x".join(str(v) for v in value) if name == "size" else ".".join(f"{v:g}" for v in value)
    elif isinstance(value, list):
        text, sep = ".".join(str(v) for v in value), "-"
    else:
        text, sep = str(value), "-"
    return name + sep + re.sub(r"[^A-Za-z0-9_.+=-]+", "_", text)


# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    """Where a run writes. ``path`` is the animation (None: ``train``); the rest sit beside it."""

    path: Path | None
    format: str | None
    poster: Path | None = None
    history_csv: Path | None = None
    config_toml: Path | None = None
    events_csv: Path | None = None  # the training events (a dead unit, a plateau) the frames name
    extra: Mapping[str, Path] = field(default_factory=dict)  # a sweep run's thumbnail and marker
    stdout: bool = False  # ``path`` is a temp file copied to stdout at the end

    def files(self) -> dict[str, Path]:
        """Every file, described as messages name it (``""`` is the one the flag names)."""
        # The flag names the animation, or (nnviz train) the history itself.
        named = {"": self.path, "its .png poster": self.poster, "its .csv history": self.history_csv}
        if self.path is None:
            named = {"": self.history_csv}
        named["its .toml config"] = self.config_toml
        named["its .events.csv list"] = self.events_csv
        files = {what: p for what, p in named.items() if p is not None}
        return {**files, **self.extra}


@dataclass(frozen=True)
class Morph:
    """What a morph plan adds: frames per stage, still frames at each representation, the epochs to morph."""

    steps: int = 20
    pause: int = 6
    epochs: str | None = None  # "last", or comma-separated epoch numbers


@dataclass(frozen=True)
class Plan:
    """One command's run, decided before any work (see the module docstring)."""

    command: str  # animate, render (a --history re-render), train, morph, sweep run
    cfg: Config
    outputs: Outputs
    inputs: Mapping[str, str]  # "--data file" -> path
    flag: str = "--out"  # how messages name the output
    given: str | None = None  # the output as the user spelled it
    training: bool = True  # the History is still to be made
    frames: int | None = None  # frames in the file when known (a re-render, a morph); else the most training gives
    morph: Morph | None = None

    def check(self) -> None:
        """Every check that needs no data: paths, the encoder, what the format can hold."""
        self.check_paths()
        self.check_format()

    def check_paths(self) -> None:
        """No output on an input, every output writable, stale temps beside them removed."""
        files = self.outputs.files()
        given = self.given if self.given is not None else self.outputs.path
        if self.given not in (None, STDOUT):
            check_name_length(self.given, self.flag)  # a name over NAME_MAX makes even a stat() fail
        if self.outputs.stdout:
            _check_stdout(self.flag)
        else:
            check_disjoint(self.inputs, files, self.flag, given)
            check_outputs(files, self.flag, given)
            remove_stale_temps_beside(files.values())

    def check_format(self) -> None:
        """The format's encoder is here, and the format takes the size, fps and frames (and a morph's counts)."""
        if self.morph is not None:
            _check_morph(self.morph, self.cfg, self.training)
        if self.outputs.format is not None:
            check_available(self.outputs.format)  # a missing encoder fails now, not after training
            check_capacity(self.outputs.format, self.cfg.render.size, self.cfg.render.fps, self.frame_cap())

    def frame_cap(self) -> int:
        """The most frames the file can have."""
        if self.frames is not None:
            return self.frames
        r = self.cfg.render
        return len(select_epochs(self.cfg.train.epochs + 1, r.every, r.log_frames))

    def admit(self, data: Dataset, workers: int = 1) -> None:
        """The memory caps, once the data's shape is known and before training.

        The activation cap and, when the History is still to be trained, its
        snapshots'; for what is drawn, the meshgrid's and the painters'
        (``budget``).
        """
        model = build_model(self.cfg, data)  # the activation cap (samples x hidden units)
        if self.training:
            check_snapshot_budget(self.cfg, model, len(data.y))
        if self.outputs.format is not None:
            from . import budget  # it reads the panels' costs: the renderer, which `nnviz train` never loads

            budget.check_drawing(self.cfg, data, morph=self.morph is not None, workers=workers)


def _check_stdout(flag: str) -> None:
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):  # no stdout, or a closed one
        raise OutputError(f"{flag} - writes to standard output, which is closed; give a file name") from None
    if tty:
        raise OutputError(
            f"{flag} - would write binary data to the terminal; redirect it (> run.gif) or pipe it, or give a file name"
        )


def _check_morph(morph: Morph, cfg: Config, training: bool) -> None:
    check_counts(morph.steps, morph.pause)
    check_epochs_text(morph.epochs, cfg.train.epochs if training else None)


# --- the commands' plans -------------------------------------------------------------------------


def _inputs(cfg: Config, given: Mapping[str, str | os.PathLike[str] | None]) -> dict[str, str]:
    inputs = {what: os.fspath(p) for what, p in given.items() if p is not None and os.fspath(p) != ""}
    if cfg.data.path:
        inputs.setdefault("--data file", cfg.data.path)
    return inputs


def animation_outputs(cfg: Config, out: str | os.PathLike[str] | None = None, *, stem: str | None = None) -> Outputs:
    """Where an animation run writes: ``outputs/<stem>.<fmt>`` or ``out``, the poster, CSV and TOML beside it.

    The suffix of ``out`` picks the format when it names one; a suffix that
    contradicts a non-default ``render.format`` is an error. Without a suffix
    the format's is added.
    """
    fmt = cfg.render.format
    if out is not None and os.fspath(out) == STDOUT:
        return Outputs(Path(f"{STDOUT}.{fmt}"), fmt, stdout=True)
    if out is None:
        path = OUTPUT_DIR / f"{stem or default_stem(cfg)}.{fmt}"
    else:
        path = check_name_length(out, "--out")  # a part over NAME_MAX makes even exists() fail
        if path.exists() and not path.is_file():
            check_writable(path, "--out")  # a folder or device: refuse it before adding a suffix
        # The default format is no wish of the caller's: the suffix decides then.
        by_suffix = agreeing_format(path, fmt if fmt != SCHEMA["render"]["format"].default else None)
        if by_suffix is not None:
            fmt = by_suffix
        elif re.fullmatch(r"\.[A-Za-z][A-Za-z0-9]*", path.suffix):  # not "run-lr0.01"
            raise RenderError(
                f"--out {str(path)!r} has an unknown suffix {path.suffix!r}; valid: "
                + ", ".join(w.suffix for w in WRITERS.values())
            )
        else:
            path = path.with_name(f"{path.name}.{fmt}")
    return Outputs(
        path, fmt, path.with_suffix(".png"), path.with_suffix(".csv"), path.with_suffix(".toml"), events_path(path)
    )


def events_path(path: Path) -> Path:
    """``run.events.csv`` beside ``run.gif``: the run's training events, one per row."""
    return path.with_suffix(".events.csv")


def animate(
    cfg: Config,
    out: str | os.PathLike[str] | None = None,
    *,
    inputs: Mapping[str, str | os.PathLike[str] | None] = {},
    trained: bool = False,
    sides: bool = True,
) -> Plan:
    """``nnviz animate``: train (unless ``trained``: a re-render of a history) and write a run's files.

    ``sides=False`` writes the animation alone (a library re-render), else
    its poster, history CSV and config TOML go beside it.
    """
    outputs = animation_outputs(cfg, out)
    if not sides:
        outputs = replace(outputs, poster=None, history_csv=None, config_toml=None, events_csv=None)
    given = None if out is None else os.fspath(out)
    plan = Plan("render" if trained else "animate", cfg, outputs, _inputs(cfg, inputs), "--out", given, not trained)
    return _with_format(plan)


def _with_format(plan: Plan) -> Plan:
    """The plan with ``render.format`` set to what its path says (the suffix of --out picks the format)."""
    fmt = plan.outputs.format
    if fmt is None or fmt == plan.cfg.render.format:
        return plan
    return replace(plan, cfg=catalog.with_values(plan.cfg, {"render.format": fmt}))


def train(
    cfg: Config, dest: str | os.PathLike[str] | None = None, *, inputs: Mapping[str, str | os.PathLike[str] | None] = {}
) -> Plan:
    """``nnviz train``: the history CSV (``outputs/<stem>.csv`` or ``dest``) and its config TOML beside it."""
    sections = ("data", "model", "train")  # render keys do not change the history
    csv = Path(dest) if dest is not None else OUTPUT_DIR / f"{default_stem(cfg, sections=sections)}.csv"
    if dest is not None and os.fspath(dest) == STDOUT:
        raise OutputError("--history - is not supported: the history CSV needs its .toml config beside it")
    check_writable(csv, "--history")  # a device or a folder says so, not "must name a .csv"
    if csv.suffix.lower() != ".csv":
        # Its config goes beside it with the suffix .toml: "run.toml" would be written twice
        # (the history lost), and a .gif holding CSV text fools every later reader.
        raise OutputError(f"--history {str(csv)!r} must name a .csv file (its .toml config is written beside it)")
    outputs = Outputs(None, None, history_csv=csv, config_toml=csv.with_suffix(".toml"))
    given = os.fspath(csv)
    return Plan("train", cfg, outputs, _inputs(cfg, inputs), "--history", given, True, None)


def morph(
    cfg: Config,
    out: str | os.PathLike[str] | None = None,
    *,
    inputs: Mapping[str, str | os.PathLike[str] | None] = {},
    trained: bool = False,
    steps: int = 20,
    pause: int = 6,
    epochs: str | None = None,
    command_defaults: Mapping[str, Any] = {},
) -> Plan:
    """``nnviz morph``: one file, ``outputs/<stem>-morph.<fmt>`` or ``out``, nothing beside it."""
    if out is None:
        out = OUTPUT_DIR / f"{default_stem(cfg, command=command_defaults)}-morph.{cfg.render.format}"
    full = animation_outputs(cfg, out)
    outputs = Outputs(full.path, full.format, stdout=full.stdout)
    spec = Morph(steps, pause, epochs)
    frames = _morph_frames_at_most(cfg, spec)
    plan = Plan("morph", cfg, outputs, _inputs(cfg, inputs), "--out", os.fspath(out), not trained, frames, spec)
    return _with_format(plan)


def _morph_frames_at_most(cfg: Config, spec: Morph) -> int:
    """A morph's frames, known from the config before training: epochs x stages x (steps + pause)."""
    reps = 1 + 3 * len(cfg.model.hidden)
    shown = len((spec.epochs or "last").split(","))
    return shown * len(timeline(reps, max(1, spec.steps), max(0, spec.pause)))


def sweep_run(cfg: Config, folder: Path, extra: Mapping[str, Path] = {}) -> Plan:
    """One run of a sweep: its files in its own folder, named by ``run_stem`` (the folder names what differs)."""
    outputs = animation_outputs(cfg, folder / f"{run_stem(cfg)}.{cfg.render.format}")
    outputs = replace(outputs, extra=dict(extra))
    return Plan("sweep run", cfg, outputs, _inputs(cfg, {}), "--out", str(outputs.path), True, None)
