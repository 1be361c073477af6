"""Pictures made from a photo and its mask: the transparent cutout and the overlay."""

from __future__ import annotations

import numpy as np

#: The design note paints removed pixels neon green: [57, 255, 20] in BGR.
NEON_GREEN_RGB = (20, 255, 57)


def cutout(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Transparent cutout: the photo with an alpha channel.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo (or foreground colours estimated for a soft matte).
    alpha : (H, W) bool, uint8 or float array
        Binary mask (True = keep), 0..255 alpha, or 0..1 float alpha.

    Returns
    -------
    rgba : (H, W, 4) uint8 array
    """
    if alpha.shape != image.shape[:2]:
        raise ValueError(f"alpha of shape {alpha.shape} does not match image {image.shape[:2]}")
    if alpha.dtype == bool:
        a = alpha.astype(np.uint8) * 255
    elif np.issubdtype(alpha.dtype, np.floating):
        a = np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)
    else:
        a = alpha.astype(np.uint8)
    rgba = np.empty(image.shape[:2] + (4,), np.uint8)
    rgba[..., :3] = image
    rgba[..., 3] = a
    # Fully transparent pixels carry no colour, which also makes the PNG smaller.
    rgba[a == 0, :3] = 0
    return rgba


def overlay(image: np.ndarray, keep: np.ndarray, color=NEON_GREEN_RGB) -> np.ndarray:
    """The note's display: removed pixels painted a flat colour (neon green).

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    keep : (H, W) bool array
        True where the photo is kept.
    color : 3-tuple of int
        RGB paint for removed pixels.

    Returns
    -------
    painted : (H, W, 3) uint8 array
    """
    painted = image.copy()
    painted[~keep] = color
    return painted
