"""``nnviz configs``: the example configs shipped with nnviz."""

from __future__ import annotations

import click

from .. import shipped
from .help import Command
from .table import echo_table


@click.command(
    "configs",
    cls=Command,
    examples=[
        ("the shipped configs, what each shows and how to run it", "nnviz configs"),
        ("run one by its name, from any folder", "nnviz animate --config spiral"),
        ("a shipped sweep, by its name", "nnviz sweep sweep-activation-lr"),
    ],
)
def configs_cmd() -> None:
    """List the example configs shipped with nnviz (--config NAME).

    Use one by its name from any folder, e.g. --config spiral; a sweep file
    runs with nnviz sweep NAME. A file of that name in the current folder
    wins over a shipped one.
    """
    rows = [
        (name, "nnviz sweep" if shipped.is_sweep(name) else "--config", shipped.describe(name))
        for name in shipped.names()
    ]
    echo_table(("name", "use with", "description"), rows)


COMMANDS = [configs_cmd]
