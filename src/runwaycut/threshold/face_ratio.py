"""The original's label-free threshold rule: the figure should be 10 to 30 faces big.

The original author found the face's area steady against the figure's (the figure is
about 12 to 25 face areas) and accepted a threshold when the figure's area fell inside
a window of 10 to 30 face areas (NOTES.md, step 8). This was its only way to choose a
threshold without labels.

Faces: the original used OpenCV's frontal-face Haar cascade, which the OpenCV wheels we
depend on no longer ship. We take the face box from the pose landmarks of the person
models runwaycut ships (:func:`runwaycut.person.segmenter.face_box`). Any other detector can be
passed as ``detector``: a function from an ``(H, W, 3) uint8`` photo to an inclusive
``(x0, y0, x1, y1)`` box or ``None``.

Which threshold: among the thresholds whose figure lies inside the window, the one
nearest the band's default (the original searched outward from its default); when none
does, the one whose figure/face ratio is nearest the window (in log ratio); when no face
is found, the band's default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional, Sequence

import numpy as np

from ..note.colormask import DEFAULT_THRESHOLD, in_band
from ..note.figure import FigureParams, select_figure
from ..note.palette import Palette

#: A face detector: photo -> inclusive (x0, y0, x1, y1) box, or None.
FaceDetector = Callable[[np.ndarray], Optional[tuple]]


@dataclass(frozen=True)
class FaceRatioParams:
    """The figure-to-face window of the original.

    Attributes
    ----------
    low, high : float
        Accepted figure areas, in face areas (10 and 30).
    """

    low: float = 10.0
    high: float = 30.0

    def __post_init__(self):
        if not 0 < self.low <= self.high:
            raise ValueError(f"need 0 < low <= high, got {self.low}, {self.high}")


def candidate_thresholds(band: str) -> np.ndarray:
    """Thresholds the rule considers: 0..80 levels (absolute), 0..1 by 0.02 (relative)."""
    if band == "absolute":
        return np.arange(81, dtype=np.float64)
    return np.round(np.arange(51) * 0.02, 2)


@lru_cache(maxsize=1)
def _segmenter():
    try:
        from ..person.segmenter import PersonSegmenter
    except ImportError as exc:  # the person models are an optional part of the install
        from ..errors import ModelError

        raise ModelError(f"the person models are not available ({exc}); the face-ratio and "
                         "person rules need them") from None
    return PersonSegmenter()


def person_models_available() -> bool:
    """Whether the shipped person models can run here (module, runtime and files)."""
    try:
        from ..person.segmenter import PersonSegmenter

        # A throwaway segmenter: no model stays loaded in a process about to fork workers.
        PersonSegmenter().interpreter("selfie_segmentation")
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


def person_estimate(image: np.ndarray):
    """The shipped person models' estimate for a photo
    (:meth:`runwaycut.person.segmenter.PersonSegmenter.estimate`), with one segmenter per process."""
    return _segmenter().estimate(image)


def estimate_face_box(estimate) -> tuple[int, int, int, int] | None:
    """Face box of a person estimate (from its pose landmarks), or None."""
    from ..person.segmenter import face_box

    return None if estimate.pose is None else face_box(estimate.pose)


def person_face_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """Face box of the central person, from the shipped pose model, or None."""
    return estimate_face_box(person_estimate(image))


def face_area(image: np.ndarray, detector: FaceDetector | None = None) -> float | None:
    """Area in pixels of the face ``detector`` finds (the pose model's by default),
    clipped to the photo; None when there is no face."""
    return box_area((detector or person_face_box)(image), image.shape[:2])


def box_area(box, shape: tuple[int, int]) -> float | None:
    """Area of an inclusive ``(x0, y0, x1, y1)`` box clipped to an image of ``shape``."""
    if box is None:
        return None
    h, w = shape
    x0, y0, x1, y1 = box
    x0, x1 = max(0, x0), min(w - 1, x1)
    y0, y1 = max(0, y0), min(h - 1, y1)
    if x1 < x0 or y1 < y0:
        return None
    return float((x1 - x0 + 1) * (y1 - y0 + 1))


def choose_by_face_ratio(areas: Sequence[float], face: float | None,
                         params: FaceRatioParams = FaceRatioParams(),
                         thresholds: Sequence[float] | None = None,
                         default: float = DEFAULT_THRESHOLD["absolute"]) -> float:
    """The face-ratio rule on precomputed figure areas.

    Parameters
    ----------
    areas : (T,) sequence of float
        Figure area (pixels) at each of ``thresholds``.
    face : float or None
        Face area (pixels); None or 0: no face.
    params : FaceRatioParams
    thresholds : (T,) sequence of float, optional
        Default ``0, 1, ..., T - 1``.
    default : float
        Returned when there is no face; the preferred threshold otherwise.

    Returns
    -------
    threshold : float

    Examples
    --------
    >>> choose_by_face_ratio([5000, 3000, 2000, 1000, 500], face=100, default=0)
    1.0
    """
    areas = np.asarray(areas, np.float64)
    t = np.arange(len(areas), dtype=np.float64) if thresholds is None else np.asarray(
        thresholds, np.float64)
    if not face or face <= 0 or len(areas) == 0:
        return float(default)
    ratio = areas / face
    inside = (ratio >= params.low) & (ratio <= params.high)
    if inside.any():
        cand = np.flatnonzero(inside)
    else:
        centre = math.log(math.sqrt(params.low * params.high))
        gap = np.abs(np.log(np.maximum(ratio, 1e-9)) - centre)
        cand = np.flatnonzero(gap == gap.min())
    # Nearest the default; ties to the lower threshold.
    best = cand[np.lexsort((t[cand], np.abs(t[cand] - default)))[0]]
    return float(t[best])


def face_ratio_threshold(image: np.ndarray, palette: Palette, distance: np.ndarray, band: str,
                         *, detector: FaceDetector | None = None,
                         params: FaceRatioParams = FaceRatioParams(),
                         figure: FigureParams = FigureParams()) -> float:
    """Threshold rule ``face-ratio``: the original's figure-to-face window.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    palette : Palette
        Unused; part of the rule signature.
    distance : (H, W) array
        Distance map to the palette (uint8 absolute, float32 relative).
    band : {'absolute', 'relative'}
    detector : FaceDetector, optional
        Face finder (default: the shipped pose model, :func:`person_face_box`).
    params : FaceRatioParams
    figure : FigureParams
        Figure selection whose area is compared with the face's.

    Returns
    -------
    threshold : float
        See the module notes; the band's default when no face is found.
    """
    default = DEFAULT_THRESHOLD[band]
    face = face_area(image, detector)
    thresholds = candidate_thresholds(band)
    if not face:
        return float(default)
    areas = np.full(len(thresholds), np.nan)
    # Search outward from the default, as the original: most photos stop early.
    order = np.lexsort((thresholds, np.abs(thresholds - default)))
    for i in order:
        areas[i] = np.count_nonzero(select_figure(~in_band(distance, thresholds[i]), figure))
        if params.low <= areas[i] / face <= params.high:
            return float(thresholds[i])
    return choose_by_face_ratio(areas, face, params, thresholds, default)


__all__ = ["FaceDetector", "FaceRatioParams", "box_area", "candidate_thresholds",
           "choose_by_face_ratio", "estimate_face_box", "face_area", "face_ratio_threshold",
           "person_estimate", "person_face_box", "person_models_available"]
