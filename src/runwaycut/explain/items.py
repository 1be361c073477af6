"""Explanation panels for the items: the 14-class item map with a legend, and each
item's dominant colours.

Added to ``runwaycut explain``'s figure with ``--target items``; reads
``ex.extras["items"]``, an :class:`~runwaycut.garment.items.ItemsResult`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import SubFigure
from matplotlib.patches import Patch, Rectangle

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


class ItemColoursPanel:
    """Each item found: its chip and share of the figure, a bar of its dominant colours
    (each as wide as its share of the item) and their names, as ``items.json`` lists
    them."""

    title = "Item colours"

    def width(self, ex) -> float:
        return 0.55

    def draw(self, fig: SubFigure, ex) -> None:
        items = _items(ex)
        counts = items.counts
        figure = max(int(np.count_nonzero(items.figure)), 1)
        found = [(i, n) for i, n in enumerate(ITEM_NAMES) if i > 0 and counts[i] > 0]
        ax = fig.add_subplot()
        ax.axis("off")
        ax.set_xlim(0, 1)
        ax.set_ylim(max(len(found), 1), 0)
        ax.set_title("each item's colours\n(bar width: share of the item)", fontsize=6.5)
        if not found:
            ax.text(0.5, 0.5, "no items", ha="center", va="center", fontsize=8)
            return
        for row, (index, name) in enumerate(found):
            ax.add_patch(Rectangle((0.0, row + 0.08), 0.07, 0.26, facecolor=ITEM_PALETTE[index] / 255,
                                   edgecolor="black", linewidth=0.5))
            ax.text(0.1, row + 0.21, f"{name} {counts[index] / figure:.0%}", fontsize=6.5,
                    va="center", fontweight="bold")
            colours = items.colors.get(name, [])
            left = 0.0
            for c in colours:  # (shares add up to 1 over the item's colours)
                ax.add_patch(Rectangle((left, row + 0.42), c.share, 0.24,
                                       facecolor=np.array(c.rgb) / 255, edgecolor="black",
                                       linewidth=0.4, label=f"{name}: {c.name}"))
                left += c.share
            ax.text(0.0, row + 0.84, ", ".join(f"{c.name} {c.share:.0%}" for c in colours)
                    or "(colours not computed)", fontsize=5.5, va="center")


def item_panels() -> list:
    """The item panels, in reading order."""
    return [ItemMapPanel(), ItemColoursPanel()]


__all__ = ["ItemColoursPanel", "ItemMapPanel", "item_panels"]
