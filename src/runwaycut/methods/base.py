"""The one small interface every figure-mask backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class FigureResult:
    """A figure mask for one photo, whatever backend made it.

    Attributes
    ----------
    mask : (H, W) bool array
        The figure (True), same size as the photo.
    method : str
        Name of the backend that made it.
    alpha : (H, W) float32 array in [0, 1], optional
        Soft matte for the cutout, where the backend makes one.
    foreground : (H, W, 3) uint8 array, optional
        Estimated foreground colours (no background halo), where the backend makes them.
    threshold : float, optional
        The colour threshold applied, for palette-based backends.
    details : dict
        Backend-specific intermediate results (palette, distance map, probabilities).
    """

    mask: np.ndarray
    method: str
    alpha: np.ndarray | None = None
    foreground: np.ndarray | None = None
    threshold: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


class FigureMethod(Protocol):
    """A figure-mask backend: one ``predict`` from an RGB photo to a :class:`FigureResult`.

    A backend with models may also offer ``load()``, loading them at once (batch
    workers call it before their first photo, so that a photo's time is its own)."""

    name: str

    def predict(self, image: np.ndarray) -> FigureResult:
        """Figure mask of an ``(H, W, 3) uint8`` RGB photo."""
        ...
