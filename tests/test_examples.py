"""The gallery of example scripts (``examples/*.py``) runs on the bundled photos and
draws what it says: each script in a fresh interpreter, as a user runs it."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import runwaycut

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def run(script: str, *args) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def picture(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_every_script_is_in_the_gallery_s_readme():
    readme = (EXAMPLES / "README.md").read_text()
    assert SCRIPTS and all(f"`{name}`" in readme for name in SCRIPTS)


def test_note_method(tmp_path):
    out = tmp_path / "note.png"
    assert f"wrote {out}" in run("note_method.py", "--out", out)
    shown = picture(out)
    assert shown.shape[1] > 3 * shown.shape[0]  # five panels in a row
    # Removed pixels are painted the note's neon green: most of three of the panels.
    from runwaycut.compose import NEON_GREEN_RGB

    assert (np.abs(shown.astype(int) - NEON_GREEN_RGB).sum(axis=2) < 30).mean() > 0.2


def test_backends(tmp_path):
    text = run("backends.py", "--out", tmp_path / "backends.png")
    lines = {line.split()[0]: line for line in text.splitlines() if "figure" in line}
    assert set(lines) == {"palette", "person", "auto"}
    image = runwaycut.read_image(EXAMPLES / "photos" / "0111.jpg")
    for name, line in lines.items():
        fraction = float(re.search(r"figure\s+([\d.]+)%", line).group(1)) / 100
        assert fraction == pytest.approx(runwaycut.remove(image, name).mask.mean(), abs=5e-4)
    assert picture(tmp_path / "backends.png").size


def test_outfit_items(tmp_path):
    text = run("outfit_items.py", "--out", tmp_path / "items.png")
    image = runwaycut.read_image(EXAMPLES / "photos" / "0367.jpg")
    items = runwaycut.parse_items(image)
    printed = [line.split()[0] for line in text.splitlines()[:-1]]
    assert printed == items.present  # one line per item, in the items' order
    shown = picture(tmp_path / "items.png")
    from runwaycut.garment.items_outputs import ITEM_PALETTE
    from runwaycut.scoring.items import ITEM_NAMES

    for name in items.present:  # the item map is drawn in the items' own colours
        colour = ITEM_PALETTE[ITEM_NAMES.index(name)]
        assert (np.abs(shown.astype(int) - colour).sum(axis=2) < 12).any(), name


def test_season_counts_and_its_rerun(tmp_path):
    out = tmp_path / "season"
    text = run("season_counts.py", "--out", out, "--item", "pants")
    assert "3 done, 0 already done, 0 failed" in text
    with open(out / "items.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for name, looks in re.findall(r"^(\w+)\s+in (\d+) of 3 looks$", text, re.M):
        assert int(looks) == len({r["output"] for r in rows if r["item"] == name}), name
    pants = [r["color_family"] for r in rows if r["item"] == "pants"]
    shown = re.search(r"^pants: (.*)$", text, re.M).group(1)
    assert sorted(pants) == sorted(f for f, n in (p.rsplit(" ", 1) for p in shown.split(", "))
                                   for _ in range(int(n)))
    assert picture(out / "season_counts.png").size
    again = run("season_counts.py", "--out", out, "--item", "pants")
    assert "0 done, 3 already done, 0 failed" in again
