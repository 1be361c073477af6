"""The outfit item by item (issue 11): item classes and their mapping, the network's input
window, the shipped network and its checksum, parse_items on held-out photos, the files
of ``--target items``, a carried bag kept in the figure, a photo without a person."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CCP_DIR, REPO, f1
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from runwaycut.errors import ModelError
from runwaycut.garment.colors import COLOR_NAMES
from runwaycut.garment.items import (ITEM_TO_CLASS, MIN_ITEM_SHARE, TakeIn, carried_items,
                                     item_counts, items_from_logits, parse_items)
from runwaycut.garment.items_inputs import (
    CHANNEL_NAMES,
    INPUT_SHAPE,
    MIRROR_LANDMARKS,
    PART_SEGMENTS,
    crop_transform,
    item_inputs,
    part_maps,
    shrink_whole,
    warp,
)
from runwaycut.garment.items_model import ItemNet, load_item_net, mirror_window
from runwaycut.garment.items_outputs import ITEM_PALETTE, items_json, items_png
from runwaycut.io import encode_png
from runwaycut.scoring.heldout import is_heldout
from runwaycut.scoring.items import (
    ITEM_NAMES,
    ccp_item_table,
    confusion_scores,
    item_confusion,
    lookup,
    read_ccp_items,
)
from runwaycut.scoring.labels import ccp_class_table

EXAMPLES = REPO / "examples" / "photos"

#: Held-out photos (never trained on) scored end to end; see test_items_on_heldout_photos.
HELDOUT_SCORED = ("0087.jpg", "0111.jpg", "0085.jpg")
#: What the shipped network measures on them, pooled: mean IoU 0.412, accuracy inside
#: the figure 0.658 (every figure pixel given one item instead: 0.158 and 0.386; the
#: previous network, cross-entropy only, 40 epochs: 0.333 and 0.627).
MEAN_IOU_BOUND, ACCURACY_BOUND = 0.38, 0.62
#: Held-out photos whose auto figure cuts part of a bag: 0479 keeps 55% of its bag's
#: pixels, 69% with the item network. 0085 (70%) went to 87% with the previous network;
#: the Dice-trained one labels the bag inside the figure but takes nothing in there (a
#: known regression, marked below, strict: it fails loudly once fixed).
BAG_PHOTOS, BAG_GAIN = ("0479.jpg", pytest.param("0085.jpg", marks=pytest.mark.xfail(
    strict=True, reason="the Dice-trained item network takes in none of 0085's cut bag"))), 0.08


def _mat(name):
    return CCP_DIR / "annotations" / "pixel-level" / f"{name[:-4]}.mat"


needs_labels = pytest.mark.skipif(not (CCP_DIR / "annotations").is_dir(),
                                  reason=f"CCP labels not found at {CCP_DIR}")


# --- the classes -----------------------------------------------------------------------------

def test_item_classes_follow_the_issue_and_the_four_classes():
    assert ITEM_NAMES == ("background", "skin", "hair", "top", "outerwear", "dress", "skirt",
                          "pants", "shorts", "legwear", "shoes", "bag", "headwear", "accessory")
    items, four = ccp_item_table(), ccp_class_table()
    labels = np.flatnonzero(four >= 0)
    assert len(labels) == 59 and np.array_equal(labels, np.flatnonzero(items >= 0))
    # Garment = 3..9, skin+hair = 1..2, accessory = 10..13: the item map collapses onto
    # the four-class map of every CCP label.
    assert np.array_equal(ITEM_TO_CLASS[items[labels]], four[labels])


@pytest.mark.skipif(not (CCP_DIR / "items.json").is_file(), reason="no shared items.json")
def test_shipped_mapping_is_the_data_sets():
    shipped = json.loads((REPO / "src" / "runwaycut" / "data" / "items.json").read_text())
    assert shipped == json.loads((CCP_DIR / "items.json").read_text())


def test_items_png_round_trip_and_palette():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, len(ITEM_NAMES), (37, 23)).astype(np.uint8)
    with Image.open(io.BytesIO(items_png(labels))) as pil:
        assert pil.mode == "P"
        assert np.array_equal(np.asarray(pil), labels)
        assert np.array_equal(np.asarray(pil.convert("RGB")), ITEM_PALETTE[labels])
    # A readable palette: every pair of items at least 60 levels apart in some channel.
    diff = np.abs(ITEM_PALETTE[:, None].astype(int) - ITEM_PALETTE[None].astype(int)).max(axis=2)
    assert diff[~np.eye(len(ITEM_NAMES), dtype=bool)].min() >= 60
    with pytest.raises(ValueError, match="item map holds class 14"):
        items_png(np.full((4, 4), 14, np.uint8))


def test_confusion_scores_by_hand():
    truth = np.array([[0, 1, 1, 3]])
    pred = np.array([[0, 1, 3, 3]])
    s = confusion_scores(item_confusion(truth, pred))
    assert s["iou"]["background"] == 1 and s["iou"]["skin"] == 0.5
    assert s["iou"]["top"] == 0.5 and s["iou"]["bag"] is None
    assert s["mean_iou"] == pytest.approx(2 / 3)
    assert s["accuracy_in_figure"] == pytest.approx(2 / 3)


# --- the input window ------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300), st.integers(5, 400), st.integers(5, 400))
def test_crop_transform_puts_the_box_inside_the_window(x0, y0, bw, bh):
    H, W = 800, 700
    box = (x0, y0, min(W - 1, x0 + bw), min(H - 1, y0 + bh))
    a = crop_transform(box, (H, W))
    corners = np.array([[box[0], box[1], 1], [box[2], box[3], 1]], float) @ a.T
    rows, cols = INPUT_SHAPE
    assert (corners[:, 0] >= -0.5).all() and (corners[:, 0] <= cols - 0.5).all()
    assert (corners[:, 1] >= -0.5).all() and (corners[:, 1] <= rows - 0.5).all()
    # Fitted: the box fills the window's height or width, less the margins.
    s = a[0, 0]
    fill = max((box[3] - box[1] + 1) * s / rows, (box[2] - box[0] + 1) * s / cols)
    assert fill > 0.8


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
def test_mirrored_pose_gives_mirrored_part_maps_left_and_right_swapped(seed):
    rng = np.random.default_rng(seed)
    rows, cols = INPUT_SHAPE
    pts = np.column_stack([rng.uniform(0, cols - 1, 33), rng.uniform(0, rows - 1, 33)])
    mirrored = pts[MIRROR_LANDMARKS].copy()
    mirrored[:, 0] = cols - 1 - mirrored[:, 0]
    names = list(PART_SEGMENTS)
    swap = [names.index(n.replace("left", "@").replace("right", "left").replace("@", "right"))
            for n in names]
    a, b = part_maps(pts), part_maps(mirrored)
    np.testing.assert_allclose(b, a[swap][:, :, ::-1], atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 60), st.integers(1, 60), st.integers(1, 5),
       st.sampled_from([np.uint8, np.float32]), st.booleans())
# Always, halving with an odd side (its own path: the odd row or column halved alone).
@example(0, 5, 7, 2, np.uint8, True)
@example(1, 9, 4, 2, np.float32, False)
@example(2, 6, 1, 2, np.uint8, False)
def test_shrink_whole_averages_blocks_edge_repeated(seed, h, w, k, dtype, colour):
    # Each k x k block of the photo becomes its mean; a last, partial block is completed
    # by repeating the edge (the fast, whole-factor area resize of the window's input).
    rng = np.random.default_rng(seed)
    shape = (h, w, 3) if colour else (h, w)
    a = (rng.integers(0, 256, shape) if dtype == np.uint8 else rng.random(shape)).astype(dtype)
    got = shrink_whole(a, k)
    pad = np.pad(a.astype(np.float64), ((0, -h % k), (0, -w % k)) + ((0, 0),) * (a.ndim - 2),
                 mode="edge")
    want = pad.reshape(pad.shape[0] // k, k, pad.shape[1] // k, k, *a.shape[2:]).mean(axis=(1, 3))
    assert got.shape == want.shape and got.dtype == a.dtype
    np.testing.assert_allclose(got, want, atol=0.51 if dtype == np.uint8 else 1e-5)


def test_a_large_reduction_averages_the_photo():
    # A fine stripe pattern (2-pixel period) reduced 7 times comes out its mean grey:
    # the window's pixels average the photo's instead of picking stripes.
    image = np.zeros((700, 490, 3), np.uint8)
    image[:, ::2] = 255
    out = warp(image, np.array([[1 / 7, 0, 0], [0, 1 / 7, 0]]), (90, 60)).astype(float)
    assert np.abs(out[5:-5, 5:-5] - 127.5).max() < 20


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
def test_part_maps_are_the_gaussian_of_the_distance_to_each_segment(seed):
    # Each map is exp(-d^2 / 2 sigma^2) of the distance d to its segment, over the whole
    # window (it is computed near the segment only: elsewhere it is under 1e-14).
    from runwaycut.garment.items_inputs import PART_SIGMA

    rng = np.random.default_rng(seed)
    rows, cols = INPUT_SHAPE
    pts = np.column_stack([rng.uniform(-40, cols + 40, 33), rng.uniform(-40, rows + 40, 33)])
    ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float64)
    mid = (pts[11] + pts[12]) / 2
    got = part_maps(pts)
    for k, (a, b) in enumerate(PART_SEGMENTS.values()):
        p, q = pts[a], (mid if b == -1 else pts[b])
        d = q - p
        t = np.clip(((xs - p[0]) * d[0] + (ys - p[1]) * d[1]) / max(d @ d, 1e-12), 0, 1)
        dist2 = (xs - p[0] - t * d[0]) ** 2 + (ys - p[1] - t * d[1]) ** 2
        want = np.exp(-dist2 / (2 * (PART_SIGMA * rows) ** 2))
        np.testing.assert_allclose(got[k], want, atol=1e-5, rtol=1e-4)


def test_item_inputs_channels():
    image = np.zeros((400, 300, 3), np.uint8)
    image[:, 150:] = 255
    figure = np.zeros((400, 300), bool)
    figure[50:350, 100:200] = True
    a = crop_transform((100, 50, 199, 349), figure.shape)
    x = item_inputs(image, figure, None, a)
    assert x.shape == (len(CHANNEL_NAMES), *INPUT_SHAPE) and x.dtype == np.float32
    assert x[:3].min() == -0.5 and x[:3].max() == 0.5
    assert np.array_equal(x[3] > 0.5, warp(figure.astype(np.float32), a) > 0.5)
    assert not x[4:].any()  # no pose: no body-part maps


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
def test_mirror_window_is_the_window_of_the_mirrored_photo(seed):
    # The test-time flip's mirrored window must be what item_inputs makes of the mirrored
    # photo (pixels, figure, landmarks renamed left <-> right), with the mirrored crop.
    rng = np.random.default_rng(seed)
    H, W = 300, 220
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    figure = rng.uniform(0, 1, (H, W)).astype(np.float32)
    landmarks = np.column_stack([rng.uniform(0, W - 1, 33), rng.uniform(0, H - 1, 33)])
    affine = crop_transform((40, 30, 180, 280), (H, W))
    x = item_inputs(image, figure, landmarks, affine)
    lm = landmarks[MIRROR_LANDMARKS].copy()
    lm[:, 0] = W - 1 - lm[:, 0]
    mirrored_affine = affine.copy()
    mirrored_affine[0, 2] = INPUT_SHAPE[1] - 1 - affine[0, 0] * (W - 1) - affine[0, 2]
    y = item_inputs(image[:, ::-1].copy(), figure[:, ::-1].copy(), lm, mirrored_affine)
    np.testing.assert_allclose(mirror_window(x), y, atol=1.5 / 255)  # warpAffine rounds uint8
    np.testing.assert_array_equal(mirror_window(mirror_window(x)), x)


def test_flipped_network_answers_mirrored_windows_mirrored():
    # With the test-time flip the logits are exactly left-right equivariant.
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (len(CHANNEL_NAMES), *INPUT_SHAPE))
    x = x.astype(np.float32)
    net = ItemNet(load_item_net().path, flip=True)
    a, b = net.logits(x), net.logits(mirror_window(x))
    np.testing.assert_allclose(b[:, :, ::-1], a, atol=1e-4)
    plain = ItemNet(net.path, flip=False)
    assert np.abs(plain.logits(mirror_window(x))[:, :, ::-1] - plain.logits(x)).max() > 1e-2


# --- the shipped network ---------------------------------------------------------------------

def test_shipped_network_is_checked_and_small():
    from runwaycut.models import MODELS, model_path, verify_model

    path = model_path("items")
    assert path.stat().st_size <= 25 * 2 ** 20
    assert verify_model("items") == path
    assert len(MODELS["items"].sha256) == 64
    logits = load_item_net().logits(np.zeros((len(CHANNEL_NAMES), *INPUT_SHAPE), np.float32))
    assert logits.shape == (len(ITEM_NAMES), *INPUT_SHAPE) and np.isfinite(logits).all()


@needs_labels
def test_the_8bit_network_answers_as_the_float_one_it_was_made_from(auto):
    # What runs is the trained float network quantized to 8 bits (issue 14's speed):
    # on held-out photos' windows it names the same item as the float graph on 99.3% to
    # 99.8% of the pixels the float graph calls worn or carried (not background).
    # Quantized with its activation ranges calibrated on blank or noise windows instead
    # of photos, it agrees on 13% to 61%.
    from runwaycut.garment.items_inputs import figure_box
    from runwaycut.garment.items_model import window_logits
    from runwaycut.models import verify_model

    quantized, trained = load_item_net(), ItemNet(str(verify_model("items_float")))
    assert quantized.path != trained.path
    for name in HELDOUT_SCORED:
        image = np.asarray(Image.open(CCP_DIR / "photos" / name).convert("RGB"))
        found = auto.predict(image)
        args = (image, found.details["probability"], found.details["landmarks"],
                figure_box(found.mask))
        want = window_logits(trained, *args)[0].argmax(0)
        got = window_logits(quantized, *args)[0].argmax(0)
        worn = want != 0
        assert np.mean(got[worn] == want[worn]) >= 0.98, name


def test_altered_network_is_refused(tmp_path, monkeypatch):
    from runwaycut import models

    bad = tmp_path / "items.onnx"
    data = bytearray(models.model_path("items").read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(models, "model_path", lambda name: bad)
    with pytest.raises(ModelError, match="corrupt or of another version"):
        models.verify_model.__wrapped__("items")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph")
    with pytest.raises(ModelError, match="junk.onnx"):
        ItemNet(str(junk)).logits(np.zeros((len(CHANNEL_NAMES), *INPUT_SHAPE), np.float32))


def test_a_missing_runtime_is_named(monkeypatch):
    # A broken install without onnxruntime: a ModelError naming the package, not an
    # ImportError traceback from deep in the item step.
    import builtins

    real = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime" or name.startswith("onnxruntime."):
            raise ImportError("No module named 'onnxruntime'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(ModelError, match="pip install onnxruntime"):
        ItemNet(load_item_net().path).load()


# --- parse_items -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def heldout_results():
    """(image, truth items, parse_items result) of held-out photos, auto figure."""
    if not (CCP_DIR / "annotations").is_dir():
        pytest.skip(f"CCP labels not found at {CCP_DIR}")
    out = []
    for name in HELDOUT_SCORED:
        assert is_heldout(name)
        image = np.asarray(Image.open(CCP_DIR / "photos" / name).convert("RGB"))
        out.append((image, read_ccp_items(_mat(name)), parse_items(image)))
    return out


def test_items_on_heldout_photos(heldout_results):
    # Pooled over photos the network never saw. Bounds sit just under what the shipped
    # network measures (see benchmarks/bench_items.py); a network bypassed (every figure
    # pixel one item) or degraded falls below them.
    cm = sum(item_confusion(t, r.labels) for _, t, r in heldout_results)
    s = confusion_scores(cm)
    assert s["accuracy_in_figure"] >= ACCURACY_BOUND
    assert s["mean_iou"] >= MEAN_IOU_BOUND
    for _, _, result in heldout_results:
        assert np.array_equal(result.labels == 0, ~result.figure)
        assert set(result.present) >= {"skin", "hair"}


#: The item network's confidence in the items it lists on the 30 held-out photos: AUC of
#: those the photo's labels hold against those they do not (217 items listed, 36 not
#: labelled) 0.759; 0.80 on the 90 photos of benchmarks/bench_items.py. A confidence
#: that reads another item's probability, or none, falls to about 0.5.
CONFIDENCE_AUC_BOUND = 0.70


@pytest.fixture(scope="module")
def all_heldout_results():
    """(image, truth items, parse_items result) of each of the 30 held-out photos."""
    from runwaycut.scoring.heldout import heldout_names

    if not (CCP_DIR / "annotations").is_dir():
        pytest.skip(f"CCP labels not found at {CCP_DIR}")
    out = []
    for name in sorted(heldout_names()):
        image = np.asarray(Image.open(CCP_DIR / "photos" / name).convert("RGB"))
        out.append((image, read_ccp_items(_mat(name)), parse_items(image)))
    return out


def test_the_network_s_confidence_tells_the_items_a_photo_shows(all_heldout_results):
    scores, labelled = [], []
    for _, truth_map, result in all_heldout_results:
        truth = set(np.unique(truth_map))
        assert set(result.confidence) == set(result.present)
        for item, confidence in result.confidence.items():
            assert 0 <= confidence <= 1
            scores.append(confidence)
            labelled.append(ITEM_NAMES.index(item) in truth)
    scores, labelled = np.array(scores), np.array(labelled)
    pos, neg = scores[labelled], scores[~labelled]
    auc = ((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean())
    assert auc >= CONFIDENCE_AUC_BOUND, auc


#: Each item's first colour in items.json against the hand-labelled item's (the same
#: clustering of all the pixels its labels give it), items found and labelled >= 200 px
#: on the 30 held-out photos (180 items): names agree for 0.728, families for 0.806
#: (0.737, 0.798 on the 90 photos of ``bench_items.py --colours``). The figure's colours
#: clustered once and each item given the nearest (the method before): 0.583, 0.700;
#: every item given the whole figure's colours: 0.272, 0.367.
ITEM_COLOUR_NAME_BOUND = 0.68
ITEM_COLOUR_FAMILY_BOUND = 0.75


def test_each_item_s_colours_are_those_of_its_own_pixels(all_heldout_results):
    from dataclasses import replace

    from runwaycut.garment.colors import garment_colors
    from runwaycut.garment.items import ITEM_COLORS

    every_pixel = replace(ITEM_COLORS, sample=10**9)
    same_name, same_family = [], []
    for image, truth, result in all_heldout_results:
        for item in result.present:
            labelled = truth == ITEM_NAMES.index(item)
            if np.count_nonzero(labelled) < 200:
                continue
            mine = result.colors[item][0]
            reference = garment_colors(image, labelled, every_pixel)[0]
            same_name.append(mine.name == reference.name)
            same_family.append(mine.family == reference.family)
    assert len(same_name) >= 150
    assert np.mean(same_name) >= ITEM_COLOUR_NAME_BOUND, np.mean(same_name)
    assert np.mean(same_family) >= ITEM_COLOUR_FAMILY_BOUND, np.mean(same_family)


def test_item_confidence_is_the_item_s_own_probability_where_the_map_puts_it():
    from runwaycut.garment.items_model import item_confidence

    # A 40x30 photo under the whole window: every photo pixel covers window pixels.
    H, W = 40, 30
    a = crop_transform(None, (H, W))
    labels = np.zeros((H, W), np.uint8)
    top, pants = ITEM_NAMES.index("top"), ITEM_NAMES.index("pants")
    labels[5:20, 10:20] = top
    labels[20:35, 10:20] = pants
    skirt = ITEM_NAMES.index("skirt")
    labels[5:15, 22:28] = skirt  # where the network says top: the map disagrees with it
    upper = np.zeros((H, W), np.float32)
    upper[:20] = 1
    logits = np.zeros((len(ITEM_NAMES), *INPUT_SHAPE), np.float32)
    logits[top] = 2 * warp(upper, a)             # the network sure of a top above row 20
    logits[pants] = np.log(3.0)                  # and somewhat of pants everywhere
    got = item_confidence(labels, logits, a)
    k = len(ITEM_NAMES)
    assert set(got) == {"top", "pants", "skirt"}
    assert got["top"] == pytest.approx(np.e ** 2 / (np.e ** 2 + 3 + k - 2), abs=0.02)
    assert got["pants"] == pytest.approx(3 / (1 + 3 + k - 2), abs=0.02)
    assert got["skirt"] == pytest.approx(1 / (np.e ** 2 + 3 + k - 2), abs=0.02)
    # A sliver narrower than a window pixel (a 1-pixel belt on a large photo) is read at
    # its own place.
    big = np.zeros((800, 600), np.uint8)
    big[100:700, 200:400] = top
    belt = ITEM_NAMES.index("accessory")
    big[400, 250:350] = belt
    b = crop_transform(None, big.shape)
    logits = np.zeros((len(ITEM_NAMES), *INPUT_SHAPE), np.float32)
    logits[belt] = 5.0
    got = item_confidence(big, logits, b)
    assert got["accessory"] == pytest.approx(np.e ** 5 / (np.e ** 5 + k - 1), abs=0.01)


def test_parse_items_colours_and_masks(heldout_results):
    _, _, result = heldout_results[0]
    names = {n for n, _, _ in COLOR_NAMES}
    for item, mask in result.masks.items():
        colours = result.colors[item]
        assert colours and {c.name for c in colours} <= names
        assert sum(c.share for c in colours) == pytest.approx(1, abs=1e-3)
        assert mask.any()


@needs_labels
@pytest.mark.parametrize("name", BAG_PHOTOS)
def test_a_carried_bag_stays_in_the_figure(auto, name):
    # Held-out photos whose auto figure cuts away part of a handbag (0085: its lower
    # half, as a new user saw it). The item network finds the bag and the figure takes
    # it in; nothing else is lost.
    bag_index = ITEM_NAMES.index("bag")
    assert is_heldout(name)
    image = np.asarray(Image.open(CCP_DIR / "photos" / name).convert("RGB"))
    truth = read_ccp_items(_mat(name))
    found = auto.predict(image)
    items = parse_items(image, found.mask, landmarks=found.details["landmarks"],
                        probability=found.details["probability"], colors=None)
    bag = truth == bag_index
    before = np.count_nonzero(found.mask & bag) / np.count_nonzero(bag)
    after = np.count_nonzero(items.figure & bag) / np.count_nonzero(bag)
    assert after >= before + BAG_GAIN, (name, before, after)
    assert items.taken_in > 0 and (items.labels[items.figure & ~found.mask] == bag_index).all()
    assert f1(items.figure, truth > 0) > f1(found.mask, truth > 0)


def test_a_photo_without_a_person():
    rng = np.random.default_rng(0)
    image = np.clip(200 + rng.normal(0, 2, (300, 200, 3)), 0, 255).astype(np.uint8)
    result = parse_items(image)
    assert not result.labels.any() and result.present == []
    assert any("no figure" in w for w in result.warnings)
    doc = json.loads(items_json(result))  # its items.json: no item, the warning
    assert doc["items"] == [] and doc["figure_pixels"] == 0
    assert any("no figure" in w for w in doc["warnings"])


@pytest.mark.parametrize("figure", [None, "given"])
def test_a_misspelt_landmarks_option_is_refused_with_or_without_a_figure(figure):
    # landmarks="detect" runs the pose model; any other string is a mistake. Without a
    # figure the auto backend's landmarks were taken for it silently.
    image = np.full((120, 80, 3), 128, np.uint8)
    mask = np.zeros((120, 80), bool) if figure else None
    with pytest.raises(ValueError, match="landmarks must be an array, None or 'detect'"):
        parse_items(image, mask, landmarks="detected", colors=None)


#: The held-out photos of HELDOUT_SCORED with their landmarks withheld, pooled: mean item
#: IoU 0.403 with the body-part maps left empty (no training photo lacked a pose), 0.444
#: with the garment model's mean pose over the figure's box (0.507 with the pose; on 24
#: held-out photos 0.280, 0.421 and 0.506). The bound sits under the gain (0.041).
MEAN_POSE_GAIN = 0.03


@needs_labels
def test_without_a_pose_the_mean_pose_places_the_body_parts(auto, heldout_results):
    from unittest import mock

    import runwaycut.garment.items as items_module

    cm = {"mean pose": 0, "empty": 0}
    for image, truth, with_pose in heldout_results:  # with_pose: parse_items(image)
        found = auto.predict(image)
        given = {"probability": found.details["probability"], "colors": None}
        placed = parse_items(image, found.mask, landmarks=None, **given)
        with mock.patch.object(items_module, "_placed", lambda landmarks, *_: landmarks):
            empty = parse_items(image, found.mask, landmarks=None, **given)
        cm["mean pose"] += item_confusion(truth, placed.labels)
        cm["empty"] += item_confusion(truth, empty.labels)
        assert not any("no pose" in w for w in with_pose.warnings)
        assert any("no pose" in w and "mean pose" in w for w in placed.warnings)
    placed, empty = (confusion_scores(cm[k])["mean_iou"] for k in ("mean pose", "empty"))
    assert placed >= empty + MEAN_POSE_GAIN


def test_remove_target_items_on_a_photo_without_a_person(tmp_path):
    """The batch writes the empty item map and items.json with a warning, and the photo
    is done, not failed (as --target figure and garment do)."""
    rng = np.random.default_rng(0)
    image = np.clip(200 + rng.normal(0, 2, (300, 200, 3)), 0, 255).astype(np.uint8)
    photo = tmp_path / "empty-stage.png"
    photo.write_bytes(encode_png(image))
    out = tmp_path / "out"
    result = _run("remove", photo, "--out", out, "--target", "items", "-j", "1")
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert row["status"] == "ok" and "no person" in row["warning"]
    assert json.loads((out / "empty-stage.items.json").read_text())["items"] == []
    assert not np.asarray(Image.open(out / "empty-stage.items.png")).any()


def test_items_from_logits_takes_in_a_carried_item_touching_the_figure():
    # A window over the whole 40x30 photo; the figure a block; the network says "bag"
    # on a patch touching the figure and on one far from it.
    H, W = 40, 30
    figure = np.zeros((H, W), bool)
    figure[5:35, 10:20] = True
    a = crop_transform(None, (H, W))
    logits = np.zeros((len(ITEM_NAMES), *INPUT_SHAPE), np.float32)
    logits[0] = 5
    logits[3] = 4  # top, inside the figure
    bag = ITEM_NAMES.index("bag")
    near = np.zeros((H, W), np.float32)
    near[20:30, 20:25] = 10   # touches the figure's right side
    near[0:4, 0:4] = 10       # far away: not taken in
    logits[bag] = warp(near, a)
    labels, full = items_from_logits(logits, a, figure)
    assert (labels[22:28, 21:24] == bag).all() and full[22:28, 21:24].all()
    assert not full[0:3, 0:3].any()
    assert (labels[figure] != 0).all()
    assert np.array_equal(labels == 0, ~full)
    # The take-in alone (what the fused map keeps of the first pass) agrees with it.
    carried, full_too = carried_items(logits, a, figure)
    assert np.array_equal(full_too, full)
    assert np.array_equal(carried, np.where(full & ~figure, labels, 0))



def _take_in_reference(logits, affine, figure, take=TakeIn(), upscale=3):
    """The take-in rule as first written: every step over the whole photo."""
    import cv2
    H, W = figure.shape
    k, rows, cols = logits.shape
    big = np.stack([cv2.resize(p, (cols * upscale, rows * upscale), interpolation=cv2.INTER_LINEAR)
                    for p in logits])
    to_big = np.asarray(affine, np.float64) * upscale
    to_big[:, 2] += (upscale - 1) / 2
    bag = ITEM_NAMES.index("bag")
    p = np.exp(big - big.max(axis=0))
    likely = (p[bag] >= take.min_probability * p.sum(axis=0)).astype(np.uint8)
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    out = cv2.warpAffine(likely, to_big, (W, H), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=0).astype(bool) & ~figure
    r = round(take.opening * H)
    if r > 0:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        out = cv2.morphologyEx(out.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)
    n, comp, stats, _ = cv2.connectedComponentsWithStats(out.astype(np.uint8), connectivity=8)
    reach = max(1, round(take.reach * H))
    near = cv2.dilate(figure.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))).astype(bool)
    keep = np.zeros(n, bool)
    keep[np.unique(comp[near & out])] = True
    keep &= stats[:, cv2.CC_STAT_AREA] >= take.min_area * figure.sum()
    keep[0] = False
    return figure | keep[comp]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 16), opening=st.sampled_from([0.0, 0.01, 0.05]),
       reach=st.sampled_from([0.01, 0.08]))
def test_the_take_in_equals_the_rule_over_the_whole_photo(seed, opening, reach):
    """carried_items works in the box around its candidates only (bags at the photo's
    edges included): what it takes in is what the rule over the whole photo takes in."""
    rng = np.random.default_rng(seed)
    H, W = 90, 60
    figure = np.zeros((H, W), bool)
    figure[rng.integers(0, 30):rng.integers(50, 90), rng.integers(0, 25):rng.integers(30, 60)] = True
    a = crop_transform(None, (H, W))
    logits = rng.normal(0, 1, (len(ITEM_NAMES), *INPUT_SHAPE)).astype(np.float32)
    bags = np.zeros((H, W), np.float32)
    for _ in range(rng.integers(1, 4)):  # patches of "bag", some over the photo's edge
        y, x = rng.integers(-5, H), rng.integers(-5, W)
        bags[max(0, y):y + rng.integers(4, 30), max(0, x):x + rng.integers(4, 25)] = 12
    logits[ITEM_NAMES.index("bag")] += warp(bags, a)
    take = TakeIn(opening=opening, reach=reach)
    carried, full = carried_items(logits, a, figure, take=take)
    assert np.array_equal(full, _take_in_reference(logits, a, figure, take))
    bag = ITEM_NAMES.index("bag")
    assert (carried[full & ~figure] == bag).all() and not carried[~(full & ~figure)].any()


def test_items_too_small_to_count_take_the_likeliest_remaining_item():
    """A few stray pixels of an item (under MIN_ITEM_SHARE of the figure) are not an item
    an analyst should count: they take the next likeliest item that remains."""
    H, W = 80, 60
    figure = np.zeros((H, W), bool)
    figure[5:75, 15:45] = True
    a = crop_transform(None, (H, W))
    logits = np.zeros((len(ITEM_NAMES), *INPUT_SHAPE), np.float32)
    logits[3] = 4                                     # top everywhere
    ring = ITEM_NAMES.index("accessory")
    spot = np.zeros((H, W), np.float32)
    spot[40:42, 30:32] = 10                           # a 2x2 "accessory": 0.2% of the figure
    big = np.zeros((H, W), np.float32)
    big[10:30, 20:40] = 10                            # a real item: 19% of the figure
    logits[ring] = warp(spot, a)
    pants = ITEM_NAMES.index("pants")
    logits[pants] = warp(big, a)
    kept, _ = items_from_logits(logits, a, figure, min_share=0.0)
    assert (kept == ring).any() and (kept == pants).any()   # both there without the rule
    labels, full = items_from_logits(logits, a, figure)
    assert not (labels == ring).any()                       # the stray pixels went
    assert np.array_equal(labels == pants, kept == pants)   # the real item untouched
    assert np.array_equal(labels[kept == ring], np.full((kept == ring).sum(), 3, np.uint8))
    assert np.array_equal(labels == 0, ~full)
    counts = np.bincount(labels[full], minlength=len(ITEM_NAMES))
    assert ((counts == 0) | (counts >= MIN_ITEM_SHARE * full.sum())).all()


# --- the command line ------------------------------------------------------------------------

def _run(*args):
    from typer.testing import CliRunner

    from runwaycut.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_remove_target_items_writes_its_files(tmp_path):
    photo = EXAMPLES / "0087.jpg"
    out = tmp_path / "out"
    result = _run("remove", photo, "--out", out, "--target", "items", "--item-cutouts", "-j", "1")
    assert result.exit_code == 0, result.output
    image = np.asarray(Image.open(photo).convert("RGB"))
    for suffix in (".mask.png", ".png", ".labels.png", ".garment.png", ".colors.json",
                   ".items.png", ".items.json"):
        assert (out / f"0087{suffix}").is_file(), suffix
    with Image.open(out / "0087.items.png") as pil:
        assert pil.mode == "P" and pil.size == (image.shape[1], image.shape[0])
        labels = np.asarray(pil)
        assert np.array_equal(np.array(pil.getpalette()[:42], np.uint8).reshape(14, 3),
                              ITEM_PALETTE)
    mask = np.asarray(Image.open(out / "0087.mask.png")) == 255
    assert np.array_equal(labels == 0, ~mask)
    doc = json.loads((out / "0087.items.json").read_text())
    assert doc["classes"] == list(ITEM_NAMES)
    assert doc["figure_pixels"] == int(mask.sum())
    names = {n for n, _, _ in COLOR_NAMES}
    assert [i["name"] for i in doc["items"]] == [ITEM_NAMES[v] for v in np.unique(labels) if v]
    for item in doc["items"]:
        assert set(item) == {"name", "index", "pixels", "share_of_figure", "bbox", "confidence",
                             "colors"}
        assert 0 <= item["confidence"] <= 1
        sel = labels == item["index"]
        assert item["pixels"] == int(sel.sum())
        assert item["share_of_figure"] == pytest.approx(sel.sum() / mask.sum(), abs=1e-6)
        ys, xs = np.nonzero(sel)
        assert item["bbox"] == [xs.min(), ys.min(), xs.max(), ys.max()]
        assert {c["name"] for c in item["colors"]} <= names
        with Image.open(out / f"0087.{item['name']}.png") as pil:
            rgba = np.asarray(pil)
        assert np.array_equal(rgba[..., 3] == 255, sel)
        assert np.array_equal(rgba[sel, :3], image[sel])
    assert sum(i["share_of_figure"] for i in doc["items"]) == pytest.approx(1, abs=1e-4)


@pytest.mark.parametrize("how", ["another photo, same name", "--overwrite"])
def test_a_redone_photo_keeps_no_item_cutouts_of_items_it_does_not_show(tmp_path, how):
    """The item cutouts are the one set of files that changes from photo to photo: when
    a photo is redone (another photo under its name, or --overwrite), the cutouts of
    items it no longer shows went on describing the earlier photo, silently."""
    shots, out = tmp_path / "shots", tmp_path / "out"
    shots.mkdir()
    shutil.copy(EXAMPLES / "0367.jpg", shots / "look.jpg")
    args = ("remove", shots, "--out", out, "--target", "items", "--item-cutouts", "-j", "1")

    def cutouts() -> set[str]:
        return {p.name[len("look."):-len(".png")] for p in out.glob("look.*.png")} - {
            "mask", "labels", "garment", "items"}

    def listed() -> set[str]:
        return {i["name"] for i in json.loads((out / "look.items.json").read_text())["items"]}

    assert _run(*args).exit_code == 0
    before = listed()
    assert cutouts() == before
    if how == "--overwrite":  # the same photo, with an earlier run's cutouts of other items
        for name in set(ITEM_NAMES[1:]) - before:
            (out / f"look.{name}.png").write_bytes(b"left by an earlier run")
        result = _run(*args, "--overwrite")
        assert listed() == before
    else:
        shutil.copy(EXAMPLES / "0087.jpg", shots / "look.jpg")
        result = _run(*args)
        assert before - listed(), "the second photo should lack an item the first shows"
    assert result.exit_code == 0, result.output
    assert cutouts() == listed()


def test_a_photo_named_like_another_s_item_cutout_is_refused(tmp_path):
    """With --item-cutouts, "look.top.jpg"'s cutout would be "look.jpg"'s top cutout."""
    shots, out = tmp_path / "shots", tmp_path / "out"
    shots.mkdir()
    shutil.copy(EXAMPLES / "0087.jpg", shots / "look.jpg")
    shutil.copy(EXAMPLES / "0111.jpg", shots / "look.top.jpg")
    result = _run("remove", shots, "--out", out, "--target", "items", "--item-cutouts", "-j", "1")
    assert result.exit_code == 2, result.output
    rows = {Path(r["path"]).name: r for r in map(json.loads, (out / "manifest.jsonl").open())
            if "path" in r}
    assert rows["look.jpg"]["status"] == "ok"
    assert rows["look.top.jpg"]["status"] == "failed"
    assert "would overwrite" in rows["look.top.jpg"]["error"]
    with Image.open(out / "look.top.png") as pil:  # look.jpg's top, whole
        alpha = np.asarray(pil)[..., 3] == 255
    labels = np.asarray(Image.open(out / "look.items.png"))
    assert np.array_equal(alpha, labels == ITEM_NAMES.index("top"))


def test_format_webp_writes_every_cutout_as_webp_with_the_same_pixels(tmp_path):
    """--format webp: the garment's and each item's cutouts too (they stayed PNG), pixel
    for pixel the PNG run's; the maps stay PNG; a rerun finds them and skips the photo."""
    png, webp = tmp_path / "png", tmp_path / "webp"
    common = ("--target", "items", "--item-cutouts", "--method", "palette", "-j", "1")
    assert _run("remove", EXAMPLES / "0087.jpg", "--out", png, *common).exit_code == 0
    result = _run("remove", EXAMPLES / "0087.jpg", "--out", webp, "--format", "webp", *common)
    assert result.exit_code == 0, result.output
    items = [i["name"] for i in json.loads((webp / "0087.items.json").read_text())["items"]]
    pictures = ["", ".garment"] + [f".{name}" for name in items]
    assert {p.name for p in webp.glob("*.webp")} == {f"0087{p}.webp" for p in pictures}
    assert {p.name for p in webp.glob("*.png")} == {"0087.mask.png", "0087.labels.png",
                                                    "0087.items.png"}
    for picture in pictures:
        with Image.open(webp / f"0087{picture}.webp") as a, Image.open(png / f"0087{picture}.png") as b:
            assert a.format == "WEBP" and a.mode == b.mode == "RGBA"
            assert np.array_equal(np.asarray(a), np.asarray(b)), picture
    rerun = _run("remove", EXAMPLES / "0087.jpg", "--out", webp, "--format", "webp", *common)
    assert rerun.exit_code == 0 and "1 already done" in rerun.output, rerun.output


LOAD_BEFORE_THE_FIRST_PHOTO = """
import sys
from runwaycut.batch.targets import TARGETS
from runwaycut.batch.workers import load_models
from runwaycut.garment.items_model import load_item_net
from runwaycut.methods.palette import PaletteMethod

method = TARGETS[sys.argv[1]].wrap(PaletteMethod())
lazy = "skimage.segmentation._felzenszwalb"
assert lazy not in sys.modules and load_item_net()._session is None
load_models(method)
print(lazy in sys.modules, load_item_net()._session is not None)
"""


@pytest.mark.parametrize("target", ["garment", "items"])
def test_the_garment_and_items_targets_load_before_the_first_photo(target):
    """What the first photo loaded on its own (scikit-image's segmentation and SciPy,
    the item network's session: 0.6 s, as much as the photo) is loaded with the models,
    so that the start-up is reported as such and no photo's time carries it."""
    done = subprocess.run([sys.executable, "-c", LOAD_BEFORE_THE_FIRST_PHOTO, target],
                          capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True True", done.stdout


def test_remove_target_items_gathers_every_photo_s_items_in_one_table(tmp_path):
    """OUT/items.csv: one row per photo and item, as each photo's items.json says, in
    the photos' order; the summary counts the photos that show each item; a rerun that
    skips every photo writes the same table; a damaged items.json is named and left out."""
    import csv
    import re

    shots = tmp_path / "shots"
    shots.mkdir()
    for name in ("0087.jpg", "0111.jpg"):
        shutil.copy(EXAMPLES / name, shots / name)
    rng = np.random.default_rng(0)
    empty = np.clip(200 + rng.normal(0, 2, (300, 200, 3)), 0, 255).astype(np.uint8)
    (shots / "empty-stage.png").write_bytes(encode_png(empty))
    (shots / "broken.jpg").write_bytes(b"not a photo")
    out = tmp_path / "out"
    result = _run("remove", shots, "--out", out, "--target", "items", "-j", "1")
    assert result.exit_code == 2, result.output  # broken.jpg failed; the others are done

    def table():
        with open(out / "items.csv", newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    rows = table()
    assert [r["output"] for r in rows] == sorted((r["output"] for r in rows), key=[
        "0087", "0111"].index)  # photos in input order; no row for the empty or broken one
    for stem in ("0087", "0111"):
        doc = json.loads((out / f"{stem}.items.json").read_text())
        mine = [r for r in rows if r["output"] == stem]
        assert [r["item"] for r in mine] == [i["name"] for i in doc["items"]]
        for r, item in zip(mine, doc["items"]):
            assert r["photo"] == str(shots / f"{stem}.jpg")
            assert float(r["share_of_figure"]) == item["share_of_figure"]
            assert int(r["pixels"]) == item["pixels"]
            assert float(r["confidence"]) == item["confidence"]
            assert [int(r[k]) for k in ("x0", "y0", "x1", "y1")] == item["bbox"]
            first = item["colors"][0]
            assert (r["color"], r["color_family"], r["color_hex"]) == (
                first["name"], first["family"], first["hex"])
            assert r["colors"].split("; ")[0] == f"{first['name']} {round(100 * first['share'])}%"
    line = re.search(r"items in (\d+) photos: (.*); one row", result.output)
    assert line and int(line.group(1)) == 3  # the empty stage was read too: no item
    counts = dict(pair.rsplit(" ", 1) for pair in line.group(2).split(", "))
    assert counts == {name: str(len({r["output"] for r in rows if r["item"] == name}))
                      for name in ITEM_NAMES if any(r["item"] == name for r in rows)}
    before = (out / "items.csv").read_bytes()
    result = _run("remove", shots, "--out", out, "--target", "items", "-j", "1")
    assert "3 already done" in result.output and (out / "items.csv").read_bytes() == before
    (out / "0111.items.json").write_text("{ damaged")
    result = _run("remove", shots, "--out", out, "--target", "items", "-j", "1")
    assert "0111.items.json: cannot be read" in result.output
    assert {r["output"] for r in table()} == {"0087"}


def test_remove_rejects_item_cutouts_without_items(tmp_path):
    result = _run("remove", EXAMPLES / "0087.jpg", "--out", tmp_path / "o", "--item-cutouts")
    assert result.exit_code == 2 and "--target items" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*.png"))


@needs_labels
def test_evaluate_target_items(tmp_path):
    root = tmp_path / "set"
    (root / "photos").mkdir(parents=True)
    (root / "annotations" / "pixel-level").mkdir(parents=True)
    for name in HELDOUT_SCORED:
        shutil.copy(CCP_DIR / "photos" / name, root / "photos")
        shutil.copy(_mat(name), root / "annotations" / "pixel-level")
    csv, report = tmp_path / "items.csv", tmp_path / "items.html"
    result = _run("evaluate", root, "--csv", csv, "--report", report, "--target", "items")
    assert result.exit_code == 0, result.output
    assert "mean IoU" in result.output
    with open(csv) as f:
        rows = list(__import__("csv").DictReader(f))
    assert [r["status"] for r in rows] == ["ok"] * len(HELDOUT_SCORED)
    assert all(0 < float(r["mean_iou"]) <= 1 for r in rows)
    text = report.read_text()
    assert "Confusion matrix" in text and "outerwear" in text
    # Photo by photo, each item found against labelled: the table's counts are the CSV's.
    assert "Items found, photo by photo" in text
    for name in ("skin", "shoes", "bag"):
        found = sum(name in r["items_found"].split() for r in rows)
        labelled = sum(name in r["items_labelled"].split() for r in rows)
        both = sum(name in r["items_found"].split() and name in r["items_labelled"].split()
                   for r in rows)
        line = next(li for li in result.output.splitlines() if li.strip("│ ").startswith(name))
        assert f"({both}/{found})" in line and f"({both}/{labelled})" in line, line


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from(ITEM_NAMES[1:])),
                          st.sets(st.sampled_from(ITEM_NAMES[1:])),
                          st.sampled_from(["ok", "ok", "failed"])), max_size=12))
def test_presence_scores_count_photos_and_swap_with_the_roles(photos):
    from runwaycut.evaluation.items import presence_scores

    rows = [{"status": status, "items_found": " ".join(found),
             "items_labelled": " ".join(labelled)} for found, labelled, status in photos]
    swapped = [dict(r, items_found=r["items_labelled"], items_labelled=r["items_found"])
               for r in rows]
    p, q = presence_scores(rows), presence_scores(swapped)
    ok = [(f, l) for f, l, status in photos if status == "ok"]
    for name in ITEM_NAMES[1:]:
        assert p[name]["found"] == sum(name in f for f, _ in ok)
        assert p[name]["labelled"] == sum(name in l for _, l in ok)
        assert p[name]["both"] == sum(name in f and name in l for f, l in ok)
        # Found and labelled trade places: precision and recall trade places.
        assert (p[name]["precision"], p[name]["recall"]) == (q[name]["recall"], q[name]["precision"])


def test_explain_target_items(tmp_path):
    out = tmp_path / "explain.png"
    result = _run("explain", EXAMPLES / "0087.jpg", "-o", out, "--target", "items")
    assert result.exit_code == 0, result.output
    with Image.open(out) as pil:
        assert pil.size[0] > 1000
        grey = np.asarray(pil.convert("L"))
    # Nothing cut by the picture's edges: a title or caption wider than its panel, at a
    # row's end, used to run off the picture (ink in its outermost pixels).
    for edge in (grey[:3], grey[-3:], grey[:, :3], grey[:, -3:]):
        assert edge.min() >= 200


def test_likely_carried_is_the_softmax_share_of_the_carried_items():
    from runwaycut.garment.items import _likely_carried

    rng = np.random.default_rng(4)
    big = rng.normal(0, 3, (14, 40, 30)).astype(np.float32)
    big[11, 10:20, 5:15] += 8  # a bag, sure here
    for wanted in ([11], [11, 12]):
        z = np.exp(big - big.max(axis=0))
        share = z[wanted].sum(axis=0) / z.sum(axis=0)
        for p in (0.3, 0.7):
            assert np.array_equal(_likely_carried(big, wanted, p), share >= p)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300), st.integers(0, 300),
       st.sampled_from(["everywhere", "a figure", "nothing"]))
def test_item_counts_are_the_pixels_of_each_item(seed, h, w, where):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(ITEM_NAMES), (h, w)).astype(np.uint8)
    if where != "everywhere":  # background around a box of items (or all background)
        outside = np.ones((h, w), bool)
        if where == "a figure" and h and w:
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            outside[y0:rng.integers(y0, h) + 1, x0:rng.integers(x0, w) + 1] = False
        labels[outside] = 0
    counts = item_counts(labels)
    assert counts.dtype == np.int64 and counts.shape == (len(ITEM_NAMES),)
    assert np.array_equal(counts, [np.count_nonzero(labels == i) for i in range(len(ITEM_NAMES))])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 300), st.integers(1, 256),
       st.booleans(), st.booleans())
def test_lookup_is_numpy_indexing(seed, h, w, n, boolean, view):
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 2 if boolean else 256, n).astype(bool if boolean else np.uint8)
    labels = rng.integers(0, n, (h + 2, w + 3)).astype(np.uint8)
    if view:  # a strided part of a larger map
        labels = labels[1:-1, 2:-1]
    out = lookup(table, labels)
    assert out.dtype == table.dtype and np.array_equal(out, table[labels])
    if n < 256 and labels.size:
        labels = labels.copy()
        labels.flat[0] = n
        with pytest.raises(IndexError):
            lookup(table, labels)


@pytest.mark.parametrize("exact", [1000, 250, 7])  # strips of 3 rows; of 0-1 row; bincount
def test_item_counts_of_a_map_larger_than_one_exact_histogram(exact, monkeypatch):
    """A map of more pixels than OpenCV's float32 histogram counts exactly (24 megapixels
    and up) is counted by strips of rows; a row wider than that by NumPy."""
    import runwaycut.scoring.items as scoring_items

    monkeypatch.setattr(scoring_items, "HISTOGRAM_EXACT", exact)
    labels = np.random.default_rng(exact).integers(0, len(ITEM_NAMES), (101, 300)).astype(np.uint8)
    assert np.array_equal(item_counts(labels),
                          [np.count_nonzero(labels == i) for i in range(len(ITEM_NAMES))])


def test_an_item_map_cannot_change_under_its_counts():
    """The counts are taken once: editing the map in place raises instead of leaving
    ``present`` and the colours' shares stale; a copy may be edited."""
    from runwaycut.garment.items import ItemsResult

    labels = np.zeros((6, 4), np.uint8)
    labels[1:5, 1:3] = 3  # a top
    result = ItemsResult(labels=labels, figure=labels > 0, taken_in=0,
                         logits=np.zeros((len(ITEM_NAMES), 2, 2), np.float32),
                         affine=np.eye(2, 3))
    assert result.present == ["top"]
    with pytest.raises(ValueError, match="read-only"):
        result.labels[1, 1] = 11
    labels[1, 1] = 11  # the caller's own array stays theirs, and the result its own
    assert result.present == ["top"] and result.labels[1, 1] == 3
    edited = result.labels.copy()
    edited[2, 2] = 11
    assert item_counts(edited)[11] == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(8, 40), st.integers(8, 40), st.integers(1, 6),
       st.integers(1, 400))
def test_item_colors_are_each_item_s_garment_colors(seed, h, w, n_items, sample):
    """One pass over the figure for all items, their clusters named together, gives each
    item what :func:`garment_colors` of its own mask gives (the same seeded draw)."""
    from dataclasses import replace

    from runwaycut.garment.colors import garment_colors
    from runwaycut.garment.items import ITEM_COLORS, ItemsResult, item_colors

    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    image[rng.random((h, w)) < 0.5] = rng.integers(0, 256, 3, dtype=np.uint8)  # a flat colour
    items = rng.choice(np.arange(1, len(ITEM_NAMES)), n_items, replace=False)
    labels = np.where(rng.random((h, w)) < 0.8, rng.choice(items, (h, w)), 0).astype(np.uint8)
    result = ItemsResult(labels=labels, figure=labels > 0, taken_in=0,
                         logits=np.zeros((len(ITEM_NAMES), *INPUT_SHAPE), np.float32),
                         affine=np.eye(2, 3))
    params = replace(ITEM_COLORS, sample=sample)
    got = item_colors(image, result, params).colors
    assert set(got) == set(result.present)
    for name, colours in got.items():
        assert colours == garment_colors(image, result.mask(name), params)
        assert sum(c.share for c in colours) == pytest.approx(1)
