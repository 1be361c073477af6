"""The README stays true: its Python examples run, and its recipe for the labelled
photos gives the layout the tests and ``evaluate`` read."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
from PIL import Image

from conftest import CCP_DIR, DATA_DIR, REPO
from runwaycut.scoring.labels import load_item, open_dataset

README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_examples_run(index):
    code = blocks("python")[index]
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"README example {index} failed:\n{code}\n{proc.stderr}"


def test_garment_example_is_documented():
    garment = [b for b in blocks("python") if "GarmentMethod" in b]
    assert garment, "the README has no library example for the garment"
    assert "colors" in garment[0] and "labels" in garment[0]


def test_labelled_data_recipe(tmp_path):
    # Where the data comes from, where it goes, and what the tests then find there.
    section = README.split("### The labelled photos", 1)[1].split("\n## ", 1)[0]
    assert "https://github.com/bearpaw/clothing-co-parsing" in section
    assert "../shared/data/ccp" in section and "RUNWAYCUT_DATA" in section
    assert DATA_DIR.name == "data" and CCP_DIR.name == "ccp"
    recipe = next(b for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)
                  if "git clone" in b)
    # Run the recipe's copying on a stand-in for the CCP repository (no network here).
    source = tmp_path / "ccp-source"
    (source / "photos").mkdir(parents=True)
    (source / "annotations" / "pixel-level").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for n in (1, 2, 500, 501):
        Image.fromarray(rng.integers(0, 255, (96, 64, 3), np.uint8)).save(
            source / "photos" / f"{n:04d}.jpg")
        truth = np.zeros((96, 64), np.uint8)
        truth[20:80, 16:48] = 5  # a garment label
        scipy.io.savemat(source / "annotations" / "pixel-level" / f"{n:04d}.mat",
                         {"groundtruth": truth})
    scipy.io.savemat(source / "label_list.mat", {"label_list": np.array(["null"])})
    (source / "LICENSE").write_text("Apache-2.0")
    script = "\n".join(line for line in recipe.splitlines()
                       if not line.startswith("git clone"))
    script = script.replace("cp ccp-source/photos/$n.jpg",
                            "[ -e ccp-source/photos/$n.jpg ] || continue; cp ccp-source/photos/$n.jpg")
    proc = subprocess.run(["bash", "-ec", script], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = open_dataset(tmp_path / "shared" / "data" / "ccp")
    assert data.layout == "ccp"
    assert [item.id for item in data.complete] == ["0001", "0002", "0500"]  # not 0501
    image, labels = load_item(data.complete[0])
    assert image.shape == (96, 64, 3) and (labels.classes == 1).sum() == 60 * 32
