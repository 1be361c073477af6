"""Did a change move ``auto``'s results? Masks, alpha and foreground colours of two
source trees on the 30 held-out CCP photos and every ninth other one, with figure F1/IoU.

    git archive <old-commit> src | tar -x -C /tmp/old
    python benchmarks/compare_auto.py --before /tmp/old/src --after src

Each tree runs in its own subprocess (``PYTHONPATH``); the shipped fusion model of each
tree is used, so the F1 here is in-sample for the non-held-out photos: what matters is
the difference, which must stay within 0.001 (issue 14).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ccp"

CHILD = r"""
import sys
from pathlib import Path
import numpy as np
from runwaycut.batch.cores import one_thread
from runwaycut.io import read_image
from runwaycut.methods.auto import AutoMethod
paths, out = sys.argv[1].split(","), sys.argv[2]
method, saved = AutoMethod(), {}
with one_thread():
    for p in paths:
        r = method.predict(read_image(p))
        saved[Path(p).stem] = (np.packbits(r.mask), r.alpha.astype(np.float16), r.foreground,
                               r.mask.shape)
np.save(out, saved, allow_pickle=True)
"""


def run_tree(src: Path, photos: list[Path], out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    subprocess.run([sys.executable, "-c", CHILD, ",".join(map(str, photos)), str(out)],
                   env=env, check=True)
    return np.load(out, allow_pickle=True).item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a src/ folder")
    parser.add_argument("--after", type=Path, default=Path("src"))
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--others", type=int, default=50)
    args = parser.parse_args()
    from runwaycut.scoring.heldout import is_heldout
    from runwaycut.scoring.labels import read_ccp_label
    from runwaycut.scoring.metrics import mask_scores

    every = sorted((args.data / "photos").glob("*.jpg"))
    if not every:
        raise SystemExit(f"no CCP photos under {args.data}")
    held = [p for p in every if is_heldout(p)]
    others = [p for p in every if not is_heldout(p)][::9][:args.others]
    with tempfile.TemporaryDirectory() as tmp:
        before = run_tree(args.before, held + others, Path(tmp) / "before.npy")
        after = run_tree(args.after, held + others, Path(tmp) / "after.npy")
    rows = []
    for p in held + others:
        (pa, aa, fa, shape), (pb, ab, fb, _) = before[p.stem], after[p.stem]
        n = shape[0] * shape[1]
        ma = np.unpackbits(pa)[:n].reshape(shape).astype(bool)
        mb = np.unpackbits(pb)[:n].reshape(shape).astype(bool)
        truth = read_ccp_label(args.data / "annotations" / "pixel-level" / f"{p.stem}.mat"
                               ).positive("figure")
        sa, sb = mask_scores(ma, truth), mask_scores(mb, truth)
        rows.append((is_heldout(p), sa["f1"], sb["f1"], sa["iou"], sb["iou"],
                     np.count_nonzero(ma != mb),
                     float(np.abs(aa.astype(np.float32) - ab.astype(np.float32)).max()),
                     int(np.abs(fa.astype(int) - fb).max())))
    r = np.array(rows, float)
    for name, sel in (("held-out", r[:, 0] == 1), ("others", r[:, 0] == 0), ("all", r[:, 0] >= 0)):
        s = r[sel]
        print(f"{name:9s} {len(s):3d} photos  F1 {s[:, 1].mean():.5f} -> {s[:, 2].mean():.5f} "
              f"({s[:, 2].mean() - s[:, 1].mean():+.5f})  IoU {s[:, 3].mean():.5f} -> "
              f"{s[:, 4].mean():.5f}  largest |dF1| {np.abs(s[:, 2] - s[:, 1]).max():.5f}")
    print(f"mask pixels that differ: {int(r[:, 5].sum())} in all; alpha differs by at most "
          f"{r[:, 6].max():.4f}; foreground colours by at most {int(r[:, 7].max())} levels")


if __name__ == "__main__":
    main()
