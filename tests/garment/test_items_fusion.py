"""The item network and the garment's pixel classifier together (garment/items_fusion.py)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from conftest import CCP_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

import runwaycut.garment.items as items_module
import runwaycut.garment.items_model as items_model
from runwaycut.garment.items import MIN_ITEM_SHARE, UPSCALE, parse_items
from runwaycut.garment.items_fusion import (fused_classes, garment_prior, regroup,
                                           smooth_in_regions)
from runwaycut.garment.items_inputs import INPUT_SHAPE, crop_transform
from runwaycut.garment.labelmap import label_garment
from runwaycut.garment.types import ACCESSORY, GARMENT, SKIN_HAIR
from runwaycut.scoring.items import ITEM_NAMES, ITEM_TO_CLASS, confusion_scores, item_confusion
from runwaycut.scoring.items import read_ccp_items

K = len(ITEM_NAMES)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_regroup_makes_the_item_map_agree_with_the_classes(seed):
    rng = np.random.default_rng(seed)
    H, W = 60, 40
    items = rng.integers(1, K, (H, W)).astype(np.uint8)
    items[:5] = 0
    classes = rng.integers(1, 4, (H, W)).astype(np.uint8)
    classes[:5] = 0
    logits = rng.normal(size=(K, *INPUT_SHAPE)).astype(np.float32)
    affine = crop_transform((5, 5, W - 5, H - 5), (H, W))
    out, out_classes = regroup(items, classes, logits, affine, UPSCALE)
    assert np.array_equal(ITEM_TO_CLASS[out], classes) and np.array_equal(out_classes, classes)
    agree = ITEM_TO_CLASS[items] == classes
    assert np.array_equal(out[agree], items[agree])  # only the disagreeing pixels change


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_regroup_reads_the_scores_where_each_pixel_lies(seed):
    """A figure off the map's corner (its box is where regrouping works): each pixel
    that changes takes the likeliest item of its class at its own place."""
    from runwaycut.garment.items_fusion import _enlarged_scores

    rng = np.random.default_rng(seed)
    H, W = 70, 50
    y0, x0 = int(rng.integers(1, 20)), int(rng.integers(1, 15))
    items = np.zeros((H, W), np.uint8)
    classes = np.zeros((H, W), np.uint8)
    items[y0:y0 + 40, x0:x0 + 30] = rng.integers(1, K, (40, 30))
    classes[y0:y0 + 40, x0:x0 + 30] = rng.integers(1, 4, (40, 30))
    logits = rng.normal(size=(K, *INPUT_SHAPE)).astype(np.float32)
    affine = crop_transform((x0, y0, x0 + 29, y0 + 39), (H, W))
    out, _ = regroup(items, classes, logits, affine, UPSCALE)
    ys, xs = np.nonzero(ITEM_TO_CLASS[items] != classes)
    scores = _enlarged_scores(logits, affine, UPSCALE)(ys, xs)
    for (y, x), s in zip(zip(ys, xs), scores):
        members = np.flatnonzero(ITEM_TO_CLASS == classes[y, x])
        assert out[y, x] == members[np.argmax(s[members])]
    assert not out[classes == 0].any()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 0.2))
def test_regroup_makes_no_item_too_small_to_count(seed, min_share):
    # A few items hold most of the figure, others a few pixels: regrouping must not give
    # pixels to an item under the share, nor leave one there while its class has another.
    rng = np.random.default_rng(seed)
    H, W = 60, 40
    common = rng.choice(np.arange(1, K), 4, replace=False)
    items = common[rng.integers(0, 4, (H, W))].astype(np.uint8)
    stray = rng.random((H, W)) < 0.02
    items[stray] = rng.integers(1, K, np.count_nonzero(stray))
    classes = np.where(rng.random((H, W)) < 0.3, rng.integers(1, 4, (H, W)),
                       ITEM_TO_CLASS[items]).astype(np.uint8)
    logits = rng.normal(size=(K, *INPUT_SHAPE)).astype(np.float32)
    affine = crop_transform((0, 0, W, H), (H, W))
    out, out_classes = regroup(items, classes, logits, affine, UPSCALE, min_share)
    assert np.array_equal(ITEM_TO_CLASS[out], out_classes)
    least = min_share * out.size
    after = np.bincount(out.ravel(), minlength=K)
    for item in np.flatnonzero((after > 0) & (after < least)):
        assert (items[out == item] == item).all()  # no pixel given to a stray item
        same_class = ITEM_TO_CLASS == ITEM_TO_CLASS[item]
        same_class[item] = False
        assert not (after[same_class] >= least).any()  # nor one left beside a real one
    taken_back = out_classes != classes  # the map took the items' class back
    assert np.array_equal(ITEM_TO_CLASS[out[taken_back]], ITEM_TO_CLASS[items[taken_back]])


def test_fused_classes_take_skin_from_the_classifier_and_the_rest_from_the_items():
    rng = np.random.default_rng(0)
    items = rng.integers(1, K, (50, 50)).astype(np.uint8)
    classes = rng.integers(1, 4, (50, 50)).astype(np.uint8)
    fused = fused_classes(items, classes)
    hat = items == ITEM_NAMES.index("headwear")
    assert (fused[hat] == ACCESSORY).all()
    assert (fused[(classes == SKIN_HAIR) & ~hat] == SKIN_HAIR).all()
    mine = (classes != SKIN_HAIR) & (ITEM_TO_CLASS[items] != SKIN_HAIR) & ~hat
    assert np.array_equal(fused[mine], ITEM_TO_CLASS[items][mine])
    theirs = (classes != SKIN_HAIR) & (ITEM_TO_CLASS[items] == SKIN_HAIR)
    assert np.array_equal(fused[theirs], classes[theirs])


def test_garment_prior_follows_the_classifier_in_the_window():
    # A classifier sure of skin+hair on the left half and of garment on the right half.
    h, w = 208, 138
    probs = np.zeros((h, w, 3), np.float32)
    probs[:, : w // 2, 1] = 1
    probs[:, w // 2:, 0] = 1
    affine = crop_transform((0, 0, 2 * w, 2 * h), (2 * h, 2 * w))
    prior = garment_prior(probs, 0.5, affine, INPUT_SHAPE)
    rows, cols = INPUT_SHAPE
    left, right = prior[:, rows // 2, 5], prior[:, rows // 2, cols - 6]
    skin, top = ITEM_NAMES.index("skin"), ITEM_NAMES.index("top")
    assert left[skin] > -0.01 and left[top] < -5
    assert right[top] > -0.01 and right[skin] < -5
    assert (prior[0] == 0).all()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 1))
def test_smooth_in_regions_pulls_each_region_to_its_mean(seed, weight):
    rng = np.random.default_rng(seed)
    H, W, scale, up = 80, 60, 0.5, 2
    affine = crop_transform((10, 8, 50, 72), (H, W), shape=(20, 14))
    to_big = np.asarray(affine, np.float64) * up
    to_big[:, 2] += (up - 1) / 2
    big = rng.normal(size=(K, 20 * up, 14 * up)).astype(np.float32)
    regions = np.full((H // 2, W // 2), -1, np.int32)  # working size: two regions, left and right
    regions[8:36, 5:15], regions[8:36, 15:25] = 0, 1
    before = big.copy()
    smooth_in_regions(big, to_big, regions, scale, weight)
    # Each enlarged pixel's working pixel, worked out by hand: big -> photo -> working.
    bys, bxs = np.mgrid[:20 * up, :14 * up]
    px = (bxs - to_big[0, 2]) / to_big[0, 0]
    py = (bys - to_big[1, 2]) / to_big[1, 1]
    wx, wy = np.rint((px + 0.5) * scale - 0.5).astype(int), np.rint((py + 0.5) * scale - 0.5).astype(int)
    inside = (wx >= 0) & (wx < W // 2) & (wy >= 0) & (wy < H // 2)
    region = np.full(bys.shape, -1)
    region[inside] = regions[wy[inside], wx[inside]]
    assert np.array_equal(big[0], before[0])  # background is the mask's business
    assert np.array_equal(big[:, region < 0], before[:, region < 0])
    for r in (0, 1):
        here = region == r
        assert here.any()
        mean = before[1:, here].mean(axis=1, keepdims=True)
        assert np.allclose(big[1:, here], (1 - weight) * before[1:, here] + weight * mean,
                           atol=1e-4)


# --- on held-out photos ------------------------------------------------------------------------

#: Measured on the 24 held-out photos of ``heldout_photos`` (auto figure), network alone ->
#: with the classifier: mean item IoU 0.465 -> 0.494; four-class accessory IoU, the
#: classifier alone -> fused, 0.407 -> 0.525; mean garment F1 0.914 -> 0.933.
#: The bounds sit under each gain (0.021, 0.118, 0.019).
ITEM_IOU_GAIN, ACCESSORY_GAIN, GARMENT_F1_GAIN = 0.015, 0.10, 0.015
#: Without -> with the item logits pulled to their region's mean
#: (:func:`smooth_in_regions`): mean item IoU 0.487 -> 0.494 (bound under the gain, 0.007;
#: with the second zoom, 0.495 -> 0.505).
REGION_IOU_GAIN = 0.004
#: The window at zoom 1 alone -> with zoom 1.15 too (:data:`TEST_ZOOMS`): mean item IoU
#: 0.494 -> 0.505 (bound under the gain, 0.011).
ZOOM_IOU_GAIN = 0.006


@pytest.fixture(scope="module")
def fused_heldout(heldout_photos, heldout_figures):
    out = []
    for (name, image, _), (auto_result, _) in zip(heldout_photos, heldout_figures):
        lm, prob = auto_result.details["landmarks"], auto_result.details.get("probability")
        alone = parse_items(image, auto_result.mask, landmarks=lm, probability=prob,
                            colors=None, fuse=False)
        fused = parse_items(image, auto_result.mask, landmarks=lm, probability=prob, colors=None)
        with mock.patch.object(items_module, "smooth_in_regions", lambda *a, **k: None):
            unsmoothed = parse_items(image, auto_result.mask, landmarks=lm, probability=prob,
                                     colors=None)
        with mock.patch.object(items_model, "TEST_ZOOMS", (1.0,)):
            one_zoom = parse_items(image, auto_result.mask, landmarks=lm, probability=prob,
                                   colors=None)
        classifier = label_garment(image, alone.figure, landmarks=lm).labels
        truth = read_ccp_items(CCP_DIR / "annotations" / "pixel-level" / f"{name[:-4]}.mat")
        out.append((truth, alone, fused, classifier, unsmoothed, one_zoom))
    return out


def test_items_follow_the_regions_of_like_colour_on_heldout_photos(fused_heldout):
    plain = confusion_scores(sum(item_confusion(t, u.labels) for t, _, _, _, u, _ in fused_heldout))
    fused = confusion_scores(sum(item_confusion(t, f.labels) for t, _, f, _, _, _ in fused_heldout))
    assert fused["mean_iou"] >= plain["mean_iou"] + REGION_IOU_GAIN


def test_a_second_zoom_of_the_window_gains_on_heldout_photos(fused_heldout):
    one = confusion_scores(sum(item_confusion(t, z.labels) for t, _, _, _, _, z in fused_heldout))
    two = confusion_scores(sum(item_confusion(t, f.labels) for t, _, f, _, _, _ in fused_heldout))
    assert two["mean_iou"] >= one["mean_iou"] + ZOOM_IOU_GAIN


def test_fusion_gains_over_the_network_and_the_classifier_on_heldout_photos(fused_heldout):
    alone = confusion_scores(sum(item_confusion(t, a.labels) for t, a, _, _, _, _ in fused_heldout))
    fused = confusion_scores(sum(item_confusion(t, f.labels) for t, _, f, _, _, _ in fused_heldout))
    assert fused["mean_iou"] >= alone["mean_iou"] + ITEM_IOU_GAIN

    def four(pairs):
        cm = np.zeros((4, 4), np.int64)
        f1 = []
        for truth, labels in pairs:
            t4, ok = ITEM_TO_CLASS[np.minimum(truth, K - 1)], truth < K
            cm += np.bincount(t4[ok].astype(np.int64) * 4 + labels[ok], minlength=16).reshape(4, 4)
            g, tg = labels == GARMENT, t4 == GARMENT
            f1.append(2 * np.count_nonzero(g & tg) / max(np.count_nonzero(g) + np.count_nonzero(tg), 1))
        inter = np.diag(cm)
        return inter / (cm.sum(0) + cm.sum(1) - inter), np.mean(f1)

    iou_c, f1_c = four((t, c) for t, _, _, c, _, _ in fused_heldout)
    iou_f, f1_f = four((t, f.garment.labels) for t, _, f, _, _, _ in fused_heldout)
    assert iou_f[ACCESSORY] >= iou_c[ACCESSORY] + ACCESSORY_GAIN
    assert f1_f >= f1_c + GARMENT_F1_GAIN
    for _, _, f, _, _, _ in fused_heldout:  # one story told twice: items and classes agree
        assert np.array_equal(ITEM_TO_CLASS[f.labels], f.garment.labels)
        assert np.array_equal(f.four_class, f.garment.labels)
        share = f.counts / np.count_nonzero(f.figure)
        assert (share[1:][f.counts[1:] > 0] >= MIN_ITEM_SHARE).all(), share  # no stray item



@settings(max_examples=40, deadline=None)
@given(st.floats(0.6, 1.6), st.floats(-20, 20), st.floats(-20, 20), st.integers(0, 2**32 - 1))
def test_resample_window_reads_the_other_window_at_the_same_photo_point(zoom, dx, dy, seed):
    """Planes that hold each window pixel's photo coordinates read back, in this window,
    this window's own photo coordinates wherever the other window covers it (bilinear
    reading is exact for them), and the coverage is 0 outside it."""
    from runwaycut.garment.items_model import resample_window

    rng = np.random.default_rng(seed)
    rows, cols = INPUT_SHAPE
    box = tuple(float(v) for v in (rng.uniform(50, 150), rng.uniform(50, 150),
                                   rng.uniform(300, 500), rng.uniform(600, 800)))
    this = crop_transform(box, (832, 550))
    other = crop_transform(box, (832, 550), zoom=zoom, shift=(dx, dy))

    def photo_coordinates(affine):
        inverse = np.linalg.inv(np.vstack([affine, [0, 0, 1]]))
        ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float64)
        return np.stack([inverse[0, 0] * xs + inverse[0, 2],
                         inverse[1, 1] * ys + inverse[1, 2]]).astype(np.float32)

    to_photo = np.linalg.inv(np.vstack([this, [0, 0, 1]]))
    planes, covered = resample_window(photo_coordinates(other), other @ to_photo)
    assert planes.shape == (2, rows, cols) and covered.shape == (rows, cols)
    inside = covered > 0.999
    assert inside.any()
    np.testing.assert_allclose(planes[:, inside], photo_coordinates(this)[:, inside], atol=0.05)
    # Where the other window does not reach, nothing of it counts.
    ys, xs = np.mgrid[0:rows, 0:cols]
    ox = other[0, 0] * (to_photo[0, 0] * xs + to_photo[0, 2]) + other[0, 2]
    oy = other[1, 1] * (to_photo[1, 1] * ys + to_photo[1, 2]) + other[1, 2]
    outside = (ox < -1) | (ox > cols) | (oy < -1) | (oy > rows)
    assert (covered[outside] == 0).all()
