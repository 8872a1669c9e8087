"""Value parsers for config keys: each returns the clean value or raises ``ValueError``.

The message says what is allowed ("must be a number from 0 to 1"); ``config``
adds which key and where. These know nothing of nnviz's schema or registries:
a ``Choice`` names a registry, and the ``Catalog`` handed to it lists the names.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Parser = Callable[[Any], Any]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(v: Any) -> float:
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            raise ValueError("must be a number") from None
    if not _is_number(v):
        raise ValueError("must be a number")
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    # -0.0 passes ">= 0" yet NumPy refuses it as a scale (noise, std): make it 0.0.
    return float(v) + 0.0


def _integer(v: Any) -> int:
    if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError("must be a whole number")
    return v


def int_range(lo: int, hi: int | None = None) -> Parser:
    allowed = f"a whole number >= {lo}" if hi is None else f"a whole number from {lo} to {hi}"

    def parse(v: Any) -> int:
        try:
            n = _integer(v)
        except ValueError:
            raise ValueError(f"must be {allowed}") from None
        if n < lo or (hi is not None and n > hi):
            raise ValueError(f"must be {allowed}")
        return n

    parse.kind = int  # type: ignore[attr-defined]  # the CLI gives the flag click's INT type
    return parse


def float_range(lo: float, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False) -> Parser:
    lo_txt = f"> {lo:g}" if lo_open else f">= {lo:g}"
    hi_txt = "" if hi is None else (f" and < {hi:g}" if hi_open else f" and <= {hi:g}")
    allowed = f"a number {lo_txt}{hi_txt}"

    def parse(v: Any) -> float:
        try:
            x = _number(v)
        except ValueError:
            raise ValueError(f"must be {allowed}") from None
        too_low = x <= lo if lo_open else x < lo
        too_high = hi is not None and (x >= hi if hi_open else x > hi)
        if too_low or too_high:
            raise ValueError(f"must be {allowed}")
        return x

    parse.kind = float  # type: ignore[attr-defined]  # the CLI gives the flag click's FLOAT type
    return parse


@dataclass(frozen=True)
class Choice:
    """A value that must be one of a registry's names (``many``: a comma-separated list of distinct names).

    ``table`` names the registry (the ``Catalog`` lists its rows); ``names``
    are fixed here instead when no registry holds them (``--axes``), and
    ``extra`` are accepted besides the registry's (``auto`` for the loss).
    """

    table: str = ""
    names: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    many: bool = False
    what: str = ""  # how a list's message names the items ("panels")

    def valid(self, catalog: Catalog) -> tuple[str, ...]:
        return (*self.extra, *(catalog.names(self.table) if self.table else self.names))

    def parse(self, v: Any, valid: tuple[str, ...]) -> str | tuple[str, ...]:
        if self.many:
            parts = _split(v)
            allowed = f"a comma-separated list of distinct {self.what} from: {', '.join(valid)}"
            if not parts or any(p not in valid for p in parts) or len(set(parts)) != len(parts):
                raise ValueError(f"must be {allowed}")
            return tuple(parts)
        if not isinstance(v, str) or v not in valid:
            raise ValueError(f"unknown name; valid: {', '.join(valid)}")
        return v


def optional(parse: Parser) -> Parser:
    """``None`` (or an empty string from a flag) means "use the default"."""

    def wrapped(v: Any) -> Any:
        return None if v is None or v == "" else parse(v)

    if hasattr(parse, "kind"):  # what the CLI's types read
        wrapped.kind = parse.kind  # type: ignore[attr-defined]
    return wrapped


def _split(v: Any) -> list[Any]:
    if isinstance(v, str):
        return [p.strip() for p in v.split(",")] if v.strip() else []
    if isinstance(v, (list, tuple)):
        return list(v)
    return [v]


def boolean(v: Any) -> bool:
    """A TOML boolean, or from a flag one of on/off, true/false, yes/no, 1/0."""
    if isinstance(v, bool):
        return v
    words = {"on": True, "true": True, "yes": True, "1": True, "off": False, "false": False, "no": False, "0": False}
    if isinstance(v, str) and v.strip().lower() in words:
        return words[v.strip().lower()]
    raise ValueError("must be true or false (on or off)")


boolean.kind = bool  # type: ignore[attr-defined]  # the CLI makes a --key/--no-key flag pair


def batch_size(v: Any) -> int | str:
    if v == "full":
        return "full"
    try:
        return int_range(1)(v)
    except ValueError:
        raise ValueError("must be a whole number >= 1 or 'full'") from None


def path_string(v: Any) -> str:
    if isinstance(v, os.PathLike):
        v = os.fspath(v)
    if not isinstance(v, str) or not v.strip():
        raise ValueError("must be a file path")
    return v


def column_name(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("must be a column name")
    return v.strip()


class Catalog(Protocol):
    """What config needs from the registries above it (``nnviz.catalog`` reads nnviz's own).

    ``names(table)`` lists one registry's names ("activation", "dataset",
    "panel", ...); the other three describe the datasets.
    """

    def names(self, table: str) -> tuple[str, ...]: ...

    def dataset_defaults(self, name: str) -> Mapping[str, Any]:
        """The config values (dotted keys) that make dataset ``name``'s animation good."""
        ...

    def reads_file(self, name: str) -> bool:
        """Whether dataset ``name`` is read from a file the user names (data.path)."""
        ...

    def file_dataset(self, path: str) -> str:
        """The file dataset that ``--data PATH`` alone means, by the file's name."""
        ...
