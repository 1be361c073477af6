"""Shared pieces of the command line: error reporting and option parsing."""

from __future__ import annotations

import functools
import os
import sys

import typer

from ..errors import RunwaycutError

_console = None


def rich_console():
    """Rich's console on stderr (messages and progress go to stderr; stdout stays for
    data a user may pipe), made on first use: importing Rich costs a command about
    55 ms of start-up, which ``remove`` spares where stderr is not a terminal (see
    :func:`styled`)."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True)
    return _console


def __getattr__(name):  # ``from ._common import console``: Rich's, made then (PEP 562)
    if name == "console":
        return rich_console()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def styled() -> bool:
    """Whether stderr gets Rich's colours and progress bars: it is a terminal, or Rich
    is told to style anyway (``FORCE_COLOR``, ``TTY_COMPATIBLE=1``). Elsewhere (a pipe,
    a log file, a job scheduler) Rich would print the same plain lines."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def say(text: str, label: str = "", style: str | None = None, console=None) -> None:
    """One message on stderr: ``label`` (``"error:"``) in ``style``, then ``text`` as
    it is (no markup read in it); without a label, all of ``text`` in ``style``.

    Through Rich where :func:`styled` (on ``console``, a progress bar's, when given),
    else a plain line (Rich not imported). A message that cannot be written (stderr
    closed, full or a broken pipe) is dropped: the exit code and the manifest still
    tell."""
    try:
        if console is not None or styled():
            from rich.text import Text

            line = (Text.assemble((label, style or ""), " ", text) if label
                    else Text(text, style=style or ""))
            (console or rich_console()).print(line, highlight=False, soft_wrap=True)
        elif sys.stderr is not None:
            sys.stderr.write(f"{label} {text}\n" if label else f"{text}\n")
            sys.stderr.flush()
    except (OSError, ValueError):  # (ValueError: a closed file)
        pass


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
    say(one_line(message), "error:", "bold red")
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
            say("interrupted", style="yellow")
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def count_in_sample(rows, trained: frozenset) -> int:
    """How many photos of ``evaluate``'s rows were scored (``ok``) among ``trained``, the
    ids of photos the method's shipped models were trained on."""
    return sum(r["status"] == "ok" and r["id"] in trained for r in rows)


def report_scored(summary: dict, csv, report, in_sample: int = 0) -> None:
    """The last line of ``evaluate`` (figure, garment or items): what was scored and where
    the rows are; exit 2 when a photo failed, an error when none could be scored.

    Before it, a warning when ``in_sample`` of the photos scored are ones the method's
    shipped models were trained on: their scores are higher than a new photo's.
    """
    if in_sample:
        say(f"{in_sample} of the {summary['scored']} photos scored are CCP development "
            "photos the shipped models this method uses were trained on: their scores are "
            "in-sample, higher than on new photos; --unseen scores only the others",
            "warning:", "yellow")
    where = f"rows in {csv}" + (f", report in {report}" if report is not None else "")
    say(f"{summary['scored']} of {summary['photos']} photos scored, {summary['failed']} "
        f"failed, {summary['skipped']} skipped; {where}")
    if summary["failed"]:
        raise typer.Exit(EXIT_BAD_INPUT)
    if not summary["scored"]:
        raise fail("no photo could be scored")
