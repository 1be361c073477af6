"""Full-size work by strips of rows, and band features at the band pixels only (issues
13 and 14): the same numbers as the whole-image computation, in bounded memory."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwaycut.io import read_image
from runwaycut.person import fusion, matting
from runwaycut.person.band import widen_to_multiple
from runwaycut.person.matting import (alpha_from_mask, estimate_foreground, guided_upsample,
                                      row_strips)
from runwaycut.person.resample import bilinear_at, resize_rows, source_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "photos" / "0087.jpg"


@settings(max_examples=60, deadline=None)
@given(h=st.integers(2, 40), w=st.integers(2, 30), channels=st.sampled_from([1, 3, 4]),
       scale=st.floats(1.0, 7.0), data=st.data())
def test_resize_rows_equals_opencv_resize(h, w, channels, scale, data):
    rng = np.random.default_rng(h * 100 + w)
    src = rng.random((h, w, channels), np.float32)[..., 0] if channels == 1 else \
        rng.random((h, w, channels), np.float32)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    whole = cv2.resize(src, size, interpolation=cv2.INTER_LINEAR)
    y0 = data.draw(st.integers(0, size[1] - 1))
    y1 = data.draw(st.integers(y0 + 1, size[1]))
    rows = resize_rows(src, size, y0, y1)
    np.testing.assert_allclose(rows, whole[y0:y1], atol=2e-6)



@settings(max_examples=60, deadline=None)
@given(h=st.integers(2, 40), w=st.integers(2, 30), channels=st.sampled_from([1, 4]),
       scale=st.floats(1.0, 7.0), data=st.data())
def test_bilinear_at_equals_opencv_resize_at_scattered_pixels(h, w, channels, scale, data):
    rng = np.random.default_rng(h * 100 + w)
    src = rng.random((h, w, channels), np.float32)
    src = src[..., 0] if channels == 1 else src
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    whole = cv2.resize(src, size, interpolation=cv2.INTER_LINEAR)
    n = data.draw(st.integers(1, 50))
    rows = rng.integers(0, size[1], n)
    cols = rng.integers(0, size[0], n)
    np.testing.assert_allclose(bilinear_at(src, size, rows, cols), whole[rows, cols], atol=2e-6)
    # From the source rows the pixels read only, placed by their offset.
    lo = source_rows(h, size[1], int(rows.min()), int(rows.max()) + 1)[0]
    np.testing.assert_allclose(bilinear_at(src[lo:], size, rows, cols, (lo, 0), (h, w)),
                               whole[rows, cols], atol=2e-6)


def test_row_strips_cover_every_row_once():
    strips = row_strips(1000, 37, pixels=500)
    assert strips[0][0] == 0 and strips[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in zip(strips, strips[1:]))
    assert all(0 < (s1 - s0) * 37 <= 500 for s0, s1 in strips)


@pytest.fixture(scope="module")
def large_case(auto_module):
    """The bundled example photo at 3x: its auto mask and matte."""
    small = read_image(EXAMPLE)
    image = cv2.resize(small, (small.shape[1] * 3 + 7, small.shape[0] * 3 + 5),
                       interpolation=cv2.INTER_CUBIC)
    result = auto_module.predict(image)
    return small, image, result


@pytest.fixture(scope="module")
def auto_module():
    from runwaycut.methods.auto import AutoMethod

    return AutoMethod()


def test_strips_give_the_same_matte_foreground_and_upsampling(large_case, monkeypatch):
    small, image, result = large_case
    prob = cv2.resize(result.mask.astype(np.float32), small.shape[1::-1],
                      interpolation=cv2.INTER_AREA)
    monkeypatch.setattr(matting, "STRIP_PIXELS", 1 << 40)  # one strip: the whole image
    whole = (alpha_from_mask(image, result.mask), estimate_foreground(image, result.alpha),
             guided_upsample(small, prob, image))
    monkeypatch.setattr(matting, "STRIP_PIXELS", 20_000)  # strips of ~8 rows
    strips = (alpha_from_mask(image, result.mask), estimate_foreground(image, result.alpha),
              guided_upsample(small, prob, image))
    np.testing.assert_allclose(strips[0], whole[0], atol=1e-5)
    assert ((strips[0] > 0) & (strips[0] < 1)).sum() > 1000  # a real soft edge was made
    changed = strips[1] != image
    assert changed.any()  # fractional pixels got new colours...
    np.testing.assert_array_equal(strips[1], whole[1])  # ...the same in strips
    np.testing.assert_allclose(strips[2], whole[2], atol=1e-5)



@settings(max_examples=40, deadline=None)
@given(h=st.integers(8, 60), w=st.integers(8, 50), scale=st.floats(1.0, 4.0),
       radius=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_guided_upsample_near_the_soft_pixels_equals_the_whole_filter(h, w, scale, radius, seed):
    """A map 0 or 1 but in a band (auto's fused probability) is filtered near the band
    only; the answer is the whole filter's (every pixel computed) up to rounding."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:h, :w]
    signed = np.hypot(yy - h / 2, xx - w / 2) - min(h, w) / 3  # a disc's outline
    src = np.clip(0.5 - signed / 3, 0, 1).astype(np.float32)  # soft 3 px either side
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    image = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    near = guided_upsample(small, src, image, radius=radius)
    whole = matting._guided_upsample_whole(small, src, image, radius, 1e-3)
    np.testing.assert_allclose(near, whole, atol=2e-4)



@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matte_is_the_fast_guided_filter_of_the_whole_photo(seed):
    """The soft matte worked out in strips, over tiles around the band and read at the
    band's pixels only equals the plain fast guided filter: the colour filter's
    coefficients over the whole half-size photo, enlarged by OpenCV and applied at full
    size, inside the band (within 3 px of the mask's outline); elsewhere the mask."""
    rng = np.random.default_rng(seed)
    h, w = 240, 180
    image = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (0, 0), 2)
    yy, xx = np.mgrid[:h, :w]
    blob = np.hypot((yy - 120) / 80, (xx - 90) / 50) + 0.2 * np.sin(xx / 5 + seed) < 1
    # The band's crop then starts on an even row and column (the outline's box at odd
    # ones, less the band's 3 px and the window's 4): the whole photo's half-size grid.
    box = matting.bounding_box(blob)
    mask = np.roll(blob, (1 - box[0].start % 2, 1 - box[1].start % 2), axis=(0, 1))
    params = matting.MattingParams()
    alpha = alpha_from_mask(image, mask, params)
    half = (w // 2, h // 2)
    coef = matting._box_coefficients(cv2.resize(image, half, interpolation=cv2.INTER_AREA),
                                     cv2.resize(mask.astype(np.float32), half,
                                                interpolation=cv2.INTER_AREA),
                                     params.radius // 2, params.eps)
    big = cv2.resize(coef, (w, h), interpolation=cv2.INTER_LINEAR)
    rgb = image.astype(np.float32) / 255
    expected = np.clip(big[..., 3] + (big[..., :3] * rgb).sum(axis=2), 0, 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    m8 = mask.astype(np.uint8)
    band = cv2.dilate(m8, kernel) != cv2.erode(m8, kernel)
    np.testing.assert_allclose(alpha[band], expected[band], atol=1e-5)
    np.testing.assert_array_equal(alpha[~band], mask[~band])
    assert ((alpha > 0.05) & (alpha < 0.95)).sum() > 200  # a real soft edge


def _forte_reference(image, alpha):
    """Forte and Pitie's two passes over the whole photo at full size, float64, as their
    paper's code: a 91 px then a 7 px box, the second pass on the first's foreground
    and blurred background."""
    img = image.astype(np.float64) / 255
    a = alpha.astype(np.float64)[..., None]

    def passed(fg, bg, side):
        blurred_a = cv2.blur(a[..., 0], (side, side))[..., None]
        blurred_fg = cv2.blur(fg * a, (side, side)) / (blurred_a + 1e-5)
        blurred_bg = cv2.blur(bg * (1 - a), (side, side)) / ((1 - blurred_a) + 1e-5)
        return blurred_fg + a * (img - a * blurred_fg - (1 - a) * blurred_bg), blurred_bg

    fg, bg = passed(img, img, 91)
    fg, _ = passed(np.clip(fg, 0, 1), bg, 7)
    return np.clip(np.rint(fg * 255), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("framed", [False, True])
def test_foreground_colours_follow_the_whole_photo_estimator(auto_module, framed):
    """The foreground colours, computed near the soft pixels only (the first pass at a
    quarter of the size, the second's background mean taken as the first's), stay
    within a few levels of Forte and Pitie's estimator over the whole photo. Framed:
    the photo cut to an odd height 20 px above and 21 px below the soft pixels, so
    that the first pass's crop spans it and cannot be widened to a multiple of 4 (its
    quarter-size photo then repeats the edge, as most runway photos need)."""
    image = read_image(EXAMPLE)
    alpha = auto_module.predict(image).alpha
    if framed:
        rows = np.flatnonzero(((alpha > 0) & (alpha < 1)).any(axis=1))
        cut = slice(rows[0] - 20, rows[-1] + 22)
        cut = slice(cut.start, cut.stop - (cut.stop - cut.start + 1) % 2)  # an odd height
        image, alpha = np.ascontiguousarray(image[cut]), np.ascontiguousarray(alpha[cut])
        assert image.shape[0] % 2 == 1
    soft = (alpha > 0) & (alpha < 1)
    assert soft.sum() > 3000
    got = estimate_foreground(image, alpha)
    off = np.abs(got.astype(int) - _forte_reference(image, alpha))[soft].max(axis=1)
    assert off.mean() < 1.2 and np.percentile(off, 99) <= 4 and off.max() <= 8
    # and the estimate does move the colours, away from the photo's own
    assert np.abs(got.astype(int) - image)[soft].max(axis=1).mean() > 3 * off.mean()
    np.testing.assert_array_equal(got[~soft], image[~soft])


def _local_distance_reference(colors, pixels, where, weight, radius):
    """The window-mean colour distance as first written: one box filter per call."""
    k = (2 * radius + 1, 2 * radius + 1)
    count = cv2.boxFilter(weight, -1, k, normalize=False, borderType=cv2.BORDER_REFLECT)[where]
    total = cv2.boxFilter(colors * weight[..., None], -1, k, normalize=False,
                          borderType=cv2.BORDER_REFLECT)[where]
    mean = total / np.maximum(count, 1e-6)[:, None]
    dist = np.sqrt(((pixels - mean) ** 2).sum(axis=1))
    return np.where(count > 0.2, dist, np.float32(100.0)).astype(np.float32)


def test_band_features_equal_the_whole_image_reference(auto_module):
    """The window statistics read at the band pixels (one 8-plane box filter) and the
    band found on the figure's box equal the per-feature whole-window computation."""
    image = read_image(EXAMPLE)
    work, est = auto_module._person.estimate(image)
    band, x = fusion.band_features(work, est.probability, est.pose.probability, est.selfie,
                                   est.pose.landmarks, est.box[3] - est.box[1] + 1)
    ref_band, signed = fusion.band_mask(est.probability, est.selfie)
    np.testing.assert_array_equal(band, ref_band)
    col = {name: i for i, name in enumerate(fusion.FEATURE_NAMES)}
    params = fusion.BandParams()
    np.testing.assert_allclose(x[:, col["signed_distance"]],
                               np.clip(signed[band] / params.radius, -1.5, 1.5), atol=1e-6)
    # Window means, as the features' first version computed them on the band's box.
    h, w = band.shape
    scale = max(h, w) / params.reference_side
    margin = int(np.ceil(max(params.small, params.guided_radius * 2) * scale)) + 2
    ys, xs = np.nonzero(band.any(axis=1))[0], np.nonzero(band.any(axis=0))[0]
    y0, y1 = max(0, ys[0] - margin), min(h, ys[-1] + 1 + margin)
    x0, x1 = max(0, xs[0] - margin), min(w, xs[-1] + 1 + margin)
    # Widened to even sides, as band_features does (OpenCV's fast half-size resize).
    rows, cols = widen_to_multiple((slice(y0, y1), slice(x0, x1)), (h, w), 2)
    y0, y1, x0, x1 = rows.start, rows.stop, cols.start, cols.stop
    assert (y1 - y0) % 2 == 0 and (x1 - x0) % 2 == 0
    inner = band[y0:y1, x0:x1]
    p = est.probability[y0:y1, x0:x1]
    ycc = cv2.cvtColor(np.ascontiguousarray(work[y0:y1, x0:x1]),
                       cv2.COLOR_RGB2YCrCb).astype(np.float32)
    half = (max(1, (x1 - x0) // 2), max(1, (y1 - y0) // 2))
    ycc_half = cv2.resize(ycc, half, interpolation=cv2.INTER_AREA)
    fg = cv2.resize((p >= 1 - params.confident).astype(np.float32), half,
                    interpolation=cv2.INTER_AREA)
    bg = cv2.resize((p <= params.confident).astype(np.float32), half,
                    interpolation=cv2.INTER_AREA)
    iy, ix = np.nonzero(inner)
    at = (np.minimum(iy // 2, half[1] - 1), np.minimum(ix // 2, half[0] - 1))
    pixels = ycc[inner]
    r = max(1, round(params.small * scale / 2))
    near_fg = _local_distance_reference(ycc_half, pixels, at, fg, r)
    near_bg = _local_distance_reference(ycc_half, pixels, at, bg, r)
    np.testing.assert_allclose(x[:, col["near_fg_small"]], near_fg / 100, atol=1e-5)
    np.testing.assert_allclose(x[:, col["near_bg_small"]], near_bg / 100, atol=1e-5)
    near_fg = _local_distance_reference(ycc_half[..., 1:], pixels[:, 1:], at, fg, r)
    np.testing.assert_allclose(x[:, col["near_fg_chroma"]], near_fg / 100, atol=1e-5)
    near_bg = _local_distance_reference(ycc_half[..., 1:], pixels[:, 1:], at, bg, r)
    np.testing.assert_allclose(x[:, col["near_bg_chroma"]], near_bg / 100, atol=1e-5)


def test_folded_mlp_equals_the_plain_evaluation():
    model = fusion.load_fusion_model()
    x = np.random.default_rng(0).normal(size=(500, len(fusion.FEATURE_NAMES))).astype(np.float32)
    a = (x - model.mean) / model.scale
    for k, (wk, bk) in enumerate(zip(model.weights, model.biases)):
        a = a @ wk + bk
        if k < len(model.weights) - 1:
            a = np.maximum(a, 0)
    plain = 1 / (1 + np.exp(-np.clip(a[:, 0], -30, 30)))
    np.testing.assert_allclose(model.predict_proba(x), plain, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 40), st.integers(0, 5),
       st.sampled_from(["bool", "uint8", "float32"]))
def test_bounding_box_is_the_box_of_the_non_zero_pixels(seed, h, w, pad, kind):
    """Bool and uint8 masks (label maps) go by OpenCV, others by NumPy: the same box,
    widened by ``pad`` and clipped to the mask; None when no pixel is set."""
    from runwaycut.person.band import bounding_box

    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    if rng.random() < 0.9:
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        y1, x1 = rng.integers(y0 + 1, h + 1), rng.integers(x0 + 1, w + 1)
        mask[y0:y1, x0:x1] = rng.integers(0, 14, (y1 - y0, x1 - x0))
    mask = {"bool": mask > 0, "uint8": mask, "float32": mask.astype(np.float32)}[kind]
    if rng.random() < 0.5:  # a view that is not contiguous
        mask = np.pad(mask, ((0, 0), (0, 3)))[:, :w]
    box = bounding_box(mask, pad)
    ys, xs = np.nonzero(mask)
    if not len(ys):
        assert box is None
        return
    assert box == (slice(max(0, ys.min() - pad), min(h, ys.max() + 1 + pad)),
                   slice(max(0, xs.min() - pad), min(w, xs.max() + 1 + pad)))


@settings(max_examples=60, deadline=None)
@given(h=st.integers(6, 60), w=st.integers(6, 60), k=st.integers(2, 4),
       slope=st.tuples(st.floats(-3, 3), st.floats(-3, 3)))
def test_shrunk_then_enlarged_maps_keep_their_pixel_centres(h, w, k, slope):
    """``enlarge_whole(shrink_whole(ramp))`` gives the ramp back away from the edges: a
    linear map survives block means and bilinear enlargement only if both put pixel
    ``(i, j)`` of the small grid at the centre of its k x k block (an offset of half a
    pixel would shift the figure's outline by that much)."""
    from runwaycut.person.band import shrink_whole
    from runwaycut.person.fusion import enlarge_whole

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = slope[0] * yy + slope[1] * xx
    back = enlarge_whole(shrink_whole(ramp, k), k, (h, w))
    assert back.shape == (h, w) and back.dtype == np.float32
    # Interior: pixels whose bilinear reads lie in whole blocks of the photo.
    inner = (slice(k, (h // k - 1) * k), slice(k, (w // k - 1) * k))
    np.testing.assert_allclose(back[inner], ramp[inner], atol=1e-3 * (1 + abs(ramp).max()))
    mask = ramp > np.median(ramp)
    bigger = enlarge_whole(shrink_whole(mask.view(np.uint8), k), k, (h, w), cv2.INTER_NEAREST)
    assert bigger.shape == (h, w) and bigger.dtype == np.uint8
    # A bool mask comes back as one: each small pixel its own k x k block.
    small = shrink_whole(mask.view(np.uint8), k) >= 1
    blocks = np.kron(small, np.ones((k, k), bool))[:h, :w]
    np.testing.assert_array_equal(enlarge_whole(small, k, (h, w)), blocks)


def _guided_coefficients_reference(guide, src, radius, eps):
    """He et al.'s window-averaged coefficients by SciPy's box means (reflected edges,
    as OpenCV's BORDER_REFLECT), float64."""
    from scipy.ndimage import uniform_filter

    def box(x):
        return uniform_filter(x.astype(np.float64), 2 * radius + 1, mode="reflect")
    mean_i, mean_p = box(guide), box(src)
    a = (box(guide * src) - mean_i * mean_p) / (box(guide * guide) - mean_i * mean_i + eps)
    return box(a), box(mean_p - a * mean_i)


@pytest.mark.parametrize("band_side", [0, 416])
def test_fused_probability_smooths_the_classifiers_answer_by_a_guided_filter(auto_module,
                                                                            band_side):
    """In the band the fused probability is the classifier's answer (the person model's
    above its threshold elsewhere) smoothed along the photo's grey by He's guided filter.
    At full size (band side 0) the filter itself; on a half-size band the fast guided
    filter: its coefficients from the half-size photo, enlarged, applied to the full-size
    grey. Here over whole maps, as the reference of the box the code works in."""
    image = read_image(EXAMPLE)
    work, est = auto_module._person.estimate(image)
    params = fusion.BandParams(band_side=band_side)
    model = fusion.load_fusion_model()
    k, inputs = fusion.band_inputs(work, est, params)
    assert k == (1 if band_side == 0 else 2)
    band, x = fusion.band_features(*inputs, params=params)
    answer = (inputs[1] > params.threshold).astype(np.float64)
    answer[band] = model.predict_proba(x)
    r = round(2 * max(answer.shape) / params.reference_side)
    grey = cv2.cvtColor(inputs[0], cv2.COLOR_RGB2GRAY) / 255.0
    mean_a, mean_b = (fusion.enlarge_whole(c.astype(np.float32), k, work.shape[:2])
                      for c in _guided_coefficients_reference(grey, answer, r, 1e-3))
    expected = np.clip(mean_a * cv2.cvtColor(work, cv2.COLOR_RGB2GRAY) / 255.0 + mean_b, 0, 1)
    inside = fusion.enlarge_whole(band, k, work.shape[:2])
    assert 0.02 < inside.mean() < 0.3
    fused = fusion.fused_probability(work, est, model, params)
    np.testing.assert_allclose(fused[inside], expected[inside], atol=2e-4)
    assert np.count_nonzero((fused[inside] > 0.5) != (expected[inside] > 0.5)) <= 2
    # Outside the band the person model decides, unsmoothed.
    np.testing.assert_array_equal(fused[~inside], (est.probability > params.threshold)[~inside])


def test_band_inputs_shrink_the_photo_and_move_the_landmarks_with_it(auto_module):
    """On a CCP-size photo the band's inputs are the photo at half size, and each hand
    landmark lands on the same place of the photo in the small grid."""
    image = read_image(EXAMPLE)
    work, est = auto_module._person.estimate(image)
    k, (small, prob, pose, selfie, landmarks, height) = fusion.band_inputs(work, est)
    assert k == fusion.band_factor(work.shape, fusion.BandParams()) == 2
    assert small.shape[:2] == prob.shape == selfie.shape == ((work.shape[0] + 1) // 2,
                                                             (work.shape[1] + 1) // 2)
    assert height == pytest.approx((est.box[3] - est.box[1] + 1) / 2)
    # Pixel centres: x_small = (x + 0.5) / 2 - 0.5, and a smooth map read there agrees.
    np.testing.assert_allclose(landmarks[:, :2], (est.pose.landmarks[:, :2] + 0.5) / 2 - 0.5,
                               atol=1e-4)
    for (x, y), (sx, sy) in zip(est.pose.landmarks[:, :2], landmarks[:, :2]):
        if 4 <= x < work.shape[1] - 5 and 4 <= y < work.shape[0] - 5:
            big = cv2.getRectSubPix(est.probability, (1, 1), (float(x), float(y)))[0, 0]
            assert cv2.getRectSubPix(prob, (1, 1), (float(sx), float(sy)))[0, 0] == \
                pytest.approx(big, abs=0.05)
    # The working-size band is used where the band side asks for it.
    k1, inputs = fusion.band_inputs(work, est, fusion.BandParams(band_side=0))
    assert k1 == 1 and inputs[0] is work


def test_half_size_band_gives_the_full_size_bands_mask(auto_module):
    """The band classified at half size, enlarged and smoothed at full size, draws the
    figure the full-size band draws, to within a sliver of its outline."""
    image = read_image(EXAMPLE)
    work, est = auto_module._person.estimate(image)
    half = fusion.fused_probability(work, est) > 0.5
    full = fusion.fused_probability(work, est, params=fusion.BandParams(band_side=0)) > 0.5
    differ = np.count_nonzero(half != full)
    assert differ < 0.01 * np.count_nonzero(full)
    # and the change lies along the outline, not in the figure's body
    ring = cv2.dilate(full.view(np.uint8), np.ones((9, 9), np.uint8)) != \
        cv2.erode(full.view(np.uint8), np.ones((9, 9), np.uint8))
    assert np.count_nonzero((half != full) & ~ring) <= 0.01 * max(differ, 1) + 20
