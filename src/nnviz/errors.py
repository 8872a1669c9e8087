"""Error types raised by the library.

The CLI turns every ``NnvizError`` into a one-line ``Error: ...`` with exit
code 1; library code never prints or exits on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class NnvizError(Exception):
    """Base class for every error a user can cause and fix."""


class ConfigError(NnvizError):
    """A config key, flag or value is invalid."""


class DataError(NnvizError):
    """A dataset could not be built or read (for example a malformed CSV)."""


class RenderError(NnvizError):
    """Rendering or encoding failed (for example ffmpeg cannot run)."""


class OutputError(NnvizError):
    """An output file could not be written."""


class LargeOutputWarning(UserWarning):
    """An output file is on course to be larger than is sensible to embed."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``exit_code`` is 130 or 143 as shells expect.

    It derives from KeyboardInterrupt so every ``except KeyboardInterrupt``
    (training keeps its history, writers drop their temp files) treats both
    signals alike.
    """

    def __init__(self, signum: int = 2) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def one_line(text: object) -> str:
    """Any message as one line: every run of whitespace (newlines too) becomes one space."""
    return " ".join(str(text).split())


# What to change when memory runs out during each stage of a run.
STAGE_ADVICE = {
    "loading the data": "use a smaller data file or a sample of its rows",
    "training": "use fewer samples (--n-samples) or narrower --hidden layers",
    "rendering": "use a smaller --grid or --size, or fewer painters",
}


@contextlib.contextmanager
def stage(what: str) -> Iterator[None]:
    """Label a MemoryError raised inside with the stage that ran out (the innermost label wins)."""
    try:
        yield
    except MemoryError as exc:
        if not hasattr(exc, "nnviz_stage"):
            exc.nnviz_stage = what  # type: ignore[attr-defined]
        raise


def memory_message(exc: MemoryError) -> str:
    """One line for a MemoryError: the stage, what could not be allocated, and advice only when it applies."""
    what = getattr(exc, "nnviz_stage", None)
    detail = one_line(str(exc))  # NumPy's says the size and shape it could not allocate
    text = "out of memory" + (f" while {what}" if what else "") + (f" ({detail})" if detail else "")
    advice = STAGE_ADVICE.get(what or "")
    return f"{text}; {advice}" if advice else f"{text}; set NNVIZ_DEBUG=1 to see where"
