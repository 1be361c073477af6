"""Soft edges for the cutout: an alpha matte from a binary figure mask, foreground
colours without the background's halo, and edge-aware upsampling for large photos.

* :func:`alpha_from_mask` softens a binary mask only in a thin band along its
  boundary, with a colour guided filter steered by the photo, so that hair and fringes
  get partial alpha that follows the photo's edges; away from the boundary alpha stays
  exactly 0 or 1.
* :func:`estimate_foreground` recovers the figure's own colours where alpha is
  fractional, by Forte and Pitié's blur-fusion estimator (two passes of box filters;
  close to pymatting's multilevel estimator at a fraction of its time).
* :func:`guided_upsample` brings a low-resolution mask or matte to a large photo's size
  by the fast guided filter: the filter's linear coefficients are computed at low
  resolution and applied to the full-resolution photo, so edges land on the photo's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .band import bounding_box, pixel_coordinates, shrink_whole, tiles_near, widen_to_multiple
from .resample import bilinear_at, resize_rows, resize_taps, source_rows


@dataclass(frozen=True)
class MattingParams:
    """How the alpha matte is made.

    Attributes
    ----------
    band : int
        Half-width, in pixels, of the boundary band where alpha may be fractional.
    radius : int
        Guided filter window radius.
    eps : float
        Guided filter regularisation (on colours in [0, 1]).
    """

    band: int = 3
    radius: int = 3
    eps: float = 1e-3


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a colour guide.

    Parameters
    ----------
    guide : (H, W, 3) float32 array
        Colour guide, values in [0, 1].
    src : (H, W) float32 array
        Signal to filter.
    radius : int
    eps : float

    Returns
    -------
    filtered : (H, W) float32 array

    Notes
    -----
    The 3x3 covariance of the guide in each window is inverted in closed form (by
    cofactors), all in whole-array operations.

    References
    ----------
    K. He, J. Sun, X. Tang, "Guided Image Filtering", IEEE TPAMI 35(6), 2013.
    """
    a, b = _guided_coefficients(guide, src, radius, eps)
    box = _box(radius)
    out = box(b)
    for k in range(3):
        out += box(a[k]) * guide[..., k]
    return out


def _box(radius: int):
    k = (2 * radius + 1, 2 * radius + 1)
    return lambda x: cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)


def guide_inverse(channels, means, box, eps: float):
    """The regularised covariance of a colour guide in each window, inverted in closed
    form: its cofactors and determinant (the guided filter's shared part).

    Parameters
    ----------
    channels : (r, g, b) of (H, W) float32 arrays
        The guide's channels.
    means : (r, g, b) of (H, W) float32 arrays
        Their window means, ``box(channel)``.
    box : callable
        The window mean of an (H, W) array.
    eps : float
        Added to the diagonal.

    Returns
    -------
    cofactors : tuple of 6 (H, W) float32 arrays
        ``rr, rg, rb, gg, gb, bb`` of the symmetric inverse times the determinant.
    det : (H, W) float32 array
    """
    r, g, bl = channels
    mr, mg, mb = means
    e = np.float32(eps)
    vrr = box(r * r) - mr * mr + e
    vrg = box(r * g) - mr * mg
    vrb = box(r * bl) - mr * mb
    vgg = box(g * g) - mg * mg + e
    vgb = box(g * bl) - mg * mb
    vbb = box(bl * bl) - mb * mb + e
    # Inverse of the symmetric 3x3 matrix [[vrr vrg vrb] [vrg vgg vgb] [vrb vgb vbb]].
    irr = vgg * vbb - vgb * vgb
    irg = vgb * vrb - vrg * vbb
    irb = vrg * vgb - vgg * vrb
    igg = vrr * vbb - vrb * vrb
    igb = vrb * vrg - vrr * vgb
    ibb = vrr * vgg - vrg * vrg
    det = vrr * irr + vrg * irg + vrb * irb
    return (irr, irg, irb, igg, igb, ibb), det


def _guided_coefficients(guide: np.ndarray, src: np.ndarray, radius: int, eps: float):
    """Per-window linear coefficients of the filter: ``a`` (three (H, W) planes, one per
    colour) and ``b`` ((H, W)).

    Plane by plane: the guide's channels split once into contiguous arrays, so that no
    operation strides over a last axis of 3 (2.3x faster than on (H, W, 3) arrays, the
    same numbers to float rounding)."""
    box = _box(radius)
    channels = cv2.split(np.ascontiguousarray(guide))
    means = [box(c) for c in channels]
    mean_p = box(src)
    cr, cg, cb = (box(c * src) - m * mean_p for c, m in zip(channels, means))
    (irr, irg, irb, igg, igb, ibb), det = guide_inverse(channels, means, box, eps)
    inv = np.float32(1) / det
    a = ((irr * cr + irg * cg + irb * cb) * inv,
         (irg * cr + igg * cg + igb * cb) * inv,
         (irb * cr + igb * cg + ibb * cb) * inv)
    b = mean_p - a[0] * means[0] - a[1] * means[1] - a[2] * means[2]
    return a, b


def alpha_from_mask(image: np.ndarray, mask: np.ndarray,
                    params: MattingParams = MattingParams()) -> np.ndarray:
    """Soft alpha matte of a binary figure mask, fractional only along its boundary.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    mask : (H, W) bool array
        Figure mask.
    params : MattingParams

    Returns
    -------
    alpha : (H, W) float32 array in [0, 1]
        Equal to ``mask`` farther than ``params.band`` pixels from the boundary.
    """
    mask = np.asarray(mask, bool)
    alpha = mask.astype(np.float32)
    if not mask.any() or mask.all():
        return alpha
    # The band lies within ``band`` pixels of the figure's box: morphology there only.
    pad = params.radius + 1
    box = bounding_box(mask, params.band + pad)
    m8 = np.ascontiguousarray(mask[box]).view(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * params.band + 1,) * 2)
    band = cv2.morphologyEx(m8, cv2.MORPH_GRADIENT, kernel).view(bool)  # dilated != eroded
    # Filter only the band's bounding box, with room for the window.
    inside = bounding_box(band, pad)
    by0, by1 = box[0].start + inside[0].start, box[0].start + inside[0].stop
    bx0, bx1 = box[1].start + inside[1].start, box[1].start + inside[1].stop
    # Even sides: the half-size guide below takes OpenCV's fast 2x2 path.
    crop_rows, crop_cols = widen_to_multiple((slice(by0, by1), slice(bx0, bx1)), mask.shape, 2)
    y0, y1, x0, x1 = crop_rows.start, crop_rows.stop, crop_cols.start, crop_cols.stop
    crop = image[y0:y1, x0:x1]
    inner = np.zeros((y1 - y0, x1 - x0), bool)
    inner[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = band[inside]
    # Fast guided filter: the linear coefficients at half size, applied at full size.
    # By strips of rows: each strip computes the coefficients of the half-size rows it
    # reads (with the two box filters' margins) and applies them at its band pixels.
    # Halved by whole 2 x 2 blocks (an odd side, where the crop spans the photo, with
    # its edge repeated): OpenCV's general area path takes 10x longer.
    ch, cw = inner.shape
    guide_half = shrink_whole(crop, 2)
    src_half = shrink_whole(alpha[y0:y1, x0:x1], 2)
    half = (guide_half.shape[1], guide_half.shape[0])
    full = (2 * half[0], 2 * half[1])  # the size the half-size maps are enlarged to
    r = max(1, params.radius // 2)
    # The half-size pixels that the band's bilinear reads touch: the band pooled to
    # half size, widened by 2 (the 2 x 2 neighbours, with room for rounding). The
    # coefficients are computed around those only (:func:`tiles_near`), zero elsewhere.
    needed = cv2.dilate(shrink_whole(inner.view(np.uint8), 2), np.ones((5, 5), np.uint8)) > 0
    image = np.ascontiguousarray(image)
    w = mask.shape[1]
    taps = resize_taps((half[1], half[0]), full)  # shared by the strips' reads
    for s0, s1 in row_strips(ch, cw):
        rows = inner[s0:s1]
        if not rows.any():
            continue
        lo, hi = source_rows(half[1], full[1], s0, s1)
        m0, m1 = max(0, lo - 2 * r), min(half[1], hi + 2 * r)
        wanted = np.zeros((m1 - m0, half[0]), bool)
        wanted[lo - m0:hi - m0] = needed[lo:hi]
        coef = np.zeros((m1 - m0, half[0], 4), np.float32)
        for core, tile in tiles_near(wanted, 2 * r):  # two box filters of radius r
            coef[core] = _box_coefficients(guide_half[m0:m1][tile], src_half[m0:m1][tile], r,
                                           params.eps)[_within(core, tile)]
        # Enlarged and applied at the band's pixels only (gathered by flat index).
        iy, ix = pixel_coordinates(rows)
        iy += s0
        c = bilinear_at(coef, full, iy, ix, (m0, 0), (half[1], half[0]), taps)
        at = (iy + y0) * w + (ix + x0)
        alpha.ravel()[at] = _applied(c, image.reshape(-1, 3).take(at, axis=0))
    return alpha


def _applied(coefficients: np.ndarray, colours: np.ndarray, clip: bool = True) -> np.ndarray:
    """The guided filter's output at N pixels, clipped to [0, 1] unless ``clip`` is
    false: ``(N, 4)`` coefficients (``a`` for three colours, ``b``) and ``(N, 3)`` uint8
    colours."""
    c, rgb = coefficients, colours.astype(np.float32) * np.float32(1 / 255)
    # Column by column: no sum over a last axis of 3.
    out = c[:, 3] + c[:, 0] * rgb[:, 0] + c[:, 1] * rgb[:, 1] + c[:, 2] * rgb[:, 2]
    return np.clip(out, 0, 1, out=out) if clip else out


def _box_coefficients(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The guided filter's coefficients averaged over each window, ``(h, w, 4)`` float32:
    ``box(a)`` (3 colour planes) and ``box(b)``; ``guide`` is uint8."""
    a, b = _guided_coefficients(guide.astype(np.float32) * np.float32(1 / 255), src, radius, eps)
    return _box(radius)(cv2.merge([*a, b]))


def _within(core, crop):
    """``core`` (slices in image coordinates) as slices of ``crop``."""
    return tuple(slice(c.start - t.start, c.stop - t.start) for c, t in zip(core, crop))


#: Pixels per strip when full-size work goes by strips of rows (a few MB of temporaries).
STRIP_PIXELS = 1 << 19


def row_strips(height: int, width: int, pixels: int | None = None):
    """``(start, stop)`` row ranges covering ``height`` rows, each of about ``pixels``
    pixels (default :data:`STRIP_PIXELS`)."""
    step = max(1, (pixels or STRIP_PIXELS) // max(1, width))
    return [(y, min(height, y + step)) for y in range(0, height, step)]


def estimate_foreground(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Foreground colours of a matted photo, free of the background's colour bleeding.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    alpha : (H, W) float32 array in [0, 1]

    Returns
    -------
    foreground : (H, W, 3) uint8 array
        Equal to ``image`` where alpha is 0 or 1; where it is fractional, the colour
        ``F`` that best explains ``I = alpha F + (1 - alpha) B`` with smooth ``F``, ``B``.

    References
    ----------
    M. Forte, F. Pitié, "Approximate Fast Foreground Colour Estimation", ICIP 2021.
    """
    box = _soft_box(alpha)
    if box is None:
        return image.copy()
    h, w = alpha.shape
    (sy0, sy1), (sx0, sx1) = box
    pad = 48  # the large pass's half window, in full-size pixels
    # Sides in multiples of 4: the quarter-size photo below takes OpenCV's fast path.
    crop_rows, crop_cols = widen_to_multiple((slice(max(0, sy0 - pad), min(h, sy1 + pad)),
                                              slice(max(0, sx0 - pad), min(w, sx1 + pad))),
                                             (h, w), 4)
    y0, y1, x0, x1 = crop_rows.start, crop_rows.stop, crop_cols.start, crop_cols.stop
    # First pass (91 px box): the blurred colours are smooth, so compute them at a
    # quarter of the size (the photo shrunk as uint8: within half a level) and bring
    # them back; second pass (7 px box) at full size.
    # Halved twice by whole 2 x 2 blocks: OpenCV's 2x2 path is SIMD, its 4x4 path is not
    # (0.3 against 1.1 ms), and its general area path, where the crop spans the photo
    # and cannot be widened to a multiple of 4 (most runway photos), takes 2 ms.
    img_s = shrink_whole(shrink_whole(image[y0:y1, x0:x1], 2), 2)
    img_s = img_s.astype(np.float32) * np.float32(1 / 255)
    a_s = shrink_whole(shrink_whole(alpha[y0:y1, x0:x1], 2), 2)[..., None]
    cw, ch = 4 * img_s.shape[1], 4 * img_s.shape[0]  # the size the quarter maps stand for
    k = (23, 23)
    blurred_a = cv2.blur(a_s[..., 0], k)[..., None]
    blurred_fg = cv2.blur(img_s * a_s, k) / (blurred_a + 1e-5)
    blurred_bg = cv2.blur(img_s * (1 - a_s), k) / ((1 - blurred_a) + 1e-5)
    # The first pass's colours, read at the fractional pixels only (bilinear, from the
    # quarter-size maps: one gather for both).
    first = np.concatenate([blurred_fg, blurred_bg], axis=2)
    taps = resize_taps(first.shape[:2], (cw, ch))  # shared by the crops' reads
    # The second pass reads only within its 7 px window of the fractional pixels: the
    # box of those, widened by 3 px, in strips of rows each with its 3 px margin; in a
    # strip, only the crops around its fractional pixels (:func:`tiles_near`), since
    # they lie in a thin band along the outline.
    by0, by1 = max(0, sy0 - 3), min(h, sy1 + 3)
    bx0, bx1 = max(0, sx0 - 3), min(w, sx1 + 3)
    out = image.copy()
    image = np.ascontiguousarray(image)
    for s0, s1 in row_strips(sy1 - sy0, bx1 - bx0):
        r0, r1 = max(by0, sy0 + s0 - 3), min(by1, sy0 + s1 + 3)  # with margins
        a = alpha[r0:r1, bx0:bx1]
        soft = (a > 0) & (a < 1)  # found once a strip, margins included, for its crops
        wanted = soft.copy()  # the fractional pixels of the strip's own rows
        wanted[:sy0 + s0 - r0] = False
        wanted[sy0 + s1 - r0:] = False
        for core, crop in tiles_near(wanted, 3):
            here = np.zeros(a[crop].shape, bool)  # the crop's own wanted pixels: its core's
            here[core[0].start - crop[0].start:core[0].stop - crop[0].start,
                 core[1].start - crop[1].start:core[1].stop - crop[1].start] = wanted[core]
            origin = (r0 + crop[0].start, bx0 + crop[1].start)  # the crop's place in the photo
            _second_pass(image, a[crop], soft[crop], origin, here, first,
                         (y0, x0, cw, ch, taps), out)
    return out


def _soft_box(alpha: np.ndarray):
    """``((y0, y1), (x0, x1))`` bounds of the fractional alpha pixels (None if none),
    found strip by strip (no full-size temporary)."""
    top = bottom = left = right = None
    h, w = alpha.shape
    for s0, s1 in row_strips(h, w):
        a = alpha[s0:s1]
        box = bounding_box((a > 0) & (a < 1))
        if box is None:
            continue
        rows, cols = box
        if top is None:
            top, left, right = s0 + rows.start, cols.start, cols.stop
        bottom, left, right = s0 + rows.stop, min(left, cols.start), max(right, cols.stop)
    return None if top is None else ((top, bottom), (left, right))


def _second_pass(image: np.ndarray, alpha: np.ndarray, soft: np.ndarray,
                 origin: tuple[int, int], wanted: np.ndarray, first: np.ndarray, frame,
                 out: np.ndarray) -> None:
    """Forte and Pitie's two passes at the ``wanted`` pixels of a crop.

    ``alpha`` is the crop (its first pixel at ``origin`` in ``image``, the whole uint8
    photo), covering the wanted pixels with 3 px margins (the second pass's window),
    and ``soft`` where it is fractional;
    ``first`` holds the first pass's blurred foreground and background colours (6
    planes) at a quarter of the size of the photo's ``frame`` ``(y0, x0, width,
    height, taps)`` (``taps``: :func:`~runwaycut.person.resample.resize_taps` of the
    enlargement). The result goes into ``out`` (the whole output photo, contiguous) at the
    wanted pixels."""
    a = np.ascontiguousarray(alpha)
    h, w = a.shape
    oy, ox = origin
    # Fractional pixels of the whole crop, margins included: the first pass changes
    # them all, and the second pass at the wanted pixels reads them. Gathered by flat
    # index (``take``): several times faster than by (row, column) pairs.
    at = np.flatnonzero(soft)
    if at.size == 0:
        return
    iy, ix = np.divmod(at, w)
    y0, x0, cw, ch, taps = frame
    fb = bilinear_at(first, (cw, ch), iy + (oy - y0), ix + (ox - x0), taps=taps)
    fg_i, bg_i = fb[:, :3], fb[:, 3:]
    photo = (iy + oy) * image.shape[1] + (ix + ox)  # flat index into the photo
    img_i = image.reshape(-1, 3).take(photo, axis=0).astype(np.float32)  # 0..255
    ai = a.ravel().take(at)[:, None]
    # Each pass updates F + a (I - a F - (1 - a) B), here as (1 - a^2) F + a I - a (1 - a) B
    # with the per-pixel weights worked out once (N values, not N x 3) and the photo's
    # 1/255 folded into them: a few whole-array operations fewer, the same numbers to
    # float rounding.
    # The first pass changes only the fractional pixels (where alpha is 0 or 1, F = I).
    fg_i = _passed(fg_i, img_i, bg_i, ai, np.float32(1))
    np.clip(fg_i, 0, 1, out=fg_i)
    crop = image[oy:oy + h, ox:ox + w]
    fg_a = cv2.multiply(crop, cv2.cvtColor(a, cv2.COLOR_GRAY2RGB), scale=1 / 255,
                        dtype=cv2.CV_32F)
    fg_i *= ai
    fg_a.reshape(-1, 3)[at] = fg_i
    # Second pass (7 px box), evaluated at the wanted pixels only.
    keep = np.flatnonzero(np.ascontiguousarray(wanted).ravel().take(at))  # (one scan, five takes)
    at, ai, img_i, bg_i, photo = (v.take(keep, axis=0) for v in (at, ai, img_i, bg_i, photo))
    k = (7, 7)
    blurred_a = cv2.blur(a, k).ravel().take(at)[:, None]
    blurred_a += np.float32(1e-5)
    blurred_fg = cv2.blur(fg_a, k).reshape(-1, 3).take(at, axis=0)
    blurred_fg /= blurred_a
    # The background's 7 px mean is the first pass's background itself: that is a
    # 91 px mean, flat at this scale (colours within a level of the 7 px box filter's,
    # which took a third of this pass). Worked out in levels (0..255), then rounded.
    fg_soft = _passed(blurred_fg, img_i, bg_i, ai, np.float32(255))
    np.rint(fg_soft, out=fg_soft)
    out.reshape(-1, 3)[photo] = np.clip(fg_soft, 0, 255, out=fg_soft)


def _passed(fg: np.ndarray, img: np.ndarray, bg: np.ndarray, a: np.ndarray,
            unit: np.float32) -> np.ndarray:
    """``unit * (fg + a (img / 255 - a fg - (1 - a) bg))`` for ``(N, 3)`` colours (``img``
    in levels, the others in [0, 1]) and ``(N, 1)`` alpha, in a new array."""
    out = fg * (unit * (1 - a * a))
    out += img * (a * (unit / 255))
    out -= bg * (unit * a * (1 - a))
    return out


def guided_upsample(small_guide: np.ndarray, small_src: np.ndarray, guide: np.ndarray,
                    radius: int = 4, eps: float = 1e-3) -> np.ndarray:
    """Upsample a map to the guide's size, edge-aware (fast guided filter).

    Parameters
    ----------
    small_guide : (h, w, 3) uint8 array
        The photo at the map's resolution.
    small_src : (h, w) float32 array
        The map (probability, alpha) at low resolution.
    guide : (H, W, 3) uint8 array
        The full-resolution photo.
    radius : int
        Window radius at low resolution.
    eps : float

    Returns
    -------
    upsampled : (H, W) float32 array

    Notes
    -----
    Where the map is constant over the filter's reach (its two box filters, ``2 radius``
    low-resolution pixels, and the bilinear taps' one more), the filter gives that
    constant back (its slope is 0): there the map is only enlarged (nearest). The
    filter is computed near the rest only (:func:`tiles_near`), tile by tile: a
    figure probability that is 0 or 1 but in a band along the outline (``auto``'s) costs
    the band's pixels, not the photo's; a map soft over most of the photo (the person
    models' probability) is filtered whole. Either way the result equals the whole
    filter's up to float rounding.

    References
    ----------
    K. He, J. Sun, "Fast Guided Filter", arXiv:1505.00996, 2015.
    """
    H, W = guide.shape[:2]
    h, w = small_src.shape[:2]
    src = np.ascontiguousarray(small_src, np.float32)
    # Low-resolution pixels where the map varies within the reach of the filter and taps.
    side = 2 * (2 * radius + 1) + 1
    square = np.ones((side, side), np.uint8)
    busy = cv2.dilate(src, square) != cv2.erode(src, square)
    if 2 * np.count_nonzero(busy) > busy.size:  # soft almost everywhere (a person probability)
        return _guided_upsample_whole(small_guide, src, guide, radius, eps)
    out = cv2.resize(src, (W, H), interpolation=cv2.INTER_NEAREST)
    if not busy.any():
        return out
    # Full-size pixels whose nearest low-resolution pixel is busy: their bilinear taps
    # (within one pixel of it) are what the filter's coefficients are needed at.
    wanted = cv2.resize(busy.view(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST) > 0
    # By tiles of the wanted pixels (a band's two thin runs a row, not the photo's width):
    # each tile's coefficients from the low-resolution pixels its taps read, with the
    # two box filters' margin, enlarged at the tile's pixels only.
    m = 2 * radius
    guide = np.ascontiguousarray(guide)
    taps = resize_taps((h, w), (W, H))  # shared by the tiles' reads
    for core, _ in tiles_near(wanted, 0):
        (y0, y1), (x0, x1) = (core[0].start, core[0].stop), (core[1].start, core[1].stop)
        lo, hi = source_rows(h, H, y0, y1)
        left, right = source_rows(w, W, x0, x1)
        block = (slice(max(0, lo - m), min(h, hi + m)), slice(max(0, left - m), min(w, right + m)))
        coef = _box_coefficients(small_guide[block], src[block], radius, eps)
        # Enlarged and applied at the tile's wanted pixels only (gathered by flat index).
        iy, ix = pixel_coordinates(wanted[core])
        iy += y0
        ix += x0
        c = bilinear_at(coef, (W, H), iy, ix, (block[0].start, block[1].start), (h, w), taps)
        at = iy * W + ix
        out.ravel()[at] = _applied(c, guide.reshape(-1, 3).take(at, axis=0), clip=False)
    return out


def _guided_upsample_whole(small_guide, src, guide, radius, eps):
    """:func:`guided_upsample` at every pixel (faster than picking pixels when most vary)."""
    H, W = guide.shape[:2]
    coef = _box_coefficients(small_guide, src, radius, eps)
    # Applied strip by strip: the full-size coefficients are never all in memory.
    out = np.empty((H, W), np.float32)
    for y0, y1 in row_strips(H, W):
        c = resize_rows(coef, (W, H), y0, y1)
        out[y0:y1] = (c[..., :3] * (guide[y0:y1].astype(np.float32) * np.float32(1 / 255))
                      ).sum(axis=2) + c[..., 3]
    return out


__all__ = ["MattingParams", "STRIP_PIXELS", "alpha_from_mask", "estimate_foreground",
           "guide_inverse", "guided_filter", "guided_upsample", "row_strips"]
