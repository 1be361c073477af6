"""Threshold prediction cost: features and model against the method they add to.

For CCP development photos (``../shared/data/ccp/photos``), with the palette and the
absolute-band distance map already computed (as ``--threshold auto`` has them):

(a) baseline: the rest of the design note's method on the photo: palette sampling,
    distance map, one colour mask and figure selection at the default threshold;
(b) the features (:func:`runwaycut.features.image_features`);
(c) the shipped model's prediction from those features.

Every timing is the median over photos of interleaved runs, so a busy shared machine
slows all alike. Printed: milliseconds and the ratio (b + c) / (a). Target: a few ms,
a small fraction of the method itself.

Usage::

    python benchmarks/bench_features.py              # 60 photos, well under a minute
    python benchmarks/bench_features.py --limit 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from runwaycut.colormask import distance_map, in_band
from runwaycut.features import image_features
from runwaycut.figure import select_figure
from runwaycut.io import read_image
from runwaycut.palette import sample_palette
from runwaycut.threshold_model import default_model

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PHOTOS = REPO / ".." / "shared" / "data" / "ccp" / "photos"


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def method(image):
    palette = sample_palette(image)
    distance = distance_map(image, palette.colors, "absolute")
    select_figure(~in_band(distance, 20))
    return palette, distance


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    paths = sorted(args.photos.glob("*.jpg"))[: args.limit]
    if not paths:
        print(f"no photos in {args.photos}", file=sys.stderr)
        return 2
    model = default_model()
    base, feats, pred = [], [], []
    for path in paths:
        image = read_image(path)
        for _ in range(args.repeat):
            ta, (palette, distance) = timed(method, image)
            tb, x = timed(image_features, image, palette, distance)
            tc, _ = timed(model.predict, x)
            base.append(ta)
            feats.append(tb)
            pred.append(tc)
    a, b, c = (statistics.median(v) * 1000 for v in (base, feats, pred))
    h, w = read_image(paths[0]).shape[:2]
    print(f"{len(paths)} photos ({w}x{h}), median of {args.repeat} interleaved runs each")
    print(f"{'(a) method at t=20 (palette, distance map, mask, figure):':57s}{a:7.2f} ms")
    print(f"{'(b) features from palette + distance map:':57s}{b:7.2f} ms")
    print(f"{'(c) model prediction (' + str(len(model.forest.roots)) + ' trees):':57s}{c:7.2f} ms")
    print(f"(b + c) / (a) = {(b + c) / a:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
