"""The threshold model: exact tree walking, safe files, the auto rule, training, face ratio."""

from __future__ import annotations

import base64
import json
import pickle
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import runway_scene
from runwaycut.cli import app
from runwaycut.errors import ModelError
from runwaycut.face_ratio import choose_by_face_ratio, face_ratio_threshold
from runwaycut.features import FEATURE_NAMES, image_features
from runwaycut.io import read_image
from runwaycut.palette import sample_palette
from runwaycut.colormask import distance_map
from runwaycut.threshold_model import (FORMAT_VERSION, Forest, ModelParams,
                                       ThresholdModel, curve_target, default_model,
                                       default_model_path, fit_model, get_model, load_model,
                                       model_rule, save_model)
from runwaycut.threshold_training import figure_curve
from runwaycut.thresholds import THRESHOLD_RULES, parse_threshold

runner = CliRunner()
N_FEATURES = len(FEATURE_NAMES)


def _training_set(n=80, seed=0):
    """Random features whose first two columns decide the target threshold."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, N_FEATURES))
    y = np.round(10 + 30 * x[:, 0] + 10 * (x[:, 1] > 0.5))
    return x, y


@pytest.fixture(scope="module")
def small_model() -> ThresholdModel:
    x, y = _training_set()
    return fit_model(x, y, ModelParams(n_estimators=12, min_samples_leaf=3))


# --- the forest ------------------------------------------------------------------------

def test_forest_predicts_as_scikit_learn():
    from sklearn.ensemble import ExtraTreesRegressor

    x, y = _training_set()
    est = ExtraTreesRegressor(n_estimators=12, min_samples_leaf=3, random_state=0).fit(x, y)
    forest = Forest.from_sklearn(est)
    test = np.random.default_rng(1).random((50, N_FEATURES))
    np.testing.assert_allclose(forest.predict(test), est.predict(test), rtol=0, atol=1e-9)
    # On a split value exactly, both go left (x <= split): leaves agree too.
    inner = forest.left >= 0
    probe = test[:1].copy()
    probe[0, forest.feature[forest.roots[0]]] = forest.split[forest.roots[0]]
    np.testing.assert_array_equal(forest.leaves(probe)[:, :len(est.estimators_)] - forest.roots,
                                  est.apply(probe.astype(np.float32)))
    assert inner.any()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 60), leaf=st.integers(1, 8),
       trees=st.integers(1, 6), ties=st.booleans())
def test_forest_equals_scikit_learn_on_any_data(seed, n, leaf, trees, ties):
    from sklearn.ensemble import ExtraTreesRegressor

    rng = np.random.default_rng(seed)
    x = rng.random((n, 7))
    if ties:  # few distinct values: test points fall exactly on split values
        x = np.round(x * 3) / 3
    y = rng.normal(20, 8, n)
    est = ExtraTreesRegressor(n_estimators=trees, min_samples_leaf=leaf,
                              random_state=seed).fit(x, y)
    forest = Forest.from_sklearn(est)
    test = np.vstack([x, np.round(rng.random((20, 7)) * 3) / 3])
    np.testing.assert_allclose(forest.predict(test), est.predict(test), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(forest.leaves(test) - forest.roots, est.apply(test))
    bias, contrib = forest.contributions(test)
    np.testing.assert_allclose(bias + contrib.sum(1), forest.predict(test), atol=1e-9)


def test_model_learns_the_rule_and_explains_it(small_model):
    x, y = _training_set(200, seed=3)
    pred = small_model.predict(x)
    assert np.all((pred >= 0) & (pred <= small_model.params.max_threshold))
    assert np.all(pred == np.round(pred))
    assert np.corrcoef(pred, y)[0, 1] > 0.8
    why = small_model.explain(x[0])
    assert why.bias + why.contributions.sum() == pytest.approx(why.raw, abs=1e-9)
    # The two features that decide the target get the largest shares, on average.
    shares = np.abs([small_model.explain(r).contributions for r in x[:40]]).mean(axis=0)
    assert set(np.argsort(-shares)[:2]) == {0, 1}
    assert why.top(3)[0][0] in (FEATURE_NAMES[0], FEATURE_NAMES[1])


def test_curve_target_prefers_a_wide_good_region_to_a_spike():
    curve = np.zeros(81)
    curve[10] = 0.9                        # a lone spike
    curve[40:50] = 0.85                    # a wide plateau
    assert curve_target(curve[None], 0)[0] == 10
    assert 40 <= curve_target(curve[None], 3)[0] < 50


def test_training_is_deterministic():
    x, y = _training_set()
    a = fit_model(x, y, ModelParams(n_estimators=5, seed=7))
    b = fit_model(x, y, ModelParams(n_estimators=5, seed=7))
    assert json.dumps(a.to_json()) == json.dumps(b.to_json())
    c = fit_model(x, y, ModelParams(n_estimators=5, seed=8))
    assert json.dumps(a.to_json()) != json.dumps(c.to_json())


# --- files -----------------------------------------------------------------------------

def test_save_load_round_trip_gives_identical_predictions(small_model, tmp_path):
    path = save_model(small_model, tmp_path / "m.json")
    loaded = load_model(path)
    x = np.random.default_rng(5).random((100, N_FEATURES))
    np.testing.assert_array_equal(loaded.forest.predict(x), small_model.forest.predict(x))
    np.testing.assert_array_equal(loaded.predict(x), small_model.predict(x))
    assert loaded.feature_names == FEATURE_NAMES
    assert loaded.params == small_model.params
    # Saving the loaded model writes the same bytes.
    again = save_model(loaded, tmp_path / "again.json")
    assert again.read_bytes() == path.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def _unpack(entry) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(entry["zlib_base64"])), "<i4").copy()


def _pack(array) -> str:
    return base64.b64encode(zlib.compress(np.asarray(array, "<i4").tobytes())).decode()


def _corrupt(data: dict, how: str) -> dict:
    data = json.loads(json.dumps(data))
    forest = data["forest"]
    if how == "version":
        data["version"] = FORMAT_VERSION + 1
    elif how == "format":
        data["format"] = "something-else"
    elif how == "missing":
        del data["forest"]
    elif how == "base64":
        forest["split"]["zlib_base64"] = forest["split"]["zlib_base64"][:-7] + "!!"
    elif how == "zlib":
        forest["split"]["zlib_base64"] = base64.b64encode(b"not zlib data").decode()
    elif how == "length":
        forest["value"]["length"] += 1
    elif how == "child":
        left = _unpack(forest["left"])
        left[0] = 10 ** 6
        forest["left"]["zlib_base64"] = _pack(left)
    elif how == "cycle":
        left = _unpack(forest["left"])
        inner = np.flatnonzero(left >= 0)
        left[inner[-1]] = 0  # points back to the root: an endless walk
        forest["left"]["zlib_base64"] = _pack(left)
    elif how == "params":
        data["params"]["n_estimators"] = "many"
    elif how == "features":
        data["feature_names"] = data["feature_names"][:3]
    return data


@pytest.mark.parametrize("how", ["version", "format", "missing", "base64", "zlib", "length",
                                 "child", "cycle", "params", "features"])
def test_bad_model_files_are_refused(small_model, tmp_path, how):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_corrupt(small_model.to_json(), how)))
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert str(path) in str(err.value)
    if how == "version":
        assert "version" in str(err.value)


@pytest.mark.parametrize("content", [b"", b"{not json", b"\x80\x81\x82", b"[1, 2, 3]",
                                     b"\x80\x04\x95 pickle"])
def test_non_model_files_are_refused(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="bad.json"):
        load_model(path)


def test_missing_model_and_folder_are_refused(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.json")
    with pytest.raises(ModelError, match="folder"):
        load_model(tmp_path)


def test_model_of_other_features_is_refused(small_model, tmp_path):
    data = small_model.to_json()
    data["features_version"] = -1
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    load_model(path)  # readable ...
    with pytest.raises(ModelError, match="features version"):
        get_model(path)  # ... but not usable with this runwaycut's features


# --- the shipped model and the auto rule ----------------------------------------------

def test_shipped_model_loads_and_matches_the_features():
    model = default_model()
    assert model.feature_names == FEATURE_NAMES
    assert default_model_path().stat().st_size < 1_000_000
    assert model.training.get("photos", 0) >= 100


def test_auto_rule_predicts_a_threshold_for_a_ccp_photo(ccp_photos):
    image = read_image(ccp_photos[0])
    palette = sample_palette(image)
    distance = distance_map(image, palette.colors)
    rule = THRESHOLD_RULES["auto"]
    t = rule(image, palette, distance, "absolute")
    assert 0 <= t <= 80 and t == round(t)
    assert t == default_model().predict_image(image, palette, distance)
    # Picklable for batch workers, and named for the parameter record.
    assert pickle.loads(pickle.dumps(rule)) == rule
    assert rule.__name__ == "auto"
    with pytest.raises(ValueError, match="absolute"):
        rule(image, palette, distance_map(image, palette.colors, "relative"), "relative")


def test_model_file_selects_the_auto_rule(small_model, tmp_path):
    path = save_model(small_model, tmp_path / "mine.json")
    value, rule = parse_threshold("auto", model=path)
    assert value is None and rule.path == str(path) and len(rule.sha256) == 64
    assert parse_threshold(None, model=path)[1] == rule
    image, _ = runway_scene(160, 120)
    palette = sample_palette(image)
    d = distance_map(image, palette.colors)
    assert rule(image, palette, d, "absolute") == small_model.predict(
        image_features(image, palette, d))[0]
    # A model file rewritten after the rule was made is refused, not mixed in.
    save_model(fit_model(*_training_set(seed=4), ModelParams(n_estimators=3)), path)
    with pytest.raises(ModelError, match="changed"):
        rule(image, palette, d, "absolute")
    with pytest.raises(ValueError, match="--model"):
        parse_threshold("12", model=path)
    (tmp_path / "broken.json").write_text("{}")
    with pytest.raises(ModelError, match="broken.json"):
        model_rule(tmp_path / "broken.json")


@pytest.mark.parametrize("threshold", ["auto", "otsu"])
def test_remove_with_a_rule_runs_end_to_end(ccp_photos, tmp_path, threshold):
    out = tmp_path / "out"
    result = runner.invoke(app, ["remove", str(ccp_photos[1]), "--out", str(out), "-j", "1",
                                 "--threshold", threshold])
    assert result.exit_code == 0, result.output
    mask = cv2.imread(str(out / (ccp_photos[1].stem + ".mask.png")), cv2.IMREAD_GRAYSCALE)
    assert mask is not None and 0.05 < (mask > 0).mean() < 0.9
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert rows and all(r.get("status") == "ok" for r in rows)


# --- training --------------------------------------------------------------------------

def test_figure_curve_equals_masking_each_threshold():
    from runwaycut.figure import select_figure

    image, figure = runway_scene(120, 90, seed=2)
    d = distance_map(image, sample_palette(image).colors)
    f1, area = figure_curve(d, figure, max_threshold=40)
    for t in (0, 5, 17, 40):
        mask = select_figure(d > t)
        tp = np.count_nonzero(mask & figure)
        expected = 2 * tp / (mask.sum() + figure.sum())
        assert f1[t] == pytest.approx(expected)
        assert area[t] == mask.sum()


def _write_masks_set(root, n=6):
    (root / "photos").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        image, figure = runway_scene(120 + 8 * i, 90, seed=i)
        cv2.imwrite(str(root / "photos" / f"p{i}.png"), image[:, :, ::-1])
        cv2.imwrite(str(root / "masks" / f"p{i}.png"), figure.astype(np.uint8) * 255)


def test_train_cli_writes_a_reproducible_model_and_a_cv_table(tmp_path):
    data = tmp_path / "set"
    _write_masks_set(data)
    args = ["train", str(data), "--cv", "2", "--no-person", "--trees", "4", "-j", "1",
            "--cache", str(tmp_path / "cache")]
    first = runner.invoke(app, args + ["--out", str(tmp_path / "a.json")])
    assert first.exit_code == 0, first.output
    for name in ("fixed default", "Otsu", "model", "ceiling"):
        assert name in first.output
    assert "face-ratio" not in first.output
    # Same data, seed and options: the same file, from the cache or afresh.
    again = runner.invoke(app, args + ["--out", str(tmp_path / "b.json")])
    fresh = runner.invoke(app, args[:-2] + ["--no-cache", "--out", str(tmp_path / "c.json")])
    assert again.exit_code == 0 and fresh.exit_code == 0
    a = (tmp_path / "a.json").read_bytes()
    assert a == (tmp_path / "b.json").read_bytes() == (tmp_path / "c.json").read_bytes()
    model = load_model(tmp_path / "a.json")
    assert model.training["photos"] == 6
    assert model.training["cross_validation"]["folds"] == 2
    image, _ = runway_scene(130, 90, seed=9)
    assert 0 <= model.predict(image_features(image))[0] <= 80


def test_train_cli_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["train", str(tmp_path / "nowhere"), "--out",
                                 str(tmp_path / "m.json")])
    assert result.exit_code == 2
    assert "error" in result.output and "Traceback" not in result.output
    data = tmp_path / "set"
    _write_masks_set(data, n=3)
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m.json"),
                                 "--cv", "5", "--no-person", "-j", "1", "--no-cache"])
    assert result.exit_code == 2 and "--cv 5" in result.output
    assert not (tmp_path / "m.json").exists()


# --- face ratio ------------------------------------------------------------------------

def test_face_ratio_prefers_the_window_nearest_the_default():
    areas = np.array([9000, 7000, 5000, 3000, 2500, 2000, 1000, 500], float)
    # Face of 200 px: the window 10..30 faces is 2000..6000 px -> thresholds 2, 3, 4, 5.
    assert choose_by_face_ratio(areas, 200, default=20) == 5
    assert choose_by_face_ratio(areas, 200, default=0) == 2
    # No threshold inside: the nearest in log ratio to the window's centre (17.3 faces).
    assert choose_by_face_ratio(areas, 10, default=20) == 7
    # No face: the default.
    assert choose_by_face_ratio(areas, None, default=20) == 20
    assert choose_by_face_ratio(areas, 0, default=4) == 4


def test_face_ratio_rule_with_a_given_detector():
    image, figure = runway_scene(200, 150, seed=4)
    palette = sample_palette(image)
    d = distance_map(image, palette.colors)
    face_side = int(np.sqrt(figure.sum() / 17))
    t = face_ratio_threshold(image, palette, d, "absolute",
                             detector=lambda im: (0, 0, face_side - 1, face_side - 1))
    from runwaycut.figure import select_figure

    ratio = select_figure(d > t).sum() / face_side ** 2
    assert 10 <= ratio <= 30
    assert face_ratio_threshold(image, palette, d, "absolute", detector=lambda im: None) == 20


# --- person rule -----------------------------------------------------------------------

def test_person_rule_picks_the_threshold_agreeing_best_with_the_person_mask():
    from runwaycut.figure import select_figure
    from runwaycut.person_agreement import person_threshold

    image, figure = runway_scene(200, 150, seed=6)
    palette = sample_palette(image)
    d = distance_map(image, palette.colors)
    t = person_threshold(image, palette, d, "absolute", person=figure)
    f1 = [2 * (select_figure(d > s) & figure).sum() / (select_figure(d > s).sum() + figure.sum())
          for s in range(81)]
    assert f1[int(t)] == pytest.approx(max(f1))
    # No person: the band's default.
    assert person_threshold(image, palette, d, "absolute",
                            person=np.zeros_like(figure)) == 20


def test_explain_with_auto_draws_the_prediction_panel(ccp_photos, tmp_path):
    from runwaycut.explain import explain, draw_explanation
    from runwaycut.explain_threshold import ThresholdPanel, explain_prediction
    from runwaycut.methods.palette import PaletteMethod

    image = read_image(ccp_photos[2])
    ex = explain(image, PaletteMethod(threshold_rule=THRESHOLD_RULES["auto"]))
    p = explain_prediction(image, ex.result.palette, ex.result.distance, default_model())
    assert p.threshold == ex.threshold
    assert p.bias + p.contributions.sum() == pytest.approx(p.raw, abs=1e-9)
    fig = draw_explanation(ex, [ThresholdPanel()])
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any(f"t = {p.threshold:g}" in t for t in texts)
    assert any(p.top(1)[0][0] in t for t in texts)
    out = tmp_path / "why.png"
    result = runner.invoke(app, ["explain", str(ccp_photos[2]), "--out", str(out),
                                 "--threshold", "auto"])
    assert result.exit_code == 0, result.output
    assert cv2.imread(str(out)) is not None
    bad = runner.invoke(app, ["explain", str(ccp_photos[2]), "--out", str(out),
                              "--threshold", "auto", "--model", str(tmp_path / "none.json")])
    assert bad.exit_code == 2 and "none.json" in bad.output


def test_remove_and_evaluate_refuse_a_bad_model_in_one_line(ccp_photos, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "runwaycut-threshold-model", "version": 999}')
    result = runner.invoke(app, ["remove", str(ccp_photos[0]), "--out", str(tmp_path / "o"),
                                 "--threshold", "auto", "--model", str(bad)])
    assert result.exit_code == 2
    assert "bad.json" in result.output and "version" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / (ccp_photos[0].stem + ".mask.png")).exists()
    result = runner.invoke(app, ["remove", str(ccp_photos[0]), "--out", str(tmp_path / "o"),
                                 "--threshold", "12", "--model", str(bad)])
    assert result.exit_code == 2 and "--model" in result.output


@pytest.mark.parametrize("rule", ["face-ratio", "person"])
def test_person_model_rules_run_end_to_end(ccp_photos, rule):
    from runwaycut.face_ratio import person_models_available

    if not person_models_available():
        pytest.skip("the person models (runwaycut.person and its model files) are not here")
    image = read_image(ccp_photos[0])
    palette = sample_palette(image)
    d = distance_map(image, palette.colors)
    t = THRESHOLD_RULES[rule](image, palette, d, "absolute")
    assert 0 <= t <= 80 and t == round(t)
