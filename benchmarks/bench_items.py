"""The item map (issue 11), scored on CCP dev photos the item network never saw.

The photos scored are the 30 held-out photos (:mod:`runwaycut.scoring.heldout`) and the
validation split that ``benchmarks/train_items.py`` kept back (same seed): never
in-sample. For each photo the auto backend finds the figure, its probability and the
pose once; then, pooled over the photos:

* item map (:func:`runwaycut.parse_items`): IoU of each of the 14 items, their mean,
  pixel accuracy inside the hand-labelled figure; on the auto figure (as
  ``--target items`` runs) and on the hand-labelled figure (the item problem alone);
* the four-class map made from the items against today's garment MLP (same figure):
  class IoU, mean garment F1 over photos (the garment cutout's);
* the figure mask with and without what the items take in (a carried bag): mean F1;
* milliseconds per photo of the item step (pose and figure given), with and without
  the colours, against the garment MLP step in the same run; one thread.

    python benchmarks/bench_items.py                 # validation + held-out photos
    python benchmarks/bench_items.py --only heldout  # the 30 held-out photos
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from runwaycut.batch.workers import one_thread  # noqa: E402
from runwaycut.garment.items import ITEM_TO_CLASS, parse_items  # noqa: E402
from runwaycut.garment.labelmap import label_garment  # noqa: E402
from runwaycut.io import read_image  # noqa: E402
from runwaycut.methods.auto import AutoMethod  # noqa: E402
from runwaycut.scoring.items import (ITEM_NAMES, confusion_scores, item_confusion,  # noqa: E402
                                     read_ccp_items)
from runwaycut.scoring.labels import CLASS_NAMES  # noqa: E402
from runwaycut.scoring.metrics import mask_scores  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ccp"


def main(argv=None) -> int:
    from train_items import split

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--only", choices=("all", "heldout", "validation"), default="all")
    ap.add_argument("--val", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not (data / "photos").is_dir():
        print(f"{data}: no CCP photos/ folder; nothing to score", file=sys.stderr)
        return 2
    names = sorted(p.name for p in (data / "photos").glob("*.jpg"))
    _, val, held = split(names, args.val, args.seed)
    chosen = {"all": val + held, "heldout": held, "validation": val}[args.only]
    auto = AutoMethod(soft=False)
    k = len(ITEM_NAMES)
    cm = {"auto": np.zeros((k, k), np.int64), "hand": np.zeros((k, k), np.int64)}
    four = {"items": np.zeros((4, 4), np.int64), "mlp": np.zeros((4, 4), np.int64)}
    f1 = {"items": [], "mlp": [], "figure": [], "figure+taken": []}
    ms = {"items": [], "items+colours": [], "mlp": []}
    taken = 0
    for i, name in enumerate(chosen):
        image = read_image(data / "photos" / name)
        truth = read_ccp_items(data / "annotations" / "pixel-level" / f"{Path(name).stem}.mat",
                               image.shape[:2])
        truth4 = ITEM_TO_CLASS[truth]
        fig = auto.predict(image)
        lm, prob = fig.details.get("landmarks"), fig.details.get("probability")
        with one_thread():
            t = time.perf_counter()
            items = parse_items(image, fig.mask, landmarks=lm, probability=prob, colors=None)
            ms["items"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            parse_items(image, fig.mask, landmarks=lm, probability=prob)
            ms["items+colours"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            mlp = label_garment(image, fig.mask, landmarks=lm).labels
            ms["mlp"].append((time.perf_counter() - t) * 1000)
        hand = parse_items(image, truth > 0, landmarks=lm, probability=None, colors=None,
                           taken_in=())
        cm["auto"] += item_confusion(truth, items.labels)
        cm["hand"] += item_confusion(truth, hand.labels)
        ours4 = items.four_class
        four["items"] += item_confusion(truth4, ours4, 4)
        four["mlp"] += item_confusion(truth4, mlp, 4)
        f1["items"].append(mask_scores(ours4 == 1, truth4 == 1)["f1"])
        f1["mlp"].append(mask_scores(mlp == 1, truth4 == 1)["f1"])
        f1["figure"].append(mask_scores(fig.mask, truth > 0)["f1"])
        f1["figure+taken"].append(mask_scores(items.figure, truth > 0)["f1"])
        taken += items.taken_in > 0
        if (i + 1) % 10 == 0:
            print(f"  {i + 1}/{len(chosen)} photos", file=sys.stderr, flush=True)

    print(f"# item map on {len(chosen)} photos never trained on ({args.only}; "
          f"{len(val)} validation + {len(held)} held-out in all)")
    print(f"{'item':<12} {'IoU auto fig':>12} {'IoU hand fig':>12}")
    sa, sh = confusion_scores(cm["auto"]), confusion_scores(cm["hand"])
    for n in ITEM_NAMES:
        a, h = sa["iou"][n], sh["iou"][n]
        print(f"{n:<12} {a if a is not None else float('nan'):>12.3f} "
              f"{h if h is not None else float('nan'):>12.3f}")
    print(f"{'mean IoU':<12} {sa['mean_iou']:>12.3f} {sh['mean_iou']:>12.3f}")
    print(f"{'acc. in fig':<12} {sa['accuracy_in_figure']:>12.3f} {sh['accuracy_in_figure']:>12.3f}")
    print("\n# four-class map, auto figure: from the items vs the garment MLP")
    si, sm = confusion_scores(four["items"], CLASS_NAMES), confusion_scores(four["mlp"], CLASS_NAMES)
    for n in CLASS_NAMES:
        print(f"{n:<12} items {si['iou'][n]:.3f}  mlp {sm['iou'][n]:.3f}")
    print(f"{'garment F1':<12} items {np.mean(f1['items']):.3f}  mlp {np.mean(f1['mlp']):.3f}"
          "  (mean over photos)")
    print(f"\n# figure F1 (mean): auto {np.mean(f1['figure']):.4f}, with what the items take in "
          f"{np.mean(f1['figure+taken']):.4f} ({taken} photos took something in)")
    print(f"\n# ms per photo, one thread, figure and pose given: item map "
          f"{np.median(ms['items']):.0f}, with colours {np.median(ms['items+colours']):.0f}; "
          f"garment MLP {np.median(ms['mlp']):.0f} (medians; ratio item/MLP "
          f"{np.median(ms['items']) / np.median(ms['mlp']):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
