"""What ``--target`` can ask for, in one table: how a figure backend is wrapped for it
and which files its results write.

The command line (``remove``, ``evaluate``, ``explain``), the batch writer and any
service read :data:`TARGETS`; a new target is one more row. The garment and item code is
imported only when a target is used, so reading the table costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Target:
    """One ``--target``.

    Attributes
    ----------
    name : str
    help : str
        One sentence for ``--help``.
    wrap : callable
        ``wrap(backend, garment_model=None, item_cutouts=False) -> backend``: the figure
        backend made to produce this target.
    blobs : callable or None
        ``blobs(image, result, image_format) -> {suffix: bytes}``: the files written
        besides the mask and cutout (``None``: none), cutouts in ``image_format``.
    optional : callable or None
        ``optional() -> suffixes``: files the target writes for some photos and not
        others (the item cutouts of the items a photo shows, in either format): a
        photo's such files that its latest run did not write belong to an earlier photo
        or run and are removed.
    """

    name: str
    help: str
    wrap: Callable[..., Any]
    blobs: Callable[[np.ndarray, Any, str], dict[str, bytes]] | None
    optional: Callable[[], tuple[str, ...]] | None = None


def _figure(backend, garment_model=None, item_cutouts=False):
    if garment_model is not None:
        raise ValueError("--garment-model needs --target garment or items")
    if item_cutouts:
        raise ValueError("--item-cutouts needs --target items")
    return backend


def _garment(backend, garment_model=None, item_cutouts=False):
    from ..garment.outputs import GarmentMethod

    if item_cutouts:
        raise ValueError("--item-cutouts needs --target items")
    return GarmentMethod(backend, model_file=None if garment_model is None else str(garment_model))


def _items(backend, garment_model=None, item_cutouts=False):
    from ..garment.items_outputs import ItemsMethod
    from ..garment.outputs import GarmentMethod

    garment = GarmentMethod(backend, model_file=None if garment_model is None else str(garment_model))
    return ItemsMethod(backend, garment=garment, item_cutouts=item_cutouts)


def _garment_blobs(image, result, image_format="png"):
    from ..garment.outputs import garment_blobs

    return garment_blobs(image, result, image_format)


def _items_blobs(image, result, image_format="png"):
    from ..garment.items_outputs import items_blobs

    return items_blobs(image, result, image_format)


def _item_cutouts() -> tuple[str, ...]:
    from ..garment.items_outputs import item_cutout_suffixes
    from ..io import IMAGE_FORMATS

    return tuple(s for fmt in IMAGE_FORMATS for s in item_cutout_suffixes(fmt).values())


#: ``--target`` name -> :class:`Target`, in the order ``--help`` lists them.
TARGETS: dict[str, Target] = {
    "figure": Target("figure", "the figure mask and cutout", _figure, None),
    "garment": Target("garment", "also the garment: four-class label map, garment cutout "
                      "and its colours", _garment, _garment_blobs),
    "items": Target("items", "also the outfit item by item: 14-class item map, items.json "
                    "(share, box, colours per item) and, with --item-cutouts, one cutout "
                    "per item", _items, _items_blobs, _item_cutouts),
}


def target_of(result) -> str:
    """The target a backend's result was made for (from its ``details``)."""
    details = getattr(result, "details", {}) or {}
    if details.get("target") == "items":  # ItemsMethod; GarmentMethod's results hold
        return "items"                     # items too when it took bags in
    if "garment" in details:
        return "garment"
    return "figure"


def target_blobs(image: np.ndarray, result, image_format: str = "png") -> dict[str, bytes]:
    """The files a result's target writes besides the mask and cutout: ``{suffix: bytes}``
    (its cutouts in ``image_format``, see :data:`runwaycut.io.IMAGE_FORMATS`)."""
    blobs = TARGETS[target_of(result)].blobs
    return {} if blobs is None else blobs(image, result, image_format)


def stale_suffixes(result, written) -> tuple[str, ...]:
    """The suffixes a result's target writes for some photos (:attr:`Target.optional`)
    that are not among ``written``: left from an earlier run, they would describe
    another photo (or an earlier version of this one) and must go."""
    optional = TARGETS[target_of(result)].optional
    return () if optional is None else tuple(s for s in optional() if s not in written)


def optional_suffixes() -> tuple[str, ...]:
    """Every suffix any target writes for some photos only (:attr:`Target.optional`)."""
    return tuple(s for t in TARGETS.values() if t.optional is not None for s in t.optional())


__all__ = ["TARGETS", "Target", "optional_suffixes", "stale_suffixes", "target_blobs",
           "target_of"]
