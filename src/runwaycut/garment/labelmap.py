"""From a photo and its figure mask to the four-class label map.
"""

from __future__ import annotations



from functools import lru_cache

import cv2
import numpy as np

from .guided import guided_labels
from .features import FeatureSet, _scatter, pixel_features, to_work, work_scale
from .model import GarmentModel, load_garment_model
from .types import BACKGROUND, FIGURE_CLASSES, GARMENT, GarmentParams, GarmentResult, _N_BODY
from .checks import mask_of, rgb_image



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
        maps = cv2.GaussianBlur(maps, (0, 0), smooth)
        norm = cv2.GaussianBlur(inside, (0, 0), smooth)
        # Divided by the figure's weight: not diluted at the outline, and carried a few
        # pixels past it (figure pixels of the full-size mask that the working one lacks).
        reached = norm > 1e-3
        maps /= np.maximum(norm, np.float32(1e-3))[..., None]  # (in place: float32 all along)
        maps[~reached] = 0
        inside = reached.astype(np.float32)
    maps[..., FIGURE_CLASSES.index(GARMENT)] += 1 - inside
    return maps


def figure_regions(image: np.ndarray, index: np.ndarray, shape: tuple[int, int],
                   params: GarmentParams = GarmentParams()) -> np.ndarray:
    """Regions of like colour over the figure: Felzenszwalb-Huttenlocher graph
    segmentation of the figure's bounding box.

    The box is reduced ``params.region_reduce`` times (area-averaged) first, and the
    segmentation's parameters converted to the reduced pixels: its scale and smallest
    region divided by the factor squared (they count pixels), its smoothing by the
    factor. Each figure pixel takes the region of the reduced pixel it falls on
    (OpenCV's nearest-neighbour mapping).

    Parameters
    ----------
    image : (h, w, 3) uint8 array
        The working-size photo.
    index : (N,) int array
        Flat indices of the figure pixels.
    shape : (h, w)
    params : GarmentParams
        ``regions`` (the segmentation's scale), ``region_sigma``, ``region_min_size``,
        all in working pixels, and ``region_reduce``.

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
    box = image[y0:y1, x0:x1]
    f = params.region_reduce
    h, w = y1 - y0, x1 - x0
    rh, rw = max(1, round(h / f)), max(1, round(w / f))
    if (rh, rw) != (h, w):
        box = cv2.resize(box, (rw, rh), interpolation=cv2.INTER_AREA)
    # Four times fewer pixels at f = 2: the segmentation (a sort of every edge) was the
    # garment step's largest cost. Garment F1 (auto figure) 0.9305 -> 0.9316 on the 90
    # photos benchmarks/bench_items.py scores (0.9171 -> 0.9188 on the 30 held out),
    # 0.9410 -> 0.9439 on 60 other dev photos.
    seg = felzenszwalb(box, scale=params.regions / f ** 2, sigma=params.region_sigma / f,
                       min_size=max(1, round(params.region_min_size / f ** 2)))
    ry = np.minimum(np.floor((ys - y0) * (rh / h)).astype(np.intp), rh - 1)
    rx = np.minimum(np.floor((xs - x0) * (rw / w)).astype(np.intp), rw - 1)
    found = seg[ry, rx].ravel()
    # Numbered 0 .. R-1 in the order of the regions' labels (as np.unique would).
    present = np.bincount(found) > 0
    return (np.cumsum(present) - 1)[found].astype(np.int64)


def region_mean(region: np.ndarray, values: np.ndarray,
                rows: np.ndarray | None = None) -> np.ndarray:
    """Each row replaced by the mean of its region's rows.

    Parameters
    ----------
    region : (N,) int array
        Region number of each row (:func:`figure_regions`).
    values : (M, C) array
        The values of the rows ``rows`` (of every row when ``rows`` is None, M = N).
    rows : (N,) bool array, optional
        The rows ``values`` belong to; each region must hold one of them.

    Returns
    -------
    means : (N, C) float32 array
    """
    measured = region if rows is None else region[rows]
    count = np.bincount(measured, minlength=int(region.max()) + 1).astype(np.float64)
    sums = np.stack([np.bincount(measured, weights=values[:, c], minlength=len(count))
                     for c in range(values.shape[1])], axis=1)
    return (sums / np.maximum(count, 1)[:, None])[region].astype(np.float32)


def region_rows(region: np.ndarray, index: np.ndarray, width: int) -> np.ndarray:
    """The figure pixels the classifier runs on when each pixel takes its region's mean:
    half of them (a checkerboard of working pixels) and every pixel of a region the
    checkerboard misses, so that every region's mean is measured.

    A region's mean is as good from half its pixels: on the 90 CCP photos
    ``benchmarks/bench_items.py`` scores, garment F1 0.9316 (auto figure) and 0.9454
    (hand-labelled figure) either way, at half the classifier's time.

    Parameters
    ----------
    region : (N,) int array
    index : (N,) int array
        Flat indices of the figure pixels in the working image.
    width : int
        The working image's width.

    Returns
    -------
    rows : (N,) bool array
    """
    ys, xs = np.divmod(np.asarray(index), width)
    rows = (ys + xs) % 2 == 0
    missed = np.bincount(region[rows], minlength=int(region.max()) + 1) == 0
    return rows | missed[region]


def photo_labels(small: np.ndarray, maps: np.ndarray, image: np.ndarray, figure: np.ndarray,
                 params: GarmentParams = GarmentParams()) -> np.ndarray:
    """Four-class labels of the photo from working-size class probability maps.

    The maps are brought to the photo's size along its edges by a guided filter steered
    by the photo (:func:`runwaycut.garment.guided.guided_labels`, inside the figure's
    box only) when ``params.guided_radius > 0``, by bilinear resizing otherwise; each
    figure pixel takes the likeliest class (:func:`label_map`).

    Parameters
    ----------
    small : (h, w, 3) uint8 array
        The working-size photo.
    maps : (h, w, 3) float32 array
        See :func:`probability_maps`.
    image : (H, W, 3) uint8 array
        The photo.
    figure : (H, W) bool array

    Returns
    -------
    labels : (H, W) uint8 array
    """
    H, W = image.shape[:2]
    if params.guided_radius > 0:
        return guided_labels(small, maps, image, figure, params.guided_radius, params.guided_eps)
    if maps.shape[:2] != (H, W):
        maps = cv2.resize(maps, (W, H), interpolation=cv2.INTER_LINEAR).reshape(H, W, -1)
    return label_map(maps, figure)


def label_map(maps: np.ndarray, figure: np.ndarray) -> np.ndarray:
    """Four-class labels from probability maps of the photo's size.

    Parameters
    ----------
    maps : (H, W, 3) float32 array
        Garment, skin+hair and accessory probabilities at the photo's size.
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
    from ..person.segmenter import PersonSegmenter

    return PersonSegmenter()


def detect_pose(image: np.ndarray, segmenter=None) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Pose landmarks of the photo's central person, in the photo's pixels.

    Runs :class:`runwaycut.person.segmenter.PersonSegmenter` at the person backends' working size
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
    from ..methods.person import MAX_SIDE, working_image

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
    image = rgb_image(image)
    figure = mask_of(figure, image, "figure mask")
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
    # The regions first: when each takes its mean, the classifier sees about half of the
    # figure's pixels (:func:`region_rows`), and only those are described.
    region = rows = regions = None
    index = np.flatnonzero(fig.ravel())
    if params.regions > 0 and len(index):
        region = figure_regions(small, index, fig.shape, params)
        rows = region_rows(region, index, fig.shape[1])
    fs = pixel_features(small, fig, work_landmarks, model.priors, params, rows=rows)
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
        if region is not None:
            # (C order, as the rows picked out of all the figure's were)
            proba = region_mean(region, model.net.predict_proba(
                np.ascontiguousarray(fs.features)), rows)
            regions = np.full(fs.shape, -1, np.int32)
            regions.flat[fs.index] = region
        else:
            proba = model.predict(fs)
        maps = probability_maps(fs, proba, params.smooth)
        labels = photo_labels(small, maps, image, figure, params)
    return GarmentResult(labels=labels, probabilities=maps, frame=fs.frame, skin=fs.skin,
                         hair=fs.hair, scale=scale, warnings=tuple(dict.fromkeys(warnings)),
                         regions=regions)


def label_figure_result(image: np.ndarray, result, *, model: GarmentModel | None = None,
                        params: GarmentParams = GarmentParams(), segmenter=None) -> GarmentResult:
    """:func:`label_garment` on a backend's :class:`~runwaycut.methods.FigureResult`,
    reusing the pose the person and auto backends already found."""
    details = getattr(result, "details", {}) or {}
    landmarks = details.get("landmarks", DETECT) if "person_found" in details else DETECT
    return label_garment(image, result.mask, landmarks=landmarks, model=model, params=params,
                         segmenter=segmenter)
