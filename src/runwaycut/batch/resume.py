"""What a rerun may keep: each photo's expected files, recognised photos, stale litter.

A photo is skipped only when every file its target writes exists *and* the photo is
the one those files were made from: the manifest row that made them records the
photo's size, modification time and SHA-256 (:func:`~runwaycut.batch.photo.photo_fingerprint`).
Another photo under the same name is redone (its predecessor's files removed first);
files without such a row (an older manifest, a row lost to a kill) are redone too.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .manifest import _CARRIED
from .photo import PhotoRecord, output_paths, photo_fingerprint
from .targets import optional_suffixes

#: Temporary files left by :func:`runwaycut.io.write_bytes_atomic` in a killed run:
#: outputs (``.0001.mask.png.x1y2.tmp``), colours, the summary and the parameters.
STALE_TMP = re.compile(r"^\..+\.(png|webp|json)\.[A-Za-z0-9_]+\.tmp$")

#: One unit of work: (position in the work list, absolute photo path, output stem).
Item = tuple[int, str, str]


def expected_outputs(out_dir: Path, rel: Path, method, overlay: bool,
                     image_format: str = "png") -> dict[str, Path]:
    """Every file a photo's run writes: mask, cutout (overlay), and with ``--target
    garment`` the label map, garment cutout and colours (the cutouts in ``image_format``)."""
    paths = output_paths(out_dir, rel, overlay, image_format)
    garment = sys.modules.get("runwaycut.garment.outputs")  # not loaded: not a garment run
    if garment is not None and isinstance(method, garment.GarmentMethod):
        paths.update(_garment_paths(out_dir, rel, image_format))
    items = sys.modules.get("runwaycut.garment.items_outputs")  # --target items
    if items is not None and isinstance(method, items.ItemsMethod):
        paths.update(_garment_paths(out_dir, rel, image_format))
        paths.update(_items_paths(out_dir, rel))
    return paths


def _items_paths(out_dir: Path, rel: Path) -> dict[str, Path]:
    from ..garment.items_outputs import ITEMS_SUFFIXES

    base = Path(out_dir) / rel
    return {suffix: base.with_name(base.name + suffix) for suffix in ITEMS_SUFFIXES.values()}


def _garment_paths(out_dir: Path, rel: Path, image_format: str = "png") -> dict[str, Path]:
    from ..garment.outputs import garment_suffixes

    base = Path(out_dir) / rel
    return {suffix: base.with_name(base.name + suffix)
            for suffix in garment_suffixes(image_format).values()}


def _optional_paths(out_dir: Path, rel: Path, method, image_format: str = "png") -> list[Path]:
    """The files a photo's run may write besides :func:`expected_outputs`: its item
    cutouts (``--item-cutouts``, one for each item the photo shows)."""
    items = sys.modules.get("runwaycut.garment.items_outputs")
    if items is None or not getattr(method, "item_cutouts", False):
        return []
    base = Path(out_dir) / rel
    return [base.with_name(base.name + s)
            for s in items.item_cutout_suffixes(image_format).values()]


def _remove_outputs(out_dir: Path, rel: Path) -> None:
    """Remove every file any run may have written for ``rel`` (whatever its options)."""
    base = Path(out_dir) / rel
    paths = [*output_paths(out_dir, rel, True, "png").values(),
             *output_paths(out_dir, rel, True, "webp").values(),
             *_garment_paths(out_dir, rel, "png").values(),
             *_garment_paths(out_dir, rel, "webp").values(), *_items_paths(out_dir, rel).values(),
             *(base.with_name(base.name + s) for s in optional_suffixes())]
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def same_photo(path: str | os.PathLike, recorded: dict | None) -> bool | None:
    """Whether ``path`` is the photo a manifest row recorded.

    Returns
    -------
    same : bool or None
        True: same size, and same modification time or same SHA-256. False: another
        file. None: nothing recorded to compare with (or the photo is unreadable).
    """
    if not recorded or not recorded.get("sha256") or recorded.get("size_bytes") is None:
        return None
    try:
        stat = os.stat(path)
        if stat.st_size != recorded["size_bytes"]:
            return False
        if stat.st_mtime_ns == recorded.get("mtime_ns"):
            return True
        return photo_fingerprint(path)[2] == recorded["sha256"]  # touched or copied
    except OSError:
        return None


@dataclass
class Plan:
    """A run's work before it starts.

    Attributes
    ----------
    items : list of Item
        Photos to process, numbered by their place in this list.
    positions : list of int
        Each item's place in the run's photo list.
    ready : dict of int to PhotoRecord
        Rows known before any work (skipped, colliding), by place in the photo list.
    """

    items: list[Item] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    ready: dict[int, PhotoRecord] = field(default_factory=dict)


def plan_run(photos, out_dir: Path, method, overlay: bool, reuse: bool,
             previous: dict[str, tuple], image_format: str = "png") -> Plan:
    """Sort a run's photos into work and rows known at once (see the module notes)."""
    plan = Plan()
    owners: dict[str, str] = {}  # output file -> the photo that writes it
    listing = lru_cache(maxsize=256)(sweep_temporary)
    for position, (path, rel) in enumerate(photos):
        stem = Path(rel).as_posix()
        paths = expected_outputs(out_dir, Path(rel), method, overlay, image_format)
        # Not only two photos of one stem: "look.top.jpg"'s cutout is "look.jpg"'s top
        # cutout, "look.mask.jpg"'s is "look.jpg"'s mask.
        files = [p.as_posix() for p in (*paths.values(), *_optional_paths(
            out_dir, Path(rel), method, image_format))]
        taken = next((f for f in files if f in owners), None)
        if taken is not None:
            plan.ready[position] = PhotoRecord(
                path=str(path), status="failed", method=method.name, output=stem,
                error=f"{path}: its outputs {stem}.* would overwrite those of {owners[taken]} "
                      f"({Path(taken).name}); rename one or process them into separate folders")
            continue
        owners.update(dict.fromkeys(files, str(path)))
        names = listing(str(paths["mask"].parent))
        if reuse and all(p.name in names for p in paths.values()):
            carried = dict(zip(_CARRIED, previous[stem])) if stem in previous else None
            verdict = same_photo(path, carried)
            if verdict:
                plan.ready[position] = PhotoRecord(path=str(path), status="skipped",
                                                   output=stem, **carried)
                continue
            if verdict is False:  # another photo now has this name: its files must go
                _remove_outputs(out_dir, Path(rel))
        plan.items.append((len(plan.items), os.path.abspath(path), stem))
        plan.positions.append(position)
    return plan


def sweep_temporary(folder: str) -> frozenset[str]:
    """Names in an output folder, after removing temporary files of a killed run."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return frozenset()
    names = set()
    for entry in entries:
        if STALE_TMP.match(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        else:
            names.add(entry.name)
    return frozenset(names)


class OrderedWriter:
    """Writes rows in input order: a row waits for every earlier photo's row.

    Parameters
    ----------
    write : callable
        Writes one record (the manifest and the tally).
    ready : dict of int to PhotoRecord
        Rows known before any work, by position.
    total : int
        Photos in the run.
    """

    def __init__(self, write: Callable[[PhotoRecord], None], ready: dict[int, PhotoRecord],
                 total: int):
        self._write = write
        self._ready = ready
        self._held: dict[int, PhotoRecord] = {}
        self._next = 0
        self._total = total
        self.flush()

    def put(self, position: int, record: PhotoRecord) -> None:
        self._held[position] = record
        self.flush()

    def flush(self) -> None:
        while self._next < self._total:
            record = self._held.pop(self._next, None) or self._ready.pop(self._next, None)
            if record is None:
                return
            self._write(record)
            self._next += 1

    def finish(self) -> None:
        """Write every row still held (a stopped run: photos not done have none)."""
        rest = {**self._ready, **self._held}
        self._ready, self._held = {}, {}
        for position in sorted(rest):
            self._write(rest[position])
