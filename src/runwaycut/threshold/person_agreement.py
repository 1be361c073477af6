"""Threshold rule ``person``: the threshold whose figure best agrees with the person model.

The palette method's figure has crisp colour edges but no idea where the person is; the
shipped person models (:mod:`runwaycut.person.segmenter`) know where the person is but draw a
soft, coarse outline. This rule lets the person model *choose* the colour threshold:
for every candidate threshold it scores the figure mask (colour mask, then figure
selection) against the person mask (probability >= 0.5) by F1, and keeps the threshold
that agrees best. No labels are used; it costs one run of the person models and one
figure selection per candidate threshold (about 0.15 s on a 0.5-megapixel photo).

:func:`person_sweep` runs the same sweep once for the threshold model's person features
(:func:`person_features`): figure area and agreement at every level,
with the person's and the face's areas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..note.colormask import DEFAULT_THRESHOLD, in_band
from .face_ratio import candidate_thresholds, choose_by_face_ratio, person_estimate
from .features import AGREEMENT_OFFSETS, PERSON_FEATURE_NAMES, PLATEAU_TOLERANCE  # noqa: F401 (doctest)
from ..note.figure import FigureParams, select_figure
from ..scoring.metrics import scores
from ..note.palette import Palette

#: Person probability above which a pixel counts as person.
PERSON_LEVEL = 0.5


def agreement_curve(distance: np.ndarray, person: np.ndarray, thresholds,
                    figure: FigureParams = FigureParams()) -> np.ndarray:
    """F1 of the figure mask against a person mask at each threshold.

    Parameters
    ----------
    distance : (H, W) uint8 or float32 array
        Distance map to the palette.
    person : (H, W) bool array
        Person mask.
    thresholds : (T,) sequence of float
    figure : FigureParams

    Returns
    -------
    f1 : (T,) float64 array
    """
    person = np.asarray(person, bool)
    n_person = int(np.count_nonzero(person))
    total = person.size
    tp, fp = [], []
    for t in thresholds:
        mask = select_figure(~in_band(distance, float(t)), figure)
        hit = int(np.count_nonzero(mask & person))
        tp.append(hit)
        fp.append(int(np.count_nonzero(mask)) - hit)
    tp, fp = np.array(tp), np.array(fp)
    fn = n_person - tp
    return scores(tp, fp, fn, total - tp - fp - fn)["f1"]


@dataclass(frozen=True)
class PersonSweep:
    """What the person models and one threshold sweep say about a photo.

    Attributes
    ----------
    areas : (T + 1,) int64 array
        Figure pixels at thresholds ``0 .. T``.
    agreement : (T + 1,) float64 array
        F1 of each figure mask against the person mask (zeros when no person is found).
    person_area : int
        Pixels of the person mask (0: no person found).
    face : float
        Face area in pixels, from the pose's face box (0: none found).
    shape : (H, W) tuple of int
    """

    areas: np.ndarray
    agreement: np.ndarray
    person_area: int
    face: float
    shape: tuple[int, int]

    @property
    def found(self) -> bool:
        """Whether the person models found someone (the person features apply)."""
        return self.person_area > 0

    def features(self) -> np.ndarray:
        """The person features (:func:`person_features`)."""

        return person_features(self.agreement, self.areas, self.face, self.person_area,
                               self.shape)


def person_sweep(image: np.ndarray, distance: np.ndarray, max_threshold: int = 80,
                 figure: FigureParams = FigureParams(), estimate=None) -> PersonSweep:
    """Run the person models and sweep the figure mask over thresholds ``0 .. T``.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    distance : (H, W) uint8 array
        Absolute-band distance map to the palette.
    max_threshold : int
        ``T``.
    figure : FigureParams
        Figure selection applied to each colour mask.
    estimate : PersonEstimate, optional
        The person models' answer for ``image`` (computed when omitted).

    Returns
    -------
    sweep : PersonSweep
        When no person is found, only ``areas`` and ``shape`` are filled in.
    """
    from .face_ratio import box_area, estimate_face_box

    if distance.dtype != np.uint8:
        raise ValueError("person_sweep needs an absolute-band (uint8) distance map")
    if estimate is None:
        estimate = person_estimate(image)
    person = estimate.probability >= PERSON_LEVEL if estimate.found else None
    n_person = 0 if person is None else int(np.count_nonzero(person))
    n = max_threshold + 1
    areas, both = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for t in range(n):
        mask = select_figure(distance > t, figure)
        areas[t] = np.count_nonzero(mask)
        if n_person:
            both[t] = np.count_nonzero(mask & person)
    if n_person:
        agreement = scores(both, areas - both, n_person - both,
                           distance.size - areas - n_person + both)["f1"]
        face = float(box_area(estimate_face_box(estimate), image.shape[:2]) or 0.0)
    else:
        agreement, face = np.zeros(n), 0.0
    return PersonSweep(areas=areas, agreement=np.asarray(agreement, np.float64),
                       person_area=n_person, face=face, shape=tuple(image.shape[:2]))


def best_agreement(curve: np.ndarray, thresholds, default: float) -> float:
    """The threshold of the curve's maximum; ties go to the one nearest ``default``."""
    curve = np.asarray(curve, np.float64)
    t = np.asarray(thresholds, np.float64)
    cand = np.flatnonzero(curve == curve.max())
    return float(t[cand[np.lexsort((t[cand], np.abs(t[cand] - default)))[0]]])


def person_threshold(image: np.ndarray, palette: Palette, distance: np.ndarray, band: str,
                     *, person: np.ndarray | None = None,
                     figure: FigureParams = FigureParams()) -> float:
    """Threshold rule ``person``: best agreement with the person model's mask.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    palette : Palette
        Unused; part of the rule signature.
    distance : (H, W) array
        Distance map (uint8 absolute, float32 relative).
    band : {'absolute', 'relative'}
    person : (H, W) bool array, optional
        Person mask to agree with (default: the shipped person models' at
        probability >= 0.5).
    figure : FigureParams

    Returns
    -------
    threshold : float
        Among :func:`runwaycut.threshold.face_ratio.candidate_thresholds`; the band's default when
        no person is found.
    """
    default = DEFAULT_THRESHOLD[band]
    if person is None:
        estimate = person_estimate(image)
        if not estimate.found:
            return float(default)
        person = estimate.probability >= PERSON_LEVEL
    if not np.any(person):
        return float(default)
    thresholds = candidate_thresholds(band)
    return best_agreement(agreement_curve(distance, person, thresholds, figure), thresholds,
                          default)


__all__ = ["PERSON_LEVEL", "PersonSweep", "agreement_curve", "best_agreement", "person_sweep",
           "person_threshold"]


def person_features(agreement: np.ndarray, areas: np.ndarray, face: float, person_area: float,
                    shape: tuple[int, int],
                    default: float = DEFAULT_THRESHOLD["absolute"]) -> np.ndarray:
    """Person feature vector of a photo, from its sweep of thresholds ``0 .. T``.

    Parameters
    ----------
    agreement : (T + 1,) float array
        F1 of the figure mask at each threshold against the person mask
        (:func:`runwaycut.threshold.person_agreement.person_sweep`).
    areas : (T + 1,) int array
        Figure pixels at each threshold.
    face : float
        Face area in pixels (0, or under one pixel: no face found).
    person_area : float
        Pixels of the person mask (0: no person found; the features then describe an
        empty person and a model should not use them).
    shape : (H, W)
        The photo's size.
    default : float
        The fixed default threshold (ties of the agreement go to the one nearest it).

    Returns
    -------
    features : (len(PERSON_FEATURE_NAMES),) float64 array
        Finite; named by :data:`PERSON_FEATURE_NAMES`. Thresholds are in levels, areas
        as fractions of the photo, ratios as plain or natural-log ratios.

    Examples
    --------
    >>> import numpy as np
    >>> agreement = np.r_[np.linspace(0.2, 0.9, 31), np.linspace(0.88, 0.3, 50)]
    >>> areas = np.linspace(90000, 10000, 81).astype(int)
    >>> f = person_features(agreement, areas, face=3000, person_area=40000, shape=(400, 300))
    >>> float(f[PERSON_FEATURE_NAMES.index("person_t")])
    30.0
    """
    agreement = np.asarray(agreement, np.float64)
    areas = np.asarray(areas, np.float64)
    if agreement.ndim != 1 or agreement.shape != areas.shape or len(agreement) == 0:
        raise ValueError(f"agreement and areas must be one curve each of one length, got "
                         f"{agreement.shape} and {areas.shape}")
    last = len(agreement) - 1
    levels = np.arange(len(agreement), dtype=np.float64)
    t = int(best_agreement(agreement, levels, default))
    d = int(min(max(round(default), 0), last))
    top = agreement[t]
    pixels = float(shape[0] * shape[1])
    face = float(face) if face and face >= 1 else 0.0  # under a pixel: no face
    figure = max(areas[t], 1.0)

    def log_ratio(area: float) -> float:
        return math.log(max(area, 1.0) / face) if face else 0.0

    return np.array([
        t, top, agreement[d],
        *(top - agreement[min(max(t + k, 0), last)] for k in AGREEMENT_OFFSETS),
        np.count_nonzero(agreement >= top - PLATEAU_TOLERANCE),
        areas[t] / pixels, person_area / pixels, figure / max(person_area, 1.0),
        float(face > 0), face / pixels, log_ratio(areas[t]), log_ratio(areas[d]),
        choose_by_face_ratio(areas, face, default=d),
    ], np.float64)
