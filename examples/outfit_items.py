"""The outfit item by item: the item map of one photo with its legend, and each item's
share of the figure and dominant colours.

    python examples/outfit_items.py examples/photos/0367.jpg --out out/outfit_items.png
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

import runwaycut
from runwaycut.garment.items_outputs import ITEM_PALETTE
from runwaycut.scoring.items import ITEM_NAMES

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("photo", nargs="?", default=Path(__file__).parent / "photos" / "0367.jpg")
parser.add_argument("--out", default="out/outfit_items.png")
args = parser.parse_args()

image = runwaycut.read_image(args.photo)
items = runwaycut.parse_items(image)  # the auto backend's figure and pose
figure_pixels = max(items.figure.sum(), 1)

fig, (left, right, table) = plt.subplots(1, 3, figsize=(12, 6),
                                         gridspec_kw={"width_ratios": [1, 1, 1.2]})
left.imshow(image)
left.set_title("photo")
right.imshow(ITEM_PALETTE[items.labels])
right.set_title("item map")
right.legend(handles=[Patch(color=ITEM_PALETTE[i] / 255, label=name)
                      for i, name in enumerate(ITEM_NAMES) if name in items.masks],
             loc="lower right", fontsize=8)
# One line per item: its share of the figure, then a swatch per colour.
for row, (name, mask) in enumerate(items.masks.items()):
    y = -1.5 * row
    table.text(0, y, f"{name} {mask.sum() / figure_pixels:.0%}", va="center", fontsize=9)
    for k, colour in enumerate(items.colors.get(name, [])):
        table.add_patch(plt.Rectangle((2.2 + k, y - 0.4), 0.9, 0.8, color=colour.hex))
        table.text(2.65 + k, y - 0.5, colour.name, ha="center", va="top", fontsize=6)
    print(f"{name:10s} {mask.sum() / figure_pixels:5.1%}  "
          + ", ".join(f"{c.name} {c.share:.0%}" for c in items.colors.get(name, [])))
table.set_xlim(-0.1, 6.4)
table.set_ylim(-1.5 * len(items.masks) + 0.4, 0.8)
table.set_title("share of the figure, colours")
for ax in (left, right, table):
    ax.axis("off")
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
fig.savefig(args.out, dpi=80, bbox_inches="tight")
print(f"wrote {args.out}")
