"""Class probabilities brought from the working size to the photo's pixels along the
photo's own edges, inside the figure only.

:func:`guided_labels` is the last step of the four-class map: a fast guided filter (He
and Sun) steered by the photo carries each class's probability map to the photo's size,
and each figure pixel takes the likeliest class. Two things make it cheap:

* the guide's statistics (window means and the inverse of each window's colour
  covariance) are computed once and serve every class map; only the covariance of the
  guide with each map is per class;
* only the figure's bounding box is computed at the photo's size (outside the figure
  the label is background whatever the maps say), and at working size only the pixels
  that box reads (with the two box filters' margins), so the values inside the box are
  those of the whole-photo filter.

References
----------
K. He, J. Sun, X. Tang, "Guided Image Filtering", IEEE TPAMI 35(6), 2013.
K. He, J. Sun, "Fast Guided Filter", arXiv:1505.00996, 2015.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..person.band import bounding_box
from ..person.matting import guide_inverse, row_strips
from ..person.resample import linear_taps, resize_rows

from .types import BACKGROUND, FIGURE_CLASSES


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    k = 2 * radius + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def guided_coefficients(guide: np.ndarray, maps: np.ndarray, radius: int,
                        eps: float) -> np.ndarray:
    """The guided filter's window-averaged linear coefficients of several maps that
    share one colour guide.

    Parameters
    ----------
    guide : (h, w, 3) float32 array
        Colour guide, values in [0, 1].
    maps : (C, h, w) float32 array
        The maps to filter.
    radius : int
        Window radius.
    eps : float
        Regularisation.

    Returns
    -------
    coef : (C, h, w, 4) float32 array
        Per map, the box-averaged ``a`` (one channel per guide channel) and ``b``: the
        filtered map is ``coef[c, ..., 0] * r + coef[c, ..., 1] * g + coef[c, ..., 2] * b
        + coef[c, ..., 3]`` at the guide's pixels, and the same with the coefficients
        resized at a larger guide's pixels (the fast guided filter).

    Notes
    -----
    The same arithmetic as :func:`runwaycut.person.matting.guided_filter` per map; the
    3x3 covariance of the guide in each window is inverted (by cofactors) once for all
    maps.
    """
    r, g, bl = (np.ascontiguousarray(guide[..., i]) for i in range(3))
    mr, mg, mb = _box(r, radius), _box(g, radius), _box(bl, radius)
    cofactors, det = guide_inverse((r, g, bl), (mr, mg, mb), lambda x: _box(x, radius), eps)
    # Divided by the determinant once here rather than once per map.
    inv_det = np.float32(1) / det
    irr, irg, irb, igg, igb, ibb = (x * inv_det for x in cofactors)
    coef = np.empty((len(maps),) + r.shape + (4,), np.float32)
    for c, p in enumerate(np.asarray(maps, np.float32)):
        mp = _box(p, radius)
        cr = _box(r * p, radius) - mr * mp
        cg = _box(g * p, radius) - mg * mp
        cb = _box(bl * p, radius) - mb * mp
        ar = irr * cr + irg * cg + irb * cb
        ag = irg * cr + igg * cg + igb * cb
        ab = irb * cr + igb * cg + ibb * cb
        coef[c] = _box(cv2.merge([ar, ag, ab, mp - ar * mr - ag * mg - ab * mb]), radius)
    return coef


def whole_factor(small_shape: tuple[int, ...], shape: tuple[int, ...]) -> int | None:
    """The whole factor ``k`` by which a photo of ``shape`` shrinks to ``small_shape`` in
    :func:`~runwaycut.person.band.shrink_whole` (``ceil(H / k), ceil(W / k)``), or None.

    Examples
    --------
    >>> whole_factor((413, 275), (825, 550)), whole_factor((416, 277), (825, 550))
    (2, None)
    """
    (h, w), (H, W) = small_shape[:2], shape[:2]
    k = round(H / h) if h else 0
    if k >= 2 and -(-H // k) == h and -(-W // k) == w:
        return k
    return None


def _enlarged_box(coef: np.ndarray, corner: tuple[int, int], shape: tuple[int, int], k: int,
                  rows: slice, cols: slice) -> np.ndarray:
    """Photo rows ``rows`` and columns ``cols`` of working-size maps enlarged exactly ``k``
    times (``cv2.resize`` to ``k`` times their size, bilinear), from the part of the
    maps held in ``coef``.

    Parameters
    ----------
    coef : (m, n, C) float32 array
        The maps' working rows and columns from ``corner`` on; they must hold every
        working pixel the wanted photo pixels read (the maps' own edges excepted).
    corner : (row, col)
        Where ``coef`` starts in the working maps.
    shape : (h, w)
        The whole working maps' size.
    k : int
    rows, cols : slice
        Photo pixels wanted.

    Returns
    -------
    part : (len(rows), len(cols), C) float32 array
        Equal to the whole maps' enlargement there: OpenCV reads each photo pixel from
        the same two working pixels a side with the same weights, and ``coef``'s cut
        edges are never read (only the maps' own edges, which both clamp alike).
    """
    def reach(span: slice, first: int, held: int, total: int) -> tuple[int, int]:
        taps, _ = linear_taps(total, total * k, span.start, span.stop)
        return max(first, int(taps[0])), min(first + held, int(taps[-1]) + 2)

    r0, c0 = corner
    a0, a1 = reach(rows, r0, coef.shape[0], shape[0])
    b0, b1 = reach(cols, c0, coef.shape[1], shape[1])
    part = coef[a0 - r0:a1 - r0, b0 - c0:b1 - c0]
    big = cv2.resize(np.ascontiguousarray(part), ((b1 - b0) * k, (a1 - a0) * k),
                     interpolation=cv2.INTER_LINEAR).reshape((a1 - a0) * k, (b1 - b0) * k, -1)
    return big[rows.start - k * a0:rows.stop - k * a0, cols.start - k * b0:cols.stop - k * b0]


def guided_labels(small: np.ndarray, maps: np.ndarray, image: np.ndarray,
                  figure: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Four-class labels of the photo's figure pixels from working-size class maps,
    brought to the photo's size by a fast guided filter steered by the photo.

    Parameters
    ----------
    small : (h, w, 3) uint8 array
        The working-size photo.
    maps : (h, w, 3) float32 array
        Garment, skin+hair and accessory probabilities, adding up to 1 at each pixel.
    image : (H, W, 3) uint8 array
        The photo.
    figure : (H, W) bool array
    radius : int
        Window radius of the filter, in working pixels (> 0).
    eps : float
        Its regularisation.

    Returns
    -------
    labels : (H, W) uint8 array
        :data:`BACKGROUND` outside ``figure``, the likeliest class inside it (ties to
        the earlier class).

    Notes
    -----
    The filter is linear and keeps constants, so maps that add up to 1 still do after
    it: the last class's probability is what the others leave, and only the others are
    filtered.

    The coefficients are enlarged to the photo's size bilinearly: by exactly ``k`` when
    ``small`` is the photo shrunk ``k`` times in whole blocks (:func:`whole_factor`;
    working pixel ``i`` covers photo pixels ``k i .. k i + k - 1``, the last block
    edge-padded), over the figure's box only (0.4 of the photo's pixels on CCP photos);
    otherwise from ``(h, w)`` to ``(H, W)``, over the box's rows.
    """
    if maps.shape[2] != len(FIGURE_CLASSES):
        raise ValueError(f"expected the maps of {len(FIGURE_CLASSES)} classes, got "
                         f"{maps.shape[2]}")
    H, W = image.shape[:2]
    h, w = small.shape[:2]
    labels = np.zeros((H, W), np.uint8)
    box = bounding_box(figure)
    if box is None:
        return labels
    (y0, y1), (x0, x1) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    k = whole_factor(small.shape, image.shape)
    # Working pixels the window reads, and those their coefficients read (two box
    # filters of ``radius``): the coefficients there are the whole photo's.
    sy, _ = linear_taps(h, h * k if k else H, y0, y1)
    sx, _ = linear_taps(w, w * k if k else W, x0, x1)
    margin = 2 * radius
    r0, r1 = max(0, int(sy[0]) - margin), min(h, int(sy[-1]) + 2 + margin)
    c0, c1 = max(0, int(sx[0]) - margin), min(w, int(sx[-1]) + 2 + margin)
    guide = small[r0:r1, c0:c1].astype(np.float32) * np.float32(1 / 255)
    planes = np.ascontiguousarray(maps[r0:r1, c0:c1, :-1].transpose(2, 0, 1))
    coef = guided_coefficients(guide, planes, radius, eps)
    if k:
        def enlarged(c, rows):
            return _enlarged_box(c, (r0, c0), (h, w), k, rows, slice(x0, x1))
    else:
        # The working-size coefficient maps (zero off the crop the window reads),
        # enlarged by strips of the figure's rows (:func:`resize_rows`).
        wholes = []
        for c in coef:
            whole = np.zeros((h, w, 4), np.float32)
            whole[r0:r1, c0:c1] = c
            wholes.append(whole)
        coef = wholes

        def enlarged(c, rows):
            return resize_rows(c, (W, H), rows.start, rows.stop)[:, x0:x1]
    # By strips of rows: a large photo's full-size maps are never all in memory (four
    # float planes a class: 0.4 GB at 24 megapixels).
    for s0, s1 in row_strips(y1 - y0, x1 - x0 if k else W):
        rows = slice(y0 + s0, y0 + s1)
        crop = image[rows, x0:x1].astype(np.float32) * np.float32(1 / 255)
        cr, cg, cb = (np.ascontiguousarray(crop[..., i]) for i in range(3))
        probs = []
        for c in coef:
            big = enlarged(c, rows)
            probs.append((big[..., 0] * cr + big[..., 1] * cg + big[..., 2] * cb) + big[..., 3])
        last = np.float32(1) - probs[0]
        for p in probs[1:]:
            last = last - p
        probs.append(last)
        first, second, third = probs
        # argmax over the three maps, ties to the first (as label_map).
        choice = np.where(first >= np.maximum(second, third), np.uint8(FIGURE_CLASSES[0]),
                          np.where(second >= third, np.uint8(FIGURE_CLASSES[1]),
                                   np.uint8(FIGURE_CLASSES[2])))
        labels[rows, x0:x1] = np.where(figure[rows, x0:x1], choice, np.uint8(BACKGROUND))
    return labels


__all__ = ["guided_coefficients", "guided_labels", "whole_factor"]
