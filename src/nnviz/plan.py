"""The run plan: what a command will write and read, decided and checked before any work.

(Under construction in this commit: the default output names live here.)
"""

from __future__ import annotations

from pathlib import Path

from .catalog import CATALOG
from .config import Config


def default_stem(cfg: Config) -> str:
    """The default output stem, e.g. ``blobs-tanh-lr0.01``."""
    name = Path(cfg.data.path).stem if cfg.data.path and CATALOG.reads_file(cfg.data.name) else cfg.data.name
    return f"{name}-{cfg.model.activation}-lr{cfg.train.lr:g}"
