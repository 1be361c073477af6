"""Intrinsic features of a photo, for predicting its best colour threshold without labels.

The design note's stated goal is to choose the threshold "based on intrinsic features of
the image". Its author's candidates (NOTES.md) were per-row and per-column means and
standard deviations of each channel and of grey; we add statistics of the sampled
palette, of the edge strips against the centre, and the shape of the distance map's
histogram, which is what the threshold actually cuts.

Every feature is computed from the photo alone, in a few milliseconds, and the vector
has a fixed length whatever the photo's size (:data:`FEATURE_NAMES`).
"""

from __future__ import annotations

import cv2
import numpy as np

from .colormask import distance_map
from .palette import Palette, PaletteParams, sample_palette, strip_width

#: Bins of the resampled row/column profiles.
PROFILE_BINS = 8
#: Thresholds (absolute levels) at which the distance map's cumulative histogram is read.
CDF_LEVELS = (2, 5, 10, 15, 20, 25, 30, 40, 60, 90)
#: Quantiles of the distance map reported.
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Width the photo is shrunk to for the profile statistics (as the original's 200 px).
PROFILE_WIDTH = 200

_CHANNELS = ("r", "g", "b", "grey")


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
    for region in ("all", "centre", "strips"):
        names += [f"dist_cdf_{region}_{t}" for t in CDF_LEVELS]
        names += [f"dist_q{int(q * 100)}_{region}" for q in QUANTILES]
    names += ["aspect"]
    return names


#: Names of the features, in order.
FEATURE_NAMES: tuple[str, ...] = tuple(_names())


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
        Its absolute-band distance map to ``palette`` (computed when omitted).
    palette_params : PaletteParams
        Sampling used when ``palette`` is omitted, and the strip width.

    Returns
    -------
    features : (len(FEATURE_NAMES),) float64 array
        Deterministic for a given photo and palette parameters.
    """
    if palette is None:
        palette = sample_palette(image, palette_params)
    if distance is None or distance.dtype != np.uint8:
        distance = distance_map(image, palette.colors, "absolute")
    h, w = image.shape[:2]
    parts = [_profiles(image)]

    colors = palette.colors.astype(np.float64)
    spread = np.abs(colors[:, None, :] - colors[None, :, :]).max(-1)
    parts.append(colors.std(axis=0) / 255.0)
    parts.append([spread.mean() / 255.0, colors.mean() / 255.0])

    sw = strip_width(w, palette_params.strip)
    left = image[:, :sw].reshape(-1, 3).astype(np.float32)
    right = image[:, -sw:].reshape(-1, 3).astype(np.float32)
    centre = image[:, w // 3: w - w // 3].reshape(-1, 3).astype(np.float32)
    strips_mean = np.concatenate([left, right]).mean(0)
    parts.append(np.concatenate([left.std(0), right.std(0)]) / 255.0)
    parts.append([np.abs(centre.mean(0) - strips_mean).max() / 255.0,
                  np.abs(left.mean(0) - right.mean(0)).max() / 255.0])

    centre_d = distance[:, w // 3: w - w // 3]
    strips_d = np.concatenate([distance[:, :sw], distance[:, -sw:]], axis=1)
    for region in (distance, centre_d, strips_d):
        hist = np.bincount(region.ravel(), minlength=256).astype(np.float64)
        cdf = np.cumsum(hist) / max(hist.sum(), 1)
        parts.append(cdf[list(CDF_LEVELS)])
        parts.append(np.searchsorted(cdf, QUANTILES) / 255.0)
    parts.append([h / w])
    return np.concatenate([np.asarray(p, np.float64).ravel() for p in parts])


def _profiles(image: np.ndarray) -> np.ndarray:
    """Column and row mean/std profiles of R, G, B and grey, resampled to fixed bins."""
    h, w = image.shape[:2]
    small_h = max(PROFILE_BINS, int(round(h * PROFILE_WIDTH / w)))
    small = cv2.resize(image, (PROFILE_WIDTH, small_h), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    stack = np.dstack([small, grey]).astype(np.float32) / 255.0
    out = []
    for axis in (0, 1):  # 0: down the rows -> per-column profile; 1: per-row profile
        means = stack.mean(axis=axis)
        stds = stack.std(axis=axis)
        for prof in (means, stds):
            # (length, 4) profile -> (PROFILE_BINS, 4), then channel-major like the names.
            out.append(_bin_mean(prof, PROFILE_BINS).T.ravel())
    return np.concatenate(out)


def _bin_mean(profile: np.ndarray, bins: int) -> np.ndarray:
    """Average a (length, C) profile over ``bins`` equal consecutive segments."""
    edges = np.linspace(0, len(profile), bins + 1).round().astype(int)
    return np.stack([profile[a:b].mean(axis=0) for a, b in zip(edges[:-1], edges[1:])])
