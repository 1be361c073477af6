"""Threshold prediction cost: features and model against the method they add to.

For CCP development photos (``../shared/data/ccp/photos``), with the palette and the
absolute-band distance map already computed (as ``--threshold auto`` has them):

(a) baseline: the rest of the design note's method on the photo: palette sampling,
    distance map, one colour mask and figure selection at the default threshold;
(b) the photo features (:func:`runwaycut.threshold.features.image_features`);
(c) a photo-only model's prediction from them (the shipped model's fallback: what a
    ``runwaycut train --no-person`` model costs with (b));
(d) the shipped ``photo+person`` model's whole prediction for the photo
    (:meth:`ThresholdModel.predict_image`: photo features, the person models, the sweep
    of thresholds 0..80 and the forest): the per-photo cost of ``--threshold auto``;
(e) for reference, the ``person`` rule alone (person models and its own sweep).

Every timing is the median over photos of interleaved runs, so a busy shared machine
slows all alike. Printed: milliseconds and the ratios (b + c) / (a) and (d) / (a).

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

from runwaycut.note.colormask import distance_map, in_band
from runwaycut.threshold.features import image_features
from runwaycut.note.figure import select_figure
from runwaycut.io import read_image
from runwaycut.note.palette import sample_palette
from runwaycut.threshold.person_agreement import person_threshold
from runwaycut.threshold.model import default_model

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
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    paths = sorted(args.photos.glob("*.jpg"))[: args.limit]
    if not paths:
        print(f"no photos in {args.photos}", file=sys.stderr)
        return 2
    model = default_model()
    photo_model = model.fallback if model.needs_person else model
    model.predict_image(read_image(paths[0]))  # load the person models before timing
    times = {k: [] for k in "abcde"}
    for path in paths:
        image = read_image(path)
        for _ in range(args.repeat):
            ta, (palette, distance) = timed(method, image)
            tb, x = timed(image_features, image, palette, distance)
            tc, _ = timed(photo_model.predict, x)
            td, _ = timed(model.predict_image, image, palette, distance)
            te, _ = timed(person_threshold, image, palette, distance, "absolute")
            for key, value in zip("abcde", (ta, tb, tc, td, te)):
                times[key].append(value)
    a, b, c, d, e = (statistics.median(times[k]) * 1000 for k in "abcde")
    h, w = read_image(paths[0]).shape[:2]
    print(f"{len(paths)} photos ({w}x{h}), median of {args.repeat} interleaved runs each")
    print(f"{'(a) method at t=20 (palette, distance map, mask, figure):':62s}{a:8.2f} ms")
    print(f"{'(b) photo features from palette + distance map:':62s}{b:8.2f} ms")
    trees = len(photo_model.forest.roots)
    print(f"{f'(c) photo-only model prediction ({trees} trees):':62s}{c:8.2f} ms")
    print(f"{'(d) shipped model (' + model.feature_set + '), whole prediction:':62s}{d:8.2f} ms")
    print(f"{'(e) person rule alone:':62s}{e:8.2f} ms")
    print(f"(b + c) / (a) = {(b + c) / a:.2f}   (d) / (a) = {d / a:.2f}   (d) / (e) = {d / e:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
