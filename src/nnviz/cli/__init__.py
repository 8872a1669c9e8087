"""The ``nnviz`` command line: a thin shell over the library.

Every command parses its options, calls one library function and reports.
This module is the error boundary: library errors (``NnvizError``) become a
one-line ``Error: ...`` with exit code 1, click's usage errors keep exit code
2, SIGINT and SIGTERM exit 130 and 143, and anything unexpected is still one
line (set ``NNVIZ_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import unicodedata
import warnings
from typing import Any

import click

from .. import __version__, environment, signals
from ..errors import Interrupted, NnvizError, memory_message, one_line


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def _one_line_usage(exc: click.UsageError) -> click.UsageError:
    """``exc`` as one ``Error: ...`` line, still exit code 2.

    click prints a usage error with the command's usage, a "Try --help" hint
    and a blank line before it: four lines where every other error is one.
    Without a context it prints the message alone. Asking for help with no
    arguments keeps its own display.
    """
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    return click.UsageError(one_line(exc.format_message()))


class NnvizGroup(click.Group):
    """A click group that turns library failures into clean exits."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:  # the group's own options (nnviz --bogus)
            raise _one_line_usage(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NnvizError as exc:
            raise click.ClickException(one_line(str(exc))) from None
        except click.UsageError as exc:  # a command's options, or an unknown command
            raise _one_line_usage(exc) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            code = exc.exit_code if isinstance(exc, Interrupted) else 130
            click.echo("Error: interrupted; no partial output was written", err=True)
            ctx.exit(code)
        except MemoryError as exc:
            # Names the stage and the allocation that failed, not advice that may not apply.
            raise click.ClickException(memory_message(exc)) from None
        except OSError as exc:
            # A full disk or a lost permission is the machine's state, not a bug,
            # even when a writer forgot to wrap it in OutputError.
            if exc.errno not in _ENVIRONMENT_ERRNOS or os.environ.get("NNVIZ_DEBUG"):
                raise _internal(exc) from None
            # Name the file when the OS does; never claim "nothing was written",
            # which is not known here (a sweep may have finished runs).
            what = repr(exc.filename) if exc.filename else "a file"
            raise click.ClickException(one_line(f"cannot write or read {what}: {exc.strerror or exc}")) from None
        except Exception as exc:  # the last line of defence: never a traceback
            raise _internal(exc) from None


# OS errors that describe the machine (disk full, read-only, no permission).
_ENVIRONMENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EIO", "EFBIG", "EMFILE")
    if hasattr(errno, name)
)


def _internal(exc: BaseException) -> BaseException:
    """The one-line report of an unexpected exception (the exception itself under NNVIZ_DEBUG)."""
    if os.environ.get("NNVIZ_DEBUG"):
        return exc
    return click.ClickException(
        one_line(f"internal error: {type(exc).__name__}: {exc} (set NNVIZ_DEBUG=1 for details)")
    )


@click.group(cls=NnvizGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="nnviz")
def cli() -> None:
    """Watch small NumPy neural networks learn.

    Renders the input space, the hidden space and the activation space of a
    network at every epoch of training, as a GIF, WebP, MP4, PNG or a
    self-contained HTML player.
    """


def _register() -> None:
    # The command modules import matplotlib only inside their functions, so
    # `nnviz train` and `nnviz --help` stay quick.
    from . import animate, engine_cmds, morph, sweep

    for module in (engine_cmds, animate, morph, sweep):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings reach users as one ``Warning: ...`` line, never a source dump."""
    text = one_line(str(message))
    glyph = _MISSING_GLYPH.match(text)
    if glyph:
        # matplotlib warns once per character and text; one line says what it means.
        if _said_glyphs:
            return
        _said_glyphs.append(text)
        char = glyph["char"]
        named = re.fullmatch(r"\\N\{(.+)\}", char)
        with contextlib.suppress(KeyError):
            char = repr(unicodedata.lookup(named[1])) if named else char
        text = (
            f"the font {glyph['font']} has no {char} (nor perhaps other characters of your labels): "
            "they show as empty boxes; install a font that has them (e.g. Noto Sans CJK) to see them"
        )
    click.echo(f"Warning: {text}", err=True)


# "Glyph 29356 (\N{CJK UNIFIED IDEOGRAPH-72AC}) missing from font(s) DejaVu Sans."
_MISSING_GLYPH = re.compile(r"Glyph \d+ \((?P<char>.*?)\) missing from font\(s\) (?P<font>.+?)\.?$")
_said_glyphs: list[str] = []


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    environment.for_cli()  # closed standard streams, MPLBACKEND, the user's matplotlibrc: see there
    warnings.showwarning = _show_warning
    # SIGTERM gets the same clean unwinding as Ctrl-C (temp files removed); never inside a finalizer.
    signals.install({signal.SIGTERM: _raise_interrupted, signal.SIGINT: _raise_interrupted})
    cli.main(args=argv, prog_name="nnviz")
