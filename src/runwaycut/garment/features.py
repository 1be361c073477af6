"""Per-pixel features of the figure at working size: colour, texture, skin distance
and pose-relative geometry.
"""

from __future__ import annotations



from dataclasses import dataclass

import cv2
import numpy as np

from ..person.band import bounding_box, shrink_whole
from .colors import rgb_to_lab
from .body import _legs_polygons, _mahalanobis, _segment_distance, _torso_polygon, body_frame, region_colour, sample_hair, sample_skin
from .types import BODY_SEGMENTS, BodyFrame, ColourModel, GarmentParams, _L_ANKLE, _L_HIP, _L_SHOULDER, _NOSE, _R_ANKLE, _R_HIP, _R_SHOULDER



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
    features : (N, F) or (M, F) float32 array
        One row per figure pixel, or per pixel of ``rows`` when set; columns
        :data:`FEATURE_NAMES`.
    index : (N,) int64 array
        Flat index of each figure pixel in the ``(h, w)`` working image.
    shape : (h, w)
    frame : BodyFrame
    skin, hair : ColourModel
    rows : (N,) bool array or None
        The figure pixels ``features`` describes (None: all of them).
    """

    features: np.ndarray
    index: np.ndarray
    shape: tuple[int, int]
    frame: BodyFrame
    skin: ColourModel
    hair: ColourModel
    rows: np.ndarray | None = None


#: How far (a share of the working side) a photo's long side shrunk by a whole factor may
#: land from the working side and still be taken (:func:`work_scale`). At 2% and at 5%
#: the item map and the four-class map scored the same on the 90 photos
#: ``benchmarks/bench_items.py`` scores (mean item IoU 0.519, accessory IoU 0.507, garment
#: F1 0.937); 5% takes in every CCP photo (804 to 872 rows), 2% 86% of them.
WHOLE_FACTOR_TOLERANCE = 0.05


def work_scale(shape: tuple[int, ...], work_side: int) -> float:
    """Factor from photo pixels to working pixels (never above 1).

    ``work_side / long side``, or ``1 / k`` for a whole ``k`` when that brings the long
    side within :data:`WHOLE_FACTOR_TOLERANCE` of ``work_side`` (791 to 873 rows for
    416): :func:`to_work` then averages whole ``k x k`` blocks, OpenCV's fast area path
    (0.6 against 4 to 7 ms for a 550x825 photo and its mask, on one core), where a
    fractional factor takes the generic one.

    Examples
    --------
    >>> work_scale((825, 550, 3), 416), work_scale((600, 400), 416), work_scale((300, 200), 416)
    (0.5, 0.6933333333333334, 1.0)
    """
    long = max(shape[:2])
    if long <= work_side:
        return 1.0
    k = round(long / work_side)
    if k >= 2 and abs(long / k - work_side) <= WHOLE_FACTOR_TOLERANCE * work_side:
        return 1.0 / k
    return work_side / long


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
        Area-averaged: ``h, w = round(H * scale), round(W * scale)``, or for a whole
        factor ``k = 1 / scale``, ``ceil(H / k), ceil(W / k)`` (:func:`shrink_whole`).
    figure : (h, w) bool array
        The working pixels at least half covered by the mask.
    """
    h, w = image.shape[:2]
    figure = np.asarray(figure, bool)
    if scale >= 1.0:
        return image, figure
    mask = figure.view(np.uint8) * np.uint8(255)
    k = round(1 / scale)
    if abs(k * scale - 1) < 1e-12:
        return shrink_whole(image, k), shrink_whole(mask, k) >= 128
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    fig = cv2.resize(mask, size, interpolation=cv2.INTER_AREA) >= 128
    return small, fig


def pixel_features(image: np.ndarray, figure: np.ndarray, landmarks: np.ndarray | None,
                   priors: GarmentPriors, params: GarmentParams = GarmentParams(),
                   rows: np.ndarray | None = None) -> FeatureSet:
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
    rows : (N,) bool array, optional
        Describe only these of the figure's N pixels (in ``np.flatnonzero`` order), as
        the classifier sees them when each region takes its mean
        (:func:`~runwaycut.garment.labelmap.region_rows`): the per-pixel work is that
        share of the whole, and each described pixel's row is what it would be among
        all of them.

    Returns
    -------
    features : FeatureSet

    Notes
    -----
    The local filters (the small Gaussian, the texture's box filters) run over the
    figure's box widened by their reach, not the whole image: their values at the
    figure's pixels are the whole image's (border pixels are never read from inside
    the box).
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

    all_index = np.flatnonzero(figure.ravel())
    index = all_index if rows is None else all_index[rows]
    ys, xs = np.divmod(index, w)
    px, py = xs.astype(np.float32), ys.astype(np.float32)
    pix = lab.reshape(-1, 3)[index]
    sigma = max(s * 0.03, 0.8)
    # The small Gaussian's and the 5x5 box filters' reach (OpenCV's float kernel size).
    box = bounding_box(figure, max((int(round(sigma * 8 + 1)) | 1) // 2, 2) + 1)
    if box is None:
        box = (slice(0, h), slice(0, w))
    at_box = (ys - box[0].start) * (box[1].stop - box[1].start) + (xs - box[1].start)
    lab_box = np.ascontiguousarray(lab[box])
    smooth = cv2.GaussianBlur(lab_box, (0, 0), sigma).reshape(-1, 3)[at_box]
    wide = _blur(lab, max(s * 0.12, 2.0)).reshape(-1, 3)[index]
    grey_box = np.ascontiguousarray(lab_box[..., 0])
    mean = cv2.blur(grey_box, (5, 5))
    texture = np.sqrt(np.maximum(cv2.blur(grey_box * grey_box, (5, 5)) - mean * mean,
                                 0)).ravel()[at_box]
    # (the edge over the whole image: its Sobel differs from a box's in the last bit)
    grey = np.ascontiguousarray(lab[..., 0])
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

    # Stacked as rows and transposed (a (N, F) view in Fortran order): ten times faster
    # than stacking columns, and the classifier's products give the same numbers.
    features = np.stack([np.asarray(c, np.float32) for c in cols], axis=0).T
    return FeatureSet(features=features, index=all_index, shape=(h, w), frame=frame, skin=skin,
                      hair=hair, rows=rows)


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
