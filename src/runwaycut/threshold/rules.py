"""Label-free rules that choose a photo's colour threshold.

Each rule is a function ``rule(image, palette, distance, band) -> threshold`` and is
registered in :data:`THRESHOLD_RULES` under the name the command line accepts
(``--threshold NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ModelError
from ..note.palette import Palette
from .face_ratio import face_ratio_threshold
from .model import ThresholdModel, _model_and_digest, default_model_path
from .person_agreement import person_threshold


def otsu_threshold(image: np.ndarray, palette: Palette, distance: np.ndarray, band: str) -> float:
    """Otsu's threshold of the distance map: the split that best separates near-palette
    (background) from far-from-palette (figure) pixels.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        Unused; part of the rule signature.
    palette : Palette
        Unused; part of the rule signature.
    distance : (H, W) uint8 or float32 array
        Distance map of the photo to its palette.
    band : str
        ``absolute`` or ``relative``.

    Returns
    -------
    threshold : float
        Pixels with distance <= threshold are background.
    """
    from skimage.filters import threshold_otsu

    values = distance.ravel()
    if band == "relative":
        # Relative distances have an unbounded tail (c = 0 channels); Otsu on the bulk.
        values = values[values < 10]
    if values.size == 0 or values.min() == values.max():
        return float(values.min()) if values.size else 0.0
    if distance.dtype == np.uint8:
        return float(threshold_otsu(hist=np.bincount(values, minlength=256)))
    return float(threshold_otsu(values))


# --- the threshold model as a rule ----------------------------------------------------

@dataclass(frozen=True)
class ModelRule:
    """The ``auto`` threshold rule, and a threshold model's prediction for the photo.

    A frozen dataclass (not a closure) so that batch workers can pickle it and the
    batch's parameter file records which model it used.

    ``auto`` (``person_first``) is the **person rule** (:func:`person_threshold`: the
    threshold whose palette figure best agrees with the person models' mask) wherever
    the person models find someone, and the shipped photo-only model's prediction where
    they find no one. The learned correction to the person rule that a ``photo+person``
    model adds moved no threshold under 5-fold cross-validation on the CCP training
    photos (mean figure F1 0.7511 for rule and model alike, 470 photos; corrections
    allowed to move lost F1), so ``auto`` does not pay for it. A model given by file
    (``--threshold auto --model FILE``) predicts as trained, correction included.

    Attributes
    ----------
    path : str or None
        Model file; ``None``: the shipped model.
    sha256 : str or None
        The file's digest when the rule was made (:func:`model_rule`): a model file
        rewritten since is refused rather than silently mixed into one batch.
    person_first : bool
        The person rule where a person is found; the model (a ``photo+person`` model's
        photo-only fallback) elsewhere.
    """

    path: str | None = None
    sha256: str | None = None
    person_first: bool = False

    @property
    def __name__(self) -> str:  # read by callers that name rules
        return "auto" if self.path is None else f"model:{Path(self.path).name}"

    def model(self) -> ThresholdModel:
        """The model this rule predicts with."""
        model, digest = _model_and_digest(self.path)
        if self.sha256 is not None and digest != self.sha256:
            raise ModelError(f"{self.path or default_model_path()}: model file changed since "
                             "the run started")
        return model

    def person_sweep(self, image: np.ndarray, distance: np.ndarray, estimate=None):
        """The person models' sweep of thresholds for the photo (``found`` False when
        they find no one), with the model's figure selection and threshold range."""
        from ..note.figure import FigureParams
        from .person_agreement import person_sweep

        model = self.model()
        return person_sweep(image, distance, model.params.max_threshold,
                            FigureParams(**model.figure), estimate)

    def __call__(self, image: np.ndarray, palette: Palette, distance: np.ndarray,
                 band: str) -> float:
        check_band(band)
        model = self.model()
        if not self.person_first:
            return model.predict_image(image, palette, distance)
        if distance.dtype != np.uint8 or distance.shape != image.shape[:2]:
            from ..note.colormask import distance_map

            distance = distance_map(image, palette.colors, "absolute")
        sweep = self.person_sweep(image, distance)
        if sweep.found:
            return person_rule_threshold(sweep)
        photo_only = model.fallback if model.needs_person else model
        return photo_only.predict_image(image, palette, distance)


def person_rule_threshold(sweep) -> float:
    """The person rule's threshold of a :class:`PersonSweep` that found a person: the
    level whose figure best agrees with the person mask (ties nearest the default)."""
    from .features import PERSON_FEATURE_NAMES

    return float(sweep.features()[PERSON_FEATURE_NAMES.index("person_t")])


def check_band(band: str) -> None:
    """Raise ValueError unless ``band`` is the one threshold models predict for."""
    if band != "absolute":
        raise ValueError("the threshold model predicts absolute-band thresholds; use "
                         "--band absolute with --threshold auto")


def model_rule(path: str | Path | None = None, person_first: bool = False) -> ModelRule:
    """A threshold rule predicting with the model in ``path`` (the shipped one when None;
    ``person_first``: the person rule where a person is found, see :class:`ModelRule`).

    The file is read and checked now, so that a bad one fails before any photo is
    processed, and its digest is kept (see :class:`ModelRule`). A ``photo+person`` model
    also needs the person models to run here.

    Raises
    ------
    ModelError
    """
    model, digest = _model_and_digest(path)
    if model.needs_person or person_first:
        from .face_ratio import person_models_available

        if not person_models_available():
            what = ("--threshold auto (the person rule) reads" if person_first
                    else f"{path or default_model_path()}: this threshold model reads")
            raise ModelError(f"{what} the person models, which cannot run here; train a "
                             "photo-only one (runwaycut train DATASET --no-person --out "
                             "MODEL) and pass --model MODEL")
    return ModelRule(None if path is None else str(Path(path)), digest, person_first)



#: Name -> rule. ``auto``: the person rule, or where no person is found the shipped
#: photo-only threshold model (:class:`ModelRule`, :mod:`runwaycut.threshold.model`);
#: ``face-ratio``: the original's figure-to-face window (:mod:`runwaycut.threshold.face_ratio`);
#: ``person``: best agreement with the person models (:mod:`runwaycut.threshold.person_agreement`).
THRESHOLD_RULES: dict[str, Callable[..., float]] = {
    "otsu": otsu_threshold,
    "auto": ModelRule(person_first=True),
    "face-ratio": face_ratio_threshold,
    "person": person_threshold,
}


def parse_threshold(text: str | float | None, model=None, band: str | None = None):
    """Split a ``--threshold`` value into (number or None, rule or None).

    ``auto`` is the person rule, with the shipped photo-only threshold model where no
    person is found (:class:`ModelRule`); ``model``, a threshold-model file, makes
    ``auto`` (and an omitted threshold) predict with that model instead. Either file is
    read and checked now (:func:`runwaycut.threshold.model.model_rule`), so that a bad
    one fails before any photo is processed.

    ``band``, when given, is checked against the rule: the threshold models predict
    absolute-band thresholds only.

    Raises
    ------
    ValueError
        For text that is neither a non-negative number nor a rule name, a model given
        with another threshold, or a model with the relative band.
    ModelError
        For a missing, corrupt or other-version model file, or one that needs the person
        models where they cannot run.
    """

    if model is not None:
        if text is not None and str(text).strip().lower() != "auto":
            raise ValueError(f"--model goes with --threshold auto, not {text!r}")
        if band is not None:
            check_band(band)
        return None, model_rule(model)
    if text is None:
        return None, None
    try:
        value = float(text)
    except (TypeError, ValueError):
        name = str(text).strip().lower()
        if name not in THRESHOLD_RULES:
            raise ValueError(f"threshold must be a number or one of "
                             f"{', '.join(THRESHOLD_RULES)}; got {text!r}") from None
        rule = THRESHOLD_RULES[name]
        if isinstance(rule, ModelRule):
            if band is not None:
                check_band(band)
            rule = model_rule(rule.path, rule.person_first)
        return None, rule
    if not value >= 0:
        raise ValueError(f"threshold must be >= 0, got {text}")
    return value, None
