"""The item network and the garment's pixel classifier, each where it is stronger.

The item network (:mod:`runwaycut.garment.items_model`) sees the whole figure at once at
a coarse window (128 x 88): it tells a top from outerwear and a dress from a skirt, but
its skin and hair outlines are blurred and it mixes skin with light garments. The
garment's pixel classifier (:func:`runwaycut.garment.labelmap.label_garment`) sees
colour at the working size (about 416 px) with the photo's own skin colour: it is the
better judge of skin+hair, the weaker one of garment against accessory (a belt, a bag).
Measured on the 60 validation and 30 held-out photos the item network never saw
(``benchmarks/bench_items.py``), with both on one photo:

1. :func:`garment_prior`: each item's logit gets ``weight`` times the log-probability
   of its four-class group under the classifier (headwear: skin+hair or accessory, since
   the classifier calls hats and sunglasses skin+hair);
2. :func:`fused_classes`: the four-class map takes skin+hair from the classifier, and
   garment against accessory from the items (headwear is accessory);
3. :func:`regroup`: an item whose group disagrees with that map is replaced by the
   likeliest item of the map's class, so that the item map and the four-class map agree.

Before 2, :func:`smooth_in_regions` pulls each pixel's item logits towards the mean of
the classifier's region of like colour it lies in, so that item borders follow the
photo's edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..person.band import bounding_box, pixel_coordinates
from ..scoring.items import ITEM_NAMES, ITEM_TO_CLASS, item_counts, lookup
from .types import ACCESSORY, BACKGROUND, FIGURE_CLASSES, SKIN_HAIR

#: Weight of the classifier's log-probabilities added to the item logits (chosen on the
#: 60 validation photos among 0.5, 1, 2, 4: mean item IoU 0.481 -> 0.500 with 1; on the
#: 30 held-out photos 0.464 -> 0.478). The shipped classifier was trained on those
#: photos; checked again with one trained without them (``bench_items.py``'s), weights
#: 0.5, 0.75, 1 and 1.5 scored 0.509, 0.509, 0.508 and 0.507 there (held out: 0.513,
#: 0.513, 0.511, 0.509): flat, so 1 stays. So does :data:`REGION_WEIGHT` (0.3 and 0.7:
#: 0.506 there).
FUSION_WEIGHT = 1.0

#: Weight of each region's mean item logits against a pixel's own (:func:`smooth_in_regions`;
#: chosen on the 60 validation photos among 0.3, 0.5, 0.7, 1, averaging probabilities or
#: logits: mean item IoU 0.500 -> 0.508 with logits at 0.5; on the 30 held-out photos
#: 0.478 -> 0.486).
REGION_WEIGHT = 0.5

_HEADWEAR = ITEM_NAMES.index("headwear")


def garment_prior(probabilities: np.ndarray, scale: float, affine: np.ndarray,
                  shape: tuple[int, int]) -> np.ndarray:
    """Log-probability of each item's four-class group under the pixel classifier, over
    the item network's window.

    Parameters
    ----------
    probabilities : (h, w, 3) float32 array
        :attr:`GarmentResult.probabilities` (garment, skin+hair, accessory) at working size.
    scale : float
        Working size / photo size.
    affine : (2, 3) array
        Photo pixels to window pixels.
    shape : (rows, cols)
        The window.

    Returns
    -------
    prior : (14, rows, cols) float32 array
        0 for background (the figure mask decides it).
    """
    rows, cols = shape
    # Working pixel -> photo pixel (centres to centres), then photo -> window.
    to_photo = np.array([[1 / scale, 0, 0.5 / scale - 0.5], [0, 1 / scale, 0.5 / scale - 0.5],
                         [0, 0, 1]])
    to_window = np.vstack([np.asarray(affine, np.float64), [0, 0, 1]]) @ to_photo
    maps = cv2.warpAffine(np.ascontiguousarray(probabilities, np.float32), to_window[:2],
                          (cols, rows), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    maps = np.clip(maps.reshape(rows, cols, -1), 1e-4, 1)
    maps /= maps.sum(axis=2, keepdims=True)
    logp = np.log(maps)
    channel = {c: i for i, c in enumerate(FIGURE_CLASSES)}
    prior = np.zeros((len(ITEM_NAMES), rows, cols), np.float32)
    for item in range(1, len(ITEM_NAMES)):
        prior[item] = logp[..., channel[int(ITEM_TO_CLASS[item])]]
    prior[_HEADWEAR] = np.log(maps[..., channel[SKIN_HAIR]] + maps[..., channel[ACCESSORY]])
    return prior


def fused_classes(items: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The four-class map from the item map and the pixel classifier's map.

    Skin+hair where the classifier says so (but headwear, an accessory); elsewhere the
    items' class, except where the items say skin or hair against the classifier: there
    the classifier's class.

    Parameters
    ----------
    items : (H, W) uint8 array
        Item indices.
    classes : (H, W) uint8 array
        The classifier's four-class map, over the same figure.

    Returns
    -------
    fused : (H, W) uint8 array
        Background exactly where ``items`` is background.

    Examples
    --------
    >>> items = np.array([[0, 1, 3, 3, 1, 11, 12]], np.uint8)  # bg skin top top skin bag hat
    >>> mlp = np.array([[0, 2, 2, 1, 1, 1, 2]], np.uint8)      # bg s+h s+h garm garm garm s+h
    >>> fused_classes(items, mlp)
    array([[0, 2, 2, 1, 1, 3, 3]], dtype=uint8)
    """
    out = np.zeros(np.shape(items), np.uint8)
    box = bounding_box(items)
    if box is None:  # (background everywhere)
        return out
    items, classes = items[box], classes[box]
    from_items = lookup(ITEM_TO_CLASS, items)
    fused = np.where(classes == SKIN_HAIR, np.uint8(SKIN_HAIR),
                     np.where(from_items == SKIN_HAIR, classes, from_items))
    fused[items == _HEADWEAR] = ACCESSORY
    fused[items == 0] = BACKGROUND
    out[box] = fused
    return out


def regroup(items: np.ndarray, classes: np.ndarray, logits: np.ndarray, affine: np.ndarray,
            upscale: int, min_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The item map made to agree with a four-class map: where an item's class is not
    the map's, the likeliest item of the map's class (logits enlarged ``upscale`` times,
    as :func:`runwaycut.garment.items.items_from_logits` reads them).

    No stray item is made: an item left holding less than ``min_share`` of the figure
    gives its pixels to the likeliest item of its class that holds more; where its class
    has none, the pixels it was given go back to their own items and the map takes those
    items' class.

    Parameters
    ----------
    items : (H, W) uint8 array
    classes : (H, W) uint8 array
        Four-class map, background exactly where ``items`` is.
    logits : (14, rows, cols) float32 array
    affine : (2, 3) array
        Photo pixels to window pixels.
    upscale : int
    min_share : float

    Returns
    -------
    items, classes : (H, W) uint8 arrays
        ``ITEM_TO_CLASS[items] == classes`` everywhere.
    """
    box = bounding_box(items)
    if box is None:
        return items, classes
    # Within the items' box (background, of one class in both maps, all around it).
    wrong = lookup(ITEM_TO_CLASS, items[box]) != classes[box]
    if not wrong.any():
        return items, classes
    y0, x0 = box[0].start, box[1].start
    whole_items, whole_classes = items.copy(), classes.copy()
    items, classes = whole_items[box], whole_classes[box]  # (views: changed in place)
    before = items.copy()
    box_scores_at = _enlarged_scores(logits, affine, upscale)

    def scores_at(ys, xs):
        return box_scores_at(ys + y0, xs + x0)

    ys, xs = pixel_coordinates(wrong)  # (np.nonzero of a 2-D mask: ten times slower)
    scores = scores_at(ys, xs)
    wanted = classes[ys, xs]
    for group in np.unique(wanted):
        members = np.flatnonzero(ITEM_TO_CLASS == group)
        here = wanted == group
        items[ys[here], xs[here]] = members[np.argmax(scores[here][:, members], axis=1)]
    figure = items > 0
    least = min_share * np.count_nonzero(figure)

    def too_small():
        counts = item_counts(items)  # (items are 0 exactly off the figure)
        counts[0] = 0
        for item in np.flatnonzero((counts > 0) & (counts < least)):  # (0 is not in the figure)
            yield item, np.flatnonzero((ITEM_TO_CLASS == ITEM_TO_CLASS[item]) & (counts >= least))

    for item, others in list(too_small()):  # alone in its class: what it was given goes back
        if not others.size:
            given = (items == item) & (before != item)
            items[given] = before[given]
            classes[given] = ITEM_TO_CLASS[before[given]]
    for item, others in list(too_small()):  # beside an item of its class that counts: to it
        if others.size:
            py, px = pixel_coordinates(items == item)
            items[py, px] = others[np.argmax(scores_at(py, px)[:, others], axis=1)]
    return whole_items, whole_classes


def smooth_in_regions(big: np.ndarray, to_big: np.ndarray, regions: np.ndarray, scale: float,
                      weight: float = REGION_WEIGHT) -> None:
    """Pull the enlarged item logits towards their region's mean, in place.

    The network's window is coarse (one window pixel spans five photo pixels or more),
    so its item borders are blurred; the garment classifier's regions of like colour
    follow the photo's edges. Each enlarged window pixel that falls on a region gets
    ``(1 - weight) * its logits + weight * the region's mean logits`` (items only: the
    figure mask decides background).

    Parameters
    ----------
    big : (14, R, C) float32 array
        The window's logits enlarged (``R, C``: the window's size times the enlargement);
        changed in place.
    to_big : (2, 3) array
        Photo pixels to enlarged window pixels (scale and translation).
    regions : (h, w) int32 array
        :attr:`GarmentResult.regions`: region numbers at working size, -1 off the figure.
    scale : float
        Working size / photo size.
    weight : float
    """
    k, rows, cols = big.shape
    sx, tx, sy, ty = to_big[0, 0], to_big[0, 2], to_big[1, 1], to_big[1, 2]
    # Enlarged pixel -> photo pixel -> working pixel (centres to centres), nearest.
    to_work = np.array([[scale / sx, 0, (0.5 - tx / sx) * scale - 0.5],
                        [0, scale / sy, (0.5 - ty / sy) * scale - 0.5]])
    region = cv2.warpAffine(regions.astype(np.float32), to_work, (cols, rows),
                            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    at = np.flatnonzero(region >= 0)
    if not len(at):
        return
    ids = region.ravel()[at].astype(np.intp)
    count = np.maximum(np.bincount(ids), 1)
    flat = big.reshape(k, -1)
    for c in range(1, k):
        own = flat[c, at]
        mean = (np.bincount(ids, weights=own) / count).astype(np.float32)
        flat[c, at] = (1 - weight) * own + weight * mean[ids]


def to_enlarged(affine: np.ndarray, upscale: int) -> np.ndarray:
    """Photo pixels to the pixels of the window enlarged ``upscale`` times (centres to
    centres): ``(2, 3) float64``, from ``affine`` (photo pixels to window pixels)."""
    to_big = np.asarray(affine, np.float64) * upscale
    to_big[:, 2] += (upscale - 1) / 2
    return to_big


def _enlarged_scores(logits: np.ndarray, affine: np.ndarray, upscale: int):
    """``scores_at(ys, xs) -> (n, 14)``: the logits of the enlarged window pixel each photo
    pixel falls on (nearest, the border repeated). Only the pixels asked for are read:
    no map of the whole photo is warped."""
    k, rows, cols = logits.shape
    big = cv2.resize(np.ascontiguousarray(logits.transpose(1, 2, 0)), (cols * upscale, rows * upscale),
                     interpolation=cv2.INTER_LINEAR).reshape(rows * upscale, cols * upscale, k)
    to_big = to_enlarged(affine, upscale)

    def scores_at(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        bx = np.rint(to_big[0, 0] * xs + to_big[0, 1] * ys + to_big[0, 2]).astype(np.intp)
        by = np.rint(to_big[1, 0] * xs + to_big[1, 1] * ys + to_big[1, 2]).astype(np.intp)
        return big[np.clip(by, 0, big.shape[0] - 1), np.clip(bx, 0, big.shape[1] - 1)]

    return scores_at


__all__ = ["FUSION_WEIGHT", "REGION_WEIGHT", "fused_classes", "garment_prior", "regroup",
           "smooth_in_regions", "to_enlarged"]
