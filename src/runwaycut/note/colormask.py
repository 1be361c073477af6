"""Step 2 of the design note: mark every pixel close to a background colour.

The note masks, for each palette colour ``c``, the pixels inside a per-channel band
around it (``cv2.inRange``), then combines the masks. We compute the same thing as a
*distance map*: for each pixel, how far it is from the palette in the band's own
measure. A pixel lies inside colour ``c``'s band at threshold ``t`` exactly when its
distance to ``c`` is at most ``t``, so

* the union of the masks (vote ``any``) is ``min_c d(p, c) <= t``;
* a vote of ``k`` colours is ``kth_smallest_c d(p, c) <= t``.

One distance map therefore answers every threshold: a threshold sweep costs one
comparison per threshold instead of ``N`` colour masks.

Bands
-----
``absolute`` (the note's text): ``c - t <= p <= c + t`` on each 0–255 channel, so
``d(p, c) = max_channel |p - c|``, an integer 0..255 stored as uint8.

``relative`` (the original code): ``c (1 - t) <= p <= c (1 + t)``, so
``d(p, c) = max_channel |p - c| / c``, stored as float32. For a channel with
``c = 0`` the band is the single value 0: distance 0 there, else effectively infinite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Union

import cv2
import numpy as np

Band = Literal["absolute", "relative"]
Vote = Union[Literal["any", "majority"], float]

#: The note's default threshold for each band: ±20 levels; ×(1 ± 0.4).
DEFAULT_THRESHOLD = {"absolute": 20.0, "relative": 0.4}

#: Distance given to a pixel that can never enter a relative band (channel c = 0, p > 0).
_FAR = np.float32(1e30)

#: Relative tolerance of float comparisons in the relative band, so that a pixel exactly
#: on a band edge (``|p - c| == t * c``) counts as inside, as with inRange's closed bounds.
_REL_TOL = 1e-6


@dataclass(frozen=True)
class MaskParams:
    """How colour masks are made and combined.

    Attributes
    ----------
    threshold : float or None
        Band half-width: levels for ``absolute`` (note: 20), a fraction for
        ``relative`` (code: 0.4). ``None`` means the band's default.
    band : {'absolute', 'relative'}
        Which reading of the note's threshold.
    vote : 'any', 'majority' or float in (0, 1]
        How many palette colours must claim a pixel for it to be background: one
        (``any``, the note's union), more than half (``majority``), or at least that
        fraction of the palette.
    """

    threshold: float | None = None
    band: Band = "absolute"
    vote: Vote = "any"

    def __post_init__(self):
        if self.band not in DEFAULT_THRESHOLD:
            raise ValueError(f"band must be 'absolute' or 'relative', got {self.band!r}")
        if self.threshold is not None and not (self.threshold >= 0 and math.isfinite(self.threshold)):
            raise ValueError(f"threshold must be a finite number >= 0, got {self.threshold}")
        votes_needed(self.vote, 1)  # validates the vote

    @property
    def resolved_threshold(self) -> float:
        """The threshold in force: the given one or the band's default."""
        return DEFAULT_THRESHOLD[self.band] if self.threshold is None else float(self.threshold)


def parse_vote(text: str) -> Vote:
    """Parse a vote given as text: ``any``, ``majority`` or a fraction such as ``0.25``."""
    text = str(text).strip().lower()
    if text in ("any", "majority"):
        return text  # type: ignore[return-value]
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"vote must be 'any', 'majority' or a fraction in (0, 1], "
                         f"got {text!r}") from None
    votes_needed(value, 1)
    return value


def votes_needed(vote: Vote, n_colors: int) -> int:
    """Number of palette colours that must claim a pixel for it to be background.

    Examples
    --------
    >>> votes_needed("any", 16), votes_needed("majority", 16), votes_needed(0.25, 16)
    (1, 9, 4)
    """
    if vote == "any":
        return 1
    if vote == "majority":
        return n_colors // 2 + 1
    if isinstance(vote, str):
        raise ValueError(f"vote must be 'any', 'majority' or a fraction, got {vote!r}")
    if not 0 < float(vote) <= 1:
        raise ValueError(f"a vote fraction must lie in (0, 1], got {vote}")
    return max(1, math.ceil(float(vote) * n_colors - 1e-9))


def color_distances(image: np.ndarray, colors: np.ndarray, band: Band = "absolute") -> np.ndarray:
    """Distance of every pixel to every palette colour, in the band's measure.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    colors : (N, 3) uint8 array
    band : {'absolute', 'relative'}

    Returns
    -------
    distances : (N, H, W) array
        uint8 for ``absolute``, float32 for ``relative``.
    """
    colors = _check_colors(colors)
    planes = cv2.split(image)
    dtype = np.uint8 if band == "absolute" else np.float32
    out = np.empty((len(colors),) + image.shape[:2], dtype)
    for i, color in enumerate(colors):
        out[i] = _one_color_distance(planes, color, band)
    return out


def distance_map(image: np.ndarray, colors: np.ndarray, band: Band = "absolute",
                 vote: Vote = "any") -> np.ndarray:
    """Distance of every pixel to the background palette, combined by a vote.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    colors : (N, 3) uint8 array
        Palette colours, in the image's channel order.
    band : {'absolute', 'relative'}
        The band's measure (see module notes).
    vote : 'any', 'majority' or float
        ``any``: the smallest distance over colours; otherwise the k-th smallest,
        with k from :func:`votes_needed`.

    Returns
    -------
    distance : (H, W) array
        uint8 (0..255) for ``absolute``, float32 for ``relative``. The background at
        threshold ``t`` is ``in_band(distance, t)``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[[10, 10, 10], [40, 10, 10]]], np.uint8)
    >>> distance_map(img, np.array([[10, 12, 10]], np.uint8))
    array([[ 2, 30]], dtype=uint8)
    """
    colors = _check_colors(colors)
    k = votes_needed(vote, len(colors))
    if k == 1:
        # Running minimum: N small passes, never an (N, H, W) stack.
        planes = cv2.split(image)
        best = _one_color_distance(planes, colors[0], band)
        for color in colors[1:]:
            cv2.min(best, _one_color_distance(planes, color, band), dst=best)
        return best
    stack = color_distances(image, colors, band)
    return np.partition(stack, k - 1, axis=0)[k - 1]


def in_band(distance: np.ndarray, threshold: float) -> np.ndarray:
    """Background mask: pixels whose distance is within ``threshold``.

    Parameters
    ----------
    distance : (H, W) uint8 or float32 array
        From :func:`distance_map`.
    threshold : float
        Band half-width in the distance's unit.

    Returns
    -------
    background : (H, W) bool array
    """
    if distance.dtype == np.uint8:
        # |p - c| is an integer, so "<= t" is "<= floor(t)".
        return distance <= math.floor(threshold)
    return distance <= threshold * (1 + _REL_TOL)


def band_bounds(color: np.ndarray, threshold: float, band: Band = "absolute"):
    """Integer ``(lower, upper)`` bounds of one colour's band, as ``cv2.inRange`` takes.

    These are the bounds under which ``cv2.inRange(image, lower, upper)`` equals
    ``in_band(distance_map(image, [color], band), threshold)`` pixel for pixel.
    """
    c = np.asarray(color, dtype=np.float64)
    if band == "absolute":
        t = math.floor(threshold)
        lower, upper = c - t, c + t
    else:
        slack = c * threshold * (1 + _REL_TOL)
        lower, upper = np.ceil(c - slack), np.floor(c + slack)
    return (np.clip(lower, 0, 255).astype(np.int64), np.clip(upper, 0, 255).astype(np.int64))


def _one_color_distance(planes, color, band: Band) -> np.ndarray:
    """Chebyshev (absolute) or relative distance of all pixels to one colour."""
    if planes[0].size <= 4:
        # OpenCV may take an array this small for a Scalar (a 4x1 one in OpenCV 4, a 1x1
        # one against a number in OpenCV 5, whose answer is then 4x1): NumPy's arithmetic,
        # the same numbers.
        return _one_color_distance_numpy(planes, color, band)
    diffs = [cv2.absdiff(plane, float(v)) for plane, v in zip(planes, color)]
    if band == "absolute":
        return cv2.max(cv2.max(diffs[0], diffs[1]), diffs[2])
    scaled = [cv2.multiply(d, 1.0, scale=(1.0 / float(v)) if v else float(_FAR), dtype=cv2.CV_32F)
              for d, v in zip(diffs, color)]
    return cv2.max(cv2.max(scaled[0], scaled[1]), scaled[2])


def _one_color_distance_numpy(planes, color, band: Band) -> np.ndarray:
    """:func:`_one_color_distance` by NumPy (for a few pixels): the same numbers."""
    diffs = [np.abs(plane.astype(np.int16) - int(v)).astype(np.uint8)
             for plane, v in zip(planes, color)]
    if band == "absolute":
        return np.maximum(np.maximum(diffs[0], diffs[1]), diffs[2])
    scaled = [d.astype(np.float32) * np.float32((1.0 / float(v)) if v else _FAR)
              for d, v in zip(diffs, color)]  # (in float32, as OpenCV scales)
    return np.maximum(np.maximum(scaled[0], scaled[1]), scaled[2])


def _check_colors(colors) -> np.ndarray:
    colors = np.asarray(colors)
    if colors.ndim != 2 or colors.shape[1] != 3 or len(colors) == 0:
        raise ValueError(f"palette colours must be an (N, 3) array with N >= 1, "
                         f"got shape {colors.shape}")
    if colors.dtype != np.uint8:
        if colors.min() < 0 or colors.max() > 255:
            raise ValueError("palette colours must lie in 0..255")
        colors = np.rint(colors).astype(np.uint8)
    return colors
