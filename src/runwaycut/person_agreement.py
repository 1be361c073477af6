"""Threshold rule ``person``: the threshold whose figure best agrees with the person model.

The palette method's figure has crisp colour edges but no idea where the person is; the
shipped person models (:mod:`runwaycut.person`) know where the person is but draw a
soft, coarse outline. This rule lets the person model *choose* the colour threshold:
for every candidate threshold it scores the figure mask (colour mask, then figure
selection) against the person mask (probability >= 0.5) by F1, and keeps the threshold
that agrees best. No labels are used; it costs one run of the person models and one
figure selection per candidate threshold (about 0.5 s on a 0.5-megapixel photo).
"""

from __future__ import annotations

import numpy as np

from .colormask import DEFAULT_THRESHOLD, in_band
from .face_ratio import candidate_thresholds, person_estimate
from .figure import FigureParams, select_figure
from .metrics import scores
from .palette import Palette

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
        Among :func:`runwaycut.face_ratio.candidate_thresholds`; the band's default when
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


__all__ = ["PERSON_LEVEL", "agreement_curve", "best_agreement", "person_threshold"]
