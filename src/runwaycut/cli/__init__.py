"""The ``runwaycut`` command: each subcommand is one small module that parses its
arguments and calls the library.

A subcommand registers its command on :data:`runwaycut.cli._app.app` when its module
is imported. :func:`main` imports only the module of the subcommand it is asked for
(``runwaycut remove ...`` never imports the evaluation, scoring or training code: about
0.1 s of CPU at every start), every module when it is asked for none or for the list
(``runwaycut --help``). ``runwaycut.cli.app`` (tests, embedding) is the application with
every subcommand registered.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys

from ._common import EXIT_INTERRUPTED, say

#: The subcommand modules, in the order ``--help`` lists them.
COMMANDS = ("remove", "explain", "evaluate", "tune", "train", "serve")


def register(names=COMMANDS):
    """Import the modules of the subcommands ``names`` (each registers its command once)
    and return the application."""
    for name in names:
        importlib.import_module(f".{name}", __name__)
    from ._app import app

    return app


def commands_needed(argv: list[str]) -> tuple[str, ...]:
    """The subcommands to register for a command line: the one it names first, when it
    starts with one; all of them otherwise (``--help``, ``--version``, a typo: the list
    and its suggestions need every command).

    Examples
    --------
    >>> commands_needed(["remove", "a.jpg", "-o", "out"]), len(commands_needed(["--help"]))
    (('remove',), 6)
    """
    return (argv[0],) if argv and argv[0] in COMMANDS else COMMANDS


def __getattr__(name):
    if name == "app":  # every subcommand registered
        return register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_interrupt_handlers() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt in the main thread; one that lands in a
    weakref callback or a ``__del__``, where Python cannot propagate it (it would print
    "Exception ignored ... KeyboardInterrupt" and the command would run on), is
    delivered again a moment later (:func:`_interrupt_again`)."""
    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, terminate)
    sys.unraisablehook = _interrupt_again


def _interrupt_again(unraisable) -> None:
    """``sys.unraisablehook`` of the command: see :func:`install_interrupt_handlers`."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        import threading

        threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    """Console-script entry point: Ctrl-C and SIGTERM, whenever they come, end the
    command with one line and exit code 130 (work in progress is wound up by the
    command itself, see ``runwaycut remove``)."""
    try:
        install_interrupt_handlers()
        register(commands_needed(sys.argv[1:]))()
    except KeyboardInterrupt:
        say("interrupted", style="yellow")
        sys.exit(EXIT_INTERRUPTED)
    finally:
        # The process ends now. At shutdown the interpreter's garbage collector walks
        # every object left (NumPy's, OpenCV's, the models'): about 100 ms of a `remove`
        # run's wall clock (one photo: 109 to 144 ms, 34 ms frozen; 5 runs each).
        # Frozen, they are skipped; the system frees their memory. Exit handlers, the
        # flushing of stdout and stderr, and the freeing of objects no cycle holds
        # still run.
        gc.freeze()


__all__ = ["COMMANDS", "app", "commands_needed", "install_interrupt_handlers", "main", "register"]
