"""Shipped model and data files: one checksum registry, checked on first load, and
shape checks for every model file (issue 13 point 4)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from runwaycut import models
from runwaycut.errors import ModelError
from runwaycut.person.fusion import MLP, load_fusion_model


def test_every_shipped_file_is_registered_and_intact():
    assert models.shipped_files() == sorted(models.CHECKSUMS)
    for rel in models.shipped_files():
        models.read_shipped(rel)
    # the neural models are the mediapipe wheel's files: their published checksums
    readme = (models.PACKAGE_ROOT / "models" / "README.md").read_text()
    for info in models.MODELS.values():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{info.file}` |"))
        assert re.search(r"`([0-9a-f]{64})`", row).group(1) == info.sha256


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """The shipped files copied to a folder the registry then reads from."""
    for rel in models.shipped_files():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(models.PACKAGE_ROOT / rel, tmp_path / rel)
    monkeypatch.setattr(models, "PACKAGE_ROOT", tmp_path)
    caches = [load_fusion_model, models.verify_model]
    from runwaycut.garment.model import load_garment_model
    caches.append(load_garment_model)
    for cache in caches:
        cache.cache_clear()
    yield tmp_path
    for cache in caches:
        cache.cache_clear()


def drop_layer(doc: dict, k: int) -> dict:
    return {**doc, "weights": doc["weights"][:k] + doc["weights"][k + 1:],
            "biases": doc["biases"][:k] + doc["biases"][k + 1:]}


def test_a_damaged_shipped_fusion_model_is_refused(package_copy):
    path = package_copy / "models" / "fusion.json"
    doc = json.loads(path.read_text())
    assert len(load_fusion_model().weights) == len(doc["weights"])  # the copy loads
    load_fusion_model.cache_clear()
    path.write_text(json.dumps(drop_layer(doc, 1)))  # one layer's weights removed
    with pytest.raises(ModelError, match="damaged") as exc:
        load_fusion_model()
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("rel", ["data/garment_model.json", "data/threshold_model.json",
                                 "models/selfie_segmentation.tflite"])
def test_every_shipped_file_is_hash_checked(package_copy, rel):
    from runwaycut.garment.model import load_garment_model
    from runwaycut.threshold.model import default_model

    path = package_copy / rel
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped
    path.write_bytes(bytes(data))
    load = {"data/garment_model.json": load_garment_model,
            "data/threshold_model.json": default_model,
            "models/selfie_segmentation.tflite": lambda: models.verify_model(
                "selfie_segmentation")}[rel]
    with pytest.raises(ModelError, match="corrupt or of another version"):
        load()


def test_a_users_fusion_file_is_shape_checked():
    doc = json.loads(models.read_shipped("models/fusion.json"))
    assert MLP.from_json(json.dumps(doc)).weights[0].shape == (len(doc["mean"]), 32)
    bad = {
        "a layer removed": drop_layer(doc, 1),
        "a row removed": {**doc, "weights": [doc["weights"][0][1:]] + doc["weights"][1:]},
        "a bias removed": {**doc, "biases": [doc["biases"][0][1:]] + doc["biases"][1:]},
        "a scale removed": {**doc, "scale": doc["scale"][1:]},
        "not finite": {**doc, "biases": [[float("nan")] + doc["biases"][0][1:]]
                       + doc["biases"][1:]},
    }
    for what, broken in bad.items():
        with pytest.raises(ModelError, match="damaged fusion model"):
            MLP.from_json(json.dumps(broken), f"my-{what}.json")


def test_refresh_rewrites_the_table_from_the_files(package_copy, tmp_path):
    source = tmp_path / "models_init_copy.py"
    shutil.copyfile(Path(models.__file__), source)
    saved = dict(models.CHECKSUMS)
    try:
        path = package_copy / "models" / "fusion.json"
        doc = json.loads(path.read_text())
        doc["biases"][-1] = [0.25]  # a retrained model
        path.write_text(json.dumps(doc))
        with pytest.raises(ModelError):
            models.read_shipped("models/fusion.json")
        table = models.refresh_checksums(source)
        models.read_shipped("models/fusion.json")  # accepted now
        assert table["models/fusion.json"] == hashlib.sha256(path.read_bytes()).hexdigest()
        text = source.read_text()
        assert f'"models/fusion.json": "{table["models/fusion.json"]}"' in text
        block = text.split("# BEGIN CHECKSUMS\n")[1].split("    # END CHECKSUMS")[0]
        assert len(block.splitlines()) == len(table)
    finally:
        models.CHECKSUMS.clear()
        models.CHECKSUMS.update(saved)
