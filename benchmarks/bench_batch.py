"""Batch throughput: photos per second with 1 and 2 workers, and the per-photo cost
against the floor of only decoding the JPEG and encoding (and writing) the PNG outputs.

Targets (issue 7): 2 workers >= 1.8x one worker; palette method end to end <= 3x the
decode+encode floor. Every figure is measured in this run; each timing is the best of
``--repeat`` runs, interleaved, since the machine is shared.

    python benchmarks/bench_batch.py --limit 60
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import cv2

from runwaycut.batch.inputs import collect_photos
from runwaycut.batch.photo import fast_cutout, process_photo
from runwaycut.batch.workers import run_batch
from runwaycut.io import encode_png, read_image, write_bytes_atomic
from runwaycut.methods import PaletteMethod

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ccp" / "photos"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def floor_pass(photos, arrays, out: Path) -> float:
    """Decode each JPEG, encode its (precomputed) mask and cutout PNGs, write them."""
    start = time.perf_counter()
    for (path, rel), (mask, rgba) in zip(photos, arrays):
        read_image(path)
        write_bytes_atomic(out / f"{rel}.mask.png", encode_png(mask))
        write_bytes_atomic(out / f"{rel}.png", encode_png(rgba))
    return time.perf_counter() - start


def full_pass(photos, method, out: Path) -> float:
    """The batch's per-photo path, in this process: read, mask, encode, write."""
    start = time.perf_counter()
    for path, rel in photos:
        record = process_photo(path, rel, out, method)
        assert record.status == "ok", record.error
    return time.perf_counter() - start


def batch_pass(photos, method, out: Path, workers: int) -> tuple[float, float]:
    """``run_batch`` with ``workers``: (wall seconds, seconds per photo while running).

    The second figure is the time between the 10th and the 90th percentile of the
    photos' completions, per photo: the steady rate, without the pool's start-up and
    the last chunks' tail."""
    done = []
    start = time.perf_counter()
    for record in run_batch(photos, out, method, workers=workers,
                            on_done=lambda r: done.append(time.perf_counter())):
        assert record.status == "ok", record.error
    wall = time.perf_counter() - start
    done.sort()
    lo, hi = len(done) // 10, len(done) - 1 - len(done) // 10
    return wall, (done[hi] - done[lo]) / (hi - lo) if hi > lo else wall / len(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.photos.is_dir():
        raise SystemExit(f"no photos at {args.photos}")
    photos = collect_photos([args.photos])[:args.limit]
    n = len(photos)
    method = PaletteMethod()
    print(f"{n} photos from {args.photos.resolve()}; {os.cpu_count()} cores, OpenCV threads "
          f"{cv2.getNumThreads()}; load average at start {load()}")

    # Outputs of the floor, made beforehand so the floor does no mask work at all.
    arrays = []
    for path, _ in photos:
        image = read_image(path)
        mask = method.predict(image).mask
        arrays.append((mask, fast_cutout(image, mask)))

    best = {"floor": float("inf"), "full": float("inf"), 1: (float("inf"),) * 2,
            2: (float("inf"),) * 2}
    root = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        for rep in range(args.repeat):
            for key in ("floor", "full", 1, 2):
                out = root / f"{key}-{rep}"
                if key == "floor":
                    best[key] = min(best[key], floor_pass(photos, arrays, out))
                elif key == "full":
                    best[key] = min(best[key], full_pass(photos, method, out))
                else:
                    best[key] = min(best[key], batch_pass(photos, method, out, key))
                shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    floor_ms, full_ms = best["floor"] / n * 1000, best["full"] / n * 1000
    print(f"\nper photo, in process (best of {args.repeat}):")
    print(f"  decode JPEG + encode/write PNGs (floor) {floor_ms:7.2f} ms")
    print(f"  palette method end to end              {full_ms:7.2f} ms   "
          f"ratio {full_ms / floor_ms:.2f}x the floor (target <= 3x)")
    (w1, s1), (w2, s2) = best[1], best[2]
    print(f"\nrun_batch throughput (best of {args.repeat}; wall time includes starting "
          "the worker pool):")
    print(f"  1 worker  (this process, 1 thread)  {n / w1:6.1f} photos/s")
    print(f"  2 workers (processes, 1 thread each) {n / w2:6.1f} photos/s   ratio "
          f"{w1 / w2:.2f}x (target >= 1.8x)")
    print(f"  for reference, in process with OpenCV's {cv2.getNumThreads()} threads "
          f"(end-to-end pass above): {n / best['full']:.1f} photos/s")
    print(f"  steady rate (10th to 90th percentile of completions): 1 worker {1 / s1:.1f}, "
          f"2 workers {1 / s2:.1f} photos/s, ratio {s1 / s2:.2f}x")
    print(f"\nload average at end {load()}")


if __name__ == "__main__":
    main()
