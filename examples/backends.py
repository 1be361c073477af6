"""One photo through the three figure backends behind ``runwaycut.remove()``: the design
note's palette, the neural person mask, and ``auto`` (the two fused); cutouts side by
side with each backend's time.

    python examples/backends.py examples/photos/0111.jpg --out out/backends.png
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import runwaycut
from runwaycut.methods import get_method

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("photo", nargs="?", default=Path(__file__).parent / "photos" / "0111.jpg")
parser.add_argument("--out", default="out/backends.png")
args = parser.parse_args()

image = runwaycut.read_image(args.photo)
fig, axes = plt.subplots(1, 4, figsize=(12, 5))
axes[0].imshow(image)
axes[0].set_title("photo")
for ax, name in zip(axes[1:], ("palette", "person", "auto")):
    backend = get_method(name)
    backend.predict(image)  # models loaded: the time below is the photo's own
    start = time.perf_counter()
    result = backend.predict(image)
    ms = (time.perf_counter() - start) * 1000
    alpha = result.alpha if result.alpha is not None else result.mask.astype(np.float32)
    colours = result.foreground if result.foreground is not None else image
    grey = np.full_like(image, 235)
    ax.imshow((colours * alpha[..., None] + grey * (1 - alpha[..., None])).astype(np.uint8))
    ax.set_title(f"{name}: figure {result.mask.mean():.0%}, {ms:.0f} ms")
    print(f"{name:8s} figure {result.mask.mean():6.1%}  {ms:5.0f} ms  {result.details.get('warnings') or ''}")
for ax in axes:
    ax.axis("off")
Path(args.out).parent.mkdir(parents=True, exist_ok=True)
fig.savefig(args.out, dpi=80, bbox_inches="tight")
print(f"wrote {args.out}")
