"""Explanation panels for the garment: the four-class label map and the garment's colours.

Added to ``runwaycut explain``'s figure (see :mod:`runwaycut.explain`, whose panels are
any object with ``title``, ``width(ex)`` and ``draw(subfig, ex)``) with ``--target
garment``. Both read ``ex.extras["garment"]``, a :class:`GarmentExplanation` made by
:func:`explain_garment`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import SubFigure
from matplotlib.patches import Patch, Rectangle

from ..garment.colors import ColorParams, GarmentColor, garment_colors
from ..garment.types import GARMENT, LABEL_PALETTE, GarmentParams, GarmentResult
from ..garment.outputs import GarmentMethod
from ..garment.items_outputs import ItemsMethod
from ..garment.labelmap import label_figure_result
from ..scoring.labels import CLASS_NAMES

#: Readable class names for legends.
CLASS_LABELS = {"background": "background", "garment": "garment", "skin_hair": "skin + hair",
                "accessory": "accessories"}


@dataclass(frozen=True)
class GarmentExplanation:
    """What the garment panels draw.

    Attributes
    ----------
    result : GarmentResult
    colors : list of GarmentColor
    method : str
        Name of the figure backend the garment was isolated from.
    items : ItemsResult or None
        The item map, when the method was a ``--target items`` one.
    """

    result: GarmentResult
    colors: list
    method: str
    items: object = None


def explain_garment(image: np.ndarray, method, params: GarmentParams = GarmentParams(),
                    color_params: ColorParams = ColorParams()) -> GarmentExplanation:
    """Label map and colours of a photo, the figure made by ``method``.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    method : FigureMethod, GarmentMethod or ItemsMethod
        The figure backend (a :class:`~runwaycut.garment.GarmentMethod` or
        :class:`~runwaycut.garment.ItemsMethod` is used as is).
    """
    if isinstance(method, (GarmentMethod, ItemsMethod)):
        result = method.predict(image)
        return GarmentExplanation(result.details["garment"], result.details["colors"],
                                  method.name, result.details.get("items"))
    figure = method.predict(image)
    garment = label_figure_result(image, figure, params=params)
    return GarmentExplanation(garment, garment_colors(image, garment.garment, color_params),
                              method.name)


def _garment(ex) -> GarmentExplanation:
    g = ex.extras.get("garment")
    if not isinstance(g, GarmentExplanation):
        raise ValueError("the garment panels need ex.extras['garment'] from explain_garment()")
    return g


class LabelMapPanel:
    """The photo under the four-class label map, with each class's share."""

    title = "Garment, skin + hair, accessories"

    def width(self, ex) -> float:
        h, w = ex.image.shape[:2]
        return w / h

    def draw(self, fig: SubFigure, ex) -> None:
        from .drawing import _image_axes

        g = _garment(ex)
        labels = g.result.labels
        colours = LABEL_PALETTE[labels].astype(np.float32)
        grey = ex.image.mean(axis=2, keepdims=True).astype(np.float32)
        # Classes tinted over the photo's grey, so the garment's edges stay readable.
        blend = np.where((labels == 0)[..., None], 0.35 * grey + 0.65 * colours,
                         0.55 * grey + 0.45 * colours)
        ax = _image_axes(fig, ex, np.clip(blend, 0, 255).astype(np.uint8))
        if g.result.face_box is not None:
            x0, y0, x1, y1 = g.result.face_box
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="orange",
                                   linewidth=1, linestyle="--"))
        shares = g.result.shares()
        handles = [Patch(facecolor=LABEL_PALETTE[i] / 255, edgecolor="black", linewidth=0.5,
                         label=f"{CLASS_LABELS[n]} {shares[n]:.1%}")
                   for i, n in enumerate(CLASS_NAMES)]
        ax.legend(handles=handles, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=2, frameon=False, handlelength=1, columnspacing=0.8)
        skin = "face-sampled skin" if g.result.skin.source == "face" else "default skin (no face)"
        pose = "pose" if g.result.frame.from_pose else "mean pose (no pose found)"
        ax.set_title(f"figure: {g.method}; {pose}; {skin}\n(dashed: face)", fontsize=6.5)


class GarmentColorsPanel:
    """The garment's dominant colours as swatches, with names, values and shares."""

    title = "Garment colours"

    def width(self, ex) -> float:
        return 0.45

    def draw(self, fig: SubFigure, ex) -> None:
        g = _garment(ex)
        colours: list[GarmentColor] = g.colors
        ax = fig.add_subplot()
        ax.axis("off")
        n = max(len(colours), 1)
        ax.set_xlim(0, 1)
        ax.set_ylim(n, 0)
        if not colours:
            ax.text(0.5, 0.5, "no garment pixels", ha="center", va="center", fontsize=8)
            return
        for i, c in enumerate(colours):
            ax.add_patch(Rectangle((0.02, i + 0.06), 0.96 * c.share / colours[0].share,
                                   0.5, facecolor=np.array(c.rgb) / 255, edgecolor="black",
                                   linewidth=0.5))
            ax.text(0.02, i + 0.7, f"{c.name} ({c.family})", fontsize=6.5, va="center",
                    fontweight="bold")
            ax.text(0.02, i + 0.88, f"{c.share:.0%} {c.hex}", fontsize=6, va="center",
                    family="monospace")
        garment = int(np.count_nonzero(g.result.labels == GARMENT))
        ax.set_title(f"k-means in Lab of\n{garment:,} garment px;\nswatch width: share",
                     fontsize=6)


def garment_panels() -> list:
    """The garment panels, in reading order."""
    return [LabelMapPanel(), GarmentColorsPanel()]


__all__ = ["GarmentColorsPanel", "GarmentExplanation", "LabelMapPanel", "explain_garment",
           "garment_panels"]
