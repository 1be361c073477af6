"""What ``--target garment`` writes: the label PNG, the garment cutout, the colours;
and the backend that adds the garment to any figure method.
"""

from __future__ import annotations



import copy
import hashlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from .colors import ColorParams, colors_json, garment_colors, rgb_to_lab
from ..errors import InvalidImageError
from ..io import encode_image, encode_png
from ..scoring.labels import CLASS_NAMES
from .items import ItemsResult, with_items
from .labelmap import label_figure_result
from .model import GarmentModel, load_garment_model
from .types import GARMENT, GarmentParams, GarmentResult, LABEL_PALETTE


# --- outputs ---------------------------------------------------------------------------------

def labels_rgb(labels: np.ndarray) -> np.ndarray:
    """The label map in the colours of :data:`LABEL_PALETTE` (``(H, W, 3) uint8``)."""
    labels = np.asarray(labels)
    if labels.size and labels.max() >= len(LABEL_PALETTE):
        raise ValueError(f"label map holds class {int(labels.max())}; classes are "
                         f"0..{len(LABEL_PALETTE) - 1} ({', '.join(CLASS_NAMES)})")
    return LABEL_PALETTE[labels]


def labels_png(labels: np.ndarray) -> bytes:
    """The label map as an indexed (palette) PNG: pixel value = class index, palette
    :data:`LABEL_PALETTE`; read back with Pillow, ``np.asarray(Image.open(f))`` gives
    the class indices and ``.convert('RGB')`` the colours.

    Parameters
    ----------
    labels : (H, W) uint8 array
        Class indices 0..3.

    Returns
    -------
    png : bytes
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a label map is 2-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(LABEL_PALETTE)):
        raise ValueError(f"label map holds class {int(labels.max())}; classes are "
                         f"0..{len(LABEL_PALETTE) - 1} ({', '.join(CLASS_NAMES)})")
    return encode_png(labels.astype(np.uint8), palette=LABEL_PALETTE)


def garment_cutout(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """RGBA cutout of the garment alone: the photo's colours, opaque exactly where the
    label map says garment, fully transparent (and black) elsewhere.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    labels : (H, W) uint8 array

    Returns
    -------
    rgba : (H, W, 4) uint8 array
    """
    return class_cutout(image, labels, GARMENT)


def class_cutout(image: np.ndarray, labels: np.ndarray, index: int) -> np.ndarray:
    """RGBA cutout of one class of a label map (the garment, an item): the photo's
    colours, opaque exactly where ``labels == index``, transparent (and black) elsewhere.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    labels : (H, W) uint8 array
    index : int

    Returns
    -------
    rgba : (H, W, 4) uint8 array
    """
    image = np.asarray(image)
    mask = np.asarray(labels) == index
    if mask.shape != image.shape[:2]:
        raise InvalidImageError(f"label map of shape {mask.shape} does not match the "
                                f"image {image.shape[:2]}")
    # OpenCV's masked copy: boolean indexing of the (H, W, 3) photo is ten times slower.
    opaque = mask.view(np.uint8)
    rgb = np.ascontiguousarray(image)
    out = cv2.cvtColor(cv2.bitwise_and(rgb, rgb, mask=opaque), cv2.COLOR_RGB2RGBA)
    out[..., 3] = opaque * np.uint8(255)
    return out


# --- a backend that also isolates the garment -----------------------------------------------

#: How the item network serves ``--target garment`` (see :class:`GarmentMethod`).
ITEM_MODES = ("fused", "labels", "take-in", "off")
GARMENT_FROM_ITEMS = "fused"

#: Output file suffixes of ``--target garment``, per photo stem (the garment cutout as
#: PNG; see :func:`garment_suffixes`).
GARMENT_SUFFIXES = {"labels": ".labels.png", "garment": ".garment.png", "colors": ".colors.json"}


def garment_suffixes(image_format: str = "png") -> dict[str, str]:
    """:data:`GARMENT_SUFFIXES` with the garment cutout in ``image_format`` (``remove
    --format``: ``.garment.webp``); the label map stays PNG (indexed colours)."""
    return {**GARMENT_SUFFIXES, "garment": f".garment.{image_format}"}


@dataclass
class GarmentMethod:
    """A figure backend followed by garment isolation (``--target garment``).

    ``predict`` returns the figure backend's :class:`~runwaycut.methods.FigureResult`
    unchanged (its ``mask`` is still the figure) with ``details["garment"]``, the
    :class:`GarmentResult`, and ``details["colors"]``, the garment's dominant colours
    (:func:`runwaycut.garment.colors.garment_colors`). :func:`garment_blobs` encodes them.

    Parameters
    ----------
    figure : FigureMethod
        Any backend of :data:`runwaycut.methods.METHODS`.
    params : GarmentParams
    colors : ColorParams
    model_file : path, optional
        A garment model (:meth:`GarmentModel.load`) instead of the shipped one.
    items : {'fused', 'labels', 'take-in', 'off'}
        What the item network (:func:`runwaycut.parse_items`) does for the garment:
        ``take-in``: the figure takes in what it finds carried (a bag the person mask
        missed), then the pixel classifier splits that figure; ``fused``: also the
        four-class map is the classifier's and the items' together (skin+hair from the
        classifier, garment against accessory from the items:
        :mod:`runwaycut.garment.items_fusion`); ``labels``: the four-class map is the
        item map's alone (garment = top .. legwear, skin+hair = skin and hair, accessory =
        shoes, bag, headwear, accessory), the pixel classifier unused; ``off``: neither.
        :data:`GARMENT_FROM_ITEMS` by default (see the README for why).
    """

    figure: Any
    params: GarmentParams = field(default_factory=GarmentParams)
    colors: ColorParams = field(default_factory=ColorParams)
    model_file: str | None = None
    items: str = field(default_factory=lambda: GARMENT_FROM_ITEMS)
    model_digest: str = field(default="", init=False)
    items_sha256: str = field(default="", init=False)

    def __post_init__(self):
        if self.items not in ITEM_MODES:
            raise ValueError(f"items must be one of {', '.join(ITEM_MODES)}, got {self.items!r}")
        if self.items == "labels" and self.model_file is not None:
            raise ValueError("a garment model file is unused when the four-class map comes "
                             "from the items (items='labels')")
        model = self.model()  # fail early on a bad model file
        self.model_digest = hashlib.sha1(model.net.mean.tobytes()
                                         + model.net.weights[0].tobytes()).hexdigest()[:12]
        if self.items != "off":  # recorded, as the garment model is: see ItemsMethod
            from ..models import MODELS
            from .items_model import ITEM_MODEL

            self.items_sha256 = MODELS[ITEM_MODEL].sha256

    @property
    def name(self) -> str:
        return self.figure.name

    def model(self) -> GarmentModel:
        """The garment model: the file given, or the shipped one."""
        if self.model_file is None:
            return load_garment_model()
        return _load_model_file(str(self.model_file))

    def load(self) -> None:
        """Load the models now (the figure backend's, where it has any, and the item
        network's session when the items serve the garment), so that the first photo
        does not carry their loading."""
        load = getattr(self.figure, "load", None)
        if load is not None:
            load()
        # The garment step's one lazy import (scikit-image's segmentation, which brings
        # SciPy's ndimage: about 0.5 s), and OpenCV's tables of the float Lab conversion
        # (made on its first call: about 0.1 s), here rather than in the first photo's
        # time. (A batch loads in the process that works, after its thread settings.)
        from skimage.segmentation import felzenszwalb  # noqa: F401

        rgb_to_lab(np.zeros((1, 3), np.uint8))

        if self.items != "off":
            from .items_model import load_item_net

            load_item_net().load()

    def with_threads(self, threads: int) -> "GarmentMethod":
        """A copy whose figure backend's neural models run on ``threads`` CPU threads."""
        from ..methods.threads import with_threads

        twin = copy.copy(self)
        twin.figure = with_threads(self.figure, threads)
        return twin

    def predict(self, image: np.ndarray):
        return self.label(image, self.figure.predict(image))

    def label(self, image: np.ndarray, result):
        """The garment of a figure already found (a :class:`~runwaycut.methods.FigureResult`)."""
        if self.items != "off":
            model = None if self.model_file is None else self.model()
            result = with_items(image, result, colors=None, fuse=self.items == "fused",
                                garment_model=model)
        items = result.details.get("items")
        if self.items == "labels":
            garment = garment_from_items(items, result.details.get("landmarks"))
        elif self.items == "fused" and items is not None and items.garment is not None:
            garment = items.garment
        else:
            garment = label_figure_result(image, result, model=self.model(), params=self.params)
        colours = garment_colors(image, garment.garment, self.colors)
        details = dict(result.details)
        details["garment"] = garment
        details["colors"] = colours
        details["warnings"] = list(dict.fromkeys(
            list(details.get("warnings", [])) + list(garment.warnings)))
        return replace(result, details=details)


def garment_from_items(items: ItemsResult, landmarks: np.ndarray | None = None) -> GarmentResult:
    """The four-class :class:`GarmentResult` of an item map (``GarmentMethod(items='labels')``).

    Only ``labels`` and ``warnings`` carry information; the body frame holds the pose's
    landmarks (photo pixels, ``scale`` 1) and the skin and hair models are marked
    ``source='items'`` (no colour model was sampled).
    """
    from ..scoring.items import ITEM_TO_CLASS, lookup
    from .types import BodyFrame, ColourModel

    points = (np.zeros((33, 2), np.float32) if landmarks is None
              else np.asarray(landmarks, np.float32)[:33, :2])
    frame = BodyFrame(points=points, from_pose=landmarks is not None, scale=1.0, face=None)
    none = ColourModel(mean=np.zeros(3, np.float32), cov=np.eye(3, dtype=np.float32),
                       source="items")
    return GarmentResult(labels=lookup(ITEM_TO_CLASS, items.labels),
                         probabilities=np.zeros((0, 0, 3), np.float32), frame=frame,
                         skin=none, hair=none, scale=1.0, warnings=items.warnings)


@lru_cache(maxsize=8)
def _load_model_file(path: str) -> GarmentModel:
    return GarmentModel.load(path)


def garment_blobs(image: np.ndarray, result, image_format: str = "png") -> dict[str, bytes]:
    """The garment's files for one photo, encoded: ``{suffix: bytes}``.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    result : FigureResult
        From :meth:`GarmentMethod.predict` (``details["garment"]`` and
        ``details["colors"]``).
    image_format : {'png', 'webp'}
        Of the garment cutout (lossless either way).

    Returns
    -------
    blobs : dict of str to bytes
        ``.labels.png`` (:func:`labels_png`), ``.garment.png`` (RGBA,
        :func:`garment_cutout`; ``.garment.webp`` in WebP) and ``.colors.json``
        (:func:`runwaycut.garment.colors.colors_json`).
    """
    garment: GarmentResult = result.details["garment"]
    colours = result.details["colors"]
    shares = {k: round(v, 6) for k, v in garment.shares().items()}
    extra = {"class_shares": shares, "skin_source": garment.skin.source,
             "pose": garment.frame.from_pose, "warnings": list(garment.warnings)}
    suffixes = garment_suffixes(image_format)
    return {suffixes["labels"]: labels_png(garment.labels),
            suffixes["garment"]: encode_image(garment_cutout(image, garment.labels), image_format),
            suffixes["colors"]: colors_json(
                colours, garment_pixels=int(np.count_nonzero(garment.garment)), extra=extra)}

