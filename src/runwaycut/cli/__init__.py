"""The ``runwaycut`` command: each subcommand is one small module that parses its
arguments and calls the library."""

from __future__ import annotations

from ._app import app
# Importing a subcommand module registers its command on ``app``,
# in the order ``--help`` lists them.
from . import remove  # noqa: E402,F401,I001
from . import explain  # noqa: E402,F401
from . import evaluate  # noqa: E402,F401
from . import tune  # noqa: E402,F401
from . import train  # noqa: E402,F401
from . import serve  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
