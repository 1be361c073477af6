"""A trained model that predicts each photo's colour threshold from the photo alone.

The design note's goal is "to find these optimal thresholds on unlabelled images" from
"intrinsic features of the image". This module holds the model that does it:

* **Target.** For each labelled photo, the F1 of the figure mask (colour mask, then
  figure selection) at every whole threshold ``0 .. max_threshold``
  (:func:`runwaycut.threshold_training.photo_curve`). The curve is spiky, because
  keeping the largest region flips between the figure and a background blob from one
  level to the next; the target is the argmax of the curve smoothed by a Gaussian of
  ``smoothing`` levels, the middle of the widest good region rather than a lucky spike,
  which is what a prediction a few levels off still scores well around.
* **Model.** An extremely randomised trees regressor (scikit-learn's
  ``ExtraTreesRegressor``, 50 trees, 5 photos a leaf) on
  :func:`runwaycut.features.image_features`. Chosen by 5-fold cross-validation on the
  500 CCP development photos (``benchmarks/threshold_model_choice.py``), mean figure F1:
  smoothed target 0.700 (92.8% of the per-photo ceiling 0.754); raw best threshold
  0.698; its log 0.699; gradient boosting 0.699; whole-curve regression then argmax
  0.698; classification over 5-level bins 0.680 (most likely bin) and 0.685 (maximum
  expected F1); fixed default 0.614. An oracle that knew each photo's smoothed target
  exactly would reach 0.734 (97.2%): the F1 curve falls by about 0.03 per level on
  either side of its peak, so intrinsic features, which place the threshold within
  about 4 levels, stop near 93%.
* **File.** The fitted trees are saved as JSON: node arrays as base64 of zlib-packed
  little-endian bytes, with a format name and version, the feature names and version, and the
  settings the model was trained for. Nothing is unpickled: :func:`load_model` reads
  numbers and strings only, and refuses a corrupt file or another version with a
  :class:`~runwaycut.errors.ModelError`. Prediction walks the trees in NumPy, exactly as
  scikit-learn does (features cast to float32, ``x <= split`` goes left), so scikit-learn
  is needed to train but not to predict.

A default model trained on the development photos of CCP ships inside the package
(:func:`default_model`); ``runwaycut train`` reproduces it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .errors import ModelError
from .features import FEATURE_NAMES, FEATURES_VERSION, image_features
from .palette import Palette, PaletteParams

#: Name written in every model file.
FORMAT = "runwaycut-threshold-model"
#: Version of the file layout; a file of another version is refused.
FORMAT_VERSION = 1
#: The shipped model's file name inside ``runwaycut/data``.
DEFAULT_MODEL_FILE = "threshold_model.json"
#: Largest file :func:`load_model` reads (a model is a few hundred kB).
MAX_MODEL_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ModelParams:
    """How a threshold model is trained.

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
        curve before its argmax becomes the target (0: the raw best threshold).
    max_threshold : int
        Thresholds ``0 .. max_threshold`` (absolute levels) are swept and predicted.
    seed : int
        Random state of the forest: same data, same seed, same model.
    """

    n_estimators: int = 50
    min_samples_leaf: int = 5
    max_features: float = 1.0
    smoothing: float = 3.0
    max_threshold: int = 80
    seed: int = 0

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


# --- the forest, as arrays -------------------------------------------------------------

@dataclass(frozen=True)
class Forest:
    """An averaging ensemble of binary regression trees, all nodes in flat arrays.

    Node ``i`` splits on ``feature[i]`` at ``split[i]`` (``x <= split`` goes to
    ``left[i]``, else ``right[i]``); a leaf has ``left[i] == -1``. ``value[i]`` is the
    mean target of the training samples reaching node ``i`` (inner nodes too, which the
    explanation uses). Tree ``k`` starts at node ``roots[k]``.

    Attributes
    ----------
    left, right : (N,) int32 arrays
    feature : (N,) int32 arrays
    split : (N,) float64 array
    value : (N,) float64 array
    roots : (K,) int32 array
    """

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    split: np.ndarray
    value: np.ndarray
    roots: np.ndarray

    def __post_init__(self):
        n = len(self.left)
        arrays = (self.right, self.feature, self.split, self.value)
        if any(len(a) != n for a in arrays) or n == 0 or len(self.roots) == 0:
            raise ValueError("forest arrays must be non-empty and of one length")
        inner = self.left >= 0
        if (np.any(self.left[inner] >= n) or np.any(self.right[inner] >= n)
                or np.any(self.right[inner] < 0) or np.any(self.roots < 0)
                or np.any(self.roots >= n) or np.any(self.feature[inner] < 0)):
            raise ValueError("forest node indices out of range")
        # A child must come after its parent (scikit-learn's depth-first order): this
        # rules out cycles, so that every walk ends at a leaf.
        idx = np.flatnonzero(inner)
        if np.any(self.left[idx] <= idx) or np.any(self.right[idx] <= idx):
            raise ValueError("forest children must follow their parents")
        if not (np.isfinite(self.value).all() and np.isfinite(self.split[inner]).all()):
            raise ValueError("forest values must be finite")

    @property
    def n_features_used(self) -> int:
        """One more than the largest feature index any split reads."""
        inner = self.left >= 0
        return int(self.feature[inner].max()) + 1 if inner.any() else 0

    def _step(self, x: np.ndarray, node: np.ndarray):
        """One level down every tree: ``(next_node, active)``, (n_samples, n_trees)."""
        active = self.left[node] >= 0
        f = np.where(active, self.feature[node], 0)
        go_left = x[np.arange(len(x))[:, None], f] <= self.split[node]
        nxt = np.where(active, np.where(go_left, self.left[node], self.right[node]), node)
        return nxt, active

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """Leaf reached in each tree: (n_samples, n_trees) int array."""
        x = _as_float32(x)
        node = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        while True:
            node, active = self._step(x, node)
            if not active.any():
                return node

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Mean over trees of the leaf values: (n_samples,) float64."""
        return self.value[self.leaves(x)].mean(axis=1)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split each prediction into a bias and one share per feature.

        Along each tree's path, the change in node value at a split is credited to the
        split's feature (Saabas' decomposition, as the ``treeinterpreter`` package);
        averaged over trees, ``bias + contributions.sum(1) == predict(x)`` (up to
        rounding).

        Returns
        -------
        bias : (n_samples,) float64 array
            Mean value of the roots (the training mean).
        contributions : (n_samples, n_features) float64 array
        """
        x = _as_float32(x)
        n, k = len(x), len(self.roots)
        contrib = np.zeros((n, x.shape[1]))
        rows = np.broadcast_to(np.arange(n)[:, None], (n, k))
        node = np.broadcast_to(self.roots, (n, k)).copy()
        while True:
            nxt, active = self._step(x, node)
            if not active.any():
                break
            delta = self.value[nxt[active]] - self.value[node[active]]
            np.add.at(contrib, (rows[active], self.feature[node[active]]), delta)
            node = nxt
        bias = np.full(n, self.value[self.roots].mean())
        return bias, contrib / k

    @classmethod
    def from_sklearn(cls, estimator) -> "Forest":
        """The trees of a fitted scikit-learn averaging forest with one output
        (``ExtraTreesRegressor``, ``RandomForestRegressor``)."""
        lefts, rights, feats, splits, values, roots = [], [], [], [], [], []
        offset = 0
        for tree in estimator.estimators_:
            t = tree.tree_
            if t.value.shape[1] != 1:
                raise ValueError("only single-output forests can be saved")
            inner = t.children_left >= 0
            lefts.append(np.where(inner, t.children_left + offset, -1))
            rights.append(np.where(inner, t.children_right + offset, -1))
            feats.append(np.where(inner, t.feature, -1))
            splits.append(np.where(inner, t.threshold, 0.0))
            values.append(t.value[:, 0, 0])
            roots.append(offset)
            offset += t.node_count
        cat = np.concatenate
        return cls(left=cat(lefts).astype(np.int32), right=cat(rights).astype(np.int32),
                   feature=cat(feats).astype(np.int32), split=cat(splits).astype(np.float64),
                   value=cat(values).astype(np.float64), roots=np.array(roots, np.int32))

    def to_json(self) -> dict:
        return {name: _encode(getattr(self, name))
                for name in ("left", "right", "feature", "split", "value", "roots")}

    @classmethod
    def from_json(cls, data: Mapping) -> "Forest":
        arrays = {}
        for name, dtype in (("left", "<i4"), ("right", "<i4"), ("feature", "<i4"),
                            ("split", "<f8"), ("value", "<f8"), ("roots", "<i4")):
            arrays[name] = _decode(data[name], dtype)
        return cls(**arrays)


def _as_float32(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"features must be a (n_samples, n_features) array, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("features must be finite")
    # scikit-learn's trees compare float32 features with float64 splits; so do we.
    return x.astype(np.float32)


def _encode(array: np.ndarray) -> dict:
    """An array as JSON: dtype, length and its little-endian bytes, zlib-compressed and
    base64-encoded (tree arrays compress to about a third)."""
    dtype = {"i": "<i4", "f": "<f8"}[array.dtype.kind]
    data = np.ascontiguousarray(array, dtype=dtype)
    return {"dtype": dtype, "length": int(data.size),
            "zlib_base64": base64.b64encode(zlib.compress(data.tobytes(), 9)).decode("ascii")}


def _decode(entry: Mapping, dtype: str) -> np.ndarray:
    if not isinstance(entry, Mapping) or entry.get("dtype") != dtype:
        raise ValueError(f"array entry is not of dtype {dtype}")
    length = int(entry["length"])
    if not 0 <= length <= MAX_MODEL_BYTES:
        raise ValueError(f"array length {length} out of range")
    expected = length * np.dtype(dtype).itemsize
    packed = base64.b64decode(entry["zlib_base64"], validate=True)
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, expected + 1)  # never inflate beyond the size
    except zlib.error as exc:
        raise ValueError(f"array data does not decompress ({exc})") from None
    if len(raw) != expected or not inflater.eof:
        raise ValueError("array length does not match its data")
    return np.frombuffer(raw, dtype=dtype).astype(np.dtype(dtype).newbyteorder("="))


# --- the model ------------------------------------------------------------------------

@dataclass(frozen=True)
class ThresholdModel:
    """A threshold predictor and what it was trained for.

    Attributes
    ----------
    forest : Forest
        The fitted trees (target: threshold in absolute levels).
    feature_names : tuple of str
        Names of the features, in order (:data:`runwaycut.features.FEATURE_NAMES` of
        ``features_version``).
    features_version : int
    params : ModelParams
    palette : PaletteParams
        Palette sampling of the photos it was trained on (the features depend on it).
    figure : dict
        Figure selection of the training masks (``FigureParams`` fields).
    training : dict
        Where it came from: data set, number of photos, cross-validation summary.
    """

    forest: Forest
    feature_names: tuple[str, ...]
    features_version: int
    params: ModelParams = field(default_factory=ModelParams)
    palette: PaletteParams = field(default_factory=PaletteParams)
    figure: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)

    def check_features(self) -> None:
        """Raise :class:`ModelError` unless the model's features are this version's."""
        if (self.features_version != FEATURES_VERSION
                or tuple(self.feature_names) != FEATURE_NAMES):
            raise ModelError(f"model was trained on features version {self.features_version} "
                             f"({len(self.feature_names)} features); this runwaycut computes "
                             f"version {FEATURES_VERSION} ({len(FEATURE_NAMES)}): retrain it "
                             "with runwaycut train")

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Predicted thresholds of feature rows.

        Parameters
        ----------
        features : (n, n_features) or (n_features,) float array

        Returns
        -------
        thresholds : (n,) float64 array
            Whole levels in ``0 .. params.max_threshold``.
        """
        raw = self.forest.predict(self._rows(features))
        return np.clip(np.round(raw), 0, self.params.max_threshold)

    def predict_image(self, image: np.ndarray, palette: Palette | None = None,
                      distance: np.ndarray | None = None) -> float:
        """Predicted threshold of one photo (absolute band), from its features."""
        self.check_features()
        return float(self.predict(image_features(image, palette, distance, self.palette))[0])

    def explain(self, features: np.ndarray) -> "Prediction":
        """The prediction for one feature row and each feature's share in it."""
        row = self._rows(features)[:1]
        bias, contrib = self.forest.contributions(row)
        raw = float(self.forest.predict(row)[0])
        return Prediction(threshold=float(np.clip(round(raw), 0, self.params.max_threshold)),
                          raw=raw, bias=float(bias[0]), features=np.asarray(row[0], float),
                          contributions=contrib[0], names=tuple(self.feature_names))

    def _rows(self, features) -> np.ndarray:
        x = np.asarray(features, np.float64)
        x = x[None] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"expected rows of {len(self.feature_names)} features, got "
                             f"shape {np.shape(features)}")
        return x

    def to_json(self) -> dict:
        """The model as JSON-ready data (see :func:`save_model`)."""
        return {"format": FORMAT, "version": FORMAT_VERSION,
                "features_version": self.features_version,
                "feature_names": list(self.feature_names),
                "target": "threshold (absolute levels), argmax of the smoothed figure-F1 curve",
                "params": asdict(self.params), "palette": asdict(self.palette),
                "figure": dict(self.figure), "training": _jsonable(self.training),
                "forest": self.forest.to_json()}

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
            return cls(forest=forest, feature_names=names,
                       features_version=int(data["features_version"]),
                       params=ModelParams(**data["params"]),
                       palette=PaletteParams(**data["palette"]),
                       figure=dict(data.get("figure", {})),
                       training=dict(data.get("training", {})))
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ModelError(f"{source}: corrupt threshold model ({what})") from None


@dataclass(frozen=True)
class Prediction:
    """One photo's predicted threshold and the features that drove it.

    ``bias + contributions.sum() == raw``; ``threshold`` is ``raw`` rounded and clipped.
    """

    threshold: float
    raw: float
    bias: float
    features: np.ndarray
    contributions: np.ndarray
    names: tuple[str, ...]

    def top(self, k: int = 8) -> list[tuple[str, float, float]]:
        """The ``k`` features with the largest shares: ``(name, value, share)``."""
        order = np.argsort(-np.abs(self.contributions), kind="stable")[:k]
        return [(self.names[i], float(self.features[i]), float(self.contributions[i]))
                for i in order]


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item")
                                 else str(o)))


def fit_model(features: np.ndarray, targets: np.ndarray, params: ModelParams = ModelParams(),
              palette: PaletteParams = PaletteParams(), figure: Mapping | None = None,
              training: Mapping | None = None) -> ThresholdModel:
    """Fit a threshold model.

    Parameters
    ----------
    features : (n, len(FEATURE_NAMES)) float array
        :func:`runwaycut.features.image_features` of each training photo.
    targets : (n,) float array
        Each photo's target threshold (:func:`curve_target`).
    params : ModelParams
    palette : PaletteParams
        Palette sampling the features were computed with (recorded in the model).
    figure, training : mapping, optional
        Recorded in the model.

    Returns
    -------
    model : ThresholdModel
    """
    from sklearn.ensemble import ExtraTreesRegressor

    x = np.asarray(features, np.float64)
    y = np.asarray(targets, np.float64)
    if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES) or len(x) != len(y) or len(y) < 2:
        raise ValueError(f"need at least 2 rows of {len(FEATURE_NAMES)} features and one "
                         f"target each; got features {x.shape}, targets {y.shape}")
    est = ExtraTreesRegressor(n_estimators=params.n_estimators,
                              min_samples_leaf=params.min_samples_leaf,
                              max_features=params.max_features, random_state=params.seed,
                              n_jobs=1).fit(x, y)
    return ThresholdModel(forest=Forest.from_sklearn(est), feature_names=FEATURE_NAMES,
                          features_version=FEATURES_VERSION, params=params, palette=palette,
                          figure=dict(figure or {}), training=dict(training or {}))


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


# --- files ----------------------------------------------------------------------------

def save_model(model: ThresholdModel, path: str | Path) -> Path:
    """Write a model as JSON, atomically (nothing half-written on failure)."""
    from .io import write_bytes_atomic

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
    path = default_model_path() if path is None else Path(path)
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


# --- as a threshold rule --------------------------------------------------------------

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
        if band != "absolute":
            raise ValueError("the threshold model predicts absolute-band thresholds; use "
                             "--band absolute with --threshold auto")
        model = self.model()
        features = image_features(image, palette, distance, model.palette)
        return float(model.predict(features)[0])


def model_rule(path: str | Path | None = None) -> ModelRule:
    """A threshold rule predicting with the model in ``path`` (the shipped one when None).

    The file is read and checked now, so that a bad one fails before any photo is
    processed, and its digest is kept (see :class:`ModelRule`).

    Raises
    ------
    ModelError
    """
    _, digest = _model_and_digest(path)
    return ModelRule(None if path is None else str(Path(path)), digest)


__all__ = ["DEFAULT_MODEL_FILE", "FORMAT", "FORMAT_VERSION", "Forest", "ModelParams",
           "ModelRule", "Prediction", "ThresholdModel", "curve_target", "default_model",
           "default_model_path", "fit_model", "get_model", "load_model", "model_rule",
           "save_model"]
