"""The ``runwaycut`` command: each subcommand is one small module that parses its
arguments and calls the library."""

from __future__ import annotations

import signal
import sys

from ._app import app
from ._common import EXIT_INTERRUPTED, console
# Importing a subcommand module registers its command on ``app``,
# in the order ``--help`` lists them.
from . import remove  # noqa: E402,F401,I001
from . import explain  # noqa: E402,F401
from . import evaluate  # noqa: E402,F401
from . import tune  # noqa: E402,F401
from . import train  # noqa: E402,F401
from . import serve  # noqa: E402,F401


def main() -> None:
    """Console-script entry point: Ctrl-C and SIGTERM, whenever they come, end the
    command with one line and exit code 130 (work in progress is wound up by the
    command itself, see ``runwaycut remove``)."""
    def terminate(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, terminate)
        app()
    except KeyboardInterrupt:
        console.print("interrupted", style="yellow", highlight=False)
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["app", "main"]
