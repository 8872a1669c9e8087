"""The ``nnviz`` command's process, made independent of what it was started with.

Called once by the CLI before anything else (never by library code: a
notebook's streams and backend are its own):

* closed standard streams (``2>&-``, ``>&-``, ``<&-``) are reopened on
  ``/dev/null``. Python starts with ``sys.stderr = None`` then, so the first
  progress line failed; and the next file opened would get descriptor 2, so
  anything that writes to "stderr" (a library, a child process) would write
  into an output file;
* ``MPLBACKEND`` is set to ``agg``: nnviz draws only on Agg canvases, and a
  value matplotlib does not know (``MPLBACKEND=nonsense``) makes its import
  fail before nnviz draws anything;
* matplotlib's complaints about a user's ``matplotlibrc`` (a bad value, an
  unknown key: logged when matplotlib is imported) are not shown: nnviz
  draws with its own settings (``render.mplsettings``), so that file changes
  nothing it draws. ``NNVIZ_DEBUG=1`` shows them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

STREAMS = ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w"))


def _reopen_closed_streams() -> None:
    for fd, name, mode in STREAMS:
        try:
            os.fstat(fd)
        except OSError:  # closed: os.open returns the lowest free descriptor, this one
            opened = os.open(os.devnull, os.O_RDWR)
            if opened != fd:  # a lower one was free too and is now taken: move it
                os.dup2(opened, fd)
                os.close(opened)
        if getattr(sys, name) is None:
            with contextlib.suppress(OSError):
                setattr(sys, name, open(fd, mode, closefd=False, encoding="utf-8", errors="replace"))  # noqa: SIM115


def for_cli() -> None:
    """Prepare the ``nnviz`` process: standard streams, matplotlib's backend, rc-file warnings."""
    _reopen_closed_streams()
    os.environ["MPLBACKEND"] = "agg"
    if not os.environ.get("NNVIZ_DEBUG"):
        logging.getLogger("matplotlib").setLevel(logging.ERROR)  # its rc-file complaints are logged warnings
