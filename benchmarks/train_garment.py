"""Train the shipped garment classifier (``src/runwaycut/data/garment_model.json``).

Reproducible: the same photos, poses, parameters and seed give the same file, byte for
byte (one thread for OpenCV and the linear algebra, whose parallel sums differ in the
last bit from run to run; every random draw seeded) on the same machine and software;
another CPU or BLAS build gives the same priors and scaling but network weights that
differ (compare such retrains by their cross-validated scores, not their bytes). Trains
on every labelled photo of ``--data`` (the CCP dev split by default) except the 30
held-out photos (:mod:`runwaycut.scoring.heldout`; ``--include-heldout`` keeps them),
recorded in the model's ``info``; ``benchmarks/bench_garment.py`` scores the same
training under cross-validation by photo.

    python benchmarks/train_garment.py
    python benchmarks/train_garment.py --data other/ccp --out my_model.json

The model is plain JSON (network weights, feature standardisation, priors), never a
pickle; load another one with ``runwaycut remove --garment-model FILE`` or
:meth:`runwaycut.garment.GarmentModel.load`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from runwaycut.batch.cores import one_thread
from runwaycut.garment.training import TrainParams, load_photo, train_model
from runwaycut.io import write_bytes_atomic
from runwaycut.models import refresh_if_shipped
from runwaycut.scoring.heldout import without_heldout
from runwaycut.scoring.labels import open_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "ccp"
OUT = ROOT / "src" / "runwaycut" / "data" / "garment_model.json"
CACHE = Path("/tmp/runwaycut-garment-cache")


def train_dev(data: Path, params: TrainParams = TrainParams(), *, cache: Path | None = CACHE,
              limit: int | None = None, include_heldout: bool = False,
              leave_out: frozenset = frozenset(), progress=None):
    """The garment classifier trained as the shipped one is: on every complete labelled
    photo of ``data`` but the held-out ones (unless ``include_heldout``) and those whose
    file names ``leave_out`` holds, the first ``limit`` of them, on one thread.

    Returns
    -------
    model : GarmentModel
        With ``info`` saying what it was trained on.
    """
    dataset, heldout = open_dataset(data), ()
    if not include_heldout:
        dataset, heldout = without_heldout(dataset)
    items = [item for item in dataset.complete if item.photo.name not in leave_out]
    items = items[:limit] if limit else items
    start = time.perf_counter()
    with one_thread():
        photos = [load_photo(item, params.work_side, cache=cache) for item in items]
        if progress is not None:
            progress(f"{len(photos)} photos from {data} loaded in "
                     f"{time.perf_counter() - start:.0f} s")
        model = train_model(photos, params, progress=progress)
    model.info["data"] = f"{Path(data).name}: {len(photos)} labelled photos"
    model.info["heldout_left_out"] = list(heldout)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="labelled set (ccp or seg layout)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--limit", type=int, default=None, help="train on the first N photos")
    ap.add_argument("--per-photo", type=int, default=TrainParams.per_photo)
    ap.add_argument("--hidden", default="x".join(map(str, TrainParams.hidden)))
    ap.add_argument("--seed", type=int, default=TrainParams.seed)
    ap.add_argument("--cache", type=Path, default=CACHE,
                    help="folder caching each photo's pose between runs")
    ap.add_argument("--include-heldout", action="store_true",
                    help="train on the held-out dev photos too (runwaycut.scoring.heldout)")
    args = ap.parse_args()

    params = TrainParams(per_photo=args.per_photo, seed=args.seed,
                         hidden=tuple(int(v) for v in args.hidden.split("x")))
    start = time.perf_counter()
    model = train_dev(args.data, params, cache=args.cache, limit=args.limit,
                      include_heldout=args.include_heldout,
                      progress=lambda line: print(line, flush=True))
    write_bytes_atomic(args.out, (model.to_json() + "\n").encode("utf-8"))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) in "
          f"{time.perf_counter() - start:.0f} s")
    if refresh_if_shipped(args.out):
        print("refreshed runwaycut.models.CHECKSUMS")


if __name__ == "__main__":
    main()
