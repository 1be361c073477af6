"""Fitting a threshold model (training only: needs scikit-learn).
"""

from __future__ import annotations



from typing import Mapping

import numpy as np

from ..features import FEATURE_SETS, FEATURES_VERSION
from ...note.palette import PaletteParams
from ..forest import Forest
from ..model import ModelParams, ThresholdModel

#: Name written in every model file.


def fit_model(features: np.ndarray, targets: np.ndarray, params: ModelParams = ModelParams(),
              palette: PaletteParams = PaletteParams(), figure: Mapping | None = None,
              training: Mapping | None = None, feature_set: str = "photo",
              fallback: ThresholdModel | None = None) -> ThresholdModel:
    """Fit a threshold model.

    Parameters
    ----------
    features : (n, len(FEATURE_SETS[feature_set])) float array
        Each training photo's features (:meth:`ThresholdModel.features_for`).
    targets : (n,) float array
        Each photo's target threshold (:func:`curve_target`); a ``person-offset`` forest
        learns its difference from the feature ``person_t``.
    params : ModelParams
    palette : PaletteParams
        Palette sampling the features were computed with (recorded in the model).
    figure, training : mapping, optional
        Recorded in the model.
    feature_set : {'photo', 'photo+person'}
    fallback : ThresholdModel, optional
        The ``photo`` model a ``photo+person`` model falls back on.

    Returns
    -------
    model : ThresholdModel
    """
    from sklearn.ensemble import ExtraTreesRegressor

    if feature_set not in FEATURE_SETS:
        raise ValueError(f"feature set must be one of {', '.join(FEATURE_SETS)}, got "
                         f"{feature_set!r}")
    names = FEATURE_SETS[feature_set]
    x = np.asarray(features, np.float64)
    y = np.asarray(targets, np.float64)
    if x.ndim != 2 or x.shape[1] != len(names) or len(x) != len(y) or len(y) < 2:
        raise ValueError(f"need at least 2 rows of {len(names)} {feature_set} features and "
                         f"one target each; got features {x.shape}, targets {y.shape}")
    if params.target == "person-offset":
        if "person_t" not in names:
            raise ValueError("a person-offset forest needs the photo+person feature set")
        y = y - x[:, names.index("person_t")]
    est = ExtraTreesRegressor(n_estimators=params.n_estimators,
                              min_samples_leaf=params.min_samples_leaf,
                              max_features=params.max_features, random_state=params.seed,
                              n_jobs=1).fit(x, y)
    return ThresholdModel(forest=Forest.from_sklearn(est), feature_names=names,
                          features_version=FEATURES_VERSION, params=params, palette=palette,
                          figure=dict(figure or {}), training=dict(training or {}),
                          feature_set=feature_set, fallback=fallback)


def curve_target(curves: np.ndarray, smoothing: float = ModelParams.smoothing) -> np.ndarray:
    """Target thresholds from F1 curves: the argmax of each curve smoothed by a Gaussian.

    Parameters
    ----------
    curves : (n, T) float array
        F1 of each photo at thresholds ``0 .. T - 1``.
    smoothing : float
        Standard deviation of the Gaussian, in levels; 0 takes the raw argmax.

    Returns
    -------
    targets : (n,) float64 array
        Ties go to the lowest threshold.
    """
    curves = np.asarray(curves, np.float64)
    if smoothing > 0:
        from scipy.ndimage import gaussian_filter1d

        curves = gaussian_filter1d(curves, smoothing, axis=-1, mode="nearest")
    return np.argmax(curves, axis=-1).astype(np.float64)
