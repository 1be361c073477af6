"""Bilinear resampling by parts: rows or scattered pixels of an OpenCV resize,
computed from the source pixels they read, so that a full-size map is never made for a
few of its pixels (the matte, the foreground colours and the guided upsampling of
:mod:`runwaycut.person.matting`, the garment's guided labels).
"""

from __future__ import annotations

import cv2
import numpy as np


def linear_taps(src_size: int, dst_size: int, start: int,
                stop: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's bilinear resize along one axis, for output positions ``start:stop``.

    Parameters
    ----------
    src_size, dst_size : int
        Length of the axis before and after resizing.
    start, stop : int
        Output positions wanted.

    Returns
    -------
    first : (stop - start,) intp array
        The source position before each output position (clamped to the axis).
    weight : (stop - start,) float32 array
        The weight of the source position after it (0 where clamped).
    """
    pos = (np.arange(start, stop) + 0.5) * (1.0 / (dst_size / src_size)) - 0.5
    first = np.floor(pos).astype(np.intp)
    weight = (pos - first).astype(np.float32)
    weight[first < 0] = 0
    first[first < 0] = 0
    last = first >= src_size - 1
    weight[last] = 0
    first[last] = src_size - 1
    return first, weight


def source_rows(src_height: int, height: int, y0: int, y1: int) -> tuple[int, int]:
    """The source rows ``lo:hi`` that rows ``y0:y1`` of a bilinear resize to ``height`` read."""
    sy, _ = linear_taps(src_height, height, y0, y1)
    return int(sy[0]), int(min(src_height - 1, sy[-1] + 1)) + 1


def resize_rows(src: np.ndarray, size: tuple[int, int], y0: int, y1: int, *,
                first_row: int = 0, src_height: int | None = None) -> np.ndarray:
    """Rows ``y0:y1`` of ``cv2.resize(src, size, interpolation=cv2.INTER_LINEAR)``.

    Computed from the few source rows they need (OpenCV's bilinear resize is separable:
    each row alone across, then pairs of rows blended with OpenCV's own row weights),
    so a full-size map is never made; equal to the whole resize up to float rounding.

    Parameters
    ----------
    src : (h, w) or (h, w, C) float32 array
        The source map, or only its rows from ``first_row`` on (at least those that
        :func:`source_rows` names), with ``src_height`` the whole map's height.
    size : (W, H)
        Size of the whole resized map.
    y0, y1 : int
        Rows wanted, ``0 <= y0 < y1 <= H``.
    first_row, src_height : int, optional
        Where ``src`` starts in the whole source, and the whole source's height.

    Returns
    -------
    rows : (y1 - y0, W) or (y1 - y0, W, C) float32 array
    """
    width, height = size
    h = src.shape[0] if src_height is None else src_height
    if 2 * (y1 - y0) >= height and first_row == 0 and src.shape[0] == h:
        # Most rows wanted (a small photo): OpenCV's whole resize is faster, and small.
        return cv2.resize(src, size, interpolation=cv2.INTER_LINEAR)[y0:y1]
    sy, f = linear_taps(h, height, y0, y1)
    lo, hi = source_rows(h, height, y0, y1)
    across = cv2.resize(np.ascontiguousarray(src[lo - first_row:hi - first_row]),
                        (width, hi - lo), interpolation=cv2.INTER_LINEAR)
    shape = (-1,) + (1,) * (across.ndim - 1)
    return (across[sy - lo] * (1 - f).reshape(shape)
            + across[np.minimum(sy + 1, h - 1) - lo] * f.reshape(shape))


def resize_taps(src_shape: tuple[int, int], size: tuple[int, int]):
    """:func:`linear_taps` of every row and column of a bilinear resize of a
    ``src_shape`` ``(h, w)`` map to ``size`` ``(W, H)``: ``(rows, row weights,
    columns, column weights)``."""
    (h, w), (W, H) = src_shape, size
    return (*linear_taps(h, H, 0, H), *linear_taps(w, W, 0, W))


def bilinear_at(src: np.ndarray, size: tuple[int, int], rows: np.ndarray, cols: np.ndarray,
                offset=(0, 0), src_shape: tuple[int, int] | None = None,
                taps=None) -> np.ndarray:
    """Pixels of ``cv2.resize(src, size, interpolation=cv2.INTER_LINEAR)`` at scattered
    positions, each from the four source pixels it reads.

    Parameters
    ----------
    src : (h, w) or (h, w, C) float32 array
        The source map, or the part of it from ``offset`` on that the pixels read.
    size : (W, H)
        Size of the whole resized map.
    rows, cols : (N,) int arrays
        Positions in the resized map.
    offset : (row, col)
        Where ``src`` starts in the whole source.
    src_shape : (h, w), optional
        The whole source's size (``src``'s own by default).
    taps : tuple, optional
        :func:`resize_taps` of the whole source's size and ``size``, for many calls
        on one map (computed here by default).

    Returns
    -------
    values : (N,) or (N, C) float32 array
        Equal to the whole resize at those pixels up to float rounding.
    """
    h, w = src.shape[:2] if src_shape is None else src_shape
    ty, fy, tx, fx = resize_taps((h, w), size) if taps is None else taps
    stride = src.shape[1]
    y_a, x_a = ty[rows], tx[cols]
    # The next row and column (the last one's own where a tap is clamped: weight 0).
    down = np.where(y_a < h - 1, stride, 0)
    right = (x_a < w - 1).astype(y_a.dtype)
    at = (y_a - offset[0]) * stride + (x_a - offset[1])  # the top-left source pixel
    wy, wx = fy[rows], fx[cols]
    if src.ndim == 3:
        wy, wx = wy[:, None], wx[:, None]
    flat = np.ascontiguousarray(src).reshape((src.shape[0] * src.shape[1],) + src.shape[2:])
    top_left, top_right = flat.take(at, axis=0), flat.take(at + right, axis=0)
    at += down
    bottom_left, bottom_right = flat.take(at, axis=0), flat.take(at + right, axis=0)
    top_left += (top_right - top_left) * wx
    bottom_left += (bottom_right - bottom_left) * wx
    top_left += (bottom_left - top_left) * wy
    return top_left


__all__ = ["bilinear_at", "linear_taps", "resize_rows", "resize_taps",
           "source_rows"]
