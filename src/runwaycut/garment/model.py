"""The pixel classifier: a small MLP shipped as JSON (no pickle).
"""

from __future__ import annotations



import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..person.fusion import fold_standardisation
from ..scoring.labels import CLASS_NAMES
from .features import FeatureSet, GarmentPriors
from .types import ColourModel, FEATURES_VERSION, FEATURE_NAMES, FIGURE_CLASSES, _N_BODY



# --- the classifier --------------------------------------------------------------------------

#: Format name and version of a garment model file.
MODEL_FORMAT = "runwaycut-garment-model"
MODEL_VERSION = 1


@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron: standardisation, ReLU hidden layers, softmax output.

    Attributes
    ----------
    mean, scale : (F,) float32 arrays
        Feature standardisation applied first.
    weights, biases : tuples of float32 arrays
        Layer ``k`` maps ``x @ weights[k] + biases[k]``.
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: tuple
    biases: tuple

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, C)`` of features ``(N, F)``.

        The standardisation is folded into the first layer's weights and the biases are
        added in place (the 11,260 pixels of a CCP figure: 3.8 against 4.6 ms, one thread;
        probabilities within 2e-6 of the plain evaluation)."""
        z = np.asarray(x, np.float32)
        layers = self._folded
        for k, (w, b) in enumerate(layers):
            z = z @ w
            z += b
            if k < len(layers) - 1:
                np.maximum(z, 0, out=z)
        # Softmax over the few classes column by column: a reduction along a short last
        # axis costs more than the layers' products.
        columns = [z[:, c] for c in range(z.shape[1])]
        top = columns[0].copy()
        for column in columns[1:]:
            np.maximum(top, column, out=top)
        z -= top[:, None]
        np.exp(z, out=z)
        total = columns[0].copy()
        for column in columns[1:]:
            total += column
        z /= total[:, None]
        return z

    @cached_property
    def _folded(self) -> tuple:
        return fold_standardisation(self.mean, self.scale, self.weights, self.biases)

    def as_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": [w.tolist() for w in self.weights],
                "biases": [b.tolist() for b in self.biases]}

    @classmethod
    def from_dict(cls, d: dict) -> "MLP":
        """Read :meth:`as_dict`'s output; ``ValueError`` when the shapes do not chain."""
        weights = tuple(np.asarray(w, np.float32) for w in d["weights"])
        biases = tuple(np.asarray(b, np.float32) for b in d["biases"])
        mean, scale = np.asarray(d["mean"], np.float32), np.asarray(d["scale"], np.float32)
        widths = [mean.shape[0]] + [w.shape[1] if w.ndim == 2 else -1 for w in weights]
        if (not weights or len(weights) != len(biases) or mean.ndim != 1
                or scale.shape != mean.shape or not np.all(scale > 0)
                or any(w.shape != (a, b) for w, a, b in zip(weights, widths, widths[1:]))
                or any(b.shape != (w.shape[1],) for w, b in zip(weights, biases))):
            raise ValueError("layer shapes do not chain")
        return cls(mean, scale, weights, biases)


@dataclass(frozen=True)
class GarmentModel:
    """The figure-pixel classifier: a multilayer perceptron over :data:`FEATURE_NAMES`
    giving the probabilities of garment, skin+hair and accessory.

    Attributes
    ----------
    net : MLP
    priors : GarmentPriors
    work_side : int
        Working size (long side, pixels) the model was trained at; a photo is shrunk to
        it, or by a whole factor to within 5% of it (:func:`~runwaycut.garment.features.work_scale`).
    info : dict
        How it was trained (data, parameters), for the record.
    """

    net: MLP
    priors: GarmentPriors
    work_side: int = 416
    info: dict = field(default_factory=dict)

    def predict(self, fs: FeatureSet, rows: np.ndarray | None = None) -> np.ndarray:
        """Probabilities ``(N, 3)`` of the rows of ``fs.features`` (the figure's pixels, or
        those of ``fs.rows``; of those ``rows`` selects among them, a bool or index
        array, when given)."""
        return self.net.predict_proba(fs.features if rows is None else fs.features[rows])

    def to_json(self) -> str:
        """The model as JSON text (no pickle: plain numbers and names)."""
        pr = self.priors
        doc = {"format": MODEL_FORMAT, "version": MODEL_VERSION,
               "features_version": FEATURES_VERSION, "features": list(FEATURE_NAMES),
               "classes": [CLASS_NAMES[c] for c in FIGURE_CLASSES],
               "work_side": self.work_side,
               "priors": {"mean_pose": np.asarray(pr.mean_pose).tolist(),
                          **{k: {"mean": getattr(pr, k).mean.tolist(),
                                 "cov": getattr(pr, k).cov.tolist()}
                             for k in ("skin", "hair", "torso", "legs")}},
               "net": self.net.as_dict(), "info": self.info}
        return json.dumps(doc)

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> "GarmentModel":
        """Read a model written by :meth:`to_json`.

        Raises
        ------
        ModelError
            For text that is not such a model, or one made for other features.
        """
        try:
            d = json.loads(text)
            if not isinstance(d, dict) or d.get("format") != MODEL_FORMAT:
                raise ValueError(f"format is not {MODEL_FORMAT!r}")
            if d.get("version") != MODEL_VERSION:
                raise ValueError(f"version {d.get('version')}, this runwaycut reads "
                                 f"{MODEL_VERSION}")
            if (d.get("features_version") != FEATURES_VERSION
                    or tuple(d["features"]) != FEATURE_NAMES):
                raise ValueError("trained on other features; retrain it with "
                                 "benchmarks/train_garment.py")
            pr = d["priors"]
            priors = GarmentPriors(
                mean_pose=np.asarray(pr["mean_pose"], np.float32).reshape(_N_BODY, 2),
                **{k: ColourModel(np.asarray(pr[k]["mean"], np.float32).reshape(3),
                                  np.asarray(pr[k]["cov"], np.float32).reshape(3, 3), "default")
                   for k in ("skin", "hair", "torso", "legs")})
            net = MLP.from_dict(d["net"])
            if net.mean.shape[0] != len(FEATURE_NAMES) or net.weights[-1].shape[1] != len(
                    FIGURE_CLASSES):
                raise ValueError("network does not match the features and classes")
            work_side = int(d["work_side"])
            if work_side < 32:
                raise ValueError(f"work_side {work_side} is below 32 pixels")
            return cls(net=net, priors=priors, work_side=work_side,
                       info=dict(d.get("info", {})))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"{source}: not a usable garment model ({exc})") from None

    @classmethod
    def load(cls, path: str | Path) -> "GarmentModel":
        """Read a model file.

        Raises
        ------
        ModelError
            Missing, unreadable or not a garment model.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: cannot read the garment model "
                             f"({getattr(exc, 'strerror', None) or exc})") from None
        return cls.from_json(text, str(path))


#: File name of the shipped model inside ``runwaycut/data``.
SHIPPED_MODEL = "garment_model.json"


@lru_cache(maxsize=None)
def load_garment_model() -> GarmentModel:
    """The shipped garment model (``runwaycut/data/garment_model.json``), read once."""
    from ..models import PACKAGE_ROOT, read_shipped

    text = read_shipped(f"data/{SHIPPED_MODEL}").decode("utf-8")  # SHA-256 checked
    return GarmentModel.from_json(text, str(PACKAGE_ROOT / "data" / SHIPPED_MODEL))
