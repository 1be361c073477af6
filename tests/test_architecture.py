"""The package's shape: stages as folders, layers as written in pyproject.toml, no circles."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "runwaycut"


def test_layers_contract_holds():
    """`lint-imports` checks the [tool.importlinter] contracts: a wrong arrow fails here."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    run = subprocess.run([exe, "--no-cache"], cwd=PACKAGE.parents[1], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_no_import_circle_between_modules():
    grimp = pytest.importorskip("grimp")
    # Imports under `if TYPE_CHECKING:` (annotations only) never run, so they make no circle.
    graph = grimp.build_graph("runwaycut", exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    # A module is on a circle when it reaches itself.
    on_circle = []
    for start in sorted(edges):
        seen, todo = set(), list(edges[start])
        while todo:
            m = todo.pop()
            if m == start:
                on_circle.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo.extend(edges.get(m, ()))
    assert on_circle == []


def test_stages_are_folders_and_modules_stay_small():
    stages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    for stage in ("note", "person", "methods", "scoring", "garment", "threshold",
                  "evaluation", "explain", "batch", "cli"):
        assert stage in stages
        doc = (PACKAGE / stage / "__init__.py").read_text()
        assert doc.lstrip().startswith('"""'), f"{stage}/__init__.py has no docstring"
    too_long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
                if (n := len(p.read_text().splitlines())) > 600}
    assert too_long == {}
