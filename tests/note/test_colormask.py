"""Colour masks as a distance map: equal, pixel for pixel, to OR-ing cv2.inRange masks."""

from __future__ import annotations

import math
from fractions import Fraction

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwaycut.note.colormask import (MaskParams, band_bounds, color_distances, distance_map,
                                      in_band, parse_vote, votes_needed)

from conftest import runway_scene


@st.composite
def image_and_palette(draw, max_colors=16):
    """A small random image and a palette; half the palette is taken from its pixels so
    that bands are hit, the rest is random (including 0 and 255 channels)."""
    h = draw(st.integers(1, 24))
    w = draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # Few distinct levels make exact band edges (|p - c| == t) frequent.
    levels = draw(st.sampled_from([np.arange(256), np.array([0, 1, 2, 50, 100, 101, 254, 255])]))
    image = rng.choice(levels, size=(h, w, 3)).astype(np.uint8)
    n = draw(st.integers(1, max_colors))
    picked = image.reshape(-1, 3)[rng.integers(0, h * w, n)]
    random = rng.choice(levels, size=(n, 3)).astype(np.uint8)
    colors = np.where(rng.random((n, 1)) < 0.5, picked, random).astype(np.uint8)
    return image, colors


def in_range_masks(image, colors, threshold, band):
    """One cv2.inRange mask per colour (bool), with band_bounds' bounds."""
    masks = []
    for c in colors:
        lower, upper = band_bounds(c, threshold, band)
        masks.append(cv2.inRange(image, tuple(map(float, lower)), tuple(map(float, upper))) > 0)
    return np.stack(masks)


def exact_bounds(color, threshold, band):
    """The band by its definition, in exact arithmetic (independent of band_bounds)."""
    bounds = []
    for c in map(int, color):
        if band == "absolute":
            t = math.floor(threshold)
            bounds.append((max(0, c - t), min(255, c + t)))
        else:
            slack = math.floor(Fraction(threshold) * c)  # |p - c| <= t c, p integer
            bounds.append((max(0, c - slack), min(255, c + slack)))
    return bounds


absolute_thresholds = st.one_of(st.integers(0, 255).map(float),
                                st.floats(0, 300, allow_nan=False))
relative_thresholds = st.integers(0, 3000).map(lambda m: Fraction(m, 1000))


@settings(max_examples=150, deadline=None)
@given(data=image_and_palette(), threshold=absolute_thresholds)
def test_absolute_band_equals_inrange_union(data, threshold):
    image, colors = data
    union = in_range_masks(image, colors, threshold, "absolute").any(axis=0)
    got = in_band(distance_map(image, colors, "absolute"), threshold)
    assert got.dtype == bool and got.shape == image.shape[:2]
    np.testing.assert_array_equal(got, union)


@settings(max_examples=150, deadline=None)
@given(data=image_and_palette(), threshold=relative_thresholds)
def test_relative_band_equals_inrange_union(data, threshold):
    image, colors = data
    t = float(threshold)
    union = in_range_masks(image, colors, t, "relative").any(axis=0)
    got = in_band(distance_map(image, colors, "relative"), t)
    np.testing.assert_array_equal(got, union)


@settings(max_examples=200, deadline=None)
@given(color=st.tuples(*[st.integers(0, 255)] * 3),
       band_threshold=st.one_of(
           st.tuples(st.just("absolute"), absolute_thresholds),
           st.tuples(st.just("relative"), relative_thresholds)))
def test_band_bounds_follow_the_definition(color, band_threshold):
    band, threshold = band_threshold
    lower, upper = band_bounds(np.array(color), float(threshold), band)
    assert list(zip(lower.tolist(), upper.tolist())) == exact_bounds(color, threshold, band)


def test_the_notes_example():
    """[210, 90, 120] with t = 20 keeps 190-230, 70-110 and 100-140 (the note)."""
    lower, upper = band_bounds(np.array([210, 90, 120]), 20, "absolute")
    assert lower.tolist() == [190, 70, 100] and upper.tolist() == [230, 110, 140]
    lower, upper = band_bounds(np.array([210, 90, 120]), 0.4, "relative")
    assert lower.tolist() == [126, 54, 72] and upper.tolist() == [255, 126, 168]


@settings(max_examples=60, deadline=None)
@given(data=image_and_palette())
def test_distance_map_is_the_chebyshev_distance(data):
    image, colors = data
    diff = np.abs(image[None].astype(int) - colors[:, None, None].astype(int)).max(axis=-1)
    np.testing.assert_array_equal(color_distances(image, colors, "absolute"), diff)
    np.testing.assert_array_equal(distance_map(image, colors, "absolute"), diff.min(axis=0))


def test_relative_distance_with_zero_channels():
    image = np.array([[[0, 10, 10], [1, 10, 10], [0, 14, 6]]], np.uint8)
    d = distance_map(image, np.array([[0, 10, 10]], np.uint8), "relative")
    assert d.dtype == np.float32
    assert d[0, 0] == 0
    assert d[0, 1] > 1e6  # a zero channel admits only 0
    assert d[0, 2] == pytest.approx(0.4)
    assert in_band(d, 0.4).tolist() == [[True, False, True]]


@pytest.mark.parametrize("band, t", [("absolute", 0), ("absolute", 20), ("relative", 0.0),
                                     ("relative", 0.4)])
def test_threshold_sweep_matches_recomputing(band, t):
    """One distance map answers every threshold; each equals a fresh inRange union."""
    image, _ = runway_scene(64, 48)
    colors = image[[2, 10, 30, 60], [1, 45, 3, 40]]
    d = distance_map(image, colors, band)
    thresholds = range(0, 256, 5) if band == "absolute" else np.arange(0, 2.001, 0.05)
    for th in thresholds:
        th = float(th)
        np.testing.assert_array_equal(in_band(d, th),
                                      in_range_masks(image, colors, th, band).any(axis=0))


vote_strategy = st.one_of(st.just("any"), st.just("majority"),
                          st.integers(1, 20).map(lambda k: Fraction(k, 20)))


@settings(max_examples=150, deadline=None)
@given(data=image_and_palette(), vote=vote_strategy,
       band_threshold=st.one_of(st.tuples(st.just("absolute"), st.integers(0, 80)),
                                st.tuples(st.just("relative"), relative_thresholds)))
def test_vote_counts_inrange_masks(data, vote, band_threshold):
    image, colors = data
    band, threshold = band_threshold
    t = float(threshold)
    count = in_range_masks(image, colors, t, band).sum(axis=0)
    n = len(colors)
    if vote == "any":
        expected = count >= 1
        v = "any"
    elif vote == "majority":
        expected = 2 * count > n
        v = "majority"
    else:
        expected = count >= vote * n  # at least that fraction, exactly
        v = float(vote)
    got = in_band(distance_map(image, colors, band, v), t)
    np.testing.assert_array_equal(got, expected)


def test_votes_needed():
    assert votes_needed("any", 16) == 1
    assert votes_needed("majority", 16) == 9
    assert votes_needed("majority", 15) == 8
    assert votes_needed(0.25, 16) == 4
    assert votes_needed(0.15, 20) == 3  # 0.15 * 20 is 3.0000000000000004 in floats
    assert votes_needed(0.01, 16) == 1
    assert votes_needed(1.0, 16) == 16


@pytest.mark.parametrize("text, value", [("any", "any"), (" Majority ", "majority"),
                                         ("0.25", 0.25), ("1", 1.0)])
def test_parse_vote(text, value):
    assert parse_vote(text) == value


@pytest.mark.parametrize("text", ["most", "0", "1.5", "-0.2", ""])
def test_parse_vote_refuses(text):
    with pytest.raises(ValueError, match="vote"):
        parse_vote(text)


def test_mask_params():
    assert MaskParams().resolved_threshold == 20
    assert MaskParams(band="relative").resolved_threshold == 0.4
    assert MaskParams(threshold=7).resolved_threshold == 7
    for bad in (dict(band="hsv"), dict(threshold=-1), dict(threshold=float("inf")),
                dict(vote="all"), dict(vote=0.0)):
        with pytest.raises(ValueError):
            MaskParams(**bad)


def test_bad_palettes_are_refused():
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError):
        distance_map(image, np.zeros((0, 3), np.uint8))
    with pytest.raises(ValueError):
        distance_map(image, np.zeros((2, 4), np.uint8))
    with pytest.raises(ValueError):
        distance_map(image, np.array([[300, 0, 0]]))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(["absolute", "relative"]))
def test_the_few_pixels_path_gives_opencvs_numbers(seed, band):
    # An image of at most 4 pixels is measured by NumPy (OpenCV may take it for a
    # Scalar); on larger images both paths must give the same numbers, bit for bit.
    from runwaycut.note.colormask import _one_color_distance, _one_color_distance_numpy

    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (rng.integers(2, 40), rng.integers(3, 40), 3), dtype=np.uint8)
    color = rng.integers(0, 256, 3).astype(np.uint8)
    color[rng.integers(0, 3)] = rng.choice([0, color[0]])  # a zero channel now and then
    planes = cv2.split(image)
    want = _one_color_distance(planes, color, band)
    got = _one_color_distance_numpy(planes, color, band)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
