"""The shipped person models and ``--method person``, on real photos and odd inputs."""

from __future__ import annotations

import pickle
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest

import runwaycut.models as models
from conftest import CCP_DIR, CCP_SAMPLE, ccp_figure, f1, needs_ccp
from runwaycut.errors import ModelError
from runwaycut.io import read_image
from runwaycut.methods.person import keep_regions, working_image
from runwaycut.person.segmenter import (LANDMARK_NAMES, PersonSegmenter, face_box, landmark,
                                        person_box)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("runwaycut tried to use the network")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- the model files -----------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n, m in models.MODELS.items()
                                         if m.file.endswith(".tflite")))
def test_models_load_offline_from_the_package(name, no_network):
    path = models.model_path(name)
    assert path.parent == Path(models.__file__).parent  # inside the installed package
    interpreter = models.load_interpreter(name)
    inp = interpreter.get_input_details()[0]
    assert tuple(inp["shape"]) == (1, 256, 256, 3)
    interpreter.set_tensor(inp["index"], np.zeros((1, 256, 256, 3), np.float32))
    interpreter.invoke()


def test_unknown_model_is_a_typed_error():
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        models.load_interpreter("nope")


def test_corrupt_model_file_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "selfie_segmentation.tflite"
    bad.write_bytes(models.model_path("selfie_segmentation").read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(models, "model_path", lambda name: bad)
    models.verify_model.cache_clear()
    try:
        with pytest.raises(ModelError, match="corrupt or of another version"):
            models.load_interpreter("selfie_segmentation")
    finally:
        models.verify_model.cache_clear()


# --- person method on real photos --------------------------------------------------------

@needs_ccp
@pytest.mark.parametrize("name", CCP_SAMPLE)
def test_person_mask_is_a_plausible_figure(person, name, no_network):
    image = read_image(CCP_DIR / "photos" / name)
    result = person.predict(image)
    mask = result.mask
    assert mask.shape == image.shape[:2] and mask.dtype == bool
    assert result.method == "person" and result.details["person_found"]
    assert 0.08 < mask.mean() < 0.5
    ys, xs = np.nonzero(mask)
    w = image.shape[1]
    assert w / 4 < xs.mean() < 3 * w / 4  # centred
    assert ys.min() < 0.25 * image.shape[0] and ys.max() > 0.75 * image.shape[0]  # full body
    assert f1(mask, ccp_figure(name)) > 0.93


@needs_ccp
def test_pose_landmarks_sit_on_the_person(person):
    image = read_image(CCP_DIR / "photos" / CCP_SAMPLE[0])
    _, est = person.estimate(image)
    assert est.pose is not None and est.pose.presence > 0.9
    assert est.pose.landmarks.shape == (39, 5) and len(LANDMARK_NAMES) == 33
    mask = est.probability > 0.5
    nose = landmark(est.pose, "nose")
    ankle = landmark(est.pose, "left_ankle")
    assert nose[1] < ankle[1]  # upright: head above feet
    assert mask[int(nose[1]), int(nose[0])]
    x0, y0, x1, y1 = face_box(est.pose)
    assert 0 <= y0 < y1 < image.shape[0] / 3
    assert x0 < nose[0] < x1 and y0 < nose[1] < y1


@needs_ccp
def test_large_photo_is_processed_at_working_size(person):
    image = read_image(CCP_DIR / "photos" / CCP_SAMPLE[1])
    big = cv2.resize(image, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    truth = cv2.resize(ccp_figure(CCP_SAMPLE[1]).astype(np.uint8), big.shape[1::-1],
                       interpolation=cv2.INTER_NEAREST).astype(bool)
    result = person.predict(big)
    assert result.mask.shape == big.shape[:2]
    assert working_image(big, person.max_side).shape[0] == person.max_side
    assert f1(result.mask, truth) > 0.93
    # Landmarks are reported in the full-size photo's pixels.
    nose = result.details["landmarks"][0]
    assert result.mask[int(nose[1]), int(nose[0])]


# --- no person ----------------------------------------------------------------------

def landscape(h=480, w=640) -> np.ndarray:
    """Sky over a textured field: a photo with nobody in it."""
    rng = np.random.default_rng(1)
    img = np.zeros((h, w, 3), np.float32)
    img[: h // 2] = np.linspace(120, 200, h // 2)[:, None, None] * np.array([0.7, 0.8, 1.0])
    img[h // 2:] = np.array([70, 110, 40]) + rng.normal(0, 12, (h - h // 2, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("image", [np.full((832, 550, 3), 128, np.uint8), landscape()],
                         ids=["flat grey", "landscape"])
def test_no_person_gives_an_empty_mask_and_says_so(person, image):
    result = person.predict(image)
    assert result.mask.shape == image.shape[:2]
    assert not result.mask.any()
    assert result.details["person_found"] is False
    assert any("no person" in w for w in result.details["warnings"])


# --- pieces ---------------------------------------------------------------------------

def test_person_box_prefers_the_central_large_region():
    prob = np.zeros((100, 100), np.float32)
    prob[10:90, 40:60] = 0.9  # central figure
    prob[0:95, 0:12] = 0.9   # a bystander at the edge, slightly larger
    assert person_box(prob) == (40, 10, 59, 89)
    assert person_box(np.zeros((50, 50), np.float32)) is None
    assert person_box(prob, min_area=0.5) is None


def test_keep_regions_drops_specks_keeps_large_parts():
    mask = np.zeros((60, 60), bool)
    mask[5:55, 20:35] = True   # body: 750 px
    mask[20:40, 40:50] = True  # a bag cut off: 200 px
    mask[2:4, 2:4] = True      # speck: 4 px
    kept = keep_regions(mask, 0.05)
    assert kept[30, 45] and kept[30, 25] and not kept[2, 2]


@needs_ccp
def test_person_backend_pickles_without_its_interpreters(person):
    image = read_image(CCP_DIR / "photos" / CCP_SAMPLE[2])
    before = person.predict(image).mask
    clone = pickle.loads(pickle.dumps(person))
    assert clone.segmenter._interpreters == {}
    assert np.array_equal(clone.predict(image).mask, before)
    fresh = pickle.loads(pickle.dumps(PersonSegmenter()))
    assert fresh._interpreters == {}
