"""Scoring a figure-mask method over a labelled set, and tuning thresholds on it.

:func:`evaluate` runs a method (any backend of :data:`runwaycut.methods.METHODS`) on
every photo of a labelled set (:mod:`runwaycut.scoring.labels`) and scores its mask against the
labels: one row per photo, then the mean and median of each score. With
``threshold="best"`` the palette method uses each photo's best threshold
(:func:`runwaycut.scoring.tuning.best_threshold`), the ceiling a threshold rule can reach.

:func:`tune` writes each photo's best threshold (per band, per palette draw).

Rows are plain dicts with the columns of :data:`ROW_COLUMNS` / :data:`TUNE_COLUMNS`;
:func:`write_csv` writes them atomically.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import cv2
import numpy as np

from ..note.colormask import DEFAULT_THRESHOLD, MaskParams, distance_map, in_band
from ..errors import LabelError, RunwaycutError
from ..note.figure import FigureParams, select_figure
from ..io import write_bytes_atomic
from ..scoring.labels import TARGETS, Dataset, LabelMap, load_item, open_dataset
from ..methods import FigureMethod, PaletteMethod, get_method
from ..scoring.metrics import SCORE_NAMES, mask_scores, scores
from ..note.palette import PaletteParams, sample_palette
from ..threshold.rules import parse_threshold
from ..scoring.tuning import RELATIVE_GRID, best_threshold, sweep

#: Columns of :func:`evaluate`'s rows, in CSV order.
ROW_COLUMNS = ("id", "status", "threshold", "precision", "recall", "f1", "iou", "accuracy",
               "tp", "fp", "fn", "tn", "raw_threshold", "raw_f1", "figure_fraction",
               "truth_fraction", "unknown_px", "ms", "error")
#: Columns of :func:`tune`'s rows, in CSV order.
TUNE_COLUMNS = ("id", "band", "seed", "threshold", "f1", "precision", "recall", "iou",
                "raw_threshold", "raw_f1", "default_threshold", "default_f1", "status", "error")
#: Scores summarised by mean and median.
SUMMARY_SCORES = SCORE_NAMES
#: Width in pixels of the thumbnails kept for the worst photos.
THUMB_WIDTH = 180


@dataclass(frozen=True)
class Curve:
    """Mean scores of the raw colour mask against threshold, over the scored photos.

    Attributes
    ----------
    band : str
    thresholds : (T,) float64 array
    mean : dict of str to (T,) float64 array
        ``precision``, ``recall``, ``f1`` of the raw colour mask (before figure
        selection), averaged over photos; with ``threshold="best"`` searched
        exhaustively, also ``figure_f1``: F1 of the figure-selected mask.
    photos : int
        Photos averaged.
    """

    band: str
    thresholds: np.ndarray
    mean: dict
    photos: int


@dataclass(frozen=True)
class Thumbs:
    """Small pictures of one photo's result, for the report.

    Attributes
    ----------
    id : str
    f1 : float
    photo : (h, w, 3) uint8 array
    classes : (h, w) uint8 array
        Label classes (:data:`runwaycut.scoring.labels.IGNORE` for unknown).
    names : tuple of str
        Class names of ``classes``.
    truth, prediction, valid : (h, w) bool arrays
        True positive class, predicted mask, scored pixels.
    """

    id: str
    f1: float
    photo: np.ndarray
    classes: np.ndarray
    names: tuple
    truth: np.ndarray
    prediction: np.ndarray
    valid: np.ndarray


@dataclass
class Evaluation:
    """What :func:`evaluate` found.

    Attributes
    ----------
    rows : list of dict
        One per entry of the set, columns :data:`ROW_COLUMNS`; ``status`` is ``ok``,
        ``skipped`` (photo or label missing) or ``failed`` (unreadable, wrong size,
        unknown label values), with the reason in ``error``.
    summary : dict
        Counts, and ``mean`` / ``median`` / ``pooled`` (scores of the summed counts)
        of each score over the ``ok`` rows.
    curve : Curve or None
        Mean scores against threshold, for methods that expose a distance map.
    worst : list of Thumbs
        The lowest-F1 photos, worst first.
    settings : dict
        Data set, layout, target, method and threshold, for the record.
    """

    rows: list
    summary: dict
    curve: Curve | None = None
    worst: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def evaluate(dataset: Dataset | str | Path, method: FigureMethod | str = "palette", *,
             target: str = "figure", threshold: float | str | None = None,
             smoothing: bool = False, limit: int | None = None, curve: bool = True,
             worst: int = 8, candidates: int | None = None,
             thresholds: Sequence[float] | str | None = None,
             on_photo: Callable[[dict], None] | None = None) -> Evaluation:
    """Score a figure-mask method on every photo of a labelled set.

    Parameters
    ----------
    dataset : Dataset or path
        A labelled set, or its folder (layout detected, :func:`runwaycut.scoring.labels.open_dataset`).
    method : FigureMethod or str
        A backend instance, or a name of :data:`runwaycut.methods.METHODS` built with
        its defaults.
    target : {'figure', 'garment'}
        Positive class of the labels: every class but background (the note's step 1),
        or garment (its final goal). For garment, the method's figure goes through
        garment isolation (:class:`runwaycut.garment.GarmentMethod`) and the garment
        mask is scored (with ``threshold='best'``: the figure mask, a threshold ceiling).
    threshold : None, float, rule name or 'best'
        ``None``: the method's own. A number or a rule of
        :data:`runwaycut.threshold.rules.THRESHOLD_RULES`: replaces the palette method's
        threshold. ``'best'``: each photo's best threshold against its labels
        (palette method only; see :func:`runwaycut.scoring.tuning.best_threshold`).
    smoothing : bool
        The original's +1 smoothing of the scores.
    limit : int, optional
        Score only the first ``limit`` entries (by id).
    curve : bool
        Also average the raw colour mask's scores at every threshold (methods that
        expose a distance map only).
    worst : int
        How many lowest-F1 photos to keep thumbnails of.
    candidates, thresholds
        Passed to :func:`runwaycut.scoring.tuning.best_threshold` with ``threshold='best'``.
    on_photo : callable, optional
        Called with each row as soon as it is done (progress bars).

    Returns
    -------
    evaluation : Evaluation
    """
    if not isinstance(dataset, Dataset):
        dataset = open_dataset(dataset)
    _check_target(dataset, target)
    backend = get_method(method) if isinstance(method, str) else method
    best = isinstance(threshold, str) and threshold.strip().lower() == "best"
    if best:
        if not isinstance(backend, PaletteMethod):
            raise ValueError(f"--threshold best needs the palette method (a colour-band "
                             f"threshold to search); {backend.name!r} has none")
    elif threshold is not None:
        backend = _with_threshold(backend, threshold)
    if target == "garment" and not best:  # score the garment mask, not the figure
        from ..garment.outputs import GarmentMethod

        if not isinstance(backend, GarmentMethod):
            backend = GarmentMethod(backend)
    items = list(dataset.items)[:limit] if limit is not None else list(dataset.items)
    rows: list[dict] = []
    curves = _CurveSum()
    worst_heap: list = []
    for n, item in enumerate(items):
        row = {"id": item.id, "status": "failed", "error": ""}
        start = time.perf_counter()
        try:
            missing = item.missing()
            if missing is not None:
                row.update(status="skipped", error=str(missing))
            else:
                image, labels = load_item(item)
                truth = labels.positive(target)
                valid = labels.valid
                if best:
                    mask, thr, distance, extra = _best_mask(image, truth, valid, backend,
                                                            smoothing, candidates, thresholds)
                    curves.add_figure(extra.get("figure_curve"), extra.get("grid"))
                else:
                    result = backend.predict(image)
                    mask, thr = result.mask, result.threshold
                    if "garment" in result.details:  # runwaycut.garment.GarmentMethod
                        mask = result.details["garment"].garment
                    distance = result.details.get("distance")
                    extra = {}
                sc = mask_scores(mask, truth, valid, smoothing)
                row.update({k: sc[k] for k in SCORE_NAMES + ("tp", "fp", "fn", "tn")})
                row.update(status="ok", threshold=thr, raw_threshold=extra.get("raw_threshold"),
                           raw_f1=extra.get("raw_f1"),
                           figure_fraction=float(mask.mean()),
                           truth_fraction=float(truth.mean()), unknown_px=labels.unknown)
                if curve and _is_distance(distance, truth.shape):
                    curves.add(distance, truth, valid, smoothing)
                if worst > 0:
                    _keep_worst(worst_heap, worst, n, item.id, sc["f1"], image, labels, truth,
                                mask)
        except RunwaycutError as exc:
            row["error"] = str(exc)
        except (OSError, ValueError, MemoryError) as exc:
            row["error"] = f"{item.photo or item.label}: {type(exc).__name__}: {exc}"
        row["ms"] = (time.perf_counter() - start) * 1000
        row = {k: _clean(row.get(k)) for k in ROW_COLUMNS}
        rows.append(row)
        if on_photo is not None:
            on_photo(row)
    worst_list = [t for _, _, t in sorted(worst_heap, key=lambda e: (-e[0], e[1]))]
    settings = {"dataset": str(dataset.root), "layout": dataset.layout, "target": target,
                "method": backend.name, "threshold": _threshold_text(backend, threshold),
                "band": _band_of(backend), "smoothing": smoothing}
    return Evaluation(rows=rows, summary=summarize(rows), curve=curves.result(),
                      worst=worst_list, settings=settings)


def _check_target(dataset: Dataset, target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")
    if target == "garment" and dataset.layout == "masks":
        raise LabelError(dataset.root, "binary masks hold only figure and background; "
                                       "target garment needs four-class labels (ccp or seg "
                                       "layout)")


def _with_threshold(backend, threshold):
    if not isinstance(backend, PaletteMethod):
        raise ValueError(f"a threshold applies to the palette method; build {backend.name!r} "
                         "with its palette settings instead")
    value, rule = parse_threshold(threshold, band=backend.mask.band)
    return replace(backend, mask=replace(backend.mask, threshold=value), threshold_rule=rule)


def _best_mask(image, truth, valid, backend: PaletteMethod, smoothing, candidates, thresholds):
    palette = sample_palette(image, backend.palette)
    distance = distance_map(image, palette.colors, backend.mask.band, backend.mask.vote)
    figure = None if _no_selection(backend.figure) else backend.figure
    b = best_threshold(distance, truth, valid, thresholds=thresholds, figure=figure,
                       candidates=candidates, smoothing=smoothing)
    mask = ~in_band(distance, b.threshold)
    if figure is not None:
        mask = select_figure(mask, figure)
    extra = {"raw_threshold": b.raw_threshold, "raw_f1": b.raw_scores["f1"]}
    if b.figure_curve is not None and candidates is None:
        extra.update(figure_curve=b.figure_curve, grid=b.sweep.thresholds)
    return mask, b.threshold, distance, extra


def _no_selection(figure: FigureParams) -> bool:
    return figure == FigureParams(keep_largest=False, fill_holes=False)


def _is_distance(distance, shape) -> bool:
    return (isinstance(distance, np.ndarray) and distance.shape == shape
            and distance.dtype in (np.uint8, np.float32))


def _band_of(backend) -> str | None:
    mask = getattr(backend, "mask", None)
    return getattr(mask, "band", None)


def _threshold_text(backend, threshold) -> str:
    if threshold is not None:
        return str(threshold)
    if isinstance(backend, PaletteMethod):
        if backend.threshold_rule is not None:
            return getattr(backend.threshold_rule, "__name__", "rule")
        return f"{backend.mask.resolved_threshold:g}"
    return "method's own"


def _clean(value):
    """Plain Python values for CSV and JSON: floats rounded, NaN/None as None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else round(v, 6)
    return value


class _CurveSum:
    """Running sums of per-photo score curves on a common threshold grid."""

    def __init__(self):
        self.band = None
        self.grid = None
        self.sums: dict[str, np.ndarray] = {}
        self.count = 0
        self.fig_grid = None
        self.fig_sum = None
        self.fig_count = 0

    def add(self, distance, truth, valid, smoothing):
        band = "absolute" if distance.dtype == np.uint8 else "relative"
        if self.band is None:
            self.band = band
            self.grid = np.arange(256, dtype=np.float64) if band == "absolute" else RELATIVE_GRID
        elif band != self.band:
            return
        sc = sweep(distance, truth, valid, self.grid).scores(smoothing)
        for k in ("precision", "recall", "f1"):
            self.sums[k] = self.sums.get(k, 0) + sc[k]
        self.count += 1

    def add_figure(self, curve, grid):
        if curve is None or grid is None or np.isnan(curve).any():
            return
        if self.fig_sum is None:
            self.fig_grid = grid
            self.fig_sum = np.zeros(len(grid))
        elif len(grid) != len(self.fig_grid) or not np.array_equal(grid, self.fig_grid):
            return
        self.fig_sum += curve
        self.fig_count += 1

    def result(self) -> Curve | None:
        if not self.count:
            return None
        mean = {k: v / self.count for k, v in self.sums.items()}
        if self.fig_count == self.count and np.array_equal(self.fig_grid, self.grid):
            mean["figure_f1"] = self.fig_sum / self.fig_count
        return Curve(band=self.band, thresholds=np.asarray(self.grid), mean=mean,
                     photos=self.count)


def _keep_worst(heap: list, k: int, order: int, photo_id: str, f1: float, image, labels: LabelMap,
                truth, mask) -> None:
    # A min-heap on -F1: its top is the highest F1 kept, the first to give way.
    key = (-f1, -order)
    if len(heap) >= k and key <= heap[0][:2]:
        return
    thumbs = make_thumbs(photo_id, f1, image, labels, truth, mask)
    entry = (-f1, -order, thumbs)
    if len(heap) < k:
        heapq.heappush(heap, entry)
    else:
        heapq.heapreplace(heap, entry)


def make_thumbs(photo_id: str, f1: float, image: np.ndarray, labels: LabelMap,
                truth: np.ndarray, mask: np.ndarray, width: int = THUMB_WIDTH) -> Thumbs:
    """Downscaled photo, labels, truth and prediction of one photo (see :class:`Thumbs`)."""
    h, w = image.shape[:2]
    size = (width, max(1, round(h * width / w)))
    nearest = lambda a: cv2.resize(a.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    valid = labels.valid if labels.valid is not None else np.ones(truth.shape, bool)
    return Thumbs(id=photo_id, f1=float(f1),
                  photo=cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                  classes=nearest(labels.classes), names=tuple(labels.names),
                  truth=nearest(truth).astype(bool), prediction=nearest(mask).astype(bool),
                  valid=nearest(valid).astype(bool))


def summarize(rows: Iterable[dict]) -> dict:
    """Counts by status, and mean, median and pooled scores over the ``ok`` rows.

    ``pooled`` scores the confusion counts summed over all photos (a micro-average,
    which weighs each pixel equally rather than each photo).
    """
    rows = list(rows)
    ok = [r for r in rows if r["status"] == "ok"]
    out = {"photos": len(rows), "scored": len(ok),
           "skipped": sum(r["status"] == "skipped" for r in rows),
           "failed": sum(r["status"] == "failed" for r in rows),
           "mean": {}, "median": {}, "pooled": {}}
    if ok:
        for k in SUMMARY_SCORES:
            values = np.array([r[k] for r in ok], np.float64)
            out["mean"][k] = float(values.mean())
            out["median"][k] = float(np.median(values))
        counts = {c: sum(r[c] for r in ok) for c in ("tp", "fp", "fn", "tn")}
        out["pooled"] = {k: float(v) for k, v in scores(**counts).items()}
        thresholds = [r["threshold"] for r in ok if r["threshold"] is not None]
        if thresholds:
            out["mean"]["threshold"] = float(np.mean(thresholds))
            out["median"]["threshold"] = float(np.median(thresholds))
    return out


def write_csv(path: str | Path, rows: Iterable[dict], columns: Sequence[str] = ROW_COLUMNS) -> Path:
    """Write rows as CSV (header ``columns``), atomically; ``None`` is an empty cell."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8"))


def tune(dataset: Dataset | str | Path, palette: PaletteParams = PaletteParams(),
         mask: MaskParams = MaskParams(), figure: FigureParams = FigureParams(), *,
         bands: Sequence[str] = ("absolute",), seeds: Sequence[int] | None = None,
         target: str = "figure", candidates: int | None = None,
         thresholds: Sequence[float] | str | None = None, smoothing: bool = False,
         limit: int | None = None,
         on_photo: Callable[[list], None] | None = None) -> list[dict]:
    """Each photo's best threshold, for each band and palette draw.

    Parameters
    ----------
    dataset : Dataset or path
    palette, mask, figure : step parameters
        The palette method's settings (``mask.band`` and ``palette.seed`` are replaced
        by ``bands`` and ``seeds``).
    bands : sequence of {'absolute', 'relative'}
    seeds : sequence of int, optional
        Palette draws; default ``[palette.seed]``. Several show how far the best
        threshold moves with the random sampling.
    target, candidates, thresholds, smoothing, limit
        As :func:`evaluate`.
    on_photo : callable, optional
        Called with each photo's list of rows.

    Returns
    -------
    rows : list of dict
        Columns :data:`TUNE_COLUMNS`, one per photo, band and seed. ``threshold``,
        ``f1``, ... score the figure-selected mask at the best threshold; ``raw_*`` the
        raw colour mask's own optimum; ``default_f1`` the figure at the band's default
        threshold (20 absolute, 0.4 relative), for comparison.
    """
    if not isinstance(dataset, Dataset):
        dataset = open_dataset(dataset)
    _check_target(dataset, target)
    seeds = [palette.seed] if seeds is None else list(seeds)
    figure_or_none = None if _no_selection(figure) else figure
    items = list(dataset.items)[:limit] if limit is not None else list(dataset.items)
    out: list[dict] = []
    for item in items:
        photo_rows = []
        try:
            missing = item.missing()
            if missing is not None:
                raise missing
            image, labels = load_item(item)
            truth, valid = labels.positive(target), labels.valid
            for band in bands:
                for seed in seeds:
                    pal = sample_palette(image, replace(palette, seed=int(seed)))
                    d = distance_map(image, pal.colors, band, mask.vote)
                    b = best_threshold(d, truth, valid, thresholds=thresholds,
                                       figure=figure_or_none, candidates=candidates,
                                       smoothing=smoothing)
                    default = DEFAULT_THRESHOLD[band]
                    dmask = ~in_band(d, default)
                    if figure_or_none is not None:
                        dmask = select_figure(dmask, figure_or_none)
                    row = {"id": item.id, "band": band, "seed": int(seed),
                           "threshold": b.threshold, "raw_threshold": b.raw_threshold,
                           "raw_f1": b.raw_scores["f1"], "default_threshold": default,
                           "default_f1": mask_scores(dmask, truth, valid, smoothing)["f1"],
                           "status": "ok", "error": ""}
                    row.update({k: b.scores[k] for k in ("f1", "precision", "recall", "iou")})
                    photo_rows.append(row)
        except RunwaycutError as exc:
            status = "skipped" if item.missing() is not None else "failed"
            photo_rows = [{"id": item.id, "band": band, "status": status, "error": str(exc)}
                          for band in bands]
        except (OSError, ValueError, MemoryError) as exc:
            photo_rows = [{"id": item.id, "band": band, "status": "failed",
                           "error": f"{item.photo}: {type(exc).__name__}: {exc}"}
                          for band in bands]
        photo_rows = [{k: _clean(r.get(k)) for k in TUNE_COLUMNS} for r in photo_rows]
        out.extend(photo_rows)
        if on_photo is not None:
            on_photo(photo_rows)
    return out


def tune_summary(rows: Iterable[dict]) -> dict:
    """Per band: photos, mean/median best F1, default F1, and the spread of the best
    threshold over seeds (mean over photos of its standard deviation)."""
    rows = [r for r in rows if r["status"] == "ok"]
    out = {}
    for band in sorted({r["band"] for r in rows}):
        rs = [r for r in rows if r["band"] == band]
        by_photo: dict[str, list[float]] = {}
        for r in rs:
            by_photo.setdefault(r["id"], []).append(r["threshold"])
        f1 = np.array([r["f1"] for r in rs])
        dflt = np.array([r["default_f1"] for r in rs])
        raw = np.array([r["raw_f1"] for r in rs])
        out[band] = {"photos": len(by_photo), "rows": len(rs),
                     "best_f1_mean": float(f1.mean()), "best_f1_median": float(np.median(f1)),
                     "raw_best_f1_mean": float(raw.mean()),
                     "default_f1_mean": float(dflt.mean()),
                     "default_f1_median": float(np.median(dflt)),
                     "threshold_median": float(np.median([r["threshold"] for r in rs])),
                     "threshold_std_over_seeds": float(np.mean([np.std(v) for v in
                                                                by_photo.values()]))}
    return out
