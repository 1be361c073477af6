"""The design note's method end to end, in memory."""

from __future__ import annotations

import numpy as np
import pytest

from runwaycut import remove, remove_background
from runwaycut.note.colormask import MaskParams, distance_map, in_band
from runwaycut.errors import InvalidImageError
from runwaycut.io import read_image
from runwaycut.methods import PaletteMethod
from runwaycut.note.palette import PaletteParams, sample_palette

from conftest import runway_scene


def test_finds_the_figure_of_a_runway_scene(scene):
    image, figure = scene
    result = remove_background(image)
    assert result.mask.dtype == bool and result.mask.shape == image.shape[:2]
    np.testing.assert_array_equal(result.mask, figure)  # hole filled, specks dropped
    assert result.threshold == 20.0
    assert result.distance.dtype == np.uint8 and result.distance.shape == image.shape[:2]
    assert len(result.palette) == 16


def test_relative_band_and_kmeans_also_find_it():
    image, figure = runway_scene(seed=5)
    for kwargs in (dict(band="relative"), dict(sampler="kmeans"), dict(vote="majority"),
                   dict(band="relative", threshold=0.2, vote=0.25)):
        result = remove_background(image, **kwargs)
        np.testing.assert_array_equal(result.mask, figure, err_msg=str(kwargs))
    assert remove_background(image, band="relative").threshold == 0.4


def test_result_parts_are_consistent(scene):
    image, _ = scene
    result = remove_background(image, threshold=12, seed=3)
    pal = sample_palette(image, PaletteParams(seed=3))
    np.testing.assert_array_equal(result.palette.colors, pal.colors)
    np.testing.assert_array_equal(result.distance, distance_map(image, pal.colors))
    np.testing.assert_array_equal(result.background, in_band(result.distance, 12))
    # The figure never includes a background pixel except inside filled holes: every
    # background pixel it keeps is enclosed by figure pixels.
    kept_bg = result.mask & result.background
    assert not kept_bg[0].any() and not kept_bg[-1].any()
    assert not kept_bg[:, 0].any() and not kept_bg[:, -1].any()


def test_figure_selection_can_be_switched_off(scene):
    image, figure = scene
    raw = remove_background(image, keep_largest=False, fill_holes=False)
    np.testing.assert_array_equal(raw.mask, ~raw.background)
    assert (raw.mask & ~figure).any()   # the specks are back
    assert (figure & ~raw.mask).any()   # and the hole is open again


def test_threshold_zero_keeps_more_than_a_wide_band(scene):
    image, _ = scene
    loose = remove_background(image, threshold=0, keep_largest=False, fill_holes=False)
    tight = remove_background(image, threshold=60, keep_largest=False, fill_holes=False)
    assert not (tight.mask & ~loose.mask).any()  # background grows with the threshold
    assert loose.mask.sum() > tight.mask.sum()


def test_seeded_runs_repeat(scene):
    image, _ = scene
    a = remove_background(image, seed=11)
    b = remove_background(image, seed=11)
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.distance, b.distance)
    c = remove_background(image, seed=12)
    assert not np.array_equal(a.palette.points, c.palette.points)


def test_remove_entry_point_matches(scene):
    image, _ = scene
    method = PaletteMethod(mask=MaskParams(threshold=15, band="absolute", vote="majority"))
    got = remove(image, method)
    ref = remove_background(image, threshold=15, vote="majority")
    np.testing.assert_array_equal(got.mask, ref.mask)
    assert got.threshold == 15 and got.method == "palette"
    np.testing.assert_array_equal(got.details["distance"], ref.distance)
    by_name = remove(image, "palette", mask=MaskParams(threshold=15, vote="majority"))
    np.testing.assert_array_equal(by_name.mask, ref.mask)


def test_other_layouts_are_converted(scene):
    image, figure = scene
    rgba = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    np.testing.assert_array_equal(remove_background(rgba).mask, figure)
    floats = image.astype(np.float64) / 255
    np.testing.assert_array_equal(remove_background(floats).mask, figure)


def test_bad_arrays_are_refused():
    with pytest.raises(InvalidImageError):
        remove_background(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(InvalidImageError, match="narrower"):
        remove_background(np.zeros((100, 40, 3), np.uint8))  # strips of 5 px < 9
    with pytest.raises(ValueError):
        remove_background(np.zeros((100, 100, 3), np.uint8), band="hsv")


def test_ccp_photos_figure_is_central(ccp_photos):
    """On real photos the figure sits in the middle: the mask fills the centre third far
    more than the edge strips (which are background by the method's assumption)."""
    for path in ccp_photos:
        image = read_image(path)
        mask = remove_background(image).mask
        w = image.shape[1]
        centre = mask[:, w // 3: 2 * w // 3].mean()
        strips = np.concatenate([mask[:, : w // 8], mask[:, -(w // 8):]], axis=1).mean()
        assert centre > 0.2 and centre > 3 * strips, path.name
