"""Cross-validating and fitting the threshold model on collected records.

:func:`cross_validate` fits the models on k - 1 folds and scores the held-out fold, so
that no photo is scored by a model that saw it, and reports the mean figure F1 of the
fixed default threshold, Otsu, the face-ratio and person rules, the photo-only model,
the model, and each photo's best threshold (the ceiling); :func:`train_model` fits the
model on every record.
"""

from __future__ import annotations
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ...note.colormask import DEFAULT_THRESHOLD
from ..face_ratio import (FaceRatioParams, choose_by_face_ratio)
from ...note.figure import FigureParams
from ...note.palette import PaletteParams
from ..person_agreement import best_agreement
from ..model import PERSON_PARAMS, ModelParams, ThresholdModel
from .fit import curve_target, fit_model
from .collect import CV_ROWS, TrainingData, _person_fingerprint

#: Bump when what a record holds, or how it is computed, changes (invalidates caches).


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
