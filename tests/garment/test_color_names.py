"""Colour names measured against the XKCD colour survey (issue 13, point 17): light muted
purples are lilac, not silver; off-whites in shade stay white; vivid blues are blue."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwaycut.evaluation.color_names import (family_agreement, head_family, shade,
                                              survey_families)
from runwaycut.garment.colors import COLOR_NAMES, garment_colors

#: Survey names whose values the table took (left out of the agreement it is held to).
SURVEY_TAKEN = ("violet", "dark purple", "magenta", "cobalt", "electric blue", "powder blue",
                "off white", "gold")


def fabric(value: str, light: float = 1.0, shape=(90, 60), seed=0) -> np.ndarray:
    """A garment of one colour under ``light`` (linear), with sensor noise and a gentle
    shading ramp."""
    rgb = shade(np.array([int(value[i:i + 2], 16) for i in (1, 3, 5)], np.uint8), light)
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-5, 5, shape[0])[:, None, None]
    img = rgb.astype(np.float64) + ramp + rng.normal(0, 3, shape + (3,))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def named(value: str, light: float = 1.0):
    img = fabric(value, light)
    (colour,) = garment_colors(img, np.ones(img.shape[:2], bool))
    return colour.name, colour.family


@pytest.mark.parametrize("value", ["#c8a2c8", "#b9a9c4", "#cbc3e3"])
@pytest.mark.parametrize("light", [1.0, 0.8, 0.6])
def test_lilac_is_lilac_not_silver(value, light):
    # A lilac jumpsuit, as bright as the reference and in a photo's shade.
    assert named(value, light) == ("lilac", "purple")


@pytest.mark.parametrize("light", [1.0, 0.8, 0.6])
def test_ivory_in_shade_stays_white(light):
    name, family = named("#fffff0", light)
    assert family == "white" and name == "ivory"


@pytest.mark.parametrize("survey_name", ["strong blue", "primary blue", "cobalt blue",
                                         "true blue", "pure blue"])
def test_vivid_blues_are_blue_not_charcoal(survey_name):
    from matplotlib._color_data import XKCD_COLORS

    name, family = named(XKCD_COLORS["xkcd:" + survey_name])
    assert family == "blue", name


def test_agreement_with_the_survey():
    # Held to the measured agreement (benchmarks/bench_color_names.py): 84.9%, 83.2% and
    # 73.7% of the 696 held-out survey colours; the 47-name table at kL = 1 scored 81.3%,
    # 76.6% and 62.5%; the new table at kL = 1 83.8%, 80.2% and 66.8%.
    colours = survey_families(exclude=SURVEY_TAKEN)
    assert len(colours) == 696
    assert family_agreement(colours, 1.0).share >= 0.845
    assert family_agreement(colours, 0.6).share >= 0.825
    assert family_agreement(colours, 0.35).share >= 0.73


def test_survey_families():
    assert head_family("dusty rose") == "pink" and head_family("pale lilac") == "purple"
    assert head_family("greenish") is None and head_family("blue/green") is None
    families = {c.family for c in survey_families()}
    assert families == {family for _, family, _ in COLOR_NAMES}


@settings(max_examples=50, deadline=None)
@given(rgb=st.tuples(*[st.integers(0, 255)] * 3), light=st.floats(0.05, 1.0))
def test_shade_keeps_the_surface_and_darkens(rgb, light):
    rgb = np.array(rgb, np.uint8)
    np.testing.assert_array_equal(shade(rgb, 1.0), rgb)
    darker = shade(rgb, light).astype(int)
    assert (darker <= rgb.astype(int)).all()
    # Less light darkens every channel alike in linear light: channel order is kept.
    order = np.argsort(rgb, kind="stable")
    assert (np.diff(darker[order]) >= 0).all()
