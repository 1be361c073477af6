"""Step 1 of the design note: sample the background's colours from the edge strips.

The left and right strips of the photo (each ``strip`` of its width, 1/8 by default)
count as background, since a runway figure fills about the middle third. A palette is
a short list of colours drawn from them, one per sampled point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InvalidImageError

Sampler = Literal["random", "kmeans"]


@dataclass(frozen=True)
class PaletteParams:
    """How the background palette is sampled (the design note's defaults).

    Attributes
    ----------
    points : int
        Number of palette colours; half from each strip (16, as the note).
    strip : float
        Width of each edge strip as a fraction of the photo's width (1/8).
    block : int
        Side of the square block averaged around each point, in pixels (9, as the
        note says; the original code sliced 8).
    sampler : {'random', 'kmeans'}
        ``random``: the note's random points, seeded. ``kmeans``: the centres of a
        k-means clustering of all strip pixels, which does not depend on luck.
    seed : int
        Seed of the random generator, so that runs are reproducible.
    """

    points: int = 16
    strip: float = 1 / 8
    block: int = 9
    sampler: Sampler = "random"
    seed: int = 0

    def __post_init__(self):
        if self.points < 1:
            raise ValueError(f"points must be at least 1, got {self.points}")
        if not 0 < self.strip <= 0.5:
            raise ValueError(f"strip must be a fraction in (0, 0.5], got {self.strip}")
        if self.block < 1:
            raise ValueError(f"block must be at least 1 pixel, got {self.block}")
        if self.sampler not in ("random", "kmeans"):
            raise ValueError(f"sampler must be 'random' or 'kmeans', got {self.sampler!r}")


@dataclass(frozen=True)
class Palette:
    """Background colours sampled from a photo.

    Attributes
    ----------
    colors : (N, 3) uint8 array
        RGB colours. Block means are rounded to whole levels so that the colour bands
        of :mod:`runwaycut.note.colormask` have integer bounds, exactly as ``cv2.inRange``.
    points : (N, 2) int array
        ``(row, col)`` of the centre of each sampled block (for k-means: of the strip
        pixel nearest each centre).
    block : int
        Side of the averaged blocks (0 for k-means centres).
    """

    colors: np.ndarray
    points: np.ndarray
    block: int

    def __len__(self) -> int:
        return len(self.colors)


def strip_width(width: int, strip: float) -> int:
    """Width in pixels of one edge strip: ``round(width * strip)``, at least 1."""
    return max(1, int(round(width * strip)))


def sample_palette(image: np.ndarray, params: PaletteParams = PaletteParams()) -> Palette:
    """Sample the background palette of a photo from its left and right strips.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    params : PaletteParams
        Number of points, strip width, block size, sampler and seed.

    Returns
    -------
    palette : Palette

    Raises
    ------
    InvalidImageError
        If the strips are narrower (or the photo shorter) than one block.

    Notes
    -----
    Unlike the original code, every block lies wholly inside its strip and the image:
    the original let blocks near the top edge come out empty, which made a black
    "background colour".

    Examples
    --------
    >>> import numpy as np
    >>> photo = np.full((120, 80, 3), 200, np.uint8)
    >>> sample_palette(photo).colors[0]
    array([200, 200, 200], dtype=uint8)
    """
    _check_image(image)
    if params.sampler == "kmeans":
        return _kmeans_palette(image, params)
    h, w = image.shape[:2]
    sw = strip_width(w, params.strip)
    b = params.block
    if sw < b or h < b:
        raise InvalidImageError(
            f"a {w}x{h} photo has edge strips {sw} px wide, narrower than the {b} px "
            "sampling block; use a wider --strip or a smaller --block")
    rng = np.random.default_rng(params.seed)
    n_left = params.points - params.points // 2
    n_right = params.points // 2
    # Top-left corner of each block, drawn so the whole block lies inside the strip.
    rows = rng.integers(0, h - b + 1, size=params.points)
    cols = np.concatenate([rng.integers(0, sw - b + 1, size=n_left),
                           rng.integers(w - sw, w - b + 1, size=n_right)])
    # N small slices: cheaper than any whole-image structure for the note's 16 blocks.
    means = np.array([image[r:r + b, c:c + b].reshape(-1, 3).mean(axis=0)
                      for r, c in zip(rows, cols)])
    colors = np.clip(np.rint(means), 0, 255).astype(np.uint8)
    centres = np.stack([rows + b // 2, cols + b // 2], axis=1)
    return Palette(colors=colors, points=centres, block=b)


def strip_pixels(image: np.ndarray, strip: float) -> np.ndarray:
    """All pixels of the left and right strips, as an ``(M, 3) uint8`` array."""
    sw = strip_width(image.shape[1], strip)
    return np.concatenate([image[:, :sw].reshape(-1, 3), image[:, -sw:].reshape(-1, 3)])


def _kmeans_palette(image: np.ndarray, params: PaletteParams) -> Palette:
    from .kmeans import kmeans

    h, w = image.shape[:2]
    sw = strip_width(w, params.strip)
    pixels = strip_pixels(image, params.strip)
    # A fixed, evenly spaced subsample keeps k-means fast on large photos.
    step = max(1, len(pixels) // 20000)
    sample = pixels[::step].astype(np.float32)
    k = min(params.points, len(np.unique(sample, axis=0)))
    centres, labels = kmeans(sample, k, params.seed)
    colors = np.clip(np.rint(centres), 0, 255).astype(np.uint8)
    # Order centres by cluster size, largest first, so the palette reads naturally.
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    colors = colors[order]
    # Locate, for display, the strip pixel nearest each centre.
    nearest = np.argmin(((pixels[:, None, :].astype(np.int32)[::step]
                          - colors[None].astype(np.int32)) ** 2).sum(-1), axis=0) * step
    n_left = h * sw
    points = []
    for idx in nearest:
        if idx < n_left:
            points.append((idx // sw, idx % sw))
        else:
            j = idx - n_left
            points.append((j // sw, w - sw + j % sw))
    return Palette(colors=colors, points=np.array(points, dtype=np.int64), block=0)


def _check_image(image: np.ndarray) -> None:
    if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3
            and image.dtype == np.uint8):
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise InvalidImageError(f"expected an (H, W, 3) uint8 RGB image, got shape {shape} "
                                f"dtype {dtype}; use runwaycut.io.as_rgb_image to convert")
