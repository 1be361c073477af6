"""Peak memory of ``predict`` per pixel of the photo, for each figure method.

Each measurement runs in a fresh subprocess: a labelled photo is upscaled to the
requested size (a synthetic large photo: the same scene, more pixels), the method is
loaded and warmed up on the small photo, the kernel's peak-RSS counter is reset
(``/proc/self/clear_refs``), and one ``predict`` runs on the large photo. Printed:

* ``rss B/px``: peak resident memory during ``predict`` above the resident memory just
  before it (the decoded photo, the models and the warm-up are already there), divided
  by the photo's pixels: what a worker needs on top of the photo it holds;
* ``traced B/px``: the peak of Python-level allocations (tracemalloc sees NumPy's and
  OpenCV's output arrays, not OpenCV's internal buffers), the same way;
* ``CPU s``: the CPU time of a second ``predict`` of the large photo, untraced.

With ``--against SRC`` each measurement is also made with the package in ``SRC`` (an
older checkout's ``src/``), the two alternating, and the ratio of their CPU times is
printed (medians of ``--repeat`` runs each): the machine's speed drifts between runs.

The results (mask, alpha, foreground colours, full-size probability) are part of the
peak: they are what ``predict`` returns. Target (issue 13): ``auto`` at most 20 B/px.

    python benchmarks/bench_memory.py                      # 6000x4000
    python benchmarks/bench_memory.py --size 8000x12000    # 96 MP: needs ~2 GB free
    python benchmarks/bench_memory.py --methods auto --against /tmp/old/src --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ccp" / "photos"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "photos" / "0087.jpg"

CHILD = r"""
import json, sys, time, tracemalloc
import cv2
from runwaycut.io import read_image
from runwaycut.methods import get_method
from runwaycut.batch.cores import single_threaded

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

path, method, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
single_threaded()
small = read_image(path)
backend = get_method(method)
backend.predict(small)  # models loaded, caches warm
image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
del small
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
before = status("VmRSS")
tracemalloc.start()
result = backend.predict(image)
_, traced = tracemalloc.get_traced_memory()
tracemalloc.stop()
peak = status("VmHWM")
del result
start = time.process_time()
backend.predict(image)
cpu = time.process_time() - start
print(json.dumps({"rss": peak - before, "traced": traced, "pixels": width * height,
                  "image": image.nbytes, "cpu": cpu}))
"""


def measure(path: Path, method: str, width: int, height: int, src: Path | None = None) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if src is not None:
        env["PYTHONPATH"] = str(Path(src).resolve())
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), method, str(width),
                          str(height)], capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{method} at {width}x{height} failed:\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=None,
                        help="photo to upscale (default: a CCP photo, else the bundled example)")
    parser.add_argument("--size", action="append", default=None,
                        help="WIDTHxHEIGHT, repeatable (default 6000x4000... as 4000x6000)")
    parser.add_argument("--methods", default="palette,person,auto")
    parser.add_argument("--against", type=Path, default=None,
                        help="also measure the package in this src/ folder, alternating")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, medians")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("this benchmark reads Linux's /proc/self/status")
    photo = args.photo or (DATA / "0087.jpg" if (DATA / "0087.jpg").is_file() else EXAMPLE)
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in (args.size or ["4000x6000"])]
    print(f"photo {photo.name} upscaled; one thread; peak memory of one predict() above "
          "the memory held before it")
    print(f"{'method':8s} {'size':>11s} {'MP':>6s} {'rss MB':>8s} {'rss B/px':>9s} "
          f"{'traced B/px':>12s} {'CPU s':>6s}" + ("  against: rss MB, CPU s, CPU ratio"
                                                  if args.against else ""))
    for width, height in sizes:
        for method in args.methods.split(","):
            runs, others = [], []
            for _ in range(max(1, args.repeat)):
                runs.append(measure(photo, method, width, height))
                if args.against:
                    others.append(measure(photo, method, width, height, args.against))
            m = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
            px = m["pixels"]
            line = (f"{method:8s} {width:>5d}x{height:<5d} {px / 1e6:6.1f} {m['rss'] / 2**20:8.0f} "
                    f"{m['rss'] / px:9.1f} {m['traced'] / px:12.1f} {m['cpu']:6.2f}")
            if others:
                o = {k: float(np.median([r[k] for r in others])) for k in others[0]}
                line += f"  {o['rss'] / 2**20:6.0f} {o['cpu']:6.2f} {m['cpu'] / o['cpu']:6.2f}x"
            print(line, flush=True)
    print("(the decoded photo itself is 3 B/px more, held by the caller)")


if __name__ == "__main__":
    main()
