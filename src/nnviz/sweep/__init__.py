"""Sweeps: many configs from one file, run on an executor, with a gallery."""

from .core import *  # noqa: F403  (temporary during the split)
