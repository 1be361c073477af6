"""The held-out photos: left out of every shipped model's training, and of nothing else."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from conftest import CCP_DIR, REPO, needs_ccp
from runwaycut.scoring.heldout import (heldout_names, is_heldout, is_trained_on, only_unseen,
                                       trained_on, without_heldout)
from runwaycut.scoring.labels import open_dataset


def test_the_list_is_thirty_ccp_photos_with_the_examples_among_them():
    names = heldout_names()
    assert len(names) == 30 and all(n.endswith(".jpg") and n[:4].isdigit() for n in names)
    examples = sorted(p.name for p in (REPO / "examples" / "photos").glob("*.jpg"))
    assert examples and all(is_heldout(name) for name in examples)
    assert is_heldout("annotations/pixel-level/0087.mat") and not is_heldout("0001.jpg")


@needs_ccp
def test_a_ccp_set_loses_exactly_the_heldout_photos():
    data = open_dataset(CCP_DIR)
    kept, left_out = without_heldout(data)
    assert {f"{i}.jpg" for i in left_out} == heldout_names()
    assert len(kept) == len(data) - 30
    assert not any(is_heldout(item.id) for item in kept)
    assert {item.id for item in kept} | set(left_out) == {item.id for item in data}


def test_another_layout_keeps_a_photo_of_the_same_name(tmp_path):
    # A user's set whose photo is called 0087 is not the CCP photo 0087.
    (tmp_path / "masks").mkdir()
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(tmp_path / "0087.png")
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(tmp_path / "masks" / "0087.png")
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(tmp_path / "0001.png")
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(tmp_path / "masks" / "0001.png")
    data = open_dataset(tmp_path)
    kept, left_out = without_heldout(data)
    assert [item.id for item in kept] == ["0001", "0087"] and left_out == ()
    # Nor is its 0001 the CCP photo the models were trained on.
    assert trained_on(data) == () and only_unseen(data) == (data, ())


@pytest.mark.parametrize("path, key", [
    ("src/runwaycut/models/fusion.json", ("training", "heldout_left_out")),
    ("src/runwaycut/data/garment_model.json", ("info", "heldout_left_out")),
    ("src/runwaycut/data/threshold_model.json", ("training", "heldout_left_out")),
])
def test_each_shipped_model_was_trained_without_the_heldout_photos(path, key):
    doc = json.loads((REPO / path).read_text())
    for part in key:
        doc = doc[part]
    assert {f"{stem}.jpg" for stem in doc} == heldout_names()


@needs_ccp
def test_the_development_photos_are_trained_on_or_held_out():
    data = open_dataset(CCP_DIR)
    trained = trained_on(data)
    assert len(trained) == len(data.items) - len(heldout_names()) == 470
    assert not {f"{i}.jpg" for i in trained} & heldout_names()
    kept, left_out = only_unseen(data)
    assert left_out == trained and {f"{i.id}.jpg" for i in kept.items} == heldout_names()
    assert not is_trained_on("0501.jpg") and not is_trained_on("1.jpg")
