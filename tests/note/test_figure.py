"""Figure selection: the largest 8-connected region, its holes filled."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage as ndi

from runwaycut.note.figure import FigureParams, fill_holes, largest_component, select_figure

EIGHT = np.ones((3, 3), bool)

masks = st.integers(1, 30).flatmap(
    lambda h: st.integers(1, 30).flatmap(
        lambda w: arrays(bool, (h, w), elements=st.booleans())))


def sparse_masks(draw_seed: int, h: int, w: int, density: float) -> np.ndarray:
    return np.random.default_rng(draw_seed).random((h, w)) < density


@settings(max_examples=200, deadline=None)
@given(mask=masks)
def test_largest_component_is_one_whole_largest_region(mask):
    got = largest_component(mask)
    assert got.dtype == bool and got.shape == mask.shape
    labels, n = ndi.label(mask, structure=EIGHT)
    if n == 0:
        assert not got.any()
        return
    sizes = np.bincount(labels.ravel())[1:]
    assert got.sum() == sizes.max()
    assert not (got & ~mask).any()                       # inside the mask
    assert ndi.label(got, structure=EIGHT)[1] == 1       # one region ...
    assert len(np.unique(labels[got])) == 1              # ... and a whole one


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(5, 60), w=st.integers(5, 60),
       density=st.floats(0.2, 0.7))
def test_largest_component_on_random_fields(seed, h, w, density):
    mask = sparse_masks(seed, h, w, density)
    labels, n = ndi.label(mask, structure=EIGHT)
    got = largest_component(mask)
    if n:
        assert got.sum() == np.bincount(labels.ravel())[1:].max()
        assert ndi.label(got, structure=EIGHT)[1] == 1


@settings(max_examples=200, deadline=None)
@given(mask=masks)
def test_fill_holes_equals_scipy(mask):
    # Holes of an 8-connected figure: background regions (4-connected) off the border.
    np.testing.assert_array_equal(fill_holes(mask), ndi.binary_fill_holes(mask))


@settings(max_examples=100, deadline=None)
@given(mask=masks)
def test_fill_holes_invariants(mask):
    filled = fill_holes(mask)
    assert not (mask & ~filled).any()                    # only adds pixels
    np.testing.assert_array_equal(fill_holes(filled), filled)  # idempotent
    # Every added pixel is enclosed: it cannot reach the border through non-mask pixels.
    labels = ndi.label(np.pad(~mask, 1, constant_values=True))[0]  # 4-connected
    reaches_border = labels[1:-1, 1:-1] == labels[0, 0]
    assert not (filled & ~mask & reaches_border).any()


def test_select_figure_keeps_the_figure_and_drops_specks():
    mask = np.zeros((60, 50), bool)
    mask[10:50, 15:35] = True          # the figure
    mask[25:30, 20:30] = False         # a background-coloured patch inside it
    mask[2:4, 2:4] = True              # a speck
    mask[55:58, 40:49] = True          # a stray region
    figure = select_figure(mask)
    expected = np.zeros_like(mask)
    expected[10:50, 15:35] = True
    np.testing.assert_array_equal(figure, expected)
    # Each step can be switched off.
    np.testing.assert_array_equal(select_figure(mask, FigureParams(False, False)), mask)
    no_fill = select_figure(mask, FigureParams(keep_largest=True, fill_holes=False))
    np.testing.assert_array_equal(no_fill, expected & mask)
    all_filled = select_figure(mask, FigureParams(keep_largest=False, fill_holes=True))
    np.testing.assert_array_equal(all_filled, mask | expected)


def test_diagonal_pixels_are_one_region():
    mask = np.eye(6, dtype=bool)
    mask[0, 5] = True
    np.testing.assert_array_equal(largest_component(mask), np.eye(6, dtype=bool))


def test_a_gap_at_the_border_is_not_a_hole():
    mask = np.ones((10, 10), bool)
    mask[3:7, 0:5] = False             # notch open to the left border
    np.testing.assert_array_equal(fill_holes(mask), mask)
    mask[3:7, 0] = True                # now closed
    assert fill_holes(mask).all()


def test_empty_mask():
    empty = np.zeros((8, 9), bool)
    assert not largest_component(empty).any()
    assert not select_figure(empty).any()
