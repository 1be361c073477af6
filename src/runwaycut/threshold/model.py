"""A trained model that predicts each photo's colour threshold without labels.

The design note's goal is "to find these optimal thresholds on unlabelled images" from
"intrinsic features of the image". This module holds the model that does it.

* **Targets.** For each labelled photo, the F1 of the figure mask (colour mask, then
  figure selection) at every whole threshold ``0 .. max_threshold``
  (:func:`runwaycut.threshold.training.collect.figure_curve`). The curve is spiky, because
  keeping the largest region flips between the figure and a background blob from one
  level to the next.
* **Two feature sets** (:data:`runwaycut.threshold.features.FEATURE_SETS`):

  - ``photo``: :func:`runwaycut.threshold.features.image_features`, from the photo alone (about
    3 ms). A forest on them (extremely randomised trees, 50 trees, 5 photos a leaf)
    learns the argmax of the F1 curve smoothed by a Gaussian of 3 levels (the middle of
    the widest good region: a prediction a few levels off still scores well there).
    Under 5-fold cross-validation on the 470 CCP training photos it reaches about
    93% of the per-photo ceiling: intrinsic features place the threshold within about
    4 levels, and the curve falls by about 0.03 F1 per level around its peak.
  - ``photo+person``: those plus :func:`runwaycut.threshold.features.person_features`, from the
    shipped person models and one sweep of the figure mask (about 0.15 s). The sweep's
    agreement curve follows the F1 curve's spikes level by level, so the threshold that
    agrees best with the person mask (the ``person`` rule) is itself within 0.1% of the
    ceiling on CCP. The forest therefore learns a *correction* to it (target
    ``person-offset``: best threshold minus the person threshold, 80 photos a leaf) and
    the correction is rounded toward zero, so the model moves off the person threshold
    only when its trees agree on at least a whole level. Under cross-validation the
    corrections that moved thresholds lost far more than they gained (5 photos a leaf,
    rounded to nearest: 82 photos worse, 2 better; the person threshold sits on the
    curve's spike, and a level off falls off it); at 80 a leaf, toward zero, no photo
    moves, so on CCP the model keeps the person threshold (99.9% of the ceiling).
    ``--threshold auto`` therefore applies the person rule itself and uses the shipped
    file only for its photo-only fallback (:class:`runwaycut.threshold.rules.ModelRule`);
    the forest is there for training sets where the person mask is biased one way
    (``--threshold auto --model FILE`` applies it).
    A ``photo+person`` model carries a ``photo`` model as its **fallback**, used for
    photos where the person models find no one.

  ``benchmarks/threshold_model_choice.py`` holds the comparison behind these choices.
* **File.** The fitted trees are saved as JSON: node arrays as base64 of zlib-packed
  little-endian bytes, with a format name and version, the feature set, names and
  version, and the settings the model was trained for. Nothing is unpickled:
  :func:`load_model` reads numbers and strings only, and refuses a corrupt file or
  another version with a :class:`~runwaycut.errors.ModelError`. Prediction walks the
  trees in NumPy, exactly as scikit-learn does (features cast to float32, ``x <= split``
  goes left), so scikit-learn is needed to train but not to predict.

A default ``photo+person`` model trained on the development photos of CCP (less the 30
held out, :mod:`runwaycut.scoring.heldout`) ships inside the package
(:func:`default_model`); ``runwaycut train`` reproduces it on the same machine, and
``runwaycut train --no-person`` trains a ``photo`` model (a few ms a photo).
"""

from __future__ import annotations



import binascii
import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .features import FEATURE_SETS, FEATURES_VERSION, image_features
from ..note.figure import FigureParams
from ..note.palette import Palette, PaletteParams, sample_palette
from .forest import Forest, MAX_MODEL_BYTES

#: Name written in every model file.


#: Name written in every model file.
FORMAT = "runwaycut-threshold-model"
#: Version of the file layout; a file of another version is refused.
FORMAT_VERSION = 2
#: The shipped model's file name inside ``runwaycut/data``.
DEFAULT_MODEL_FILE = "threshold_model.json"

#: What a forest learns: ``threshold`` (the photo's target threshold) or
#: ``person-offset`` (target threshold minus the person threshold, feature ``person_t``).
TARGETS = ("threshold", "person-offset")

_TARGET_TEXT = {
    "threshold": "threshold (absolute levels): argmax of the figure-F1 curve smoothed by "
                 "params.smoothing, rounded",
    "person-offset": "threshold (absolute levels) minus feature person_t, target as "
                     "params.smoothing says; prediction person_t + the offset rounded "
                     "toward zero",
}


@dataclass(frozen=True)
class ModelParams:
    """How a threshold forest is trained.

    Attributes
    ----------
    n_estimators : int
        Trees of the forest.
    min_samples_leaf : int
        Fewest photos in a leaf (larger: smoother, smaller file).
    max_features : float
        Fraction of the features tried at each split.
    smoothing : float
        Standard deviation, in levels, of the Gaussian that smooths each photo's F1
        curve before its argmax becomes the target threshold (0: the raw best threshold).
    max_threshold : int
        Thresholds ``0 .. max_threshold`` (absolute levels) are swept and predicted.
    seed : int
        Random state of the forest: same data, same seed, same model.
    target : {'threshold', 'person-offset'}
        What the forest learns (see :data:`TARGETS`); ``person-offset`` needs the
        ``photo+person`` feature set.
    """

    n_estimators: int = 50
    min_samples_leaf: int = 5
    max_features: float = 1.0
    smoothing: float = 3.0
    max_threshold: int = 80
    seed: int = 0
    target: str = "threshold"

    def __post_init__(self):
        if self.n_estimators < 1:
            raise ValueError(f"n_estimators must be at least 1, got {self.n_estimators}")
        if self.min_samples_leaf < 1:
            raise ValueError(f"min_samples_leaf must be at least 1, got {self.min_samples_leaf}")
        if not 0 < self.max_features <= 1:
            raise ValueError(f"max_features must lie in (0, 1], got {self.max_features}")
        if not self.smoothing >= 0:
            raise ValueError(f"smoothing must be >= 0, got {self.smoothing}")
        if not 1 <= self.max_threshold <= 255:
            raise ValueError(f"max_threshold must lie in 1..255, got {self.max_threshold}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")


#: Settings of the forest of a ``photo+person`` model (the ``photo`` forest takes
#: :class:`ModelParams`' defaults): the raw best threshold's offset from the person
#: threshold, 80 photos a leaf (chosen by cross-validation, see the module notes).
PERSON_PARAMS = ModelParams(min_samples_leaf=80, smoothing=0.0, target="person-offset")

# --- the model ------------------------------------------------------------------------

@dataclass(frozen=True)
class ThresholdModel:
    """A threshold predictor and what it was trained for.

    Attributes
    ----------
    forest : Forest
        The fitted trees (their output is what ``params.target`` says).
    feature_names : tuple of str
        Names of the features, in order (``FEATURE_SETS[feature_set]`` of
        ``features_version``).
    features_version : int
    params : ModelParams
    palette : PaletteParams
        Palette sampling of the photos it was trained on (the features depend on it).
    figure : dict
        Figure selection of the training masks (``FigureParams`` fields); the person
        features' sweep uses it too.
    training : dict
        Where it came from: data set, number of photos, cross-validation summary.
    feature_set : {'photo', 'photo+person'}
        Which features it reads (:data:`runwaycut.threshold.features.FEATURE_SETS`).
    fallback : ThresholdModel or None
        A ``photo+person`` model's ``photo`` model, for photos in which the person
        models find no one; None for a ``photo`` model.
    """

    forest: Forest
    feature_names: tuple[str, ...]
    features_version: int
    params: ModelParams = field(default_factory=ModelParams)
    palette: PaletteParams = field(default_factory=PaletteParams)
    figure: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    feature_set: str = "photo"
    fallback: "ThresholdModel | None" = None

    def __post_init__(self):
        if self.feature_set not in FEATURE_SETS:
            raise ValueError(f"feature set must be one of {', '.join(FEATURE_SETS)}, got "
                             f"{self.feature_set!r}")
        if self.params.target == "person-offset" and "person_t" not in self.feature_names:
            raise ValueError("a person-offset model needs the feature person_t")
        if self.needs_person:
            fb = self.fallback
            if fb is None or fb.feature_set != "photo" or fb.fallback is not None:
                raise ValueError("a photo+person model needs a photo model as its fallback")
            if (fb.palette != self.palette or fb.figure != self.figure
                    or fb.params.max_threshold != self.params.max_threshold):
                raise ValueError("the fallback model was trained with other settings")
        elif self.fallback is not None:
            raise ValueError("only a photo+person model has a fallback")

    @property
    def needs_person(self) -> bool:
        """Whether predicting runs the person models (feature set ``photo+person``)."""
        return self.feature_set != "photo"

    def check_features(self) -> None:
        """Raise :class:`ModelError` unless the model's features are this version's."""
        expected = FEATURE_SETS[self.feature_set]
        if self.features_version != FEATURES_VERSION or tuple(self.feature_names) != expected:
            raise ModelError(f"model was trained on features version {self.features_version} "
                             f"({len(self.feature_names)} {self.feature_set} features); this "
                             f"runwaycut computes version {FEATURES_VERSION} ({len(expected)}): "
                             "retrain it with runwaycut train")
        if self.fallback is not None:
            self.fallback.check_features()

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Predicted thresholds of feature rows (of this model's feature set).

        Parameters
        ----------
        features : (n, n_features) or (n_features,) float array

        Returns
        -------
        thresholds : (n,) float64 array
            Whole levels in ``0 .. params.max_threshold``.
        """
        rows = self._rows(features)
        return self._finish(self.forest.predict(rows), rows)

    def _finish(self, raw: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Forest outputs -> thresholds (rounded; offsets rounded toward zero)."""
        if self.params.target == "person-offset":
            base = rows[:, self.feature_names.index("person_t")]
            t = base + np.fix(raw)
        else:
            t = np.round(raw)
        return np.clip(t, 0, self.params.max_threshold)

    def features_for(self, image: np.ndarray, palette: Palette | None = None,
                     distance: np.ndarray | None = None,
                     estimate=None) -> tuple["ThresholdModel", np.ndarray]:
        """The model that predicts for a photo, and that model's feature row.

        A ``photo+person`` model runs the person models and the threshold sweep
        (:func:`runwaycut.threshold.person_agreement.person_sweep`); when they find no one, its
        fallback predicts from the photo features alone.

        Parameters
        ----------
        image : (H, W, 3) uint8 array
        palette : Palette, optional
            The photo's palette (sampled with the model's settings when omitted).
        distance : (H, W) uint8 array, optional
            Its absolute-band distance map (computed when omitted or relative).
        estimate : PersonEstimate, optional
            The person models' answer, when the caller already has it.

        Returns
        -------
        model : ThresholdModel
            ``self`` or ``self.fallback``.
        features : (n_features,) float64 array
        """
        from ..note.colormask import distance_map

        self.check_features()
        if palette is None:
            palette = sample_palette(image, self.palette)
        if distance is None or distance.dtype != np.uint8 or distance.shape != image.shape[:2]:
            distance = distance_map(image, palette.colors, "absolute")
        x = image_features(image, palette, distance, self.palette)
        if not self.needs_person:
            return self, x
        from .person_agreement import person_sweep

        sweep = person_sweep(image, distance, self.params.max_threshold,
                             FigureParams(**self.figure), estimate)
        if not sweep.found:
            return self.fallback, x
        return self, np.concatenate([x, sweep.features()])

    def predict_image(self, image: np.ndarray, palette: Palette | None = None,
                      distance: np.ndarray | None = None, estimate=None) -> float:
        """Predicted threshold of one photo (absolute band); see :meth:`features_for`."""
        model, x = self.features_for(image, palette, distance, estimate)
        return float(model.predict(x)[0])

    def explain_image(self, image: np.ndarray, palette: Palette | None = None,
                      distance: np.ndarray | None = None, estimate=None) -> "Prediction":
        """One photo's prediction and each feature's share in it (see :meth:`explain`)."""
        model, x = self.features_for(image, palette, distance, estimate)
        return model.explain(x)

    def explain(self, features: np.ndarray) -> "Prediction":
        """The prediction for one feature row and each feature's share in it."""
        row = self._rows(features)[:1]
        bias, contrib = self.forest.contributions(row)
        raw = float(self.forest.predict(row)[0])
        offset = self.params.target == "person-offset"
        base = float(row[0, self.feature_names.index("person_t")]) if offset else 0.0
        return Prediction(threshold=float(self._finish(np.array([raw]), row)[0]), raw=raw,
                          bias=float(bias[0]), features=np.asarray(row[0], float),
                          contributions=contrib[0], names=tuple(self.feature_names),
                          target=self.params.target, base=base,
                          feature_set=self.feature_set)

    def _rows(self, features) -> np.ndarray:
        x = np.asarray(features, np.float64)
        x = x[None] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"expected rows of {len(self.feature_names)} features, got "
                             f"shape {np.shape(features)}")
        return x

    def to_json(self) -> dict:
        """The model as JSON-ready data (see :func:`save_model`)."""
        data = {"format": FORMAT, "version": FORMAT_VERSION,
                "features_version": self.features_version, "feature_set": self.feature_set,
                "feature_names": list(self.feature_names),
                "target": _TARGET_TEXT[self.params.target],
                "params": asdict(self.params), "palette": asdict(self.palette),
                "figure": dict(self.figure), "training": _jsonable(self.training),
                "forest": self.forest.to_json()}
        if self.fallback is not None:
            data["fallback"] = self.fallback.to_json()
        return data

    @classmethod
    def from_json(cls, data: Any, source: str = "model") -> "ThresholdModel":
        """Rebuild a model from :meth:`to_json`'s data; :class:`ModelError` if invalid."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"{source}: not a runwaycut threshold model (no "
                             f"\"format\": \"{FORMAT}\")")
        if data.get("version") != FORMAT_VERSION:
            raise ModelError(f"{source}: threshold model file version {data.get('version')!r}; "
                             f"this runwaycut reads version {FORMAT_VERSION}: retrain it with "
                             "runwaycut train")
        try:
            names = tuple(str(n) for n in data["feature_names"])
            forest = Forest.from_json(data["forest"])
            if forest.n_features_used > len(names):
                raise ValueError("splits read features beyond the feature list")
            fallback = data.get("fallback")
            if fallback is not None:
                fallback = cls.from_json(fallback, source=f"{source} (fallback)")
            figure = dict(data.get("figure", {}))
            FigureParams(**figure)  # fields and values of a figure selection
            return cls(forest=forest, feature_names=names,
                       features_version=int(data["features_version"]),
                       params=ModelParams(**data["params"]),
                       palette=PaletteParams(**data["palette"]), figure=figure,
                       training=dict(data.get("training", {})),
                       feature_set=str(data["feature_set"]), fallback=fallback)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ModelError(f"{source}: corrupt threshold model ({what})") from None


@dataclass(frozen=True)
class Prediction:
    """One photo's predicted threshold and the features that drove it.

    ``bias + contributions.sum() == raw``, the forest's output: the threshold itself
    (``target`` ``threshold``; ``threshold`` is ``raw`` rounded and clipped) or its
    offset from the person threshold ``base`` (``target`` ``person-offset``;
    ``threshold`` is ``base`` plus ``raw`` rounded toward zero, clipped).
    """

    threshold: float
    raw: float
    bias: float
    features: np.ndarray
    contributions: np.ndarray
    names: tuple[str, ...]
    target: str = "threshold"
    base: float = 0.0
    feature_set: str = "photo"

    def top(self, k: int = 8) -> list[tuple[str, float, float]]:
        """The ``k`` features with the largest shares: ``(name, value, share)``."""
        order = np.argsort(-np.abs(self.contributions), kind="stable")[:k]
        return [(self.names[i], float(self.features[i]), float(self.contributions[i]))
                for i in order]


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item")
                                 else str(o)))

# --- files ----------------------------------------------------------------------------

def save_model(model: ThresholdModel, path: str | Path) -> Path:
    """Write a model as JSON, atomically (nothing half-written on failure)."""
    from ..io import write_bytes_atomic

    text = json.dumps(model.to_json(), indent=1, sort_keys=True) + "\n"
    return write_bytes_atomic(path, text.encode("utf-8"))


def load_model(path: str | Path) -> ThresholdModel:
    """Read a model written by :func:`save_model`.

    Raises
    ------
    ModelError
        When the file is missing, unreadable, not JSON, not a threshold model, of
        another format version, or corrupt; the message names the file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"{path}: {size} bytes is too large for a threshold model")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a folder, not a model file") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: corrupt threshold model (not JSON: {exc})") from None
    return ThresholdModel.from_json(data, source=str(path))


def default_model_path() -> Path:
    """Path of the model shipped inside the package."""
    return Path(str(resources.files("runwaycut").joinpath("data", DEFAULT_MODEL_FILE)))


@lru_cache(maxsize=8)
def _cached_model(path: str, digest: str) -> ThresholdModel:
    model = load_model(path)
    model.check_features()
    return model


def _model_and_digest(path: str | Path | None) -> tuple[ThresholdModel, str]:
    if path is None:  # the shipped model: its SHA-256 checked against the registry
        from ..models import read_shipped

        data = read_shipped(f"data/{DEFAULT_MODEL_FILE}")
        return (_cached_model(str(default_model_path()), hashlib.sha256(data).hexdigest()),
                hashlib.sha256(data).hexdigest())
    path = Path(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        load_model(path)  # raises the right ModelError
        raise  # pragma: no cover - load_model raised
    return _cached_model(str(path), digest), digest


def get_model(path: str | Path | None = None) -> ThresholdModel:
    """A model by file (the shipped one when ``path`` is None), loaded once per process
    and content (a file rewritten in place is read again).

    Raises
    ------
    ModelError
        Missing, corrupt or other-version file, or features of another version.
    """
    return _model_and_digest(path)[0]


def default_model() -> ThresholdModel:
    """The shipped model (trained on CCP's development photos by ``runwaycut train``)."""
    return get_model(None)
