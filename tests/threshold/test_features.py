"""Features for threshold prediction, photo and person: fixed length, deterministic,
meaningful values, the same in training as in use."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import runway_scene
from runwaycut.note.colormask import distance_map
from runwaycut.threshold.features import (CDF_LEVELS, FEATURE_NAMES, FEATURE_SETS,
                                          PERSON_FEATURE_NAMES, QUANTILES, image_features)
from runwaycut.threshold.person_agreement import person_features
from runwaycut.io import read_image
from runwaycut.note.palette import Palette, sample_palette


def _index(name: str) -> int:
    return FEATURE_NAMES.index(name)


def _palette(colors) -> Palette:
    colors = np.asarray(colors, np.uint8).reshape(-1, 3)
    return Palette(colors=colors, points=np.zeros((len(colors), 2), np.int64), block=1)


def test_names_are_unique_and_match_the_vector():
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    image, _ = runway_scene()
    assert image_features(image).shape == (len(FEATURE_NAMES),)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 700), w=st.integers(1, 700), seed=st.integers(0, 2**16),
       n_colors=st.integers(1, 5))
def test_fixed_length_finite_and_deterministic_for_any_size(h, w, seed, n_colors):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    palette = _palette(rng.integers(0, 256, (n_colors, 3)))
    first = image_features(image, palette)
    again = image_features(image.copy(), palette)
    assert first.shape == (len(FEATURE_NAMES),)
    assert np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)


def test_given_distance_map_equals_computed_one():
    image, _ = runway_scene(200, 150)
    palette = sample_palette(image)
    computed = image_features(image, palette)
    given_map = image_features(image, palette, distance_map(image, palette.colors))
    np.testing.assert_array_equal(computed, given_map)
    # A relative-band map is not what the features read: they fall back to the absolute one.
    relative = distance_map(image, palette.colors, "relative")
    np.testing.assert_array_equal(computed, image_features(image, palette, relative))


def test_distance_histogram_features_read_the_map():
    # Half the pixels at distance 0 from the palette colour, half at distance 50.
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = 50
    f = image_features(image, _palette([0, 0, 0]))
    for t in CDF_LEVELS:
        expected = 0.5 if t < 50 else 1.0
        assert f[_index(f"dist_cdf_all_{t}")] == pytest.approx(expected)
    assert f[_index("dist_q25_all")] == 0.0
    assert f[_index("dist_q90_all")] == pytest.approx(50 / 255)
    # The left strip is all palette-coloured, the right strip all far from it.
    assert f[_index("dist_cdf_strips_10")] == pytest.approx(0.5)
    assert f[_index("aspect")] == 1.0


def test_profiles_see_a_dark_figure_in_the_middle():
    image, figure = runway_scene(240, 180)
    f = image_features(image)
    grey_cols = np.array([f[_index(f"col_mean_grey_{i}")] for i in range(8)])
    # The dark figure fills the middle columns: darker there than at the edges.
    assert grey_cols[3:5].mean() < grey_cols[[0, 7]].mean() - 0.1
    # Strips are plain backdrop: little spread inside them; the centre differs from them.
    assert f[_index("strip_std_left_r")] < 0.05
    assert f[_index("strip_centre_contrast")] > 0.1
    # Quantiles are fractions of the 0..255 range, in order.
    qs = [f[_index(f"dist_q{int(q * 100)}_all")] for q in QUANTILES]
    assert qs == sorted(qs) and 0 <= qs[0] and qs[-1] <= 1


def test_photo_features_on_ccp(ccp_photos):
    image = read_image(ccp_photos[0])
    f = image_features(image)
    assert f[_index("aspect")] == pytest.approx(image.shape[0] / image.shape[1])
    for region in ("all", "centre", "strips"):
        cdf = [f[_index(f"dist_cdf_{region}_{t}")] for t in CDF_LEVELS]
        assert all(0 <= a <= b <= 1 for a, b in zip(cdf, cdf[1:]))
    # The palette comes from the strips, so strips lie nearer to it than the centre does.
    assert f[_index("dist_cdf_strips_20")] > f[_index("dist_cdf_centre_20")]
    # Features of a photo are the same whatever its size (up to resampling): a half-size
    # copy gives close distance-histogram features.
    import cv2

    half = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2),
                      interpolation=cv2.INTER_AREA)
    g = image_features(half)
    i = _index("dist_cdf_all_20")
    assert abs(f[i] - g[i]) < 0.1


# --- person features -------------------------------------------------------------------

def _pindex(name: str) -> int:
    return PERSON_FEATURE_NAMES.index(name)


def test_feature_sets_name_unique_features():
    assert FEATURE_SETS["photo"] == FEATURE_NAMES
    both = FEATURE_SETS["photo+person"]
    assert both == FEATURE_NAMES + PERSON_FEATURE_NAMES and len(set(both)) == len(both)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 100), face=st.floats(0, 5e4),
       person=st.floats(0, 4e5), h=st.integers(1, 2000), w=st.integers(1, 2000))
def test_person_features_fixed_length_finite_and_consistent(seed, n, face, person, h, w):
    rng = np.random.default_rng(seed)
    agreement = rng.random(n) * (rng.random(n) > 0.3)
    areas = np.sort(rng.integers(0, h * w + 1, n))[::-1]  # the figure shrinks as t grows
    f = person_features(agreement, areas, face, person, (h, w))
    again = person_features(agreement.copy(), areas.copy(), face, person, (h, w))
    assert f.shape == (len(PERSON_FEATURE_NAMES),) and np.isfinite(f).all()
    np.testing.assert_array_equal(f, again)
    t = int(f[_pindex("person_t")])
    assert agreement[t] == agreement.max() == f[_pindex("agree_max")]
    for name in PERSON_FEATURE_NAMES:
        if name.startswith("agree_drop"):
            assert f[_pindex(name)] >= 0  # the person threshold is the curve's top
    assert 1 <= f[_pindex("agree_plateau")] <= n
    assert f[_pindex("figure_fraction")] == pytest.approx(areas[t] / (h * w))
    assert f[_pindex("face_found")] == float(face >= 1)
    assert 0 <= f[_pindex("face_ratio_t")] < n


def test_person_features_read_the_sweep():
    # Agreement tops at 0.9 at 30 and 31, with 0.895 either side (29..32 within 0.01 of
    # the top); the figure shrinks linearly.
    agreement = np.concatenate([np.linspace(0.2, 0.895, 30), [0.9, 0.9, 0.895],
                                np.linspace(0.85, 0.3, 48)])
    areas = np.linspace(90000, 10000, 81).round()
    f = person_features(agreement, areas, face=3000, person_area=40000, shape=(400, 300))
    assert f[_pindex("person_t")] == 30  # of the tied 30 and 31, the one nearer 20
    assert f[_pindex("agree_plateau")] == 4
    assert f[_pindex("agree_drop_p2")] == pytest.approx(0.9 - 0.895)
    assert f[_pindex("agree_default")] == pytest.approx(agreement[20])
    assert f[_pindex("person_fraction")] == pytest.approx(40000 / 120000)
    assert f[_pindex("face_figure_log_ratio")] == pytest.approx(np.log(areas[30] / 3000))
    # The original's window: figure 10..30 face areas is 30000..90000 px; the threshold
    # inside it nearest the default is the default itself.
    assert f[_pindex("face_ratio_t")] == 20
    no_face = person_features(agreement, areas, face=0, person_area=40000, shape=(400, 300))
    assert no_face[_pindex("face_found")] == 0 and no_face[_pindex("face_figure_log_ratio")] == 0
    with pytest.raises(ValueError, match="one length"):
        person_features(agreement, areas[:-1], 3000, 40000, (400, 300))


def test_person_features_of_a_training_record_equal_those_of_the_photo(ccp_photos):
    from runwaycut.threshold.face_ratio import person_models_available
    from runwaycut.scoring.labels import open_dataset, load_item
    from runwaycut.threshold.person_agreement import person_sweep
    from runwaycut.threshold.training.collect import photo_record

    if not person_models_available():
        pytest.skip("the person models (runwaycut.person.segmenter and its model files) are not here")
    ccp = open_dataset(ccp_photos[0].parents[1])
    item = next(i for i in ccp.complete if i.id == ccp_photos[0].stem)
    image, labels = load_item(item)
    record = photo_record(item.id, image, labels.positive("figure"), labels.valid)
    palette = sample_palette(image)
    sweep = person_sweep(image, distance_map(image, palette.colors))
    assert sweep.found and record.person_area == sweep.person_area > 0
    from_record = person_features(record.agreement, record.area, record.face,
                                  record.person_area, record.shape)
    np.testing.assert_array_equal(from_record, sweep.features())
    np.testing.assert_array_equal(record.features, image_features(image, palette))
