"""The outfit item by item: a 14-class label map of the figure (:func:`parse_items`).

From a photo (and, if known, its figure mask and pose):

1. the figure, its probability and the pose come from the caller or from the auto
   backend (:class:`runwaycut.methods.AutoMethod`);
2. a window of :data:`~runwaycut.garment.items_inputs.INPUT_SHAPE` pixels is placed
   around the figure and filled with the photo, the figure probability and body-part
   maps (:func:`~runwaycut.garment.items_inputs.item_inputs`);
3. the item network (:mod:`runwaycut.garment.items_model`, a small U-Net run by OpenCV)
   gives each window pixel a logit per item;
4. the logits are brought back to the photo's pixels (bilinear), and each figure pixel
   takes its likeliest item (background excluded: the figure mask decides what is
   figure);
5. what the person mask missed but the network finds carried (:data:`TAKEN_IN`: a bag)
   joins the figure where it touches it;
6. the garment's pixel classifier (:func:`~runwaycut.garment.labelmap.label_garment`) runs
   on that figure and the two are put together (:mod:`runwaycut.garment.items_fusion`):
   one item map (each pixel's item logits first pulled towards the mean of the
   classifier's region of like colour, so that item borders follow the photo's edges),
   and a four-class map (background, garment, skin+hair, accessory) that agrees with it
   (:data:`ITEM_TO_CLASS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from functools import cached_property, lru_cache

import cv2
import numpy as np

from ..errors import InvalidImageError
from ..person.band import bounding_box
from ..scoring.items import ITEM_NAMES, ITEM_TO_CLASS, item_counts, lookup
from .colors import ColorParams, GarmentColor, colour_clusters, name_colors, named_colours
from .items_inputs import figure_box
from .items_model import ItemNet, item_confidence, load_item_net, window_logits
from .items_fusion import (FUSION_WEIGHT, fused_classes, garment_prior, regroup,
                           smooth_in_regions, to_enlarged)
from .labelmap import DETECT, detect_pose, label_garment
from .body import body_frame
from .model import GarmentModel, load_garment_model
from .types import GarmentResult
from .checks import mask_of, rgb_image

#: Enlargement of the network's logits before each pixel takes its likeliest item.
UPSCALE = 3

#: Items that join the figure where the person mask missed them (carried things).
TAKEN_IN = ("bag",)

#: Smallest share of the figure an item may hold: smaller ones are the network's stray
#: pixels (an 18-pixel "accessory"), not an item an analyst should count; their pixels
#: take the likeliest of the items that remain.
MIN_ITEM_SHARE = 0.005

@dataclass(frozen=True)
class TakeIn:
    """When a carried item the person mask missed joins the figure.

    A pixel outside the figure is a candidate where the network's probability of the
    carried items (:data:`TAKEN_IN`, background included in the softmax) is at least
    ``min_probability``; a morphological opening of ``opening`` (share of the photo's
    height) removes the thin rims the network's coarse window leaves along the whole
    outline; what remains joins the figure where it comes within ``reach`` of it and
    holds at least ``min_area`` of the figure's pixels. Defaults chosen on the 60
    validation photos of ``benchmarks/train_items.py`` (figure F1 0.9767 -> 0.9768);
    on the 30 held-out photos the figure F1 goes from 0.9760 to 0.9764, 3 photos taking
    a bag in (``benchmarks/bench_items.py``).
    """

    min_probability: float = 0.7
    opening: float = 0.01
    reach: float = 0.01
    min_area: float = 0.01


#: Colours of each item: fewer clusters and pixels than the garment's (14 items a photo;
#: 1,000 pixels name an item's colours as well as 4,000, see :func:`item_colors`).
ITEM_COLORS = ColorParams(max_colors=3, min_share=0.1, sample=1000)


@dataclass(frozen=True)
class ItemsResult:
    """The item map of a photo.

    Attributes
    ----------
    labels : (H, W) uint8 array
        Item index per pixel (:data:`~runwaycut.garment.items_inputs.ITEM_NAMES`); 0
        (background) exactly outside ``figure``. Read-only (copy it to edit).
    figure : (H, W) bool array
        The figure: the one given (or found) plus what was taken in (``taken_in``).
    taken_in : int
        Pixels added to the figure (a carried bag the person mask missed).
    logits : (14, rows, cols) float32 array
        The network's answer over its window (mirrored and zoomed windows averaged in:
        :func:`window_logits`).
    affine : (2, 3) float64 array
        Photo pixels to window pixels.
    colors : dict of str to list of GarmentColor
        Dominant colours of each item present (skin, hair and background excluded
        only when ``colors`` was off: then empty).
    warnings : tuple of str
    garment : GarmentResult or None
        The four-class map made with the garment's pixel classifier
        (:mod:`runwaycut.garment.items_fusion`; ``labels`` agrees with :attr:`four_class`
        there); ``None`` when :func:`parse_items` ran without it (``fuse=False``).
    """

    labels: np.ndarray
    figure: np.ndarray
    taken_in: int
    logits: np.ndarray
    affine: np.ndarray
    colors: dict[str, list[GarmentColor]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    garment: GarmentResult | None = None

    def __post_init__(self):
        # Its own read-only copy (half a megabyte, 0.1 ms): the counts below are taken
        # once, so the map may not change under them (an edit in place raises).
        labels = np.array(self.labels, copy=True)
        labels.flags.writeable = False
        object.__setattr__(self, "labels", labels)

    @cached_property
    def counts(self) -> np.ndarray:
        """Pixels of each item, ``(14,) int64`` (counted once: :attr:`labels` is read-only)."""
        return item_counts(self.labels)

    @property
    def present(self) -> list[str]:
        """Names of the items found (background excluded), in class order."""
        counts = self.counts
        return [n for i, n in enumerate(ITEM_NAMES) if i > 0 and counts[i] > 0]

    def mask(self, item: str) -> np.ndarray:
        """(H, W) bool mask of one item (by name)."""
        if item not in ITEM_NAMES:
            raise ValueError(f"unknown item {item!r}; items are {', '.join(ITEM_NAMES)}")
        return self.labels == ITEM_NAMES.index(item)

    @property
    def masks(self) -> dict[str, np.ndarray]:
        """``{item: (H, W) bool mask}`` of every item present."""
        return {name: self.mask(name) for name in self.present}

    @property
    def four_class(self) -> np.ndarray:
        """The four-class map (background, garment, skin+hair, accessory), ``(H, W) uint8``."""
        return lookup(ITEM_TO_CLASS, self.labels)

    @cached_property
    def confidence(self) -> dict[str, float]:
        """How sure the item network is of each item present:
        :func:`~runwaycut.garment.items_model.item_confidence`."""
        return item_confidence(self.labels, self.logits, self.affine, self.counts)


def items_from_logits(logits: np.ndarray, affine: np.ndarray, figure: np.ndarray,
                      taken_in: tuple[str, ...] = TAKEN_IN,
                      take: TakeIn | None = None, upscale: int = UPSCALE,
                      min_share: float = MIN_ITEM_SHARE,
                      regions: tuple[np.ndarray, float] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The photo's item map from the network's window logits.

    The logits are enlarged ``upscale`` times (bilinear), each enlarged pixel takes its
    likeliest item, and the photo's pixels take the item of the enlarged pixel they fall
    on: item borders land within a photo pixel or two, at a fraction of the cost of
    enlarging 14 maps to the photo's size; the figure's own outline is the mask's.

    Parameters
    ----------
    logits : (14, rows, cols) float32 array
    affine : (2, 3) array
        Photo pixels to window pixels
        (:func:`~runwaycut.garment.items_inputs.crop_transform`).
    figure : (H, W) bool array
    taken_in : tuple of str
        Items that may join the figure outside it (see :class:`TakeIn` for when).
    take : TakeIn, optional
        The rule; :class:`TakeIn` defaults.
    upscale : int
    min_share : float
        Items holding less than this share of the (final) figure are dropped, their pixels
        given the likeliest remaining item (:data:`MIN_ITEM_SHARE`; 0 keeps every item).
    regions : (regions, scale), optional
        :attr:`GarmentResult.regions` and ``scale``: the enlarged logits are first pulled
        towards their region's mean (:func:`~runwaycut.garment.items_fusion.smooth_in_regions`).

    Returns
    -------
    labels : (H, W) uint8 array
        Inside the figure, the likeliest item other than background; outside it, 0 but
        where an item of ``taken_in`` was taken in.
    figure : (H, W) bool array
        ``figure`` plus the regions taken in.
    """
    H, W = figure.shape
    k = len(logits)
    big, to_big = _enlarged(logits, affine, upscale)
    if regions is not None:
        smooth_in_regions(big, to_big, *regions)
    item = _argmax_planes(big, range(1, k))
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    item_full = cv2.warpAffine(item, to_big, (W, H), flags=flags,
                               borderMode=cv2.BORDER_REPLICATE)
    labels = np.zeros((H, W), np.uint8)
    box = bounding_box(figure)
    if box is not None:  # (a full-size pass over the figure's box only)
        labels[box] = np.where(figure[box], item_full[box], np.uint8(0))
    taken = _carried(big, to_big, figure, taken_in, take)
    if taken is not None:
        carried, add = taken
        labels[add] = carried[add]
        figure = figure | add
    else:
        figure = figure.copy()  # (the caller's mask is never handed back as the result's)
    counts = item_counts(labels)  # (labels are 0 exactly off the figure)
    counts[0] = 0
    minor = np.flatnonzero((counts > 0) & (counts < min_share * max(counts.sum(), 1)))
    minor = minor[minor > 0]
    if minor.size and minor.size < np.count_nonzero(counts[1:]):  # some item must remain
        # Neither background, nor a minor item, nor an absent one may take their pixels.
        kept = [c for c in range(1, k) if counts[c] > 0 and c not in minor]
        refill = cv2.warpAffine(_argmax_planes(big, kept), to_big,
                                (W, H), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        is_minor = np.zeros(256, bool)
        is_minor[minor] = True
        stray = lookup(is_minor, labels)  # (a table: np.isin sorts the whole map)
        labels[stray] = refill[stray]
    return labels, figure


def carried_items(logits: np.ndarray, affine: np.ndarray, figure: np.ndarray,
                  taken_in: tuple[str, ...] = TAKEN_IN, take: TakeIn | None = None,
                  upscale: int = UPSCALE) -> tuple[np.ndarray, np.ndarray]:
    """Only what :func:`items_from_logits` takes in: the carried items outside the
    figure, without the item map inside it (which the fused map replaces).

    Returns
    -------
    carried : (H, W) uint8 array
        The item of each pixel taken in, 0 elsewhere; equal to the labels of
        :func:`items_from_logits` there (a region taken in holds at least ``min_area``
        of the figure, more than :data:`MIN_ITEM_SHARE`, so no item there is dropped).
    figure : (H, W) bool array
        ``figure`` plus the pixels taken in.
    """
    big, to_big = _enlarged(logits, affine, upscale)
    taken = _carried(big, to_big, figure, taken_in, take)
    if taken is None:
        return np.zeros(figure.shape, np.uint8), figure.copy()
    carried, add = taken
    carried[~add] = 0
    return carried, figure | add


def _enlarged(logits: np.ndarray, affine: np.ndarray, upscale: int):
    """The logits enlarged ``upscale`` times, one contiguous plane per item (the
    reductions over items are then whole-plane operations, not a strided reduction),
    and the photo-pixel -> enlarged-pixel transform (centres to centres)."""
    k, rows, cols = np.shape(logits)
    size = (cols * upscale, rows * upscale)
    big = np.empty((k, size[1], size[0]), np.float32)
    for plane, out in zip(np.asarray(logits, np.float32), big):  # into place: no stacking copy
        cv2.resize(np.ascontiguousarray(plane), size, dst=out, interpolation=cv2.INTER_LINEAR)
    return big, to_enlarged(affine, upscale)


def _carried(big: np.ndarray, to_big: np.ndarray, figure: np.ndarray,
             taken_in: tuple[str, ...], take: TakeIn | None
             ) -> tuple[np.ndarray, np.ndarray] | None:
    """The take-in rule (:class:`TakeIn`) on enlarged logits: ``(items, add)``, the
    likeliest of the ``taken_in`` items per photo pixel (valid where ``add``) and the
    ``(H, W) bool`` pixels that join the figure; None when none does (most photos:
    no full-size map is made for them)."""
    take = TakeIn() if take is None else take
    H, W = figure.shape
    if not taken_in or not figure.any():
        return None
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    wanted = [ITEM_NAMES.index(n) for n in taken_in]
    likely = _likely_carried(big, wanted, take.min_probability).astype(np.uint8)
    outside = cv2.warpAffine(likely, to_big, (W, H), flags=flags,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    outside &= ~figure
    # The rest reads only around the candidates: their box, widened by the opening's
    # and the reach's radius, holds every pixel the morphology below reads or changes.
    r = round(take.opening * H)
    reach = max(1, round(take.reach * H))
    box = bounding_box(outside, max(r, reach) + 1)
    if box is None:
        return None
    near_outside = outside[box].view(np.uint8)
    if r > 0:  # rims along the outline go; a bag's body stays
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        near_outside = cv2.morphologyEx(near_outside, cv2.MORPH_OPEN, disc)
    if not near_outside.any():
        return None
    n, comp, stats, _ = cv2.connectedComponentsWithStats(near_outside, connectivity=8)
    near = cv2.dilate(figure[box].view(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))).astype(bool)
    touching = np.zeros(n, bool)
    touching[np.unique(comp[near & (near_outside > 0)])] = True
    big_enough = stats[:, cv2.CC_STAT_AREA] >= take.min_area * np.count_nonzero(figure)
    keep = touching & big_enough
    keep[0] = False
    if not keep.any():
        return None
    add = np.zeros((H, W), bool)
    add[box] = keep[comp]
    # The likeliest carried item over the box only (the map shifted to the box's corner).
    y0, x0 = box[0].start, box[1].start
    to_box = to_big.copy()
    to_box[:, 2] += to_big[:, 0] * x0 + to_big[:, 1] * y0
    carried = np.zeros((H, W), np.uint8)
    carried[box] = cv2.warpAffine(_argmax_planes(big, wanted), to_box,
                                  (box[1].stop - x0, box[0].stop - y0), flags=flags,
                                  borderMode=cv2.BORDER_REPLICATE)
    return carried, add


def _likely_carried(big: np.ndarray, wanted: list[int], min_probability: float) -> np.ndarray:
    """Where the softmax of the ``wanted`` planes of ``big`` (``(k, rows, cols)`` logits)
    adds up to at least ``min_probability``: ``(rows, cols) bool``.

    The softmax's denominator is at least 1 after the largest logit is subtracted, so
    the wanted planes' exponentials alone bound their share from above: the whole
    softmax is computed only at the few pixels where that bound reaches
    ``min_probability``.
    """
    top = big[0].copy()
    for plane in big[1:]:
        np.maximum(top, plane, out=top)
    bound = np.zeros_like(top)
    for c in wanted:
        bound += np.exp(big[c] - top)
    likely = bound >= min_probability
    where = np.flatnonzero(likely)
    if len(where):
        flat, top = big.reshape(len(big), -1)[:, where], top.ravel()[where]
        total = np.zeros_like(top)
        carried = np.zeros_like(top)
        for c, plane in enumerate(flat):
            p = np.exp(plane - top)
            total += p
            if c in wanted:
                carried += p
        likely.reshape(-1)[where] = carried >= min_probability * total  # (a view)
    return likely


def _argmax_planes(planes: np.ndarray, which) -> np.ndarray:
    """Per pixel, the index (into ``planes``) of the largest of the planes ``which``
    (ties to the first listed, as ``argmax``): ``(rows, cols) uint8``."""
    which = list(which)
    best = planes[which[0]].copy()
    index = np.full(best.shape, which[0], np.uint8)
    for c in which[1:]:
        np.copyto(index, np.uint8(c), where=planes[c] > best)
        np.maximum(best, planes[c], out=best)
    return index


@lru_cache(maxsize=1)
def _default_figure_method():
    from ..methods.auto import AutoMethod

    return AutoMethod(soft=False)


def parse_items(image: np.ndarray, figure: np.ndarray | None = None, *,
                landmarks: np.ndarray | None | str = DETECT,
                probability: np.ndarray | None = None, net: ItemNet | None = None,
                colors: ColorParams | None = ITEM_COLORS,
                taken_in: tuple[str, ...] = TAKEN_IN, fuse: bool = True,
                garment_model: GarmentModel | None = None) -> ItemsResult:
    """The outfit item by item: label map, per-item masks and colours.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    figure : (H, W) bool array, optional
        The figure mask; by default the auto backend's (which also gives the figure
        probability and the pose).
    landmarks : (>=33, >=2) float array, None or 'detect'
        Pose landmarks in photo pixels; ``'detect'`` (default) runs the person models
        when ``figure`` is given (the auto backend's pose otherwise); ``None``: no pose
        (the network's body-part maps then come from the garment model's mean pose over
        the figure's box, and ``warnings`` says so).
    probability : (H, W) float array in [0, 1], optional
        The figure probability the network sees; the figure mask itself by default.
    net : ItemNet, optional
        The shipped network by default (:func:`load_item_net`).
    colors : ColorParams or None
        How each item's dominant colours are found; ``None``: no colours.
    taken_in : tuple of str
        Items that may join the figure outside it (see :func:`items_from_logits`).
    fuse : bool
        Weigh the items with the garment's pixel classifier
        (:mod:`runwaycut.garment.items_fusion`; ``result.garment`` is then the four-class
        map of both); ``False``: the network alone.
    garment_model : GarmentModel, optional
        The pixel classifier when ``fuse``; the shipped one by default.

    Returns
    -------
    result : ItemsResult

    Raises
    ------
    InvalidImageError
        For an image that is not ``(H, W, 3) uint8`` or a mask of another size.
    ModelError
        When the shipped network cannot be loaded.

    Examples
    --------
    >>> import runwaycut
    >>> image = runwaycut.read_image("examples/photos/0087.jpg")  # doctest: +SKIP
    >>> items = runwaycut.parse_items(image)                      # doctest: +SKIP
    >>> items.present                                              # doctest: +SKIP
    ['skin', 'hair', 'top', 'outerwear', 'pants', 'shoes']
    """
    image = rgb_image(image)
    if isinstance(landmarks, str) and landmarks != DETECT:  # before the figure's step uses it
        raise ValueError(f"landmarks must be an array, None or {DETECT!r}, got {landmarks!r}")
    warnings: list[str] = []
    if figure is None:
        found = _default_figure_method().predict(image)
        figure, details = found.mask, found.details
        probability = details.get("probability") if probability is None else probability
        landmarks = details.get("landmarks") if isinstance(landmarks, str) else landmarks
        warnings.extend(details.get("warnings", []))
    figure = mask_of(figure, image, "figure mask")
    if isinstance(landmarks, str):
        landmarks, found_warnings = detect_pose(image) if figure.any() else (None, ())
        warnings.extend(found_warnings)
    if probability is None:
        probability = figure.astype(np.float32)
    elif probability.shape != figure.shape:
        raise InvalidImageError(f"figure probability of shape {probability.shape} does not "
                                f"match the image {image.shape[:2]}")
    net = load_item_net() if net is None else net
    placed = _placed(landmarks, figure, garment_model)
    logits, affine = window_logits(net, image, probability, placed, figure_box(figure))
    garment = None
    if figure.any() and fuse:
        carried, full = carried_items(logits, affine, figure, taken_in)
        labels, garment = _fused(image, carried, full, figure, logits, affine, landmarks,
                                 garment_model, taken_in)
    elif figure.any():
        labels, full = items_from_logits(logits, affine, figure, taken_in)
    else:
        labels, full = np.zeros(figure.shape, np.uint8), figure
        warnings.append("no figure: no items")
    if landmarks is None and figure.any():
        warnings.append("no pose: items placed by the mean pose over the figure's box, a "
                        "less reliable item map")
    result = ItemsResult(labels=labels, figure=full, taken_in=int(full.sum() - figure.sum()),
                         logits=logits, affine=affine, warnings=tuple(dict.fromkeys(warnings)),
                         garment=garment)
    if colors is not None:
        result = item_colors(image, result, colors)
    return result


def _placed(landmarks, figure, model: GarmentModel | None):
    """The landmarks the network's body-part maps are drawn from: the pose's, or without
    one the garment model's mean pose over the figure's box (as its classifier does:
    :func:`~runwaycut.garment.body.body_frame`). Every training photo had a pose, so a
    window without body parts is unlike any the network saw: on 24 held-out photos with
    the landmarks withheld, mean item IoU 0.280 without them, 0.421 with the mean pose
    (0.506 with the pose)."""
    if landmarks is not None or not figure.any():
        return landmarks
    mean_pose = (load_garment_model() if model is None else model).priors.mean_pose
    return body_frame(figure, None, mean_pose).points


def _fused(image, carried, full, figure, logits, affine, landmarks, model, taken_in):
    """Item map and four-class map of the network and the pixel classifier together
    (:mod:`runwaycut.garment.items_fusion`); what was taken in keeps its item
    (``carried``, :func:`carried_items`)."""
    garment = label_garment(image, full, landmarks=landmarks, model=model)
    if not garment.probabilities.any():  # figure too small for the classifier: the network's
        labels, _ = items_from_logits(logits, affine, figure, taken_in)
        return labels, replace(garment, labels=lookup(ITEM_TO_CLASS, labels))
    prior = garment_prior(garment.probabilities, garment.scale, affine, logits.shape[1:])
    regions = None if garment.regions is None else (garment.regions, garment.scale)
    weighed = logits + np.float32(FUSION_WEIGHT) * prior
    fused, _ = items_from_logits(weighed, affine, full, (), regions=regions)
    taken = full & ~figure
    fused[taken] = carried[taken]
    classes = fused_classes(fused, garment.labels)
    fused, classes = regroup(fused, classes, weighed, affine, UPSCALE, MIN_ITEM_SHARE)
    return fused, replace(garment, labels=classes)


def with_items(image: np.ndarray, result, colors=ITEM_COLORS, fuse: bool = True,
               garment_model: GarmentModel | None = None):
    """A figure backend's result with ``details["items"]`` (:func:`parse_items`, reusing
    the backend's figure probability and pose) and its figure widened by what the items
    took in: mask, alpha and foreground colours where the backend has them. A result
    that already holds its items is returned as is."""
    if "items" in result.details:
        return result
    details = dict(result.details)
    landmarks = details.get("landmarks") if "person_found" in details else "detect"
    items = parse_items(image, result.mask, landmarks=landmarks,
                        probability=details.get("probability"), colors=colors, fuse=fuse,
                        garment_model=garment_model)
    details["items"] = items
    details["warnings"] = list(dict.fromkeys(list(details.get("warnings", []))
                                             + [w for w in items.warnings
                                                if w != "no figure: no items"]))
    changes: dict[str, Any] = {"details": details}
    if items.taken_in:
        added = items.figure & ~result.mask
        changes["mask"] = items.figure
        if result.alpha is not None:
            alpha = result.alpha.copy()
            alpha[added] = 1.0
            changes["alpha"] = alpha
        if result.foreground is not None:
            foreground = result.foreground.copy()
            foreground[added] = image[added]
            changes["foreground"] = foreground
    return replace(result, **changes)


def item_colors(image: np.ndarray, result: ItemsResult,
                params: ColorParams = ITEM_COLORS) -> ItemsResult:
    """``result`` with the dominant colours of each item present (skin and hair too).

    Each item's own pixels are clustered (:func:`garment_colors` of the item's mask,
    ``params``: at most ``params.max_colors`` colours, a seeded draw of
    ``params.sample`` pixels of a larger item), their pixels found in one pass over the
    figure rather than one mask per item, all items' clusters named at once.

    Notes
    -----
    Measured against the colours of the hand-labelled item (the same clustering of all
    the pixels its labels give it) on the 90 CCP photos the item network never saw, 529
    items found and labelled: the first colour's name agrees for 0.737 of the items
    (family 0.798; shares overlapping 0.725); 0.730, 0.783 and 0.723 with 2,000 pixels
    drawn, in 1.25x the time. The figure's colours clustered once and each item's
    pixels given the nearest, as before, agreed for 0.546 (family 0.656; overlap
    0.540): a small item's own colour was lost to the figure's larger ones (denim
    shorts under a charcoal jacket called charcoal), in about the same time
    (``benchmarks/bench_items.py --colours``: 20 ms a photo either way).
    """
    counts = result.counts
    present = np.flatnonzero(counts[1:]) + 1
    if not len(present):
        return replace(result, colors={})
    image = np.ascontiguousarray(image)
    index = np.flatnonzero(result.labels)  # (labels are 0 exactly outside the figure)
    item = result.labels.ravel()[index]
    # Stable: each item's flat indices stay increasing, as np.flatnonzero of its mask.
    order = np.argsort(item, kind="stable")
    ends = np.cumsum(np.bincount(item, minlength=len(ITEM_NAMES)))
    clusters = [colour_clusters(image, index[order[ends[i] - counts[i]:ends[i]]], params)
                for i in present]
    # All items' clusters named in one evaluation against the colour table.
    names = iter(name_colors(np.concatenate([centres for centres, _ in clusters])))
    found = {}
    for i, (centres, weights) in zip(present, clusters):
        found[ITEM_NAMES[i]] = named_colours(centres, weights, [next(names) for _ in weights])
    return replace(result, colors=found)
