"""The colour threshold of a photo without labels: features, rules and the learned model.

    features          photo features (about 2 ms): colour statistics, profiles, histograms
    face_ratio        the original's rule: figure between 10 and 30 face areas
    person_agreement  the threshold whose figure agrees best with the person mask; person features
    forest            a fitted forest as arrays (JSON, predicted in NumPy)
    model             the threshold model: files, prediction, the shipped model
    rules             the rules by name (``--threshold auto|person|face-ratio|otsu``)
    training/         collecting curves and fitting models (training only)
"""

from .features import FEATURE_NAMES, FEATURE_SETS, PERSON_FEATURE_NAMES, image_features
from .model import (ModelParams, Prediction, ThresholdModel, default_model, get_model, load_model,
                    save_model)
from .rules import THRESHOLD_RULES, ModelRule, check_band, model_rule, otsu_threshold, parse_threshold

__all__ = ["FEATURE_NAMES", "FEATURE_SETS", "ModelParams", "ModelRule", "PERSON_FEATURE_NAMES",
           "Prediction", "THRESHOLD_RULES", "ThresholdModel", "check_band", "default_model",
           "get_model", "image_features", "load_model", "model_rule", "otsu_threshold",
           "parse_threshold", "save_model"]
