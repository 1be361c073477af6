"""Garment isolation: four-class label maps, their PNG palette, the garment cutout, the
shipped classifier, photos without a face or a person."""

from __future__ import annotations

import io
import json
import shutil

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from runwaycut.errors import InvalidImageError, ModelError
from runwaycut.garment.types import (ACCESSORY, BACKGROUND, FEATURE_NAMES, GARMENT, LABEL_PALETTE,
                                     SKIN_HAIR, GarmentParams)
from runwaycut.garment.model import GarmentModel, load_garment_model
from runwaycut.garment.outputs import garment_cutout, labels_png, labels_rgb
from runwaycut.garment.guided import guided_labels
from runwaycut.garment.labelmap import label_garment, label_map, region_mean, region_rows
from runwaycut.garment.features import (WHOLE_FACTOR_TOLERANCE, pixel_features, to_work,
                                        work_scale)
from runwaycut.scoring.labels import (CLASS_NAMES, SEG_RANGES_BGR, classify_seg_colors, load_item,
                                      open_dataset)
from runwaycut.scoring.metrics import mask_scores

from conftest import CCP_DIR, REPO, needs_ccp

#: CCP photos used end to end (one light, one dark garment).
PHOTO_IDS = ("0007", "0100")


@pytest.fixture(scope="module")
def ccp_items():
    if not (CCP_DIR / "annotations").is_dir():
        pytest.skip(f"CCP labels not found at {CCP_DIR}")
    data = open_dataset(CCP_DIR)
    items = {item.id: item for item in data.complete}
    return [items[i] for i in PHOTO_IDS]


@pytest.fixture(scope="module")
def labelled(ccp_items):
    """(image, classes, result) of each photo, the pose found by the person models."""
    out = []
    for item in ccp_items:
        image, labels = load_item(item)
        out.append((image, labels.classes, label_garment(image, labels.classes != BACKGROUND)))
    return out


# --- label map and palette -------------------------------------------------------------------

def test_palette_is_the_original_colour_code():
    # Each class colour lies in the range the original's colour-coded labels used for it.
    assert LABEL_PALETTE.shape == (len(CLASS_NAMES), 3)
    for index, name in enumerate(CLASS_NAMES):
        lo, hi = (np.array(v[::-1]) for v in SEG_RANGES_BGR[name])  # BGR -> RGB
        assert ((LABEL_PALETTE[index] >= lo) & (LABEL_PALETTE[index] <= hi)).all(), name
    assert (BACKGROUND, GARMENT, SKIN_HAIR, ACCESSORY) == tuple(
        CLASS_NAMES.index(n) for n in ("background", "garment", "skin_hair", "accessory"))


@settings(max_examples=30, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 30)),
              elements=st.integers(0, 3)))
def test_labels_png_round_trip(labels):
    png = labels_png(labels)
    pil = Image.open(io.BytesIO(png))
    assert pil.mode == "P"
    assert np.array_equal(np.asarray(pil), labels)
    palette = np.array(pil.getpalette()[:3 * len(LABEL_PALETTE)], np.uint8).reshape(-1, 3)
    assert np.array_equal(palette, LABEL_PALETTE)
    rgb = np.asarray(pil.convert("RGB"))
    assert np.array_equal(rgb, labels_rgb(labels))
    # Read as one of the original's colour-coded label images, it gives the same classes.
    assert np.array_equal(classify_seg_colors(rgb), labels)


def test_labels_png_rejects_other_values():
    with pytest.raises(ValueError, match="class 4"):
        labels_png(np.array([[0, 4]], np.uint8))
    with pytest.raises(ValueError, match="2-D"):
        labels_png(np.zeros((2, 2, 2), np.uint8))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 25), st.integers(2, 25))
def test_label_map_background_exactly_outside_figure(seed, h, w):
    rng = np.random.default_rng(seed)
    maps = rng.random((h, w, 3)).astype(np.float32)
    figure = rng.random((h, w)) < 0.5
    labels = label_map(maps, figure)
    assert np.array_equal(labels == BACKGROUND, ~figure)
    expected = np.array([GARMENT, SKIN_HAIR, ACCESSORY])[maps.argmax(axis=2)]
    assert np.array_equal(labels[figure], expected[figure])


@pytest.mark.parametrize("strip_pixels", [None, 300])  # one strip; strips of a few rows
# a non-integer scale, 2x, and 2x with the photo's last row and column of blocks padded
@pytest.mark.parametrize("size", [(83, 61), (80, 60), (79, 59)])
def test_guided_labels_match_the_whole_photo_guided_filter(size, strip_pixels, monkeypatch):
    """Inside the figure's box only, with the guide's statistics shared by the classes,
    by strips of rows (a large photo's), and still the labels of a guided filter of each
    class map over the whole photo: enlarged by exactly 2 where the working photo is the
    photo's 2x2 blocks (79 rows: 40 blocks, the last one edge-padded)."""
    from runwaycut.person import matting
    from runwaycut.person.matting import guided_upsample

    if strip_pixels:
        monkeypatch.setattr(matting, "STRIP_PIXELS", strip_pixels)

    rng = np.random.default_rng(5)
    H, W = size
    image = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), (0, 0), 1.5)
    small = cv2.resize(image, (30, 40), interpolation=cv2.INTER_AREA)
    raw = cv2.GaussianBlur(rng.random((40, 30, 3)).astype(np.float32), (0, 0), 2)
    maps = raw / raw.sum(axis=2, keepdims=True)
    figure = np.zeros((H, W), bool)
    figure[20:70, 15:45] = rng.random((50, 30)) < 0.8
    # The whole photo's filter, over the padded photo when its blocks are padded.
    guide = cv2.copyMakeBorder(image, 0, 80 - H, 0, 60 - W, cv2.BORDER_REPLICATE) \
        if size == (79, 59) else image
    expected = np.empty((H, W, 3), np.float32)
    for c in range(2):
        expected[..., c] = guided_upsample(small, np.ascontiguousarray(maps[..., c]), guide,
                                           radius=3, eps=1e-3)[:H, :W]
    expected[..., 2] = 1 - expected[..., 0] - expected[..., 1]
    labels = guided_labels(small, maps, image, figure, radius=3, eps=1e-3)
    assert np.array_equal(labels, label_map(expected, figure))
    assert not guided_labels(small, maps, image, np.zeros((H, W), bool), 3, 1e-3).any()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_region_rows_measure_every_region_from_about_half_the_pixels(seed):
    rng = np.random.default_rng(seed)
    h, w = 30, 20
    index = np.flatnonzero(rng.random(h * w) < 0.7)
    region = rng.integers(0, 40, len(index))
    rows = region_rows(region, index, w)
    assert set(region[rows]) == set(region)  # every region measured
    ys, xs = np.divmod(index, w)
    assert rows[(ys + xs) % 2 == 0].all()
    means = region_mean(region, rng.random((int(rows.sum()), 3)), rows)
    assert means.shape == (len(index), 3)
    for r in np.unique(region):
        assert np.allclose(means[region == r], means[region == r][0])


def test_region_mean_is_constant_per_region_and_keeps_the_mean():
    rng = np.random.default_rng(3)
    region = rng.integers(0, 7, 200)
    values = rng.random((200, 3)).astype(np.float32)
    out = region_mean(region, values)
    for r in np.unique(region):
        rows = out[region == r]
        assert np.allclose(rows, rows[0])
        assert np.allclose(rows[0], values[region == r].mean(axis=0), atol=1e-6)


# --- the pipeline on real photos -----------------------------------------------------------

@needs_ccp
def test_label_map_on_photos(labelled):
    for image, truth, result in labelled:
        labels = result.labels
        assert labels.dtype == np.uint8 and labels.shape == truth.shape
        assert set(np.unique(labels)) <= {BACKGROUND, GARMENT, SKIN_HAIR, ACCESSORY}
        figure = truth != BACKGROUND
        assert np.array_equal(labels == BACKGROUND, ~figure)
        # The face was found and its skin sampled: skin+hair is labelled on the head.
        assert result.skin.source == "face" and result.face_box is not None
        x0, y0, x1, y1 = result.face_box
        head = labels[max(y0, 0):y1, max(x0, 0):x1]
        assert (head == SKIN_HAIR).sum() > 0.5 * (head != BACKGROUND).sum()
        # Better than calling the whole figure garment, by a clear margin.
        garment = mask_scores(labels == GARMENT, truth == GARMENT)["f1"]
        whole = mask_scores(figure, truth == GARMENT)["f1"]
        assert garment > whole + 0.05
        assert 0 < result.shares()["garment"] < figure.mean()


#: Measured with the shipped classifier on the held-out photos of ``heldout_photos``
#: (``python benchmarks/heldout_quality.py``): median garment F1 of the label map on the
#: hand-labelled figure, and its mean gain over calling the whole figure garment. The
#: median, because one photo (0072, where the skin model sampled from the face misleads
#: the classifier) fails at 0.57 and would make a bound on the mean follow that photo
#: alone. The skin distance to the colour sampled from the face earns its keep in the
#: other classes: pooled skin+hair IoU 0.7925 and accessory IoU 0.442 on these photos,
#: 0.7722 and 0.384 with that feature set to 0 (garment F1 barely moves: median 0.9515
#: against 0.9488), so both are bounded too.
GARMENT_HELDOUT_MEDIAN_F1 = 0.9509
GARMENT_HELDOUT_GAIN = 0.0917
SKIN_HAIR_HELDOUT_IOU, ACCESSORY_HELDOUT_IOU = 0.7925, 0.442


@needs_ccp
def test_garment_model_gains_over_the_whole_figure_on_heldout_photos(heldout_photos,
                                                                     heldout_figures):
    garment, whole = [], []
    confusion = np.zeros((4, 4), np.int64)
    for (_, image, classes), (auto_result, _) in zip(heldout_photos, heldout_figures):
        figure = classes != BACKGROUND
        labels = label_garment(image, figure, landmarks=auto_result.details["landmarks"]).labels
        garment.append(mask_scores(labels == GARMENT, classes == GARMENT)["f1"])
        whole.append(mask_scores(figure, classes == GARMENT)["f1"])
        confusion += np.bincount(classes.ravel().astype(np.int64) * 4 + labels.ravel(),
                                 minlength=16).reshape(4, 4)
    garment, whole = np.array(garment), np.array(whole)
    assert np.median(garment) > GARMENT_HELDOUT_MEDIAN_F1 - 0.005
    assert garment.mean() - whole.mean() > GARMENT_HELDOUT_GAIN - 0.01
    assert np.count_nonzero(garment < whole) <= len(garment) // 10
    inter = np.diag(confusion)
    iou = inter / (confusion.sum(0) + confusion.sum(1) - inter)
    assert iou[SKIN_HAIR] > SKIN_HAIR_HELDOUT_IOU - 0.01
    assert iou[ACCESSORY] > ACCESSORY_HELDOUT_IOU - 0.03


@needs_ccp
def test_garment_cutout_matches_label_map(labelled):
    image, _, result = labelled[0]
    rgba = garment_cutout(image, result.labels)
    assert rgba.shape == image.shape[:2] + (4,) and rgba.dtype == np.uint8
    garment = result.labels == GARMENT
    assert np.array_equal(rgba[..., 3] == 255, garment)
    assert not rgba[..., 3][~garment].any()
    assert np.array_equal(rgba[garment, :3], image[garment])
    assert not rgba[~garment, :3].any()
    assert np.array_equal(result.garment, garment)


@needs_ccp
def test_photo_without_face(ccp_items):
    # The photo cut below the shoulders: no face to sample skin from. The pose model
    # may or may not find the body; either way the map is made, with a warning.
    image, labels = load_item(ccp_items[0])
    top = image.shape[0] // 4
    image, classes = np.ascontiguousarray(image[top:]), labels.classes[top:]
    figure = classes != BACKGROUND
    result = label_garment(image, figure)
    assert result.skin.source == "default" and result.face_box is None
    assert any("face" in w for w in result.warnings)
    assert np.array_equal(result.labels == BACKGROUND, ~figure)
    assert (result.labels == GARMENT).any()


@needs_ccp
def test_no_pose_falls_back_to_mean_pose(ccp_items):
    image, labels = load_item(ccp_items[1])
    figure = labels.classes != BACKGROUND
    result = label_garment(image, figure, landmarks=None)
    assert not result.frame.from_pose
    assert any("no pose" in w for w in result.warnings)
    f1 = mask_scores(result.labels == GARMENT, labels.classes == GARMENT)["f1"]
    assert f1 > mask_scores(figure, labels.classes == GARMENT)["f1"]


def test_no_person_at_all():
    # A flat grey card with a rectangle as "figure": no person, no pose, no face.
    rng = np.random.default_rng(0)
    image = np.clip(128 + rng.normal(0, 3, (200, 140, 3)), 0, 255).astype(np.uint8)
    figure = np.zeros((200, 140), bool)
    figure[40:180, 50:90] = True
    result = label_garment(image, figure)
    assert result.face_box is None and not result.frame.from_pose
    assert np.array_equal(result.labels == BACKGROUND, ~figure)
    assert set(np.unique(result.labels[figure])) <= {GARMENT, SKIN_HAIR, ACCESSORY}


def test_empty_and_tiny_figures():
    image = np.full((300, 200, 3), 90, np.uint8)
    empty = label_garment(image, np.zeros((300, 200), bool), landmarks=None)
    assert not empty.labels.any()
    # One pixel: lost at working size (half), called garment.
    big = np.full((1000, 600, 3), 90, np.uint8)
    tiny = np.zeros((1000, 600), bool)
    tiny[500, 300] = True
    result = label_garment(big, tiny, landmarks=None)
    assert result.labels[500, 300] == GARMENT and result.labels.sum() == GARMENT


def test_bad_inputs():
    image = np.zeros((100, 80, 3), np.uint8)
    with pytest.raises(InvalidImageError):
        label_garment(image, np.zeros((100, 81), bool), landmarks=None)
    with pytest.raises(InvalidImageError):
        label_garment(image[..., 0], np.zeros((100, 80), bool), landmarks=None)
    with pytest.raises(ValueError):
        label_garment(image, np.zeros((100, 80), bool), landmarks="guess")
    with pytest.raises(ValueError):
        GarmentParams(smooth=-1)
    with pytest.raises(InvalidImageError):
        garment_cutout(image, np.zeros((5, 5), np.uint8))


# --- the shipped model ----------------------------------------------------------------------

def test_shipped_model_predicts_what_its_json_file_says():
    # The network is evaluated here from the shipped file's numbers alone, in float64
    # (standardise, ReLU hidden layers, softmax), and must agree with the model object.
    model = load_garment_model()
    doc = json.loads((REPO / "src" / "runwaycut" / "data" / "garment_model.json").read_text())
    assert doc["features"] == list(FEATURE_NAMES)
    assert doc["classes"] == ["garment", "skin_hair", "accessory"]
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (120, 80, 3), dtype=np.uint8)
    figure = np.zeros((120, 80), bool)
    figure[10:110, 20:60] = True
    fs = pixel_features(image, figure, None, model.priors)
    assert fs.features.shape == (figure.sum(), len(FEATURE_NAMES))
    net = doc["net"]
    z = (fs.features.astype(np.float64) - np.array(net["mean"])) / np.array(net["scale"])
    for k, (w, b) in enumerate(zip(net["weights"], net["biases"])):
        z = z @ np.array(w) + np.array(b)
        if k < len(net["weights"]) - 1:
            z = np.maximum(z, 0)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    p = model.predict(fs)
    assert p.shape == expected.shape == (figure.sum(), 3)
    assert np.allclose(p, expected, atol=1e-4)
    clear = np.diff(np.sort(expected, axis=1)[:, -2:], axis=1).ravel() > 1e-3  # no near-tie
    assert np.array_equal(p.argmax(axis=1)[clear], expected.argmax(axis=1)[clear])
    again = GarmentModel.from_json(model.to_json())
    assert np.array_equal(again.predict(fs), p)
    assert model.info.get("photos", 0) > 0


def test_model_files_that_are_not_models(tmp_path):
    good = json.loads(load_garment_model().to_json())
    cases = {"not-json.json": "{", "other.json": json.dumps({"format": "something else"}),
             "features.json": json.dumps({**good, "features": good["features"][:-1]}),
             "shapes.json": json.dumps({**good, "net": {**good["net"], "mean": [0.0, 1.0]}}),
             "list.json": "[1, 2]"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ModelError, match=name):
            GarmentModel.load(path)
    with pytest.raises(ModelError, match="missing.json"):
        GarmentModel.load(tmp_path / "missing.json")


def test_working_size():
    assert work_scale((832, 550), 416) == 0.5
    assert work_scale((300, 200), 416) == 1.0
    image = np.zeros((832, 550, 3), np.uint8)
    figure = np.zeros((832, 550), bool)
    figure[100:700, 200:350] = True
    small, fig = to_work(image, figure, 0.5)
    assert small.shape == (416, 275, 3) and fig.shape == (416, 275)
    assert abs(int(fig.sum()) * 4 - int(figure.sum())) < 0.02 * figure.sum()


@settings(max_examples=60, deadline=None)
@given(st.integers(200, 4000), st.integers(100, 4000), st.integers(0, 2**32 - 1))
def test_working_size_is_a_whole_factor_where_one_is_close(long, short, seed):
    """Within 5% of the working side a photo is shrunk in whole k x k blocks (the last
    ones edge-padded): each working pixel is its block's mean, as OpenCV's fast area
    path computes it; elsewhere the working side is the working side exactly."""
    shape = (long, min(short, long))
    scale = work_scale(shape, 416)
    k = round(1 / scale)
    if long <= 416:
        assert scale == 1.0
    elif abs(k * scale - 1) < 1e-12:
        assert k >= 2 and abs(-(-long // k) - 416) <= WHOLE_FACTOR_TOLERANCE * 416 + 0.5
    else:
        assert round(long * scale) == 416
        assert all(abs(long / j - 416) > WHOLE_FACTOR_TOLERANCE * 416
                   for j in range(2, long // 100 + 2))
    if long > 1000 or scale == 1.0 or abs(k * scale - 1) >= 1e-12:
        return
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    figure = rng.random(shape) < 0.5
    small, fig = to_work(image, figure, scale)
    h, w = -(-shape[0] // k), -(-shape[1] // k)
    padded = np.pad(image.astype(np.float64), ((0, h * k - shape[0]), (0, w * k - shape[1]),
                                              (0, 0)), mode="edge")
    means = padded.reshape(h, k, w, k, 3).mean(axis=(1, 3))
    assert small.shape == (h, w, 3) and fig.shape == (h, w)
    assert np.abs(small - means).max() <= 0.5 + 1e-9  # rounded to uint8
    cover = np.pad(figure.astype(np.float64), ((0, h * k - shape[0]), (0, w * k - shape[1])),
                   mode="edge").reshape(h, k, w, k).mean(axis=(1, 3))
    assert not (fig & (cover < 0.49)).any() and (fig | (cover <= 0.51)).all()


def test_features_of_some_rows_are_those_rows_of_all_features():
    """``rows`` describes only those pixels, each as it is among all of them; the
    small Gaussian and the texture, filtered over the figure's box only, equal the
    whole image's filters at the figure's pixels."""
    from runwaycut.garment.colors import rgb_to_lab

    model = load_garment_model()
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 256, (160, 110, 3), dtype=np.uint8), (0, 0), 1)
    figure = np.zeros((160, 110), bool)
    figure[30:150, 40:80] = rng.random((120, 40)) < 0.9
    landmarks = np.zeros((33, 5), np.float32)
    landmarks[:, 0] = rng.uniform(45, 75, 33)
    landmarks[:, 1] = np.linspace(35, 145, 33)
    landmarks[:, 2:] = 1
    every = pixel_features(image, figure, landmarks, model.priors)
    rows = rng.random(int(figure.sum())) < 0.5
    some = pixel_features(image, figure, landmarks, model.priors, rows=rows)
    assert np.array_equal(some.features, every.features[rows])
    assert np.array_equal(some.index, every.index) and some.rows is rows
    lab = rgb_to_lab(image)
    sigma = max(every.frame.scale * 0.03, 0.8)
    smooth = cv2.GaussianBlur(lab, (0, 0), sigma)[figure]
    col = FEATURE_NAMES.index
    assert np.array_equal(every.features[:, [col("L_smooth"), col("a_smooth"), col("b_smooth")]],
                          smooth)
    grey = np.ascontiguousarray(lab[..., 0])
    mean = cv2.blur(grey, (5, 5))
    texture = np.sqrt(np.maximum(cv2.blur(grey * grey, (5, 5)) - mean * mean, 0))[figure]
    assert np.array_equal(every.features[:, col("texture")], texture)


# --- command line -----------------------------------------------------------------------------

EXAMPLES = REPO / "examples" / "photos"


def _run(*args):
    from typer.testing import CliRunner

    from runwaycut.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_remove_target_garment_writes_consistent_files(tmp_path):
    photo = EXAMPLES / "0111.jpg"
    out = tmp_path / "out"
    result = _run("remove", photo, "--out", out, "--target", "garment", "--method", "person",
                  "-j", "1")
    assert result.exit_code == 0, result.output
    image = np.asarray(Image.open(photo).convert("RGB"))
    with Image.open(out / "0111.labels.png") as pil:
        assert pil.mode == "P"
        labels = np.asarray(pil)
        palette = np.array(pil.getpalette()[:12], np.uint8).reshape(4, 3)
    assert np.array_equal(palette, LABEL_PALETTE)
    mask = np.asarray(Image.open(out / "0111.mask.png")) == 255
    # The label map refines the figure mask: background exactly where the mask is off.
    assert np.array_equal(labels == BACKGROUND, ~mask)
    assert {GARMENT, SKIN_HAIR} <= set(np.unique(labels).tolist())
    with Image.open(out / "0111.garment.png") as pil:
        assert pil.mode == "RGBA"
        rgba = np.asarray(pil)
    assert np.array_equal(rgba[..., 3] == 255, labels == GARMENT)
    assert np.array_equal(rgba[labels == GARMENT, :3], image[labels == GARMENT])
    doc = json.loads((out / "0111.colors.json").read_text())
    assert doc["garment_pixels"] == int((labels == GARMENT).sum())
    assert sum(c["share"] for c in doc["colors"]) == pytest.approx(1.0, abs=1e-3)
    assert doc["class_shares"]["garment"] == pytest.approx((labels == GARMENT).mean(), abs=1e-6)
    # The run records the garment settings; a figure-only rerun into it is refused.
    params = json.loads((out / "runwaycut-params.json").read_text())
    assert params["method"]["type"] == "runwaycut.garment.GarmentMethod"
    again = _run("remove", photo, "--out", out, "--method", "person", "-j", "1")
    assert again.exit_code == 2


def test_remove_rejects_bad_garment_options(tmp_path):
    photo = EXAMPLES / "0087.jpg"
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    out = tmp_path / "out"
    result = _run("remove", photo, "--out", out, "--target", "garment", "--garment-model", bad)
    assert result.exit_code == 2
    assert "bad.json" in result.output and "garment model" in result.output
    assert not out.exists() or not any(out.rglob("*.png"))
    result = _run("remove", photo, "--out", out, "--target", "shirt")
    assert result.exit_code == 2 and "--target" in result.output
    result = _run("remove", photo, "--out", out, "--garment-model", bad)
    assert result.exit_code == 2 and "--target garment" in result.output


@needs_ccp
def test_evaluate_target_garment_scores_the_garment_mask(tmp_path, ccp_items):
    # A two-photo CCP-layout set.
    root = tmp_path / "set"
    (root / "photos").mkdir(parents=True)
    (root / "annotations" / "pixel-level").mkdir(parents=True)
    for item in ccp_items:
        shutil.copy(item.photo, root / "photos")
        shutil.copy(item.label, root / "annotations" / "pixel-level")
    rows = {}
    for target in ("garment", "figure"):
        csv = tmp_path / f"{target}.csv"
        result = _run("evaluate", root, "--csv", csv, "--target", target, "--method", "person")
        assert result.exit_code == 0, result.output
        with open(csv) as f:
            rows[target] = list(__import__("csv").DictReader(f))
    from runwaycut.garment.outputs import GarmentMethod
    from runwaycut.methods import get_method

    method = GarmentMethod(get_method("person"))
    for g, f, item in zip(rows["garment"], rows["figure"], ccp_items):
        # The garment mask is a part of the figure mask, and it is what is scored.
        assert float(g["figure_fraction"]) < float(f["figure_fraction"])
        image, labels = load_item(item)
        mask = method.predict(image).details["garment"].garment
        expected = mask_scores(mask, labels.classes == GARMENT)["f1"]
        assert float(g["f1"]) == pytest.approx(expected, abs=1e-6)


def test_explain_target_garment(tmp_path):
    out = tmp_path / "explain.png"
    result = _run("explain", EXAMPLES / "0087.jpg", "-o", out, "--target", "garment",
                  "--method", "person")
    assert result.exit_code == 0, result.output
    with Image.open(out) as pil:
        assert pil.size[0] > 1000
    result = _run("explain", EXAMPLES / "0087.jpg", "-o", out, "--target", "garment",
                  "--method", "nope")
    assert result.exit_code == 2 and "nope" in result.output


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_region_colour_and_body_frame_read_the_figure_pixels_in_their_polygons(seed):
    """Drawn over the polygons' box only, the colour model is that of the figure pixels
    inside the polygons drawn over the whole image, polygons partly or wholly off the
    image included; the body frame spans the figure's box."""
    from runwaycut.garment.body import _colour_model, body_frame, region_colour
    from runwaycut.garment.types import ColourModel

    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(20, 80)), int(rng.integers(20, 80))
    lab = rng.uniform(0, 100, (h, w, 3)).astype(np.float32)
    figure = rng.random((h, w)) < 0.7
    polygons = [rng.uniform(-30, max(h, w) + 30, (int(rng.integers(3, 6)), 2))
                for _ in range(int(rng.integers(1, 3)))]
    default = ColourModel(np.zeros(3, np.float32), np.eye(3, dtype=np.float32), "default", 0)
    got = region_colour(lab, figure, polygons, "torso", default, min_pixels=5)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(p).astype(np.int32) for p in polygons], 1)
    pixels = lab[(mask > 0) & figure]
    want = _colour_model(pixels, "torso") if len(pixels) >= 5 else None
    want = default if want is None else want
    assert got.source == want.source and got.pixels == want.pixels
    assert np.array_equal(got.mean, want.mean) and np.array_equal(got.cov, want.cov)
    mean_pose = np.zeros((33, 2), np.float32)
    frame = body_frame(figure, None, mean_pose)
    ys, xs = np.nonzero(figure)
    assert np.allclose(frame.points[:, 0], (xs.min() + xs.max() + 1) / 2)
    assert np.allclose(frame.points[:, 1], ys.min())
