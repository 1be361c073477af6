"""Labelled sets: photos with hand labels, in the three layouts runwaycut reads.

Every label file becomes a :class:`LabelMap`, an ``(H, W) uint8`` map of class indices
with its class names, so that scoring never depends on where the labels came from.

Layouts
-------
``ccp``
    The Clothing Co-Parsing layout: ``photos/NNNN.jpg`` and
    ``annotations/pixel-level/NNNN.mat`` holding the variable ``groundtruth`` (one CCP
    label 0..58 per pixel). Labels map to the four classes by the table shipped in
    ``runwaycut/data/ccp_classes.json`` (a copy of the data set's ``classes.json``).
``seg``
    The original author's colour-coded hand segmentations: ``<name>-seg.jpg`` (or
    ``.png``) beside ``<name>.jpg``, one colour per class. In BGR, as the original
    code reads them: background [0,0,127]–[127,127,255] (red), garment
    [127,0,0]–[255,127,127] (blue), skin+hair [127,127,127]–[255,255,255] (white),
    accessories [0,127,0]–[127,255,127] (green). See :func:`classify_seg_colors` for
    how JPEG noise is handled.
``masks``
    Photos with binary mask images of the same stem: either a ``masks/`` (or
    ``labels/``, ``gt/``, ...) folder beside the photos (or beside an ``images/`` or
    ``photos/`` folder) holding ``<stem>.png``, or ``<stem>.mask.png`` /
    ``<stem>_mask.png`` beside ``<stem>.jpg`` (the layout ``runwaycut remove`` writes).
    0 is background, one other value is figure; these labels only know ``figure``.

A photo without a label, or a label without a photo, is kept in the
:class:`Dataset` with its problem named, so a caller reports it as skipped; a label of
the wrong size, or holding values or colours that match no class, raises
:class:`~runwaycut.errors.LabelError`. Nothing is ever silently scored wrong.
"""

from __future__ import annotations
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LabelError
from ..io import PHOTO_SUFFIXES, read_image
# The label files' readers and classes, named here too: a labelled set is read through
# this module (``from runwaycut.scoring.labels import open_dataset, CLASS_NAMES``).
from .label_files import (BINARY_NAMES, CLASS_NAMES, IGNORE, LAYOUTS, SEG_MAX_UNKNOWN,  # noqa: F401
                          SEG_RANGES_BGR, SEG_TOLERANCE, TARGETS, LabelMap, Layout, Target,
                          ccp_class_table, ccp_to_classes, classify_seg_colors,
                          read_ccp_label, read_label, read_mask_label, read_seg_label)


_MASK_DIRS = ("masks", "mask", "labels", "label", "gt", "groundtruth", "ground_truth")
_PHOTO_DIRS = ("photos", "images", "image", "imgs", "img")
_MASK_SUFFIXES = (".png", ".bmp", ".tif", ".tiff")
_FLAT_MASK_ENDINGS = (".mask", "_mask")
_SEG_ENDING = "-seg"


@dataclass(frozen=True)
class LabelledPhoto:
    """One entry of a labelled set.

    Attributes
    ----------
    id : str
        The photo's file stem (the label's, when the photo is missing).
    photo, label : Path or None
        The files; ``None`` when missing.
    layout : str
        One of :data:`LAYOUTS`.
    """

    id: str
    photo: Path | None
    label: Path | None
    layout: str

    @property
    def problem(self) -> str | None:
        """Why this entry cannot be scored (a missing file), or ``None``."""
        missing = self.missing()
        return None if missing is None else str(missing)

    def missing(self) -> LabelError | None:
        """The error for a missing photo or label, or ``None`` when both exist."""
        if self.photo is None:
            return LabelError(self.label, "label has no photo of the same stem")
        if self.label is None:
            return LabelError(self.photo, f"no label file ({_expected_label(self.layout)})")
        return None


@dataclass(frozen=True)
class Dataset:
    """A labelled set: its folder, layout and entries sorted by id."""

    root: Path
    layout: str
    items: tuple[LabelledPhoto, ...]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    @property
    def complete(self) -> list[LabelledPhoto]:
        """The entries that have both a photo and a label."""
        return [item for item in self.items if item.problem is None]


def _expected_label(layout: str) -> str:
    return {"ccp": "expected annotations/pixel-level/<id>.mat",
            "seg": "expected <name>-seg.jpg beside it",
            "masks": "expected a mask <stem>.png in a masks folder, or <stem>.mask.png "
                     "beside it"}.get(layout, "")


# --- layouts ---------------------------------------------------------------------------

def detect_layout(root: str | Path) -> Layout:
    """Which layout a folder holds (see module notes).

    Raises
    ------
    LabelError
        When the folder is missing or holds none of the layouts.
    """
    root = Path(root)
    if not root.is_dir():
        raise LabelError(root, "no such folder" if not root.exists()
                         else "a labelled set is a folder, not a file")
    if (root / "photos").is_dir() and (root / "annotations" / "pixel-level").is_dir():
        return "ccp"
    files = [p for p in root.iterdir() if p.is_file()]
    if any(p.stem.endswith(_SEG_ENDING) and p.suffix.lower() in PHOTO_SUFFIXES for p in files):
        return "seg"
    if _find_dir(root, _MASK_DIRS) is not None or any(
            p.stem.endswith(_FLAT_MASK_ENDINGS) and p.suffix.lower() in _MASK_SUFFIXES
            for p in files):
        return "masks"
    raise LabelError(root, "no labelled-set layout found: expected photos/ with "
                           "annotations/pixel-level/*.mat (CCP), <name>.jpg with "
                           "<name>-seg.jpg (colour-coded), or photos with binary masks "
                           "(a masks/ folder, or <stem>.mask.png beside each photo)")


def open_dataset(root: str | Path, layout: str = "auto") -> Dataset:
    """List a labelled set's photos and labels.

    Parameters
    ----------
    root : path
        The set's folder.
    layout : {'auto', 'ccp', 'seg', 'masks'}
        ``auto`` detects it (:func:`detect_layout`).

    Returns
    -------
    dataset : Dataset
        Every photo and every label found, paired by stem; entries missing either
        file carry their :attr:`LabelledPhoto.problem`.
    """
    root = Path(root)
    if layout == "auto":
        layout = detect_layout(root)
    elif layout not in LAYOUTS:
        raise ValueError(f"layout must be auto or one of {', '.join(LAYOUTS)}, got {layout!r}")
    elif not root.is_dir():
        raise LabelError(root, "no such folder")
    if layout == "ccp":
        photos = _photos_in(root / "photos")
        labels = {p.stem: p for p in sorted((root / "annotations" / "pixel-level").glob("*.mat"))}
    elif layout == "seg":
        photos = {stem: p for stem, p in _photos_in(root).items()
                  if not stem.endswith(_SEG_ENDING)}
        labels = {p.stem[:-len(_SEG_ENDING)]: p for p in sorted(root.iterdir())
                  if p.is_file() and p.stem.endswith(_SEG_ENDING)
                  and p.suffix.lower() in PHOTO_SUFFIXES}
    else:
        photos, labels = _masks_layout(root)
    items = [LabelledPhoto(id=stem, photo=photos.get(stem), label=labels.get(stem),
                           layout=layout)
             for stem in sorted(set(photos) | set(labels))]
    return Dataset(root=root, layout=layout, items=tuple(items))


def _find_dir(root: Path, names) -> Path | None:
    for name in names:
        for candidate in (root / name, root / name.capitalize(), root / name.upper()):
            if candidate.is_dir():
                return candidate
    return None


def _photos_in(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith("."):
            found.setdefault(p.stem, p)
    return found


def _masks_layout(root: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    mask_dir = _find_dir(root, _MASK_DIRS)
    labels: dict[str, Path] = {}
    if mask_dir is not None:
        photo_dir = _find_dir(root, _PHOTO_DIRS) or root
        photos = _photos_in(photo_dir)
        for p in sorted(mask_dir.iterdir()):
            if p.is_file() and p.suffix.lower() in _MASK_SUFFIXES:
                stem = p.stem
                for ending in _FLAT_MASK_ENDINGS:
                    if stem.endswith(ending) and stem[:-len(ending)] in photos:
                        stem = stem[:-len(ending)]
                labels.setdefault(stem, p)
        return photos, labels
    photos = {}
    for stem, p in _photos_in(root).items():
        ending = next((e for e in _FLAT_MASK_ENDINGS if stem.endswith(e)), None)
        if ending is not None and p.suffix.lower() in _MASK_SUFFIXES:
            labels.setdefault(stem[:-len(ending)], p)
        else:
            photos[stem] = p
    return photos, labels


# --- reading labels ---------------------------------------------------------------------

def load_item(item: LabelledPhoto) -> tuple[np.ndarray, LabelMap]:
    """Read one entry's photo and labels.

    Returns
    -------
    image : (H, W, 3) uint8 array
    labels : LabelMap
        Of the photo's size.

    Raises
    ------
    LabelError
        Missing label or photo, label of another size, unknown values or colours.
    ImageReadError
        The photo cannot be read.
    """
    missing = item.missing()
    if missing is not None:
        raise missing
    image = read_image(item.photo)
    return image, read_label(item.label, item.layout, shape=image.shape[:2])
