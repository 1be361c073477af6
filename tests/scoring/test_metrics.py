"""Scores of masks against labels: hand-computed cases, conventions, and cross-checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import accuracy_score, jaccard_score, precision_recall_fscore_support

from runwaycut.scoring.metrics import (SCORE_NAMES, Confusion, class_confusion_matrix, confusion,
                                       mask_scores, mean_iou, per_class_iou, scores)


def test_confusion_and_scores_by_hand():
    # 2x5 image: truth has 4 figure pixels; prediction finds 3 of them and 1 extra.
    truth = np.array([[1, 1, 1, 1, 0], [0, 0, 0, 0, 0]], bool)
    pred = np.array([[0, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)
    c = confusion(pred, truth)
    assert c == Confusion(tp=3, fp=1, fn=1, tn=5)
    s = c.scores()
    assert s["precision"] == pytest.approx(3 / 4)
    assert s["recall"] == pytest.approx(3 / 4)
    assert s["f1"] == pytest.approx(0.75)
    assert s["iou"] == pytest.approx(3 / 5)
    assert s["accuracy"] == pytest.approx(8 / 10)


def test_scores_of_counts_by_hand():
    s = scores(6, 2, 4, 88)
    assert [round(float(s[k]), 4) for k in SCORE_NAMES] == [0.75, 0.6, 0.6667, 0.5, 0.94]


def test_valid_mask_leaves_pixels_out():
    truth = np.array([[1, 1, 0, 0]], bool)
    pred = np.array([[1, 0, 1, 0]], bool)
    valid = np.array([[1, 1, 0, 1]], bool)  # the false positive is not scored
    c = confusion(pred, truth, valid)
    assert c == Confusion(tp=1, fp=0, fn=1, tn=1)
    assert c.total == 3


def test_empty_masks_follow_the_stated_convention():
    nothing = np.zeros((3, 3), bool)
    something = nothing.copy()
    something[1, 1] = True
    perfect = mask_scores(nothing, nothing)
    assert all(perfect[k] == 1.0 for k in SCORE_NAMES)
    missed = mask_scores(nothing, something)
    assert missed["precision"] == missed["recall"] == missed["f1"] == missed["iou"] == 0.0
    assert missed["accuracy"] == pytest.approx(8 / 9)
    invented = mask_scores(something, nothing)
    assert invented["precision"] == invented["recall"] == invented["f1"] == 0.0


def test_smoothing_adds_one_as_the_original():
    s = {k: float(v) for k, v in scores(3, 1, 2, 10, smoothing=True).items()}
    p, r = 4 / 5, 4 / 6
    assert s["precision"] == pytest.approx(p)
    assert s["recall"] == pytest.approx(r)
    assert s["f1"] == pytest.approx(2 * p * r / (p + r))
    assert s["iou"] == pytest.approx(4 / 7)
    assert s["accuracy"] == pytest.approx(14 / 17)
    empty = scores(0, 0, 0, 10, smoothing=True)
    assert float(empty["f1"]) == 1.0


def test_scores_are_vectorised_over_arrays():
    tp = np.array([0, 5, 10])
    fp = np.array([0, 5, 0])
    fn = np.array([3, 0, 10])
    tn = np.array([7, 0, 0])
    s = scores(tp, fp, fn, tn)
    for i in range(3):
        one = scores(int(tp[i]), int(fp[i]), int(fn[i]), int(tn[i]))
        for k in SCORE_NAMES:
            assert s[k][i] == float(one[k])


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="does not match"):
        confusion(np.zeros((2, 3), bool), np.zeros((3, 2), bool))


masks = arrays(bool, st.tuples(st.integers(1, 12), st.integers(1, 12)))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_scores_agree_with_scikit_learn(data):
    truth = data.draw(masks)
    pred = data.draw(arrays(bool, truth.shape))
    s = mask_scores(pred, truth)
    y, p = truth.ravel(), pred.ravel()
    c = confusion(pred, truth)
    assert c.tp + c.fp + c.fn + c.tn == truth.size
    assert s["accuracy"] == pytest.approx(accuracy_score(y, p))
    if c.tp + c.fp > 0 and c.tp + c.fn > 0:  # no 0/0: sklearn's own convention differs there
        prec, rec, f1, _ = precision_recall_fscore_support(y, p, average="binary",
                                                           zero_division=0)
        assert s["precision"] == pytest.approx(prec)
        assert s["recall"] == pytest.approx(rec)
        assert s["f1"] == pytest.approx(f1)
        assert s["iou"] == pytest.approx(jaccard_score(y, p))
        # IoU and F1 are tied: IoU = F1 / (2 - F1).
        assert s["iou"] == pytest.approx(s["f1"] / (2 - s["f1"]))


def test_class_confusion_matrix_and_iou_by_hand():
    truth = np.array([[0, 0, 1, 1], [2, 2, 255, 0]], np.uint8)
    pred = np.array([[0, 1, 1, 1], [2, 0, 3, 0]], np.uint8)
    m = class_confusion_matrix(pred, truth, n_classes=4)
    assert m.sum() == 7  # the 255 pixel is ignored
    assert m[0].tolist() == [2, 1, 0, 0]
    assert m[1].tolist() == [0, 2, 0, 0]
    assert m[2].tolist() == [1, 0, 1, 0]
    iou = per_class_iou(m)
    # class 0: inter 2, union 3 + 3 - 2 = 4; class 1: 2 / 3; class 2: 1 / 2; class 3 absent.
    assert iou[:3] == pytest.approx([2 / 4, 2 / 3, 1 / 2])
    assert np.isnan(iou[3])
    assert mean_iou(m) == pytest.approx((1 / 2 + 2 / 3 + 1 / 2) / 3)


def test_class_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="outside 0..3"):
        class_confusion_matrix(np.array([[5]]), np.array([[0]]), n_classes=4)
