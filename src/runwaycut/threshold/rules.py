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
    """The ``auto`` threshold rule: a model's prediction for the photo.

    A frozen dataclass (not a closure) so that batch workers can pickle it and the
    batch's parameter file records which model it used.

    Attributes
    ----------
    path : str or None
        Model file; ``None``: the shipped model.
    sha256 : str or None
        The file's digest when the rule was made (:func:`model_rule`): a model file
        rewritten since is refused rather than silently mixed into one batch.
    """

    path: str | None = None
    sha256: str | None = None

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

    def __call__(self, image: np.ndarray, palette: Palette, distance: np.ndarray,
                 band: str) -> float:
        check_band(band)
        return self.model().predict_image(image, palette, distance)


def check_band(band: str) -> None:
    """Raise ValueError unless ``band`` is the one threshold models predict for."""
    if band != "absolute":
        raise ValueError("the threshold model predicts absolute-band thresholds; use "
                         "--band absolute with --threshold auto")


def model_rule(path: str | Path | None = None) -> ModelRule:
    """A threshold rule predicting with the model in ``path`` (the shipped one when None).

    The file is read and checked now, so that a bad one fails before any photo is
    processed, and its digest is kept (see :class:`ModelRule`). A ``photo+person`` model
    also needs the person models to run here.

    Raises
    ------
    ModelError
    """
    model, digest = _model_and_digest(path)
    if model.needs_person:
        from .face_ratio import person_models_available

        if not person_models_available():
            raise ModelError(f"{path or default_model_path()}: this threshold model reads "
                             "the person models, which cannot run here; train a photo-only "
                             "one (runwaycut train DATASET --no-person --out MODEL) and pass "
                             "--model MODEL")
    return ModelRule(None if path is None else str(Path(path)), digest)



#: Name -> rule. ``auto``: the shipped threshold model (:mod:`runwaycut.threshold.model`);
#: ``face-ratio``: the original's figure-to-face window (:mod:`runwaycut.threshold.face_ratio`);
#: ``person``: best agreement with the person models (:mod:`runwaycut.threshold.person_agreement`).
THRESHOLD_RULES: dict[str, Callable[..., float]] = {
    "otsu": otsu_threshold,
    "auto": ModelRule(),
    "face-ratio": face_ratio_threshold,
    "person": person_threshold,
}


def parse_threshold(text: str | float | None, model=None, band: str | None = None):
    """Split a ``--threshold`` value into (number or None, rule or None).

    ``auto`` is the shipped threshold model; ``model``, a threshold-model file, makes
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
            rule = model_rule(rule.path)
        return None, rule
    if not value >= 0:
        raise ValueError(f"threshold must be >= 0, got {text}")
    return value, None
