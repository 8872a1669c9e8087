"""The ``nnviz`` command line: a thin shell over the library.

Every command parses its options, calls one library function and reports.
This module is the error boundary: library errors (``NnvizError``) become a
one-line ``Error: ...`` with exit code 1, click's usage errors keep exit code
2, SIGINT and SIGTERM exit 130 and 143, and anything unexpected is still one
line (set ``NNVIZ_DEBUG=1`` for the traceback). A reader that goes away
(``nnviz datasets | head -1``) ends the command quietly, as it ends Unix
tools: by SIGPIPE.

``main`` is the entry point of the ``nnviz`` command: it pins NumPy's
kernels before any command module loads NumPy (nnviz/kernels.py), so this
module and its imports must not import NumPy (tests/test_kernels.py).
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import re
import signal
import sys
import unicodedata
import warnings
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NoReturn

import click

from .. import __version__, distribution, environment, signals
from ..errors import Interrupted, NnvizError, memory_message, one_line
from ..kernels import PAINTERS, pin_kernels
from . import help as help_mod

# Each command's module, imported only when the command runs or a help lists it, so
# `nnviz --version`, `nnviz datasets` and shell completion never load matplotlib (nor,
# for most, NumPy). The modules' COMMANDS lists hold the commands (tests/test_cli_engine.py checks).
COMMAND_MODULES = {
    "animate": "animate",
    "configs": "configs",
    "datasets": "engine_cmds",
    "gradcheck": "engine_cmds",
    "morph": "morph",
    "sweep": "sweep",
    "train": "engine_cmds",
}


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


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each module imported when one of its commands is first looked up.

    click's Group reads ``commands`` as a dict (lookup, listing, "Did you
    mean" suggestions): names come from ``COMMAND_MODULES`` without an import.
    """

    def __init__(self, modules: Mapping[str, str]) -> None:
        self.modules = dict(modules)
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            module = importlib.import_module(f"{__name__}.{self.modules[name]}")
            self.loaded.update({command.name or "": command for command in module.COMMANDS})
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.modules.setdefault(name, "")
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.modules[name]
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)


class NnvizGroup(click.Group):
    """A click group that loads its commands on demand and turns library failures into clean exits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(COMMAND_MODULES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Every command with its whole one-line summary (click cuts them at the terminal's width)."""
        commands = [self.get_command(ctx, name) for name in self.list_commands(ctx)]
        rows = [(command.name or "", help_mod.summary(command)) for command in commands if command is not None]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        help_mod.write_examples(GROUP_EXAMPLES, formatter)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:  # the group's own options (nnviz --bogus)
            raise _one_line_usage(exc) from None
        except BrokenPipeError:  # nnviz --help | head -1
            end_on_closed_pipe()

    def invoke(self, ctx: click.Context) -> Any:
        signals.forget()  # a signal that ended an earlier command in this process is not this one's
        try:
            try:
                return super().invoke(ctx)
            except Exception as exc:
                signum = signals.arrived()
                if signum is None or isinstance(exc, click.exceptions.Exit):
                    raise
                # After a Ctrl-C or SIGTERM, whatever ends the command is its doing: C code the
                # handler's exception landed under can put its own in its place (see signals).
                raise Interrupted(signum) from exc
        except NnvizError as exc:
            raise click.ClickException(one_line(str(exc))) from None
        except click.UsageError as exc:  # a command's options, or an unknown command
            raise _one_line_usage(exc) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away; the command has unwound (temp files gone)
            end_on_closed_pipe()
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


def end_on_closed_pipe() -> NoReturn:
    """End as a Unix tool does when its reader goes away: no message, killed by SIGPIPE.

    ``yes | head -1`` under ``set -o pipefail`` is 141 (128 + SIGPIPE), and the
    pipeline without it 0. Python ignores SIGPIPE and raises BrokenPipeError
    instead, so the default action is restored and the signal sent once the
    command has unwound.
    """
    sigpipe = getattr(signal, "SIGPIPE", None)
    if sigpipe is not None:
        signal.signal(sigpipe, signal.SIG_DFL)
        os.kill(os.getpid(), sigpipe)
    os._exit(1)  # no SIGPIPE on this platform: the status Python documents for a broken pipe


def _reopen_closed_std_fds() -> None:
    """A closed stdin, stdout or stderr (``nnviz datasets >&-``) becomes /dev/null.

    Otherwise the next file nnviz opens (a GIF's temp file) would take that
    descriptor, and whatever writes to it (ffmpeg inherits fd 1) would land in
    the output; and Python leaves ``sys.stdout`` None, which the progress
    report cannot write to. Messages to a closed stream are dropped, as with
    ``>/dev/null``.
    """
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            if devnull != fd:  # the lowest free descriptor is this one unless a lower one was closed too
                os.dup2(devnull, fd)
                os.close(devnull)
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


GROUP_EXAMPLES: list[help_mod.Example] = [
    ("the default run: blobs through a 2-2-1 tanh network, written to outputs/", "nnviz animate"),
    ("a shipped example config by name (nnviz configs lists them)", "nnviz animate --config spiral"),
    (
        "tab completion in bash (zsh_source for zsh; fish: see the README)",
        'eval "$(_NNVIZ_COMPLETE=bash_source nnviz)"',
    ),
]


@click.group(cls=NnvizGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="nnviz")
def cli() -> None:
    """Watch small NumPy neural networks learn.

    Renders the input space, the hidden space and the activation space of a
    network at every epoch of training, as a GIF, WebP, MP4, PNG or a
    self-contained HTML player.
    """


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
    pin_kernels(painters=PAINTERS)  # first: no command module has loaded NumPy yet; BLAS gets the cores left
    _reopen_closed_std_fds()
    environment.for_cli()  # MPLBACKEND and the user's matplotlibrc change nothing: see there
    warnings.showwarning = _show_warning
    # SIGTERM gets the same clean unwinding as Ctrl-C (temp files removed); never inside a finalizer.
    signals.install({signal.SIGTERM: _raise_interrupted, signal.SIGINT: _raise_interrupted})
    try:
        if not os.environ.get("_NNVIZ_COMPLETE"):  # a completion's output is for the shell alone
            clash = distribution.clash_warning()
            if clash:
                click.echo(f"Warning: {clash}", err=True)
        cli.main(args=argv, prog_name="nnviz")
    except BrokenPipeError:  # while click wrote a message (an Error line to a closed stderr)
        end_on_closed_pipe()
    except SystemExit:
        # What Python would flush on its way out can meet the closed pipe too.
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except BrokenPipeError:
            end_on_closed_pipe()
        raise
