"""Label files: one reader per layout, each giving a :class:`LabelMap`.

``ccp`` ``.mat`` files (CCP's 59 labels mapped to the four classes), the original
author's colour-coded ``-seg`` images, and binary masks; each checked against its
photo's size before it is decoded. Which files form a labelled set is
:mod:`runwaycut.scoring.labels`.
"""

from __future__ import annotations
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from ..errors import ImageReadError, LabelError
from ..io import MAX_PIXELS, image_size, read_image
from .matfile import check_mat_size


Layout = Literal["ccp", "seg", "masks"]
Target = Literal["figure", "garment"]

#: The design note's four classes; a four-class :class:`LabelMap` holds these indices.
CLASS_NAMES = ("background", "garment", "skin_hair", "accessory")
#: Classes of a binary mask.
BINARY_NAMES = ("background", "figure")
#: Class value of pixels whose label is unknown (left out of every score).
IGNORE = 255
#: Positive classes a mask can be scored against.
TARGETS = ("figure", "garment")
LAYOUTS = ("ccp", "seg", "masks")

#: The original's class colour ranges, in BGR as it read them: name -> (low, high).
SEG_RANGES_BGR = {
    "background": ((0, 0, 127), (127, 127, 255)),
    "garment": ((127, 0, 0), (255, 127, 127)),
    "skin_hair": ((127, 127, 127), (255, 255, 255)),
    "accessory": ((0, 127, 0), (127, 255, 127)),
}
#: Default tolerance, in levels, of a seg colour outside its class's range (JPEG noise).
SEG_TOLERANCE = 48
#: Default largest fraction of unknown colours a seg label may hold; above it, an error.
SEG_MAX_UNKNOWN = 0.001



@dataclass(frozen=True)
class LabelMap:
    """A photo's hand labels as class indices.

    Attributes
    ----------
    classes : (H, W) uint8 array
        Index into ``names`` per pixel; :data:`IGNORE` where the label is unknown.
    names : tuple of str
        :data:`CLASS_NAMES` (four classes) or :data:`BINARY_NAMES` (a binary mask).
    path : Path, optional
        The label file.
    unknown : int
        Number of pixels marked :data:`IGNORE`.
    """

    classes: np.ndarray
    names: tuple[str, ...] = CLASS_NAMES
    path: Path | None = None
    unknown: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        return self.classes.shape

    @property
    def valid(self) -> np.ndarray | None:
        """(H, W) bool of the pixels to score, or ``None`` when every pixel counts."""
        return None if self.unknown == 0 else self.classes != IGNORE

    def positive(self, target: Target = "figure") -> np.ndarray:
        """(H, W) bool truth of the positive class.

        ``figure`` is every labelled pixel but background (the note's step 1);
        ``garment`` is the garment class (its final goal), for four-class labels only.
        """
        if target == "figure":
            return (self.classes != 0) & (self.classes != IGNORE)
        if target == "garment":
            if "garment" not in self.names:
                raise LabelError(self.path, "binary masks hold only figure and background; "
                                            "--target garment needs four-class labels "
                                            "(ccp or seg layout)")
            return self.classes == self.names.index("garment")
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {target!r}")


def read_label(path: str | Path, layout: str, shape: tuple[int, int] | None = None,
               **options) -> LabelMap:
    """Read a label file of the given layout (:func:`read_ccp_label`,
    :func:`read_seg_label` or :func:`read_mask_label`)."""
    readers = {"ccp": read_ccp_label, "seg": read_seg_label, "masks": read_mask_label}
    try:
        reader = readers[layout]
    except KeyError:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}") from None
    return reader(path, shape=shape, **options)


@lru_cache(maxsize=None)
def ccp_class_table() -> np.ndarray:
    """Lookup table from CCP label (0..255) to four-class index (-1: not a CCP label).

    Built from the package's copy of the data set's ``classes.json``.

    Returns
    -------
    table : (256,) int16 array
    """
    from ..models import read_shipped

    text = read_shipped("data/ccp_classes.json").decode("utf-8")
    mapping = json.loads(text)
    table = np.full(256, -1, np.int16)
    for name, values in mapping.items():
        table[np.asarray(values, np.int64)] = CLASS_NAMES.index(name)
    table.setflags(write=False)
    return table


def ccp_to_classes(groundtruth: np.ndarray, path: str | Path | None = None) -> np.ndarray:
    """Map a CCP label array (labels 0..58) to the four classes.

    Parameters
    ----------
    groundtruth : (H, W) integer or integral float array
    path : path, optional
        Named in errors.

    Returns
    -------
    classes : (H, W) uint8 array
        Indices into :data:`CLASS_NAMES`.

    Raises
    ------
    LabelError
        For values that are not CCP labels.
    """
    g = np.asarray(groundtruth)
    if g.ndim != 2:
        raise LabelError(path, f"groundtruth must be a 2-D label array, got shape {g.shape}")
    if not np.issubdtype(g.dtype, np.integer):
        if not (np.issubdtype(g.dtype, np.floating) and np.isfinite(g).all()
                and np.array_equal(g, np.round(g))):
            raise LabelError(path, f"groundtruth holds non-integer values (dtype {g.dtype})")
    table = ccp_class_table()
    in_range = (g >= 0) & (g <= 255)
    g8 = np.where(in_range, g, 0).astype(np.uint8)
    mapped = table[g8]
    bad = ~in_range | (mapped < 0)
    if bad.any():
        values = np.unique(np.asarray(g)[bad])
        shown = ", ".join(str(int(v)) for v in values[:8]) + (" ..." if len(values) > 8 else "")
        known = np.flatnonzero(table >= 0)
        raise LabelError(path, f"unknown label value(s) {shown} in {int(bad.sum())} pixels; "
                               f"the CCP class table knows {known.min()}..{known.max()}")
    return mapped.astype(np.uint8)


def read_ccp_label(path: str | Path, shape: tuple[int, int] | None = None) -> LabelMap:
    """Read a CCP pixel-level annotation (``.mat`` with variable ``groundtruth``).

    Parameters
    ----------
    path : path
    shape : (H, W), optional
        The photo's size; a label of another size is an error.

    Returns
    -------
    labels : LabelMap
        Four classes.
    """
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise LabelError(path, "no such label file")
    check_mat_size(path, shape, _check_shape)
    try:
        data = scipy.io.loadmat(path, variable_names=["groundtruth"])
    except Exception as exc:  # noqa: BLE001 - SciPy's parser raises many types on bad files
        raise LabelError(path, f"cannot read MATLAB file ({type(exc).__name__}: {exc})") from None
    if "groundtruth" not in data:
        raise LabelError(path, "no variable 'groundtruth' in the MATLAB file")
    classes = ccp_to_classes(data["groundtruth"], path)
    _check_shape(path, classes.shape, shape)
    return LabelMap(classes=classes, names=CLASS_NAMES, path=path)


def _check_declared(path: Path, shape: tuple[int, int] | None) -> None:
    """An image label's declared size, checked against its photo's before decoding."""
    try:
        width, height = image_size(path)
    except ImageReadError as exc:
        raise LabelError(path, exc.problem) from None
    _check_shape(path, (height, width), shape)
    if width * height > MAX_PIXELS:
        raise LabelError(path, f"label is {width}x{height}, over the limit of "
                               f"{MAX_PIXELS:,} pixels")


def _seg_boxes_rgb() -> tuple[np.ndarray, np.ndarray]:
    """Class colour ranges in RGB order, (4, 3) low and high, in CLASS_NAMES order."""
    lo = np.array([SEG_RANGES_BGR[n][0][::-1] for n in CLASS_NAMES], np.int16)
    hi = np.array([SEG_RANGES_BGR[n][1][::-1] for n in CLASS_NAMES], np.int16)
    return lo, hi


def classify_seg_colors(image: np.ndarray, tolerance: int = SEG_TOLERANCE) -> np.ndarray:
    """Classes of a colour-coded hand segmentation, robust to JPEG noise.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        The ``-seg`` image in RGB order.
    tolerance : int
        How far, in levels (largest channel difference), a colour may lie outside its
        class's range and still count as that class.

    Returns
    -------
    classes : (H, W) uint8 array
        Indices into :data:`CLASS_NAMES`; :data:`IGNORE` for unknown colours.

    Notes
    -----
    The four ranges (module notes) are the octants of the RGB cube where red, blue,
    white and green lie; they share their boundary at 127. A pixel goes to the class
    whose range centre is nearest (Euclidean), which inside the ranges is exactly the
    range it lies in, and for colours between classes (JPEG ringing at a boundary)
    the closest one. It is unknown when it lies more than ``tolerance`` outside that
    class's range: black, yellow, cyan or magenta areas are not a class.

    Examples
    --------
    >>> import numpy as np
    >>> seg = np.array([[[250, 3, 5], [10, 10, 240], [240, 250, 245], [0, 0, 0]]], np.uint8)
    >>> classify_seg_colors(seg)
    array([[  0,   1,   2, 255]], dtype=uint8)
    """
    lo, hi = _seg_boxes_rgb()
    centres = (lo + hi).astype(np.float32) / 2
    x = np.asarray(image).astype(np.int16)
    xf = x.astype(np.float32)
    d2 = np.stack([((xf - c) ** 2).sum(axis=2) for c in centres], axis=2)
    cls = np.argmin(d2, axis=2).astype(np.uint8)
    outside = np.maximum(np.maximum(lo[cls] - x, x - hi[cls]), 0).max(axis=2)
    cls[outside > tolerance] = IGNORE
    return cls


def read_seg_label(path: str | Path, shape: tuple[int, int] | None = None, *,
                   tolerance: int = SEG_TOLERANCE,
                   max_unknown: float = SEG_MAX_UNKNOWN) -> LabelMap:
    """Read the original's colour-coded hand segmentation (``<name>-seg.jpg``).

    Parameters
    ----------
    path : path
    shape : (H, W), optional
        The photo's size; a label of another size is an error.
    tolerance : int
        See :func:`classify_seg_colors`.
    max_unknown : float
        Largest fraction of pixels of unknown colour accepted; they are left out of
        every score (and counted in :attr:`LabelMap.unknown`). Above it, an error.

    Returns
    -------
    labels : LabelMap
        Four classes.
    """
    path = Path(path)
    if path.is_file():
        _check_declared(path, shape)
    try:
        image = read_image(path, min_side=1)
    except ImageReadError as exc:
        raise LabelError(path, exc.problem) from None
    _check_shape(path, image.shape[:2], shape)
    classes = classify_seg_colors(image, tolerance)
    unknown = classes == IGNORE
    n_unknown = int(np.count_nonzero(unknown))
    if n_unknown > max_unknown * classes.size:
        colours, counts = np.unique(image[unknown], axis=0, return_counts=True)
        top = np.argsort(-counts, kind="stable")[:3]
        shown = ", ".join(f"RGB {tuple(int(v) for v in colours[i])} x{counts[i]}" for i in top)
        raise LabelError(path, f"{n_unknown} pixels ({100 * n_unknown / classes.size:.2f}%) "
                               f"have colours of no class (most common: {shown}); classes "
                               "are background = red, garment = blue, skin+hair = white, "
                               "accessories = green")
    return LabelMap(classes=classes, names=CLASS_NAMES, path=path, unknown=n_unknown)


def read_mask_label(path: str | Path, shape: tuple[int, int] | None = None) -> LabelMap:
    """Read a binary mask image: 0 (black) is background, one other value is figure.

    Parameters
    ----------
    path : path
        PNG, BMP or TIFF; grey, or colour with the figure in one colour.
    shape : (H, W), optional
        The photo's size; a mask of another size is an error.

    Returns
    -------
    labels : LabelMap
        Binary classes (:data:`BINARY_NAMES`).

    Raises
    ------
    LabelError
        Unreadable file, wrong size, or more than two values (a soft or JPEG mask).
    """
    path = Path(path)
    if not path.is_file():
        raise LabelError(path, "no such mask file")
    _check_declared(path, shape)
    data = np.fromfile(path, dtype=np.uint8)
    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH) if data.size else None
    if decoded is None:
        raise LabelError(path, "cannot decode mask image")
    _check_shape(path, decoded.shape[:2], shape)
    if decoded.ndim == 3:
        colours = decoded[:, :, :3].reshape(-1, 3)
        values, inverse = np.unique(colours, axis=0, return_inverse=True)
        is_zero = ~values.any(axis=1)
        describe = [str(tuple(int(c) for c in v[::-1])) for v in values[:4]]
    else:
        values, inverse = np.unique(decoded, return_inverse=True)
        is_zero = values == 0
        describe = [str(int(v)) for v in values[:4]]
    if len(values) > 2 or (len(values) == 2 and not is_zero.any()):
        raise LabelError(path, f"mask holds {len(values)} distinct values ("
                               f"{', '.join(describe)}{' ...' if len(values) > 4 else ''}); "
                               "expected a binary mask: 0 = background, one other value = "
                               "figure")
    figure = ~is_zero[inverse.reshape(decoded.shape[:2])]
    return LabelMap(classes=figure.astype(np.uint8), names=BINARY_NAMES, path=path)


def _check_shape(path: Path, got: tuple[int, ...], want: tuple[int, int] | None) -> None:
    if want is not None and tuple(got[:2]) != tuple(want):
        raise LabelError(path, f"label is {got[1]}x{got[0]} but its photo is "
                               f"{want[1]}x{want[0]} (width x height)")
