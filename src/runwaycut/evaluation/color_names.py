"""How well the garment's colour names agree with a published colour-name set.

The XKCD colour survey (R. Munroe, 2010: 949 names that about 220,000 people gave to
screen colours; matplotlib ships it as ``matplotlib._color_data.XKCD_COLORS``) names
most colours by a head word that is a basic colour term or a fashion word for one:
"dusty *rose*", "pale *lilac*", "dark *teal*". :func:`survey_families` keeps the
colours whose head word says the family (703 of 949) and :func:`family_agreement`
counts how often :func:`runwaycut.garment.colors.name_color` gives that family, for the
colour as the survey shows it and shaded (the same surface under less light, as a
fabric in a photo's shadows: linear RGB scaled, :func:`shade`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ..garment.colors import name_color, rgb_to_lab

#: The eleven basic colour terms (Berlin and Kay), the families of the names.
BASIC_TERMS = ("black", "white", "grey", "red", "orange", "yellow", "green", "blue",
               "purple", "pink", "brown")

#: Head words that are not basic terms, by the family they belong to. Words whose
#: family is disputed (mauve, salmon, indigo, periwinkle, aquamarine, sienna, ochre)
#: are left out.
HEAD_FAMILIES = {
    "gray": "grey",
    "teal": "blue", "turquoise": "blue", "aqua": "blue", "cyan": "blue", "navy": "blue",
    "lavender": "purple", "lilac": "purple", "violet": "purple", "plum": "purple",
    "eggplant": "purple",
    "magenta": "pink", "fuchsia": "pink", "rose": "pink",
    "tan": "brown", "beige": "brown", "khaki": "brown", "taupe": "brown",
    "chocolate": "brown", "umber": "brown",
    "olive": "green", "sage": "green", "mint": "green", "lime": "green", "seafoam": "green",
    "maroon": "red", "burgundy": "red", "wine": "red", "crimson": "red", "scarlet": "red",
    "peach": "orange", "coral": "orange",
    "cream": "white", "ivory": "white",
    "gold": "yellow", "mustard": "yellow",
}


@dataclass(frozen=True)
class SurveyColor:
    """One survey colour with a known family."""

    name: str
    rgb: tuple[int, int, int]
    family: str


def head_family(name: str) -> str | None:
    """The family a survey name's head (last) word says, or None."""
    head = name.split()[-1]
    if "/" in head:
        return None
    return head if head in BASIC_TERMS else HEAD_FAMILIES.get(head)


def survey_families(exclude: Iterable[str] = ()) -> list[SurveyColor]:
    """The XKCD survey's colours whose name says their family.

    Parameters
    ----------
    exclude : iterable of str
        Survey names to leave out (e.g. those whose values a name table took, so that
        a table is not scored on its own entries).
    """
    from matplotlib._color_data import XKCD_COLORS

    skip = set(exclude)
    out = []
    for key, value in XKCD_COLORS.items():
        name = key.removeprefix("xkcd:")
        family = head_family(name)
        if family is None or name in skip:
            continue
        rgb = tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
        out.append(SurveyColor(name, rgb, family))
    return out


def shade(rgb: np.ndarray, light: float) -> np.ndarray:
    """sRGB colours of the same surfaces under ``light`` times the light.

    Parameters
    ----------
    rgb : (..., 3) uint8 array
    light : float
        Factor on linear-light RGB (1: unchanged; 0.6: a shadow).

    Returns
    -------
    shaded : (..., 3) uint8 array
    """
    c = np.asarray(rgb, np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) * light
    out = np.where(linear <= 0.0031308, 12.92 * linear,
                   1.055 * np.power(np.maximum(linear, 0), 1 / 2.4) - 0.055)
    return np.clip(np.round(out * 255), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Agreement:
    """Family agreement with the survey: ``share`` of ``total`` colours, and the most
    common disagreements as ``((survey family, given family), count)``."""

    share: float
    total: int
    confusions: list


def family_agreement(colors: list[SurveyColor], light: float = 1.0,
                     namer: Callable[[np.ndarray], tuple[str, str]] = name_color) -> Agreement:
    """Share of survey colours (shaded by ``light``) that ``namer`` puts in the
    survey's family.

    Parameters
    ----------
    colors : list of SurveyColor
        From :func:`survey_families`.
    light : float
        Shading of each colour (:func:`shade`).
    namer : callable
        Lab colour -> (name, family); :func:`runwaycut.garment.colors.name_color`.
    """
    rgb = shade(np.array([c.rgb for c in colors], np.uint8), light)
    lab = rgb_to_lab(rgb).astype(np.float64)
    confusions: Counter = Counter()
    agree = 0
    for colour, value in zip(colors, lab):
        family = namer(value)[1]
        if family == colour.family:
            agree += 1
        else:
            confusions[(colour.family, family)] += 1
    return Agreement(agree / max(len(colors), 1), len(colors), confusions.most_common(8))


__all__ = ["Agreement", "BASIC_TERMS", "HEAD_FAMILIES", "SurveyColor", "family_agreement",
           "head_family", "shade", "survey_families"]
