"""The Typer application every subcommand module registers its command on.

Commands register with ``@app.command(cls=Command)``: :class:`Command` and
:class:`Group` keep the help in the user's terms whatever Typer's defaults (switches
shown without a value type, arguments in the usage line as ``PHOTO`` or
``PHOTO_OR_FOLDER...``).
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import List, Optional

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


#: A value :func:`plain_value` leaves to Typer.
NOT_PLAIN = object()

_INTEGER = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def plain_value(annotation, info, value, multiple: bool):
    """What Typer's coercion makes of ``value`` for a parameter of type ``annotation``
    (with ``info``, its ``typer.Option``/``Argument`` settings), for the values a command
    line gives most: none, a word, a plain number in range, a path, a list of words;
    :data:`NOT_PLAIN` for anything else (Typer's own coercion then decides, and words
    its errors).

    Typer builds a Pydantic validator per parameter to coerce even these; importing
    Pydantic and building them took 0.12 to 0.15 s of CPU at every ``runwaycut remove``.
    """
    if value is None:
        return () if multiple else None
    if annotation is str:
        return value if type(value) is str else NOT_PLAIN
    if annotation in (int, float):
        if getattr(info, "clamp", False):
            return NOT_PLAIN
        if type(value) is str and (_INTEGER if annotation is int else _DECIMAL).match(value):
            number = annotation(value)
        elif type(value) is int or (type(value) is float and annotation is float):
            number = annotation(value)
        else:
            return NOT_PLAIN
        low, high = getattr(info, "min", None), getattr(info, "max", None)
        if (low is not None and number < low) or (high is not None and number > high):
            return NOT_PLAIN  # Typer's message names the range
        return number
    if annotation is Path and type(value) in (str, Path) and value not in ("", "-"):
        if (getattr(info, "exists", True) or getattr(info, "resolve_path", True)
                or getattr(info, "writable", True) or not getattr(info, "file_okay", False)
                or not getattr(info, "dir_okay", False)):
            return NOT_PLAIN
        if os.path.exists(value) and not os.access(value, os.R_OK):
            return NOT_PLAIN  # Typer refuses it, in its words
        return Path(value)
    if annotation == List[str] and multiple and isinstance(value, (list, tuple)):
        return list(value) if all(type(v) is str for v in value) else NOT_PLAIN
    return NOT_PLAIN


class _PlainFirst:
    """A parameter's coercion: :func:`plain_value`, else Typer's own, built on first need."""

    def __init__(self):
        self._typer = None

    def coerce(self, value, param, ctx):
        multiple = bool(param.multiple or param.nargs == -1)
        if not (multiple and isinstance(value, str)):  # (Typer's error for that)
            plain = plain_value(param.type_descriptor.annotation,
                                param.type_descriptor.parameter_info, value, multiple)
            if plain is not NOT_PLAIN:
                return plain
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(param.type_descriptor)
        return self._typer.coerce(value, param=param, ctx=ctx)


def _plain_first(param) -> None:
    """Give a parameter :class:`_PlainFirst` coercion, where this Typer coerces through
    per-parameter runtime objects (``_runtime_param``, Typer 0.2x); else leave it."""
    if getattr(param, "_runtime_param", False) is None and hasattr(param, "type_descriptor"):
        param._runtime_param = _PlainFirst()


def reflow(text: str | None) -> str | None:
    r"""A command's help with each paragraph (blank-line separated) on one line.

    Typer's rich help keeps a docstring's line breaks and wraps each line again at the
    terminal's width, which leaves ragged half-lines; joined, a paragraph wraps once.
    A paragraph marked ``\b`` (Click's "keep as is") and what follows ``\f`` stay.

    Examples
    --------
    >>> reflow("Title.\n\nOne\n  paragraph.\n\nAnother.")
    'Title.\n\nOne paragraph.\n\nAnother.'
    """
    if not text:
        return text
    shown, cut, rest = inspect.cleandoc(text).partition("\f")
    paragraphs = [p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
                  for p in shown.split("\n\n")]
    return "\n\n".join(paragraphs) + cut + rest


class Command(TyperCommand):
    """A subcommand whose help shows switches, choices and arguments plainly, whose
    prose wraps once at the terminal's width (:func:`reflow`), and whose arguments are
    parsed without Pydantic where they are plain (:func:`plain_value`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.help = reflow(self.help)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _tidy(param)
            _plain_first(param)
        return params

    def collect_usage_pieces(self, ctx) -> list[str]:
        return _usage_pieces(self, ctx)


class Group(TyperGroup):
    """The ``runwaycut`` command itself, with the same tidy help and plain parsing."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            _tidy(param)
            _plain_first(param)
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
