"""Garment isolation, cross-validated by photo on the dev photos (issue 6).

One run over the labelled photos: the garment classifier is trained on k-1 folds and
scored on the photos of the fold it never saw, fold by fold, so that every score below
is on photos the classifier was not trained on. For each figure mask (the hand-labelled
figure, to separate the garment problem from the figure problem, and the figure
backends named by ``--figure``) it prints, with garment as the positive class and
skin+hair, accessories and background negative:

* mean garment F1 and IoU over photos (target: F1 >= 0.90);
* IoU of each of the four classes and their mean (from the confusion counts pooled
  over all photos), and accessory precision and recall;
* milliseconds per photo of the garment step (pose given, as the person and auto
  backends give it), on top of the figure mask, and of the colour extraction;
* for CCP labels, what became of each accessory and skin/hair label (hand-labelled
  figure): the share of its pixels called garment, skin+hair and accessory;

and the same scores, in the same run, for two baselines: the whole figure counted as
garment, and the figure minus a fixed YCrCb skin-colour rule.

    python benchmarks/bench_garment.py                      # 5 folds, all photos
    python benchmarks/bench_garment.py --limit 100 --folds 3 --figure gt

The photos are those the shipped model is trained on: the CCP dev photos less the 30
held out (:mod:`runwaycut.scoring.heldout`). The ``auto`` figure of each photo comes
from the fusion fold model that did not see it (``benchmarks/fusion_folds``, written by
``benchmarks/train_fusion.py``), not from the shipped fusion model, which saw every
training photo.

Poses are cached in ``--cache`` (a second run skips the person models).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import json

import cv2
import numpy as np
from scipy.io import loadmat
from runwaycut.batch.cores import one_thread
from runwaycut.garment.colors import garment_colors
from runwaycut.garment.types import ACCESSORY, BACKGROUND, GARMENT, SKIN_HAIR, GarmentParams
from runwaycut.garment.labelmap import label_garment
from runwaycut.garment.training import TrainParams, folds_by_photo, load_photo, train_model
from runwaycut.scoring.labels import CLASS_NAMES, ccp_class_table, load_item, open_dataset
from runwaycut.methods import get_method
from runwaycut.methods.auto import AutoMethod
from runwaycut.person.fusion import MLP
from runwaycut.scoring.heldout import without_heldout
from runwaycut.scoring.metrics import class_confusion_matrix, mask_scores, per_class_iou

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ccp"
FUSION_FOLDS = Path(__file__).resolve().parent / "fusion_folds"


def fold_auto_methods(folder: Path = FUSION_FOLDS) -> dict[str, AutoMethod]:
    """Photo id -> an ``auto`` backend whose fusion model did not see that photo."""
    methods = {}
    for path in sorted(folder.glob("fold*.json")):
        doc = json.loads(path.read_text())
        method = AutoMethod(model=MLP.from_json(json.dumps(doc), str(path)))
        methods.update({stem: method for stem in doc["held_out"]})
    return methods


def skin_rule(image: np.ndarray) -> np.ndarray:
    """The fixed YCrCb skin rule (Chai and Ngan: 133 <= Cr <= 173, 77 <= Cb <= 127)."""
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    return cv2.inRange(ycc, (0, 133, 77), (255, 173, 127)) > 0


class Tally:
    """Per-photo garment scores, pooled confusion, time."""

    def __init__(self):
        self.f1, self.iou, self.ms = [], [], []
        self.matrix = np.zeros((4, 4), np.int64)

    def add(self, labels: np.ndarray, truth: np.ndarray, ms: float | None = None):
        s = mask_scores(labels == GARMENT, truth == GARMENT)
        self.f1.append(s["f1"])
        self.iou.append(s["iou"])
        self.matrix += class_confusion_matrix(labels, truth, 4)
        if ms is not None:
            self.ms.append(ms)

    def row(self) -> dict:
        iou = per_class_iou(self.matrix)
        m = self.matrix
        acc_p = m[ACCESSORY, ACCESSORY] / max(m[:, ACCESSORY].sum(), 1)
        acc_r = m[ACCESSORY, ACCESSORY] / max(m[ACCESSORY].sum(), 1)
        return {"photos": len(self.f1), "f1": np.mean(self.f1), "iou": np.mean(self.iou),
                "class_iou": iou, "miou": float(np.nanmean(iou)), "acc_p": acc_p,
                "acc_r": acc_r, "ms": np.mean(self.ms) if self.ms else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None, help="use the first N photos")
    ap.add_argument("--figure", default="gt,person",
                    help="figure masks to score on: gt and/or backend names (person, auto)")
    ap.add_argument("--per-photo", type=int, default=TrainParams.per_photo)
    ap.add_argument("--hidden", default="x".join(map(str, TrainParams.hidden)))
    ap.add_argument("--smooth", type=float, default=GarmentParams.smooth)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/runwaycut-garment-cache"))
    args = ap.parse_args()

    data, _ = without_heldout(open_dataset(args.data))
    items = data.complete[:args.limit] if args.limit else data.complete
    figures = [f.strip() for f in args.figure.split(",") if f.strip()]
    backends = {f: get_method(f) for f in figures if f not in ("gt", "auto")}
    fold_auto = fold_auto_methods() if "auto" in figures else {}
    unseen = [item.id for item in items if "auto" in figures and item.id not in fold_auto]
    if unseen:
        raise SystemExit(f"no fusion fold model left out {', '.join(unseen[:5])}: rerun "
                         "benchmarks/train_fusion.py (it writes benchmarks/fusion_folds)")
    params = TrainParams(per_photo=args.per_photo, seed=args.seed,
                         hidden=tuple(int(v) for v in args.hidden.split("x")))
    gparams = GarmentParams(smooth=args.smooth)
    print(f"{len(items)} photos, {args.folds}-fold CV by photo, figures {figures}, "
          f"{params}, {gparams}; load {os.getloadavg()[0]:.1f}", flush=True)

    start = time.perf_counter()
    photos = [load_photo(item, params.work_side, cache=args.cache) for item in items]
    print(f"loaded {len(photos)} photos and poses in {time.perf_counter() - start:.0f} s",
          flush=True)
    tallies: dict[tuple[str, str], Tally] = {}
    colour_ms = []
    by_label = np.zeros((256, 4), np.int64)  # CCP label x predicted class (gt figure)
    for k, test in enumerate(folds_by_photo(len(photos), args.folds, args.seed)):
        t0 = time.perf_counter()
        held = set(test.tolist())
        train = [photos[i] for i in range(len(photos)) if i not in held]
        model = train_model(train, params)
        t1 = time.perf_counter()
        for i in test:
            ph = photos[i]
            image, labels = load_item(ph.item)
            truth = labels.classes
            scale = image.shape[0] / ph.image.shape[0]
            landmarks = None
            if ph.landmarks is not None:
                landmarks = ph.landmarks.copy()
                landmarks[:, :3] *= scale
            masks = {}
            for f in figures:
                if f == "gt":
                    masks[f] = truth != BACKGROUND
                elif f == "auto":  # the fold model that did not see this photo
                    masks[f] = fold_auto[ph.item.id].predict(image).mask
                else:
                    masks[f] = backends[f].predict(image).mask
            for f, figure in masks.items():
                t = time.perf_counter()
                result = label_garment(image, figure, landmarks=landmarks, model=model,
                                       params=gparams)
                ms = (time.perf_counter() - t) * 1000
                tallies.setdefault((f, "garment model"), Tally()).add(result.labels, truth, ms)
                if f == figures[0]:
                    t = time.perf_counter()
                    garment_colors(image, result.garment)
                    colour_ms.append((time.perf_counter() - t) * 1000)
                if f == "gt" and data.layout == "ccp":
                    raw = loadmat(ph.item.label)["groundtruth"]
                    np.add.at(by_label, (raw.ravel(), result.labels.ravel()), 1)
                whole = np.where(figure, np.uint8(GARMENT), np.uint8(BACKGROUND))
                tallies.setdefault((f, "figure = garment"), Tally()).add(whole, truth)
                rule = whole.copy()
                rule[figure & skin_rule(image)] = 2
                tallies.setdefault((f, "figure - YCrCb skin"), Tally()).add(rule, truth)
        done = tallies[(figures[0], "garment model")].row()
        print(f"fold {k + 1}/{args.folds}: trained in {t1 - t0:.0f} s, scored "
              f"{len(test)} photos in {time.perf_counter() - t1:.0f} s; running mean "
              f"garment F1 ({figures[0]} figure) {done['f1']:.4f}", flush=True)

    names = " ".join(f"{n[:9]:>9}" for n in CLASS_NAMES)
    print(f"\n{'figure':<8} {'method':<20} {'photos':>6} {'gar F1':>7} {'gar IoU':>7} "
          f"{names} {'mIoU':>7} {'acc P':>6} {'acc R':>6} {'ms':>6}")
    for (f, method), tally in tallies.items():
        r = tally.row()
        ious = " ".join(f"{v:>9.4f}" for v in r["class_iou"])
        print(f"{f:<8} {method:<20} {r['photos']:>6} {r['f1']:>7.4f} {r['iou']:>7.4f} "
              f"{ious} {r['miou']:>7.4f} {r['acc_p']:>6.3f} {r['acc_r']:>6.3f} "
              f"{r['ms']:>6.1f}")
    print(f"\nms = garment step per photo (pose given), on top of the figure mask; colour "
          f"extraction {np.mean(colour_ms):.1f} ms more per photo")
    if by_label.any():
        names = _ccp_label_names(args.data)
        table = ccp_class_table()
        print("\nhand-labelled figure, by CCP label: share of its pixels called")
        print(f"{'label':<12} {'class':<10} {'share':>6} {'garment':>8} {'skin+hair':>9} "
              f"{'accessory':>9}")
        total = by_label[1:].sum()
        for k in np.argsort(-by_label.sum(axis=1)):
            n = by_label[k].sum()
            if k == 0 or n == 0 or table[k] == GARMENT or n < 1e-4 * total:
                continue
            print(f"{names.get(int(k), str(k)):<12} {CLASS_NAMES[table[k]]:<10} "
                  f"{n / total:>6.2%} {by_label[k, GARMENT] / n:>8.3f} "
                  f"{by_label[k, SKIN_HAIR] / n:>9.3f} {by_label[k, ACCESSORY] / n:>9.3f}")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


def _ccp_label_names(root: Path) -> dict[int, str]:
    """CCP label number -> name, from ``label_list.mat`` (empty when absent)."""
    try:
        cells = loadmat(Path(root) / "label_list.mat")["label_list"][0]
    except (OSError, KeyError, ValueError):
        return {}
    return {k: str(c[0]) if len(c) else "" for k, c in enumerate(cells)}


if __name__ == "__main__":
    with one_thread():  # one core, as a batch worker; reproducible sums
        main()
