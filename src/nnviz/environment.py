"""The ``nnviz`` command's process, made independent of what it was started with.

Called once by the CLI before anything else (never by library code: a
notebook's backend and logging are its own):

* closed standard streams are the CLI's own (``cli._reopen_closed_std_fds``,
  which runs first);
* ``MPLBACKEND`` is set to ``agg``: nnviz draws only on Agg canvases, and a
  value matplotlib does not know (``MPLBACKEND=nonsense``) makes its import
  fail before nnviz draws anything;
* matplotlib's complaints about a user's ``matplotlibrc`` (a bad value, an
  unknown key: logged when matplotlib is imported) are not shown: nnviz
  draws with its own settings (``render.mplsettings``), so that file changes
  nothing it draws. ``NNVIZ_DEBUG=1`` shows them.
"""

from __future__ import annotations

import logging
import os


def for_cli() -> None:
    """Prepare the ``nnviz`` process: matplotlib's backend and rc-file warnings."""
    os.environ["MPLBACKEND"] = "agg"
    if not os.environ.get("NNVIZ_DEBUG"):
        logging.getLogger("matplotlib").setLevel(logging.ERROR)  # its rc-file complaints are logged warnings
