"""The Typer application every subcommand module registers its command on."""

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
