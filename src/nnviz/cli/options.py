"""Options shared by every command that builds a run from a config.

Each config key with a ``flag`` in ``config.SCHEMA`` becomes a click option,
so a new key is a one-line change in the schema. Options carry no defaults of
their own: an unset flag leaves the config file's value (or the schema's
default) alone, and validation happens once, in ``config.resolve``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from .. import config
from ..config import Config

# Number flags get click's types (from their parser's ``kind``), so `--lr abc`
# is a usage error (exit 2) from click itself; the schema checks the rest.
_CLICK_TYPES: dict[type, click.ParamType] = {int: click.INT, float: click.FLOAT}


def _click_type(spec: config.Key) -> click.ParamType:
    return _CLICK_TYPES.get(getattr(spec.parse, "kind", str), click.STRING)


def _param_name(section: str, key: str) -> str:
    return f"{section}__{key}"


def _schema_options(sections: Iterable[str]) -> list[Callable]:
    decorators: list[Callable] = []
    for section in sections:
        for key, spec in config.SCHEMA[section].items():
            if not spec.flag:
                continue
            decorators.append(
                click.option(
                    spec.flag,
                    _param_name(section, key),
                    type=_click_type(spec),
                    metavar=_metavar(spec),
                    default=None,
                    help=f"{spec.help} [{section}.{key}, default: {_show_default(spec.default)}]",
                )
            )
    return decorators


_METAVARS = {
    "--data": "PATH",
    "--hidden": "W1,W2,...",
    "--size": "WxH",
    "--batch-size": "N|full",
    "--panels": "P1,P2,...",
}


def _metavar(spec: config.Key) -> str | None:
    names = config.choices_of(spec.parse)
    return f"[{'|'.join(names)}]" if names else _METAVARS.get(spec.flag or "")


def _show_default(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value) and value[0] > 64:
        return f"{value[0]}x{value[1]}"  # a frame size
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "auto" if value is None else str(value)


def config_options(sections: Iterable[str] = ("data", "model", "train")) -> Callable:
    """Add ``--config PATH`` and one option per flagged key of ``sections``."""

    def decorate(fn: Callable) -> Callable:
        for deco in reversed(_schema_options(tuple(sections))):
            fn = deco(fn)
        return click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=str),
            default=None,
            help="TOML config file; flags override its values.",
        )(fn)

    return decorate


def pop_overrides(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Remove the schema options from ``kwargs``; return the set ones as dotted keys."""
    overrides: dict[str, Any] = {}
    for name in [k for k in kwargs if "__" in k]:
        value = kwargs.pop(name)
        if value is not None:
            section, key = name.split("__", 1)
            overrides[f"{section}.{key}"] = value
    return overrides


def load_config(kwargs: dict[str, Any]) -> Config:
    """The validated Config for a command's parsed options (consumes them)."""
    path = kwargs.pop("config_path", None)
    return config.load(path, pop_overrides(kwargs), flags=True)
