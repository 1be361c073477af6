"""A batch's results, read-only: its manifest's rows and the files they name.

``runwaycut serve --results DIR`` shows the output folder of ``runwaycut remove --out
DIR`` as a gallery. Only regular files inside DIR are ever read: a path with ``..``,
an absolute path, a hidden component, or one whose real location (symbolic links
followed) lies outside DIR is refused as not found.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from ..batch.manifest import MANIFEST_FILE, read_manifest
from ..garment.items_outputs import ITEMS_SUFFIXES
from ..garment.outputs import GARMENT_SUFFIXES
from ..io import encode_png

#: The files ``runwaycut remove`` may write per photo: kind -> suffixes after the stem
#: (the first that exists is shown: the cutout and overlay are WebP with ``--format webp``).
OUTPUT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "cutout": (".png", ".webp"), "mask": (".mask.png",),
    "overlay": (".overlay.png", ".overlay.webp"),
    **{kind: (suffix,) for kind, suffix in {**GARMENT_SUFFIXES, **ITEMS_SUFFIXES}.items()},
    "garment": (".garment.png", ".garment.webp")}

#: Longest side of a gallery thumbnail, pixels.
THUMB_SIDE = 192


class OutsideResultsError(LookupError):
    """A path that does not name a regular file inside the results folder."""


def resolve_inside(root: Path, relative: str) -> Path:
    """The regular file ``relative`` names inside ``root``, or OutsideResultsError.

    Parameters
    ----------
    root : Path
        The results folder, already resolved (absolute, no symbolic link).
    relative : str
        A ``/``-separated path relative to ``root``, as it came in the URL.

    Returns
    -------
    path : Path
        Resolved, inside ``root``, a regular file.
    """
    if not relative or "\x00" in relative or "\\" in relative or relative.startswith("/"):
        raise OutsideResultsError(relative)
    parts = PurePosixPath(relative).parts
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise OutsideResultsError(relative)
    try:
        path = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symbolic-link loop
        raise OutsideResultsError(relative) from None
    if not path.is_relative_to(root) or not path.is_file():
        raise OutsideResultsError(relative)
    return path


def gallery_rows(root: Path) -> list[dict]:
    """The manifest's rows, the last one per photo, with the files that exist.

    Each row is the manifest's (:class:`runwaycut.batch.PhotoRecord` fields) plus
    ``files``: kind (``cutout``, ``mask``, ``overlay``, ``labels``...) -> path relative
    to ``root``. A rerun appends rows, so a photo's last row is its current state.
    """
    manifest = root / MANIFEST_FILE
    if not manifest.is_file():
        return []
    latest: dict[str, dict] = {}
    for row in read_manifest(manifest):
        latest.pop(row.get("output") or row.get("path", ""), None)  # keep input order of reruns
        latest[row.get("output") or row.get("path", "")] = row
    rows = []
    for row in latest.values():
        stem = str(row.get("output") or "")
        files = {}
        if stem:
            for kind, suffixes in OUTPUT_SUFFIXES.items():
                for suffix in suffixes:
                    rel = stem + suffix
                    try:
                        resolve_inside(root, rel)
                    except OutsideResultsError:
                        continue
                    files[kind] = rel
                    break
        rows.append({**row, "files": files})
    return rows


def thumbnail(path: Path) -> bytes:
    """A PNG no larger than :data:`THUMB_SIDE` on its long side, alpha kept; cached
    by path, size and modification time."""
    stat = path.stat()
    return _thumbnail(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=512)
def _thumbnail(path: str, size: int, mtime_ns: int) -> bytes:
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise OutsideResultsError(os.path.basename(path))
    h, w = image.shape[:2]
    scale = min(1.0, THUMB_SIDE / max(h, w))
    if scale < 1:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
    if image.ndim == 3:  # OpenCV's BGR(A) back to RGB(A) for encode_png
        image = image[..., [2, 1, 0, 3][: image.shape[2]]]
    return encode_png(np.ascontiguousarray(image))
