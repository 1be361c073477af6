"""Figure masks of ``palette``, ``person`` and ``auto`` on the CCP dev photos: mean F1,
IoU and milliseconds per photo on one core, overall and on subsets.

    python benchmarks/bench_methods.py              # all dev photos (~3 min)
    python benchmarks/bench_methods.py --limit 50   # a quick look

Scores: figure = every label but background, against the method's binary mask.
Timing, one thread (OpenCV, LiteRT and the BLAS behind numpy all set to 1), after one
warm-up photo per method (model loading is timed apart): ``predict`` alone (wall and
process CPU milliseconds; on a shared machine the CPU time is the steadier of the two),
and **end to end**, what ``runwaycut remove`` pays per photo: decoding the JPEG, then
``predict``, then encoding and writing the mask and the cutout PNGs (as
:func:`runwaycut.batch.photo.process_photo` does, to a temporary folder; wall clock).

``auto``'s classifier was trained on these very photos, so by default each photo is
scored with the cross-validation fold model that did *not* see it
(``benchmarks/fusion_folds/fold*.json``, written by ``train_fusion.py``), and each of
the 30 held-out photos (:mod:`runwaycut.scoring.heldout`, in no fold) with the shipped
model, which did not see them either; ``--shipped`` scores the shipped model on every
photo instead (in-sample on the training photos, optimistic).

Subsets: photo-number halves; plain vs busy backgrounds (split at the median edge
density of the photo's left and right eighths, where the palette is sampled); photos
with and without a labelled bag or purse.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import scipy.io
from threadpoolctl import threadpool_limits

from runwaycut.person.fusion import MLP
from runwaycut.batch.photo import fast_cutout
from runwaycut.io import encode_png, read_image, write_bytes_atomic
from runwaycut.methods import PaletteMethod
from runwaycut.methods.auto import AutoMethod
from runwaycut.methods.person import PersonMethod
from runwaycut.scoring.heldout import is_heldout

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "ccp"
FOLDS_DIR = Path(__file__).resolve().parent / "fusion_folds"

try:  # the project's scoring, where present
    from runwaycut.scoring.metrics import mask_scores

    def f1_iou(pred, truth):
        s = mask_scores(pred, truth)
        return s["f1"], s["iou"]
except ImportError:  # pragma: no cover - an older checkout
    def f1_iou(pred, truth):
        tp = np.count_nonzero(pred & truth)
        fp = np.count_nonzero(pred & ~truth)
        fn = np.count_nonzero(~pred & truth)
        return 2 * tp / max(2 * tp + fp + fn, 1), tp / max(tp + fp + fn, 1)


def load_fold_models(folder: Path) -> dict[str, MLP]:
    """Photo stem -> the fold model that did not train on it."""
    by_stem = {}
    for path in sorted(folder.glob("fold*.json")):
        text = path.read_text()
        model = MLP.from_json(text, str(path))
        for stem in json.loads(text).get("held_out", []):
            by_stem[stem] = model
    return by_stem


def busyness(image: np.ndarray) -> float:
    """Edge density of the left and right eighths of the photo (mean Sobel magnitude)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    s = max(1, image.shape[1] // 8)
    strips = np.concatenate([grey[:, :s], grey[:, -s:]], axis=1)
    gx = cv2.Sobel(strips, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(strips, cv2.CV_32F, 0, 1)
    return float(np.mean(cv2.magnitude(gx, gy)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CCP folder")
    ap.add_argument("--limit", type=int, default=None, help="first N photos only")
    ap.add_argument("--methods", default="palette,person,auto")
    ap.add_argument("--shipped", action="store_true",
                    help="score auto with the shipped model (in-sample) instead of the folds")
    ap.add_argument("--csv", type=Path, default=None, help="write per-photo rows here")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    with threadpool_limits(1):
        run(args)


def run(args) -> None:

    root = args.data.resolve()
    photos = sorted((root / "photos").glob("*.jpg"))[:args.limit]
    if not photos:
        raise SystemExit(f"no CCP photos under {root}")
    bag_labels = _bag_labels(root)
    names = args.methods.split(",")
    folds = {} if args.shipped else load_fold_models(FOLDS_DIR)
    methods = {"palette": PaletteMethod(), "person": PersonMethod(), "auto": AutoMethod()}

    def backend(name: str, stem: str):
        """The backend for one photo; auto gets the fold model that did not see it."""
        if name == "auto":
            methods["auto"].model = folds.get(stem)  # None: the shipped model (held out)
        return methods[name]

    # Warm-up: model loading and first-call costs, timed apart.
    first = read_image(photos[0])
    for name in names:
        t = time.perf_counter()
        backend(name, photos[0].stem).predict(first)
        print(f"warm-up {name}: {1000 * (time.perf_counter() - t):.0f} ms (model loading included)")

    rows = []
    in_sample = 0
    scratch = Path(tempfile.mkdtemp(prefix="bench-methods-"))
    for photo in photos:
        t = time.perf_counter()
        image = read_image(photo)
        decode_ms = 1000 * (time.perf_counter() - t)
        truth = scipy.io.loadmat(root / "annotations" / "pixel-level" / f"{photo.stem}.mat")["groundtruth"]
        figure = truth != 0
        row = {"photo": photo.stem, "busy": busyness(image),
               "bag": bool(np.isin(truth, bag_labels).any())}
        for name in names:
            m = backend(name, photo.stem)
            # A held-out photo is out of sample for the shipped model too.
            in_sample += (name == "auto" and photo.stem not in folds
                          and not is_heldout(photo))
            t0, c0 = time.perf_counter(), time.process_time()
            result = m.predict(image)
            t1, c1 = time.perf_counter(), time.process_time()
            write_ms = write_outputs(result, image, scratch / name)
            f1, iou = f1_iou(result.mask, figure)
            row.update({f"{name}_f1": f1, f"{name}_iou": iou,
                        f"{name}_ms": 1000 * (t1 - t0), f"{name}_cpu_ms": 1000 * (c1 - c0),
                        f"{name}_e2e_ms": decode_ms + 1000 * (t1 - t0) + write_ms})
        rows.append(row)
    for path in scratch.rglob("*.png"):
        path.unlink()
    for folder in sorted(scratch.rglob("*"), reverse=True):
        folder.rmdir()
    scratch.rmdir()

    n = len(rows)
    print(f"\n{n} CCP dev photos from {root}")
    if "auto" in names:
        print("auto: " + ("shipped model, IN-SAMPLE (trained on these photos)" if in_sample == n
                          else f"fold models and, on the held-out photos, the shipped model "
                               f"({n - in_sample} photos out of sample, "
                               f"{in_sample} in-sample)"))
    print(f"\n| method | F1 | IoU | ms predict (wall) | ms predict (CPU) "
          f"| ms end to end: decode + predict + write (wall) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        col = lambda k: np.array([r[f"{name}_{k}"] for r in rows])
        print(f"| {name} | {col('f1').mean():.4f} | {col('iou').mean():.4f} | "
              f"{col('ms').mean():.1f} | {col('cpu_ms').mean():.1f} | "
              f"{col('e2e_ms').mean():.1f} ({col('e2e_ms').mean() / col('ms').mean():.2f}x) |")

    busy = np.array([r["busy"] for r in rows])
    order = np.array([int(r["photo"]) if r["photo"].isdigit() else i for i, r in enumerate(rows)])
    half = np.median(order)
    subsets = {
        "first half (photo no.)": order <= half, "second half (photo no.)": order > half,
        "plain background": busy <= np.median(busy), "busy background": busy > np.median(busy),
        "with bag/purse": np.array([r["bag"] for r in rows]),
        "without bag/purse": ~np.array([r["bag"] for r in rows]),
    }
    print(f"\n| subset | photos | " + " | ".join(f"{m} F1" for m in names)
          + (" | auto - person F1 |" if {"auto", "person"} <= set(names) else " |"))
    print("|---|---|" + "---|" * len(names) + ("---|" if {"auto", "person"} <= set(names) else ""))
    for label, sel in subsets.items():
        if not sel.any():
            continue
        f1s = {m: np.mean([r[f"{m}_f1"] for r, s in zip(rows, sel) if s]) for m in names}
        line = f"| {label} | {int(sel.sum())} | " + " | ".join(f"{f1s[m]:.4f}" for m in names)
        if {"auto", "person"} <= set(names):
            line += f" | {f1s['auto'] - f1s['person']:+.4f}"
        print(line + " |")
    if {"auto", "person"} <= set(names):
        d = np.array([r["auto_f1"] - r["person_f1"] for r in rows])
        print(f"\nper photo, auto - person F1: mean {d.mean():+.4f}, "
              f"{np.count_nonzero(d < -0.005)} of {n} photos below by more than 0.005, "
              f"worst {d.min():+.4f}")

    if args.csv:
        keys = list(rows[0])
        lines = [",".join(keys)] + [",".join(str(r[k]) for k in keys) for r in rows]
        args.csv.write_text("\n".join(lines) + "\n")
        print(f"wrote {args.csv}")


def write_outputs(result, image: np.ndarray, folder: Path) -> float:
    """Encode and write the mask and cutout PNGs as ``remove`` does; milliseconds."""
    t = time.perf_counter()
    alpha = result.alpha if result.alpha is not None else result.mask
    colours = result.foreground if result.foreground is not None else image
    write_bytes_atomic(folder / "photo.mask.png", encode_png(result.mask))
    write_bytes_atomic(folder / "photo.png", encode_png(fast_cutout(colours, alpha)))
    return 1000 * (time.perf_counter() - t)


def _bag_labels(root: Path) -> list[int]:
    """CCP label numbers of bags and purses (from ``label_list.mat``)."""
    try:
        names = [str(v[0]) for v in scipy.io.loadmat(root / "label_list.mat")["label_list"][0]]
    except (OSError, KeyError, ValueError):
        return []
    return [i for i, name in enumerate(names) if name in ("bag", "purse")]


if __name__ == "__main__":
    main()
