"""Options shared by every command that builds a run from a config.

Each config key with a ``flag`` in ``config.SCHEMA`` becomes a click option,
so a new key is a one-line change in the schema: its table names its
``--help`` section (``HELP_SECTIONS``). Options carry no defaults of their
own: an unset flag leaves the config file's value (or the schema's default)
alone, and validation happens once, in ``config.resolve``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from .. import catalog, config, shipped
from ..config import Config
from .help import GroupedOption

# Number flags get click's types (from their parser's ``kind``), so `--lr abc`
# is a usage error (exit 2) from click itself; the schema checks the rest.
_CLICK_TYPES: dict[type, click.ParamType] = {int: click.INT, float: click.FLOAT}


class PathName(click.Path):
    """``click.Path`` that refuses what its normalising would silently change.

    ``Path("run/")`` is ``run``: a trailing slash (the user meant a folder)
    would become a file named after it, and an empty name becomes ``.``.
    """

    def __init__(self, *, folder: bool = False, **kwargs: Any) -> None:
        self.folder = folder
        kwargs.setdefault("dir_okay", folder)
        kwargs.setdefault("file_okay", not folder)
        super().__init__(**kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = os.fspath(value) if isinstance(value, os.PathLike) else value
        if isinstance(text, str):
            if not text.strip():
                self.fail("is empty; give a " + ("folder" if self.folder else "file name"), param, ctx)
            if not self.folder and text.endswith(("/", os.sep)):
                self.fail(f"{text!r} ends with '/', so it names a folder; give a file name in it", param, ctx)
        return super().convert(value, param, ctx)


# The --help section of a schema key: its table's, except the keys that say what file is written.
HELP_SECTIONS = {"data": "Data", "model": "Model", "train": "Training", "render": "Rendering"}
OUTPUT_KEYS = frozenset({"render.format", "render.colors"})


def _group(dotted: str, section: str) -> str:
    return "Output" if dotted in OUTPUT_KEYS else HELP_SECTIONS[section]


def _click_type(spec: config.Key) -> click.ParamType:
    return _CLICK_TYPES.get(getattr(spec.parse, "kind", str), click.STRING)


def _param_name(section: str, key: str) -> str:
    return f"{section}__{key}"


def _schema_options(sections: Iterable[str], shown: Mapping[str, str], omit: frozenset[str]) -> list[Callable]:
    from ..engine.data import DATASETS

    # Keys a dataset gives its own default (xor: 4 hidden units, sine: 300 epochs).
    by_dataset = {dotted for spec in DATASETS.values() for dotted in spec.defaults}
    decorators: list[Callable] = []
    for section in sections:
        for key, spec in config.SCHEMA[section].items():
            dotted = f"{section}.{key}"
            if not spec.flag or dotted in omit:
                continue
            default = shown.get(dotted, _show_default(spec.default))
            if dotted in by_dataset:
                default = f"the dataset's (nnviz datasets), else {default}"
            if getattr(spec.parse, "kind", None) is bool:  # --standardize / --no-standardize
                no = "--no-" + spec.flag.removeprefix("--")
                decorators.append(
                    click.option(
                        f"{spec.flag}/{no}",
                        _param_name(section, key),
                        cls=GroupedOption,
                        group=_group(dotted, section),
                        default=None,
                        help=f"{spec.help} [{dotted}, default: {'on' if spec.default else 'off'}]",
                    )
                )
                continue
            decorators.append(
                click.option(
                    spec.flag,
                    _param_name(section, key),
                    cls=SchemaOption,
                    key=spec,
                    group=_group(dotted, section),
                    type=_click_type(spec),
                    default=None,
                    help=f"{spec.help} [{dotted}, default: {default}]",
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


class SchemaOption(GroupedOption):
    """An option for one config key; its choices are read from the registry when help is shown.

    Looking them up when the command is defined would load every registry
    (the render engines load matplotlib) on every start of nnviz.
    """

    def __init__(self, *args: Any, key: config.Key, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key = key

    def make_metavar(self, ctx: click.Context) -> str:
        return _metavar(self.key) or super().make_metavar(ctx)


def _metavar(spec: config.Key) -> str | None:
    # A list of names (--panels) shows its shape; one name lists the choices.
    one = isinstance(spec.parse, config.Choice) and not spec.parse.many
    names = catalog.choices(spec) if one else None
    return f"[{'|'.join(names)}]" if names else _METAVARS.get(spec.flag or "")


def _show_default(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value) and value[0] > 64:
        return f"{value[0]}x{value[1]}"  # a frame size
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "auto" if value is None else str(value)


def _resolve_config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--config spiral``: the shipped config's path, so every later check sees the file read."""
    return None if value is None else shipped.resolve(value)


def complete_config(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Tab completion for a config: the shipped names that match, then the shell's own file names."""
    from click.shell_completion import CompletionItem

    names = [CompletionItem(n) for n in shipped.names() if n.startswith(incomplete)]
    return [*names, CompletionItem(incomplete, type="file")]


def config_options(
    sections: Iterable[str] = ("data", "model", "train"),
    shown: Mapping[str, str] | None = None,
    omit: Iterable[str] = (),
) -> Callable:
    """Add ``--config PATH|NAME`` and one option per flagged key of ``sections``.

    ``shown`` names the defaults a command sets itself (morph's square frame),
    so its help says what it does. ``omit`` names the dotted keys the command
    does not use: it offers no flag for them (a config file may still set them).
    """

    def decorate(fn: Callable) -> Callable:
        for deco in reversed(_schema_options(tuple(sections), shown or {}, frozenset(omit))):
            fn = deco(fn)
        return click.option(
            "--config",
            "config_path",
            cls=GroupedOption,
            group="Input",
            type=PathName(path_type=str),
            metavar="PATH|NAME",
            default=None,
            callback=_resolve_config,
            shell_complete=complete_config,
            help="TOML config file, or a shipped config's name (nnviz configs); flags override its values.",
        )(fn)

    return decorate


def format_from_out(out: str | None, kwargs: dict[str, Any]) -> None:
    """Let ``--out``'s suffix pick the format; an explicit ``--format`` that contradicts it is an error.

    The suffix is a more specific wish than a config file's format, so it
    wins over that; but ``--format gif --out a.mp4`` silently wrote an MP4.
    """
    from ..render.writers import agreeing_format

    by_suffix = agreeing_format(out, kwargs.get("render__format")) if out else None
    if by_suffix is not None:
        kwargs["render__format"] = by_suffix


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
    return catalog.load(path, pop_overrides(kwargs), flags=True)


def load_history_config(history_path: str, kwargs: dict[str, Any]) -> tuple[Config, str]:
    """For ``--history``: the config the CSV was trained with, changed only where rendering is.

    The CSV holds numbers only, so its network, activation, loss and data come
    from the resolved ``.toml`` that ``train`` and ``animate`` write beside it
    (or ``--config``); without one a re-render would guess and draw a wrong
    surface. A data/model/train flag that disagrees with that config would
    describe a run that never happened (and be written into the new ``.toml``),
    so it is refused; render flags apply as usual. Returns the config and the
    path it was read from.
    """
    from ..engine.history import config_beside

    path = kwargs.pop("config_path", None) or str(config_beside(history_path))
    overrides = pop_overrides(kwargs)
    render = {k: v for k, v in overrides.items() if k.startswith("render.")}
    trained = catalog.load(path, render, flags=True)
    cfg = catalog.load(path, overrides, flags=True)
    for dotted in sorted(set(overrides) - set(render)):
        section, key = dotted.split(".", 1)
        was, now = getattr(getattr(trained, section), key), getattr(getattr(cfg, section), key)
        if dotted == "data.path" and was and now and Path(was).resolve() == Path(now).resolve():
            continue  # the saved config names its data absolutely; the flag may say it relatively
        if was != now:
            flag = config.SCHEMA[section][key].flag
            raise click.UsageError(
                f"{flag} {overrides[dotted]} contradicts {path} ({dotted} = {_show_default(was)}), the config "
                "the history was trained with; with --history only render options apply"
            )
    return cfg, path


def read_saved_run(history_path: str, cfg: Any) -> tuple[Any, Any]:
    """The saved history and its data, refused unless the config describes its network."""
    from ..engine.history import check_fits, read_history
    from ..engine.train import build_model, load_data

    loss = None if cfg.model.loss == "auto" else cfg.model.loss
    history = read_history(history_path, activation=cfg.model.activation, loss=loss, leaky_slope=cfg.model.leaky_slope)
    data = load_data(cfg)
    check_fits(history, build_model(cfg, data), history_path)
    return history, data
