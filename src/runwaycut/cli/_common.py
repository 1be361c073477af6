"""Shared pieces of the command line: error reporting and option parsing."""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import RunwaycutError

#: Messages and progress go to stderr; stdout stays for data a user may pipe.
console = Console(stderr=True)

#: Exit code for bad input (unreadable photo, invalid option value), as Click's usage errors.
EXIT_BAD_INPUT = 2

#: Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def one_line(text: str) -> str:
    """``text`` on one line: control characters (a newline in a file name) escaped, so
    an error stays one line whatever the names it quotes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace")
                   .decode("ascii") for c in text)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> "typer.Exit":
    """Print a one-line error and return the Exit to raise."""
    console.print(f"[bold red]error:[/] {escape(one_line(message))}", highlight=False,
                  soft_wrap=True)
    return typer.Exit(code)


def reports_errors(command):
    """Turn runwaycut's typed errors into a one-line message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except RunwaycutError as exc:
            raise fail(str(exc)) from None
        except ValueError as exc:  # invalid parameter values from the library's checks
            raise fail(str(exc)) from None
        except OSError as exc:  # a file the library did not expect to fail: still one line
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or exc}") from None
        except KeyboardInterrupt:
            console.print("interrupted", style="yellow")
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def report_scored(summary: dict, csv, report) -> None:
    """The last line of ``evaluate`` (figure, garment or items): what was scored and where
    the rows are; exit 2 when a photo failed, an error when none could be scored."""
    where = f"rows in {csv}" + (f", report in {report}" if report is not None else "")
    console.print(f"{summary['scored']} of {summary['photos']} photos scored, "
                  f"{summary['failed']} failed, {summary['skipped']} skipped; {where}",
                  highlight=False)
    if summary["failed"]:
        raise typer.Exit(EXIT_BAD_INPUT)
    if not summary["scored"]:
        raise fail("no photo could be scored")
