"""A photo's output images as file bytes: the cutout built once in the encoder's channel
order, and encoder settings chosen by measurement.

The mask is always an 8-bit PNG. The cutout and the overlay are PNG (default) or
lossless WebP (``--format webp``: files about a quarter smaller than the PNG writer's
below, in five times its time).

PNG files come from :func:`runwaycut.io.encode_png`: PNG's "up" row filter and ISA-L's
deflate at level 2 (``benchmarks/bench_outputs.py``, 6 CCP photos, one core): 3.3 ms
and 233 KiB an ``auto`` cutout, against 13.6 ms and 255 KiB for OpenCV's encoder at its
best setting (zlib level 6, run-length strategy, "up" filter: as fast as OpenCV's
defaults and 12% smaller; zlib's own pass was most of its time, and no zlib setting was
much faster: issue 14). What saved time before that is building the cutout once, in
the encoder's channel order (:func:`cutout_pixels`: 23 -> 13 ms a photo for the cutout
built and encoded).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..io import IMAGE_FORMATS, encode_png, encode_webp

#: Image formats of the cutouts and overlay (``--format``), by file suffix.
FORMATS = IMAGE_FORMATS


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`FORMATS`, else a ``ValueError`` naming them."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def cutout_pixels(colours: np.ndarray, alpha: np.ndarray, order: str = "rgba") -> np.ndarray:
    """The transparent cutout, in the channel order its encoder takes.

    Equal, channel for channel, to :func:`runwaycut.compose.cutout` (colour zeroed where
    alpha is 0), made by OpenCV in four passes (1.1 ms for a 550x832 photo; NumPy's six
    took 2.1).

    Parameters
    ----------
    colours : (H, W, 3) uint8 array
        RGB photo, or the estimated foreground colours of a soft matte.
    alpha : (H, W) bool or float array
        Binary mask, or alpha in [0, 1] (rounded to the nearest of 0..255, halves to
        even, as ``np.rint``).
    order : {'bgra', 'rgba'}
        ``rgba`` (default) for :func:`runwaycut.io.encode_png` and Pillow's encoders,
        ``bgra`` for OpenCV's.

    Returns
    -------
    pixels : (H, W, 4) uint8 array
    """
    if alpha.shape != colours.shape[:2]:
        raise ValueError(f"alpha of shape {alpha.shape} does not match image {colours.shape[:2]}")
    if alpha.dtype == bool:
        a = alpha.view(np.uint8) * np.uint8(255)
    else:
        # |255 alpha| rounded (halves to even) and saturated in one pass; alpha clipped
        # to [0, 1] first, so the absolute value changes nothing.
        a = cv2.convertScaleAbs(np.clip(alpha, 0, 1).astype(np.float32, copy=False), alpha=255.0)
    pixels = cv2.cvtColor(np.ascontiguousarray(colours),
                          cv2.COLOR_RGB2BGRA if order == "bgra" else cv2.COLOR_RGB2RGBA)
    cv2.mixChannels([a], [pixels], [0, 3])  # alpha into the fourth channel, in place
    return cv2.bitwise_and(pixels, pixels, mask=a)  # colour (and alpha) 0 where alpha is 0


def encode_mask(mask: np.ndarray) -> bytes:
    """An (H, W) bool mask as an 8-bit PNG, 255 = figure."""
    return encode_png(np.asarray(mask, bool))


def encode_cutout(colours: np.ndarray, alpha: np.ndarray, fmt: str = "png") -> bytes:
    """The transparent cutout of ``colours`` under ``alpha`` as PNG or lossless WebP bytes."""
    fmt = check_format(fmt)
    pixels = cutout_pixels(colours, alpha, "rgba")
    return encode_webp(pixels) if fmt == "webp" else encode_png(pixels)


def encode_rgb(image: np.ndarray, fmt: str = "png") -> bytes:
    """An (H, W, 3) uint8 RGB picture (the overlay) as PNG or lossless WebP bytes."""
    fmt = check_format(fmt)
    image = np.ascontiguousarray(image)
    return encode_webp(image) if fmt == "webp" else encode_png(image)


__all__ = ["FORMATS", "check_format", "cutout_pixels", "encode_cutout",
           "encode_mask", "encode_rgb"]
