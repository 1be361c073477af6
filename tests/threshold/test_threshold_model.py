"""The threshold model: exact tree walking, safe files, the person-offset model and its
fallback, the auto rule, training, face ratio."""

from __future__ import annotations

import base64
import json
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
from runwaycut.threshold.face_ratio import choose_by_face_ratio, face_ratio_threshold
from runwaycut.threshold.features import (FEATURE_NAMES, FEATURE_SETS, PERSON_FEATURE_NAMES,
                                          image_features)
from runwaycut.io import read_image
from runwaycut.note.palette import sample_palette
from runwaycut.note.colormask import distance_map
from runwaycut.threshold.model import (FORMAT_VERSION, PERSON_PARAMS, ModelParams, ThresholdModel,
                                       default_model, default_model_path, get_model, load_model,
                                       save_model)
from runwaycut.threshold.forest import Forest
from runwaycut.threshold.training.fit import curve_target, fit_model
from runwaycut.threshold.rules import model_rule
from runwaycut.threshold.training.collect import figure_curve
from runwaycut.threshold.rules import THRESHOLD_RULES, parse_threshold

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


PERSON_T = len(FEATURE_NAMES) + PERSON_FEATURE_NAMES.index("person_t")


def _person_training_set(n=120, seed=0):
    """Random photo+person features; the best threshold is the person threshold,
    except 4 levels lower where the first photo feature is above 0.7."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(FEATURE_SETS["photo+person"])))
    x[:, PERSON_T] = rng.integers(5, 60, n)
    y = x[:, PERSON_T] - 4 * (x[:, 0] > 0.7)
    return x, y


@pytest.fixture(scope="module")
def person_model(small_model) -> ThresholdModel:
    x, y = _person_training_set()
    return fit_model(x, y, ModelParams(n_estimators=8, min_samples_leaf=3, smoothing=0,
                                       target="person-offset"),
                     feature_set="photo+person", fallback=small_model)


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


def test_person_offset_model_corrects_the_person_threshold(person_model, small_model):
    x, y = _person_training_set(200, seed=5)
    pred = person_model.predict(x)
    # Offsets are rounded toward zero: whole corrections from the person threshold.
    offset = pred - x[:, PERSON_T]
    assert set(np.unique(offset)) <= {-4.0, -3.0, -2.0, -1.0, 0.0}
    assert np.all(offset[x[:, 0] < 0.6] == 0)  # no correction where none is due
    assert np.all(offset[x[:, 0] > 0.8] <= -3)  # and most of it where it is
    assert np.corrcoef(pred, y)[0, 1] > 0.95
    why = person_model.explain(x[0])
    assert why.target == "person-offset" and why.base == x[0, PERSON_T]
    assert why.threshold == pred[0]
    assert why.bias + why.contributions.sum() == pytest.approx(why.raw, abs=1e-9)
    assert person_model.needs_person and not small_model.needs_person
    with pytest.raises(ValueError, match="features"):
        person_model.predict(x[:, :len(FEATURE_NAMES)])


def test_person_offset_needs_the_person_features_and_a_fallback(small_model):
    x, y = _training_set()
    offset = ModelParams(n_estimators=2, target="person-offset")
    with pytest.raises(ValueError, match="photo\\+person"):
        fit_model(x, y, offset)
    xp, yp = _person_training_set()
    with pytest.raises(ValueError, match="fallback"):
        fit_model(xp, yp, offset, feature_set="photo+person")
    with pytest.raises(ValueError, match="fallback"):
        fit_model(x, y, ModelParams(n_estimators=2), fallback=small_model)
    with pytest.raises(ValueError, match="target"):
        ModelParams(target="median")


def test_person_model_falls_back_without_a_person(person_model, small_model):
    from runwaycut.person.segmenter import PersonEstimate

    image, figure = runway_scene(160, 120, seed=3)
    palette = sample_palette(image)
    d = distance_map(image, palette.colors)
    photo = image_features(image, palette, d)
    nobody = PersonEstimate(probability=np.zeros(figure.shape, np.float32),
                            selfie=np.zeros(figure.shape, np.float32), pose=None, box=None,
                            found=False)
    model, row = person_model.features_for(image, palette, d, estimate=nobody)
    assert model is person_model.fallback
    np.testing.assert_array_equal(row, photo)
    assert person_model.predict_image(image, palette, d, estimate=nobody) == \
        small_model.predict(photo)[0]
    # With a person (here the true figure as the person mask), the person features are
    # read and the person threshold is where the figure agrees with it best.
    someone = PersonEstimate(probability=figure.astype(np.float32),
                             selfie=figure.astype(np.float32), pose=None, box=(0, 0, 1, 1),
                             found=True)
    model, row = person_model.features_for(image, palette, d, estimate=someone)
    assert model is person_model and len(row) == len(FEATURE_SETS["photo+person"])
    np.testing.assert_array_equal(row[:len(FEATURE_NAMES)], photo)
    f1, _ = figure_curve(d, figure)
    assert f1[int(row[PERSON_T])] == pytest.approx(f1.max())
    t = person_model.predict_image(image, palette, d, estimate=someone)
    assert t == person_model.predict(row)[0]
    assert person_model.explain_image(image, palette, d, estimate=someone).threshold == t


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
    elif how == "feature_set":
        data["feature_set"] = "photo+crystal-ball"
    elif how == "no_feature_set":
        del data["feature_set"]
    elif how == "target":
        data["params"]["target"] = "person-offset"  # without the person features
    return data


@pytest.mark.parametrize("how", ["version", "format", "missing", "base64", "zlib", "length",
                                 "child", "cycle", "params", "features", "feature_set",
                                 "no_feature_set", "target"])
def test_bad_model_files_are_refused(small_model, tmp_path, how):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_corrupt(small_model.to_json(), how)))
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert str(path) in str(err.value)
    if how == "version":
        assert "version" in str(err.value)


def test_person_model_files_round_trip_and_need_their_fallback(person_model, tmp_path):
    path = save_model(person_model, tmp_path / "person.json")
    loaded = load_model(path)
    assert loaded.feature_set == "photo+person" and loaded.fallback.feature_set == "photo"
    assert loaded.params == person_model.params
    x, _ = _person_training_set(50, seed=9)
    np.testing.assert_array_equal(loaded.predict(x), person_model.predict(x))
    assert save_model(loaded, tmp_path / "again.json").read_bytes() == path.read_bytes()
    data = json.loads(path.read_text())
    for how in ("drop", "person fallback", "other settings"):
        bad = json.loads(json.dumps(data))
        if how == "drop":
            del bad["fallback"]
        elif how == "person fallback":
            bad["fallback"] = json.loads(json.dumps(data))
        else:
            bad["fallback"]["params"]["max_threshold"] = 60
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        with pytest.raises(ModelError, match="bad.json.*fallback"):
            load_model(tmp_path / "bad.json")


def test_a_model_file_of_the_first_format_is_refused_with_a_clear_error(small_model, tmp_path):
    data = small_model.to_json()
    data["version"] = 1
    del data["feature_set"]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="v1.json: threshold model file version 1.*retrain"):
        load_model(path)


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
    from runwaycut.scoring.heldout import heldout_names

    model = default_model()
    assert model.feature_set == "photo+person"
    assert model.feature_names == FEATURE_NAMES + PERSON_FEATURE_NAMES
    assert model.params == PERSON_PARAMS
    assert model.fallback.feature_names == FEATURE_NAMES
    assert model.fallback.params == ModelParams()
    assert default_model_path().stat().st_size < 1_000_000
    assert model.training.get("photos", 0) >= 100
    # Trained without the held-out photos, which the quality tests measure on.
    assert {f"{i}.jpg" for i in model.training["heldout_left_out"]} == heldout_names()
    # Its cross-validation table: the person rule, which --threshold auto applies where a
    # person is found, is as good as the learned correction and beats every other rule;
    # the photo-only fallback beats the rules that need no person models.
    table = {row["rule"]: row for row in model.training["cross_validation"]["table"]}
    assert table["person"]["of_ceiling"] >= 0.97
    assert table["person"]["mean_f1"] >= table["model"]["mean_f1"]
    for rule in ("default", "otsu", "face-ratio", "photo-model"):
        assert table["person"]["mean_f1"] > table[rule]["mean_f1"] + 0.04
    for rule in ("default", "otsu"):
        assert table["photo-model"]["mean_f1"] > table[rule]["mean_f1"] + 0.04


def test_shipped_model_was_trained_with_these_person_models():
    from runwaycut.threshold.training.collect import _person_fingerprint

    # A change to the person models' settings or files changes the person features:
    # retrain the shipped model (runwaycut train ../shared/data/ccp --out ...).
    assert default_model().training["person_models"] == json.loads(
        json.dumps(_person_fingerprint()))


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
    with pytest.raises(ValueError, match="--band absolute"):
        parse_threshold("auto", model=path, band="relative")
    with pytest.raises(ValueError, match="--band absolute"):
        parse_threshold("auto", band="relative")
    assert parse_threshold("otsu", band="relative")[1] is THRESHOLD_RULES["otsu"]
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
    from runwaycut.note.figure import select_figure

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


def _ccp_subset(root, names=("0007", "0200", "0300", "0400", "0100")):
    """A CCP-layout set of a few of the development photos (links, not copies)."""
    from conftest import CCP_DIR

    (root / "photos").mkdir(parents=True)
    (root / "annotations" / "pixel-level").mkdir(parents=True)
    for name in names:
        photo = CCP_DIR / "photos" / f"{name}.jpg"
        label = CCP_DIR / "annotations" / "pixel-level" / f"{name}.mat"
        if not (photo.is_file() and label.is_file()):
            pytest.skip(f"CCP photo {name} not found in {CCP_DIR}")
        (root / "photos" / photo.name).symlink_to(photo)
        (root / "annotations" / "pixel-level" / label.name).symlink_to(label)
    return root


def test_train_cli_person_model_and_photo_only_model(tmp_path, ccp_photos):
    from runwaycut.threshold.face_ratio import person_models_available

    if not person_models_available():
        pytest.skip("the person models (runwaycut.person.segmenter and its model files) are not here")
    data = _ccp_subset(tmp_path / "set")
    args = ["train", str(data), "--cv", "2", "--trees", "4", "--person-min-leaf", "2",
            "-j", "1", "--cache", str(tmp_path / "cache")]
    first = runner.invoke(app, args + ["--out", str(tmp_path / "a.json")])
    assert first.exit_code == 0, first.output
    for name in ("person rule", "photo-only model", "face-ratio", "model (predicted t)"):
        assert name in first.output
    again = runner.invoke(app, args + ["--out", str(tmp_path / "b.json")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    model = load_model(tmp_path / "a.json")
    assert model.feature_set == "photo+person" and model.fallback.feature_set == "photo"
    assert model.params.min_samples_leaf == 2 and model.training["photos_with_person"] == 4
    # 0100 is a held-out photo: left out of training unless --include-heldout.
    assert model.training["photos"] == 4 and model.training["heldout_left_out"] == ["0100"]
    # --no-person: a photo-only model, which remove takes with --model.
    fast = runner.invoke(app, args + ["--no-person", "--out", str(tmp_path / "fast.json")])
    assert fast.exit_code == 0, fast.output
    assert "person rule" not in fast.output
    assert load_model(tmp_path / "fast.json").feature_set == "photo"
    every = runner.invoke(app, args + ["--no-person", "--cv", "0", "--include-heldout",
                                       "--out", str(tmp_path / "every.json")])
    assert every.exit_code == 0, every.output
    every = load_model(tmp_path / "every.json")
    assert every.training["photos"] == 5 and every.training["heldout_left_out"] == []
    out = tmp_path / "out"
    result = runner.invoke(app, ["remove", str(ccp_photos[0]), "--out", str(out), "-j", "1",
                                 "--threshold", "auto", "--model", str(tmp_path / "fast.json")])
    assert result.exit_code == 0, result.output
    assert (out / (ccp_photos[0].stem + ".mask.png")).is_file()


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
    from runwaycut.note.figure import select_figure

    ratio = select_figure(d > t).sum() / face_side ** 2
    assert 10 <= ratio <= 30
    assert face_ratio_threshold(image, palette, d, "absolute", detector=lambda im: None) == 20


# --- person rule -----------------------------------------------------------------------

def test_person_rule_picks_the_threshold_agreeing_best_with_the_person_mask():
    from runwaycut.note.figure import select_figure
    from runwaycut.threshold.person_agreement import person_threshold

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


def test_explain_with_auto_draws_the_rule_or_the_prediction_panel(ccp_photos, small_model,
                                                                   tmp_path):
    from runwaycut.explain.figure import explain, draw_explanation
    from runwaycut.explain.threshold import ThresholdPanel, explain_prediction
    from runwaycut.methods.palette import PaletteMethod

    def texts_of(fig):
        return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]

    image = read_image(ccp_photos[2])
    ex = explain(image, PaletteMethod(threshold_rule=THRESHOLD_RULES["auto"]))
    assert ex.threshold == THRESHOLD_RULES["person"](image, ex.result.palette,
                                                     ex.result.distance, "absolute")
    texts = texts_of(draw_explanation(ex, [ThresholdPanel()]))
    assert any(f"person rule picks t = {ex.threshold:g}" in t for t in texts)
    # A model given by file: its prediction and the features that drove it.
    path = save_model(small_model, tmp_path / "mine.json")
    ex = explain(image, PaletteMethod(threshold_rule=model_rule(path)))
    p = explain_prediction(image, ex.result.palette, ex.result.distance, small_model)
    assert p.threshold == ex.threshold
    assert p.bias + p.contributions.sum() == pytest.approx(p.raw, abs=1e-9)
    texts = texts_of(draw_explanation(ex, [ThresholdPanel()]))
    assert any(f"model predicts t = {p.threshold:g}" in t for t in texts)
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


@pytest.mark.parametrize("command", ["remove", "explain"])
def test_auto_with_the_relative_band_is_refused_up_front(ccp_photos, tmp_path, command):
    out = tmp_path / ("o" if command == "remove" else "why.png")
    result = runner.invoke(app, [command, str(ccp_photos[0]), "--out", str(out),
                                 "--threshold", "auto", "--band", "relative"])
    assert result.exit_code == 2
    assert "--band absolute" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()  # refused before any photo: no folder, no manifest


def test_a_person_model_needs_the_person_models(monkeypatch):
    import runwaycut.threshold.face_ratio

    monkeypatch.setattr(runwaycut.threshold.face_ratio, "person_models_available", lambda: False)
    with pytest.raises(ModelError, match="--no-person"):
        model_rule(None)
    with pytest.raises(ModelError, match="person models"):
        parse_threshold("auto")


@pytest.mark.parametrize("rule", ["face-ratio", "person"])
def test_person_model_rules_run_end_to_end(ccp_photos, rule):
    from runwaycut.threshold.face_ratio import person_models_available

    if not person_models_available():
        pytest.skip("the person models (runwaycut.person.segmenter and its model files) are not here")
    image = read_image(ccp_photos[0])
    palette = sample_palette(image)
    d = distance_map(image, palette.colors)
    t = THRESHOLD_RULES[rule](image, palette, d, "absolute")
    assert 0 <= t <= 80 and t == round(t)
