"""What each learned part earns on the held-out photos, the numbers the quality tests bound.

On the first N held-out CCP dev photos (:mod:`runwaycut.scoring.heldout`; no shipped
model was trained on them; N = ``HELDOUT_QUALITY_PHOTOS`` of ``tests/conftest.py`` by
default), with the shipped models:

* figure: mean F1 of ``auto`` (person models + fusion) and of ``person`` alone;
* garment: mean garment F1 of the label map on the hand-labelled figure (pose from the
  person models) and of the whole figure counted as garment;
* threshold: mean figure F1 of the palette method at ``--threshold auto`` and at the
  fixed default (t = 20);

and, with ``--ablations``, the same with one learned input knocked out (the fusion's
colour-histogram feature ``hist_ratio`` set to 0, its neutral value, the garment
classifier's skin-distance feature set to 0 (its pooled skin+hair and accessory IoU
printed too: the feature earns there, not in garment F1), the threshold rule replaced by its
photo-only fallback), to show what each one earns.

    python benchmarks/heldout_quality.py
    python benchmarks/heldout_quality.py --photos 30 --ablations

The tests (``tests/methods/test_auto.py``, ``tests/garment/test_garment.py``,
``tests/threshold/test_auto_rule.py``) hold these means within a small margin.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from runwaycut.batch.cores import one_thread
from runwaycut.garment.labelmap import label_garment
from runwaycut.garment.types import ACCESSORY, BACKGROUND, GARMENT, SKIN_HAIR
from runwaycut.methods import METHODS
from runwaycut.note.colormask import distance_map
from runwaycut.note.figure import select_figure
from runwaycut.note.palette import sample_palette
from runwaycut.scoring.heldout import heldout_names
from runwaycut.scoring.labels import load_item, open_dataset
from runwaycut.threshold.rules import THRESHOLD_RULES

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ccp"


def f1(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = np.count_nonzero(pred & truth)
    return 2 * tp / max(np.count_nonzero(pred) + np.count_nonzero(truth), 1)


def confusion4(truth: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The four classes' confusion counts of one photo, ``(4, 4)``, truth by row."""
    return np.bincount(truth.ravel().astype(np.int64) * 4 + labels.ravel(),
                       minlength=16).reshape(4, 4)


def pooled_iou(confusions: np.ndarray) -> np.ndarray:
    """IoU of each of the four classes over photos' confusion counts ``(N, 4, 4)``."""
    cm = confusions.sum(axis=0)
    inter = np.diag(cm)
    return inter / np.maximum(cm.sum(0) + cm.sum(1) - inter, 1)


def measure(photos, auto, person) -> dict[str, np.ndarray]:
    """Per-photo scores (arrays in photo order) with the models as they are now."""
    rows = []
    for image, classes in photos:
        figure = classes != BACKGROUND
        a = auto.predict(image)
        labels = label_garment(image, figure, landmarks=a.details["landmarks"]).labels
        palette = sample_palette(image)
        d = distance_map(image, palette.colors, "absolute")
        t = THRESHOLD_RULES["auto"](image, palette, d, "absolute")
        rows.append({"auto": f1(a.mask, figure), "person": f1(person.predict(image).mask, figure),
                     "garment": f1(labels == GARMENT, classes == GARMENT),
                     "garment confusion": confusion4(classes, labels),
                     "whole figure": f1(figure, classes == GARMENT),
                     "threshold auto": f1(select_figure(d > t), figure),
                     "threshold 20": f1(select_figure(d > 20), figure)})
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def ablated(photos, auto, person) -> dict[str, np.ndarray]:
    """The same scores with one learned input knocked out per part."""
    import runwaycut.garment.labelmap as labelmap
    import runwaycut.person.fusion as fusion
    from runwaycut.garment.types import FEATURE_NAMES as GARMENT_FEATURES
    from runwaycut.threshold.model import default_model

    band_features, pixel_features = fusion.band_features, labelmap.pixel_features
    hist_col = fusion.FEATURE_NAMES.index("hist_ratio")
    skin_col = GARMENT_FEATURES.index("skin_distance")

    def no_hist(*args, **kwargs):
        band, x = band_features(*args, **kwargs)
        x = x.copy()
        x[:, hist_col] = 0  # figure and background colours equally frequent
        return band, x

    def no_skin(*args, **kwargs):
        fs = pixel_features(*args, **kwargs)
        fs.features[:, skin_col] = 0
        return fs

    out = {"auto, hist_ratio feature 0": [], "garment, skin feature 0": [],
           "garment, skin feature 0 confusion": [], "threshold photo-only model": []}
    photo_model = default_model()
    photo_model = photo_model.fallback if photo_model.needs_person else photo_model
    try:
        fusion.band_features, labelmap.pixel_features = no_hist, no_skin
        for image, classes in photos:
            figure = classes != BACKGROUND
            a = auto.predict(image)
            labels = label_garment(image, figure, landmarks=a.details["landmarks"]).labels
            palette = sample_palette(image)
            d = distance_map(image, palette.colors, "absolute")
            t = photo_model.predict_image(image, palette, d)
            out["auto, hist_ratio feature 0"].append(f1(a.mask, figure))
            out["garment, skin feature 0"].append(f1(labels == GARMENT, classes == GARMENT))
            out["garment, skin feature 0 confusion"].append(confusion4(classes, labels))
            out["threshold photo-only model"].append(f1(select_figure(d > t), figure))
    finally:
        fusion.band_features, labelmap.pixel_features = band_features, pixel_features
    return {k: np.array(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--photos", type=int, default=24, help="first N held-out photos")
    ap.add_argument("--ablations", action="store_true", help="also knock out one input each")
    args = ap.parse_args()
    items = {f"{item.id}.jpg": item for item in open_dataset(args.data).complete}
    names = sorted(heldout_names())[:args.photos]
    start = time.perf_counter()
    photos = []
    for name in names:
        image, labels = load_item(items[name])
        photos.append((image, labels.classes))
    auto = METHODS["auto"]()
    person = METHODS["person"]()
    scores = measure(photos, auto, person)
    if args.ablations:
        scores.update(ablated(photos, auto, person))
    print(f"{len(photos)} held-out photos ({names[0]} .. {names[-1]}), F1, "
          f"{time.perf_counter() - start:.0f} s")
    for key, values in scores.items():
        if key.endswith(" confusion"):  # pooled class IoU (the skin feature earns there)
            iou = pooled_iou(values)
            print(f"  {key[:-len(' confusion')]:<28} pooled IoU skin+hair {iou[SKIN_HAIR]:.4f}  "
                  f"accessory {iou[ACCESSORY]:.4f}  (hand-labelled figure)")
            continue
        print(f"  {key:<28} mean {values.mean():.4f}  median {np.median(values):.4f}  "
              f"min {values.min():.4f}")
    pairs = [("auto", "person"), ("garment", "whole figure"), ("threshold auto", "threshold 20")]
    if args.ablations:
        pairs += [("auto", "auto, hist_ratio feature 0"), ("garment", "garment, skin feature 0"),
                  ("threshold auto", "threshold photo-only model")]
    for a, b in pairs:
        gain = scores[a] - scores[b]
        print(f"  {a} - {b}: {gain.mean():+.4f} mean, better on "
              f"{np.count_nonzero(gain > 0)} of {len(gain)} photos")


if __name__ == "__main__":
    with one_thread():
        main()
