"""Background palette: blocks inside the strips, exact block means, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwaycut.errors import InvalidImageError
from runwaycut.note.palette import PaletteParams, sample_palette, strip_pixels, strip_width

from conftest import runway_scene


def noise(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(9, 60), w=st.integers(18, 120), points=st.integers(1, 40),
       block=st.integers(1, 9), strip=st.floats(0.05, 0.5), seed=st.integers(0, 2**32 - 1))
def test_blocks_lie_inside_their_strip_and_colours_are_their_means(h, w, points, block,
                                                                  strip, seed):
    sw = strip_width(w, strip)
    image = noise(h, w, seed)
    params = PaletteParams(points=points, strip=strip, block=block, seed=seed)
    if sw < block or h < block:
        with pytest.raises(InvalidImageError):
            sample_palette(image, params)
        return
    pal = sample_palette(image, params)
    assert pal.colors.shape == (points, 3) and pal.colors.dtype == np.uint8
    assert pal.points.shape == (points, 2) and pal.block == block
    n_left = points - points // 2
    for i, ((row, col), colour) in enumerate(zip(pal.points, pal.colors)):
        top, left = row - block // 2, col - block // 2
        assert 0 <= top and top + block <= h, "block leaves the image vertically"
        if i < n_left:
            assert 0 <= left and left + block <= sw, "left block leaves the left strip"
        else:
            assert w - sw <= left and left + block <= w, "right block leaves the right strip"
        region = image[top:top + block, left:left + block].reshape(-1, 3)
        assert len(region) == block * block  # never the original's empty block
        np.testing.assert_array_equal(colour, np.rint(region.mean(axis=0)).astype(np.uint8))


def test_points_near_the_top_edge_do_not_make_black():
    """The original's bug: a point in the top rows sliced an empty block -> black colour."""
    image = np.full((40, 200, 3), 230, np.uint8)
    for seed in range(50):
        pal = sample_palette(image, PaletteParams(points=32, seed=seed))
        assert (pal.colors == 230).all()
        assert pal.points[:, 0].min() >= 4  # centres keep half a block from the edge


def test_half_the_points_per_side():
    image = noise(100, 160)
    for points in (1, 2, 7, 16):
        pal = sample_palette(image, PaletteParams(points=points))
        left = (pal.points[:, 1] < 80).sum()
        assert left == points - points // 2 and len(pal) - left == points // 2


def test_same_seed_same_palette_and_different_seeds_differ():
    image = noise(200, 160, seed=1)
    a = sample_palette(image, PaletteParams(seed=7))
    b = sample_palette(image, PaletteParams(seed=7))
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.colors, b.colors)
    others = [sample_palette(image, PaletteParams(seed=s)) for s in range(8, 14)]
    for other in others:
        assert not np.array_equal(a.points, other.points)
        assert not np.array_equal(a.colors, other.colors)


def test_default_seed_is_fixed():
    image = noise(120, 100, seed=2)
    np.testing.assert_array_equal(sample_palette(image).points, sample_palette(image).points)


def test_kmeans_finds_the_strip_colours():
    image, _ = runway_scene()
    h, w = image.shape[:2]
    sw = strip_width(w, 1 / 8)
    flat = np.zeros_like(image)
    flat[:] = (128, 64, 200)
    flat[: h // 2, :sw] = (10, 200, 30)
    flat[h // 2:, :sw] = (240, 240, 240)
    flat[:, w - sw:] = (90, 90, 15)
    params = PaletteParams(points=3, sampler="kmeans")
    pal = sample_palette(flat, params)
    assert {tuple(c) for c in pal.colors} == {(10, 200, 30), (240, 240, 240), (90, 90, 15)}
    assert pal.block == 0
    # The shown point of each centre is a strip pixel of that colour.
    for (row, col), colour in zip(pal.points, pal.colors):
        assert col < sw or col >= w - sw
        np.testing.assert_array_equal(flat[row, col], colour)


def test_kmeans_is_deterministic_and_caps_at_distinct_colours():
    image = noise(90, 120, seed=3)
    params = PaletteParams(points=6, sampler="kmeans")
    a, b = sample_palette(image, params), sample_palette(image, params)
    np.testing.assert_array_equal(a.colors, b.colors)
    two = np.zeros((90, 120, 3), np.uint8)
    two[:, 60:] = 200
    assert len(sample_palette(two, PaletteParams(points=16, sampler="kmeans"))) == 2


def test_kmeans_centres_are_near_strip_pixels():
    image, _ = runway_scene(seed=4)
    pal = sample_palette(image, PaletteParams(points=4, sampler="kmeans"))
    pixels = strip_pixels(image, 1 / 8).astype(int)
    for colour in pal.colors.astype(int):
        assert np.abs(pixels - colour).max(axis=1).min() <= 6


@pytest.mark.parametrize("kwargs", [dict(points=0), dict(strip=0), dict(strip=0.6),
                                    dict(block=0), dict(sampler="grid")])
def test_params_are_checked(kwargs):
    with pytest.raises(ValueError):
        PaletteParams(**kwargs)


def test_strips_narrower_than_a_block_are_refused():
    with pytest.raises(InvalidImageError, match="narrower"):
        sample_palette(noise(100, 64), PaletteParams(block=9))  # strips of 8 px


def test_refuses_non_rgb_arrays():
    with pytest.raises(InvalidImageError):
        sample_palette(np.zeros((100, 100), np.uint8))
    with pytest.raises(InvalidImageError):
        sample_palette(np.zeros((100, 100, 3), np.float32))
