"""Train the fusion classifier of ``--method auto`` on the CCP dev photos, with
cross-validation, and write it as JSON.

    python benchmarks/train_fusion.py                      # 5-fold CV, then fit all, write
    python benchmarks/train_fusion.py --folds 0            # fit all and write only
    python benchmarks/train_fusion.py --limit 60 --no-write  # a quick look

The 30 held-out dev photos (:mod:`runwaycut.scoring.heldout`) are left out of the
training and of the cross-validation (``--include-heldout`` keeps them), so that the
quality tests measure on photos the shipped model never saw; the model file records
which photos it left out (``training``).

Cross-validation folds are by photo (photo ``i`` is in fold ``i % folds``), and the
numbers printed for ``auto`` are for photos the classifier did not see, run through the
whole :class:`runwaycut.methods.auto.AutoMethod`. The shipped model is then fitted on
every training photo. Takes about 15 minutes on one core for 470 photos.

What is reproducible where: photos are read in name order, pixel samples and the
network's start are seeded (``--seed``) and the fit runs on one thread, so two runs on
one machine and software give the same file. On another CPU, BLAS or LiteRT build the
person models' probabilities and the float sums differ in the last bits, and the network
weights come out different (the feature scaling agrees): compare such a retrain with the
shipped model by its cross-validated scores (printed here; ``benchmarks/bench_methods.py``
and the held-out quality tests, ``benchmarks/heldout_quality.py``), not by its bytes.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import scipy.io
from threadpoolctl import threadpool_limits

from runwaycut.person.fusion import FEATURE_NAMES, MLP, BandParams, band_features
from runwaycut.io import read_image, write_bytes_atomic
from runwaycut.models import refresh_if_shipped
from runwaycut.methods.auto import AutoMethod
from runwaycut.methods.person import PersonMethod
from runwaycut.scoring.heldout import is_heldout

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "ccp"
DEFAULT_OUT = REPO / "src" / "runwaycut" / "models" / "fusion.json"
FOLDS_DIR = Path(__file__).resolve().parent / "fusion_folds"


def ccp_items(root: Path, limit: int | None = None,
              include_heldout: bool = False) -> list[tuple[Path, Path]]:
    """``(photo, annotation)`` pairs of a CCP folder, in name order, without the
    held-out photos unless ``include_heldout``."""
    photos = [p for p in sorted((root / "photos").glob("*.jpg"))
              if include_heldout or not is_heldout(p)][:limit]
    items = [(p, root / "annotations" / "pixel-level" / f"{p.stem}.mat") for p in photos]
    return [(p, a) for p, a in items if a.is_file()]


def ccp_figure(path: Path) -> np.ndarray:
    """The labelled figure (every label but 0) of a CCP annotation."""
    return scipy.io.loadmat(path)["groundtruth"] != 0


def photo_samples(image: np.ndarray, person: PersonMethod, truth: np.ndarray,
                  per_photo: int, rng: np.random.Generator):
    """Band features and labels of one photo, ``per_photo`` pixels drawn at random."""
    work, est = person.estimate(image)
    if not est.found or work.shape != image.shape:
        return None
    pose = est.pose
    landmarks = pose.landmarks if pose is not None else None
    height = est.box[3] - est.box[1] + 1
    # At the working size, though `auto` classifies the band at half size
    # (BandParams.band_side): the features are measured in reference pixels, so the
    # classifier reads both, and the full-size band gives it sharper labels. Trained on
    # the half-size band with its blocks' labels it scored lower (5-fold over the 470
    # photos, read at half size: figure F1 0.9755 against 0.9759; docs/measurements.md).
    band, x = band_features(work, est.probability,
                            est.probability if pose is None else pose.probability,
                            est.selfie, landmarks, height, BandParams())
    y = truth[band]
    pick = rng.choice(len(x), size=min(per_photo, len(x)), replace=False)
    return x[pick], y[pick]


def fit_mlp(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], seed: int,
            epochs: int) -> MLP:
    """Fit scikit-learn's MLPClassifier and keep its weights as an :class:`MLP`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    net = MLPClassifier(hidden_layer_sizes=hidden, batch_size=2048, max_iter=epochs,
                        learning_rate_init=2e-3, alpha=1e-4, early_stopping=True,
                        validation_fraction=0.05, n_iter_no_change=4, tol=1e-5,
                        random_state=seed)
    with threadpool_limits(1), warnings.catch_warnings():  # one core: steadier when shared
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(scaler.transform(x), y)
    return MLP(mean=scaler.mean_.astype(np.float32), scale=scaler.scale_.astype(np.float32),
               weights=tuple(w.astype(np.float32) for w in net.coefs_),
               biases=tuple(b.astype(np.float32) for b in net.intercepts_),
               features=FEATURE_NAMES)


def f1_iou(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = np.count_nonzero(pred & truth)
    fp = np.count_nonzero(pred & ~truth)
    fn = np.count_nonzero(~pred & truth)
    return 2 * tp / max(2 * tp + fp + fn, 1), tp / max(tp + fp + fn, 1)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CCP folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model JSON to write")
    ap.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: none)")
    ap.add_argument("--limit", type=int, default=None, help="use the first N photos only")
    ap.add_argument("--per-photo", type=int, default=5000, help="pixels sampled per photo")
    ap.add_argument("--hidden", default="32,16", help="hidden layer sizes")
    ap.add_argument("--epochs", type=int, default=30, help="most training epochs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="do not write the model")
    ap.add_argument("--include-heldout", action="store_true",
                    help="train on the held-out dev photos too (runwaycut.scoring.heldout)")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    hidden = tuple(int(v) for v in args.hidden.split(","))

    items = ccp_items(args.data.resolve(), args.limit, args.include_heldout)
    if not items:
        raise SystemExit(f"no CCP photos with annotations under {args.data}")
    person = PersonMethod()
    rng = np.random.default_rng(args.seed)
    xs, ys, owner = [], [], []
    start = time.perf_counter()
    for i, (photo, label) in enumerate(items):
        got = photo_samples(read_image(photo), person, ccp_figure(label), args.per_photo, rng)
        if got is None:
            print(f"skipped {photo.name}: no person found")
            continue
        xs.append(got[0])
        ys.append(got[1])
        owner.append(np.full(len(got[1]), i))
    x, y, owner = np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)
    print(f"{len(items)} photos, {len(y):,} band pixels sampled "
          f"({y.mean():.1%} figure) in {time.perf_counter() - start:.0f} s")

    if args.folds > 1:
        rows = []
        for fold in range(args.folds):
            model = fit_mlp(x[owner % args.folds != fold], y[owner % args.folds != fold],
                            hidden, args.seed, args.epochs)
            held_out = [items[i][0].stem for i in range(fold, len(items), args.folds)]
            if not args.no_write:
                # Kept for benchmarks/bench_methods.py, which scores each photo with
                # the fold model that did not see it.
                doc = json.loads(model.to_json())
                doc["held_out"] = held_out
                write_bytes_atomic(FOLDS_DIR / f"fold{fold + 1}.json",
                                   (json.dumps(doc) + "\n").encode())
            auto = AutoMethod(model=model, soft=False)
            for i in range(fold, len(items), args.folds):
                image = read_image(items[i][0])
                truth = ccp_figure(items[i][1])
                with threadpool_limits(1):
                    rows.append((i, *f1_iou(person.predict(image).mask, truth),
                                 *f1_iou(auto.predict(image).mask, truth)))
            done = np.array(rows)
            print(f"fold {fold + 1}/{args.folds}: held-out so far {len(done)} photos, "
                  f"person F1 {done[:, 1].mean():.4f}, auto F1 {done[:, 3].mean():.4f}",
                  flush=True)
        r = np.array(rows)
        print(f"\n{args.folds}-fold cross-validation over {len(r)} photos (held-out scores):")
        print(f"  person  F1 {r[:, 1].mean():.4f}  IoU {r[:, 2].mean():.4f}")
        print(f"  auto    F1 {r[:, 3].mean():.4f}  IoU {r[:, 4].mean():.4f}")
        worse = np.count_nonzero(r[:, 3] < r[:, 1] - 0.005)
        print(f"  photos where auto is below person by more than 0.005 F1: {worse}")

    model = fit_mlp(x, y, hidden, args.seed, args.epochs)
    if not args.no_write:
        doc = json.loads(model.to_json())
        doc["training"] = {
            "data": f"{args.data.name}: {len(items)} photos",
            "heldout_left_out": sorted({p.stem for p in (args.data.resolve() / "photos")
                                        .glob("*.jpg") if is_heldout(p)}
                                       if not args.include_heldout else []),
            "per_photo": args.per_photo, "hidden": list(hidden), "epochs": args.epochs,
            "seed": args.seed}
        write_bytes_atomic(args.out, (json.dumps(doc) + "\n").encode())
        print(f"wrote {args.out}")
        if refresh_if_shipped(args.out):
            print("refreshed runwaycut.models.CHECKSUMS")


if __name__ == "__main__":
    main()
