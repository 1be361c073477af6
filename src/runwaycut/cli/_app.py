"""The Typer application every subcommand module registers its command on.

Commands register with ``@app.command(cls=Command)``: :class:`Command` and
:class:`Group` keep the help in the user's terms whatever Typer's defaults (switches
shown without a value type, arguments in the usage line as ``PHOTO`` or
``PHOTO_OR_FOLDER...``).
"""

from __future__ import annotations

from typing import Optional

import typer
from typer.core import TyperCommand, TyperGroup


def _tidy(param) -> None:
    """Help display of one parameter: a switch takes no value, so it shows no type;
    an argument's type column repeats nothing its name does not already say."""
    if getattr(param, "is_flag", False) and not getattr(param, "count", False):
        param.metavar = ""
    elif param.param_type_name == "argument" and hasattr(param, "display_type_rich"):
        if param.metavar is not None or param.nargs != 1:
            param.display_type_rich = lambda ctx=None: None


def _usage_pieces(command, ctx) -> list[str]:
    """``[OPTIONS] PHOTO`` or ``[OPTIONS] [PHOTO_OR_FOLDER...]``: the arguments by their
    metavar (or upper-case name), ``...`` when repeated, ``[...]`` when optional."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name != "argument":
            continue
        name = (param.metavar or param.name.upper()).removesuffix("...")
        if param.nargs != 1:
            name += "..."
        pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(TyperCommand):
    """A subcommand whose help shows switches, choices and arguments plainly."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _tidy(param)
        return params

    def collect_usage_pieces(self, ctx) -> list[str]:
        return _usage_pieces(self, ctx)


class Group(TyperGroup):
    """The ``runwaycut`` command itself, with the same tidy help."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _tidy(param)
        return params


app = typer.Typer(
    name="runwaycut",
    help="Cut the figure, then the garment, out of runway photos.",
    cls=Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"runwaycut {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Optional[bool] = typer.Option(
        None, "--version", is_eager=True, callback=_print_version,
        help="Print runwaycut's version and exit."),
) -> None:
    """Cut the figure, then the garment, out of runway photos."""
