"""The ``runwaycut`` command: each subcommand is one small module that parses its
arguments and calls the library."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="runwaycut",
    help="Cut the figure, then the garment, out of runway photos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Importing a subcommand module registers its command on ``app``.
from . import remove as _remove  # noqa: E402,F401
from . import explain as _explain  # noqa: E402,F401
from . import evaluate as _evaluate  # noqa: E402,F401
from . import tune as _tune  # noqa: E402,F401
from . import train as _train  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app()
