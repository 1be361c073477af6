"""The design note's method on one photo: the palette sampled from the edge strips, each
pixel's distance to it, and the figure kept at three thresholds.

    python examples/note_method.py examples/photos/0087.jpg --out out/note_method.png
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import runwaycut
from runwaycut.compose import overlay

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("photo", nargs="?", default=Path(__file__).parent / "photos" / "0087.jpg")
parser.add_argument("--out", default="out/note_method.png")
args = parser.parse_args()

image = runwaycut.read_image(args.photo)
thresholds = (10, 20, 40)
results = [runwaycut.remove_background(image, threshold=t) for t in thresholds]
palette = results[0].palette  # the same seeded draw at every threshold

fig, axes = plt.subplots(1, 2 + len(thresholds), figsize=(3 * (2 + len(thresholds)), 5))
axes[0].imshow(image)
rows, cols = palette.points.T
axes[0].scatter(cols, rows, c=palette.colors / 255, edgecolors="yellow", s=40)
axes[0].set_title(f"{len(palette.colors)} palette points")
axes[1].imshow(results[0].distance, cmap="magma", vmax=80)
axes[1].set_title("distance to the palette")
for ax, t, result in zip(axes[2:], thresholds, results):
    ax.imshow(overlay(image, result.mask))  # removed pixels neon green, as in the note
    ax.set_title(f"t = {t}: figure {result.mask.mean():.0%}")
for ax in axes:
    ax.axis("off")
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
fig.savefig(args.out, dpi=80, bbox_inches="tight")
print(f"wrote {args.out}")
