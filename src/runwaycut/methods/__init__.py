"""Figure-mask backends behind one entry point, :func:`remove`.

Each backend is one module with one class exposing ``predict(image) -> FigureResult``;
:data:`METHODS` maps a name to a factory taking the backend's keyword options.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..io import as_rgb_image
from .base import FigureMethod, FigureResult
from .auto import AutoMethod
from .palette import PaletteMethod
from .person import PersonMethod

#: Backend name -> factory(**options) -> FigureMethod.
METHODS: dict[str, Callable[..., FigureMethod]] = {
    "palette": PaletteMethod,
    "person": PersonMethod,
    "auto": AutoMethod,
}


def get_method(name: str, **options) -> FigureMethod:
    """Build the backend called ``name`` with its options."""
    try:
        factory = METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}") from None
    return factory(**options)


def remove(image: np.ndarray, method: str | FigureMethod = "palette", **options) -> FigureResult:
    """Figure mask of a photo by the chosen backend.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo (other layouts are converted by :func:`runwaycut.io.as_rgb_image`).
    method : str or FigureMethod
        A backend name from :data:`METHODS`, or a backend instance.
    **options
        Passed to the backend's factory when ``method`` is a name.

    Returns
    -------
    result : FigureResult
    """
    backend = get_method(method, **options) if isinstance(method, str) else method
    return backend.predict(as_rgb_image(image))


__all__ = ["AutoMethod", "FigureMethod", "FigureResult", "METHODS", "PaletteMethod",
           "PersonMethod", "get_method", "remove"]
