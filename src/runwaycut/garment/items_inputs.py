"""The item network's input: the photo, the figure probability and the pose, in the
figure's frame.

The network sees a fixed ``INPUT_SHAPE`` window (rows, columns) placed around the figure:
:func:`crop_transform` maps photo pixels into it (scale and translation only), and
:func:`item_inputs` fills its channels. Training (``garment/items_training.py``) calls
the same functions on its cached photos, so that the network sees at run time exactly
what it was trained on.

Channels (:data:`CHANNEL_NAMES`):

* ``r, g, b``: the photo, ``value / 255 - 0.5``;
* ``figure``: the figure probability (or mask) in [0, 1];
* one channel per body part (:data:`PART_SEGMENTS`): ``exp(-d^2 / 2 sigma^2)`` of each
  pixel's distance ``d`` to the part's landmark segment, ``sigma`` a fixed share of the
  window's height. All zero without a pose.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..person.band import shrink_whole

#: The network's window, (rows, columns): about a full-length figure's proportions.
INPUT_SHAPE = (128, 88)

#: Share of the window's height around the figure's box (each side).
MARGIN = 0.06

#: BlazePose landmark indices (see :data:`runwaycut.person.segmenter.LANDMARK_NAMES`).
_NOSE, _L_EAR, _R_EAR = 0, 7, 8
_LS, _RS, _LE, _RE, _LW, _RW, _LI, _RI = 11, 12, 13, 14, 15, 16, 19, 20
_LH, _RH, _LK, _RK, _LA, _RA, _LF, _RF = 23, 24, 25, 26, 27, 28, 31, 32

#: Body parts as landmark segments; ``(a, a)`` is a point. The person's left and right
#: parts are distinct channels (a mirrored photo swaps them: :data:`MIRROR_LANDMARKS`).
PART_SEGMENTS = {
    "head": (_L_EAR, _R_EAR), "neck": (_NOSE, -1),
    "shoulders": (_LS, _RS), "hips": (_LH, _RH),
    "left_upper_arm": (_LS, _LE), "right_upper_arm": (_RS, _RE),
    "left_forearm": (_LE, _LW), "right_forearm": (_RE, _RW),
    "left_hand": (_LW, _LI), "right_hand": (_RW, _RI),
    "left_thigh": (_LH, _LK), "right_thigh": (_RH, _RK),
    "left_shin": (_LK, _LA), "right_shin": (_RK, _RA),
    "left_foot": (_LA, _LF), "right_foot": (_RA, _RF),
}
#: ``-1`` in :data:`PART_SEGMENTS` stands for the shoulders' midpoint.
_SHOULDER_MID = -1

CHANNEL_NAMES = ("r", "g", "b", "figure", *PART_SEGMENTS)

#: Width of the part channels, as a share of the window's height.
PART_SIGMA = 0.03

#: Landmark order of a mirrored photo: each left landmark becomes the right one.
MIRROR_LANDMARKS = np.array([0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17,
                             20, 19, 22, 21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31])


def figure_box(figure: np.ndarray, threshold: float = 0.5) -> tuple[int, int, int, int] | None:
    """Bounding box ``(x0, y0, x1, y1)`` (inclusive) of ``figure > threshold``; ``None``
    when empty."""
    fig = np.asarray(figure)
    fig = fig if fig.dtype == bool else fig > threshold
    rows = np.flatnonzero(fig.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(fig.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])


def crop_transform(box: tuple[float, float, float, float] | None, image_shape: tuple[int, int],
                   shape: tuple[int, int] = INPUT_SHAPE, margin: float = MARGIN,
                   zoom: float = 1.0, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Affine map from photo pixels to the network's window around a figure.

    The box is fitted into the window (keeping its proportions, centred), with
    ``margin`` of the window's height left on each side.

    Parameters
    ----------
    box : (x0, y0, x1, y1) or None
        The figure's box (inclusive pixels); ``None``: the whole photo.
    image_shape : (H, W)
    shape : (rows, cols)
        The window.
    margin : float
    zoom : float
        Extra magnification (training augmentation; 1 at run time).
    shift : (dx, dy)
        Extra translation in window pixels (training augmentation).

    Returns
    -------
    affine : (2, 3) float64 array
        ``[x', y'] = affine @ [x, y, 1]``, pixel centres to pixel centres.
    """
    H, W = image_shape
    if box is None:
        box = (0, 0, W - 1, H - 1)
    x0, y0, x1, y1 = (float(v) for v in box)
    rows, cols = shape
    inner_h, inner_w = rows * (1 - 2 * margin), cols - 2 * margin * rows
    s = min(inner_h / max(y1 - y0 + 1, 1.0), inner_w / max(x1 - x0 + 1, 1.0)) * zoom
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return np.array([[s, 0, (cols - 1) / 2 - s * cx + shift[0]],
                     [0, s, (rows - 1) / 2 - s * cy + shift[1]]], np.float64)


def warp(array: np.ndarray, affine: np.ndarray, shape: tuple[int, int] = INPUT_SHAPE,
         nearest: bool = False, border: float = 0) -> np.ndarray:
    """``array`` resampled into the window by ``affine`` (scale + translation).

    A large reduction first shrinks by area, by a whole factor (:func:`shrink_whole`), so
    that the window's pixels average the photo's rather than skip them.

    Parameters
    ----------
    array : (H, W) or (H, W, C) array
    affine : (2, 3) array
    shape : (rows, cols)
    nearest : bool
        Nearest-neighbour (labels) instead of bilinear.
    border : float
        Value outside the photo.

    Returns
    -------
    out : (rows, cols) or (rows, cols, C) array, of ``array``'s dtype
    """
    affine = np.asarray(affine, np.float64).copy()
    s = affine[0, 0]
    if not nearest and s < 0.5:
        # Shrunk k times (a whole number): the bilinear step then reduces by 2 at most.
        k = int(np.ceil(0.5 / s))
        array = shrink_whole(array, k)
        affine = affine @ np.array([[k, 0, 0.5 * k - 0.5], [0, k, 0.5 * k - 0.5], [0, 0, 1]])
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    bv = (border,) * 4
    return cv2.warpAffine(array, affine, (shape[1], shape[0]), flags=flags,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=bv)


def part_maps(points: np.ndarray | None, shape: tuple[int, int] = INPUT_SHAPE,
              sigma: float = PART_SIGMA) -> np.ndarray:
    """One channel per body part: closeness of each pixel to the part's segment.

    Parameters
    ----------
    points : (>=33, 2) float array or None
        Landmark ``x, y`` in window pixels; ``None``: no pose (all zero).
    shape : (rows, cols)
    sigma : float
        Gaussian width, as a share of the window's height.

    Returns
    -------
    maps : (len(PART_SEGMENTS), rows, cols) float32 array in [0, 1]
    """
    rows, cols = shape
    out = np.zeros((len(PART_SEGMENTS), rows, cols), np.float32)
    if points is None:
        return out
    pts = np.asarray(points, np.float64)[:, :2]
    mid = (pts[_LS] + pts[_RS]) / 2
    # Pixel coordinates as a column and a row, broadcast by each map's arithmetic, all
    # in float32 (within 2e-7 of float64 over full grids, in under half the time).
    ys = np.arange(rows, dtype=np.float32)[:, None]
    xs = np.arange(cols, dtype=np.float32)[None, :]
    inv = np.float32(-0.5 / (sigma * rows) ** 2)
    # Each map only where it can matter: farther than PART_REACH widths from its
    # segment it is under exp(-32), 1e-14, which the 8-bit network reads as 0.
    reach = PART_REACH * sigma * rows
    for k, (a, b) in enumerate(PART_SEGMENTS.values()):
        p = pts[a]
        q = mid if b == _SHOULDER_MID else pts[b]
        y0 = max(0, int(np.floor(min(p[1], q[1]) - reach)))
        y1 = min(rows, int(np.ceil(max(p[1], q[1]) + reach)) + 1)
        x0 = max(0, int(np.floor(min(p[0], q[0]) - reach)))
        x1 = min(cols, int(np.ceil(max(p[0], q[0]) + reach)) + 1)
        if y0 >= y1 or x0 >= x1:
            continue
        # Offsets from p along x (a row) and y (a column); t: the nearest point of the
        # segment, as a share of its length.
        dx = xs[:, x0:x1] - np.float32(p[0])
        dy = ys[y0:y1] - np.float32(p[1])
        d = q - p
        length2 = float(d @ d)
        if length2 > 1e-9:
            ux, uy = np.float32(d[0]), np.float32(d[1])
            t = dx * (ux / np.float32(length2)) + dy * (uy / np.float32(length2))
            np.clip(t, 0, 1, out=t)
            dx = dx - t * ux
            dy = dy - t * uy
        squared = dx * dx + dy * dy
        squared *= inv
        np.exp(squared, out=out[k, y0:y1, x0:x1])
    return out


#: How far from its segment a body-part map is computed, in Gaussian widths.
PART_REACH = 8.0


def item_inputs(image: np.ndarray, figure: np.ndarray, landmarks: np.ndarray | None,
                affine: np.ndarray, shape: tuple[int, int] = INPUT_SHAPE) -> np.ndarray:
    """The network's input tensor for one photo.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    figure : (H, W) float32 array in [0, 1], or bool array
        The figure probability (or mask).
    landmarks : (>=33, >=2) float array or None
        Pose landmarks ``x, y, ...`` in the photo's pixels.
    affine : (2, 3) array
        From :func:`crop_transform`.
    shape : (rows, cols)

    Returns
    -------
    x : (len(CHANNEL_NAMES), rows, cols) float32 array
    """
    rgb = warp(image, affine, shape).astype(np.float32) * np.float32(1 / 255) - np.float32(0.5)
    fig = warp(np.asarray(figure, np.float32), affine, shape)
    points = None
    if landmarks is not None:
        lm = np.asarray(landmarks, np.float64)[:33, :2]
        points = lm @ np.asarray(affine, np.float64)[:, :2].T + np.asarray(affine)[:, 2]
    return np.concatenate([rgb.transpose(2, 0, 1), fig[None], part_maps(points, shape)], axis=0)
