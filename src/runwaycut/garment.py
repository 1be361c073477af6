"""Isolating the garment: a four-class label map from a photo and its figure mask.

The design note's final goal is the garment. Its author labelled photos into four
classes (background, garment, skin+hair, accessories) and began removing skin with a
colour palette sampled from the face that a Haar cascade found. This module finishes
that road, starting from any figure mask (:data:`runwaycut.methods.METHODS`):

1. **Working size.** The photo and its figure mask are reduced so that the long side
   is the model's ``work_side`` (416 pixels).
2. **Body frame.** The BlazePose landmarks of :mod:`runwaycut.person` (the person and
   auto backends pass theirs on; otherwise :func:`detect_pose` runs the models) say
   where the head, arms, hands, torso, legs and feet are, and the face box. Without a
   pose (no person found), the training photos' median pose, stretched over the
   figure's bounding box, stands in.
3. **Colour models of this photo.** A *skin* model (mean and covariance in Lab) sampled
   from the middle of the face, as the original sampled its skin palette from the
   face box; a *hair* colour from the figure above and beside the face; the *torso*
   and *leg* colours (where garments usually are). Without a face, the skin and hair
   models are the training photos' means.
4. **Per-pixel features** of every figure pixel (:data:`FEATURE_NAMES`): Lab colour
   (raw, smoothed, and averaged over a wider area), texture and edge strength, the
   Mahalanobis distance to the face's skin model and the difference from its mean,
   distances to the hair, torso and leg colours, height on the body, distances to the
   head and to each limb segment (in torso lengths), distance to the figure's outline.
5. **Classifier.** A multilayer perceptron (two hidden layers of 64), shipped as JSON
   (``data/garment_model.json``, trained by ``benchmarks/train_garment.py`` on the CCP
   dev photos), gives each figure pixel the probabilities of garment, skin+hair and
   accessory.
6. **Regions and edges.** Each pixel takes the mean probabilities of its colour region
   (Felzenszwalb-Huttenlocher segmentation of the figure), lightly smoothed; a guided
   filter steered by the full-size photo brings them back to its size, and each figure
   pixel takes the likeliest class. Pixels outside the figure mask are background.

Scored by ``benchmarks/bench_garment.py`` (5-fold cross-validation by photo on the 500
CCP dev photos, garment positive): mean garment F1 0.927 on the hand-labelled figure,
0.916 on the auto backend's (whole figure called garment: 0.809 and 0.800).

Outputs
-------
:func:`label_garment` returns a :class:`GarmentResult`; :func:`labels_png` encodes its
map as an indexed PNG with the fixed palette :data:`LABEL_PALETTE` (the original
author's colour code: background red, garment blue, skin+hair white, accessories green,
so that ``runwaycut evaluate`` reads its RGB version back as ``seg`` labels);
:func:`garment_cutout` makes the RGBA cutout of the garment alone.
:class:`GarmentMethod` wraps a figure backend for ``--target garment``, and
:func:`garment_blobs` encodes its files (``<stem>.labels.png``, ``<stem>.garment.png``,
``<stem>.colors.json``).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from .colors import ColorParams, colors_json, garment_colors, lab_to_rgb, rgb_to_lab
from .errors import InvalidImageError, ModelError
from .labels import CLASS_NAMES

#: Class indices of a label map (same order as :data:`runwaycut.labels.CLASS_NAMES`).
BACKGROUND, GARMENT, SKIN_HAIR, ACCESSORY = 0, 1, 2, 3

#: RGB colour of each class in ``<stem>.labels.png``: the original author's colour code
#: for hand labels (background red, garment blue, skin+hair white, accessories green).
LABEL_PALETTE = np.array([[255, 0, 0], [0, 0, 255], [255, 255, 255], [0, 255, 0]], np.uint8)
LABEL_PALETTE.setflags(write=False)

#: Classes the classifier chooses between, for figure pixels (indices into CLASS_NAMES).
FIGURE_CLASSES = (GARMENT, SKIN_HAIR, ACCESSORY)

#: Version of the feature definitions; a model trained on another version is refused.
FEATURES_VERSION = 1

#: BlazePose landmark indices used here (see :data:`runwaycut.person.LANDMARK_NAMES`).
_NOSE = 0
_L_SHOULDER, _R_SHOULDER, _L_ELBOW, _R_ELBOW, _L_WRIST, _R_WRIST = 11, 12, 13, 14, 15, 16
_L_INDEX, _R_INDEX = 19, 20
_L_HIP, _R_HIP, _L_KNEE, _R_KNEE, _L_ANKLE, _R_ANKLE = 23, 24, 25, 26, 27, 28
_L_FOOT, _R_FOOT = 31, 32
_N_BODY = 33

#: Body parts as landmark segments (left and right): name -> list of (a, b) pairs.
BODY_SEGMENTS = {
    "upper_arm": [(_L_SHOULDER, _L_ELBOW), (_R_SHOULDER, _R_ELBOW)],
    "forearm": [(_L_ELBOW, _L_WRIST), (_R_ELBOW, _R_WRIST)],
    "hand": [(_L_WRIST, _L_INDEX), (_R_WRIST, _R_INDEX)],
    "thigh": [(_L_HIP, _L_KNEE), (_R_HIP, _R_KNEE)],
    "shin": [(_L_KNEE, _L_ANKLE), (_R_KNEE, _R_ANKLE)],
    "foot": [(_L_ANKLE, _L_FOOT), (_R_ANKLE, _R_FOOT)],
}

#: Names of the per-pixel features, in column order.
FEATURE_NAMES = (
    "L", "a", "b", "L_smooth", "a_smooth", "b_smooth", "L_wide", "a_wide", "b_wide",
    "chroma", "texture", "edge",
    "skin_distance", "skin_dL", "skin_da", "skin_db", "skin_distance_smooth",
    "hair_distance", "torso_distance", "legs_distance",
    "height", "across", "head_distance",
    *(f"{part}_distance" for part in BODY_SEGMENTS), "torso_axis_distance",
    "outline_distance", "has_pose", "has_face",
)


@dataclass(frozen=True)
class GarmentParams:
    """How the label map is made.

    The working size (long side at which features are computed and pixels classified)
    belongs to the model (:attr:`GarmentModel.work_side`).

    Attributes
    ----------
    regions : float
        Scale of the Felzenszwalb-Huttenlocher segmentation of the figure into regions
        of like colour (:func:`figure_regions`; larger: fewer, larger regions). Each
        pixel then takes its region's mean class probabilities, so that a region of one
        colour takes one class (0: no regions).
    region_sigma : float
        Gaussian pre-smoothing of that segmentation, in working pixels.
    region_min_size : int
        Smallest region, in working pixels.
    smooth : float
        Standard deviation, in working pixels, of the Gaussian that then smooths the
        class probabilities inside the figure (0: no smoothing).
    guided_radius : int
        Window radius, in working pixels, of the guided filter that brings the
        probabilities to the photo's size along the photo's own edges (0: plain
        bilinear resizing).
    guided_eps : float
        Regularisation of that filter (smaller: follows the photo's edges more closely).
    min_face_pixels : int
        Fewest figure pixels in the face's centre (at working size) for a face-sampled
        skin model; with fewer, the training set's mean skin model is used.
    """

    regions: float = 200.0
    region_sigma: float = 0.5
    region_min_size: int = 30
    smooth: float = 1.5
    guided_radius: int = 8
    guided_eps: float = 1e-3
    min_face_pixels: int = 30

    def __post_init__(self):
        for name in ("regions", "region_sigma", "smooth", "guided_eps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.region_min_size < 1:
            raise ValueError(f"region_min_size must be at least 1, got {self.region_min_size}")
        if self.guided_radius < 0:
            raise ValueError(f"guided_radius must be >= 0, got {self.guided_radius}")


@dataclass(frozen=True)
class ColourModel:
    """A colour of this photo in CIE Lab: a mean and a covariance.

    Attributes
    ----------
    mean : (3,) float32 array
        L in [0, 100], a and b in about [-128, 127].
    cov : (3, 3) float32 array
    source : str
        ``face``, ``hair``, ``torso``, ``legs``... where it was sampled; ``default``
        when the training set's mean stands in.
    pixels : int
        Pixels it was estimated from (0 for a default).
    """

    mean: np.ndarray
    cov: np.ndarray
    source: str
    pixels: int = 0

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The mean colour in 8-bit RGB, for display."""
        return tuple(int(v) for v in lab_to_rgb(self.mean[None])[0])


@dataclass(frozen=True)
class BodyFrame:
    """Where the body parts are, in working pixels.

    Attributes
    ----------
    points : (33, 2) float32 array
        ``x, y`` of the BlazePose body landmarks (or of the mean pose, stretched).
    from_pose : bool
        Whether the points come from the pose model (``False``: mean pose).
    scale : float
        Length unit of the geometric features: the torso's length (shoulders' midpoint
        to hips' midpoint), kept within 0.15 .. 0.5 of the figure's height.
    face : (x0, y0, x1, y1) tuple of float, or None
        The face box from the pose's face landmarks; ``None`` without one.
    """

    points: np.ndarray
    from_pose: bool
    scale: float
    face: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class GarmentResult:
    """The four-class label map of a photo, and what made it.

    Attributes
    ----------
    labels : (H, W) uint8 array
        Class index per pixel (:data:`BACKGROUND`, :data:`GARMENT`, :data:`SKIN_HAIR`,
        :data:`ACCESSORY`), at the photo's size.
    probabilities : (h, w, 3) float32 array
        Probabilities of garment, skin+hair and accessory at working size, smoothed
        (see :func:`probability_maps`; meaningless outside the figure).
    frame : BodyFrame
        Body landmarks and face box at working size.
    skin, hair : ColourModel
        The photo's skin and hair colours.
    scale : float
        Working size / photo size.
    warnings : tuple of str
        Why the result may be degraded, in words (no pose, no face...).
    """

    labels: np.ndarray
    probabilities: np.ndarray
    frame: BodyFrame
    skin: ColourModel
    hair: ColourModel
    scale: float
    warnings: tuple[str, ...] = ()

    @property
    def garment(self) -> np.ndarray:
        """(H, W) bool mask of the garment pixels."""
        return self.labels == GARMENT

    @property
    def face_box(self) -> tuple[int, int, int, int] | None:
        """The face box in photo pixels ``(x0, y0, x1, y1)``, or ``None``."""
        if self.frame.face is None:
            return None
        return tuple(int(round(v / self.scale)) for v in self.frame.face)

    def shares(self) -> dict[str, float]:
        """Share of the photo's pixels in each class."""
        counts = np.bincount(self.labels.ravel(), minlength=len(CLASS_NAMES))
        return {n: float(c) / self.labels.size for n, c in zip(CLASS_NAMES, counts)}


# --- colour -------------------------------------------------------------------------------

def _colour_model(lab_pixels: np.ndarray, source: str, trim: float = 2.5,
                  ridge: float = 4.0) -> ColourModel | None:
    """Robust mean and covariance of Lab pixels: median/MAD trimmed, then moments."""
    if len(lab_pixels) < 3:
        return None
    med = np.median(lab_pixels, axis=0)
    mad = np.median(np.abs(lab_pixels - med), axis=0) * 1.4826 + 1.0
    keep = (np.abs(lab_pixels - med) <= trim * mad).all(axis=1)
    sel = lab_pixels[keep] if keep.sum() >= 3 else lab_pixels
    mean = sel.mean(axis=0)
    cov = np.cov(sel, rowvar=False) + ridge * np.eye(3)
    return ColourModel(mean.astype(np.float32), cov.astype(np.float32), source, int(len(sel)))


def _mahalanobis(lab: np.ndarray, model: ColourModel) -> np.ndarray:
    inv = np.linalg.inv(model.cov.astype(np.float64)).astype(np.float32)
    d = lab - model.mean
    return np.sqrt(np.maximum(np.einsum("ni,ij,nj->n", d, inv, d), 0))


# --- body frame ---------------------------------------------------------------------------

def body_frame(figure: np.ndarray, landmarks: np.ndarray | None,
               mean_pose: np.ndarray) -> BodyFrame:
    """Where the body parts are, from pose landmarks or, without them, the mean pose.

    Parameters
    ----------
    figure : (h, w) bool array
        The figure mask at working size.
    landmarks : (>=33, 5) float array or None
        Pose landmarks in working pixels (``x, y, z, visibility, presence``).
    mean_pose : (33, 2) float array
        The training set's mean pose, ``x`` relative to the figure box's centre and
        ``y`` to its top, both in units of its height.

    Returns
    -------
    frame : BodyFrame
    """
    ys, xs = np.nonzero(figure)
    if len(ys):
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    else:
        h, w = figure.shape
        y0, y1, x0, x1 = 0, h, 0, w
    height = float(max(y1 - y0, 1))
    face = None
    if landmarks is not None:
        points = np.asarray(landmarks, np.float32)[:_N_BODY, :2].copy()
        face = _face_from_landmarks(np.asarray(landmarks, np.float32))
        from_pose = True
    else:
        points = np.empty((_N_BODY, 2), np.float32)
        points[:, 0] = (x0 + x1) / 2 + mean_pose[:, 0] * height
        points[:, 1] = y0 + mean_pose[:, 1] * height
        from_pose = False
    shoulders = points[[_L_SHOULDER, _R_SHOULDER]].mean(axis=0)
    hips = points[[_L_HIP, _R_HIP]].mean(axis=0)
    torso = float(np.hypot(*(hips - shoulders)))
    scale = float(np.clip(torso, 0.15 * height, 0.5 * height))
    return BodyFrame(points=points, from_pose=from_pose, scale=max(scale, 1.0), face=face)


def _face_from_landmarks(landmarks: np.ndarray, min_visibility: float = 0.5):
    """Face box from the face landmarks (as :func:`runwaycut.person.face_box`, in floats)."""
    pts = landmarks[:11]
    visible = pts[pts[:, 3] >= min_visibility]
    if len(visible) < 3:
        return None
    xs, ys = visible[:, 0], visible[:, 1]
    side = 1.6 * max(xs.max() - xs.min(), ys.max() - ys.min(), 1.0)
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2 + 0.15 * side
    return (float(cx - side / 2), float(cy - side / 2), float(cx + side / 2),
            float(cy + side / 2))


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of points to the segment a-b (float32)."""
    dx, dy = float(b[0] - a[0]), float(b[1] - a[1])
    length2 = dx * dx + dy * dy
    ux, uy = px - np.float32(a[0]), py - np.float32(a[1])
    if length2 < 1e-6:
        return np.sqrt(ux * ux + uy * uy)
    t = np.clip((ux * dx + uy * dy) / np.float32(length2), 0, 1)
    ex, ey = ux - t * np.float32(dx), uy - t * np.float32(dy)
    return np.sqrt(ex * ex + ey * ey)


# --- colour models of the photo -----------------------------------------------------------

def sample_skin(lab: np.ndarray, figure: np.ndarray, face, default: ColourModel,
                min_pixels: int = 30) -> ColourModel:
    """The skin colour of a photo, sampled from the middle of the face.

    The original sampled 8 random 8x8 blocks inside the Haar face box; here every
    figure pixel in the face box's central part (between the eyes and the mouth, away
    from hair and background) is used, median/MAD trimmed (eyes, brows, lips).

    Parameters
    ----------
    lab : (h, w, 3) float32 array
    figure : (h, w) bool array
    face : (x0, y0, x1, y1) or None
        Face box at working size.
    default : ColourModel
        Returned when there is no face or too few pixels in it.
    min_pixels : int

    Returns
    -------
    skin : ColourModel
        ``source`` is ``face`` or ``default``.
    """
    if face is None:
        return default
    h, w = figure.shape
    x0, y0, x1, y1 = face
    side = x1 - x0
    cx0, cx1 = int(round(x0 + 0.3 * side)), int(round(x1 - 0.3 * side))
    cy0, cy1 = int(round(y0 + 0.35 * side)), int(round(y1 - 0.2 * side))
    cx0, cy0 = max(cx0, 0), max(cy0, 0)
    cx1, cy1 = min(cx1, w), min(cy1, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return default
    region = figure[cy0:cy1, cx0:cx1]
    pixels = lab[cy0:cy1, cx0:cx1][region]
    if len(pixels) < min_pixels:
        return default
    model = _colour_model(pixels, "face")
    return default if model is None else model


def sample_hair(lab: np.ndarray, figure: np.ndarray, face, skin: ColourModel,
                default: ColourModel, min_pixels: int = 20) -> ColourModel:
    """The hair colour: figure pixels above and beside the face that are not skin."""
    if face is None:
        return default
    h, w = figure.shape
    x0, y0, x1, y1 = face
    side = x1 - x0
    rx0, rx1 = int(max(x0 - 0.35 * side, 0)), int(min(x1 + 0.35 * side, w))
    ry0, ry1 = int(max(y0 - 0.35 * side, 0)), int(min(y0 + 0.6 * side, h))
    if rx1 <= rx0 or ry1 <= ry0:
        return default
    region = figure[ry0:ry1, rx0:rx1].copy()
    # Leave out the face's own central part.
    fx0, fx1 = int(x0 + 0.2 * side) - rx0, int(x1 - 0.2 * side) - rx0
    fy0 = int(y0 + 0.25 * side) - ry0
    region[max(fy0, 0):, max(fx0, 0):max(fx1, 0)] = False
    pixels = lab[ry0:ry1, rx0:rx1][region]
    if len(pixels):
        pixels = pixels[_mahalanobis(pixels, skin) > 3.0]
    if len(pixels) < min_pixels:
        return default
    model = _colour_model(pixels, "hair")
    return default if model is None else model


def region_colour(lab: np.ndarray, figure: np.ndarray, polygons: list, source: str,
                  default: ColourModel, min_pixels: int = 20) -> ColourModel:
    """Colour model of the figure pixels inside some polygons (the torso, the thighs)."""
    h, w = figure.shape
    mask = np.zeros((h, w), np.uint8)
    pts = [np.clip(np.round(p), -1e6, 1e6).astype(np.int32) for p in polygons]
    cv2.fillPoly(mask, pts, 1)
    pixels = lab[(mask > 0) & figure]
    if len(pixels) < min_pixels:
        return default
    model = _colour_model(pixels, source)
    return default if model is None else model


def _torso_polygon(p: np.ndarray) -> np.ndarray:
    """The torso's core: shoulders and hips pulled 25% towards their centre."""
    quad = p[[_L_SHOULDER, _R_SHOULDER, _R_HIP, _L_HIP]]
    c = quad.mean(axis=0)
    return c + 0.75 * (quad - c)


def _legs_polygons(p: np.ndarray, scale: float) -> list[np.ndarray]:
    out = []
    for hip, knee in ((_L_HIP, _L_KNEE), (_R_HIP, _R_KNEE)):
        a, b = p[hip], p[knee]
        d = b - a
        n = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-6) * 0.08 * scale
        a2, b2 = a + 0.3 * d, a + 0.9 * d
        out.append(np.array([a2 + n, b2 + n, b2 - n, a2 - n]))
    return out


# --- features ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GarmentPriors:
    """What stands in when a photo lacks a pose or a face: the training set's means.

    Attributes
    ----------
    mean_pose : (33, 2) float32 array
        Median body landmarks, ``x`` relative to the figure box's centre and ``y`` to
        its top, in units of the figure box's height.
    skin, hair, torso, legs : ColourModel
        Mean colour models (``source`` ``default``).
    """

    mean_pose: np.ndarray
    skin: ColourModel
    hair: ColourModel
    torso: ColourModel
    legs: ColourModel


@dataclass(frozen=True)
class FeatureSet:
    """The per-pixel features of one photo's figure, at working size.

    Attributes
    ----------
    features : (N, F) float32 array
        One row per figure pixel, columns :data:`FEATURE_NAMES`.
    index : (N,) int64 array
        Flat index of each row's pixel in the ``(h, w)`` working image.
    shape : (h, w)
    frame : BodyFrame
    skin, hair : ColourModel
    """

    features: np.ndarray
    index: np.ndarray
    shape: tuple[int, int]
    frame: BodyFrame
    skin: ColourModel
    hair: ColourModel


def work_scale(shape: tuple[int, ...], work_side: int) -> float:
    """Factor from photo pixels to working pixels (never above 1)."""
    return min(1.0, work_side / max(shape[:2]))


def to_work(image: np.ndarray, figure: np.ndarray,
            scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The photo and its figure mask at working size.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    figure : (H, W) bool array
    scale : float
        From :func:`work_scale`.

    Returns
    -------
    image : (h, w, 3) uint8 array
        Area-averaged.
    figure : (h, w) bool array
        The working pixels at least half covered by the mask.
    """
    h, w = image.shape[:2]
    figure = np.asarray(figure, bool)
    if scale >= 1.0:
        return image, figure
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    fig = cv2.resize(figure.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) >= 128
    return small, fig


def pixel_features(image: np.ndarray, figure: np.ndarray, landmarks: np.ndarray | None,
                   priors: GarmentPriors,
                   params: GarmentParams = GarmentParams()) -> FeatureSet:
    """Per-pixel features (:data:`FEATURE_NAMES`) of the figure pixels of a working-size
    photo: the classifier's input.

    Parameters
    ----------
    image : (h, w, 3) uint8 array
        RGB photo at working size (see :func:`to_work`).
    figure : (h, w) bool array
        Figure mask at working size.
    landmarks : (>=33, 5) float array or None
        Pose landmarks in working pixels; ``None`` without a pose.
    priors : GarmentPriors
        Mean pose and default colour models (from the trained model).
    params : GarmentParams

    Returns
    -------
    features : FeatureSet
    """
    h, w = figure.shape
    lab = rgb_to_lab(image)
    frame = body_frame(figure, landmarks, priors.mean_pose)
    skin = sample_skin(lab, figure, frame.face, priors.skin, params.min_face_pixels)
    hair = sample_hair(lab, figure, frame.face, skin, priors.hair)
    p = frame.points
    s = frame.scale
    torso = region_colour(lab, figure, [_torso_polygon(p)], "torso", priors.torso)
    legs = region_colour(lab, figure, _legs_polygons(p, s), "legs", priors.legs)

    index = np.flatnonzero(figure.ravel())
    ys, xs = np.divmod(index, w)
    px, py = xs.astype(np.float32), ys.astype(np.float32)
    pix = lab.reshape(-1, 3)[index]
    smooth = cv2.GaussianBlur(lab, (0, 0), max(s * 0.03, 0.8)).reshape(-1, 3)[index]
    wide = _blur(lab, max(s * 0.12, 2.0)).reshape(-1, 3)[index]
    grey = np.ascontiguousarray(lab[..., 0])
    mean = cv2.blur(grey, (5, 5))
    texture = np.sqrt(np.maximum(cv2.blur(grey * grey, (5, 5)) - mean * mean, 0)).ravel()[index]
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    # (not cv2.magnitude: its SIMD and scalar paths differ in the last bit, by the
    # buffer's alignment, which would make training irreproducible)
    edge = cv2.GaussianBlur(np.sqrt(gx * gx + gy * gy), (0, 0), 1.5).ravel()[index]

    cols = [pix[:, 0], pix[:, 1], pix[:, 2], smooth[:, 0], smooth[:, 1], smooth[:, 2],
            wide[:, 0], wide[:, 1], wide[:, 2], np.hypot(pix[:, 1], pix[:, 2]),
            texture, edge / 10,
            np.minimum(_mahalanobis(pix, skin), 30), pix[:, 0] - skin.mean[0],
            pix[:, 1] - skin.mean[1], pix[:, 2] - skin.mean[2],
            np.minimum(_mahalanobis(smooth, skin), 30),
            _lab_distance(smooth, hair.mean), _lab_distance(smooth, torso.mean),
            _lab_distance(smooth, legs.mean)]

    nose = p[_NOSE]
    ankles = p[[_L_ANKLE, _R_ANKLE]].mean(axis=0)
    hips = p[[_L_HIP, _R_HIP]].mean(axis=0)
    shoulders = p[[_L_SHOULDER, _R_SHOULDER]].mean(axis=0)
    span = max(float(ankles[1] - nose[1]), 2 * s)
    cols.append((py - nose[1]) / span)
    cols.append(np.abs(px - hips[0]) / s)
    if frame.face is not None:
        fx0, fy0, fx1, fy1 = frame.face
        head = ((fx0 + fx1) / 2, (fy0 + fy1) / 2)
    else:
        head = (float(nose[0]), float(nose[1]))
    cols.append(np.minimum(np.hypot(px - head[0], py - head[1]) / s, 5))
    for pairs in BODY_SEGMENTS.values():
        d = np.minimum(*(_segment_distance(px, py, p[a], p[b]) for a, b in pairs))
        cols.append(np.minimum(d / s, 3))
    cols.append(np.minimum(_segment_distance(px, py, shoulders, hips) / s, 3))
    inside = cv2.distanceTransform(figure.astype(np.uint8), cv2.DIST_L2, 3)
    cols.append(np.minimum(inside.ravel()[index] / s, 1))
    cols.append(np.full(len(index), float(frame.from_pose), np.float32))
    cols.append(np.full(len(index), float(skin.source == "face"), np.float32))

    features = np.stack([np.asarray(c, np.float32) for c in cols], axis=1)
    return FeatureSet(features=features, index=index, shape=(h, w), frame=frame, skin=skin,
                      hair=hair)


def _scatter(fs: FeatureSet, values: np.ndarray) -> np.ndarray:
    h, w = fs.shape
    out = np.zeros((h * w, values.shape[1]), np.float32)
    out[fs.index] = values
    return out.reshape(h, w, values.shape[1])


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; large sigmas on a quarter-size copy (same result to the eye, 10x
    faster)."""
    if sigma <= 6:
        return cv2.GaussianBlur(x, (0, 0), sigma)
    h, w = x.shape[:2]
    f = 4
    small = cv2.resize(x, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).reshape(x.shape)


def _lab_distance(lab: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Lab distance with lightness weighted by half (shading changes L most)."""
    d = lab - colour
    return np.sqrt(0.25 * d[:, 0] ** 2 + d[:, 1] ** 2 + d[:, 2] ** 2)


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
        """Class probabilities ``(N, C)`` of features ``(N, F)``."""
        z = (np.asarray(x, np.float32) - self.mean) / self.scale
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = z @ w + b
            if k < len(self.weights) - 1:
                np.maximum(z, 0, out=z)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

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
        Working size (long side, pixels) the model was trained at.
    info : dict
        How it was trained (data, parameters), for the record.
    """

    net: MLP
    priors: GarmentPriors
    work_side: int = 416
    info: dict = field(default_factory=dict)

    def predict(self, fs: FeatureSet) -> np.ndarray:
        """Probabilities ``(N, 3)`` of the figure pixels of ``fs``."""
        return self.net.predict_proba(fs.features)

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
    path = resources.files("runwaycut").joinpath("data", SHIPPED_MODEL)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the shipped garment model ({exc}); "
                         "reinstall runwaycut") from None
    return GarmentModel.from_json(text, str(path))


# --- the label map ---------------------------------------------------------------------------

def probability_maps(fs: FeatureSet, proba: np.ndarray, smooth: float) -> np.ndarray:
    """Class probabilities of the figure pixels as ``(h, w, 3)`` maps, smoothed inside
    the figure (normalised convolution: background pixels do not dilute them).

    The maps add up to 1 at every pixel: the smoothing carries the figure's
    probabilities a few pixels past its outline, and further out (where no figure pixel
    reaches) they are garment's (the class of most figure pixels).

    Parameters
    ----------
    fs : FeatureSet
    proba : (N, 3) float32 array
    smooth : float
        Gaussian standard deviation in working pixels (0: none).

    Returns
    -------
    maps : (h, w, 3) float32 array
    """
    maps = _scatter(fs, proba)
    inside = _scatter(fs, np.ones((len(fs.index), 1), np.float32))[..., 0]
    if smooth > 0:
        blur = cv2.GaussianBlur(maps, (0, 0), smooth)
        norm = cv2.GaussianBlur(inside, (0, 0), smooth)
        # Divided by the figure's weight: not diluted at the outline, and carried a few
        # pixels past it (figure pixels of the full-size mask that the working one lacks).
        reached = norm > 1e-3
        maps = np.where(reached[..., None], blur / np.maximum(norm, 1e-3)[..., None], 0)
        inside = reached.astype(np.float32)
    maps[..., FIGURE_CLASSES.index(GARMENT)] += 1 - inside
    return maps.astype(np.float32)


def figure_regions(image: np.ndarray, index: np.ndarray, shape: tuple[int, int],
                   params: GarmentParams = GarmentParams()) -> np.ndarray:
    """Regions of like colour over the figure: Felzenszwalb-Huttenlocher graph
    segmentation of the figure's bounding box.

    Parameters
    ----------
    image : (h, w, 3) uint8 array
        The working-size photo.
    index : (N,) int array
        Flat indices of the figure pixels.
    shape : (h, w)
    params : GarmentParams
        ``regions`` (the segmentation's scale), ``region_sigma``, ``region_min_size``.

    Returns
    -------
    region : (N,) int64 array
        Region number ``0 .. R-1`` of each figure pixel.

    References
    ----------
    P. Felzenszwalb, D. Huttenlocher, "Efficient Graph-Based Image Segmentation",
    IJCV 59(2), 2004.
    """
    from skimage.segmentation import felzenszwalb

    if len(index) == 0:
        return np.zeros(0, np.int64)
    ys, xs = np.divmod(np.asarray(index), shape[1])
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    seg = felzenszwalb(image[y0:y1, x0:x1], scale=params.regions, sigma=params.region_sigma,
                       min_size=params.region_min_size)
    return np.unique(seg[ys - y0, xs - x0], return_inverse=True)[1].astype(np.int64).ravel()


def region_mean(region: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row replaced by the mean of its region's rows (``(N, C)`` float32)."""
    count = np.bincount(region).astype(np.float64)
    sums = np.stack([np.bincount(region, weights=values[:, c], minlength=len(count))
                     for c in range(values.shape[1])], axis=1)
    return (sums / np.maximum(count, 1)[:, None])[region].astype(np.float32)


def to_photo_size(small: np.ndarray, maps: np.ndarray, image: np.ndarray,
                  params: GarmentParams = GarmentParams()) -> np.ndarray:
    """Class probability maps brought to the photo's size along its edges.

    A guided filter steered by the photo (:func:`runwaycut.matting.guided_upsample`)
    when ``params.guided_radius > 0``; bilinear resizing otherwise.

    Parameters
    ----------
    small : (h, w, 3) uint8 array
        The working-size photo.
    maps : (h, w, C) float32 array
    image : (H, W, 3) uint8 array
        The photo.

    Returns
    -------
    maps : (H, W, C) float32 array
    """
    from .matting import guided_upsample

    H, W = image.shape[:2]
    if params.guided_radius > 0:
        # The filter is linear and keeps constants, so maps that add up to 1 everywhere
        # (see probability_maps) still do: the last is what the others leave.
        out = np.empty((H, W, maps.shape[2]), np.float32)
        for c in range(maps.shape[2] - 1):
            out[..., c] = guided_upsample(small, np.ascontiguousarray(maps[..., c]), image,
                                          params.guided_radius, params.guided_eps)
        out[..., -1] = 1.0
        for c in range(maps.shape[2] - 1):
            out[..., -1] -= out[..., c]
        return out
    if maps.shape[:2] == (H, W):
        return maps
    return cv2.resize(maps, (W, H), interpolation=cv2.INTER_LINEAR).reshape(H, W, -1)


def label_map(maps: np.ndarray, figure: np.ndarray) -> np.ndarray:
    """Four-class labels from probability maps of the photo's size.

    Parameters
    ----------
    maps : (H, W, 3) float32 array
        Garment, skin+hair and accessory probabilities (see :func:`to_photo_size`).
    figure : (H, W) bool array
        The figure mask.

    Returns
    -------
    labels : (H, W) uint8 array
        :data:`BACKGROUND` outside the figure, the likeliest class inside it.
    """
    if maps.shape[:2] != figure.shape:
        raise ValueError(f"maps of shape {maps.shape[:2]} do not match the figure "
                         f"{figure.shape}")
    first, second, third = (maps[..., c] for c in range(3))
    # argmax over the three maps (ties to the first), without a strided reduction.
    choice = np.where(first >= np.maximum(second, third), np.uint8(FIGURE_CLASSES[0]),
                      np.where(second >= third, np.uint8(FIGURE_CLASSES[1]),
                               np.uint8(FIGURE_CLASSES[2])))
    return np.where(figure, choice, np.uint8(BACKGROUND))


# --- the pipeline ----------------------------------------------------------------------------

#: ``landmarks`` value asking :func:`label_garment` to run the person models itself.
DETECT = "detect"


@lru_cache(maxsize=1)
def _default_segmenter():
    from .person import PersonSegmenter

    return PersonSegmenter()


def detect_pose(image: np.ndarray, segmenter=None) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Pose landmarks of the photo's central person, in the photo's pixels.

    Runs :class:`runwaycut.person.PersonSegmenter` at the person backends' working size
    (see :mod:`runwaycut.methods.person`), as ``--method person`` and ``auto`` do.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    segmenter : PersonSegmenter, optional
        Loaded models to reuse; a process-wide one by default.

    Returns
    -------
    landmarks : (39, 5) float32 array or None
        ``x, y, z, visibility, presence`` per landmark; ``None`` when no pose was found.
    warnings : tuple of str
    """
    from .methods.person import MAX_SIDE, working_image

    segmenter = _default_segmenter() if segmenter is None else segmenter
    work = working_image(image, MAX_SIDE)
    est = segmenter.estimate(work)
    if est.pose is None:
        return None, tuple(est.warnings)
    landmarks = est.pose.landmarks.copy()
    landmarks[:, :3] *= image.shape[0] / work.shape[0]
    return landmarks, tuple(est.warnings)


def label_garment(image: np.ndarray, figure: np.ndarray, *,
                  landmarks: np.ndarray | None | str = DETECT,
                  model: GarmentModel | None = None,
                  params: GarmentParams = GarmentParams(), segmenter=None) -> GarmentResult:
    """Four-class label map of a photo from its figure mask.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    figure : (H, W) bool array
        The figure mask (any backend of :data:`runwaycut.methods.METHODS`, or labels).
    landmarks : (>=33, 5) float array, None or 'detect'
        Pose landmarks in the photo's pixels (``details["landmarks"]`` of the person
        and auto backends); ``None`` when no pose is known (the mean pose stands in);
        ``'detect'`` (default) runs the person models (:func:`detect_pose`).
    model : GarmentModel, optional
        The classifier; the shipped one (:func:`load_garment_model`) by default.
    params : GarmentParams
    segmenter : PersonSegmenter, optional
        For ``landmarks='detect'``.

    Returns
    -------
    result : GarmentResult
        ``labels`` is :data:`BACKGROUND` exactly outside ``figure``.

    Raises
    ------
    InvalidImageError
        For an image that is not ``(H, W, 3) uint8`` or a mask of another size.
    ModelError
        When the shipped model cannot be read.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidImageError(f"expected an (H, W, 3) uint8 image, got shape {image.shape} "
                                f"and dtype {image.dtype}")
    figure = np.asarray(figure, bool)
    if figure.shape != image.shape[:2]:
        raise InvalidImageError(f"figure mask of shape {figure.shape} does not match the "
                                f"image {image.shape[:2]}")
    model = load_garment_model() if model is None else model
    warnings: list[str] = []
    if isinstance(landmarks, str):
        if landmarks != DETECT:
            raise ValueError(f"landmarks must be an array, None or {DETECT!r}, got {landmarks!r}")
        landmarks, found = detect_pose(image, segmenter)
        warnings.extend(found)
    elif landmarks is not None:
        landmarks = np.asarray(landmarks, np.float32)
        if landmarks.ndim != 2 or landmarks.shape[0] < _N_BODY or landmarks.shape[1] < 4:
            raise ValueError(f"landmarks must be a (>= {_N_BODY}, >= 4) array, got shape "
                             f"{landmarks.shape}")
    scale = work_scale(image.shape, model.work_side)
    small, fig = to_work(image, figure, scale)
    work_landmarks = None
    if landmarks is not None:
        work_landmarks = landmarks.copy()
        work_landmarks[:, :3] *= scale
    fs = pixel_features(small, fig, work_landmarks, model.priors, params)
    if not fs.frame.from_pose:
        warnings.append("no pose: body parts placed by the mean pose over the figure's box")
    if fs.skin.source != "face":
        warnings.append("no face found: skin colour from the training photos' mean")
    if len(fs.index) == 0:
        # Nothing of the figure survives the working size: call what there is garment.
        labels = np.where(figure, np.uint8(GARMENT), np.uint8(BACKGROUND))
        maps = np.zeros(fig.shape + (len(FIGURE_CLASSES),), np.float32)
        if figure.any():
            warnings.append("figure too small to classify: all of it called garment")
    else:
        proba = model.predict(fs)
        if params.regions > 0:
            proba = region_mean(figure_regions(small, fs.index, fs.shape, params), proba)
        maps = probability_maps(fs, proba, params.smooth)
        labels = label_map(to_photo_size(small, maps, image, params), figure)
    return GarmentResult(labels=labels, probabilities=maps, frame=fs.frame, skin=fs.skin,
                         hair=fs.hair, scale=scale, warnings=tuple(dict.fromkeys(warnings)))


def label_figure_result(image: np.ndarray, result, *, model: GarmentModel | None = None,
                        params: GarmentParams = GarmentParams(), segmenter=None) -> GarmentResult:
    """:func:`label_garment` on a backend's :class:`~runwaycut.methods.FigureResult`,
    reusing the pose the person and auto backends already found."""
    details = getattr(result, "details", {}) or {}
    landmarks = details.get("landmarks", DETECT) if "person_found" in details else DETECT
    return label_garment(image, result.mask, landmarks=landmarks, model=model, params=params,
                         segmenter=segmenter)


# --- outputs ---------------------------------------------------------------------------------

def labels_rgb(labels: np.ndarray) -> np.ndarray:
    """The label map in the colours of :data:`LABEL_PALETTE` (``(H, W, 3) uint8``)."""
    labels = np.asarray(labels)
    if labels.size and labels.max() >= len(LABEL_PALETTE):
        raise ValueError(f"label map holds class {int(labels.max())}; classes are "
                         f"0..{len(LABEL_PALETTE) - 1} ({', '.join(CLASS_NAMES)})")
    return LABEL_PALETTE[labels]


def labels_png(labels: np.ndarray) -> bytes:
    """The label map as an indexed (palette) PNG: pixel value = class index, palette
    :data:`LABEL_PALETTE`; read back with Pillow, ``np.asarray(Image.open(f))`` gives
    the class indices and ``.convert('RGB')`` the colours.

    Parameters
    ----------
    labels : (H, W) uint8 array
        Class indices 0..3.

    Returns
    -------
    png : bytes
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a label map is 2-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(LABEL_PALETTE)):
        raise ValueError(f"label map holds class {int(labels.max())}; classes are "
                         f"0..{len(LABEL_PALETTE) - 1} ({', '.join(CLASS_NAMES)})")
    pil = Image.fromarray(labels.astype(np.uint8), mode="P")
    pil.putpalette(LABEL_PALETTE.ravel().tolist())
    buf = io.BytesIO()
    pil.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def garment_cutout(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """RGBA cutout of the garment alone: the photo's colours, opaque exactly where the
    label map says garment, fully transparent (and black) elsewhere.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    labels : (H, W) uint8 array

    Returns
    -------
    rgba : (H, W, 4) uint8 array
    """
    image = np.asarray(image)
    garment = np.asarray(labels) == GARMENT
    if garment.shape != image.shape[:2]:
        raise InvalidImageError(f"label map of shape {garment.shape} does not match the "
                                f"image {image.shape[:2]}")
    out = np.zeros(image.shape[:2] + (4,), np.uint8)
    out[garment, :3] = image[garment]
    out[garment, 3] = 255
    return out


# --- a backend that also isolates the garment -----------------------------------------------

#: Output file suffixes of ``--target garment``, per photo stem.
GARMENT_SUFFIXES = {"labels": ".labels.png", "garment": ".garment.png", "colors": ".colors.json"}


@dataclass
class GarmentMethod:
    """A figure backend followed by garment isolation (``--target garment``).

    ``predict`` returns the figure backend's :class:`~runwaycut.methods.FigureResult`
    unchanged (its ``mask`` is still the figure) with ``details["garment"]``, the
    :class:`GarmentResult`, and ``details["colors"]``, the garment's dominant colours
    (:func:`runwaycut.colors.garment_colors`). :func:`garment_blobs` encodes them.

    Parameters
    ----------
    figure : FigureMethod
        Any backend of :data:`runwaycut.methods.METHODS`.
    params : GarmentParams
    colors : ColorParams
    model_file : path, optional
        A garment model (:meth:`GarmentModel.load`) instead of the shipped one.
    """

    figure: Any
    params: GarmentParams = field(default_factory=GarmentParams)
    colors: ColorParams = field(default_factory=ColorParams)
    model_file: str | None = None
    model_digest: str = field(default="", init=False)

    def __post_init__(self):
        model = self.model()  # fail early on a bad model file
        self.model_digest = hashlib.sha1(model.net.mean.tobytes()
                                         + model.net.weights[0].tobytes()).hexdigest()[:12]

    @property
    def name(self) -> str:
        return self.figure.name

    def model(self) -> GarmentModel:
        """The garment model: the file given, or the shipped one."""
        if self.model_file is None:
            return load_garment_model()
        return _load_model_file(str(self.model_file))

    def predict(self, image: np.ndarray):
        result = self.figure.predict(image)
        garment = label_figure_result(image, result, model=self.model(), params=self.params)
        colours = garment_colors(image, garment.garment, self.colors)
        details = dict(result.details)
        details["garment"] = garment
        details["colors"] = colours
        details["warnings"] = list(dict.fromkeys(
            list(details.get("warnings", [])) + list(garment.warnings)))
        return replace(result, details=details)


@lru_cache(maxsize=8)
def _load_model_file(path: str) -> GarmentModel:
    return GarmentModel.load(path)


def garment_blobs(image: np.ndarray, result) -> dict[str, bytes]:
    """The garment's files for one photo, encoded: ``{suffix: bytes}``.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    result : FigureResult
        From :meth:`GarmentMethod.predict` (``details["garment"]`` and
        ``details["colors"]``).

    Returns
    -------
    blobs : dict of str to bytes
        ``.labels.png`` (:func:`labels_png`), ``.garment.png`` (RGBA,
        :func:`garment_cutout`) and ``.colors.json`` (:func:`runwaycut.colors.colors_json`).
    """
    from .io import encode_png

    garment: GarmentResult = result.details["garment"]
    colours = result.details["colors"]
    shares = {k: round(v, 6) for k, v in garment.shares().items()}
    extra = {"class_shares": shares, "skin_source": garment.skin.source,
             "pose": garment.frame.from_pose, "warnings": list(garment.warnings)}
    return {GARMENT_SUFFIXES["labels"]: labels_png(garment.labels),
            GARMENT_SUFFIXES["garment"]: encode_png(garment_cutout(image, garment.labels)),
            GARMENT_SUFFIXES["colors"]: colors_json(
                colours, garment_pixels=int(np.count_nonzero(garment.garment)), extra=extra)}


__all__ = ["ACCESSORY", "BACKGROUND", "BodyFrame", "ColourModel", "DETECT",
           "FEATURE_NAMES", "FIGURE_CLASSES", "FeatureSet", "GARMENT", "GARMENT_SUFFIXES",
           "GarmentMethod", "GarmentModel", "GarmentParams", "GarmentPriors", "GarmentResult",
           "LABEL_PALETTE", "MLP", "SKIN_HAIR", "detect_pose", "figure_regions", "garment_blobs",
           "garment_cutout", "label_figure_result",
           "label_garment", "label_map", "labels_png", "labels_rgb", "load_garment_model",
           "pixel_features", "probability_maps", "to_work", "work_scale"]
