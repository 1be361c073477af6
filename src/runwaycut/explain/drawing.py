"""Drawing helpers shared by every explanatory figure: display sizes, image axes,
checkerboard composites, panel flow."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np
from matplotlib.figure import SubFigure

if TYPE_CHECKING:  # annotations only: figure.py imports this module
    from .figure import Explanation



#: Largest side, in pixels, of the pictures drawn in the figure: the computation runs at
#: full size, the drawing on a reduced copy (a 24-megapixel photo would draw slowly).
DISPLAY_SIDE = 640

#: Colours of the combined-mask panel (RGB).
MASK_COLOURS = {
    "background": (45, 45, 60),       # claimed by the vote: removed
    "dropped": (240, 140, 30),        # never background, but not the largest region
    "figure": (250, 250, 250),        # kept
    "filled": (90, 160, 255),         # background-coloured hole inside the figure, kept
}




def _title(ex: Explanation) -> str:
    h, w = ex.image.shape[:2]
    p = ex.method.palette
    sampler = (f"{p.points} random points, {p.block}×{p.block} blocks, seed {p.seed}"
               if p.sampler == "random" else f"k-means of strip pixels, {p.points} colours")
    f = ex.method.figure
    figure = ", ".join(s for s, on in (("largest region", f.keep_largest),
                                       ("holes filled", f.fill_holes)) if on) or "all regions"
    rule = "" if ex.method.threshold_rule is None else " (chosen by rule)"
    name = f"{ex.name}: " if ex.name else ""
    return (f"{name}{w}×{h} px — {ex.band} band {ex.band_text()}, threshold "
            f"{ex.threshold:g}{rule}; {ex.vote_text()}\npalette: {sampler}; figure: {figure}")


def _flow(widths: Sequence[float], max_width: float) -> list[list[int]]:
    """Split panel indices into rows, greedily, each no wider than ``max_width``."""
    rows: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(widths):
        if rows[-1] and used + w > max_width + 1e-9:
            rows.append([])
            used = 0.0
        rows[-1].append(i)
        used += w
    return rows


def _aspect(ex: Explanation) -> float:
    h, w = ex.image.shape[:2]
    return w / h


def _display_size(shape: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the drawn copy: the photo's, reduced to DISPLAY_SIDE at most."""
    h, w = shape
    scale = min(1.0, DISPLAY_SIDE / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (array.shape[1], array.shape[0]) == size:
        return array
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def _min_marker(ex: Explanation) -> float:
    """Smallest drawn block side, in photo pixels, so blocks stay visible when reduced."""
    return max(ex.image.shape[:2]) / 90


def _image_axes(fig: SubFigure, ex: Explanation, picture: np.ndarray, **imshow):
    """An axes showing ``picture`` (a photo-sized array) in photo pixel coordinates."""
    h, w = ex.image.shape[:2]
    ax = fig.add_subplot()
    shown = picture
    if picture.dtype == bool:
        shown = picture.astype(np.uint8) * 255
    shown = _resize(shown, _display_size((h, w)))
    ax.imshow(shown, extent=(-0.5, w - 0.5, h - 0.5, -0.5), interpolation="antialiased",
              **imshow)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _distance_range(ex: Explanation) -> float:
    """Upper end of the distance axis: a few thresholds, capped by the data."""
    d = ex.result.distance
    t = ex.threshold
    if d.dtype == np.uint8:
        return float(min(255, max(4 * math.floor(t), 40)))
    return float(max(4 * t, 1.0))


def _checker_composite(image: np.ndarray, keep: np.ndarray, square: int | None = None) -> np.ndarray:
    """The photo where ``keep``, a grey checkerboard (transparency) elsewhere."""
    h, w = keep.shape
    square = square or max(4, max(h, w) // 40)
    yy, xx = np.indices((h, w))
    board = np.where(((yy // square) + (xx // square)) % 2 == 0, 205, 150).astype(np.uint8)
    out = np.repeat(board[:, :, None], 3, axis=2)
    out[keep] = image[keep]
    return out
