"""The input checks shared by the garment stage's entry points (colours, label map, items):
one message for each wrong input, whichever function received it."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidImageError


def rgb_image(image) -> np.ndarray:
    """``image`` as an array, checked to be ``(H, W, 3) uint8``.

    Raises
    ------
    InvalidImageError
        Another shape or dtype.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidImageError(f"expected an (H, W, 3) uint8 image, got shape {image.shape} "
                                f"and dtype {image.dtype}")
    return image


def mask_of(mask, image: np.ndarray, what: str = "mask") -> np.ndarray:
    """``mask`` as a bool array, checked to have ``image``'s height and width.

    Raises
    ------
    InvalidImageError
        Another size (``what`` names the mask in the message).
    """
    mask = np.asarray(mask, bool)
    if mask.shape != image.shape[:2]:
        raise InvalidImageError(f"{what} of shape {mask.shape} does not match the image "
                                f"{image.shape[:2]}")
    return mask
