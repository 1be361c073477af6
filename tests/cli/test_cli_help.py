"""``--help`` in the user's terms: switches without a value type, choices as choices,
plain usage lines, ``--version``, and one meaning per option name across commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runwaycut
from runwaycut.cli import app
from runwaycut.methods import METHODS
from runwaycut.scoring.labels import TARGETS

runner = CliRunner()

COMMANDS = ("remove", "explain", "evaluate", "tune", "train", "serve")


def help_text(*args: str) -> str:
    # Wide enough that no option's row wraps: each option and its type on one line.
    result = runner.invoke(app, [*args, "--help"], env={"TERMINAL_WIDTH": "220",
                                                        "COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    return result.output


def option_row(text: str, option: str) -> str:
    """The help line that declares ``option`` (its first line)."""
    rows = [line for line in text.splitlines()
            if re.match(rf"│\s+(\*\s+)?{re.escape(option)}\s", line)]
    assert rows, f"{option} not in help:\n{text}"
    return rows[0]


@pytest.mark.parametrize("command", ("",) + COMMANDS)
def test_no_internal_type_names(command):
    text = help_text(*([command] if command else []))
    # (``COMMAND [ARGS]...`` is the group's usage; an argument's is ``[PHOTO...]``.)
    for internal in ("<bool>", "<str>", "<list[str]>", "{", "]..."):
        if internal == "]..." and not command:
            continue
        assert internal not in text, f"{internal!r} in `runwaycut {command} --help`:\n{text}"


@pytest.mark.parametrize("command, usage", [
    ("remove", "Usage: runwaycut remove [OPTIONS] [PHOTO_OR_FOLDER...]"),
    ("explain", "Usage: runwaycut explain [OPTIONS] PHOTO"),
    ("evaluate", "Usage: runwaycut evaluate [OPTIONS] DATASET"),
    ("tune", "Usage: runwaycut tune [OPTIONS] DATASET"),
    ("train", "Usage: runwaycut train [OPTIONS] DATASET"),
])
def test_usage_lines(command, usage):
    assert usage in help_text(command)


def test_switches_show_no_value():
    text = help_text("remove")
    for switch in ("--overlay", "--recursive", "--keep-largest", "--resume"):
        row = option_row(text, switch)
        declaration = row.split("│")[1].split("  ")
        assert not any(part.strip().startswith("<") for part in declaration[:8]), row


@pytest.mark.parametrize("command, option, values", [
    ("remove", "--method", METHODS), ("explain", "--method", METHODS),
    ("evaluate", "--method", METHODS),
    ("remove", "--target", TARGETS), ("explain", "--target", TARGETS),
    ("evaluate", "--target", TARGETS), ("tune", "--target", TARGETS),
    ("remove", "--band", ("absolute", "relative")),
    ("tune", "--band", ("absolute", "relative", "both")),
    ("remove", "--sampler", ("random", "kmeans")),
    ("explain", "--cutout", ("green", "checker")),
    ("evaluate", "--layout", ("auto", "ccp", "seg", "masks")),
])
def test_choices_are_listed(command, option, values):
    row = option_row(help_text(command), option)
    assert "|".join(values) in row, row


def test_version():
    import tomllib

    with open(Path(runwaycut.__file__).parents[2] / "pyproject.toml", "rb") as f:
        assert runwaycut.__version__ == tomllib.load(f)["project"]["version"]
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"runwaycut {runwaycut.__version__}"
    # And as an installed command would run it.
    proc = subprocess.run([sys.executable, "-c", "from runwaycut.cli import main; main()",
                           "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"runwaycut {runwaycut.__version__}"


def test_smoothing_means_one_thing():
    # evaluate and tune: --smoothing is the original's +1; train's Gaussian width of the
    # F1 curves has a name of its own.
    for command in ("evaluate", "tune"):
        assert "Add 1" in option_row(help_text(command), "--smoothing")
    train = help_text("train")
    assert not [line for line in train.splitlines() if re.match(r"│\s+--smoothing\s", line)]
    assert "LEVELS" in option_row(train, "--curve-smoothing")
    result = runner.invoke(app, ["train", "nowhere", "--out", "m.json", "--smoothing", "2"])
    assert result.exit_code == 2


def test_written_out_choices_match_the_library():
    # cli/_options writes these names out so that `remove` need not import the
    # threshold and scoring packages at start-up; they must stay the tables' own.
    from runwaycut.cli import _options
    from runwaycut.scoring.labels import LAYOUTS
    from runwaycut.threshold.rules import THRESHOLD_RULES

    assert _options.THRESHOLD_RULES == tuple(THRESHOLD_RULES)
    assert _options.LAYOUTS == tuple(LAYOUTS)


def test_remove_starts_without_the_stages_it_does_not_use():
    code = ("import sys; sys.argv = ['runwaycut', 'remove', '--help']\n"
            "from runwaycut.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('runwaycut.'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    loaded = set(proc.stdout.splitlines()[-1].split())
    assert "runwaycut.cli.remove" in loaded
    for stage in ("evaluation", "scoring", "threshold", "garment", "explain", "serve"):
        assert not any(m.startswith(f"runwaycut.{stage}") for m in loaded), stage
    assert "runwaycut.cli.train" not in loaded


def test_every_public_name_and_stage_after_a_bare_import():
    code = ("import runwaycut\n"
            "for name in runwaycut.__all__: getattr(runwaycut, name)\n"
            "for stage in runwaycut._STAGES: getattr(runwaycut, stage)\n"
            "from runwaycut import evaluate, parse_items, remove, read_image\n"
            "assert set(runwaycut.__all__) <= set(dir(runwaycut))\n"
            "print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
