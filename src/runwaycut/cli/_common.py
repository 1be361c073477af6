"""Shared pieces of the command line: error reporting and option parsing."""

from __future__ import annotations

import functools
import sys

import typer
from rich.console import Console

from ..errors import RunwaycutError

#: Messages and progress go to stderr; stdout stays for data a user may pipe.
console = Console(stderr=True)

#: Exit code for bad input (unreadable photo, invalid option value), as Click's usage errors.
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> "typer.Exit":
    """Print a one-line error and return the Exit to raise."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
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
        except KeyboardInterrupt:
            console.print("interrupted", style="yellow")
            sys.exit(130)

    return wrapper
