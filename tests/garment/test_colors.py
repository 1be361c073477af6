"""The garment's colours: clustering in Lab, shares and names, on garments of known colour."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from runwaycut.errors import InvalidImageError
from runwaycut.garment.colors import (
    COLOR_NAMES,
    ColorParams,
    colors_json,
    distinct_colours,
    garment_colors,
    kmeans,
    lab_to_rgb,
    name_color,
    nearest_centre,
    rgb_to_lab,
)


def _hex(value: str) -> np.ndarray:
    value = value.lstrip("#")
    return np.array([int(value[i:i + 2], 16) for i in (0, 2, 4)], np.uint8)


def fabric(color, shape=(120, 80), noise=4.0, seed=0) -> np.ndarray:
    """A patch of one colour with sensor noise (and a gentle shading ramp)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    shade = np.linspace(-6, 6, h)[:, None, None]
    img = np.asarray(color, np.float64)[None, None, :] + shade + rng.normal(0, noise, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def test_every_table_colour_is_named_by_itself():
    # The table has no duplicate or shadowed entry: each is its own nearest name.
    for name, family, value in COLOR_NAMES:
        assert name_color(rgb_to_lab(_hex(value))) == (name, family)


def test_table_families_are_basic_colour_terms():
    basic = {"black", "white", "grey", "red", "orange", "yellow", "green", "blue", "purple",
             "pink", "brown"}
    assert {family for _, family, _ in COLOR_NAMES} <= basic
    assert len({name for name, _, _ in COLOR_NAMES}) == len(COLOR_NAMES)


def test_lab_round_trip():
    rgb = np.random.default_rng(1).integers(0, 256, (500, 3), dtype=np.uint8)
    back = lab_to_rgb(rgb_to_lab(rgb))
    assert np.abs(back.astype(int) - rgb.astype(int)).max() <= 1


@pytest.mark.parametrize("colour, name", [((200, 30, 40), "red"), ((28, 40, 72), "navy"),
                                          ((245, 245, 240), "white"), ((20, 20, 22), "black"),
                                          ((195, 155, 107), "camel"), ((79, 109, 143), "denim"),
                                          ((255, 190, 200), "pink"), ((34, 139, 34), "green")])
def test_one_colour_garment(colour, name):
    img = fabric(colour)
    colours = garment_colors(img, np.ones(img.shape[:2], bool))
    assert len(colours) == 1
    c = colours[0]
    assert c.name == name
    assert c.share == pytest.approx(1.0)
    # The reported colour is the fabric's mean colour (noise averages out).
    assert np.abs(np.array(c.rgb) - np.array(colour)).max() <= 4


def test_two_colour_stripes_shares_and_order():
    h, w = 100, 100
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :] = fabric((28, 40, 72), (h, w), seed=2)       # navy
    img[:, 70:] = fabric((245, 245, 240), (h, 30), seed=3)  # white, 30% of the width
    colours = garment_colors(img, np.ones((h, w), bool))
    assert [c.name for c in colours] == ["navy", "white"]
    assert colours[0].share == pytest.approx(0.7, abs=0.02)
    assert colours[1].share == pytest.approx(0.3, abs=0.02)
    assert sum(c.share for c in colours) == pytest.approx(1.0)


def test_only_masked_pixels_count():
    img = fabric((200, 30, 40), (80, 80))
    img[:, 40:] = fabric((34, 139, 34), (80, 40), seed=5)
    mask = np.zeros((80, 80), bool)
    mask[:, :40] = True  # the red half only: the green half is skin, bag, background...
    colours = garment_colors(img, mask)
    assert [c.name for c in colours] == ["red"]


def test_small_colours_are_dropped_and_shares_renormalised():
    img = fabric((28, 40, 72), (100, 100))
    img[:2, :] = (255, 255, 0)  # a 2% yellow trim, under min_share
    colours = garment_colors(img, np.ones((100, 100), bool), ColorParams(min_share=0.05))
    assert [c.name for c in colours] == ["navy"]
    assert colours[0].share == pytest.approx(1.0)
    kept = garment_colors(img, np.ones((100, 100), bool), ColorParams(min_share=0.01))
    assert {c.name for c in kept} == {"navy", "yellow"}


def test_shading_of_one_fabric_merges():
    # One camel coat lit from above: 40 levels of shading, one colour reported.
    h = 120
    ramp = np.linspace(-20, 20, h)[:, None, None]
    img = np.clip(np.array([193, 154, 107])[None, None] + ramp
                  + np.zeros((h, 60, 3)), 0, 255).astype(np.uint8)
    colours = garment_colors(img, np.ones(img.shape[:2], bool))
    assert [c.name for c in colours] == ["camel"]


def test_empty_mask_gives_no_colours():
    img = fabric((200, 30, 40), (20, 20))
    assert garment_colors(img, np.zeros((20, 20), bool)) == []
    doc = json.loads(colors_json([], garment_pixels=0))
    assert doc["colors"] == [] and doc["garment_pixels"] == 0


def test_colours_depend_on_the_masked_pixels_not_on_where_they_are():
    # The same fabric pixels, cut into tiles and shuffled across the photo (the mask
    # moved with them), and surrounded by other unmasked colours, give the colours and
    # shares computed from the pixels themselves: 60% red, 40% navy.
    rng = np.random.default_rng(7)
    img = np.concatenate([fabric((200, 30, 40), (60, 100), seed=1),
                          fabric((28, 40, 72), (40, 100), seed=2)])
    tiles = img.reshape(10, 10, 10, 10, 3).swapaxes(1, 2).reshape(100, 10, 10, 3)
    order = rng.permutation(100)
    shuffled = tiles[order].reshape(10, 10, 10, 10, 3).swapaxes(1, 2).reshape(100, 100, 3)
    framed = np.full((140, 140, 3), (40, 200, 60), np.uint8)  # green, outside the mask
    framed[20:120, 20:120] = shuffled
    mask = np.zeros((140, 140), bool)
    mask[20:120, 20:120] = True
    for colours in (garment_colors(img, np.ones((100, 100), bool)),
                    garment_colors(framed, mask)):
        assert [c.name for c in colours] == ["red", "navy"]
        assert [c.share for c in colours] == pytest.approx([0.6, 0.4], abs=0.02)


def test_json_document():
    img = fabric((200, 30, 40), (50, 50))
    colours = garment_colors(img, np.ones((50, 50), bool))
    doc = json.loads(colors_json(colours, garment_pixels=2500, extra={"photo": "x.jpg"}))
    (c,) = doc["colors"]
    assert c["name"] == "red" and c["family"] == "red"
    assert c["hex"] == "#{:02x}{:02x}{:02x}".format(*c["rgb"])
    assert len(c["lab"]) == 3 and c["share"] == 1.0
    assert doc["garment_pixels"] == 2500 and doc["photo"] == "x.jpg"
    assert doc["params"]["max_colors"] == ColorParams().max_colors


def test_bad_input():
    img = fabric((1, 2, 3), (10, 10))
    with pytest.raises(InvalidImageError):
        garment_colors(img, np.ones((10, 11), bool))
    with pytest.raises(InvalidImageError):
        garment_colors(img.astype(np.float32), np.ones((10, 10), bool))
    with pytest.raises(ValueError):
        ColorParams(max_colors=0)
    with pytest.raises(ValueError):
        ColorParams(min_share=1.0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 8), fill=st.floats(0.05, 1.0))
def test_shares_add_up_and_are_bounded(seed, k, fill):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    mask = rng.random((40, 40)) < fill
    if not mask.any():
        mask[0, 0] = True
    colours = garment_colors(img, mask, ColorParams(max_colors=k))
    assert 1 <= len(colours) <= k
    assert sum(c.share for c in colours) == pytest.approx(1.0)
    assert all(0 < c.share <= 1 for c in colours)
    assert [c.share for c in colours] == sorted((c.share for c in colours), reverse=True)
    assert len({c.name for c in colours}) == len(colours)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(1, 12), st.integers(1, 8))
def test_distinct_colours_counts_like_unique_up_to_the_limit(seed, n, levels, limit):
    rng = np.random.default_rng(seed)
    pixels = (rng.integers(0, levels, (n, 3)) * 23).astype(np.uint8)
    assert distinct_colours(pixels, limit) == min(limit, len(np.unique(pixels, axis=0)))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 200), st.integers(1, 7))
def test_nearest_centre_is_the_argmin_of_the_distances(seed, n, k):
    rng = np.random.default_rng(seed)
    lab = rng.integers(-5, 5, (n, 3)).astype(np.float64)  # (integers: ties happen)
    centres = rng.integers(-5, 5, (k, 3)).astype(np.float64)
    expected = np.argmin(((lab[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert np.array_equal(nearest_centre(lab, centres), expected)


def test_garment_runs_start_without_scikit_learn():
    # Importing scikit-learn costs about 1.4 s (SciPy's statistics): the garment and
    # item targets and the palette's k-means sampler cluster colours with OpenCV's
    # k-means instead (runwaycut.note.kmeans).
    code = ("import sys\n"
            "import numpy as np\n"
            "from runwaycut.batch.targets import TARGETS\n"
            "from runwaycut.methods.auto import AutoMethod\n"
            "from runwaycut.note.palette import PaletteParams, sample_palette\n"
            "TARGETS['items'].wrap(AutoMethod())\n"
            "import runwaycut.garment.colors, runwaycut.garment.items\n"
            "image = np.random.default_rng(0).integers(0, 255, (60, 80, 3)).astype(np.uint8)\n"
            "assert len(sample_palette(image, PaletteParams(sampler='kmeans'))) == 16\n"
            "print('sklearn' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.split()[-1] == "False"
