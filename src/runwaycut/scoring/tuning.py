"""Each photo's best colour threshold, found against its hand labels.

The exact sweep
---------------
At threshold ``t`` the colour mask calls a pixel background when its distance to the
palette lies within the band (:func:`runwaycut.note.colormask.in_band`); everything else is
figure. So, for an ascending list of thresholds, each pixel has a first threshold at
which it turns background. One histogram of that index over the positive (figure)
pixels and one over all scored pixels, and their cumulative sums, give the confusion
counts of *every* threshold at once — then every score of every threshold in one
vectorised call (:func:`runwaycut.scoring.metrics.scores`). :func:`sweep` does this for both
bands, and equals brute force (mask and score per threshold) exactly:

* ``absolute`` distances are integers 0..255 and the band is ``d <= floor(t)``, so the
  256 thresholds 0..255 (the default) are every mask any threshold can give.
* ``relative`` distances are float32 and the band is ``d <= t (1 + 1e-6)``. The default
  grid is :data:`RELATIVE_GRID` (0 to 2 in steps of 0.005), swept exactly;
  :func:`unique_thresholds` (``thresholds='unique'``) gives every distinct mask, which is
  exact for every threshold at all (up to distances closer than the band's 1e-6 relative
  tolerance, which the band treats as equal).

Figure selection, and what "best" means
---------------------------------------
The design note's figure is the colour mask *followed by* figure selection (largest
region, holes filled, :func:`runwaycut.note.figure.select_figure`), which no histogram can
sweep, and it changes the answer: on CCP photos it raises the best F1 by about 0.1 and
moves the best threshold. :func:`best_threshold` therefore sweeps the raw colour mask
exactly (kept as ``BestThreshold.raw_threshold`` / ``raw_scores``), then applies figure
selection to every *distinct* mask of the grid (about 100 for an absolute map, 200 on
the relative grid) and keeps the threshold whose selected figure scores best. So
"best" is the exact optimum of the note's figure mask over the grid, found by brute
force where no shortcut is exact. ``candidates=K`` re-scores only the raw sweep's K
leaders: several times faster, and it can miss the optimum.

The original's search
---------------------
:func:`coarse_to_fine` is the original author's "automated iterations": a 5-point grid
(0.2 .. 1.0, relative band), then three refinements, each a 5-point grid of
± best / j around the best (j = 2, 3, 4). It is kept for comparison
(``benchmarks/bench_tuning.py``); the original repeated it over three palette draws,
which :func:`best_over_seeds` generalises to any number of draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np

from ..note.colormask import _REL_TOL, MaskParams, distance_map, in_band
from ..note.figure import FigureParams, select_figure
from .metrics import SCORE_NAMES, mask_scores, scores

#: The original's coarse grid (relative band) and refinement divisors.
COARSE_GRID = {"relative": (0.2, 0.4, 0.6, 0.8, 1.0),
               # Ours: the absolute band's default (20) sits inside, at a similar spread.
               "absolute": (10.0, 20.0, 30.0, 40.0, 50.0)}
REFINEMENTS = (2, 3, 4)


@dataclass(frozen=True)
class Sweep:
    """Confusion counts of the raw colour mask at every threshold of a grid.

    Attributes
    ----------
    thresholds : (T,) float64 array
        Ascending.
    tp, fp, fn, tn : (T,) int64 arrays
        Counts with positive = figure (not background), ignored pixels left out.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    def __len__(self) -> int:
        return len(self.thresholds)

    def scores(self, smoothing: bool = False) -> dict[str, np.ndarray]:
        """Every score at every threshold: :data:`~runwaycut.scoring.metrics.SCORE_NAMES` -> (T,)."""
        return scores(self.tp, self.fp, self.fn, self.tn, smoothing=smoothing)

    def ranking(self, metric: str = "f1", smoothing: bool = False) -> np.ndarray:
        """Threshold indices, best ``metric`` first; ties go to the middle of a plateau
        of equal scores, then to lower thresholds."""
        values = self.scores(smoothing)[metric]
        # Stable sort on -score, with a tie-break that prefers the middle of runs.
        order = np.lexsort((np.arange(len(values)), _plateau_offset(values), -values))
        return order

    def best(self, metric: str = "f1", smoothing: bool = False) -> int:
        """Index of the best threshold (see :meth:`ranking`)."""
        return int(self.ranking(metric, smoothing)[0])


def _plateau_offset(values: np.ndarray) -> np.ndarray:
    """Distance of each entry from the middle of its run of equal values."""
    n = len(values)
    change = np.flatnonzero(np.diff(values) != 0) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [n]])
    lengths = ends - starts
    run = np.repeat(np.arange(len(starts)), lengths)
    middle = starts[run] + (lengths[run] - 1) // 2
    return np.abs(np.arange(n) - middle)


def relative_grid(step: float = 0.005, stop: float = 2.0) -> np.ndarray:
    """A regular grid of relative thresholds ``0, step, ..., stop`` (rounded to ``step``)."""
    if not step > 0 or not stop >= 0:
        raise ValueError(f"grid step must be > 0 and stop >= 0, got {step}, {stop}")
    n = int(math.floor(stop / step + 1e-9)) + 1
    decimals = max(0, -int(math.floor(math.log10(step))) + 3)
    return np.round(np.arange(n) * step, decimals)


#: Default threshold grid of the relative band: 0 to 2 in steps of 0.005.
RELATIVE_GRID = relative_grid(0.005, 2.0)
RELATIVE_GRID.setflags(write=False)


def default_thresholds(distance: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """The default thresholds for a distance map (see module notes).

    Returns
    -------
    thresholds : (T,) float64 array
        ``0 .. 255`` for a uint8 (absolute) map: every mask any threshold gives.
        :data:`RELATIVE_GRID` for a float32 (relative) map.
    """
    if distance.dtype == np.uint8:
        return np.arange(256, dtype=np.float64)
    return RELATIVE_GRID


def unique_thresholds(distance: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """0 and every distinct distance value: thresholds giving every distinct mask.

    For a float32 (relative) map this reaches every mask any threshold gives, up to
    distances closer than the band's 1e-6 relative tolerance (which the band treats
    as equal). ``valid`` is accepted for symmetry and not used: masks cover all pixels.
    """
    return np.union1d([0.0], np.unique(distance).astype(np.float64))


def sweep(distance: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None,
          thresholds: Sequence[float] | np.ndarray | None = None) -> Sweep:
    """Confusion counts of the raw colour mask at every threshold, from two histograms.

    Parameters
    ----------
    distance : (H, W) uint8 or float32 array
        Distance map of :func:`runwaycut.note.colormask.distance_map` (absolute or
        relative band).
    truth : (H, W) bool array
        True figure (positive) pixels.
    valid : (H, W) bool array, optional
        Pixels to score.
    thresholds : sequence of float, optional
        Thresholds to sweep (any order; returned sorted, duplicates dropped). Default:
        :func:`default_thresholds`.

    Returns
    -------
    sweep : Sweep
        At every threshold, exactly the counts of
        ``confusion(~in_band(distance, t), truth, valid)``.

    Notes
    -----
    Cost: one histogram of the distance values over all scored pixels and one over the
    positive ones (``bincount`` for uint8, a sort by ``np.unique`` for float32), then
    work proportional to the number of distinct values and thresholds only.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([[0, 5, 30, 90]], np.uint8)
    >>> s = sweep(d, np.array([[0, 0, 1, 1]], bool), thresholds=[0, 10, 50])
    >>> s.tp.tolist(), s.fp.tolist()
    ([2, 2, 1], [1, 0, 0])
    """
    distance = np.asarray(distance)
    truth = np.asarray(truth, bool)
    if distance.shape != truth.shape:
        raise ValueError(f"distance map of shape {distance.shape} does not match truth "
                         f"{truth.shape}")
    if distance.dtype not in (np.uint8, np.float32):
        raise ValueError(f"distance map must be uint8 (absolute) or float32 (relative), "
                         f"got {distance.dtype}")
    if valid is not None:
        valid = np.asarray(valid, bool)
        if valid.shape != truth.shape:
            raise ValueError(f"valid mask of shape {valid.shape} does not match truth "
                             f"{truth.shape}")
    t = _check_thresholds(distance, valid, thresholds)
    n = len(t)
    positive = truth if valid is None else truth & valid
    # Pixels turning background at each threshold (index n: never, on this grid).
    bg_all = _turning_counts(distance, t, valid)
    bg_pos = _turning_counts(distance, t, positive)
    fn = np.cumsum(bg_pos[:n])
    tn = np.cumsum(bg_all[:n]) - fn
    pos_total = int(bg_pos.sum())
    neg_total = int(bg_all.sum()) - pos_total
    return Sweep(thresholds=t, tp=pos_total - fn, fp=neg_total - tn, fn=fn, tn=tn)


def _check_thresholds(distance, valid, thresholds) -> np.ndarray:
    if thresholds is None:
        return default_thresholds(distance, valid)
    t = np.unique(np.asarray(thresholds, np.float64))
    if t.size == 0 or not np.isfinite(t).all() or t[0] < 0:
        raise ValueError("thresholds must be finite numbers >= 0")
    return t


def _first_index(values: np.ndarray, thresholds: np.ndarray, dtype) -> np.ndarray:
    """Index of the first threshold whose band holds each distance value (len: never)."""
    if dtype == np.uint8:
        # in_band: d <= floor(t).
        return np.searchsorted(np.floor(thresholds), values, side="left")
    # in_band: d <= t (1 + tol), compared in float32 as NumPy compares a float32 array
    # with a Python float.
    edges = (thresholds * (1 + _REL_TOL)).astype(np.float32)
    return np.searchsorted(edges, values, side="left")


def _turning_counts(distance: np.ndarray, thresholds: np.ndarray,
                    where: np.ndarray | None = None) -> np.ndarray:
    """How many pixels (of ``where``) turn background at each threshold: (T + 1,) int64."""
    n = len(thresholds)
    if distance.dtype == np.uint8:
        distinct = np.arange(256)
        if distance.ndim == 2 and distance.size < 2 ** 24:
            # OpenCV's histogram with a mask: no copy of the selected pixels. Its float32
            # counts are exact below 2**24 pixels.
            mask = None if where is None else np.ascontiguousarray(where).view(np.uint8)
            counts = cv2.calcHist([np.ascontiguousarray(distance)], [0], mask, [256],
                                  [0, 256]).ravel().astype(np.int64)
        else:
            values = distance.ravel() if where is None else distance[where]
            counts = np.bincount(values, minlength=256)
    else:
        values = distance.ravel() if where is None else distance[where]
        distinct, counts = np.unique(values, return_counts=True)
    first = _first_index(distinct, thresholds, distance.dtype)
    return np.bincount(first, weights=counts, minlength=n + 1).astype(np.int64)


def mask_changes(distance: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Which thresholds of an ascending grid give a mask that differs from the previous one.

    Returns
    -------
    changes : (T,) bool array
        ``changes[0]`` is True; ``changes[i]`` is True when some pixel of ``distance``
        (scored or not) turns background at ``thresholds[i]``.
    """
    counts = _turning_counts(distance, np.asarray(thresholds, np.float64))
    changes = counts[:len(thresholds)] > 0
    changes[0] = True
    return changes


@dataclass(frozen=True)
class BestThreshold:
    """A photo's best threshold and the scores it gives.

    Attributes
    ----------
    threshold : float
        The best threshold of the scored mask (figure-selected when ``figure`` was
        given, raw otherwise).
    scores : dict of str to float
        Precision, recall, F1, IoU, accuracy and the counts of that mask.
    raw_threshold : float
        Best threshold of the raw colour mask (the exact sweep's optimum).
    raw_scores : dict of str to float
        Scores of the raw colour mask at ``raw_threshold``.
    evaluated : int
        Distinct masks scored with figure selection (0 when ``figure`` was None).
    sweep : Sweep
        The raw sweep.
    figure_curve : (T,) float64 array or None
        The metric of the figure-selected mask at each threshold of the sweep; NaN
        where it was not evaluated. ``None`` when ``figure`` was None.
    """

    threshold: float
    scores: dict
    raw_threshold: float
    raw_scores: dict
    evaluated: int
    sweep: Sweep = field(repr=False)
    figure_curve: np.ndarray | None = field(default=None, repr=False)


def best_threshold(distance: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None,
                   *, thresholds: Sequence[float] | np.ndarray | str | None = None,
                   figure: FigureParams | None = FigureParams(),
                   candidates: int | None = None, metric: str = "f1",
                   smoothing: bool = False) -> BestThreshold:
    """Best threshold of a photo: exact raw sweep, then figure selection.

    Parameters
    ----------
    distance : (H, W) uint8 or float32 array
        Distance map to the palette.
    truth : (H, W) bool array
        True figure pixels.
    valid : (H, W) bool array, optional
        Pixels to score.
    thresholds : sequence of float or 'unique', optional
        Grid of the search (default :func:`default_thresholds`: 0..255 absolute,
        :data:`RELATIVE_GRID` relative; ``'unique'``: every distinct mask).
    figure : FigureParams or None
        Figure selection applied before scoring (the design note's figure mask);
        ``None`` scores the raw colour mask, for which the sweep alone is exact.
    candidates : int or None
        With ``figure``: ``None`` (default) applies figure selection to every distinct
        mask of the grid, so the result is the exact best of the selected figure on
        the grid (each distinct mask once: about 100 for an absolute map, 200 for the
        relative grid). An integer re-scores only the raw sweep's ``candidates``
        best-ranked thresholds: faster, and it can miss the optimum.
    metric : str
        Score to maximise, one of :data:`~runwaycut.scoring.metrics.SCORE_NAMES`.
    smoothing : bool
        The original's +1 smoothing.

    Returns
    -------
    best : BestThreshold
        Ties between thresholds go to the middle of a run of equal scores.
    """
    if metric not in SCORE_NAMES:
        raise ValueError(f"metric must be one of {', '.join(SCORE_NAMES)}, got {metric!r}")
    if isinstance(thresholds, str):
        if thresholds != "unique":
            raise ValueError(f"thresholds must be a sequence of numbers or 'unique', "
                             f"got {thresholds!r}")
        thresholds = unique_thresholds(distance, valid)
    s = sweep(distance, truth, valid, thresholds)
    order = s.ranking(metric, smoothing)
    all_scores = s.scores(smoothing)
    raw = int(order[0])
    raw_scores = _scores_at(all_scores, s, raw)
    raw_t = float(s.thresholds[raw])
    if figure is None:
        return BestThreshold(raw_t, raw_scores, raw_t, raw_scores, 0, s)
    # Thresholds that give the same mask share one evaluation: each maps to the last
    # threshold at or below it where the mask changed.
    changes = mask_changes(distance, s.thresholds)
    owner = np.maximum.accumulate(np.where(changes, np.arange(len(s)), 0))
    if candidates is None:
        wanted = np.flatnonzero(changes)
    else:
        wanted = np.unique(owner[order[:max(1, int(candidates))]])
    curve = np.full(len(s), np.nan)
    found: dict[int, dict] = {}
    for i in wanted:
        t = float(s.thresholds[i])
        found[int(i)] = mask_scores(select_figure(~in_band(distance, t), figure), truth,
                                    valid, smoothing)
    evaluated = np.isin(owner, wanted) if candidates is None else np.isin(
        np.arange(len(s)), order[:max(1, int(candidates))])
    curve[evaluated] = [found[int(o)][metric] for o in owner[evaluated]]
    best = int(np.lexsort((np.arange(len(s)), _plateau_offset(np.nan_to_num(curve, nan=-1.0)),
                           -np.nan_to_num(curve, nan=-1.0)))[0])
    return BestThreshold(float(s.thresholds[best]), found[int(owner[best])], raw_t, raw_scores,
                         len(found), s, curve)


def _scores_at(all_scores: dict, s: Sweep, i: int) -> dict:
    out = {k: float(all_scores[k][i]) for k in SCORE_NAMES}
    out.update(tp=int(s.tp[i]), fp=int(s.fp[i]), fn=int(s.fn[i]), tn=int(s.tn[i]))
    return out


@dataclass(frozen=True)
class SearchResult:
    """Result of :func:`coarse_to_fine`: threshold, its score, thresholds evaluated."""

    threshold: float
    score: float
    evaluated: int


def coarse_to_fine(score: Callable[[float], float], grid: Sequence[float] = COARSE_GRID["relative"],
                   refinements: Sequence[int] = REFINEMENTS, points: int = 5) -> SearchResult:
    """The original's threshold search: a coarse grid, then narrowing grids.

    Parameters
    ----------
    score : callable float -> float
        Score of a threshold (higher is better), e.g. F1 of its mask.
    grid : sequence of float
        The coarse grid (the original: 0.2, 0.4, 0.6, 0.8, 1.0, relative band).
    refinements : sequence of int
        For each ``j``, a ``points``-point grid from ``best - best/j`` to
        ``best + best/j`` around the best so far (the original: 2, 3, 4).
    points : int

    Returns
    -------
    result : SearchResult
        The best threshold seen; the first seen wins ties. Negative thresholds of a
        refinement grid are clipped to 0; each distinct threshold is scored once.
    """
    seen: dict[float, float] = {}

    def visit(values: Iterable[float]) -> None:
        for v in values:
            v = max(0.0, round(float(v), 12))  # linspace's 0.6000000000000001 is 0.6
            if v not in seen:
                seen[v] = float(score(v))

    visit(grid)
    best = max(seen, key=seen.__getitem__)
    for j in refinements:
        visit(np.linspace(best - best / j, best + best / j, points))
        best = max(seen, key=seen.__getitem__)  # first seen wins ties
    return SearchResult(threshold=best, score=seen[best], evaluated=len(seen))


def coarse_to_fine_threshold(distance: np.ndarray, truth: np.ndarray,
                             valid: np.ndarray | None = None, *,
                             figure: FigureParams | None = None, grid: Sequence[float] | None = None,
                             metric: str = "f1", smoothing: bool = False) -> SearchResult:
    """:func:`coarse_to_fine` on one distance map, each threshold scored by brute force.

    ``grid`` defaults to :data:`COARSE_GRID` of the map's band. ``figure`` applies
    figure selection before scoring, as :func:`best_threshold`.
    """
    band = "absolute" if distance.dtype == np.uint8 else "relative"

    def score(t: float) -> float:
        mask = ~in_band(distance, t)
        if figure is not None:
            mask = select_figure(mask, figure)
        return mask_scores(mask, truth, valid, smoothing)[metric]

    return coarse_to_fine(score, COARSE_GRID[band] if grid is None else grid)


@dataclass(frozen=True)
class SeedBest:
    """The best threshold of one palette draw."""

    seed: int
    best: BestThreshold


def best_over_seeds(image: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None, *,
                    seeds: Iterable[int] = range(5), palette=None, mask: MaskParams = MaskParams(),
                    figure: FigureParams | None = FigureParams(),
                    candidates: int | None = None,
                    thresholds=None) -> list[SeedBest]:
    """Best threshold for several random palette draws: how much it moves with luck.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    truth, valid : (H, W) bool arrays
    seeds : iterable of int
        Palette seeds; each draws a new palette.
    palette : PaletteParams, optional
        Other palette settings (its seed is replaced by each of ``seeds``).
    mask : MaskParams
        Band and vote (its threshold is ignored).
    figure, candidates, thresholds
        As :func:`best_threshold`.

    Returns
    -------
    results : list of SeedBest
    """
    from dataclasses import replace

    from ..note.palette import PaletteParams, sample_palette

    palette = PaletteParams() if palette is None else palette
    out = []
    for seed in seeds:
        pal = sample_palette(image, replace(palette, seed=int(seed)))
        d = distance_map(image, pal.colors, mask.band, mask.vote)
        out.append(SeedBest(int(seed), best_threshold(d, truth, valid, thresholds=thresholds,
                                                      figure=figure, candidates=candidates)))
    return out


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation, min and max of a few numbers (e.g. best thresholds)."""
    a = np.asarray(values, np.float64)
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()),
            "max": float(a.max())}


__all__ = ["BestThreshold", "COARSE_GRID", "RELATIVE_GRID", "REFINEMENTS", "SearchResult",
           "SeedBest", "Sweep", "best_over_seeds", "best_threshold", "coarse_to_fine",
           "coarse_to_fine_threshold", "default_thresholds", "mask_changes", "relative_grid", "spread",
           "sweep", "unique_thresholds"]
