"""``--help`` in sections, with examples.

An option names its section with ``group=`` (``option(...)`` or
``GroupedOption``); ``Command`` lists the options section by section in
``SECTIONS`` order, anything without one under "Other options", and ends
with its examples, written exactly as given. ``summary`` is a command's
one-line description, which ``nnviz --help`` shows whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

# The order sections appear in; a command lists only those it has.
SECTIONS = ("Input", "Data", "Model", "Training", "Rendering", "Execution", "Output")
OTHER = "Other"

# An example is a comment saying what it does and the command line.
Example = tuple[str, str]


class GroupedOption(click.Option):
    """A click option that belongs to one ``--help`` section."""

    def __init__(self, *args: Any, group: str | None = None, **kwargs: Any) -> None:
        if group is not None and group not in SECTIONS:
            raise ValueError(f"unknown help section {group!r}; valid: {', '.join(SECTIONS)}")
        self.group = group
        super().__init__(*args, **kwargs)


def option(*decls: str, group: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``click.option`` in the ``--help`` section ``group``."""
    return click.option(*decls, cls=GroupedOption, group=group, **kwargs)


class Command(click.Command):
    """A command whose ``--help`` lists its options by section and ends with examples."""

    def __init__(self, *args: Any, examples: Sequence[Example] = (), **kwargs: Any) -> None:
        self.examples = tuple(examples)
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        write_sections(self.get_params(ctx), ctx, formatter)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        write_examples(self.examples, formatter)
        super().format_epilog(ctx, formatter)


def write_sections(params: Sequence[click.Parameter], ctx: click.Context, formatter: click.HelpFormatter) -> None:
    """One "<Section> options:" block per section that has options, in ``SECTIONS`` order."""
    by_section: dict[str, list[tuple[str, str]]] = {}
    for param in params:
        record = param.get_help_record(ctx)
        if record is not None:
            by_section.setdefault(getattr(param, "group", None) or OTHER, []).append(record)
    for name in (*SECTIONS, OTHER):
        if name in by_section:
            with formatter.section(f"{name} options"):
                formatter.write_dl(by_section[name])


def write_examples(examples: Sequence[Example], formatter: click.HelpFormatter) -> None:
    """The examples as a shell would take them: ``# what it does`` above each command line, unwrapped."""
    if not examples:
        return
    with formatter.section("Examples"):
        for i, (comment, line) in enumerate(examples):
            if i:
                formatter.write("\n")
            formatter.write(f"{'':>{formatter.current_indent}}# {comment}\n")
            formatter.write(f"{'':>{formatter.current_indent}}{line}\n")


def summary(command: click.Command) -> str:
    """The command's one-line description: its ``short_help``, else its help's first paragraph, whole."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())
