"""A photo's output images as file bytes: the cutout built once in the encoder's channel
order, and encoder settings chosen by measurement.

The mask is always an 8-bit PNG. The cutout and the overlay are PNG (default) or
lossless WebP (``--format webp``: files about a third smaller, encoded in about the
same time).

PNG settings, measured on CCP photos with ``auto`` masks and soft cutouts (one core,
``benchmarks/bench_outputs.py``): zlib level 6 with the run-length strategy and the
"up" row filter encodes as fast as OpenCV's defaults (level 1, run-length, "sub") and
makes the RGBA cutout about 12% smaller, the mask about a third smaller. No compressing
setting is much faster (issue 14, second round, 4 photos: run-length at level 1 10.5 ms
and the same bytes, Huffman-only about 20 ms and 1.7x the size, the default strategy
12-35 ms): zlib's own pass dominates, and the run-length strategy makes the level nearly
free. Only a stored PNG (level 0) is faster, 2.4 ms, at 6.5x the size (1.8 MB a
cutout): not worth 8 ms a photo. What did save time is building
the cutout once, in the encoder's channel order (:func:`cutout_pixels`: 23 -> 13 ms a
photo for the cutout built and encoded).
"""

from __future__ import annotations

import io

import cv2
import numpy as np

#: Image formats of the cutout and overlay (``--format``), by file suffix.
FORMATS = ("png", "webp")

#: OpenCV PNG settings chosen by measurement (see the module notes).
PNG_PARAMS = (cv2.IMWRITE_PNG_COMPRESSION, 6,
              cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE,
              cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP)


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`FORMATS`, else a ``ValueError`` naming them."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def cutout_pixels(colours: np.ndarray, alpha: np.ndarray, order: str = "bgra") -> np.ndarray:
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
        ``bgra`` for OpenCV's encoders, ``rgba`` for Pillow's.

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
    return _imencode(".png", np.asarray(mask, bool).view(np.uint8) * np.uint8(255), PNG_PARAMS)


def encode_cutout(colours: np.ndarray, alpha: np.ndarray, fmt: str = "png") -> bytes:
    """The transparent cutout of ``colours`` under ``alpha`` as PNG or lossless WebP bytes."""
    if check_format(fmt) == "webp":
        return _webp(cutout_pixels(colours, alpha, "rgba"), "RGBA")
    return _imencode(".png", cutout_pixels(colours, alpha, "bgra"), PNG_PARAMS)


def encode_rgb(image: np.ndarray, fmt: str = "png") -> bytes:
    """An (H, W, 3) uint8 RGB picture (the overlay) as PNG or lossless WebP bytes."""
    if check_format(fmt) == "webp":
        return _webp(np.ascontiguousarray(image), "RGB")
    return _imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), PNG_PARAMS)


def _imencode(suffix: str, array: np.ndarray, params) -> bytes:
    ok, buf = cv2.imencode(suffix, array, list(params))
    if not ok:  # pragma: no cover - OpenCV fails only on arrays we never build
        raise RuntimeError(f"{suffix} encoding failed")
    return buf.tobytes()


def _webp(pixels: np.ndarray, mode: str) -> bytes:
    """Lossless WebP by Pillow (libwebp): method 0 and quality 0, the fastest effort;
    OpenCV's lossless WebP is 20x slower at its fastest setting on these photos."""
    from PIL import Image

    h, w = pixels.shape[:2]
    picture = Image.frombuffer(mode, (w, h), pixels, "raw", mode, 0, 1)
    buf = io.BytesIO()
    picture.save(buf, format="WEBP", lossless=True, method=0, quality=0, exact=True)
    return buf.getvalue()


__all__ = ["FORMATS", "PNG_PARAMS", "check_format", "cutout_pixels", "encode_cutout",
           "encode_mask", "encode_rgb"]
