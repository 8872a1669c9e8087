"""Run configuration: TOML tables plus CLI overrides, validated in one place.

A config has four tables, ``[data]``, ``[model]``, ``[train]`` and
``[render]``. Every key is declared once in ``SCHEMA`` with its default, the
flag that overrides it and a parser that either returns the clean value or
raises ``ValueError`` saying what is allowed. Nothing else in nnviz checks
user input again: past ``resolve`` a ``Config`` is known to be valid.

This module is a leaf: it imports nothing of nnviz but its errors, its value
parsers (``parsers``) and the shipped configs' names (``shipped``). A key
whose value names a registry row (an activation, a dataset, a panel) says
*which* registry (``Choice("activation")``); the names themselves, and each
dataset's defaults, come from a ``Catalog`` handed to ``resolve``.
``nnviz.catalog`` is the one that reads nnviz's registries, and its
``resolve``/``load`` are what the rest of nnviz calls.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from . import shipped
from .bounded import MAX_CONFIG_BYTES, read_input
from .errors import ConfigError

# The generic parsers, re-exported: a key's row names them as config.int_range and so on.
from .parsers import Catalog as Catalog
from .parsers import Choice as Choice
from .parsers import Parser as Parser
from .parsers import _split
from .parsers import batch_size as batch_size
from .parsers import boolean as boolean
from .parsers import column_name as column_name
from .parsers import float_range as float_range
from .parsers import int_range as int_range
from .parsers import optional as optional
from .parsers import path_string as path_string

# Caps protect the machine: past them a run would exhaust memory or time
# long before it produced anything useful. README "Limits" documents them.
MAX_GRID = 1000  # meshgrid points per axis (1e6 points a frame)
MAX_EPOCHS = 100_000
MIN_SAMPLES = 4  # fewer points cannot be split, batched and drawn
MAX_SAMPLES = 1_000_000
MAX_WIDTH = 1024  # units in one hidden layer
MAX_DEPTH = 16  # hidden layers
MAX_SIDE = 4096  # pixels per side of a frame
MIN_SIDE = 64
MAX_FPS = 100  # GIF delays are whole centiseconds
# A frame at most 100 s: a GIF delay is a 16-bit count of centiseconds (655.35 s with
# the 60 s hold), and ffmpeg refuses frame rates near zero.
MIN_FPS = 0.01
MAX_FRAMES = 20_000
# One forward pass keeps every layer's pre-activations and activations:
# samples x hidden units (summed over layers) floats, twice. 20M is ~320 MB.
MAX_ACTIVATIONS = 20_000_000
# The blog's stop loss (0.263) belongs to its own draw of the blobs: on most
# draws a 2-2-1 net levels off at 0.28-0.29. Seed 5's draw is one where the
# default run reaches it (at epoch 74), as the reference run did; README says so.
DEFAULT_SEED = 5
AXES = ("fixed", "per-frame")
# full: the renderer's every colour; palette: the GIF's (at most 63), so every format shows its pixels.
COLORS = ("full", "palette")


# --- schema-specific parsers (the generic ones are in parsers.py) ---------------


def hidden_widths(v: Any) -> tuple[int, ...]:
    allowed = f"a list of 1 to {MAX_DEPTH} widths from 1 to {MAX_WIDTH}, e.g. 2 or 4,2"
    parts = _split(v)
    if not 1 <= len(parts) <= MAX_DEPTH:
        raise ValueError(f"must be {allowed}")
    try:
        return tuple(int_range(1, MAX_WIDTH)(p) for p in parts)
    except ValueError:
        raise ValueError(f"must be {allowed}") from None


def frame_size(v: Any) -> tuple[int, int]:
    allowed = f"WIDTHxHEIGHT in pixels, each from {MIN_SIDE} to {MAX_SIDE}, e.g. 1200x400"
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", v)
        parts: list[Any] = [m.group(1), m.group(2)] if m else []
    else:
        parts = _split(v)
    if len(parts) != 2:
        raise ValueError(f"must be {allowed}")
    try:
        w, h = (int_range(MIN_SIDE, MAX_SIDE)(p) for p in parts)
    except ValueError:
        raise ValueError(f"must be {allowed}") from None
    return w, h


# --- the schema --------------------------------------------------------------
# Each section is a frozen dataclass whose fields *are* the schema: a field's
# default, parser, flag and help are written once, in ``key(...)``, and
# ``SCHEMA`` (what validation, the TOML writer and the CLI read) is derived.


@dataclass(frozen=True)
class Key:
    """One config key: its default, its parser and the flag that sets it."""

    default: Any
    parse: Parser | Choice
    flag: str | None = None
    help: str = ""


def key(default: Any, parse: Parser | Choice, flag: str | None = None, help: str = "") -> Any:
    """A dataclass field that carries its own schema entry."""
    return field(default=default, metadata={"key": Key(default, parse, flag, help)})


@dataclass(frozen=True)
class DataConfig:
    name: str = key("blobs", Choice("dataset"), "--dataset", "dataset name")
    path: str | None = key(None, optional(path_string), "--data", "data file (CSV, mnist.npz, IDX) for a file dataset")
    n_samples: int | None = key(
        None, optional(int_range(MIN_SAMPLES, MAX_SAMPLES)), "--n-samples", "points to generate"
    )
    noise: float | None = key(None, optional(float_range(0.0, 10.0)), "--noise", "dataset noise level")
    test_fraction: float = key(0.0, float_range(0.0, 0.9), "--test-fraction", "share held out as a test set")
    seed: int | None = key(None, optional(int_range(0, 2**32 - 1)), None, "data seed (default: train.seed)")
    task: str | None = key(None, Choice("task"), "--task", "override the task inferred from a file")
    target: str | None = key(None, optional(column_name), "--target", "column to predict (default: the last)")
    standardize: bool = key(
        True,
        boolean,
        "--standardize",
        "train on your file's features scaled to mean 0 and std 1 (fitted on the training split); "
        "axes stay in your units",
    )


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple[int, ...] = key((2,), hidden_widths, "--hidden", "hidden layer widths")
    activation: str = key("tanh", Choice("activation"), "--activation", "hidden activation")
    init: str = key("glorot_uniform", Choice("init"), "--init", "weight initialiser")
    init_std: float = key(0.05, float_range(0.0, 100.0, lo_open=True), "--init-std", "std for normal inits")
    loss: str = key("auto", Choice("loss", extra=("auto",)), "--loss", "output loss (auto picks by task)")
    leaky_slope: float = key(
        0.01, float_range(0.0, 1.0, hi_open=True), "--leaky-slope", "negative slope of leaky_relu (Keras' layer: 0.3)"
    )


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = key("adam", Choice("optimizer"), "--optimizer", "optimizer")
    lr: float = key(0.01, float_range(0.0, 1e6, lo_open=True), "--lr", "learning rate")
    batch_size: int | str = key(32, batch_size, "--batch-size", "minibatch size or 'full'")
    epochs: int = key(200, int_range(1, MAX_EPOCHS), "--epochs", "maximum epochs")
    stop_loss: float = key(0.0, float_range(0.0), "--stop-loss", "stop once the loss is <= this (0: never)")
    seed: int = key(DEFAULT_SEED, int_range(0, 2**32 - 1), "--seed", "random seed")
    weight_decay: float = key(0.0, float_range(0.0, 10.0), "--weight-decay", "L2 weight decay")
    snapshot_every: int = key(
        0, int_range(0, MAX_EPOCHS), "--snapshot-every", "snapshot every N optimizer steps (0: once per epoch)"
    )
    dtype: str = key(
        "float64", Choice(names=("float64", "float32")), "--dtype", "float type of params, data and training"
    )


@dataclass(frozen=True)
class RenderConfig:
    grid: int = key(200, int_range(2, MAX_GRID), "--grid", "meshgrid points per axis")
    format: str = key("gif", Choice("format"), "--format", "output format")
    fps: float = key(10.0, float_range(MIN_FPS, MAX_FPS), "--fps", "frames per second")
    size: tuple[int, int] = key((1200, 400), frame_size, "--size", "frame size WxH in pixels")
    engine: str = key("stream", Choice("engine"), "--engine", "drawing engine")
    panels: tuple[str, ...] = key(
        ("input", "hidden", "activation"), Choice("panel", many=True, what="panels"), "--panels", "panels to draw"
    )
    every: int = key(1, int_range(1, MAX_EPOCHS), "--every", "draw every Nth epoch")
    log_frames: int = key(0, int_range(0, MAX_FRAMES), "--log-frames", "K log-spaced frames (0: off)")
    hold: float = key(1.0, float_range(0.0, 60.0), "--hold", "seconds to hold the last frame")
    layer: int = key(
        0,
        int_range(0, MAX_DEPTH),
        "--layer",
        "hidden layer to show (0: the last 2-wide one, which is drawn exactly; else the first)",
    )
    axes: str = key("fixed", Choice(names=AXES), "--axes", "axis limits: fixed or per-frame")
    colors: str = key(
        "full",
        Choice(names=COLORS),
        "--colors",
        "full: every rendered colour; palette: the GIF's colours in every format (webp, html: about half the GIF)",
    )
    captions: bool = key(
        True,
        boolean,
        "--captions",
        "a line under each panel saying what it shows, and the training events where they hold",
    )


@dataclass(frozen=True)
class Config:
    """A complete, validated run configuration."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    render: RenderConfig = field(default_factory=RenderConfig)

    @property
    def data_seed(self) -> int:
        return self.train.seed if self.data.seed is None else self.data.seed


SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "render": RenderConfig}
SCHEMA: dict[str, dict[str, Key]] = {
    section: {f.name: f.metadata["key"] for f in fields(cls)} for section, cls in SECTIONS.items()
}


def _describe(value: Any) -> str:
    return repr(value) if isinstance(value, (str, float)) else json.dumps(value, default=str)


def _parse(spec: Key, value: Any, catalog: Catalog) -> Any:
    """The clean value, or ValueError saying what is allowed."""
    if isinstance(spec.parse, Choice):
        if spec.default is None and (value is None or value == ""):  # unset: the default applies
            return None
        return spec.parse.parse(value, spec.parse.valid(catalog))
    return spec.parse(value)


def _check(section: str, key: str, value: Any, label: str, catalog: Catalog) -> Any:
    try:
        return _parse(SCHEMA[section][key], value, catalog)
    except ValueError as exc:
        raise ConfigError(f"{label} = {_describe(value)} is invalid: {exc}") from None


def _check_unknown(raw: Mapping[str, Any], where: str) -> None:
    for section, table in raw.items():
        if section not in SCHEMA:
            raise ConfigError(f"unknown table [{section}]{where}; valid: {', '.join(f'[{s}]' for s in SCHEMA)}")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{section}{where} must be a table like [{section}], not {_describe(table)}")
        for key in table:
            if key not in SCHEMA[section]:
                raise ConfigError(
                    f"unknown key {section}.{key}{where}; valid keys in [{section}]: {', '.join(SCHEMA[section])}"
                )


def split_key(dotted: str) -> tuple[str, str]:
    """``"train.lr"`` -> ``("train", "lr")``, refusing keys not in SCHEMA."""
    section, _, key = dotted.partition(".")
    if section not in SCHEMA or key not in SCHEMA[section]:
        valid = ", ".join(f"{s}.{k}" for s in SCHEMA for k in SCHEMA[s])
        raise ConfigError(f"unknown key {dotted!r}; valid: {valid}")
    return section, key


def parse_value(dotted: str, value: Any, catalog: Catalog) -> Any:
    """One dotted key's value parsed alone (a sweep's list entries): the clean value, or ValueError."""
    section, key = split_key(dotted)
    return _parse(SCHEMA[section][key], value, catalog)


def resolve(
    raw: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    catalog: Catalog,
    source: str = "",
    flags: bool = False,
) -> Config:
    """Validate a TOML-shaped mapping plus dotted-key overrides into a Config.

    ``catalog`` gives the registries' names and the datasets' defaults.
    ``source`` names the file in messages. With ``flags=True`` messages about
    overrides name the CLI flag (``--lr``) instead of the key.
    """
    raw = dict(raw or {})
    where = f" in {source}" if source else ""
    _check_unknown(raw, where)
    values: dict[str, dict[str, Any]] = {s: {} for s in SCHEMA}
    labels: dict[str, str] = {}  # how messages name each key: its flag, or where it was set
    for section, table in raw.items():
        for key, value in table.items():
            labels[f"{section}.{key}"] = f"{section}.{key}{where}"
            _check_file_type(section, key, value, labels[f"{section}.{key}"])
            values[section][key] = _check(section, key, value, labels[f"{section}.{key}"], catalog)
    for dotted, value in (overrides or {}).items():
        section, key = split_key(dotted)
        flag = SCHEMA[section][key].flag
        labels[dotted] = flag if flags and flag else dotted
        values[section][key] = _check(section, key, value, labels[dotted], catalog)
    # --data PATH on its own means "the file dataset that reads such a file" (csv unless the name says otherwise).
    if values["data"].get("path") and "name" not in values["data"]:
        values["data"]["name"] = catalog.file_dataset(values["data"]["path"])
    _dataset_defaults(values, catalog)
    _auto_layer(values)
    cfg = Config(**{s: SECTIONS[s](**values[s]) for s in SCHEMA})
    _check_combinations(cfg, where, lambda dotted: labels.get(dotted, dotted), catalog)
    return cfg


def _check_file_type(section: str, key: str, value: Any, label: str) -> None:
    """A file's number must be a TOML number: ``lr = "0.1"`` is a string, and ``epochs = 5.0`` no whole number.

    The parsers read numbers from text too, because flags arrive as text; a
    file has types of its own, and a quoted number there is a mistake to show.
    """
    kind = getattr(SCHEMA[section][key].parse, "kind", None)
    if kind in (int, float) and isinstance(value, str) and re.fullmatch(r"\s*[-+]?[\d.]+(e[-+]?\d+)?\s*", value, re.I):
        raise ConfigError(f"{label} = {value!r} is invalid: must be a number, not a string (drop the quotes)")
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(f"{label} = {_describe(value)} is invalid: must be true or false, written without quotes")
    if kind is int and isinstance(value, float):
        raise ConfigError(f"{label} = {value!r} is invalid: must be a whole number, written without a decimal point")


def _dataset_defaults(values: dict[str, dict[str, Any]], catalog: Catalog) -> None:
    """Fill the keys the user left unset with the dataset's own defaults (then the schema's)."""
    name = values["data"].get("name", SCHEMA["data"]["name"].default)
    for dotted, value in catalog.dataset_defaults(name).items():
        section, key = split_key(dotted)
        if key not in values[section]:
            values[section][key] = _check(section, key, value, f"dataset {name!r} default {dotted}", catalog)


def _auto_layer(values: dict[str, dict[str, Any]]) -> None:
    """``render.layer = 0``: the last 2-wide hidden layer (drawn exactly), else the first."""
    if values["render"].get("layer", 0):
        return
    hidden = values["model"].get("hidden", SCHEMA["model"]["hidden"].default)
    two_wide = [i for i, width in enumerate(hidden, start=1) if width == 2]
    values["render"]["layer"] = two_wide[-1] if two_wide else 1


def _check_combinations(cfg: Config, where: str, label: Callable[[str], str], catalog: Catalog) -> None:
    """Rules that involve more than one key; ``label`` names a key as the user set it."""
    if catalog.reads_file(cfg.data.name) and not cfg.data.path:
        raise ConfigError(f"data.name = {cfg.data.name!r}{where} needs a file: set data.path or pass --data PATH")
    if cfg.render.every > 1 and cfg.render.log_frames:
        raise ConfigError("render.every and render.log_frames (--every, --log-frames) cannot be combined; pick one")
    if cfg.render.layer > len(cfg.model.hidden):
        raise ConfigError(
            f"{label('render.layer')} = {cfg.render.layer} is invalid: "
            f"the network has hidden layers 1..{len(cfg.model.hidden)}"
        )


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a one-line ConfigError."""
    p = Path(path)
    try:
        data = read_input(
            p, f"config file {str(p)!r}", MAX_CONFIG_BYTES, "a config is small", text=False, error=ConfigError
        )
        # Windows editors may start the file with a byte-order mark, which TOML does not allow.
        return tomllib.loads(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {str(p)!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {str(p)!r} is a folder, not a TOML file") from None
    except PermissionError:
        raise ConfigError(f"config file {str(p)!r} is not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(p)!r} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(p)!r} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level: [[[[...]]]] 600 deep
        raise ConfigError(f"config file {str(p)!r} nests arrays or tables too deeply to read") from None
    except OSError as exc:
        raise ConfigError(f"config file {str(p)!r} cannot be read: {exc.strerror or exc}") from None


def load(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    catalog: Catalog,
    flags: bool = False,
) -> Config:
    """Read an optional TOML file (or a shipped config by name: ``load("spiral")``), apply overrides, validate."""
    path = shipped.resolve(path) if path is not None else None
    raw = read_toml(path) if path is not None else {}
    if "sweep" in raw:
        raise ConfigError(f"{path} has a [sweep] table: run it with 'nnviz sweep {path}'")
    return resolve(raw, overrides, catalog=catalog, source=str(path) if path is not None else "", flags=flags)


# --- output -------------------------------------------------------------------


def to_dict(cfg: Config) -> dict[str, dict[str, Any]]:
    """The config as TOML-shaped plain data (tuples become lists, None dropped)."""
    out: dict[str, dict[str, Any]] = {}
    for section in SCHEMA:
        obj = getattr(cfg, section)
        table: dict[str, Any] = {}
        for f in fields(obj):
            v = getattr(obj, f.name)
            if v is not None:
                table[f.name] = list(v) if isinstance(v, tuple) else v
        out[section] = table
    return out


def to_toml(cfg: Config) -> str:
    """The resolved config as TOML that ``load`` reads back to the same Config.

    Written by tomli-w, which escapes what TOML strings cannot hold raw
    (a DEL or another control character in a column name).
    """
    return tomli_w.dumps(to_dict(cfg))


def run_toml(cfg: Config) -> str:
    """``to_toml`` for the ``.toml`` saved beside a run: its data file named absolutely.

    A relative path means "from where the run was started"; written as is,
    ``animate --history`` would find the data only from that same folder.
    """
    if cfg.data.path:
        cfg = replace(cfg, data=replace(cfg.data, path=str(Path(cfg.data.path).resolve())))
    return to_toml(cfg)


def config_hash(cfg: Config) -> str:
    """A short stable digest of everything that shapes a run's outputs.

    Of the values, not of the TOML text, so a change in how TOML is written
    does not make every finished sweep run look stale.
    """
    return hashlib.sha256(json.dumps(to_dict(cfg), sort_keys=True).encode()).hexdigest()[:16]
