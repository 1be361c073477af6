"""Arguments parsed without Pydantic (``cli/_app.plain_value``) come out exactly as
Typer's own coercion makes them, for every parameter of every command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from runwaycut.cli import COMMANDS, app
from runwaycut.cli._app import NOT_PLAIN, plain_value

SAMPLES = (None, "", "-", "0", "1", "-3", "16", "0.125", "1e3", " 2", "abc", "auto",
           "1_000", 0, 1, 16, 0.5, 1 / 8, True, Path("out"), ["a.jpg", "b"], ("x",))


def typer_params():
    group = typer.main.get_command(app)
    for name in COMMANDS:
        for param in group.commands[name].params:
            if hasattr(param, "type_descriptor"):
                yield name, param


@pytest.mark.parametrize("value", SAMPLES, ids=repr)
def test_plain_values_are_typers(value, tmp_path):
    from typer._coercion import build_runtime_param

    checked = 0
    for name, param in typer_params():
        desc = param.type_descriptor
        multiple = bool(param.multiple or param.nargs == -1)
        plain = plain_value(desc.annotation, desc.parameter_info, value, multiple)
        if plain is NOT_PLAIN:
            continue
        expected = build_runtime_param(desc).coerce(value, param=param, ctx=None)
        assert plain == expected and type(plain) is type(expected), (name, param.name)
        checked += 1
    if value in (None, "1", "abc", 16, ["a.jpg", "b"]):  # taken plainly by some parameter
        assert checked


def test_the_remove_path_needs_no_pydantic():
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['runwaycut', 'remove', 'no-such.jpg', '-o', 'o', '-j', '1',"
            " '--points', '16', '--strip', '0.125', '--method', 'auto']\n"
            "from runwaycut.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pydantic' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().splitlines()[-1] == "False", proc.stderr
