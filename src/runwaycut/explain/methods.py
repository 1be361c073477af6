"""One entry point for ``runwaycut explain``: the figure of any backend's steps.

The palette method tells the design note's story (:mod:`runwaycut.explain.figure`, plus
the predicted threshold's panel for ``--threshold auto``); ``auto`` and ``person`` tell
theirs (:mod:`runwaycut.explain.person`); a garment backend
(:class:`runwaycut.garment.GarmentMethod`, ``--target garment``) adds the label map and
the colour swatches to its figure backend's story, and an items backend
(``--target items``) the item map with its legend. The backend is the very object
``runwaycut remove`` builds from the same options.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..garment.items_outputs import ItemsMethod
from ..garment.outputs import GarmentMethod
from ..io import as_rgb_image
from ..methods import PaletteMethod
from ..threshold.rules import ModelRule
from .figure import default_panels, draw_explanation, explain
from .garment import GarmentExplanation, explain_garment, garment_panels
from .items import item_panels
from .person import explain_person, person_panels


def explain_method(image: np.ndarray, backend, *, name: str = "",
                   cutout_style: str = "green") -> Figure:
    """The figure of ``backend``'s steps on one photo.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    backend : PaletteMethod, AutoMethod, PersonMethod, GarmentMethod or ItemsMethod
        As ``runwaycut remove`` builds it (``--method``, ``--target`` and the palette
        options).
    name : str
        Photo name for the title.
    cutout_style : {"green", "checker"}
        How removed pixels are shown in the cutout panel.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    image = as_rgb_image(image)
    garment = backend if isinstance(backend, (GarmentMethod, ItemsMethod)) else None
    figure_backend = garment.figure if garment is not None else backend
    items = isinstance(backend, ItemsMethod)  # --target items: the item map too
    extras: dict = {}
    if isinstance(figure_backend, PaletteMethod):
        panels = default_panels(cutout_style=cutout_style)
        if isinstance(figure_backend.threshold_rule, ModelRule):
            from .threshold import ThresholdPanel

            panels.append(ThresholdPanel())
        if garment is not None:
            extras["garment"] = explain_garment(image, garment)
            panels.extend(garment_panels())
        if items:
            extras["items"] = extras["garment"].items
            panels.extend(item_panels())
        ex = explain(image, figure_backend, name=name, extras=extras)
        return draw_explanation(ex, panels)
    result = None
    if garment is not None:  # one prediction serves the figure's and the garment's panels
        result = garment.predict(image)
        extras["garment"] = GarmentExplanation(result.details["garment"],
                                               result.details["colors"], garment.name,
                                               result.details.get("items"))
        if items:
            extras["items"] = result.details["items"]
    ex = explain_person(image, figure_backend, name=name, extras=extras, result=result)
    panels = person_panels(ex, cutout_style)
    if garment is not None:
        panels.extend(garment_panels())
    if items:
        panels.extend(item_panels())
    return draw_explanation(ex, panels)


__all__ = ["explain_method"]
