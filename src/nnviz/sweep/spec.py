"""The sweep file: a config plus a ``[sweep]`` table of dotted keys and value lists.

The runs are the Cartesian product of the lists. ``load_sweep`` validates
every combination with ``config.resolve`` before anything runs, so a typo
never costs half a sweep. Run folders are named from the varied values.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import catalog, shipped
from .. import config as config_mod
from ..config import Config
from ..errors import ConfigError


@dataclass(frozen=True)
class RunSpec:
    """One point of the grid: its folder name, varied values and full config."""

    name: str
    values: tuple[tuple[str, Any], ...]  # (dotted key, resolved value) per varied key
    cfg: Config

    @property
    def cost(self) -> float:
        """Relative work, to start the longest runs first (frames x pixels drawn)."""
        r = self.cfg.render
        frames = r.log_frames or self.cfg.train.epochs / r.every
        return frames * (r.grid**2 * len(r.panels) + r.size[0] * r.size[1])


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the varied keys, their values and every run."""

    source: str
    keys: tuple[str, ...]
    levels: tuple[tuple[Any, ...], ...]  # resolved values per key, in file order
    runs: tuple[RunSpec, ...]

    @property
    def stem(self) -> str:
        return Path(self.source).stem if self.source else "sweep"


def resolved(cfg: Config, dotted: str) -> Any:
    """The value of ``section.key`` in a resolved config."""
    section, key = config_mod.split_key(dotted)
    return getattr(getattr(cfg, section), key)


def level(value: Any) -> Any:
    """A value as a hashable grid level (lists become tuples)."""
    return tuple(value) if isinstance(value, list) else value


def format_value(value: Any) -> str:
    """A value as people write it: ``0.01``, ``relu``, ``4,2``, ``240x80``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(format_value(v) for v in value)
    return str(value)


def _name_value(dotted: str, value: Any) -> str:
    # A CSV path names its run by the file, not the folders above it.
    return Path(value).stem if dotted == "data.path" and isinstance(value, str) else format_value(value)


def sanitize(text: str) -> str:
    """Keep a folder name portable: letters, digits and ``._,=+-`` only."""
    return re.sub(r"[^A-Za-z0-9._,=+-]+", "-", text).strip("-") or "run"


# Where the last part of a key says too little on its own.
LABELS = {"data.name": "data"}


def key_labels(keys: Sequence[str]) -> dict[str, str]:
    """``train.lr`` -> ``lr``, unless two varied keys share that last part."""
    last = [LABELS.get(k, k.rpartition(".")[2]) for k in keys]
    return {k: (part if last.count(part) == 1 else k) for k, part in zip(keys, last)}


def _run_name(values: Sequence[tuple[str, Any]], labels: Mapping[str, str]) -> str:
    return sanitize("_".join(f"{labels[k]}={_name_value(k, v)}" for k, v in values))


def _describe(value: Any) -> str:
    # JSON spelling, as the value appears in a TOML list ("swish", [4, 2]).
    return json.dumps(value, default=str)


def _check_sweep_table(table: Any, where: str) -> dict[str, list[Any]]:
    if table is None:
        raise ConfigError(
            f'{where or "the sweep"} has no [sweep] table; add one, e.g. [sweep] "train.lr" = [0.1, 0.01]'
        )
    if not isinstance(table, Mapping) or not table:
        raise ConfigError(
            f'[sweep]{where and " in " + where} is empty; list at least one key, e.g. "train.lr" = [0.1, 0.01]'
        )
    axes: dict[str, list[Any]] = {}
    for dotted, values in table.items():
        label = f"[sweep] {dotted!r}{where and ' in ' + where}"
        if not isinstance(dotted, str):  # only from the library: TOML keys are always strings
            raise ConfigError(f'{label}: a key must be a string like "train.lr", not {type(dotted).__name__}')
        if isinstance(values, Mapping):  # [sweep.train] or train.lr = [...] nests a table
            raise ConfigError(
                f'{label} is a table; write each key in full and quoted, e.g. "{dotted}.lr" = [0.1, 0.01]'
            )
        try:
            config_mod.split_key(dotted)
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        if not isinstance(values, list):
            raise ConfigError(f"{label} must be a list of values, e.g. [{_describe(values)}], not {_describe(values)}")
        if not values:
            raise ConfigError(f"{label} is an empty list; give at least one value")
        _check_values(dotted, values, label)
        axes[dotted] = values
    return axes


def _check_values(dotted: str, values: list[Any], label: str) -> None:
    """Each value on its own, so the message names the value, not a whole run."""
    for value in values:
        try:
            catalog.parse_value(dotted, value)
        except ValueError as exc:
            raise ConfigError(f"{label}: {_describe(value)} is invalid: {exc}") from None


def parse_sweep(raw: Mapping[str, Any], source: str = "", fmt: str | None = None) -> SweepSpec:
    """Validate a sweep (TOML-shaped, with a ``[sweep]`` table) into its runs.

    Every combination is resolved now, so any bad value fails before a run starts.
    ``fmt`` overrides ``render.format`` for every run (``--format``).
    """
    raw = dict(raw)
    axes = _check_sweep_table(raw.pop("sweep", None), source)
    where = f" in {source}" if source else ""
    _check_size(axes, where)
    labels = key_labels(list(axes))
    runs: list[RunSpec] = []
    for combo in itertools.product(*axes.values()):
        overrides = dict(zip(axes, combo))
        try:
            cfg = catalog.resolve(raw, overrides | ({"render.format": fmt} if fmt else {}), source=source)
        except ConfigError as exc:
            point = ", ".join(f"{k} = {_describe(v)}" for k, v in overrides.items())
            raise ConfigError(f"[sweep]{where}, run {point}: {exc}") from None
        values = tuple((k, resolved(cfg, k)) for k in axes)
        runs.append(RunSpec(_run_name(values, labels), values, cfg))
    _check_unique(runs, where)
    levels = tuple(tuple(dict.fromkeys(level(resolved(r.cfg, k)) for r in runs)) for k in axes)
    return SweepSpec(source, tuple(axes), levels, tuple(runs))


MAX_RUNS = 10_000  # a grid this big is a typo (a huge list), not a plan; refuse it before resolving


def _check_size(axes: Mapping[str, list[Any]], where: str) -> None:
    total = 1
    for values in axes.values():
        total *= len(values)
    if total > MAX_RUNS:
        sizes = " x ".join(str(len(v)) for v in axes.values())
        raise ConfigError(f"[sweep]{where} makes {total} runs ({sizes}); at most {MAX_RUNS} are allowed")


def _check_unique(runs: Sequence[RunSpec], where: str) -> None:
    seen: dict[str, RunSpec] = {}
    for run in runs:
        if run.name in seen:
            raise ConfigError(
                f"[sweep]{where} gives two runs the same folder {run.name!r}; "
                "a list repeats a value (or two values look alike once made file-safe)"
            )
        seen[run.name] = run


def load_sweep(path: str | os.PathLike[str], fmt: str | None = None) -> SweepSpec:
    """Read and validate a sweep file (or a shipped one by name: ``load_sweep("docs")``)."""
    path = shipped.resolve(path)
    return parse_sweep(config_mod.read_toml(path), path, fmt)
