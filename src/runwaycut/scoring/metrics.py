"""Scoring a mask against hand labels: confusion counts and the scores made from them.

Step 1 of the design note (background removal) scores *figure* = every class but
background as the positive class; its final goal scores *garment*. Precision and recall
of the positive class, with F1 as the main figure, are the original author's measures;
IoU and accuracy are added.

Every score function takes counts that may be plain integers or arrays of any shape
(for example one count per threshold of a sweep, see :mod:`runwaycut.scoring.tuning`), so a
whole sweep is scored in one vectorised call.

Conventions
-----------
* Without smoothing, a ratio ``0 / 0`` (nothing predicted, nothing to find, ...) is
  ``1.0`` when prediction and truth agree everywhere (``fp + fn == 0``) and ``0.0``
  otherwise: an empty prediction of an empty truth is perfect, an empty prediction of a
  figure scores zero.
* With ``smoothing=True`` (the original code), 1 is added to the numerator and the
  denominator of precision and recall, and F1 is their harmonic mean. We extend the
  same +1 to IoU and accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The score names, in the order tables and CSV files show them.
SCORE_NAMES = ("precision", "recall", "f1", "iou", "accuracy")


@dataclass(frozen=True)
class Confusion:
    """Confusion counts of a binary prediction against the truth.

    Attributes
    ----------
    tp, fp, fn, tn : int
        True positives, false positives, false negatives, true negatives, in pixels
        (ignored pixels excluded).
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def total(self) -> int:
        """Pixels scored."""
        return self.tp + self.fp + self.fn + self.tn

    def scores(self, smoothing: bool = False) -> dict[str, float]:
        """Precision, recall, F1, IoU and accuracy (see :func:`scores`)."""
        return {k: float(v) for k, v in
                scores(self.tp, self.fp, self.fn, self.tn, smoothing=smoothing).items()}


def confusion(pred: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None) -> Confusion:
    """Count agreement of a predicted mask with the true mask.

    Parameters
    ----------
    pred : (H, W) bool array
        Predicted positive pixels (for example the figure mask).
    truth : (H, W) bool array
        True positive pixels.
    valid : (H, W) bool array, optional
        Pixels to score; the others (unknown label colours) are ignored.

    Returns
    -------
    counts : Confusion

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([[1, 1, 0, 0]], bool)
    >>> truth = np.array([[1, 0, 1, 0]], bool)
    >>> confusion(pred, truth)
    Confusion(tp=1, fp=1, fn=1, tn=1)
    """
    pred = np.asarray(pred, bool)
    truth = np.asarray(truth, bool)
    if pred.shape != truth.shape:
        raise ValueError(f"prediction of shape {pred.shape} does not match truth {truth.shape}")
    if valid is not None:
        valid = np.asarray(valid, bool)
        if valid.shape != truth.shape:
            raise ValueError(f"valid mask of shape {valid.shape} does not match truth {truth.shape}")
        pred = pred & valid
        truth = truth & valid
        n = int(np.count_nonzero(valid))
    else:
        n = truth.size
    tp = int(np.count_nonzero(pred & truth))
    p = int(np.count_nonzero(pred))
    t = int(np.count_nonzero(truth))
    return Confusion(tp=tp, fp=p - tp, fn=t - tp, tn=n - p - t + tp)


def scores(tp, fp, fn, tn, smoothing: bool = False) -> dict[str, np.ndarray]:
    """Precision, recall, F1, IoU and accuracy from confusion counts.

    Parameters
    ----------
    tp, fp, fn, tn : int or array of int
        Counts; arrays broadcast together (one entry per threshold of a sweep, say).
    smoothing : bool
        Add 1 to numerator and denominator, as the original code did (see module notes).

    Returns
    -------
    scores : dict of str to float64 array
        Keys :data:`SCORE_NAMES`, each of the counts' broadcast shape (0-d for scalars).

    Notes
    -----
    precision = tp / (tp + fp), recall = tp / (tp + fn),
    F1 = 2 tp / (2 tp + fp + fn) (= harmonic mean of precision and recall),
    IoU = tp / (tp + fp + fn), accuracy = (tp + tn) / (tp + fp + fn + tn).

    Examples
    --------
    >>> s = scores(6, 2, 4, 88)
    >>> [round(float(s[k]), 4) for k in SCORE_NAMES]
    [0.75, 0.6, 0.6667, 0.5, 0.94]
    """
    tp, fp, fn, tn = (np.asarray(x, np.float64) for x in (tp, fp, fn, tn))
    if smoothing:
        precision = (tp + 1) / (tp + fp + 1)
        recall = (tp + 1) / (tp + fn + 1)
        f1 = 2 * precision * recall / (precision + recall)
        iou = (tp + 1) / (tp + fp + fn + 1)
        accuracy = (tp + tn + 1) / (tp + fp + fn + tn + 1)
    else:
        perfect = (fp + fn) == 0
        precision = _ratio(tp, tp + fp, perfect)
        recall = _ratio(tp, tp + fn, perfect)
        f1 = _ratio(2 * tp, 2 * tp + fp + fn, perfect)
        iou = _ratio(tp, tp + fp + fn, perfect)
        accuracy = _ratio(tp + tn, tp + fp + fn + tn, perfect)
    return {"precision": precision, "recall": recall, "f1": f1, "iou": iou,
            "accuracy": accuracy}


def _ratio(num: np.ndarray, den: np.ndarray, perfect: np.ndarray) -> np.ndarray:
    """``num / den``, with ``0 / 0`` read as 1 where ``perfect`` and 0 elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den > 0, out, np.where(perfect, 1.0, 0.0))


def mask_scores(pred: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None,
                smoothing: bool = False) -> dict[str, float]:
    """Scores of one predicted mask: :func:`confusion` then :func:`scores`.

    Returns
    -------
    scores : dict of str to float
        :data:`SCORE_NAMES` plus the counts ``tp``, ``fp``, ``fn``, ``tn``.
    """
    c = confusion(pred, truth, valid)
    out: dict[str, float] = c.scores(smoothing)
    out.update(tp=c.tp, fp=c.fp, fn=c.fn, tn=c.tn)
    return out


def class_confusion_matrix(pred: np.ndarray, truth: np.ndarray, n_classes: int,
                           ignore: int | None = 255) -> np.ndarray:
    """Confusion matrix of two class-label maps.

    Parameters
    ----------
    pred, truth : (H, W) integer arrays
        Class indices ``0 .. n_classes - 1``.
    n_classes : int
    ignore : int, optional
        Truth value of pixels left out (unknown label colours).

    Returns
    -------
    matrix : (n_classes, n_classes) int64 array
        ``matrix[i, j]`` counts pixels of true class ``i`` predicted as ``j``.

    Raises
    ------
    ValueError
        For shapes that differ or class indices outside ``0 .. n_classes - 1``.
    """
    pred = np.asarray(pred)
    truth = np.asarray(truth)
    if pred.shape != truth.shape:
        raise ValueError(f"prediction of shape {pred.shape} does not match truth {truth.shape}")
    keep = truth != ignore if ignore is not None else np.ones(truth.shape, bool)
    p = pred[keep].astype(np.int64)
    t = truth[keep].astype(np.int64)
    for name, a in (("prediction", p), ("truth", t)):
        if a.size and (a.min() < 0 or a.max() >= n_classes):
            raise ValueError(f"{name} holds class {a.min() if a.min() < 0 else a.max()}, "
                             f"outside 0..{n_classes - 1}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes)


def per_class_iou(matrix: np.ndarray) -> np.ndarray:
    """IoU of every class from a :func:`class_confusion_matrix`.

    Returns
    -------
    iou : (n_classes,) float64 array
        ``NaN`` for a class absent from both prediction and truth.

    Examples
    --------
    >>> import numpy as np
    >>> per_class_iou(np.array([[3, 1], [0, 2]]))
    array([0.75      , 0.66666667])
    """
    m = np.asarray(matrix, np.float64)
    inter = np.diag(m)
    union = m.sum(0) + m.sum(1) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, np.nan)


def mean_iou(matrix: np.ndarray) -> float:
    """Mean of :func:`per_class_iou` over the classes present in prediction or truth."""
    iou = per_class_iou(matrix)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")
