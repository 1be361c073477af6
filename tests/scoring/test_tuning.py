"""The exact threshold sweep equals brute force; best thresholds; the original's search."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from conftest import CCP_DIR, needs_ccp, runway_scene
from runwaycut.note.colormask import _REL_TOL, distance_map, in_band
from runwaycut.note.figure import select_figure
from runwaycut.scoring.metrics import confusion, mask_scores, scores
from runwaycut.note.palette import sample_palette
from runwaycut.scoring.tuning import (COARSE_GRID, RELATIVE_GRID, best_over_seeds, best_threshold,
                                      coarse_to_fine, coarse_to_fine_threshold, mask_changes,
                                      relative_grid, sweep, unique_thresholds)


def _brute(distance, truth, valid, thresholds):
    out = []
    for t in thresholds:
        c = confusion(~in_band(distance, float(t)), truth, valid)
        out.append((c.tp, c.fp, c.fn, c.tn))
    return np.array(out)


def _counts(s):
    return np.stack([s.tp, s.fp, s.fn, s.tn], axis=1)


shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_absolute_sweep_equals_brute_force(data):
    shape = data.draw(shapes)
    d = data.draw(arrays(np.uint8, shape))
    truth = data.draw(arrays(bool, shape))
    valid = data.draw(st.none() | arrays(bool, shape))
    thresholds = data.draw(st.none() | st.lists(
        st.floats(0, 300, allow_nan=False) | st.integers(0, 300).map(float), min_size=1,
        max_size=12))
    s = sweep(d, truth, valid, thresholds)
    expected_t = np.arange(256.0) if thresholds is None else np.unique(thresholds)
    assert s.thresholds.tolist() == expected_t.tolist()
    assert (_counts(s) == _brute(d, truth, valid, s.thresholds)).all()


def _relative_values():
    # Real relative distances are ratios |p - c| / c computed in float32, and a threshold
    # often sits exactly on one (t = d) or just inside the band's tolerance (t = d / (1+tol)).
    ratio = st.tuples(st.integers(0, 255), st.integers(1, 255)).map(
        lambda nc: np.float32(nc[0]) * (np.float32(1.0) / np.float32(nc[1])))
    return ratio | st.sampled_from([np.float32(0), np.float32(1e30)])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_relative_sweep_equals_brute_force(data):
    shape = data.draw(shapes)
    n = shape[0] * shape[1]
    d = np.array(data.draw(st.lists(_relative_values(), min_size=n, max_size=n)),
                 np.float32).reshape(shape)
    truth = data.draw(arrays(bool, shape))
    valid = data.draw(st.none() | arrays(bool, shape))
    on_values = [float(v) for v in d.ravel()[:4]] + [float(v) / (1 + _REL_TOL)
                                                     for v in d.ravel()[:4]]
    extra = data.draw(st.lists(st.floats(0, 3, allow_nan=False), max_size=6))
    thresholds = [t for t in on_values + extra if t < 1e29] or [0.0]
    for grid in (thresholds, None, unique_thresholds(d)):
        s = sweep(d, truth, valid, grid)
        assert (_counts(s) == _brute(d, truth, valid, s.thresholds)).all()


@needs_ccp
@pytest.mark.parametrize("band", ["absolute", "relative"])
def test_sweep_equals_brute_force_on_a_real_photo(band):
    from runwaycut.scoring.labels import load_item, open_dataset

    image, labels = load_item(open_dataset(CCP_DIR).items[6])
    truth = labels.positive("figure")
    d = distance_map(image, sample_palette(image).colors, band)
    s = sweep(d, truth)
    assert len(s) == (256 if band == "absolute" else len(RELATIVE_GRID))
    assert (_counts(s) == _brute(d, truth, None, s.thresholds)).all()
    # Both extremes: threshold 0 keeps (nearly) everything, the largest keeps (nearly) nothing.
    assert s.tp[0] + s.fn[0] == truth.sum()
    f1 = s.scores()["f1"]
    assert f1.max() > 0.3


def test_mask_changes_marks_exactly_the_new_masks():
    rng = np.random.default_rng(1)
    d = rng.integers(0, 40, (20, 20)).astype(np.uint8)
    t = np.arange(60.0)
    changes = mask_changes(d, t)
    for i in range(1, len(t)):
        same = (in_band(d, t[i]) == in_band(d, t[i - 1])).all()
        assert changes[i] == (not same)


def test_best_without_figure_selection_is_the_brute_force_argmax():
    image, figure = runway_scene()
    d = distance_map(image, sample_palette(image).colors)
    b = best_threshold(d, figure, figure=None)
    f1 = np.array([mask_scores(~in_band(d, float(t)), figure)["f1"] for t in range(256)])
    assert b.scores["f1"] == pytest.approx(f1.max())
    assert f1[int(b.threshold)] == pytest.approx(f1.max())
    assert b.raw_threshold == b.threshold and b.evaluated == 0


def test_best_with_figure_selection_is_the_brute_force_optimum():
    image, figure = runway_scene(seed=3)
    d = distance_map(image, sample_palette(image).colors)
    b = best_threshold(d, figure)
    fig_f1 = np.array([mask_scores(select_figure(~in_band(d, float(t))), figure)["f1"]
                       for t in range(256)])
    assert b.scores["f1"] == pytest.approx(fig_f1.max())
    assert np.allclose(b.figure_curve, fig_f1)
    # Figure selection drops the specks and fills the strap's loop: near perfect.
    assert b.scores["f1"] > 0.98
    assert b.scores["f1"] >= b.raw_scores["f1"]
    # Each distinct mask is scored once.
    assert b.evaluated == mask_changes(d, np.arange(256.0)).sum()
    fewer = best_threshold(d, figure, candidates=3)
    assert fewer.evaluated <= 3 and fewer.scores["f1"] <= b.scores["f1"] + 1e-12


def test_ties_go_to_the_middle_of_a_plateau():
    # Distances 0 (background) and 10 (figure): every threshold 0..9 gives the perfect mask.
    d = np.zeros((4, 4), np.uint8)
    d[1:3, 1:3] = 10
    b = best_threshold(d, d > 0, figure=None)
    assert b.scores["f1"] == 1.0
    assert b.threshold == 4.0


def test_relative_grid():
    g = relative_grid(0.005, 2.0)
    assert len(g) == 401 and g[0] == 0.0 and g[-1] == 2.0
    assert 0.4 in g.tolist() and 0.2 in g.tolist()  # the defaults and the coarse grid
    assert np.array_equal(g, RELATIVE_GRID)


def test_coarse_to_fine_visits_the_original_grids():
    seen = []

    def score(t):
        seen.append(round(t, 6))
        return -(t - 0.53) ** 2

    r = coarse_to_fine(score)
    assert seen[:5] == [0.2, 0.4, 0.6, 0.8, 1.0]
    # First refinement: 5 points over 0.6 +- 0.6/2.
    assert [0.3, 0.45, 0.75, 0.9] == seen[5:9]
    assert abs(r.threshold - 0.53) < 0.05
    assert r.evaluated == len(seen) == len(set(seen))


@needs_ccp
def test_exact_sweep_finds_at_least_the_coarse_to_fine_f1():
    from runwaycut.scoring.labels import load_item, open_dataset

    ds = open_dataset(CCP_DIR)
    for item in ds.items[10:13]:
        image, labels = load_item(item)
        truth = labels.positive()
        d = distance_map(image, sample_palette(image).colors, "relative")
        exact = best_threshold(d, truth, thresholds="unique", figure=None)
        ctf = coarse_to_fine_threshold(d, truth)
        assert exact.scores["f1"] >= ctf.score - 1e-12
        assert ctf.evaluated <= 5 + 3 * 5


def test_best_over_seeds_draws_new_palettes():
    image, figure = runway_scene(seed=5)
    results = best_over_seeds(image, figure, seeds=[0, 1, 2], candidates=8)
    assert [r.seed for r in results] == [0, 1, 2]
    assert all(r.best.scores["f1"] > 0.95 for r in results)


def test_sweep_rejects_bad_input():
    d = np.zeros((3, 3), np.uint8)
    with pytest.raises(ValueError, match="does not match"):
        sweep(d, np.zeros((2, 2), bool))
    with pytest.raises(ValueError, match="uint8 .* or float32"):
        sweep(d.astype(np.int32), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match=">= 0"):
        sweep(d, np.zeros((3, 3), bool), thresholds=[-1.0])
    assert COARSE_GRID["relative"] == (0.2, 0.4, 0.6, 0.8, 1.0)
    assert float(scores(1, 0, 0, 0)["f1"]) == 1.0
