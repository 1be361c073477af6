"""Training and cross-validating the threshold model on a labelled set.

For every labelled photo we compute, once, everything the model and its baselines need
(:class:`PhotoRecord`): its photo features, the F1 of its figure mask at every whole
threshold ``0 .. max_threshold`` (the *curve*: colour mask, then figure selection,
scored against the labels), the figure's area at each threshold, the person's and the
face's areas (for the face-ratio rule and the person features), the figure's agreement
with the person model at each threshold (for the person rule and the person features),
and Otsu's threshold and its F1. Records are cached on disk (a temporary folder by
default), keyed by the photo's and label's bytes, every setting and the person models'
checksums, so a second run, or ``--cv`` after a plain train, only fits.

:func:`cross_validate` then fits the models on k - 1 folds and scores the held-out
fold, so that no photo is scored by a model that saw it, and reports the mean figure
F1 of the fixed default threshold, Otsu, the face-ratio and person rules, the
photo-only model, the model (``photo+person``, falling back on the photo-only one where
no person is found), and each photo's best threshold (the ceiling).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ...note.colormask import DEFAULT_THRESHOLD, distance_map, in_band
from ..face_ratio import (FaceRatioParams, box_area, choose_by_face_ratio, estimate_face_box,
                          person_estimate)
from ..features import FEATURE_SETS, FEATURES_VERSION, image_features
from ...note.figure import FigureParams, select_figure
from ...scoring.labels import Dataset, load_item, open_dataset
from ...scoring.metrics import scores
from ...note.palette import PaletteParams, sample_palette
from ..person_agreement import PERSON_LEVEL, best_agreement, person_features
from ..model import PERSON_PARAMS, ModelParams, ThresholdModel
from .fit import curve_target, fit_model
from ..rules import otsu_threshold

#: Bump when what a record holds, or how it is computed, changes (invalidates caches).
RECORD_VERSION = 3

#: Rows of the cross-validation table, in order.
CV_ROWS = ("default", "otsu", "face-ratio", "person", "photo-model", "model", "ceiling")


@dataclass(frozen=True)
class PhotoRecord:
    """What training needs to know about one labelled photo.

    Attributes
    ----------
    id : str
    features : (n_features,) float64 array
    curve : (T + 1,) float64 array
        Figure F1 at thresholds ``0 .. T``.
    area : (T + 1,) int64 array
        Figure pixels at each threshold.
    otsu_threshold, otsu_f1 : float
        Otsu's threshold of the distance map and the F1 it gives (it may lie beyond T).
    face : float
        Area in pixels of the face found by the person model (0: none found or not
        computed).
    agreement : (T + 1,) float64 array
        F1 of the figure mask against the person model's mask at each threshold (all
        zero when the person models were not run or found no one).
    person_area : float
        Pixels of the person mask (0: no person found, or the models were not run).
    shape : (H, W) tuple of int
        The photo's size.
    """

    id: str
    features: np.ndarray
    curve: np.ndarray
    area: np.ndarray
    otsu_threshold: float
    otsu_f1: float
    face: float = 0.0
    agreement: np.ndarray | None = None
    person_area: float = 0.0
    shape: tuple[int, int] = (0, 0)


def figure_curve(distance: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None,
                 max_threshold: int = 80, figure: FigureParams = FigureParams(),
                 person: np.ndarray | None = None):
    """F1 and area of the figure mask at every whole threshold ``0 .. max_threshold``.

    Parameters
    ----------
    distance : (H, W) uint8 array
        Absolute-band distance map.
    truth : (H, W) bool array
        True figure pixels.
    valid : (H, W) bool array, optional
        Pixels to score.
    max_threshold : int
    figure : FigureParams
        Figure selection applied to each colour mask before scoring.
    person : (H, W) bool array, optional
        A person mask: also score each figure mask against it (F1, every pixel).

    Returns
    -------
    f1 : (max_threshold + 1,) float64 array
    area : (max_threshold + 1,) int64 array
        Figure pixels (scored or not).
    agreement : (max_threshold + 1,) float64 array
        Only when ``person`` is given: F1 of the figure mask against it.

    Notes
    -----
    Figure selection (largest region) has no histogram shortcut, so every threshold is
    masked and selected: about 5 ms each on a 0.5-megapixel photo.
    """
    if distance.dtype != np.uint8:
        raise ValueError("figure_curve needs an absolute-band (uint8) distance map")
    truth = np.asarray(truth, bool)
    if valid is not None:
        valid = np.asarray(valid, bool)
        truth = truth & valid
    n = max_threshold + 1
    tp, pred, area, both = (np.zeros(n, np.int64) for _ in range(4))
    pos = int(np.count_nonzero(truth))
    total = int(truth.size if valid is None else np.count_nonzero(valid))
    for t in range(n):
        mask = select_figure(distance > t, figure)
        area[t] = np.count_nonzero(mask)
        tp[t] = np.count_nonzero(mask & truth)
        pred[t] = area[t] if valid is None else np.count_nonzero(mask & valid)
        if person is not None:
            both[t] = np.count_nonzero(mask & person)
    fp = pred - tp
    fn = pos - tp
    tn = total - pos - fp
    f1 = scores(tp, fp, fn, tn)["f1"]
    if person is None:
        return f1, area
    n_person = int(np.count_nonzero(person))
    p_fp = area - both
    p_fn = n_person - both
    return f1, area, scores(both, p_fp, p_fn, person.size - both - p_fp - p_fn)["f1"]


def photo_record(photo_id: str, image: np.ndarray, truth: np.ndarray,
                 valid: np.ndarray | None = None, *,
                 palette: PaletteParams = PaletteParams(),
                 figure: FigureParams = FigureParams(), max_threshold: int = 80,
                 person: bool = True) -> PhotoRecord:
    """Compute a :class:`PhotoRecord` (the expensive part of training).

    ``person=False`` skips the person models (no face-ratio or person baselines).
    """
    pal = sample_palette(image, palette)
    distance = distance_map(image, pal.colors, "absolute")
    face, person_mask = 0.0, None
    if person:
        estimate = person_estimate(image)
        if estimate.found:
            person_mask = estimate.probability >= PERSON_LEVEL
            if not person_mask.any():
                person_mask = None  # as person_sweep: an empty mask is no person
        if person_mask is not None:
            face = float(box_area(estimate_face_box(estimate), image.shape[:2]) or 0.0)
    if person_mask is not None:
        curve, area, agreement = figure_curve(distance, truth, valid, max_threshold, figure,
                                              person_mask)
    else:
        curve, area = figure_curve(distance, truth, valid, max_threshold, figure)
        agreement = np.zeros(max_threshold + 1)
    otsu_t = float(otsu_threshold(image, pal, distance, "absolute"))
    if otsu_t <= max_threshold:
        otsu_f1 = float(curve[int(otsu_t)])
    else:
        mask = select_figure(~in_band(distance, otsu_t), figure)
        otsu_f1 = float(_f1(mask, truth, valid))
    return PhotoRecord(id=photo_id, features=image_features(image, pal, distance, palette),
                       curve=curve, area=area, otsu_threshold=otsu_t, otsu_f1=otsu_f1,
                       face=face, agreement=agreement,
                       person_area=float(0 if person_mask is None
                                         else np.count_nonzero(person_mask)),
                       shape=(int(image.shape[0]), int(image.shape[1])))


def _f1(mask, truth, valid) -> float:
    if valid is not None:
        mask, truth = mask & valid, truth & valid
    tp = np.count_nonzero(mask & truth)
    fp = np.count_nonzero(mask) - tp
    fn = np.count_nonzero(truth) - tp
    return float(scores(np.array([tp]), np.array([fp]), np.array([fn]), np.array([0]))["f1"][0])


# --- the whole set, cached ------------------------------------------------------------

@dataclass(frozen=True)
class TrainingData:
    """Records of a labelled set, as arrays (rows in the order of ``ids``).

    ``features`` are the photo features; :meth:`person_features` computes the person
    features from the stored sweeps, exactly as a model computes them for a photo.
    """

    ids: tuple[str, ...]
    features: np.ndarray
    curves: np.ndarray
    areas: np.ndarray
    otsu_f1: np.ndarray
    faces: np.ndarray
    agreement: np.ndarray
    skipped: tuple[str, ...] = ()
    person_areas: np.ndarray | None = None
    shapes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def found(self) -> np.ndarray:
        """(n,) bool: photos in which the person models found someone."""
        if self.person_areas is None:
            return np.zeros(len(self), bool)
        return np.asarray(self.person_areas) > 0

    def person_features(self) -> np.ndarray:
        """(n, len(PERSON_FEATURE_NAMES)) person features of every record (rows of
        photos without a person describe an empty one; see :attr:`found`)."""
        shapes = (np.zeros((len(self), 2), int) if self.shapes is None
                  else np.asarray(self.shapes))
        areas = np.zeros(len(self)) if self.person_areas is None else self.person_areas
        return np.stack([person_features(a, s, f, p, tuple(int(v) for v in hw))
                         for a, s, f, p, hw in zip(self.agreement, self.areas, self.faces,
                                                   areas, shapes)])

    def features_of(self, feature_set: str) -> np.ndarray:
        """Feature rows of a feature set (:data:`runwaycut.threshold.features.FEATURE_SETS`)."""
        if feature_set not in FEATURE_SETS:
            raise ValueError(f"feature set must be one of {', '.join(FEATURE_SETS)}, got "
                             f"{feature_set!r}")
        if feature_set == "photo":
            return self.features
        return np.hstack([self.features, self.person_features()])


def default_cache_dir() -> Path:
    """Where records are cached: ``$RUNWAYCUT_CACHE`` or a folder in the temp dir."""
    return Path(os.environ.get("RUNWAYCUT_CACHE")
                or Path(tempfile.gettempdir()) / "runwaycut-train-cache")


def _settings_key(palette: PaletteParams, figure: FigureParams, max_threshold: int,
                  person: bool) -> str:
    text = json.dumps({"record": RECORD_VERSION, "features": FEATURES_VERSION,
                       "palette": asdict(palette), "figure": asdict(figure),
                       "max_threshold": max_threshold, "person": person,
                       "person_models": _person_fingerprint() if person else None},
                      sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _person_fingerprint() -> dict:
    """What the person models' answers depend on: their files' checksums, settings and
    the probability level of the person mask (a cached record made with other models
    is computed again)."""
    try:
        from ...models import MODELS
        from ...person.segmenter import PersonParams
    except ImportError:  # pragma: no cover - the person models are not installed
        return {}
    return {"models": {name: MODELS[name].sha256 for name in sorted(MODELS)
                       if name in ("selfie_segmentation", "pose_landmark_full")},
            "params": asdict(PersonParams()), "level": PERSON_LEVEL}


def _file_digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class _Job:
    item: object
    palette: PaletteParams
    figure: FigureParams
    max_threshold: int
    person: bool
    cache: Path | None
    key: str


def _record_job(job: _Job):
    """Worker: one photo's record, from the cache or computed (and cached)."""
    item = job.item
    path = None
    if job.cache is not None:
        digest = hashlib.sha1((_file_digest(item.photo) + _file_digest(item.label)
                               + job.key).encode()).hexdigest()
        path = job.cache / f"{item.id}-{digest[:20]}.npz"
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    return PhotoRecord(id=item.id, features=z["features"], curve=z["curve"],
                                       area=z["area"], otsu_threshold=float(z["otsu_t"]),
                                       otsu_f1=float(z["otsu_f1"]), face=float(z["face"]),
                                       agreement=z["agreement"],
                                       person_area=float(z["person_area"]),
                                       shape=tuple(int(v) for v in z["shape"]))
            except (OSError, KeyError, ValueError):
                pass  # a damaged cache entry: compute it again
    image, labels = load_item(item)
    rec = photo_record(item.id, image, labels.positive("figure"), labels.valid,
                       palette=job.palette, figure=job.figure,
                       max_threshold=job.max_threshold, person=job.person)
    if path is not None:
        from ...io import write_bytes_atomic
        import io

        buf = io.BytesIO()
        np.savez(buf, features=rec.features, curve=rec.curve, area=rec.area,
                 otsu_t=rec.otsu_threshold, otsu_f1=rec.otsu_f1, face=rec.face,
                 agreement=rec.agreement, person_area=rec.person_area,
                 shape=np.array(rec.shape, np.int64))
        write_bytes_atomic(path, buf.getvalue())
    return rec


def collect(dataset: Dataset | str | Path, *, palette: PaletteParams = PaletteParams(),
            figure: FigureParams = FigureParams(), max_threshold: int = 80,
            person: bool = True, cache_dir: str | Path | None = None, use_cache: bool = True,
            workers: int = 1,
            progress: Callable[[int, int], None] | None = None) -> TrainingData:
    """Records of every complete photo of a labelled set.

    Parameters
    ----------
    dataset : Dataset or path
        A labelled set (:func:`runwaycut.scoring.labels.open_dataset`).
    palette, figure, max_threshold
        The pipeline the curves describe.
    person : bool
        Run the person models, for the person features, the face-ratio and person
        baselines (about 0.05 s a photo more).
    cache_dir : path, optional
        Record cache (default :func:`default_cache_dir`); ``use_cache=False`` skips it.
    workers : int
        Processes computing records (1: in this process).
    progress : callable (done, total), optional

    Returns
    -------
    data : TrainingData
        Photos with a missing photo or label are listed in ``skipped``.
    """
    if not isinstance(dataset, Dataset):
        dataset = open_dataset(dataset)
    items = dataset.complete
    skipped = tuple(item.id for item in dataset.items if item.problem is not None)
    if not items:
        from ...errors import LabelError

        raise LabelError(dataset.root, "no photo with a label to train on")
    cache = None
    if use_cache:
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
    key = _settings_key(palette, figure, max_threshold, person)
    jobs = [_Job(item, palette, figure, max_threshold, person, cache, key) for item in items]
    records = []
    if workers <= 1:
        for i, job in enumerate(jobs):
            records.append(_record_job(job))
            if progress:
                progress(i + 1, len(jobs))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, rec in enumerate(pool.map(_record_job, jobs, chunksize=4)):
                records.append(rec)
                if progress:
                    progress(i + 1, len(jobs))
    return TrainingData(ids=tuple(r.id for r in records),
                        features=np.stack([r.features for r in records]),
                        curves=np.stack([r.curve for r in records]),
                        areas=np.stack([r.area for r in records]),
                        otsu_f1=np.array([r.otsu_f1 for r in records]),
                        faces=np.array([r.face for r in records]),
                        agreement=np.stack([r.agreement for r in records]),
                        skipped=skipped,
                        person_areas=np.array([r.person_area for r in records]),
                        shapes=np.array([r.shape for r in records], np.int64))


# --- cross-validation -----------------------------------------------------------------

@dataclass(frozen=True)
class CrossValidation:
    """Per-photo F1 of each rule under k-fold cross-validation.

    Attributes
    ----------
    folds : int
    f1 : dict of str to (n,) float64 arrays
        Keys :data:`CV_ROWS`.
    thresholds : dict of str to (n,) float64 arrays
        The threshold each rule chose (NaN where a rule has none).
    """

    folds: int
    f1: dict
    thresholds: dict = field(default_factory=dict)

    def table(self) -> list[dict]:
        """One row per rule: mean and median F1, share of the ceiling."""
        ceiling = float(np.mean(self.f1["ceiling"]))
        return [{"rule": name, "mean_f1": float(np.mean(self.f1[name])),
                 "median_f1": float(np.median(self.f1[name])),
                 "of_ceiling": float(np.mean(self.f1[name]) / ceiling) if ceiling else 0.0}
                for name in CV_ROWS if name in self.f1]


def face_ratio_thresholds(data: TrainingData,
                          params: FaceRatioParams = FaceRatioParams()) -> np.ndarray:
    """The face-ratio rule's threshold for each record (from its stored areas)."""
    return np.array([choose_by_face_ratio(area, face, params) for area, face in
                     zip(data.areas, data.faces)], np.float64)


def person_thresholds(data: TrainingData,
                      default: float = DEFAULT_THRESHOLD["absolute"]) -> np.ndarray:
    """The person rule's threshold for each record (from its stored agreement curve);
    the default where the person models found no one."""
    t = np.arange(data.agreement.shape[1], dtype=np.float64)
    return np.array([best_agreement(a, t, default) if a.any() else default
                     for a in data.agreement])


def fit(data: TrainingData, rows: np.ndarray | None = None,
        params: ModelParams = ModelParams(), person_params: ModelParams = PERSON_PARAMS, *,
        person: bool = True, palette: PaletteParams = PaletteParams(),
        figure: FigureParams = FigureParams(), training: dict | None = None) -> ThresholdModel:
    """Fit a threshold model on some records.

    A ``photo`` model (``params``) on every row; then, when ``person`` and the person
    models found someone in at least two of the rows, a ``photo+person`` model
    (``person_params``) on those photos, with the ``photo`` model as its fallback.

    Parameters
    ----------
    data : TrainingData
    rows : (m,) int array, optional
        Records to train on (default: all).
    params, person_params : ModelParams
        Of the ``photo`` and the ``photo+person`` forests.
    person : bool
        False: the ``photo`` model only (what ``runwaycut train --no-person`` writes).
    palette, figure : settings the records were computed with (recorded in the model).
    training : dict, optional
        Recorded in the returned model.
    """
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    for p in (params, person_params):
        if data.curves.shape[1] != p.max_threshold + 1:
            raise ValueError(f"records sweep thresholds 0..{data.curves.shape[1] - 1}, the "
                             f"model 0..{p.max_threshold}")
    found = rows[data.found[rows]]
    with_person = person and len(found) >= 2
    photo = fit_model(data.features[rows], curve_target(data.curves[rows], params.smoothing),
                      params, palette=palette, figure=asdict(figure),
                      training=None if with_person else training)
    if not with_person:
        return photo
    x = data.features_of("photo+person")[found]
    return fit_model(x, curve_target(data.curves[found], person_params.smoothing),
                     person_params, palette=palette, figure=asdict(figure), training=training,
                     feature_set="photo+person", fallback=photo)


def predict_records(model: ThresholdModel, data: TrainingData,
                    rows: np.ndarray | None = None) -> np.ndarray:
    """The model's threshold for records, as :meth:`ThresholdModel.predict_image` gives
    it for their photos (the fallback where no person was found)."""
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    if not model.needs_person:
        return model.predict(data.features[rows])
    out = model.fallback.predict(data.features[rows])
    found = data.found[rows]
    if found.any():
        out[found] = model.predict(data.features_of("photo+person")[rows[found]])
    return out


def cross_validate(data: TrainingData, params: ModelParams = ModelParams(), folds: int = 5,
                   seed: int = 0, default: float = DEFAULT_THRESHOLD["absolute"], *,
                   person_params: ModelParams = PERSON_PARAMS,
                   person: bool = True) -> CrossValidation:
    """k-fold cross-validation of the models and the label-free baselines.

    The photos are shuffled with ``seed`` and split in ``folds``; the models (:func:`fit`)
    are fitted on all folds but one and predict the photos of that one. Rows
    (:data:`CV_ROWS`): ``photo-model`` is the ``photo`` model alone, ``model`` the
    ``photo+person`` model with its fallback; without person records (``person`` False
    or the person models not run), ``model`` is the ``photo`` model and the person-based
    rows are left out.
    """
    n = len(data)
    if not 2 <= folds <= n:
        raise ValueError(f"cross-validation needs 2 <= folds <= photos ({n}), got {folds}")
    from sklearn.model_selection import KFold

    curves = data.curves
    rows = np.arange(n)
    with_person = person and bool(data.found.any())
    photo_t, model_t = np.zeros(n), np.zeros(n)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(data.features):
        model = fit(data, train, params, person_params, person=with_person)
        model_t[test] = predict_records(model, data, test)
        photo = model.fallback if model.needs_person else model
        photo_t[test] = photo.predict(data.features[test])
    face_t = face_ratio_thresholds(data)
    person_t = person_thresholds(data, default)
    default_i = min(int(default), curves.shape[1] - 1)

    def f1_at(t):
        return curves[rows, t.astype(int)]

    f1 = {"default": curves[:, default_i], "otsu": data.otsu_f1,
          "face-ratio": f1_at(face_t), "person": f1_at(person_t),
          "photo-model": f1_at(photo_t), "model": f1_at(model_t),
          "ceiling": curves.max(axis=1)}
    thresholds = {"default": np.full(n, float(default)), "face-ratio": face_t,
                  "person": person_t, "photo-model": photo_t, "model": model_t,
                  "ceiling": curves.argmax(axis=1).astype(float)}
    if not with_person:  # no person records: no such baselines, the model is photo-only
        for name in ("face-ratio", "person", "photo-model"):
            del f1[name], thresholds[name]
    return CrossValidation(folds=folds, f1=f1, thresholds=thresholds)


def train_model(data: TrainingData, params: ModelParams = ModelParams(), *,
                person_params: ModelParams = PERSON_PARAMS, person: bool = True,
                palette: PaletteParams = PaletteParams(), figure: FigureParams = FigureParams(),
                source: str = "", cv: CrossValidation | None = None) -> ThresholdModel:
    """Fit the model on every record (what ``runwaycut train`` ships); see :func:`fit`."""
    training = {"dataset": source, "photos": len(data),
                "photos_with_person": int(np.count_nonzero(data.found)) if person else 0,
                "mean_best_f1": float(data.curves.max(axis=1).mean())}
    if person and data.found.any():
        training["person_models"] = _person_fingerprint()
    if cv is not None:
        training["cross_validation"] = {"folds": cv.folds, "table": cv.table()}
    return fit(data, None, params, person_params, person=person, palette=palette,
               figure=figure, training=training)


__all__ = ["CV_ROWS", "CrossValidation", "PhotoRecord", "TrainingData", "collect",
           "cross_validate", "default_cache_dir", "face_ratio_thresholds", "figure_curve", "fit",
           "person_thresholds", "photo_record", "predict_records", "train_model"]
