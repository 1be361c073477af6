"""``--method auto``: fused figure masks, soft mattes, and their building blocks."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import CCP_DIR, CCP_SAMPLE, ccp_figure, f1, needs_ccp
from runwaycut.errors import ModelError
from runwaycut.person.fusion import (FEATURE_NAMES, MLP, band_features, band_mask,
                                     load_fusion_model)
from runwaycut.io import read_image
from runwaycut.person.matting import (alpha_from_mask, estimate_foreground, guided_filter,
                                      guided_upsample)
from runwaycut.methods.auto import fill_small_holes


# --- on real photos ---------------------------------------------------------------------

@needs_ccp
@pytest.mark.parametrize("name", CCP_SAMPLE)
def test_auto_mask_is_a_plausible_figure_no_worse_than_person(auto, person, name):
    image = read_image(CCP_DIR / "photos" / name)
    truth = ccp_figure(name)
    result = auto.predict(image)
    mask = result.mask
    assert mask.shape == image.shape[:2] and mask.dtype == bool
    assert result.method == "auto" and result.details["person_found"]
    assert 0.08 < mask.mean() < 0.5
    xs = np.nonzero(mask)[1]
    assert image.shape[1] / 4 < xs.mean() < 3 * image.shape[1] / 4
    score = f1(mask, truth)
    assert score > 0.94
    # A generous bound: fusion must not undo the person model on ordinary photos (two of
    # these are training photos; the held-out test below bounds the quality itself).
    assert score > f1(person.predict(image).mask, truth) - 0.01


#: Measured with the shipped models on the held-out photos of ``heldout_photos``
#: (``python benchmarks/heldout_quality.py``): mean figure F1 of ``auto`` and its mean
#: gain over ``person`` alone (the band classified at half size and smoothed by the fast
#: guided filter, issue 14: 0.9776 and 0.0027; smoothed at full size 0.9775 and 0.0026;
#: the band at full size 0.9778 and 0.0029; the 20-feature model before it: 0.9778 and
#: 0.0030). The bounds sit a little
#: under them: with the fusion bypassed (the person model's mask with a soft edge) the
#: gain is 0 and the test fails.
AUTO_HELDOUT_F1 = 0.9776
AUTO_HELDOUT_GAIN = 0.0027


@needs_ccp
def test_fusion_gains_over_the_person_model_on_heldout_photos(heldout_photos,
                                                              heldout_figures):
    figures = [classes != 0 for _, _, classes in heldout_photos]
    auto_f1 = np.array([f1(a.mask, t) for (a, _), t in zip(heldout_figures, figures)])
    person_f1 = np.array([f1(p.mask, t) for (_, p), t in zip(heldout_figures, figures)])
    assert all(a.method == "auto" and a.details["person_found"] for a, _ in heldout_figures)
    assert auto_f1.mean() > AUTO_HELDOUT_F1 - 0.0015
    assert auto_f1.mean() - person_f1.mean() > AUTO_HELDOUT_GAIN - 0.0015
    # Not a gain on a few photos bought with losses on others.
    assert np.count_nonzero(auto_f1 < person_f1 - 0.003) <= len(figures) // 8


def test_histogram_feature_is_the_log_ratio_of_figure_to_background_colour_frequency():
    # The fusion's overall-colour feature, computed here: each band pixel's colour
    # (4 bits a channel) counted among the confident figure pixels and among the
    # confident background pixels (add-one smoothing), log ratio clipped to +-8, over 8.
    # The figure fills the photo but for a frame of a few pixels, so the band's window
    # (its bounding box widened by the filters' reach) is the whole photo.
    rng = np.random.default_rng(5)
    image = np.full((200, 150, 3), 200, np.uint8)
    image[3:197, 3:147] = (88, 24, 40)
    image = np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    prob = np.zeros((200, 150), np.float32)
    prob[5:195, 1:149] = 1  # the person's outline off the colours' by 2 px (left, right: out)
    prob = cv2.GaussianBlur(prob, (0, 0), 2)
    band, x = band_features(image, prob, prob, prob)
    assert band.any() and x.shape == (band.sum(), len(FEATURE_NAMES))
    q = (image >> 4).astype(int)
    code = q[..., 0] * 256 + q[..., 1] * 16 + q[..., 2]
    figure = np.bincount(code[prob >= 0.9], minlength=4096) + 1.0
    backdrop = np.bincount(code[prob <= 0.1], minlength=4096) + 1.0
    table = np.log(figure / figure.sum()) - np.log(backdrop / backdrop.sum())
    expected = np.clip(table[code[band]], -8, 8) / 8
    column = x[:, FEATURE_NAMES.index("hist_ratio")]
    assert np.allclose(column, expected, atol=1e-5)
    # It tells the band's figure-coloured pixels from its backdrop-coloured ones, on
    # whichever side of the person's outline they lie.
    red = image[band][:, 1] < 100
    assert red.sum() > 1000 and (~red).sum() > 40
    assert column[red].min() > 0.3 and np.median(column[red]) == 1
    assert column[~red].max() == -1


def with_bystander(a_name: str, b_name: str):
    """Photo ``a`` with the labelled person of photo ``b`` (shrunk to 3/4) pasted at its
    right edge, behind ``a``'s figure; returns the composite, a's figure and the pasted
    pixels."""
    a = read_image(CCP_DIR / "photos" / a_name)
    fig_a = ccp_figure(a_name)
    b = read_image(CCP_DIR / "photos" / b_name)
    small = cv2.resize(b, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
    fig_b = cv2.resize(ccp_figure(b_name).astype(np.uint8), small.shape[1::-1],
                       interpolation=cv2.INTER_NEAREST).astype(bool)
    h, w = fig_a.shape
    ys, xs = np.nonzero(fig_b)
    ys, xs = ys + h - small.shape[0], xs + int(w - 60 - xs.mean())
    inside = (xs >= 0) & (xs < w) & (ys >= 0)
    src = np.nonzero(fig_b)
    ys, xs, sy, sx = ys[inside], xs[inside], src[0][inside], src[1][inside]
    behind = ~fig_a[ys, xs]
    composite = a.copy()
    composite[ys[behind], xs[behind]] = small[sy[behind], sx[behind]]
    pasted = np.zeros_like(fig_a)
    pasted[ys[behind], xs[behind]] = True
    return composite, fig_a, pasted


@needs_ccp
@pytest.mark.parametrize("a_name, b_name", [(CCP_SAMPLE[0], CCP_SAMPLE[1]),
                                            (CCP_SAMPLE[2], CCP_SAMPLE[0])])
def test_a_bystander_at_the_edge_is_dropped(auto, a_name, b_name):
    composite, figure, pasted = with_bystander(a_name, b_name)
    assert pasted.sum() > 10_000  # a real second person
    mask = auto.predict(composite).mask
    assert np.count_nonzero(mask & pasted) < 0.02 * pasted.sum()
    assert f1(mask, figure) > 0.95


@needs_ccp
def test_soft_matte_and_foreground_agree_with_the_mask(auto):
    image = read_image(CCP_DIR / "photos" / CCP_SAMPLE[0])
    r = auto.predict(image)
    alpha, fg = r.alpha, r.foreground
    assert alpha.dtype == np.float32 and alpha.shape == image.shape[:2]
    assert alpha.min() >= 0 and alpha.max() <= 1
    soft = (alpha > 0) & (alpha < 1)
    assert soft.any()
    # Fractional only near the boundary: away from it alpha is the mask exactly.
    m8 = r.mask.astype(np.uint8)
    k = np.ones((9, 9), np.uint8)
    far = cv2.dilate(m8, k) == cv2.erode(m8, k)
    assert not soft[far].any()
    assert np.array_equal(alpha[far] > 0.5, r.mask[far])
    # Foreground colours differ from the photo only under fractional alpha.
    assert fg.dtype == np.uint8 and fg.shape == image.shape
    assert np.array_equal(fg[~soft], image[~soft])


@needs_ccp
def test_large_photo_gives_full_size_results(auto):
    image = read_image(CCP_DIR / "photos" / CCP_SAMPLE[1])
    big = cv2.resize(image, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    truth = cv2.resize(ccp_figure(CCP_SAMPLE[1]).astype(np.uint8), big.shape[1::-1],
                       interpolation=cv2.INTER_NEAREST).astype(bool)
    r = auto.predict(big)
    assert r.mask.shape == r.alpha.shape == big.shape[:2] and r.foreground.shape == big.shape
    assert f1(r.mask, truth) > 0.94


@pytest.mark.parametrize("image", [np.full((832, 550, 3), 128, np.uint8),
                                   np.zeros((300, 200, 3), np.uint8)], ids=["grey", "black"])
def test_no_person_gives_an_empty_mask_and_says_so(auto, image):
    r = auto.predict(image)
    assert not r.mask.any() and r.mask.shape == image.shape[:2]
    assert not r.alpha.any()
    assert r.details["person_found"] is False and r.details["warnings"]


@needs_ccp
def test_auto_backend_pickles_and_gives_the_same_mask(auto):
    image = read_image(CCP_DIR / "photos" / CCP_SAMPLE[2])
    before = auto.predict(image).mask
    clone = pickle.loads(pickle.dumps(auto))
    assert clone._person.segmenter._interpreters == {}
    assert np.array_equal(clone.predict(image).mask, before)


# --- the fusion classifier file ----------------------------------------------------------

def test_shipped_fusion_model_loads_and_matches_the_features():
    model = load_fusion_model()
    assert model.features == FEATURE_NAMES
    assert model.weights[0].shape[0] == len(FEATURE_NAMES)
    p = model.predict_proba(np.zeros((5, len(FEATURE_NAMES)), np.float32))
    assert p.shape == (5,) and np.all((p >= 0) & (p <= 1))


def small_mlp(seed: int) -> MLP:
    rng = np.random.default_rng(seed)
    f = len(FEATURE_NAMES)
    return MLP(mean=rng.normal(size=f).astype(np.float32),
               scale=rng.uniform(0.5, 2, f).astype(np.float32),
               weights=(rng.normal(size=(f, 4)).astype(np.float32),
                        rng.normal(size=(4, 1)).astype(np.float32)),
               biases=(rng.normal(size=4).astype(np.float32), np.zeros(1, np.float32)),
               features=FEATURE_NAMES)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_mlp_json_round_trip_keeps_predictions(seed):
    model = small_mlp(seed)
    x = np.random.default_rng(seed + 1).normal(size=(50, len(FEATURE_NAMES))).astype(np.float32)
    again = MLP.from_json(model.to_json())
    assert np.allclose(again.predict_proba(x), model.predict_proba(x), atol=1e-6)


def test_fusion_model_of_other_features_is_refused():
    text = small_mlp(0).to_json().replace('"height"', '"tallness"')
    with pytest.raises(ModelError, match="other features"):
        MLP.from_json(text, "x.json")
    with pytest.raises(ModelError, match="not a fusion model"):
        MLP.from_json("{}", "x.json")


def test_band_surrounds_the_boundary():
    prob = np.zeros((200, 100), np.float32)
    prob[40:160, 30:70] = 1.0
    band, signed = band_mask(prob)
    assert band[100, 30] and band[100, 29] and band[40, 50]
    assert not band[100, 50] and not band[5, 5]
    assert signed[100, 50] > 0 > signed[5, 5]


# --- matting ---------------------------------------------------------------------------

def two_tone(h=80, w=80, edge=40):
    """Left half red, right half blue, with a one-pixel 50/50 mixed column at the edge."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :edge] = (200, 30, 30)
    img[:, edge:] = (30, 30, 200)
    img[:, edge] = (115, 30, 115)
    return img


def test_alpha_follows_the_photo_edge_not_the_mask_edge():
    img = two_tone()
    mask = np.zeros((80, 80), bool)
    mask[:, :42] = True  # mask two pixels too wide of the red region
    alpha = alpha_from_mask(img, mask)
    assert np.allclose(alpha[:, :30], 1) and np.allclose(alpha[:, 50:], 0)
    row = alpha[40]
    assert np.all(np.diff(row) <= 1e-6)  # monotone across the edge
    # The mask said figure up to column 41; the matte pulls back toward the colour edge
    # (column 40), where its steepest step is.
    assert row[39] > 0.9 and row[41] < 0.5
    assert int(np.argmin(np.diff(row))) in (39, 40)


@settings(max_examples=15, deadline=None)
@given(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
       st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
def test_foreground_estimation_recovers_a_flat_foreground(fg_color, bg_color):
    h, w = 60, 60
    alpha = np.zeros((h, w), np.float32)
    alpha[:, :25] = 1
    alpha[:, 25:35] = np.linspace(0.9, 0.1, 10)  # a soft fringe
    f, b = np.array(fg_color, np.float32), np.array(bg_color, np.float32)
    image = np.rint(alpha[..., None] * f + (1 - alpha[..., None]) * b).astype(np.uint8)
    est = estimate_foreground(image, alpha)
    soft = (alpha > 0) & (alpha < 1)
    err = np.abs(est[soft].astype(np.float32) - f).max(axis=1)
    # The photo's own colour there is off by (1 - alpha) |F - B| (the halo); the
    # estimate removes at least 90 % of it (4 levels spare for 8-bit rounding).
    halo = (1 - alpha[soft]) * np.abs(f - b).max()
    assert np.all(err <= 0.1 * halo + 4)
    assert np.array_equal(est[~soft], image[~soft])


@settings(max_examples=15, deadline=None)
@given(st.floats(0, 1), st.integers(1, 5))
def test_guided_filter_keeps_a_constant_signal(value, radius):
    rng = np.random.default_rng(0)
    guide = rng.uniform(0, 1, (40, 30, 3)).astype(np.float32)
    src = np.full((40, 30), value, np.float32)
    assert np.allclose(guided_filter(guide, src, radius, 1e-3), value, atol=1e-3)


def test_guided_upsample_puts_the_edge_on_the_full_size_photo():
    big = two_tone(160, 160, 81)
    small = cv2.resize(big, (40, 40), interpolation=cv2.INTER_AREA)
    src = (small[..., 0] > 110).astype(np.float32)
    up = guided_upsample(small, src, big, radius=2)
    crisp = up > 0.5
    assert crisp[:, :79].all() and not crisp[:, 83:].any()


def test_fill_small_holes_keeps_large_gaps():
    mask = np.zeros((100, 100), bool)
    mask[10:90, 10:90] = True
    mask[20:23, 20:23] = False   # 9 px hole: filled
    mask[40:70, 40:70] = False   # 900 px gap (between arm and body): kept
    out = fill_small_holes(mask, 0.005)
    assert out[21, 21] and not out[50, 50]


def _regions_and_holes_reference(mask, min_region, max_hole):
    """keep_regions then fill_small_holes by scipy's labelling alone (8-connected
    regions, 4-connected background), independent of OpenCV's contours."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n > 1:
        area = np.bincount(labels.ravel())[1:]
        mask = np.isin(labels, 1 + np.flatnonzero(area >= min_region * area.max()))
    padded = np.pad(~mask, 1, constant_values=True)  # the frame: outside, not a hole
    back, m = ndimage.label(padded)
    area = np.bincount(back.ravel())
    small = area < max_hole * mask.size
    small[0] = small[back[0, 0]] = False
    return mask | small[back][1:-1, 1:-1]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(8, 60), st.integers(8, 60),
       st.floats(0.2, 0.9), st.sampled_from([0.0, 0.01, 0.05, 0.3]),
       st.sampled_from([0.005, 0.02, 0.2]), st.sampled_from([0.6, 1.2, 2.5]))
@example(300, 28, 39, 0.6875, 0.01, 0.02, 1.2)  # a speck inside a hole: not external
def test_regions_and_holes_equal_plain_labelling(seed, h, w, density, min_region, max_hole,
                                                 blur):
    # Random blobs: specks, several regions, holes of every size (and more than 16 of
    # them), some at the border; the contour tracing that skips or narrows the
    # labelling must never change the answer.
    from runwaycut.methods.person import keep_regions

    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), blur)
    mask = noise > np.quantile(noise, 1 - density)
    got = fill_small_holes(keep_regions(mask, min_region), max_hole)
    np.testing.assert_array_equal(got, _regions_and_holes_reference(mask, min_region, max_hole))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(8, 80), st.integers(8, 80),
       st.integers(0, 40), st.sampled_from([0.0, 0.01, 0.05, 0.3, 0.9]), st.booleans())
def test_keep_regions_drops_specks_as_plain_labelling(seed, h, w, pieces, min_region, salt):
    # A figure (a rectangle with bites and holes) among specks of every size up to 5x5,
    # some inside its holes, some touching each other, with salt noise or not: where
    # the outlines prove that only the figure stays, the specks are filled in without
    # labelling, and the answer must be the labelling's.
    from runwaycut.methods.person import keep_regions

    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), bool)
    y0, x0 = rng.integers(0, h // 2), rng.integers(0, w // 2)
    mask[y0:y0 + rng.integers(2, h), x0:x0 + rng.integers(2, w)] = True
    for _ in range(pieces):
        y, x = rng.integers(0, h), rng.integers(0, w)
        mask[y:y + rng.integers(1, 6), x:x + rng.integers(1, 6)] = rng.random() < 0.5
    if salt:
        mask ^= rng.random((h, w)) < 0.03
    got = keep_regions(mask, min_region)
    np.testing.assert_array_equal(got, _regions_and_holes_reference(mask, min_region, 0.0))


def test_keep_regions_drops_a_speck_inside_a_specks_hole():
    # Filled in outline by outline: OpenCV filling both outlines at once would leave
    # the inner speck's pixels where the two overlap.
    from runwaycut.methods.person import keep_regions

    mask = np.zeros((40, 60), bool)
    mask[5:35, 5:30] = True                    # the figure
    mask[10:19, 40:49] = True                  # a ring ...
    mask[11:18, 41:48] = False
    mask[13:16, 43:46] = True                  # ... with a speck in its hole
    out = keep_regions(mask, 0.3)
    assert out[5:35, 5:30].all() and np.count_nonzero(out) == 30 * 25


def _guided_filter_reference(guide, src, radius, eps):
    """He et al.'s colour guided filter pixel by pixel: each window's 3x3 covariance
    solved by NumPy, borders mirrored as OpenCV's BORDER_REFLECT."""
    r = radius
    h, w = src.shape
    g = np.pad(guide.astype(np.float64), ((r, r), (r, r), (0, 0)), mode="symmetric")
    p = np.pad(src.astype(np.float64), r, mode="symmetric")
    a = np.zeros((h + 2 * r, w + 2 * r, 3))
    b = np.zeros((h + 2 * r, w + 2 * r))
    for y in range(r, h + r):
        for x in range(r, w + r):
            win_i = g[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3)
            win_p = p[y - r:y + r + 1, x - r:x + r + 1].ravel()
            mu, mp = win_i.mean(axis=0), win_p.mean()
            sigma = (win_i - mu).T @ (win_i - mu) / len(win_p) + eps * np.eye(3)
            cov = ((win_i - mu) * (win_p - mp)[:, None]).mean(axis=0)
            a[y, x] = np.linalg.solve(sigma, cov)
            b[y, x] = mp - a[y, x] @ mu
    # mirror the coefficients too, then average them over each window
    a = np.pad(a[r:h + r, r:w + r], ((r, r), (r, r), (0, 0)), mode="symmetric")
    b = np.pad(b[r:h + r, r:w + r], r, mode="symmetric")
    out = np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            ma = a[y:y + 2 * r + 1, x:x + 2 * r + 1].reshape(-1, 3).mean(axis=0)
            out[y, x] = ma @ guide[y, x] + b[y:y + 2 * r + 1, x:x + 2 * r + 1].mean()
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(5, 12), st.integers(5, 12), st.integers(1, 2),
       st.sampled_from([1e-3, 1e-2]))
def test_guided_filter_equals_the_per_pixel_reference(seed, h, w, radius, eps):
    rng = np.random.default_rng(seed)
    guide = rng.random((h, w, 3), np.float32)
    src = (rng.random((h, w)) > 0.5).astype(np.float32)
    np.testing.assert_allclose(guided_filter(guide, src, radius, eps),
                               _guided_filter_reference(guide, src, radius, eps), atol=2e-4)
