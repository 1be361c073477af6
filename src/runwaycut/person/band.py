"""The band around the person boundary where the fusion classifier decides.

:func:`band_mask` finds it over a whole photo; the fusion features
(:mod:`runwaycut.person.fusion`) find the same band on the figure's box only.
:func:`tiles_near` finds crops around a thin band, for local filters wanted there only
(the matte and its colour pass), and
:func:`widen_to_multiple` sizes crops for OpenCV's fast half- and quarter-size resize.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class BandParams:
    """The uncertain band around the person boundary and the feature windows.

    All lengths are in pixels of a photo whose long side is ``reference_side``; they
    scale with the working image.

    Attributes
    ----------
    threshold : float
        Person probability above which a pixel is figure before refinement.
    radius : float
        Half-width of the band around that boundary.
    confident : float
        Probability margin: figure colours come from ``prob >= 1 - confident``,
        background colours from ``prob <= confident``.
    small : float
        Radius of the window of local colour statistics.
    guided_radius : float
        Radius of the guided filter.
    outer : float
        Reach of the band outside the figure where the selfie model still sees some
        person (held bags, which the pose model leaves out); 0 (the default) keeps the
        band symmetric (a 60 px reach cost 0.0006 F1 in cross-validation on CCP).
    outer_selfie : float
        Selfie probability above which a pixel within ``outer`` joins the band.
    reference_side : int
        Long side at which the lengths above hold (CCP photos: 832).
    band_side : int
        The band's features and classifier run on the working photo shrunk by the
        whole factor that brings its long side nearest this (CCP photos: by 2, to 416),
        and their answer is enlarged back for the edge-following smoothing at the
        working size (:func:`band_factor`); 0: at the working size.
    """

    threshold: float = 0.6
    radius: float = 10.0
    confident: float = 0.1
    small: float = 6.0
    guided_radius: float = 4.0
    outer: float = 0.0
    outer_selfie: float = 0.1
    reference_side: int = 832
    band_side: int = 416


def band_factor(shape: tuple[int, ...], params: BandParams) -> int:
    """The whole factor by which the band's features are computed below a working photo
    of ``shape`` (at least 1).

    Why: the person models see 256 x 256 pixels, so the band's decisions need not be
    taken at every pixel of an 832-row photo; at half size they cost a quarter, and
    the guided smoothing at full size puts the enlarged answer back on the photo's
    edges: 0.47x the fusion's time for a figure F1 0.0003 lower (5-fold over 470 CCP
    photos: 0.9759 against 0.9762; IoU 0.9535 against 0.9541).

    Examples
    --------
    >>> [band_factor((h, 550), BandParams()) for h in (400, 624, 832, 1024, 1300)]
    [1, 2, 2, 2, 3]
    """
    if params.band_side <= 0:
        return 1
    return max(1, round(max(shape[:2]) / params.band_side))


def band_mask(prob: np.ndarray, selfie: np.ndarray | None = None,
              params: BandParams = BandParams()):
    """The band around the boundary of ``prob > threshold``, and the signed distance.

    The band holds the pixels within ``radius`` of the boundary, and the pixels outside
    the figure within ``outer`` of it where ``selfie > outer_selfie``.

    Returns
    -------
    band : (H, W) bool array
    signed : (H, W) float32 array
        Distance to the boundary in reference pixels, positive inside the figure.
    """
    scale = max(prob.shape) / params.reference_side
    return _band_and_distance(prob, selfie, params, scale)


def _band_and_distance(prob, selfie, params: BandParams, scale: float):
    inside = (prob > params.threshold).astype(np.uint8)
    d_in = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
    d_out = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 3)
    signed = (d_in - d_out) / np.float32(scale)
    band = np.abs(signed) <= params.radius
    if selfie is not None and params.outer > params.radius:
        band |= (signed >= -params.outer) & (selfie > params.outer_selfie)
    return band, signed


def band_near_figure(prob, selfie, params: BandParams, scale: float):
    """:func:`band_mask` computed on the figure's box widened by the band's reach only.

    Returns the full-size band, and the signed distance of its pixels (row-major).
    Every band pixel lies within the band's reach of the figure, and its nearest
    boundary pixel too, so the distances there equal those over the whole photo.
    """
    h, w = prob.shape
    box = bounding_box(prob > params.threshold,
                  int(np.ceil(max(params.radius, params.outer) * scale)) + 2)
    band = np.zeros((h, w), bool)
    if box is None:  # no figure: no boundary, no band
        return band, np.zeros(0, np.float32)
    crop_band, signed = _band_and_distance(
        prob[box], None if selfie is None else selfie[box], params, scale)
    band[box] = crop_band
    return band, signed[crop_band]


def bounding_box(mask: np.ndarray, pad: int = 0):
    """Slices of the bounding box of ``mask``'s True (non-zero) pixels widened by ``pad``
    (None if empty).

    A 2-D bool or uint8 mask (a label map too) goes by ``cv2.boundingRect``, one pass
    (0.05 against 0.3 ms for ``any`` along both axes on a 550x834 mask)."""
    mask = np.asarray(mask)
    h, w = mask.shape
    if mask.dtype in (np.bool_, np.uint8) and mask.size:
        x0, y0, bw, bh = cv2.boundingRect(np.ascontiguousarray(mask).view(np.uint8))
        if not bw:
            return None
        y1, x1 = y0 + bh, x0 + bw
    else:
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(mask.any(axis=0))
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return (slice(max(0, y0 - pad), min(h, y1 + pad)), slice(max(0, x0 - pad), min(w, x1 + pad)))


def widen_to_multiple(box, shape: tuple[int, int], multiple: int):
    """``box`` (a pair of slices) widened so that each side is a multiple of ``multiple``
    pixels, at its far end where the image allows, else at its near end.

    Why: ``cv2.resize`` with ``INTER_AREA`` takes a fast path (plain block means) only
    when the size divides exactly; a crop shrunk by 2 or 4 costs 10x more when it does
    not. A side that cannot be widened (the image is too small) is left as it is.

    Parameters
    ----------
    box : (slice, slice)
        Rows and columns, with ``start`` and ``stop`` set.
    shape : (H, W)
        The image's size.
    multiple : int

    Returns
    -------
    box : (slice, slice)

    Examples
    --------
    >>> widen_to_multiple((slice(3, 8), slice(5, 10)), (9, 10), 4)
    (slice(1, 9, None), slice(2, 10, None))
    """
    out = []
    for side, n in zip(box, shape):
        start, stop = side.start, side.stop
        extra = -(stop - start) % multiple
        at_end = min(extra, n - stop)
        out.append(slice(max(0, start - (extra - at_end)), stop + at_end))
    return tuple(out)


def shrink_whole(array: np.ndarray, k: int) -> np.ndarray:
    """Each ``k x k`` block of ``array`` averaged into one pixel (OpenCV's resize).

    The last row and column of blocks are completed by repeating the edge, so that the
    factor is exactly ``k``: OpenCV's area resize takes its fast path only for a whole
    factor (0.85 against 2.8 ms for a 550x834 RGB photo shrunk 4 times, 0.39 against
    1.39 ms in float32, on one core).

    Parameters
    ----------
    array : (H, W) or (H, W, C) array
    k : int
        Factor, at least 1.

    Returns
    -------
    small : (ceil(H / k), ceil(W / k)) or (..., C) array of ``array``'s dtype
        Pixel ``(i, j)`` covers the photo's pixels ``k i .. k i + k - 1`` (rows) and
        ``k j .. k j + k - 1`` (columns).
    """
    if k <= 1:
        return array
    if k == 2:
        return _halve(array)
    h, w = array.shape[:2]
    pad_y, pad_x = -h % k, -w % k
    if pad_y or pad_x:
        array = cv2.copyMakeBorder(array, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    return cv2.resize(array, ((w + pad_x) // k, (h + pad_y) // k), interpolation=cv2.INTER_AREA)


def _halve(array: np.ndarray) -> np.ndarray:
    """:func:`shrink_whole` by 2.

    OpenCV's bilinear resize by exactly 2 reads each output pixel's 2 x 2 block with
    weights of a half: the same block means (bit for bit in uint8, to float rounding
    in float32), 4x faster than its area path in float32 colour. An odd last row or
    column is not padded (a copy of the whole array) but halved on its own: its block,
    completed by repeating the edge, is the mean of the edge's own pair."""
    h, w = array.shape[:2]
    he, we = h - h % 2, w - w % 2
    if (he, we) == (h, w):
        return cv2.resize(array, (w // 2, h // 2), interpolation=cv2.INTER_LINEAR)
    # (H, W, 1) comes out (H, W), as from OpenCV.
    channels = array.shape[2:] if array.ndim == 3 and array.shape[2] > 1 else ()
    array = array.reshape(h, w, *channels)
    out = np.empty(((h + 1) // 2, (w + 1) // 2) + channels, array.dtype)
    if he and we:
        out[:he // 2, :we // 2] = cv2.resize(array[:he, :we], (we // 2, he // 2),
                                             interpolation=cv2.INTER_LINEAR)
    if h % 2:
        out[-1, :we // 2] = _pair_means(array[-1, :we])
    if w % 2:
        out[:he // 2, -1] = _pair_means(array[:he, -1])
    if h % 2 and w % 2:
        out[-1, -1] = array[-1, -1]
    return out


def _pair_means(line: np.ndarray) -> np.ndarray:
    """Means of consecutive pairs along the first axis (of even length), rounded half
    up in integers as OpenCV's block means are."""
    pairs = line.reshape((-1, 2) + line.shape[1:])
    if np.issubdtype(line.dtype, np.integer):
        return ((pairs[:, 0].astype(np.int64) + pairs[:, 1] + 1) // 2).astype(line.dtype)
    return (pairs[:, 0] + pairs[:, 1]) * line.dtype.type(0.5)


def tiles_near(mask: np.ndarray, reach: int, tile: int = 128, gap: int = 32):
    """Crops that together cover every True pixel of ``mask``, each with ``reach``
    pixels of room around its core, for a local filter wanted at those pixels only.

    The band around a figure's outline crosses a wide box in two thin runs a row; a
    filter of the whole box works mostly where no one reads it. Here the rows go in
    tiles of ``tile``, and each tile's columns holding ``mask`` pixels in runs (runs
    closer than ``gap`` columns merged, which bounds the number of crops).

    Parameters
    ----------
    mask : (H, W) bool array
    reach : int
        How far the filter reads around a pixel: each crop holds its core widened by
        ``reach`` (clipped at the image's edges), so that a filter of the crop equals,
        at the core's pixels, the filter of the whole image.
    tile, gap : int

    Returns
    -------
    crops : list of ((slice, slice), (slice, slice))
        ``(core, crop)`` pairs in image coordinates; the cores do not overlap.

    Examples
    --------
    >>> m = np.zeros((4, 100), bool); m[1, [5, 90]] = True
    >>> [(core[1], crop[1]) for core, crop in tiles_near(m, 2)]
    [(slice(5, 6, None), slice(3, 8, None)), (slice(90, 91, None), slice(88, 93, None))]
    """
    h, w = mask.shape
    crops = []
    for t0 in range(0, h, tile):
        t1 = min(h, t0 + tile)
        cols = np.flatnonzero(mask[t0:t1].any(axis=0))
        if cols.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(cols) > gap)
        starts = cols[np.r_[0, breaks + 1]]
        stops = cols[np.r_[breaks, cols.size - 1]] + 1
        rows = slice(max(0, t0 - reach), min(h, t1 + reach))
        for c0, c1 in zip(starts.tolist(), stops.tolist()):
            crops.append(((slice(t0, t1), slice(c0, c1)),
                          (rows, slice(max(0, c0 - reach), min(w, c1 + reach)))))
    return crops


def pixel_coordinates(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero(mask)`` of a 2-D mask, by flat index (a tenth of its time)."""
    return np.divmod(np.flatnonzero(mask), mask.shape[1])


__all__ = ["BandParams", "band_factor", "band_mask", "band_near_figure", "bounding_box",
           "pixel_coordinates", "shrink_whole", "tiles_near", "widen_to_multiple"]
