"""Train the item network (14 item classes) and export it to ONNX: the one command.

    pip install ".[train]"
    nice -n 5 python benchmarks/train_items.py   # -> src/runwaycut/models/items.onnx
                                                 #    and items_int8.onnx (what runs)
    python benchmarks/train_items.py --quantize-only   # items.onnx -> items_int8.onnx

Seeded and reproducible up to floating-point summation order. The 30 held-out photos
(:mod:`runwaycut.scoring.heldout`) are never trained on; of the other 470 CCP dev
photos, ``--val`` (60) drawn with the seed are kept back as a validation split, and the
network is trained on the rest. ``benchmarks/bench_items.py`` then scores the shipped
pipeline on the validation and held-out photos (never in-sample).

Steps: cache each photo's inputs (the auto backend's figure probability and pose, made
by the run-time code; a few minutes, kept in ``--cache``), cut the network's windows at
three zooms, mirrored and not, train (75 epochs, class-weighted cross-entropy plus a Dice
term for the small items; two threads, 12 min on an idle 2-core machine, ``nice`` it),
export ONNX, quantize it to 8-bit integers (calibrated on training photos only), print
the model files' SHA-256 for ``runwaycut/models/__init__.py`` (``python -m runwaycut.models
--refresh`` writes them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from runwaycut.scoring.items import ITEM_NAMES
from runwaycut.garment.items_training import (
    build_cache,
    calibration_windows,
    export_onnx,
    load_cache,
    quantize_onnx,
    tensors,
    train,
)
from runwaycut.scoring.heldout import heldout_names


def split(names: list[str], n_val: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """(train, validation, held-out) photo names."""
    held = sorted(n for n in names if n in heldout_names())
    rest = sorted(n for n in names if n not in heldout_names())
    val = sorted(np.random.default_rng(seed).choice(rest, n_val, replace=False).tolist())
    return [n for n in rest if n not in val], val, held


def window_iou(net, x, y) -> np.ndarray:
    """Pooled IoU per item over unaugmented windows (zoom 1, not mirrored)."""
    import torch

    from runwaycut.garment.items_training import PAD, ZOOMS
    v = 2 * ZOOMS.index(1.0)
    xb = torch.from_numpy(x[:, v, :, PAD:-PAD, PAD:-PAD].astype(np.float32))
    yb = y[:, v, PAD:-PAD, PAD:-PAD]
    with torch.no_grad():
        pred = torch.cat([net(xb[i:i + 16]) for i in range(0, len(xb), 16)]).argmax(1).numpy()
    ok = yb != 255
    k = len(ITEM_NAMES)
    cm = np.bincount(yb[ok].astype(np.int64) * k + pred[ok], minlength=k * k).reshape(k, k)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    return np.where(union > 0, inter / np.maximum(union, 1), np.nan)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ccp"))
    ap.add_argument("--cache", default="/tmp/runwaycut-items-cache")
    ap.add_argument("--out", default=str(ROOT / "src" / "runwaycut" / "models" / "items.onnx"))
    ap.add_argument("--int8-out", default=None,
                    help="the 8-bit graph (default: items_int8.onnx beside --out)")
    ap.add_argument("--quantize-only", action="store_true",
                    help="no training: quantize the float graph at --out")
    ap.add_argument("--epochs", type=int, default=75)
    ap.add_argument("--dice", type=float, default=1.0, help="weight of the Dice loss term")
    ap.add_argument("--lovasz", type=float, default=0.0,
                    help="weight of the Lovasz-softmax loss term (an IoU surrogate)")
    ap.add_argument("--weight-power", type=float, default=0.5,
                    help="cross-entropy class weights: (median freq / freq) ** this")
    ap.add_argument("--presence", type=float, default=0.0,
                    help="weight of the photo-level presence head's loss (0: no head)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--widths", default="16,24,32,48,64",
                    help="channels of the U-Net's five levels, comma-separated (the shipped "
                         "network's by default; 24,32,48,64,96 is the wider one tried)")
    ap.add_argument("--val", type=int, default=60,
                    help="validation photos kept back (0: train on all 470 not held out)")
    ap.add_argument("--seed", type=int, default=0,
                    help="draws the validation photos, and seeds the training unless --train-seed")
    ap.add_argument("--train-seed", type=int, default=None,
                    help="seeds the weights and augmentation only (another network over the "
                         "same photos, as for an ensemble)")
    ap.add_argument("--state", default="", help="also save the weights (torch state dict)")
    args = ap.parse_args(argv)

    if not (Path(args.data) / "photos").is_dir():
        print(f"{args.data}: no CCP photos/ folder", file=sys.stderr)
        return 2
    paths = build_cache(args.data, args.cache)
    records = load_cache(paths)
    train_names, val_names, held_names = split([r["name"] for r in records], args.val, args.seed)
    by_name = {r["name"]: r for r in records}
    print(f"photos: {len(train_names)} train, {len(val_names)} validation, "
          f"{len(held_names)} held out")
    int8_out = (Path(args.int8_out) if args.int8_out
                else Path(args.out).with_name(Path(args.out).stem + "_int8.onnx"))
    calibration = calibration_windows([by_name[n] for n in train_names])
    if args.quantize_only:
        quantize_onnx(args.out, int8_out, calibration)
        print(json.dumps({"model": str(int8_out), "bytes": int8_out.stat().st_size,
                          "sha256": hashlib.sha256(int8_out.read_bytes()).hexdigest()}))
        return 0
    x, y = tensors([by_name[n] for n in train_names])
    xv, yv = tensors([by_name[n] for n in val_names + held_names])
    nv = len(val_names)

    def validate(net, epoch):
        if (epoch + 1) % 5 == 0 or epoch + 1 == args.epochs:
            for label, sl in (("validation", slice(0, nv)), ("held-out", slice(nv, None))):
                if sl.stop == 0:  # --val 0: every non-held-out photo is trained on
                    continue
                iou = window_iou(net, xv[sl], yv[sl])
                print(f"  window IoU {label}: mean {np.nanmean(iou):.3f}  "
                      + " ".join(f"{n[:5]} {v:.2f}" for n, v in zip(ITEM_NAMES, iou)), flush=True)

    start = time.perf_counter()
    net = train(x, y, epochs=args.epochs,
                seed=args.seed if args.train_seed is None else args.train_seed, validate=validate,
                dice=args.dice, weight_power=args.weight_power, threads=args.threads,
                presence=args.presence, lovasz=args.lovasz,
                widths=tuple(int(w) for w in args.widths.split(",")),
                progress=lambda m: print(m, flush=True))
    if args.state:
        import torch
        torch.save(net.state_dict(), args.state)
    out = export_onnx(net, args.out)
    quantize_onnx(out, int8_out, calibration)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(json.dumps({"model": str(out), "bytes": out.stat().st_size, "sha256": digest,
                      "int8_model": str(int8_out), "int8_bytes": int8_out.stat().st_size,
                      "int8_sha256": hashlib.sha256(int8_out.read_bytes()).hexdigest(),
                      "train_photos": len(train_names), "validation": val_names,
                      "minutes": round((time.perf_counter() - start) / 60, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
