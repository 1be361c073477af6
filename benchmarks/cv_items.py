"""k-fold cross-validation of the item network's recipe on the CCP dev photos (issue 11).

The 470 dev photos that are not held out (:mod:`runwaycut.scoring.heldout`) are dealt
into ``--folds`` folds (seeded). For each fold a network is trained on the other folds
with the shipped recipe (:func:`runwaycut.garment.items_training.train`, the same loss,
augmentation and schedule; ``--epochs`` may shorten it, and the table says so), then
scored on the fold's photos as ``--target items`` reads the network: its window around
the auto figure, test-time flip, the logits brought back to the photo
(:func:`runwaycut.garment.items.items_from_logits`), each figure pixel its likeliest item.
Photos are scored at the training cache's size (416 rows), the auto figure from the
cache. Pooled over all folds: per-item IoU, mean IoU, pixel accuracy inside the
hand-labelled figure, and the network's milliseconds per photo (PyTorch, one thread).

Only the network is cross-validated: the garment classifier that
:mod:`runwaycut.garment.items_fusion` adds was trained on these same photos, so the fused
pipeline is scored on the held-out photos instead (``benchmarks/bench_items.py``).

    pip install ".[train]"
    nice -n 5 python benchmarks/cv_items.py                  # 5 folds, 75 epochs (about 1 h on 2 cores)
    nice -n 5 python benchmarks/cv_items.py --epochs 30      # shorter recipe, says so
    python benchmarks/cv_items.py --epochs 30 --report       # pool the folds done so far
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from runwaycut.garment.items import items_from_logits
from runwaycut.garment.items_inputs import crop_transform, figure_box, item_inputs
from runwaycut.garment.items_model import mirror_window
from runwaycut.garment.items_training import build_cache, load_cache, tensors, train
from runwaycut.scoring.heldout import heldout_names
from runwaycut.scoring.items import ITEM_NAMES, confusion_scores, item_confusion


def folds_of(names: list[str], k: int, seed: int) -> list[list[str]]:
    """The non-held-out names dealt into ``k`` folds after a seeded shuffle."""
    rest = sorted(n for n in names if n not in heldout_names())
    order = np.random.default_rng(seed).permutation(len(rest))
    return [sorted(rest[i] for i in order[f::k]) for f in range(k)]


def score_fold(net, records) -> tuple[np.ndarray, list[float]]:
    """Pooled item confusion matrix of ``records`` and the network's ms per photo."""
    import torch

    k = len(ITEM_NAMES)
    cm = np.zeros((k, k), np.int64)
    ms = []
    for r in records:
        figure = r["figure"].astype(np.float32) / 255
        mask = figure > 0.5
        landmarks = r["landmarks"] if bool(r["has_pose"]) else None
        affine = crop_transform(figure_box(figure), r["image"].shape[:2])
        x = item_inputs(r["image"], figure, landmarks, affine)
        t = time.process_time()
        with torch.no_grad():
            pair = torch.from_numpy(np.stack([x, mirror_window(x)]))
            out = net(pair).numpy()
        logits = (out[0] + out[1][:, :, ::-1]) * np.float32(0.5)
        ms.append((time.process_time() - t) * 1000)
        labels, _ = items_from_logits(np.ascontiguousarray(logits), affine, mask, taken_in=())
        cm += item_confusion(r["items"], labels)
    return cm, ms


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ccp"))
    ap.add_argument("--cache", default="/tmp/runwaycut-items-cache")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=75, help="75: the shipped recipe")
    ap.add_argument("--presence", type=float, default=0.0,
                    help="weight of the photo-level presence head's loss (train_items.py's)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only-fold", type=int, default=None, help="run one fold (0-based)")
    ap.add_argument("--out", default="/tmp/runwaycut-items-cv",
                    help="each fold's confusion matrix is kept here; folds found are not rerun")
    ap.add_argument("--report", action="store_true",
                    help="train nothing: pool the folds already kept in --out")
    args = ap.parse_args(argv)
    if not (Path(args.data) / "photos").is_dir():
        print(f"{args.data}: no CCP photos/ folder", file=sys.stderr)
        return 2
    import torch

    records = load_cache(build_cache(args.data, args.cache))
    by_name = {r["name"]: r for r in records}
    folds = folds_of(list(by_name), args.folds, args.seed)
    k = len(ITEM_NAMES)
    total, ms, done = np.zeros((k, k), np.int64), [], []
    start = time.perf_counter()
    for f, fold in enumerate(folds):
        if args.only_fold is not None and f != args.only_fold:
            continue
        train_names = [n for g, other in enumerate(folds) if g != f for n in other]
        head = f"-p{args.presence:g}" if args.presence else ""
        kept = Path(args.out) / f"k{args.folds}-e{args.epochs}-s{args.seed}{head}-fold{f}.npz"
        if args.report and not kept.exists():
            continue
        if kept.exists():
            with np.load(kept) as z:
                cm, fold_ms = z["cm"], list(z["ms"])
        else:
            x, y = tensors([by_name[n] for n in train_names], progress=lambda m: None)
            net = train(x, y, epochs=args.epochs, seed=args.seed, dice=1.0, weight_power=0.5,
                        threads=args.threads, presence=args.presence, progress=lambda m: None)
            torch.set_num_threads(1)
            cm, fold_ms = score_fold(net, [by_name[n] for n in fold])
            torch.set_num_threads(args.threads)
            kept.parent.mkdir(parents=True, exist_ok=True)
            np.savez(kept, cm=cm, ms=np.asarray(fold_ms), names=np.asarray(fold))
        done.append(f)
        total += cm
        ms += fold_ms
        s = confusion_scores(cm)
        print(f"fold {f + 1}/{args.folds}: {len(train_names)} trained, {len(fold)} scored, "
              f"mean IoU {s['mean_iou']:.3f}, accuracy in figure {s['accuracy_in_figure']:.3f} "
              f"({(time.perf_counter() - start) / 60:.0f} min)", flush=True)
    s = confusion_scores(total)
    recipe = "the shipped recipe" if args.epochs == 75 else f"{args.epochs} epochs, not the shipped 75"
    if args.presence:
        recipe += f", presence head (weight {args.presence:g})"
    scored = sum(len(folds[f]) for f in done)
    print(f"\n# {args.folds}-fold cross-validation ({len(done)} of its folds), {scored} dev "
          f"photos scored (held-out "
          f"excluded), network alone with test-time flip, auto figure; {recipe}")
    print("| item | IoU |\n|---|---|")
    for name, iou in s["iou"].items():
        print(f"| {name} | {'-' if iou is None else f'{iou:.3f}'} |")
    print(f"| **mean IoU** | **{s['mean_iou']:.3f}** |")
    print(f"| accuracy in figure | {s['accuracy_in_figure']:.3f} |")
    print(f"\nnetwork ms per photo (PyTorch, one thread, flip: two windows): median "
          f"{np.median(ms):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
