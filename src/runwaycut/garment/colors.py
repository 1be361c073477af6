"""The garment's colours: dominant colours of the garment pixels, with shares and names.

The question a fashion analyst asks of a runway photo: *what colours is this look?*
:func:`garment_colors` answers it from the photo and a garment mask (see
:mod:`runwaycut.garment`):

1. up to ``sample`` garment pixels are drawn (seeded) and converted to CIE Lab (D65);
2. k-means (``max_colors`` clusters, greedy k-means++ start, seeded;
   :func:`runwaycut.note.kmeans.kmeans`) groups them;
3. clusters closer than ``merge_delta_e`` (CIEDE2000) are merged, closest pair first
   (shading splits one fabric into light and dark halves), and clusters holding less
   than ``min_share`` of the pixels are dropped, their pixels going to the nearest
   cluster kept;
4. each cluster gets the name of the nearest entry of :data:`COLOR_NAMES` (CIEDE2000
   with lightness weighted half, ``kL = 2``) and clusters of the same name are merged.

Colour names
------------
:data:`COLOR_NAMES` is a small table of 56 colour names common in fashion writing,
each with one representative sRGB value and its *family*, one of the eleven basic
colour terms of Berlin and Kay (black, white, grey, red, orange, yellow, green, blue,
purple, pink, brown). Where a CSS Color Module Level 4 named colour exists for the name
its value is used (``navy`` excepted: CSS navy, ``#000080``, is a saturated blue no
fabric shows; the table's navy is a dyed-cloth navy); the others (``charcoal``,
``camel``, ``denim``, ``burgundy``, ``mustard``...) take common reference values, and
the names added after the survey below take the survey's value (``lilac`` the common
reference ``#c8a2c8``: the survey's is a bright screen lilac). A colour is named by its
nearest entry, so the table's density decides how fine names are; it is meant to be
read, not to be a colorimetric standard.

How well the names agree with people's: the XKCD colour survey (Munroe, 2010; 949
names, shipped with matplotlib) names 703 colours by a head word that is a basic term
or maps to one ("dusty *rose*" pink, "pale *lilac*" purple). The family given here
agrees with the survey's for 81.2% of them with the 47-name table and ``kL = 1``; with
the table above and ``kL = 2``, 84.9% of the 696 colours whose names were not taken
into the table; for the same colours shaded in linear light to 60% (as a fabric in a
photo's shadows), 76.6% -> 83.2%, and to 35%, 62.5% -> 73.7%
(``python benchmarks/bench_color_names.py``; :mod:`runwaycut.evaluation.color_names`).
Systematically off before: light muted purples named grey (a lilac "silver"),
off-whites in shade named "khaki" or "sage", vivid blues named "charcoal", vivid purples
"fuchsia".

References
----------
B. Berlin, P. Kay, *Basic Color Terms*, 1969. R. Munroe, "Color survey results", 2010
(xkcd.com/color/rgb). F. J. J. Clarke, R. McDonald, B. Rigg, "Modification to the
JPC79 colour-difference formula" (CMC), JSDC 100, 1984. CSS Color Module Level 4, named colours.
G. Sharma, W. Wu, E. Dalal, "The CIEDE2000 color-difference formula", 2005.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000

from ..note.kmeans import kmeans
from .checks import mask_of, rgb_image

#: (name, family, sRGB hex) of every colour name; see the module notes.
COLOR_NAMES: tuple[tuple[str, str, str], ...] = (
    ("black", "black", "#000000"),
    ("charcoal", "grey", "#36454f"),
    ("dark grey", "grey", "#555555"),
    ("grey", "grey", "#808080"),
    ("silver", "grey", "#c0c0c0"),
    ("light grey", "grey", "#d3d3d3"),
    ("white", "white", "#ffffff"),
    ("ivory", "white", "#fffff0"),
    ("cream", "white", "#fffdd0"),
    ("beige", "brown", "#f5f5dc"),
    ("tan", "brown", "#d2b48c"),
    ("camel", "brown", "#c19a6b"),
    ("khaki", "brown", "#c3b091"),
    ("taupe", "brown", "#483c32"),
    ("brown", "brown", "#8b4513"),
    ("chocolate", "brown", "#5c3317"),
    ("rust", "orange", "#b7410e"),
    ("red", "red", "#cc1f1f"),
    ("crimson", "red", "#dc143c"),
    ("burgundy", "red", "#800020"),
    ("maroon", "red", "#800000"),
    ("coral", "orange", "#ff7f50"),
    ("orange", "orange", "#ffa500"),
    ("burnt orange", "orange", "#cc5500"),
    ("peach", "orange", "#ffdab9"),
    ("mustard", "yellow", "#e1ad01"),
    ("yellow", "yellow", "#f5e050"),
    ("olive", "green", "#808000"),
    ("sage", "green", "#9caf88"),
    ("mint", "green", "#98ff98"),
    ("green", "green", "#228b22"),
    ("dark green", "green", "#006400"),
    ("teal", "blue", "#008080"),
    ("turquoise", "blue", "#40e0d0"),
    ("navy", "blue", "#1b2a4a"),
    ("denim", "blue", "#4f6d8f"),
    ("blue", "blue", "#1f5fbf"),
    ("royal blue", "blue", "#4169e1"),
    ("sky blue", "blue", "#87ceeb"),
    ("light blue", "blue", "#add8e6"),
    ("purple", "purple", "#800080"),
    ("plum", "purple", "#8e4585"),
    ("lavender", "purple", "#b57edc"),
    ("pink", "pink", "#ffc0cb"),
    ("hot pink", "pink", "#ff69b4"),
    ("dusty rose", "pink", "#c08081"),
    ("fuchsia", "pink", "#ff00ff"),
    # Added after measuring the naming against the XKCD colour survey (see the notes):
    # light muted purples were named grey ("silver"), vivid blues "charcoal", vivid
    # purples "fuchsia", off-whites "beige".
    ("lilac", "purple", "#c8a2c8"),
    ("violet", "purple", "#9a0eea"),
    ("dark purple", "purple", "#35063e"),
    ("magenta", "pink", "#c20078"),
    ("cobalt", "blue", "#1e488f"),
    ("electric blue", "blue", "#0652ff"),
    ("powder blue", "blue", "#b1d1fc"),
    ("off-white", "white", "#ffffe4"),
    ("gold", "yellow", "#dbb40c"),
)

#: Weight of lightness differences in naming: CIEDE2000's parametric factor ``kL``.
#: 2 is the textile industry's setting (lightness differences count half, as in CMC
#: l:c = 2:1), and suits photos, where shading darkens a fabric far more than it
#: changes its hue.
NAME_KL = 2.0


@dataclass(frozen=True)
class ColorParams:
    """How the dominant colours are found.

    Attributes
    ----------
    max_colors : int
        k of the k-means clustering: the most colours reported.
    min_share : float
        Smallest share of the garment a colour may hold; smaller clusters are dropped
        and their pixels go to the nearest cluster kept.
    merge_delta_e : float
        Clusters closer than this CIEDE2000 difference are merged.
    sample : int
        Most garment pixels clustered (drawn at random, seeded). 8,000 takes half the
        time of 20,000 (13.5 against 25.5 ms a garment) and agrees with it as closely
        as 20,000 agrees with itself under another seed (on 60 CCP garments, hand-labelled:
        share overlap 0.91 against 0.92; the same top colour in 97% against 93%).
    seed : int
        Seed of the pixel draw and of k-means.
    """

    max_colors: int = 6
    min_share: float = 0.05
    merge_delta_e: float = 10.0
    sample: int = 8000
    seed: int = 0

    def __post_init__(self):
        if self.max_colors < 1:
            raise ValueError(f"max_colors must be at least 1, got {self.max_colors}")
        if not 0 <= self.min_share < 1:
            raise ValueError(f"min_share must lie in [0, 1), got {self.min_share}")
        if self.merge_delta_e < 0:
            raise ValueError(f"merge_delta_e must be >= 0, got {self.merge_delta_e}")
        if self.sample < 1:
            raise ValueError(f"sample must be at least 1, got {self.sample}")


@dataclass(frozen=True)
class GarmentColor:
    """One dominant colour of a garment.

    Attributes
    ----------
    rgb : (int, int, int)
        Mean colour of its pixels, 8-bit sRGB.
    lab : (float, float, float)
        The same in CIE Lab (D65).
    share : float
        Fraction of the garment's pixels (the shares of a photo's colours add up to 1).
    name, family : str
        Nearest entry of :data:`COLOR_NAMES` and its basic colour term.
    """

    rgb: tuple[int, int, int]
    lab: tuple[float, float, float]
    share: float
    name: str
    family: str

    @property
    def hex(self) -> str:
        """``#rrggbb``."""
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)

    def as_dict(self) -> dict:
        # (spelled out: dataclasses.asdict deep-copies, 15 us a colour, 20 colours a photo)
        return {"rgb": [int(v) for v in self.rgb], "lab": [round(float(v), 2) for v in self.lab],
                "share": round(float(self.share), 4), "name": self.name,
                "family": self.family, "hex": self.hex}


def _hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE Lab (D65, float32) of ``(..., 3) uint8`` sRGB colours."""
    rgb = np.asarray(rgb, np.uint8)
    # One row of pixels: OpenCV converts row by row, and a column of one-pixel rows
    # took 6 times as long (14.3 against 2.3 ms for a 416x274 photo; same values).
    flat = rgb.reshape(1, -1, 3).astype(np.float32) * np.float32(1 / 255)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(rgb.shape).astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """8-bit sRGB of CIE Lab colours (clipped to the sRGB gamut)."""
    lab = np.asarray(lab, np.float32)
    flat = cv2.cvtColor(lab.reshape(1, -1, 3), cv2.COLOR_Lab2RGB)
    return np.clip(np.round(flat * 255), 0, 255).astype(np.uint8).reshape(lab.shape)


@lru_cache(maxsize=1)
def _table_lab() -> np.ndarray:
    """The Lab colours of :data:`COLOR_NAMES`, float64, on first use: not at import,
    where OpenCV 5's first conversion would start its thread pool in a process that may
    yet fork batch workers (:func:`runwaycut.batch.workers._single_threaded`)."""
    return rgb_to_lab(np.array([_hex_to_rgb(h) for _, _, h in COLOR_NAMES],
                               np.uint8)).astype(np.float64)


def name_color(lab: np.ndarray) -> tuple[str, str]:
    """Name and family of the :data:`COLOR_NAMES` entry nearest a Lab colour.

    Parameters
    ----------
    lab : (3,) float array
        CIE Lab (D65).

    Returns
    -------
    name, family : str

    Examples
    --------
    >>> name_color(rgb_to_lab(np.array([10, 12, 15], np.uint8)))
    ('black', 'black')
    """
    return name_colors(np.asarray(lab, np.float64)[None])[0]


def name_colors(labs: np.ndarray) -> list[tuple[str, str]]:
    """:func:`name_color` of several Lab colours at once (one CIEDE2000 evaluation of
    every colour against the whole table).

    Parameters
    ----------
    labs : (K, 3) float array

    Returns
    -------
    names : list of (name, family)
    """
    labs = np.asarray(labs, np.float64).reshape(-1, 3)
    if not len(labs):
        return []
    table = _table_lab()
    d = deltaE_ciede2000(np.repeat(labs, len(table), axis=0), np.tile(table, (len(labs), 1)),
                         kL=NAME_KL).reshape(len(labs), len(table))
    return [COLOR_NAMES[int(i)][:2] for i in np.argmin(d, axis=1)]


def garment_colors(image: np.ndarray, mask: np.ndarray,
                   params: ColorParams = ColorParams()) -> list[GarmentColor]:
    """The dominant colours of the masked pixels of a photo, largest share first.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    mask : (H, W) bool array
        The garment pixels.
    params : ColorParams

    Returns
    -------
    colors : list of GarmentColor
        At most ``params.max_colors``, shares adding up to 1; empty when the mask is
        empty.

    Raises
    ------
    InvalidImageError
        For an image that is not ``(H, W, 3) uint8`` or a mask of another size.

    Examples
    --------
    >>> img = np.zeros((20, 20, 3), np.uint8); img[:, :14] = (200, 30, 40)
    >>> img[:, 14:] = (250, 250, 250)
    >>> [(c.name, round(c.share, 2)) for c in garment_colors(img, np.ones((20, 20), bool))]
    [('red', 0.7), ('white', 0.3)]
    """
    image = rgb_image(image)
    mask = mask_of(mask, image, "mask")
    centres, counts = colour_clusters(image, np.flatnonzero(mask), params)
    return named_colours(centres, counts, name_colors(centres))


def colour_clusters(image: np.ndarray, index: np.ndarray,
                    params: ColorParams = ColorParams()) -> tuple[np.ndarray, np.ndarray]:
    """The colour clusters of :func:`garment_colors`, before they are named, of the pixels
    at flat indices ``index`` (increasing, as ``np.flatnonzero`` gives them) of an
    ``(H, W, 3) uint8`` photo: the same draw of ``params.sample`` of them.

    Returns
    -------
    centres : (K, 3) float64 array
        Lab means, K <= ``params.max_colors`` (0 for no pixels).
    counts : (K,) float64 array
        Pixels drawn in each.
    """
    if len(index) == 0:
        return np.zeros((0, 3)), np.zeros(0)
    rng = np.random.default_rng(params.seed)
    if len(index) > params.sample:
        index = index[rng.choice(len(index), params.sample, replace=False)]
    pixels = image.reshape(-1, 3)[index]  # (only the pixels drawn are gathered)
    lab = rgb_to_lab(pixels).astype(np.float64)
    k = distinct_colours(pixels, params.max_colors)
    centres, labels = kmeans(lab, k, params.seed)
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    centres, counts = _merge_close(centres, counts, params.merge_delta_e)
    keep = counts >= params.min_share * counts.sum()
    if not keep.any():
        keep = counts == counts.max()
    centres = centres[keep]
    # Reassign every pixel to the nearest kept centre, then recompute the means.
    nearest = nearest_centre(lab, centres)
    counts = np.bincount(nearest, minlength=len(centres)).astype(np.float64)
    sums = np.stack([np.bincount(nearest, weights=lab[:, c], minlength=len(centres))
                     for c in range(3)], axis=1)
    present = counts > 0
    return sums[present] / counts[present, None], counts[present]


def named_colours(centres: np.ndarray, counts: np.ndarray,
                  names: list[tuple[str, str]]) -> list[GarmentColor]:
    """Clusters (:func:`colour_clusters`) as colours, largest share first: clusters
    given the same name (``names``, :func:`name_colors` of ``centres``) are one colour,
    at their pixel-weighted mean."""
    named: dict[str, list] = {}
    for centre, count, (name, family) in zip(centres, counts, names):
        entry = named.setdefault(name, [family, np.zeros(3), 0.0])
        entry[1] = entry[1] + centre * count
        entry[2] += count
    total = counts.sum()
    out = []
    for name, (family, weighted, count) in named.items():
        mean = weighted / count
        rgb = tuple(int(v) for v in lab_to_rgb(mean[None].astype(np.float32))[0])
        out.append(GarmentColor(rgb=rgb, lab=tuple(float(v) for v in mean),
                                share=float(count / total), name=name, family=family))
    out.sort(key=lambda c: (-c.share, c.name))
    return out


def nearest_centre(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre (Euclidean distance in Lab) of each colour.

    Parameters
    ----------
    lab : (N, 3) float array
    centres : (K, 3) float array

    Returns
    -------
    nearest : (N,) intp array
        Ties go to the first centre, as ``argmin`` over the distances would give them;
        one pass per centre over contiguous columns (no ``(N, K, 3)`` temporary).
    """
    columns = [np.ascontiguousarray(lab[:, i]) for i in range(3)]
    best = np.full(len(lab), np.inf, lab.dtype)
    nearest = np.zeros(len(lab), np.intp)
    for j, centre in enumerate(np.asarray(centres, lab.dtype)):
        d = ((columns[0] - centre[0]) ** 2 + (columns[1] - centre[1]) ** 2
             + (columns[2] - centre[2]) ** 2)
        closer = d < best
        best[closer] = d[closer]
        nearest[closer] = j
    return nearest


def distinct_colours(pixels: np.ndarray, limit: int) -> int:
    """How many distinct colours ``pixels`` hold, counted up to ``limit``.

    Parameters
    ----------
    pixels : (N, 3) uint8 array
    limit : int

    Returns
    -------
    count : int
        ``min(limit, number of distinct rows)``; one pass over the pixels per colour
        counted, where ``np.unique(pixels, axis=0)`` sorts them all (ten times slower
        on 20k pixels).
    """
    packed = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8) \
        | pixels[:, 2]
    count = 0
    while count < limit and packed.size:
        packed = packed[packed != packed[0]]
        count += 1
    return count


def _merge_close(centres: np.ndarray, counts: np.ndarray, delta: float):
    """Merge the closest pair of centres (CIEDE2000) while it is closer than ``delta``."""
    centres, counts = centres.copy(), counts.copy()
    while len(centres) > 1:
        i, j = np.triu_indices(len(centres), 1)
        d = deltaE_ciede2000(centres[i], centres[j])
        best = int(np.argmin(d))
        if d[best] >= delta:
            break
        a, b = i[best], j[best]
        total = counts[a] + counts[b]
        centres[a] = (centres[a] * counts[a] + centres[b] * counts[b]) / total
        counts[a] = total
        centres = np.delete(centres, b, axis=0)
        counts = np.delete(counts, b)
    return centres, counts


def colors_json(colors: list[GarmentColor], *, garment_pixels: int | None = None,
                params: ColorParams = ColorParams(), extra: dict | None = None) -> bytes:
    """The colours as UTF-8 JSON (``<stem>.colors.json``).

    The object holds ``colors`` (each :meth:`GarmentColor.as_dict`: name, family, hex,
    rgb, lab, share), ``garment_pixels``, the ``params`` used and any ``extra`` keys.
    """
    doc = {"colors": [c.as_dict() for c in colors], "garment_pixels": garment_pixels,
           "params": asdict(params)}
    if extra:
        doc.update(extra)
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


__all__ = ["COLOR_NAMES", "NAME_KL", "ColorParams", "GarmentColor", "colors_json",
           "colour_clusters", "distinct_colours", "garment_colors", "lab_to_rgb", "name_color",
           "name_colors", "named_colours", "nearest_centre", "rgb_to_lab"]
