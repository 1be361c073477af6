"""Colour masks: runwaycut's distance map against a plain loop of cv2.inRange calls.

For each photo of the CCP development set (``../shared/data/ccp/photos``), with the
palette runwaycut samples (16 colours, fixed seed) and the note's absolute band:

(a) baseline: one ``cv2.inRange`` per palette colour, OR-ed together (the note's code);
(b) runwaycut: ``in_band(distance_map(image, palette), t)``.

Then a full sweep of thresholds 0..255: (a) recomputed per threshold, against (b) one
distance map and 256 comparisons. Every timing is the median of repeated runs, (a) and
(b) interleaved, so that a busy shared machine slows both alike. The masks of (a) and
(b) are checked to be identical. Targets: (b) no slower than (a); the sweep at least
50x faster than recomputing.

Usage::

    python benchmarks/bench_colormask.py                 # about a minute
    python benchmarks/bench_colormask.py --limit 50 --sweep-limit 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from runwaycut.note.colormask import band_bounds, distance_map, in_band
from runwaycut.io import read_image
from runwaycut.note.palette import PaletteParams, sample_palette

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PHOTOS = REPO / ".." / "shared" / "data" / "ccp" / "photos"


def inrange_union(image: np.ndarray, bounds: list[tuple[tuple, tuple]]) -> np.ndarray:
    """(a): the plain loop, one cv2.inRange per colour, OR-ed into one uint8 mask."""
    mask = cv2.inRange(image, *bounds[0])
    for lower, upper in bounds[1:]:
        cv2.bitwise_or(mask, cv2.inRange(image, lower, upper), dst=mask)
    return mask


def runwaycut_mask(image: np.ndarray, colors: np.ndarray, threshold: float) -> np.ndarray:
    """(b): one distance map, one comparison."""
    return in_band(distance_map(image, colors, "absolute"), threshold)


def bounds_for(colors: np.ndarray, threshold: float) -> list[tuple[tuple, tuple]]:
    out = []
    for c in colors:
        lower, upper = band_bounds(c, threshold, "absolute")
        out.append((tuple(map(float, lower)), tuple(map(float, upper))))
    return out


def sweep_baseline(image, colors, thresholds, bounds_by_t, use=None):
    """(a) per threshold. Each mask is handed to ``use`` and dropped, as a threshold
    search scoring one mask at a time would (keeping 256 masks would time the memory)."""
    for t in thresholds:
        mask = inrange_union(image, bounds_by_t[t])
        if use is not None:
            use(t, mask > 0)


def sweep_runwaycut(image, colors, thresholds, use=None):
    """(b): one distance map, then one comparison per threshold."""
    distance = distance_map(image, colors, "absolute")
    for t in thresholds:
        mask = in_band(distance, t)
        if use is not None:
            use(t, mask)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS,
                        help="folder of photos (default: ../shared/data/ccp/photos)")
    parser.add_argument("--limit", type=int, default=500,
                        help="photos for the single-threshold timing (default 500)")
    parser.add_argument("--sweep-limit", type=int, default=4,
                        help="photos for the 0..255 sweep (default 4; the baseline sweep "
                             "takes about a second per photo and repeat)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed repeats per photo, median kept (default 5)")
    parser.add_argument("--sweep-repeats", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=20.0,
                        help="absolute band half-width (default 20, the note's)")
    parser.add_argument("--points", type=int, default=16, help="palette colours (default 16)")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenCV threads for both sides (default 1: steadier on a "
                             "shared machine; 0 = OpenCV's default)")
    args = parser.parse_args(argv)

    photos = sorted(args.photos.glob("*.jpg"))[: args.limit]
    if not photos:
        print(f"no photos found in {args.photos}", file=sys.stderr)
        return 2
    if args.threads > 0:
        cv2.setNumThreads(args.threads)
    print(f"runwaycut colour-mask benchmark: {len(photos)} photos from {args.photos.resolve()}")
    print(f"palette {args.points} colours (seed 0), absolute band t={args.threshold:g}, "
          f"OpenCV {cv2.__version__} threads={cv2.getNumThreads()}, "
          f"median of {args.repeats} repeats per photo")

    per_a, per_b, mismatches, sizes = [], [], 0, set()
    sweep_inputs = []
    for i, path in enumerate(photos):
        image = read_image(path)
        sizes.add(image.shape[:2])
        colors = sample_palette(image, PaletteParams(points=args.points)).colors
        bounds = bounds_for(colors, args.threshold)
        mismatches += int(np.count_nonzero(
            (inrange_union(image, bounds) > 0) != runwaycut_mask(image, colors, args.threshold)))
        ta, tb = [], []
        for _ in range(args.repeats):  # interleaved: drift hits both
            ta.append(timed(inrange_union, image, bounds))
            tb.append(timed(runwaycut_mask, image, colors, args.threshold))
        per_a.append(statistics.median(ta))
        per_b.append(statistics.median(tb))
        if i < args.sweep_limit:
            sweep_inputs.append((image, colors))

    a_ms, b_ms = statistics.median(per_a), statistics.median(per_b)
    shapes = ", ".join(f"{w}x{h}" for h, w in sorted(sizes)[:3]) + (" ..." if len(sizes) > 3 else "")
    print(f"photo sizes: {shapes}")
    print(f"(a) {args.points} x cv2.inRange, OR-ed      : {a_ms:8.3f} ms/photo "
          f"(median over photos; mean {statistics.fmean(per_a):.3f})")
    print(f"(b) runwaycut distance_map + in_band : {b_ms:8.3f} ms/photo "
          f"(median over photos; mean {statistics.fmean(per_b):.3f})")
    single_ratio = a_ms / b_ms
    single_ok = b_ms <= a_ms
    print(f"(a)/(b) = {single_ratio:.2f}x; target (b) no slower than (a): "
          f"{'MET' if single_ok else 'NOT MET'}")
    print(f"masks identical at t={args.threshold:g}: "
          f"{'yes' if mismatches == 0 else f'NO, {mismatches} pixels differ'}")

    thresholds = list(range(256))
    bounds_by_t = None
    sweep_a, sweep_b, sweep_mismatch = [], [], 0
    for image, colors in sweep_inputs:
        bounds_by_t = {t: bounds_for(colors, t) for t in thresholds}
        # Check (untimed) that both sweeps give the same mask at every threshold.
        counts_a, counts_b = {}, {}
        sweep_baseline(image, colors, thresholds, bounds_by_t,
                       use=lambda t, m: counts_a.__setitem__(t, np.packbits(m)))
        sweep_runwaycut(image, colors, thresholds,
                        use=lambda t, m: counts_b.__setitem__(t, np.packbits(m)))
        sweep_mismatch += sum(int(np.count_nonzero(counts_a[t] != counts_b[t]))
                              for t in thresholds)
        del counts_a, counts_b
        ta, tb = [], []
        for _ in range(args.sweep_repeats):
            ta.append(timed(sweep_baseline, image, colors, thresholds, bounds_by_t))
            tb.append(timed(sweep_runwaycut, image, colors, thresholds))
        sweep_a.append(statistics.median(ta))
        sweep_b.append(statistics.median(tb))
    sweep_ok = False
    if sweep_inputs:
        sa, sb = statistics.median(sweep_a), statistics.median(sweep_b)
        sweep_ratio = sa / sb
        sweep_ok = sweep_ratio >= 50
        print(f"sweep of thresholds 0..255 on {len(sweep_inputs)} photos "
              f"(median of {args.sweep_repeats} repeats):")
        print(f"(a) recompute {args.points} x inRange per threshold : {sa:9.1f} ms/photo")
        print(f"(b) one distance map + 256 comparisons  : {sb:9.1f} ms/photo")
        print(f"sweep speed-up (a)/(b) = {sweep_ratio:.0f}x; target >= 50x: "
              f"{'MET' if sweep_ok else 'NOT MET'}")
        print(f"sweep masks identical at all 256 thresholds: "
              f"{'yes' if sweep_mismatch == 0 else f'NO, {sweep_mismatch} pixels differ'}")
    return 0 if mismatches == 0 and sweep_mismatch == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
