"""The planted bugs of ``benchmarks/mutants.py`` still apply to the code they target.

A mutant whose text no longer occurs (the code moved or was rewritten) checks nothing,
and only a full mutation run, not CI, used to notice: three had stopped applying that
way. Each must match exactly once, and name tests that exist.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _mutants():
    spec = importlib.util.spec_from_file_location("runwaycut_mutants", REPO / "benchmarks" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("runwaycut_mutants", module)  # (dataclasses look it up)
    spec.loader.exec_module(module)
    return module.MUTANTS


MUTANTS = _mutants()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_mutant_plants_its_bug_once_and_names_tests_that_exist(mutant):
    source = (REPO / mutant.file).read_text()
    assert source.count(mutant.find) == 1, f"{mutant.file}: {mutant.find!r}"
    assert mutant.replace != mutant.find
    for test in mutant.tests:
        path, _, name = test.partition("::")
        assert (REPO / path).is_file(), test
        if name:
            text = (REPO / path).read_text()
            assert f"def {name.split('[')[0]}(" in text, test


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
