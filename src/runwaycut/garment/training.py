"""Training the garment classifier (:class:`runwaycut.garment.GarmentModel`) on labelled
photos, and cross-validating it by photo.

Reproducible on one machine: every random draw (pixels sampled per photo, the network's
initial weights, its early-stopping split) comes from one seed and the fit runs on one
thread, so two runs with the same software give the same file. Another CPU or BLAS build
gives the same priors and feature scaling but different network weights (float sums
differ in the last bits and the optimiser amplifies them): compare such retrains by
their cross-validated and held-out scores, not their bytes.
``benchmarks/train_garment.py`` is the command that writes the shipped model (without
the held-out photos of :mod:`runwaycut.scoring.heldout`); ``benchmarks/bench_garment.py``
scores the method with the same code under k-fold cross-validation.

Steps of :func:`train_model`
----------------------------
1. **Priors**: the median pose over the figure's box and the mean skin, hair, torso
   and leg colours, stand-ins for photos without a pose or a face.
2. **Pixels**: ``per_photo`` figure pixels per photo, their features
   (:func:`runwaycut.garment.pixel_features`) and four-class labels as targets; every
   ``no_pose_every``-th photo is also sampled as if no pose had been found, so that the
   model knows the mean-pose fallback.
3. **Network**: scikit-learn's ``MLPClassifier`` (Adam, early stopping on a 10%
   split), exported to plain arrays (:class:`runwaycut.garment.MLP`): no pickle.

A second, auto-context stage (the first network's answers around each pixel, over its
colour region and under the photo's own class colours, fed to a second network trained
on out-of-fold answers) was tried and gained nothing under cross-validation (garment
F1 0.9244 with and without it, 250 photos); it is not part of the model.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np

from .types import FIGURE_CLASSES, ColourModel, GarmentParams
from .model import MLP, GarmentModel
from .features import GarmentPriors, pixel_features, to_work, work_scale
from .body import (_legs_polygons, _torso_polygon, body_frame, region_colour, sample_hair,
                   sample_skin)
from .labelmap import detect_pose
from .colors import rgb_to_lab
from ..scoring.labels import LabelledPhoto, load_item

#: Default working size of a trained model (long side, pixels).
WORK_SIDE = 416


@dataclass(frozen=True)
class TrainParams:
    """How the garment classifier is trained.

    Attributes
    ----------
    hidden : tuple of int
        Hidden layer widths of each network.
    per_photo : int
        Figure pixels sampled per photo.
    no_pose_every : int
        Every n-th photo is also sampled without its pose (0: never).
    max_iter : int
        Most epochs per network.
    alpha : float
        L2 penalty.
    seed : int
    work_side : int
        Working size (long side) of the model.
    """

    hidden: tuple = (64, 64)
    per_photo: int = 400
    no_pose_every: int = 4
    max_iter: int = 40
    alpha: float = 1e-4
    seed: int = 0
    work_side: int = WORK_SIDE


@dataclass
class PhotoData:
    """One labelled photo at working size, with its pose.

    Attributes
    ----------
    id : str
    image : (h, w, 3) uint8 array
    classes : (h, w) uint8 array
        Four-class labels, nearest-neighbour resized.
    figure : (h, w) bool array
        The labelled figure (every class but background).
    landmarks : (39, 5) float32 array or None
        Pose landmarks in working pixels.
    item : LabelledPhoto
        Where the full-size photo and labels are.
    """

    id: str
    image: np.ndarray
    classes: np.ndarray
    figure: np.ndarray
    landmarks: np.ndarray | None
    item: LabelledPhoto


def load_photo(item: LabelledPhoto, work_side: int = WORK_SIDE, *, segmenter=None,
               cache: str | Path | None = None) -> PhotoData:
    """Read a labelled photo, find its pose and bring both to working size.

    Parameters
    ----------
    item : LabelledPhoto
    work_side : int
    segmenter : PersonSegmenter, optional
    cache : path, optional
        Folder where the landmarks found are kept (keyed by the photo's path, size and
        modification time), so that a second run skips the person models.
    """
    image, labels = load_item(item)
    landmarks = _cached_pose(item.photo, image, segmenter, cache)
    scale = work_scale(image.shape, work_side)
    small, figure = to_work(image, labels.classes != 0, scale)
    h, w = figure.shape
    classes = cv2.resize(labels.classes, (w, h), interpolation=cv2.INTER_NEAREST)
    if landmarks is not None:
        landmarks = landmarks.copy()
        landmarks[:, :3] *= scale
    return PhotoData(id=item.id, image=small, classes=classes, figure=figure,
                     landmarks=landmarks, item=item)


def _cached_pose(path: Path, image: np.ndarray, segmenter, cache) -> np.ndarray | None:
    if cache is None:
        return detect_pose(image, segmenter)[0]
    stat = Path(path).stat()
    key = hashlib.sha1(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    file = Path(cache) / f"pose-{key.hexdigest()[:16]}.npy"
    if file.is_file():
        lm = np.load(file, allow_pickle=False)
        return None if lm.size == 0 else lm
    lm = detect_pose(image, segmenter)[0]
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(".tmp.npy")
    np.save(tmp, np.zeros((0, 5), np.float32) if lm is None else lm, allow_pickle=False)
    tmp.replace(file)
    return lm


# --- priors ------------------------------------------------------------------------------------

def estimate_priors(photos: Sequence[PhotoData]) -> GarmentPriors:
    """The training photos' median pose and mean colour models (see module notes).

    The default covariances add the spread of the photos' means to the mean
    within-photo covariance: a stand-in model must cover every photo's colour.
    """
    poses, samples = [], {"skin": [], "hair": [], "torso": [], "legs": []}
    for ph in photos:
        if ph.landmarks is None or not ph.figure.any():
            continue
        ys, xs = np.nonzero(ph.figure)
        y0, x0, x1 = ys.min(), xs.min(), xs.max() + 1
        height = float(ys.max() + 1 - y0)
        pts = ph.landmarks[:33, :2]
        poses.append(np.stack([(pts[:, 0] - (x0 + x1) / 2) / height,
                               (pts[:, 1] - y0) / height], axis=1))
        lab = rgb_to_lab(ph.image)
        frame = body_frame(ph.figure, ph.landmarks, None)
        skin = sample_skin(lab, ph.figure, frame.face, None)
        found = {"skin": skin,
                 "hair": None if skin is None else sample_hair(lab, ph.figure, frame.face,
                                                               skin, None),
                 "torso": region_colour(lab, ph.figure, [_torso_polygon(frame.points)],
                                        "torso", None),
                 "legs": region_colour(lab, ph.figure, _legs_polygons(frame.points,
                                                                      frame.scale),
                                       "legs", None)}
        for k, model in found.items():
            if model is not None:
                samples[k].append(model)
    if not poses:
        raise ValueError("no training photo has a pose: cannot estimate the mean pose")
    models = {}
    for k, found in samples.items():
        if len(found) < 2:
            raise ValueError(f"fewer than two training photos give a {k} colour")
        means = np.array([m.mean for m in found], np.float64)
        within = np.mean([m.cov for m in found], axis=0)
        cov = within + np.cov(means, rowvar=False)
        models[k] = ColourModel(means.mean(axis=0).astype(np.float32),
                                cov.astype(np.float32), "default", 0)
    return GarmentPriors(mean_pose=np.median(poses, axis=0).astype(np.float32), **models)


# --- sampling and fitting ------------------------------------------------------------------------

def _class_targets(classes: np.ndarray) -> np.ndarray:
    """Four-class labels of figure pixels -> 0..2 (garment, skin+hair, accessory)."""
    lut = np.full(256, -1, np.int64)
    for i, c in enumerate(FIGURE_CLASSES):
        lut[c] = i
    return lut[classes]


def _features(ph: PhotoData, no_pose: bool, priors: GarmentPriors, params: GarmentParams):
    return pixel_features(ph.image, ph.figure, None if no_pose else ph.landmarks, priors,
                          params)


def fit_network(x: np.ndarray, y: np.ndarray, hidden: Sequence[int], *, seed: int = 0,
                max_iter: int = 40, alpha: float = 1e-4) -> MLP:
    """Fit one network on standardised features and export it.

    Parameters
    ----------
    x : (N, F) float32 array
    y : (N,) int array
        0..2: garment, skin+hair, accessory.
    hidden : sequence of int

    Returns
    -------
    net : MLP
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x = np.asarray(x, np.float32)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-6, scale, 1.0).astype(np.float32)
    net = MLPClassifier(hidden_layer_sizes=tuple(hidden), alpha=alpha, batch_size=1024,
                        max_iter=max_iter, early_stopping=True, n_iter_no_change=5,
                        random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit((x - mean) / scale, y)
    if list(net.classes_) != list(range(len(FIGURE_CLASSES))):
        raise ValueError(f"training pixels hold classes {list(net.classes_)}; every class "
                         "(garment, skin+hair, accessory) must appear")
    return MLP(mean=mean.astype(np.float32), scale=scale,
                    weights=tuple(w.astype(np.float32) for w in net.coefs_),
                    biases=tuple(b.astype(np.float32) for b in net.intercepts_))


def train_model(photos: Sequence[PhotoData], params: TrainParams = TrainParams(),
                garment_params: GarmentParams = GarmentParams(), *,
                progress: Callable[[str], None] | None = None) -> GarmentModel:
    """Train the garment classifier on labelled photos (see module notes).

    Parameters
    ----------
    photos : sequence of PhotoData
        At the model's working size (:func:`load_photo` with ``params.work_side``).
    params : TrainParams
    garment_params : GarmentParams
        Feature settings (as used at prediction).
    progress : callable, optional
        Called with a line of text at each step.

    Returns
    -------
    model : GarmentModel
    """
    say = progress or (lambda text: None)
    start = time.perf_counter()
    rng = np.random.default_rng(params.seed)
    priors = estimate_priors(photos)
    xs, ys = [], []
    for i, ph in enumerate(photos):
        variants = [False]
        if params.no_pose_every and i % params.no_pose_every == 0 and ph.landmarks is not None:
            variants.append(True)
        for no_pose in variants:
            fs = _features(ph, no_pose, priors, garment_params)
            target = _class_targets(ph.classes.ravel()[fs.index])
            labelled = np.flatnonzero(target >= 0)  # not background at the working size
            if len(labelled) == 0:
                continue
            rows = np.sort(rng.choice(labelled, min(params.per_photo, len(labelled)),
                                      replace=False))
            xs.append(fs.features[rows])
            ys.append(target[rows])
    x, y = np.concatenate(xs), np.concatenate(ys)
    say(f"{len(x)} pixels from {len(photos)} photos; fitting the network")
    net = fit_network(x, y, params.hidden, seed=params.seed, max_iter=params.max_iter,
                      alpha=params.alpha)
    info = {"photos": len(photos), "pixels": int(len(x)),
            "train_params": {k: (list(v) if isinstance(v, tuple) else v)
                             for k, v in params.__dict__.items()}}
    say(f"trained in {time.perf_counter() - start:.0f} s")
    return GarmentModel(net=net, priors=priors, work_side=params.work_side, info=info)


def folds_by_photo(n: int, k: int, seed: int = 0) -> list[np.ndarray]:
    """``k`` disjoint test folds of photo indices 0..n-1 (seeded shuffle)."""
    if not 2 <= k <= n:
        raise ValueError(f"folds must lie in 2..{n}, got {k}")
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(order[f::k]) for f in range(k)]


__all__ = ["PhotoData", "TrainParams", "WORK_SIDE", "estimate_priors", "fit_network",
           "folds_by_photo", "load_photo", "train_model"]
