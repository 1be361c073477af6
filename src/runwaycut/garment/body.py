"""Where the body is and what colour its skin and hair are: the pose's body frame and
the photo's colour models (skin sampled from the face, as the original did).
"""

from __future__ import annotations




import cv2
import numpy as np
from .types import BodyFrame, ColourModel, _L_HIP, _L_KNEE, _L_SHOULDER, _N_BODY, _R_HIP, _R_KNEE, _R_SHOULDER
from ..person.band import bounding_box
from ..person.segmenter import face_square




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
    columns = [np.ascontiguousarray(d[:, i]) for i in range(3)]
    # d_n^T inv d_n term by term, in einsum("ni,ij,nj->n")'s order (the same float32
    # sums), over contiguous columns: seven times faster than einsum's generic loop.
    total = np.zeros(len(d), np.float32)
    for i in range(3):
        for j in range(3):
            total += columns[i] * inv[i, j] * columns[j]
    return np.sqrt(np.maximum(total, 0))


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
    box = bounding_box(np.asarray(figure, bool))
    if box is None:
        box = (slice(0, figure.shape[0]), slice(0, figure.shape[1]))
    (y0, y1), (x0, x1) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    height = float(max(y1 - y0, 1))
    face = None
    if landmarks is not None:
        points = np.asarray(landmarks, np.float32)[:_N_BODY, :2].copy()
        face = face_square(np.asarray(landmarks, np.float32))
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
    pts = [np.clip(np.round(p), -1e6, 1e6).astype(np.int32) for p in polygons]
    # Drawn over the polygons' box only (clipped to the image), shifted to its corner.
    x0, y0, bw, bh = cv2.boundingRect(np.concatenate(pts).reshape(-1, 1, 2))
    x1, y1 = min(x0 + bw, w), min(y0 + bh, h)
    x0, y0 = max(x0, 0), max(y0, 0)
    if x1 <= x0 or y1 <= y0:
        return default
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, pts, 1, offset=(-int(x0), -int(y0)))
    pixels = lab[y0:y1, x0:x1][(mask > 0) & figure[y0:y1, x0:x1]]
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
