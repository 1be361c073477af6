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

:mod:`.crossval` then fits the models on k - 1 folds and scores the held-out
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ...note.colormask import distance_map, in_band
from ..face_ratio import (box_area, estimate_face_box,
                          person_estimate)
from ..features import FEATURE_SETS, FEATURES_VERSION, image_features
from ...note.figure import FigureParams, select_figure
from ...scoring.labels import Dataset, load_item, open_dataset
from ...scoring.metrics import scores
from ...note.palette import PaletteParams, sample_palette
from ..person_agreement import PERSON_LEVEL, person_features
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
