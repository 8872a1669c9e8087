"""The registries, as the config schema sees them: one layer above ``config``.

``config`` is a leaf: its schema says a key takes "an activation name"
(``Choice("activation")``), not which names exist. ``CATALOG`` answers from
the registries themselves (``engine.nn.ACTIVATIONS``, ``engine.data.DATASETS``,
``render.writers.WRITERS``, ...), so each list exists once. ``resolve``,
``load`` and ``with_values`` are ``config``'s, with this catalog: what the
rest of nnviz (and a library user) calls to get a validated ``Config``::

    from nnviz import catalog
    cfg = catalog.load("configs/xor.toml", {"train.lr": 0.03})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from . import config
from .config import Config
from .engine import data, nn, optimizers

_ENGINE_TABLES: dict[str, Callable[[], Any]] = {
    "activation": lambda: nn.ACTIVATIONS,
    "init": lambda: nn.INITIALIZERS,
    "loss": lambda: nn.LOSSES,
    "optimizer": lambda: optimizers.OPTIMIZERS,
    "task": lambda: nn.TASKS,
    "dataset": lambda: data.DATASETS,
}


def _render_table(table: str) -> Any:
    """A rendering registry. They load matplotlib and friends, so they are imported
    only when a value is checked against them: `nnviz train` never loads a renderer."""
    if table == "format":
        from .render.writers import WRITERS

        return WRITERS
    if table == "engine":
        from .render.engines import ENGINES

        return ENGINES
    if table == "panel":
        from .render.panels import PANELS

        return PANELS
    raise KeyError(table)


class Registries:
    """nnviz's own registries behind ``config.Catalog``."""

    def names(self, table: str) -> tuple[str, ...]:
        if table in _ENGINE_TABLES:
            return tuple(_ENGINE_TABLES[table]())
        return tuple(_render_table(table))

    def dataset_defaults(self, name: str) -> Mapping[str, Any]:
        return data.DATASETS[name].defaults

    def reads_file(self, name: str) -> bool:
        return data.reads_file(name)

    def file_dataset(self, path: str) -> str:
        return data.file_kind(path)


CATALOG = Registries()


def resolve(
    raw: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    source: str = "",
    flags: bool = False,
) -> Config:
    """``config.resolve`` against nnviz's registries: a TOML-shaped mapping plus dotted overrides."""
    return config.resolve(raw, overrides, catalog=CATALOG, source=source, flags=flags)


def load(
    path: str | os.PathLike[str] | None = None, overrides: Mapping[str, Any] | None = None, *, flags: bool = False
) -> Config:
    """Read an optional TOML file (or a shipped config by name), apply dotted-key overrides and validate."""
    return config.load(path, overrides, catalog=CATALOG, flags=flags)


def with_values(cfg: Config, values: Mapping[str, Any], source: str = "") -> Config:
    """A copy of ``cfg`` with dotted keys (``"train.lr"``) replaced, validated."""
    return resolve(config.to_dict(cfg), values, source=source)


def parse_value(dotted: str, value: Any) -> Any:
    """One dotted key's value parsed alone (a sweep's list entries): the clean value, or ValueError."""
    return config.parse_value(dotted, value, CATALOG)


def choices(key: config.Key) -> tuple[str, ...] | None:
    """The names a key accepts, for help text; None for a key that takes no names."""
    return key.parse.valid(CATALOG) if isinstance(key.parse, config.Choice) else None
