"""Many photos: find them, process each into files, record what happened.

The core of a batch is :func:`process_photo`: one photo in, its output files written
atomically, one :class:`PhotoRecord` out. A photo that fails is recorded with its
error and never stops the others.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .compose import cutout, overlay
from .errors import ImageReadError, RunwaycutError
from .io import PHOTO_SUFFIXES, encode_png, read_image, write_bytes_atomic
from .methods import FigureMethod


@dataclass
class PhotoRecord:
    """One row of a batch: what happened to one photo."""

    path: str
    status: str  # "ok", "failed" or "skipped"
    error: str = ""
    method: str = ""
    threshold: float | None = None
    figure_fraction: float | None = None
    width: int | None = None
    height: int | None = None
    ms: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def collect_photos(inputs: Iterable[str | Path], recursive: bool = False) -> list[tuple[Path, Path]]:
    """Photos named by files and folders, each with its output stem relative to ``--out``.

    Parameters
    ----------
    inputs : iterable of paths
        Photo files (any suffix: an unreadable one fails when processed, not here)
        and folders (their photos by suffix; sub-folders too if ``recursive``).
    recursive : bool

    Returns
    -------
    photos : list of (path, relative_stem)
        ``relative_stem`` mirrors the folder tree below each given folder.
    """
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            pattern = "**/*" if recursive else "*"
            for path in sorted(item.glob(pattern)):
                if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES:
                    found.append((path, path.relative_to(item).with_suffix("")))
        else:
            found.append((item, Path(item.stem)))
    return found


def output_paths(out_dir: Path, rel_stem: Path, overlay_too: bool) -> dict[str, Path]:
    """The files written for one photo: mask, cutout and optionally overlay."""
    base = out_dir / rel_stem
    paths = {"mask": base.with_name(base.name + ".mask.png"),
             "cutout": base.with_name(base.name + ".png")}
    if overlay_too:
        paths["overlay"] = base.with_name(base.name + ".overlay.png")
    return paths


def process_photo(path: Path, rel_stem: Path, out_dir: Path, method: FigureMethod,
                  overlay_too: bool = False) -> PhotoRecord:
    """Read one photo, make its figure mask, write its files; never raises for bad input."""
    start = time.perf_counter()
    record = PhotoRecord(path=str(path), status="failed", method=method.name)
    try:
        paths = output_paths(out_dir, rel_stem, overlay_too)
        if any(p.resolve() == path.resolve() for p in paths.values()):
            raise ImageReadError(path, "an output would overwrite this photo; choose another --out")
        image = read_image(path)
        result = method.predict(image)
        record.width, record.height = image.shape[1], image.shape[0]
        record.threshold = result.threshold
        record.figure_fraction = round(float(result.mask.mean()), 6)
        # Encode everything first, then write: a failure leaves no partial set of files.
        alpha = result.alpha if result.alpha is not None else result.mask
        colours = result.foreground if result.foreground is not None else image
        blobs = {"mask": encode_png(result.mask), "cutout": encode_png(cutout(colours, alpha))}
        if overlay_too:
            blobs["overlay"] = encode_png(overlay(image, result.mask))
        for key, blob in blobs.items():
            write_bytes_atomic(paths[key], blob)
        record.status = "ok"
    except RunwaycutError as exc:
        record.error = str(exc)
    except (OSError, ValueError, MemoryError) as exc:
        record.error = f"{path}: {type(exc).__name__}: {exc}"
    record.ms = round((time.perf_counter() - start) * 1000, 2)
    return record


def run_batch(photos: list[tuple[Path, Path]], out_dir: Path, method: FigureMethod,
              overlay_too: bool = False,
              on_done: Callable[[PhotoRecord], None] | None = None) -> Iterator[PhotoRecord]:
    """Process photos one after another, yielding each record as it is done."""
    for path, rel in photos:
        record = process_photo(path, rel, out_dir, method, overlay_too)
        if on_done is not None:
            on_done(record)
        yield record


def summarize(records: list[PhotoRecord]) -> dict:
    """Counts by status and mean milliseconds per processed photo."""
    ok = [r for r in records if r.status == "ok"]
    return {"total": len(records), "ok": len(ok),
            "failed": sum(r.status == "failed" for r in records),
            "skipped": sum(r.status == "skipped" for r in records),
            "mean_ms": float(np.mean([r.ms for r in ok])) if ok else None}
