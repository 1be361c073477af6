"""A season's looks counted item by item: every photo of a folder through ``--target
items`` (a batch, resumable), then how many looks show each item, and the colour families
of one item across the looks.

    python examples/season_counts.py examples/photos --out out/season --item top
"""
import argparse
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from runwaycut.batch import collect_photos, run_collection
from runwaycut.batch.items_table import write_items_table
from runwaycut.batch.targets import TARGETS
from runwaycut.methods import AutoMethod
from runwaycut.scoring.items import ITEM_NAMES

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("folder", nargs="?", default=Path(__file__).parent / "photos")
parser.add_argument("--out", default="out/season", help="the batch's output folder")
parser.add_argument("--item", default="top", choices=ITEM_NAMES[1:])
parser.add_argument("--workers", type=int, default=None)
args = parser.parse_args()

photos = collect_photos([str(args.folder)])
done = {}  # output stem -> photo, for the photos done now or by an earlier run


def keep(record):
    if record.status in ("ok", "skipped"):
        done[record.output] = record.path


summary = run_collection(photos, args.out, TARGETS["items"].wrap(AutoMethod()),
                         workers=args.workers, on_record=keep)  # a rerun skips what is done
print(f"{summary.ok} done, {summary.skipped} already done, {summary.failed} failed")
stems = [Path(stem).as_posix() for _, stem in photos]  # the photos' order
path, table = write_items_table(args.out, [(done[s], s) for s in stems if s in done])
families = Counter(row["color_family"] for row in table.rows if row["item"] == args.item)

fig, (counts, colours) = plt.subplots(1, 2, figsize=(11, 4.5))
names = [name for name in ITEM_NAMES[1:] if table.looks[name]]
counts.barh(names[::-1], [table.looks[name] for name in names[::-1]], color="#3a50d9")
counts.set_xlabel(f"looks showing the item (of {table.photos})")
counts.set_title("items")
labels = sorted(families, key=families.get, reverse=True)
colours.bar(labels, [families[f] for f in labels],
            color=[{"white": "#f2f2f2"}.get(f, f) for f in labels], edgecolor="#444")
colours.set_ylabel("looks")
colours.set_title(f"{args.item}: its largest colour's family")
Path(args.out).mkdir(parents=True, exist_ok=True)
fig.savefig(Path(args.out) / "season_counts.png", dpi=80, bbox_inches="tight")
for name in names:
    print(f"{name:10s} in {table.looks[name]} of {table.photos} looks")
print(f"{args.item}: " + ", ".join(f"{f} {n}" for f, n in families.most_common()))
print(f"wrote {path} and {Path(args.out) / 'season_counts.png'}")
