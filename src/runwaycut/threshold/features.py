"""Intrinsic features of a photo, for predicting its best colour threshold without labels.

The design note's stated goal is to choose the threshold "based on intrinsic features of
the image". Its author's candidates (NOTES.md) were per-row and per-column means and
standard deviations of each channel and of grey; we add statistics of the sampled
palette, of the edge strips against the centre, and the shape of the distance map's
histogram, which is what the threshold actually cuts.

Every feature is computed from the photo alone and the vector has a fixed length
whatever the photo's size (:data:`FEATURE_NAMES`). Colour statistics are read from a
copy shrunk to about :data:`PROFILE_WIDTH` pixels wide (as the original's 200 px), the
distance histograms from the full-size map, so that the features cost a few
milliseconds once the palette and the distance map exist.

**Person features** (:data:`PERSON_FEATURE_NAMES`, :func:`runwaycut.threshold.person_agreement.person_features`) add what the
shipped person models (:mod:`runwaycut.person.segmenter`) say about the photo, summarised from one
sweep of the figure mask over thresholds ``0 .. 80``: the threshold whose figure best
agrees with the person mask (the ``person`` rule), the agreement curve's height and
sharpness around it, the figure's, person's and face's sizes, and the original's
figure-to-face ratio. They cost the person models and the sweep (about 0.15 s a photo);
:data:`FEATURE_SETS` names the two sets a threshold model can be trained on.
"""

from __future__ import annotations



import cv2
import numpy as np

from ..note.colormask import distance_map
from ..note.palette import Palette, PaletteParams, sample_palette, strip_width

#: Bins of the resampled row/column profiles.
PROFILE_BINS = 8
#: Thresholds (absolute levels) at which the distance map's cumulative histogram is read.
CDF_LEVELS = (2, 5, 10, 15, 20, 25, 30, 40, 60, 90)
#: Quantiles of the distance map reported.
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Least width the photo is shrunk to (by a whole factor) for the colour statistics.
PROFILE_WIDTH = 200
#: Version of the feature definitions (photo and person); a saved model records it.
FEATURES_VERSION = 3

_CHANNELS = ("r", "g", "b", "grey")
_REGIONS = ("all", "centre", "strips")


def _names() -> list[str]:
    names = []
    for axis in ("col", "row"):
        for stat in ("mean", "std"):
            for ch in _CHANNELS:
                names += [f"{axis}_{stat}_{ch}_{i}" for i in range(PROFILE_BINS)]
    names += [f"palette_std_{c}" for c in "rgb"]
    names += ["palette_spread", "palette_brightness"]
    names += [f"strip_std_{side}_{c}" for side in ("left", "right") for c in "rgb"]
    names += ["strip_centre_contrast", "left_right_contrast"]
    for region in _REGIONS:
        names += [f"dist_cdf_{region}_{t}" for t in CDF_LEVELS]
        names += [f"dist_q{int(q * 100)}_{region}" for q in QUANTILES]
    names += ["aspect"]
    return names


#: Names of the features, in order.
FEATURE_NAMES: tuple[str, ...] = tuple(_names())

#: Offsets (levels) from the person threshold at which the agreement's drop is read.
AGREEMENT_OFFSETS = (-5, -2, 2, 5)
#: Agreement within this of its maximum counts toward the plateau width.
PLATEAU_TOLERANCE = 0.01

#: Names of the person features (:func:`runwaycut.threshold.person_agreement.person_features`), in order.
PERSON_FEATURE_NAMES: tuple[str, ...] = (
    "person_t", "agree_max", "agree_default",
    *(f"agree_drop_{'m' if k < 0 else 'p'}{abs(k)}" for k in AGREEMENT_OFFSETS),
    "agree_plateau", "figure_fraction", "person_fraction", "figure_person_ratio",
    "face_found", "face_fraction", "face_figure_log_ratio", "face_figure_log_ratio_default",
    "face_ratio_t",
)

#: Feature set name -> feature names, in the order a model reads them.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "photo": FEATURE_NAMES,
    "photo+person": FEATURE_NAMES + PERSON_FEATURE_NAMES,
}


def image_features(image: np.ndarray, palette: Palette | None = None,
                   distance: np.ndarray | None = None,
                   palette_params: PaletteParams = PaletteParams()) -> np.ndarray:
    """Feature vector of a photo.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    palette : Palette, optional
        Its sampled palette (sampled with ``palette_params`` when omitted).
    distance : (H, W) uint8 array, optional
        Its absolute-band distance map to ``palette`` (computed when omitted, or when a
        relative-band float32 map is given: the features always read the absolute one).
    palette_params : PaletteParams
        Sampling used when ``palette`` is omitted, and the strip width.

    Returns
    -------
    features : (len(FEATURE_NAMES),) float64 array
        Deterministic for a given photo and palette; named by :data:`FEATURE_NAMES`.

    Examples
    --------
    >>> import numpy as np
    >>> photo = np.full((120, 80, 3), 200, np.uint8)
    >>> photo[20:110, 30:50] = (150, 20, 30)
    >>> image_features(photo).shape == (len(FEATURE_NAMES),)
    True
    """
    if palette is None:
        palette = sample_palette(image, palette_params)
    if distance is None or distance.dtype != np.uint8 or distance.shape != image.shape[:2]:
        distance = distance_map(image, palette.colors, "absolute")
    h, w = image.shape[:2]
    small = _shrink(image)
    parts = [_profiles(small)]

    colors = palette.colors.astype(np.float64)
    spread = np.abs(colors[:, None, :] - colors[None, :, :]).max(-1)
    parts.append(colors.std(axis=0) / 255.0)
    parts.append([spread.mean() / 255.0, colors.mean() / 255.0])

    sw = strip_width(small.shape[1], palette_params.strip)
    third = small.shape[1] // 3
    left_m, left_s = _mean_std(small[:, :sw])
    right_m, right_s = _mean_std(small[:, -sw:])
    centre_m, _ = _mean_std(small[:, third:small.shape[1] - third])
    strips_m = (left_m + right_m) / 2
    parts.append(np.concatenate([left_s, right_s]) / 255.0)
    parts.append([np.abs(centre_m - strips_m).max() / 255.0,
                  np.abs(left_m - right_m).max() / 255.0])

    sw_full = strip_width(w, palette_params.strip)
    hist_left = _hist(distance[:, :sw_full])
    hist_right = _hist(distance[:, w - sw_full:])
    hists = (_hist(distance), _hist(distance[:, w // 3: w - w // 3]), hist_left + hist_right)
    for hist in hists:
        cdf = np.cumsum(hist) / max(hist.sum(), 1.0)
        parts.append(cdf[list(CDF_LEVELS)])
        parts.append(np.searchsorted(cdf, QUANTILES) / 255.0)
    parts.append([h / w])
    return np.concatenate([np.asarray(p, np.float64).ravel() for p in parts])


def _shrink(image: np.ndarray) -> np.ndarray:
    """The photo shrunk by the largest whole factor that keeps it at least
    :data:`PROFILE_WIDTH` wide (area averaging: a whole factor is several times faster
    than an arbitrary one), and at least :data:`PROFILE_BINS` pixels each way."""
    h, w = image.shape[:2]
    k = max(1, min(w // PROFILE_WIDTH, h // PROFILE_BINS))
    if k == 1 and w >= PROFILE_BINS and h >= PROFILE_BINS:
        return image
    size = (max(PROFILE_BINS, w // k), max(PROFILE_BINS, h // k))
    interpolation = cv2.INTER_AREA if k > 1 else cv2.INTER_NEAREST
    return cv2.resize(image, size, interpolation=interpolation)


def _mean_std(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of an (h, w, 3) region, float64 (3,)."""
    mean, std = cv2.meanStdDev(np.ascontiguousarray(region))
    return mean.ravel(), std.ravel()


def _hist(region: np.ndarray) -> np.ndarray:
    """256-bin histogram of a uint8 region, float64."""
    if region.size == 0:  # (a strip of no columns: OpenCV 5's calcHist refuses it)
        return np.zeros(256, np.float64)
    region = np.ascontiguousarray(region)
    return cv2.calcHist([region], [0], None, [256], [0, 256]).ravel().astype(np.float64)


def _profiles(small: np.ndarray) -> np.ndarray:
    """Column and row mean/std profiles of R, G, B and grey, resampled to fixed bins."""
    planes = [p.astype(np.float32) * np.float32(1 / 255)
              for p in (*cv2.split(small), cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))]
    out = []
    for axis in (0, 1):  # 0: down the rows -> per-column profile; 1: per-row profile
        means, stds = [], []
        for plane in planes:
            m = cv2.reduce(plane, axis, cv2.REDUCE_AVG, dtype=cv2.CV_64F).ravel()
            sq = cv2.reduce(plane * plane, axis, cv2.REDUCE_AVG, dtype=cv2.CV_64F).ravel()
            means.append(m)
            stds.append(np.sqrt(np.maximum(sq - m * m, 0)))
        for prof in (means, stds):
            # (length, 4) profile -> (PROFILE_BINS, 4), then channel-major like the names.
            out.append(_bin_mean(np.stack(prof, axis=1), PROFILE_BINS).T.ravel())
    return np.concatenate(out)


def _bin_mean(profile: np.ndarray, bins: int) -> np.ndarray:
    """Average a (length, C) profile over ``bins`` equal consecutive segments."""
    edges = np.linspace(0, len(profile), bins + 1).round().astype(int)
    sums = np.add.reduceat(profile, edges[:-1], axis=0)
    return sums / np.diff(edges)[:, None]


__all__ = ["AGREEMENT_OFFSETS", "CDF_LEVELS", "FEATURES_VERSION", "FEATURE_NAMES",
           "FEATURE_SETS", "PERSON_FEATURE_NAMES", "PLATEAU_TOLERANCE", "PROFILE_BINS",
           "PROFILE_WIDTH", "QUANTILES", "image_features"]
