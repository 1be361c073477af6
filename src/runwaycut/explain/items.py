"""Explanation panel for the items: the 14-class item map with a legend.

Added to ``runwaycut explain``'s figure with ``--target items``; reads
``ex.extras["items"]``, an :class:`~runwaycut.garment.items.ItemsResult`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import SubFigure
from matplotlib.patches import Patch

from ..garment.items import ItemsResult
from ..garment.items_outputs import ITEM_PALETTE
from ..scoring.items import ITEM_NAMES
from .drawing import _image_axes


def _items(ex) -> ItemsResult:
    items = ex.extras.get("items") if ex.extras else None
    if not isinstance(items, ItemsResult):
        raise ValueError("the item panel needs ex.extras['items'] from runwaycut.parse_items()")
    return items


class ItemMapPanel:
    """The photo under the item map; the legend lists the items found and their share
    of the figure."""

    title = "Items"

    def width(self, ex) -> float:
        h, w = ex.image.shape[:2]
        return w / h

    def draw(self, fig: SubFigure, ex) -> None:
        items = _items(ex)
        labels = items.labels
        colours = ITEM_PALETTE[labels].astype(np.float32)
        grey = ex.image.mean(axis=2, keepdims=True).astype(np.float32)
        blend = np.where((labels == 0)[..., None], 0.35 * grey, 0.45 * grey + 0.55 * colours)
        ax = _image_axes(fig, ex, np.clip(blend, 0, 255).astype(np.uint8))
        counts = items.counts
        figure = max(int(np.count_nonzero(items.figure)), 1)
        handles = [Patch(facecolor=ITEM_PALETTE[i] / 255, edgecolor="black", linewidth=0.5,
                         label=f"{n} {counts[i] / figure:.0%}")
                   for i, n in enumerate(ITEM_NAMES) if i > 0 and counts[i] > 0]
        if handles:
            ax.legend(handles=handles, fontsize=6, loc="upper center",
                      bbox_to_anchor=(0.5, -0.01), ncol=2, frameon=False, handlelength=1,
                      columnspacing=0.8)
        taken = f"; {items.taken_in:,} px taken in (carried)" if items.taken_in else ""
        ax.set_title(f"item per figure pixel{taken}\n(share of the figure)", fontsize=6.5)


def item_panels() -> list:
    """The item panels, in reading order."""
    return [ItemMapPanel()]


__all__ = ["ItemMapPanel", "item_panels"]
