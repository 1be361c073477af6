"""Readers of labelled sets: CCP .mat files, colour-coded -seg.jpg, binary mask PNGs."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import scipy.io
from hypothesis import given, settings, strategies as st

from conftest import CCP_DIR, needs_ccp, runway_scene
from runwaycut.errors import LabelError
from runwaycut.scoring.labels import (CLASS_NAMES, IGNORE, SEG_RANGES_BGR, SEG_TOLERANCE,
                                      ccp_class_table, classify_seg_colors, detect_layout,
                                      load_item, open_dataset, read_ccp_label, read_mask_label,
                                      read_seg_label)

# --- the CCP layout on the real files ---------------------------------------------------


@needs_ccp
def test_ccp_set_is_detected_and_complete():
    ds = open_dataset(CCP_DIR)
    assert ds.layout == "ccp"
    assert len(ds) == 500 and len(ds.complete) == 500
    assert ds.items[0].id == "0001"


@needs_ccp
def test_ccp_labels_map_to_the_four_classes():
    ds = open_dataset(CCP_DIR)
    item = ds.items[0]
    image, labels = load_item(item)
    raw = scipy.io.loadmat(item.label)["groundtruth"]
    assert labels.shape == image.shape[:2] == (832, 550)
    assert labels.unknown == 0 and labels.valid is None
    # The mapping of the data set's own classes.json, pixel by pixel.
    mapping = json.loads((CCP_DIR / "classes.json").read_text())
    for name, values in mapping.items():
        where = np.isin(raw, values)
        assert (labels.classes[where] == CLASS_NAMES.index(name)).all()
    figure = labels.positive("figure")
    assert (figure == (raw != 0)).all()
    assert 0.05 < figure.mean() < 0.6  # one standing person
    garment = labels.positive("garment")
    assert garment.sum() < figure.sum() and garment.any()


@needs_ccp
def test_packaged_class_table_is_a_copy_of_the_data_sets():
    mapping = json.loads((CCP_DIR / "classes.json").read_text())
    table = ccp_class_table()
    for name, values in mapping.items():
        assert (table[values] == CLASS_NAMES.index(name)).all()
    assert (table >= 0).sum() == sum(len(v) for v in mapping.values()) == 59


# --- small files the tests write ---------------------------------------------------------


def _write_photo(path, height=80, width=64, seed=0):
    image, figure = runway_scene(height, width, seed)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return image, figure


def _ccp_set(tmp_path, labels: dict):
    (tmp_path / "photos").mkdir()
    (tmp_path / "annotations" / "pixel-level").mkdir(parents=True)
    for stem, gt in labels.items():
        _write_photo(tmp_path / "photos" / f"{stem}.jpg")
        if gt is not None:
            scipy.io.savemat(tmp_path / "annotations" / "pixel-level" / f"{stem}.mat",
                             {"groundtruth": gt})
    return tmp_path


def test_ccp_reader_on_written_files(tmp_path):
    gt = np.zeros((80, 64), np.uint8)
    gt[10:70, 20:40] = 14   # dress -> garment
    gt[5:10, 25:35] = 19    # hair -> skin_hair
    gt[70:75, 20:40] = 21   # heels -> accessory
    _ccp_set(tmp_path, {"0001": gt, "0002": None})
    ds = open_dataset(tmp_path)
    assert ds.layout == "ccp"
    assert [i.id for i in ds.complete] == ["0001"]
    assert "no label file" in ds.items[1].problem
    _, labels = load_item(ds.items[0])
    assert np.bincount(labels.classes.ravel(), minlength=4).tolist() == [
        80 * 64 - 60 * 20 - 50 - 100, 60 * 20, 50, 100]


def test_ccp_unknown_label_value_is_an_error(tmp_path):
    gt = np.zeros((80, 64), np.uint8)
    gt[3, 3] = 77
    _ccp_set(tmp_path, {"0001": gt})
    with pytest.raises(LabelError, match=r"unknown label value\(s\) 77 in 1 pixels"):
        load_item(open_dataset(tmp_path).items[0])


def test_ccp_label_of_another_size_is_an_error(tmp_path):
    _ccp_set(tmp_path, {"0001": np.zeros((64, 80), np.uint8)})
    with pytest.raises(LabelError, match="label is 80x64 but its photo is 64x80"):
        load_item(open_dataset(tmp_path).items[0])


def test_ccp_file_without_groundtruth_or_corrupt(tmp_path):
    scipy.io.savemat(tmp_path / "a.mat", {"other": np.zeros((2, 2))})
    with pytest.raises(LabelError, match="no variable 'groundtruth'"):
        read_ccp_label(tmp_path / "a.mat")
    (tmp_path / "b.mat").write_bytes(b"not a matlab file at all")
    with pytest.raises(LabelError, match="b.mat"):
        read_ccp_label(tmp_path / "b.mat")
    scipy.io.savemat(tmp_path / "c.mat", {"groundtruth": np.full((4, 4), 0.5)})
    with pytest.raises(LabelError, match="non-integer"):
        read_ccp_label(tmp_path / "c.mat")


# --- the colour-coded layout -------------------------------------------------------------

#: A pure colour inside each class range, in RGB.
SEG_RGB = {name: np.array(lo[::-1]) // 2 + np.array(hi[::-1]) // 2 + 1
           for name, (lo, hi) in SEG_RANGES_BGR.items()}


def _seg_image(height=80, width=64):
    """Four class regions: background, a garment block, a skin block, an accessory."""
    classes = np.zeros((height, width), np.uint8)
    classes[10:70, 20:44] = 1
    classes[2:10, 26:38] = 2
    classes[70:78, 20:44] = 3
    rgb = np.zeros((height, width, 3), np.uint8)
    for i, name in enumerate(CLASS_NAMES):
        rgb[classes == i] = np.clip(SEG_RGB[name], 0, 255)
    return rgb, classes


def _write_jpeg(path, rgb, quality=70):
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, quality])


def test_seg_colours_survive_jpeg_noise(tmp_path):
    rgb, classes = _seg_image()
    _write_photo(tmp_path / "look.jpg")
    _write_jpeg(tmp_path / "look-seg.jpg", rgb)
    ds = open_dataset(tmp_path)
    assert ds.layout == "seg" and [i.id for i in ds.items] == ["look"]
    image, labels = load_item(ds.items[0])
    assert labels.unknown == 0
    assert (labels.classes == classes).mean() > 0.99
    # Every pixel away from a class boundary is exact.
    inner = np.zeros_like(classes, bool)
    for i in range(4):
        inner |= cv2.erode((classes == i).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert (labels.classes[inner] == classes[inner]).all()


def test_seg_unknown_colours_are_reported(tmp_path):
    rgb, _ = _seg_image()
    rgb[30:50, 0:10] = (255, 255, 0)  # yellow: no class
    _write_jpeg(tmp_path / "look-seg.jpg", rgb)
    with pytest.raises(LabelError, match=r"have colours of no class \(most common: RGB \(2"):
        read_seg_label(tmp_path / "look-seg.jpg")


def test_seg_a_few_unknown_pixels_are_left_out(tmp_path):
    rgb, classes = _seg_image()
    rgb[40, 5] = (0, 0, 0)  # one black pixel: below the 0.1% allowance
    cv2.imwrite(str(tmp_path / "look-seg.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    labels = read_seg_label(tmp_path / "look-seg.png")
    assert labels.unknown == 1
    assert labels.classes[40, 5] == IGNORE and not labels.valid[40, 5]
    assert not labels.positive("figure")[40, 5]
    with pytest.raises(LabelError, match="1 pixels"):
        read_seg_label(tmp_path / "look-seg.png", max_unknown=0)


def test_seg_label_of_another_size_is_an_error(tmp_path):
    rgb, _ = _seg_image(64, 80)
    _write_photo(tmp_path / "look.jpg")
    _write_jpeg(tmp_path / "look-seg.jpg", rgb)
    with pytest.raises(LabelError, match="look-seg.jpg: label is 80x64 but its photo is 64x80"):
        load_item(open_dataset(tmp_path).items[0])


_inside = st.integers(0, 126) | st.integers(128, 255)


@settings(max_examples=200, deadline=None)
@given(st.tuples(_inside, _inside, _inside))
def test_seg_colour_inside_a_class_range_is_that_class(bgr):
    b, g, r = bgr
    hi = tuple(v >= 128 for v in bgr)
    expected = {(False, False, True): 0, (True, False, False): 1, (True, True, True): 2,
                (False, True, False): 3}.get(hi)
    got = int(classify_seg_colors(np.array([[[r, g, b]]], np.uint8))[0, 0])
    if expected is not None:
        assert got == expected
    elif got != IGNORE:
        # The other four octants (black, cyan, magenta, yellow) get a class only within
        # the tolerance of its range, never for their pure colours.
        lo, hi = (np.array(v) for v in SEG_RANGES_BGR[CLASS_NAMES[got]])
        v = np.array(bgr)
        assert np.maximum(np.maximum(lo - v, v - hi), 0).max() <= SEG_TOLERANCE
        assert not all(c in (0, 255) for c in bgr)


# --- binary masks ------------------------------------------------------------------------


def test_masks_folder_layout(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    image, figure = _write_photo(tmp_path / "images" / "a.png")
    _write_photo(tmp_path / "images" / "b.png", seed=1)
    cv2.imwrite(str(tmp_path / "masks" / "a.png"), figure.astype(np.uint8) * 255)
    ds = open_dataset(tmp_path)
    assert ds.layout == "masks"
    assert [(i.id, i.problem is None) for i in ds.items] == [("a", True), ("b", False)]
    photo, labels = load_item(ds.items[0])
    assert (photo == image).all()
    assert (labels.positive("figure") == figure).all()
    with pytest.raises(LabelError, match="only figure and background"):
        labels.positive("garment")


def test_flat_mask_layout_and_values(tmp_path):
    _, figure = _write_photo(tmp_path / "a.jpg")
    cv2.imwrite(str(tmp_path / "a.mask.png"), figure.astype(np.uint8))  # 0/1 values
    assert detect_layout(tmp_path) == "masks"
    ds = open_dataset(tmp_path)
    assert [i.id for i in ds.complete] == ["a"]
    assert (load_item(ds.items[0])[1].positive() == figure).all()


def test_soft_or_colour_masks(tmp_path):
    soft = np.zeros((80, 64), np.uint8)
    soft[10:20, 10:20] = 128
    soft[20:30, 10:20] = 255
    cv2.imwrite(str(tmp_path / "soft.png"), soft)
    with pytest.raises(LabelError, match="3 distinct values"):
        read_mask_label(tmp_path / "soft.png")
    colour = np.zeros((80, 64, 3), np.uint8)
    colour[10:20, 10:20] = (0, 0, 255)  # a red figure on black is still binary
    cv2.imwrite(str(tmp_path / "red.png"), colour)
    assert read_mask_label(tmp_path / "red.png").positive().sum() == 100
    with pytest.raises(LabelError, match="mask is|label is 64x80"):
        read_mask_label(tmp_path / "red.png", shape=(64, 80))


def test_folder_without_a_layout(tmp_path):
    with pytest.raises(LabelError, match="no labelled-set layout found"):
        detect_layout(tmp_path)
    with pytest.raises(LabelError, match="no such folder"):
        open_dataset(tmp_path / "nowhere")
