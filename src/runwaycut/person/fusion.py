"""Fusing the person probability with the photo's own colours and edges.

The person models see the photo at 256x256, so their boundary is right to within a few
pixels of the full-size photo and little more. Near that boundary (the *band*) each
pixel is described by features that the models cannot see, and a small learned
classifier decides figure or background there:

* the person probabilities (combined, pose model, selfie model) and the signed distance
  to their boundary;
* the same probability smoothed by a guided filter steered by the photo (it snaps to
  the photo's edges);
* how close the pixel's colour is to the figure's and to the background's colours
  *nearby* (box-filtered means of the confident figure and background pixels in a
  small window, in full colour and in chroma alone, which shadows do not change) and
  *overall* (a colour-histogram log-likelihood ratio);
* the local edge strength, the height in the photo, and the distance to the hands (in
  person heights).

Features that earned nothing were dropped (issue 14): the palette method's colour
distance, the distance to the pose skeleton and a second, larger window of local
colours (band-pixel error out of fold, 3 folds by photo, on 940k band pixels of the 470
training photos: 7.66 % with them, 7.62 % without; cross-validated figure F1 0.9761
with them, 0.9762 without). They took 7 of the band features' 24 ms CPU a photo.

On a photo of 832 rows the band is described and classified at half size (the person
models' boundary is no finer than that; :func:`~runwaycut.person.band.band_factor`),
and the answer is smoothed along the full-size photo's own edges by a fast guided filter
(its coefficients at the band's size, enlarged and applied to the full-size photo).

The classifier is a small multilayer perceptron whose weights ship as JSON
(``models/fusion.json``, trained by ``benchmarks/train_fusion.py`` on the CCP dev
photos). Pixels outside the band keep the person model's answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache

import cv2
import numpy as np

from ..errors import ModelError
from .band import (BandParams, band_factor, band_mask, band_near_figure, bounding_box,
                   pixel_coordinates, shrink_whole, widen_to_multiple)

#: Names of the band features, in column order.
FEATURE_NAMES = (
    "prob", "pose", "selfie", "signed_distance", "guided",
    "near_fg_small", "near_bg_small", "fg_share_small",
    "hist_ratio", "edge", "height", "hand_distance",
    "near_fg_chroma", "near_bg_chroma", "fg_share_chroma",
)


def band_features(image: np.ndarray, prob: np.ndarray, pose: np.ndarray, selfie: np.ndarray,
                  landmarks: np.ndarray | None = None, person_height: float | None = None,
                  params: BandParams = BandParams()):
    """Features of the band pixels for the fusion classifier.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo at working resolution.
    prob, pose, selfie : (H, W) float32 arrays
        Combined, pose-model and selfie-model person probabilities.
    landmarks : (39, 5) or (33, 2+) float array, optional
        The pose landmarks (``x, y`` first), for the distance to the hands; none known:
        far everywhere.
    person_height : float, optional
        Height of the person in pixels, the unit of that distance.
    params : BandParams

    Returns
    -------
    band : (H, W) bool array
        The pixels described.
    features : (N, F) float32 array
        One row per band pixel (row-major order), columns :data:`FEATURE_NAMES`.

    Notes
    -----
    Colours are compared in YCrCb (a linear transform of RGB, ~30x cheaper than Lab in
    OpenCV). Whole-image work is limited to the band's bounding box, and per-pixel
    values are computed at the band pixels only: the window means come from one box
    filter (reflected borders) read at each band pixel.
    """
    h, w = prob.shape
    scale = max(h, w) / params.reference_side
    band, signed = band_near_figure(prob, selfie, params, scale)
    n = signed.size
    if n == 0:
        return band, np.zeros((0, len(FEATURE_NAMES)), np.float32)
    # Work on the band's bounding box, widened by the farthest reach of a filter.
    margin = int(np.ceil(max(params.small, params.guided_radius * 2) * scale)) + 2
    # Even sides: the half-size window means below take OpenCV's fast 2x2 path.
    win = widen_to_multiple(bounding_box(band, margin), (h, w), 2)
    y0, x0 = win[0].start, win[1].start
    inner = band[win]
    img = np.ascontiguousarray(image[win])
    p = prob[win]
    # The band pixels, as rows and columns of the window and as flat indices into the
    # window and into the photo: ``take`` at flat indices gathers several times faster
    # than a boolean mask that is scanned anew for each feature.
    iy, ix = pixel_coordinates(inner)
    at_win = iy * img.shape[1] + ix
    at_photo = (iy + y0) * w + (ix + x0)
    # Columns filled in place, in FEATURE_NAMES order (column-major: each one contiguous).
    x = np.empty((len(FEATURE_NAMES), n), np.float32).T
    col = {name: k for k, name in enumerate(FEATURE_NAMES)}
    x[:, col["prob"]] = np.ravel(prob).take(at_photo)
    x[:, col["pose"]] = np.ravel(pose).take(at_photo)
    x[:, col["selfie"]] = np.ravel(selfie).take(at_photo)
    x[:, col["signed_distance"]] = np.clip(signed / params.radius,
                                           -max(params.outer / params.radius, 1.5), 1.5)
    ycc8 = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    ycc = ycc8.astype(np.float32)
    fg = (p >= 1 - params.confident).astype(np.float32)
    bg = (p <= params.confident).astype(np.float32)
    grey = ycc[..., 0] * np.float32(1 / 255)
    r_guided = max(1, round(params.guided_radius * scale))
    # Over the whole window: at the band's size it is small, and filtering crops around
    # the band only cost more in their handling than it saved (0.9 ms a photo).
    x[:, col["guided"]] = guided_filter_grey(grey, p, r_guided, 1e-3).ravel().take(at_win)
    band_ycc = ycc8.reshape(-1, 3).take(at_win, axis=0).astype(np.float32)
    pixels = [band_ycc[:, c] for c in range(3)]  # Y, Cr, Cb of the band pixels
    # Window means at half resolution (4x cheaper; the windows are 12 px and more), by
    # whole 2 x 2 blocks (an odd side, at the photo's edge, with its edge repeated).
    fg_half, bg_half, ycc_half = (shrink_whole(a, 2) for a in (fg, bg, ycc))
    at = (iy // 2, ix // 2)  # each band pixel's block (an odd last one is kept whole)
    radius = max(1, round(params.small * scale / 2))
    # Weighted colour sums and weights of the figure (fg) and background (bg) in the window.
    weighted = np.concatenate([ycc_half * fg_half[..., None], fg_half[..., None],
                               ycc_half * bg_half[..., None], bg_half[..., None]], axis=2)
    sums = _window_sums(weighted, at, radius)
    near_fg = _mean_distance(pixels, sums[0:3], sums[3])
    near_bg = _mean_distance(pixels, sums[4:7], sums[7])
    x[:, col["near_fg_small"]] = near_fg / 100
    x[:, col["near_bg_small"]] = near_bg / 100
    x[:, col["fg_share_small"]] = near_bg / (near_fg + near_bg + 1.0)
    x[:, col["hist_ratio"]] = _histogram_ratio(img, fg > 0, bg > 0, at_win)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3).ravel().take(at_win)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3).ravel().take(at_win)
    x[:, col["edge"]] = np.sqrt(gx * gx + gy * gy)
    x[:, col["height"]] = (iy + y0).astype(np.float32) / max(h - 1, 1)
    unit = person_height or max(h, w)
    hands = None if landmarks is None else np.asarray(landmarks)[list(HAND_LANDMARKS), :2]
    x[:, col["hand_distance"]] = _hand_distance((iy + y0, ix + x0), hands, unit)
    # Chroma alone (Cr, Cb): shading and shadows change luminance, not chroma.
    near_fg = _mean_distance(pixels[1:], sums[1:3], sums[3])
    near_bg = _mean_distance(pixels[1:], sums[5:7], sums[7])
    x[:, col["near_fg_chroma"]] = near_fg / 100
    x[:, col["near_bg_chroma"]] = near_bg / 100
    x[:, col["fg_share_chroma"]] = near_bg / (near_fg + near_bg + 1.0)
    return band, x


def _window_sums(planes: np.ndarray, at, radius: int) -> np.ndarray:
    """Sums of ``planes`` over the ``(2 r + 1)`` square around each ``at`` pixel.

    Parameters
    ----------
    planes : (H, W, C) float32 array
    at : (rows, cols) int arrays of N pixels
    radius : int

    Returns
    -------
    sums : (C, N) float32 array
        ``cv2.boxFilter(planes, normalize=False, borderType=cv2.BORDER_REFLECT)[at].T``:
        one box filter over all the planes at once, read at the pixels by flat index.
    """
    h, w, c = planes.shape
    flat = at[0] * w + at[1]
    side = 2 * radius + 1
    return np.ascontiguousarray(
        cv2.boxFilter(planes, -1, (side, side), normalize=False,
                      borderType=cv2.BORDER_REFLECT).reshape(h * w, c).take(flat, axis=0).T)


def _mean_distance(pixels, totals, count: np.ndarray) -> np.ndarray:
    """Colour distance of N pixels to window means ``total / count``, 100 where the
    window holds (almost) no weight.

    ``pixels`` and ``totals`` are sequences of C channel arrays of shape (N,)."""
    safe = np.maximum(count, np.float32(1e-6))
    sq = np.zeros_like(count)
    for value, total in zip(pixels, totals):
        d = value - total / safe
        sq += d * d
    return np.where(count > 0.2, np.sqrt(sq), np.float32(100.0)).astype(np.float32)


#: Pose landmarks of the hands (wrists, pinkies, index fingers, thumbs).
HAND_LANDMARKS = tuple(range(15, 23))


def band_inputs(image: np.ndarray, estimate, params: BandParams = BandParams()):
    """The photo and the person models' maps as :func:`band_features` reads them: shrunk
    by the whole factor :func:`~runwaycut.person.band.band_factor` (block means).

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo at working resolution.
    estimate : runwaycut.person.segmenter.PersonEstimate
    params : BandParams

    Returns
    -------
    factor : int
        ``k``: pixel ``(i, j)`` of the maps covers the photo's ``k i .. k i + k - 1``
        rows and ``k j .. k j + k - 1`` columns (:func:`~runwaycut.person.band.shrink_whole`).
    inputs : tuple
        ``(image, prob, pose, selfie, landmarks, person_height)``, the first arguments
        of :func:`band_features`, at ``1 / k`` of the photo's size.
    """
    k = band_factor(image.shape, params)
    prob = estimate.probability
    pose = estimate.pose
    pose_prob = prob if pose is None else pose.probability
    landmarks = None if pose is None else pose.landmarks
    height = None if estimate.box is None else estimate.box[3] - estimate.box[1] + 1
    selfie = estimate.selfie
    if k == 1:
        return 1, (image, prob, pose_prob, selfie, landmarks, height)
    if landmarks is not None:  # pixel centres: x_small = (x + 0.5) / k - 0.5
        landmarks = np.array(landmarks, np.float32, copy=True)
        landmarks[:, :2] = (landmarks[:, :2] + 0.5) / k - 0.5
    small = [shrink_whole(a, k) if a is not None else None
             for a in (image, prob, pose_prob, selfie)]
    return k, (*small, landmarks, None if height is None else height / k)


def classified_band(image: np.ndarray, estimate, params: BandParams = BandParams()) -> np.ndarray:
    """The working-size pixels where :func:`fused_probability` lets the classifier decide
    (the band at the band's size, enlarged; elsewhere the person model decides): an
    ``(H, W)`` bool array for the arguments of :func:`band_inputs`."""
    k, inputs = band_inputs(image, estimate, params)
    band = band_mask(inputs[1], inputs[3], params)[0]
    return enlarge_whole(band, k, image.shape[:2])


def enlarge_whole(small: np.ndarray, k: int, shape: tuple[int, int],
                  interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """A map of :func:`~runwaycut.person.band.shrink_whole`'s grid enlarged back by ``k``
    to ``shape`` (pixel centres aligned; the edge blocks' padding cut off).

    Parameters
    ----------
    small : (ceil(H / k), ceil(W / k)) array
        A bool mask is enlarged as one (nearest neighbour whatever ``interpolation``).
    k : int
    shape : (H, W)
    interpolation : int
        ``cv2.INTER_LINEAR`` for probabilities, ``cv2.INTER_NEAREST`` for masks.

    Returns
    -------
    enlarged : (H, W) array of ``small``'s dtype
    """
    if k == 1:
        return small
    if small.dtype == bool:
        return enlarge_whole(small.view(np.uint8), k, shape, cv2.INTER_NEAREST).view(bool)
    hs, ws = small.shape[:2]
    return cv2.resize(small, (ws * k, hs * k), interpolation=interpolation)[:shape[0], :shape[1]]


def fused_probability(image: np.ndarray, estimate, model: "MLP | None" = None,
                      params: BandParams = BandParams(), smooth_radius: int = 2) -> np.ndarray:
    """Figure probability after fusion: the classifier's answer in the band, smoothed.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo at working resolution.
    estimate : runwaycut.person.segmenter.PersonEstimate
        The person models' estimate on ``image``.
    model : MLP, optional
        The fusion classifier; the shipped one by default.
    params : BandParams
    smooth_radius : int
        Radius (reference pixels) of the guided filter that smooths the band's
        probabilities along the photo's edges; 0 turns it off.

    Returns
    -------
    prob : (H, W) float32 array in [0, 1]
        Figure where ``prob > 0.5``.
    """
    model = load_fusion_model() if model is None else model
    k, inputs = band_inputs(image, estimate, params)
    band, x = band_features(*inputs, params=params)
    # Outside the band the person probability decides, at its own threshold.
    fused = _above(estimate.probability, params.threshold)
    if len(x) == 0:
        return fused
    small = fused if k == 1 else _above(inputs[1], params.threshold)
    small[band] = model.predict_proba(x)
    r = round(smooth_radius * max(small.shape) / params.reference_side)
    if r <= 0:
        if k > 1:
            band = enlarge_whole(band, k, image.shape[:2])
            box = bounding_box(band)
            enlarged = enlarge_whole(small, k, image.shape[:2], cv2.INTER_LINEAR)
            fused[box][band[box]] = enlarged[box][band[box]]
        return fused
    # Smoothed along the photo's edges by a fast guided filter (He and Sun 2015): its
    # coefficients at the band's size, enlarged and applied to the full-size photo, so
    # that the answer snaps to the full-size edges. Cross-validated figure F1 as the
    # guided filter at full size gave (0.97535 against 0.97530, 235 photos), in a third
    # of its time.
    box = bounding_box(band, 2 * r + 1)  # two boxes of radius r, then bilinear reads
    guide = cv2.cvtColor(inputs[0][box], cv2.COLOR_RGB2GRAY).astype(np.float32)
    coefficients = guided_coefficients_grey(guide * np.float32(1 / 255), small[box], r, 1e-3)
    inner = band[box]
    if k > 1:  # the box at full size (its padded edge blocks cut off)
        box = tuple(slice(k * s.start, min(n, k * s.stop))
                    for s, n in zip(box, image.shape[:2]))
        shape = (box[0].stop - box[0].start, box[1].stop - box[1].start)
        inner = enlarge_whole(inner, k, shape)
        coefficients = [enlarge_whole(c, k, shape) for c in coefficients]
        guide = cv2.cvtColor(image[box], cv2.COLOR_RGB2GRAY).astype(np.float32)
    # Dense over the box, copied at the band's pixels: faster than gathering them.
    smoothed = cv2.multiply(coefficients[0], guide, scale=1 / 255)
    smoothed = np.clip(cv2.add(smoothed, coefficients[1], dst=smoothed), 0, 1, out=smoothed)
    cv2.copyTo(smoothed, inner.view(np.uint8), fused[box])
    return fused


def _above(prob: np.ndarray, threshold: float) -> np.ndarray:
    """``(prob > threshold)`` as a float32 array of 0 and 1 (OpenCV's threshold: a
    quarter of NumPy's ``where`` time)."""
    return cv2.threshold(np.asarray(prob, np.float32), threshold, 1, cv2.THRESH_BINARY)[1]


def guided_coefficients_grey(guide: np.ndarray, src: np.ndarray, radius: int,
                             eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The window-averaged coefficients ``(mean a, mean b)`` of He et al.'s guided filter
    with a grey guide: the filter's output is ``mean_a * guide + mean_b``.

    Parameters
    ----------
    guide : (H, W) float32 array in [0, 1]
    src : (H, W) float32 array
    radius : int
        Window radius in pixels.
    eps : float
        Regularisation (larger: smoother, less edge-following).

    Returns
    -------
    mean_a, mean_b : (H, W) float32 arrays
        Enlarged and applied to a larger copy of ``guide``, they give the fast guided
        filter (K. He, J. Sun, "Fast Guided Filter", arXiv:1505.00996, 2015).
    """
    def box(x):
        return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)
    mean_i, mean_p = box(guide), box(src)
    cov = box(guide * src) - mean_i * mean_p
    var = box(guide * guide) - mean_i * mean_i
    a = cov / (var + np.float32(eps))
    b = mean_p - a * mean_i
    return box(a), box(b)


def guided_filter_grey(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a grey guide, by box filters: ``(H, W)`` float32,
    of the arguments of :func:`guided_coefficients_grey`.

    References
    ----------
    K. He, J. Sun, X. Tang, "Guided Image Filtering", IEEE TPAMI 35(6), 2013.
    """
    mean_a, mean_b = guided_coefficients_grey(guide, src, radius, eps)
    return mean_a * guide + mean_b


def _hand_distance(at, hands, unit: float) -> np.ndarray:
    """Distance of the ``at`` pixels ((rows, cols) in the photo) to the nearest hand
    point, in ``unit``s (capped at 1)."""
    n = len(at[0])
    if hands is None or len(hands) == 0:
        return np.ones(n, np.float32)
    ys = at[0].astype(np.float32)
    xs = at[1].astype(np.float32)
    best = np.full(n, np.inf, np.float32)
    dy = np.empty(n, np.float32)
    dx = np.empty(n, np.float32)
    for hx, hy in np.asarray(hands, np.float32)[:, :2]:
        np.subtract(xs, hx, out=dx)
        np.subtract(ys, hy, out=dy)
        dx *= dx
        dy *= dy
        dx += dy
        np.minimum(best, dx, out=best)
    return np.minimum(np.sqrt(best) / np.float32(unit), 1.0).astype(np.float32)


def _histogram_ratio(image: np.ndarray, fg: np.ndarray, bg: np.ndarray, at: np.ndarray,
                     bits: int = 4) -> np.ndarray:
    """Log ratio of figure to background colour frequency at the ``at`` pixels (flat
    indices; colours quantised to ``2**bits`` levels a channel), scaled to [-1, 1].
    ``fg`` and ``bg`` (bool masks) must not overlap."""
    shift = 8 - bits
    q = image >> shift
    code = ((q[..., 0].astype(np.uint16) << (2 * bits)) | (q[..., 1].astype(np.uint16) << bits)
            | q[..., 2])
    n = 1 << (3 * bits)
    # One count for both histograms: figure codes, then background codes, then neither
    # (group 0, 1, 2 = 2 - 2 fg - bg, in uint8 arithmetic).
    group = np.full(fg.shape, 2, np.uint8)
    group -= fg.view(np.uint8) << 1
    group -= bg.view(np.uint8)
    code_all = group.astype(np.uint16) << (3 * bits)
    code_all |= code
    counts = np.bincount(code_all.ravel(), minlength=3 * n)
    hf = counts[:n].astype(np.float32)
    hb = counts[n:2 * n].astype(np.float32)
    hf = (hf + 1) / (hf.sum() + n)
    hb = (hb + 1) / (hb.sum() + n)
    table = np.log(hf / hb).astype(np.float32)
    return np.clip(table[code.ravel().take(at)], -8, 8) / 8


@dataclass(frozen=True)
class MLP:
    """A small multilayer perceptron (ReLU hidden layers, logistic output), from JSON.

    Attributes
    ----------
    mean, scale : (F,) float32 arrays
        Feature standardisation applied first.
    weights, biases : tuples of float32 arrays
        Layer ``k`` maps ``x @ weights[k] + biases[k]``.
    features : tuple of str
        Feature names the model was trained on (checked against :data:`FEATURE_NAMES`).
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: tuple
    biases: tuple
    features: tuple

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of the figure class for each row of ``x`` ((N, F) float32).

        The standardisation is folded into the first layer's weights (one matrix
        product fewer over the N rows); the results equal the plain evaluation up to
        float32 rounding."""
        layers = self._folded
        a = np.asarray(x, np.float32)
        for k, (wk, bk) in enumerate(layers):
            a = a @ wk
            a += bk
            if k < len(layers) - 1:
                np.maximum(a, 0, out=a)
        z = np.clip(a[:, 0], -30, 30)
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1
        return np.reciprocal(z, out=z).astype(np.float32, copy=False)

    @cached_property
    def _folded(self) -> tuple:
        return fold_standardisation(self.mean, self.scale, self.weights, self.biases)

    def shape_problem(self) -> str:
        """What is wrong with the arrays' shapes or values ('' when they chain:
        ``(F,)`` standardisation, layers ``(F, h1), (h1, h2), ..., (hk, 1)``, biases to
        match, every number finite and every scale positive)."""
        n = len(self.features)
        if self.mean.shape != (n,) or self.scale.shape != (n,):
            return (f"standardisation of shapes {self.mean.shape}, {self.scale.shape} for "
                    f"{n} features")
        if not self.weights or len(self.weights) != len(self.biases):
            return f"{len(self.weights)} weight and {len(self.biases)} bias arrays"
        width = n
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.ndim != 2 or w.shape[0] != width or b.shape != (w.shape[1],):
                return (f"layer {k + 1} has weights {w.shape} and biases {b.shape} after a "
                        f"layer of width {width}")
            width = w.shape[1]
        if width != 1:
            return f"the last layer has {width} outputs, not 1"
        arrays = (self.mean, self.scale, *self.weights, *self.biases)
        if not all(np.isfinite(a).all() for a in arrays) or not (self.scale > 0).all():
            return "numbers that are not finite, or a scale that is not positive"
        return ""

    def to_json(self) -> str:
        return json.dumps({"kind": "mlp", "features": list(self.features),
                           "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                           "weights": [w.tolist() for w in self.weights],
                           "biases": [b.tolist() for b in self.biases]})

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> "MLP":
        try:
            d = json.loads(text)
            mlp = cls(mean=np.asarray(d["mean"], np.float32), scale=np.asarray(d["scale"], np.float32),
                      weights=tuple(np.asarray(w, np.float32) for w in d["weights"]),
                      biases=tuple(np.asarray(b, np.float32) for b in d["biases"]),
                      features=tuple(d["features"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{source}: not a fusion model file ({exc})") from None
        problem = mlp.shape_problem()
        if problem:
            raise ModelError(f"{source}: damaged fusion model ({problem})")
        if mlp.features != FEATURE_NAMES:
            raise ModelError(f"{source}: fusion model was trained on other features "
                             f"({len(mlp.features)} columns); retrain it with "
                             "benchmarks/train_fusion.py")
        return mlp


def fold_standardisation(mean: np.ndarray, scale: np.ndarray, weights, biases) -> tuple:
    """A multilayer perceptron's layers ``((w, b), ...)`` with its input standardisation
    ``(x - mean) / scale`` folded into the first one: one pass over the N rows fewer.

    Parameters
    ----------
    mean, scale : (F,) float arrays
    weights, biases : sequences of float arrays
        Layer ``k`` maps ``x @ weights[k] + biases[k]``.

    Returns
    -------
    layers : tuple of (weights, biases) pairs
        The first pair float32; equal to the plain evaluation up to float32 rounding.
    """
    w0 = (weights[0] / scale[:, None]).astype(np.float32)
    b0 = (biases[0] - (mean / scale) @ weights[0]).astype(np.float32)
    return ((w0, b0),) + tuple(zip(weights[1:], biases[1:]))


@lru_cache(maxsize=None)
def load_fusion_model(name: str = "fusion.json") -> MLP:
    """The shipped fusion classifier (``runwaycut/models/<name>``)."""
    from ..models import PACKAGE_ROOT, read_shipped

    text = read_shipped(f"models/{name}").decode("utf-8")  # SHA-256 checked
    return MLP.from_json(text, str(PACKAGE_ROOT / "models" / name))


__all__ = ["BandParams", "FEATURE_NAMES", "HAND_LANDMARKS", "MLP", "band_features", "band_inputs",
           "band_mask", "classified_band", "enlarge_whole",
           "fold_standardisation", "fused_probability",
           "guided_filter_grey", "load_fusion_model"]
