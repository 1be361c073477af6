"""What ``--target items`` writes, and the backend that adds the items to any figure method.

Per photo, besides everything ``--target garment`` writes:

``<stem>.items.png``
    Indexed PNG, pixel value = item index (:data:`ITEM_NAMES`), palette
    :data:`ITEM_PALETTE`.
``<stem>.items.json``
    For each item present: its name and index, pixels, share of the figure, bounding
    box ``[x0, y0, x1, y1]`` (inclusive pixels), the item network's confidence and
    dominant colours (named as in ``<stem>.colors.json``); plus the classes, the palette
    and the warnings.
``<stem>.<item>.png``
    With ``--item-cutouts``: the RGBA cutout of each item present (``.webp`` with
    ``--format webp``).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..io import encode_image, encode_png
from ..person.band import bounding_box
from ..scoring.items import ITEM_NAMES
from .items import ITEM_COLORS, ItemsResult, with_items
from .outputs import GarmentMethod, class_cutout, garment_blobs

#: RGB colour of each item in ``<stem>.items.png`` (distinct, readable on a screen).
ITEM_PALETTE = np.array([
    [0, 0, 0],        # background: black
    [255, 204, 170],  # skin: peach
    [110, 60, 20],    # hair: brown
    [230, 25, 75],    # top: red
    [0, 130, 200],    # outerwear: blue
    [145, 30, 180],   # dress: purple
    [240, 50, 230],   # skirt: magenta
    [0, 0, 128],      # pants: navy
    [70, 240, 240],   # shorts: cyan
    [128, 128, 0],    # legwear: olive
    [245, 130, 48],   # shoes: orange
    [60, 180, 75],    # bag: green
    [255, 225, 25],   # headwear: yellow
    [0, 128, 128],    # accessory: teal
], np.uint8)
ITEM_PALETTE.setflags(write=False)

#: Suffixes of the files always written by ``--target items`` (besides the garment's).
ITEMS_SUFFIXES = {"items": ".items.png", "items_json": ".items.json"}

#: Suffix of each item's cutout (``--item-cutouts``): ``.top.png``, ... (background has
#: none); see :func:`item_cutout_suffixes`.
ITEM_CUTOUT_SUFFIXES = {name: f".{name}.png" for name in ITEM_NAMES[1:]}


def item_cutout_suffixes(image_format: str = "png") -> dict[str, str]:
    """:data:`ITEM_CUTOUT_SUFFIXES` in ``image_format`` (``remove --format``: ``.top.webp``)."""
    return {name: f".{name}.{image_format}" for name in ITEM_NAMES[1:]}


def items_png(labels: np.ndarray) -> bytes:
    """The item map as an indexed PNG (value = item index, palette :data:`ITEM_PALETTE`).

    Parameters
    ----------
    labels : (H, W) uint8 array
        Item indices 0..13.

    Returns
    -------
    png : bytes
        ``np.asarray(Image.open(f))`` reads the indices back, ``.convert('RGB')`` the colours.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"an item map is 2-D, got shape {labels.shape}")
    if labels.size and labels.max() >= len(ITEM_NAMES):
        raise ValueError(f"item map holds class {int(labels.max())}; items are "
                         f"0..{len(ITEM_NAMES) - 1}")
    return encode_png(labels.astype(np.uint8), palette=ITEM_PALETTE)


def item_summary(result: ItemsResult) -> list[dict]:
    """One dict per item present: name, index, pixels, share of the figure, box, the item
    network's confidence (:func:`~runwaycut.garment.items_model.item_confidence`), colours."""
    from scipy.ndimage import find_objects

    counts = result.counts
    figure_pixels = max(int(np.count_nonzero(result.figure)), 1)
    # Each item's box, all in one pass over the box of the items (0 around them):
    # [item - 1], from (x0, y0) on.
    box = bounding_box(result.labels)
    if box is None:  # no item at all (a photo without a person)
        return []
    y0, x0 = box[0].start, box[1].start
    boxes = find_objects(result.labels[box])
    confidence = result.confidence
    out = []
    for name in result.present:
        index = ITEM_NAMES.index(name)
        rows, cols = boxes[index - 1]
        out.append({"name": name, "index": index, "pixels": int(counts[index]),
                    "share_of_figure": round(int(counts[index]) / figure_pixels, 6),
                    "bbox": [x0 + cols.start, y0 + rows.start, x0 + cols.stop - 1,
                             y0 + rows.stop - 1],
                    "confidence": round(confidence[name], 3),
                    "colors": [c.as_dict() for c in result.colors.get(name, [])]})
    return out


def items_json(result: ItemsResult) -> bytes:
    """``<stem>.items.json`` as UTF-8 bytes (see the module notes for its keys)."""
    H, W = result.labels.shape
    doc = {"width": W, "height": H,
           "figure_pixels": int(np.count_nonzero(result.figure)),
           "taken_in_pixels": result.taken_in,
           "items": item_summary(result),
           "classes": list(ITEM_NAMES),
           "palette": {n: "#{:02x}{:02x}{:02x}".format(*map(int, c))
                       for n, c in zip(ITEM_NAMES, ITEM_PALETTE)},
           "warnings": list(result.warnings)}
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def item_cutout(image: np.ndarray, labels: np.ndarray, index: int) -> np.ndarray:
    """RGBA cutout of one item: the photo's colours, opaque exactly on the item."""
    return class_cutout(image, labels, index)


@dataclass
class ItemsMethod:
    """A figure backend followed by the items and the garment (``--target items``).

    ``predict`` runs the figure backend, :func:`parse_items` on its figure (reusing its
    probability and pose), takes carried items into the figure mask (and the alpha
    matte), then isolates the garment on that figure (:class:`GarmentMethod`). The
    result's ``details`` hold ``items`` (:class:`ItemsResult`), ``garment`` and ``colors``.

    Parameters
    ----------
    figure : FigureMethod
    garment : GarmentMethod, optional
        Built on ``figure`` by default.
    item_cutouts : bool
        Also write ``<stem>.<item>.png`` per item (see :func:`items_blobs`).
    """

    figure: Any
    garment: GarmentMethod | None = None
    item_cutouts: bool = False
    colors: Any = field(default_factory=lambda: ITEM_COLORS)
    model_sha256: str = field(default="", init=False)

    def __post_init__(self):
        if self.garment is None:
            self.garment = GarmentMethod(self.figure)
        from ..models import MODELS
        from .items_model import ITEM_MODEL, load_item_net

        load_item_net()  # fail early on a broken model file
        # Recorded with a run's parameters: results of another network are not reused.
        self.model_sha256 = MODELS[ITEM_MODEL].sha256

    @property
    def name(self) -> str:
        return self.figure.name

    def load(self) -> None:
        """Load every model now (the figure backend's, the item network's session, the
        garment's): the first photo then does not carry their loading."""
        from .items_model import load_item_net

        self.garment.load()
        load_item_net().load()

    def with_threads(self, threads: int) -> "ItemsMethod":
        """A copy whose figure backend's neural models run on ``threads`` CPU threads
        (the garment step's backend is that same copy)."""
        from ..methods.threads import with_threads

        twin = copy.copy(self)
        twin.garment = self.garment.with_threads(threads)
        # One backend for both where it was built so: the garment step loads its models.
        twin.figure = (twin.garment.figure if self.garment.figure is self.figure
                       else with_threads(self.figure, threads))
        return twin

    def predict(self, image: np.ndarray):
        garment = self.garment
        model = None if garment.model_file is None else garment.model()
        result = with_items(image, self.figure.predict(image), self.colors,
                            fuse=garment.items == "fused", garment_model=model)
        garment = garment.label(image, result)
        details = dict(garment.details)
        details["item_cutouts"] = self.item_cutouts
        details["target"] = "items"  # (a garment result may hold items too: the bags taken in)
        return replace(garment, details=details)


def items_blobs(image: np.ndarray, result, image_format: str = "png") -> dict[str, bytes]:
    """The files of ``--target items`` for one photo, encoded: ``{suffix: bytes}``
    (the garment's, ``.items.png``, ``.items.json`` and, when asked, ``.<item>.png``;
    the cutouts, the garment's and the items', in ``image_format``)."""
    items: ItemsResult = result.details["items"]
    blobs = garment_blobs(image, result, image_format) if "garment" in result.details else {}
    blobs[ITEMS_SUFFIXES["items"]] = items_png(items.labels)
    blobs[ITEMS_SUFFIXES["items_json"]] = items_json(items)
    if result.details.get("item_cutouts"):
        suffixes = item_cutout_suffixes(image_format)
        for name in items.present:
            blobs[suffixes[name]] = encode_image(
                item_cutout(image, items.labels, ITEM_NAMES.index(name)), image_format)
    return blobs


__all__ = ["ITEMS_SUFFIXES", "ITEM_CUTOUT_SUFFIXES", "ITEM_PALETTE", "ItemsMethod",
           "item_cutout", "item_cutout_suffixes", "item_summary", "items_blobs", "items_json",
           "items_png"]
