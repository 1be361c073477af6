"""A whole run: parameters check, resume plan, workers, manifest and summary.
"""

from __future__ import annotations



import contextlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable


from ..errors import RunwaycutError
from ..io import MAX_PIXELS, write_bytes_atomic
from ..methods import FigureMethod
from .manifest import MANIFEST_FILE, Manifest, _CARRIED, _previous_results
from .params import check_params
from .photo import PhotoRecord, output_paths
from .workers import BatchSettings, Item, choose_workers, iter_local

#: Temporary files left by :func:`runwaycut.io.write_bytes_atomic` in a killed run.
_STALE_TMP = re.compile(r"^\..+\.(png|webp)\.[A-Za-z0-9_]+\.tmp$")

#: Lock file that keeps two runs from writing into one output folder at once.
LOCK_FILE = ".runwaycut.lock"

#: Name of the file, inside the output folder, recording the parameters of its results.


# --------------------------------------------------------------------------- whole run


@dataclass(frozen=True)
class BatchSummary:
    """What a run did: counts by status, timing, where the manifest is.

    ``mean_ms`` is the mean time of a photo done, from reading it to writing its files
    (models are loaded before the first photo, so no photo carries the start-up);
    ``startup_s`` is the time from the start of the run to the start of the first
    photo (planning, starting workers, loading models); ``workers`` how many worked
    (1: this process)."""

    total: int
    ok: int
    failed: int
    skipped: int
    mean_ms: float | None
    seconds: float
    photos_per_s: float | None
    manifest: str
    interrupted: bool = False
    workers: int | None = None
    startup_s: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class _Tally:
    """Running counts of a batch, so a million rows need not stay in memory."""

    def __init__(self):
        self.total = self.ok = self.failed = self.skipped = self.processed = 0
        self.ok_ms = 0.0

    def add(self, record: PhotoRecord) -> None:
        self.total += 1
        if record.status == "ok":
            self.ok += 1
            self.ok_ms += record.ms or 0.0
        elif record.status == "failed":
            self.failed += 1
        elif record.status == "skipped":
            self.skipped += 1
        if record.status in ("ok", "failed") and record.ms is not None:
            self.processed += 1

    def counts(self, seconds: float | None) -> dict:
        return {"total": self.total, "ok": self.ok, "failed": self.failed,
                "skipped": self.skipped,
                "mean_ms": round(self.ok_ms / self.ok, 2) if self.ok else None,
                "photos_per_s": (round(self.processed / seconds, 3)
                                 if seconds and self.processed else None)}


def summarize(records: Iterable[PhotoRecord], seconds: float | None = None) -> dict:
    """Counts by status, mean milliseconds per successful photo, photos per second.

    ``photos_per_s`` counts the photos processed in this run (ok or failed, not
    skipped) in ``seconds``.
    """
    tally = _Tally()
    for record in records:
        tally.add(record)
    return tally.counts(seconds)


def run_collection(photos: list[tuple[Path, Path]], out_dir: str | os.PathLike,
                   method: FigureMethod, *, overlay: bool = False, workers: int | None = None,
                   scheduler=None, resume: bool = True,
                   manifest: str | os.PathLike | None = None, max_pixels: int = MAX_PIXELS,
                   chunk_size: int | None = None,
                   on_record: Callable[[PhotoRecord], None] | None = None,
                   image_format: str = "png") -> BatchSummary:
    """Process a collection into ``out_dir``: resume, parallel or distributed, with a manifest.

    Parameters
    ----------
    photos : list of (path, relative_stem)
        As from :func:`collect_photos`.
    out_dir : path
        Output folder; created. Its parameters record (:data:`PARAMS_FILE`) must match
        ``method`` unless ``resume`` is False.
    method : FigureMethod
        The backend (pickled to workers).
    overlay : bool
        Also write ``<stem>.overlay.png``.
    workers : int, optional
        Worker processes; 1 works in this process. Default: one per core, but no more
        than one per eight photos to do (:func:`runwaycut.batch.workers.choose_workers`),
        so that a few photos are not slowed down by starting workers for them.
        With ``scheduler='local'``, the number of Dask workers.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address, ``local`` for a LocalCluster, or a client
        (see :mod:`runwaycut.batch.dask`); None runs locally without Dask.
    resume : bool
        True: skip photos whose output files all exist (writes are atomic, so they are
        whole), append to the manifest. False: redo every photo, start the manifest
        anew and record the new parameters (``--overwrite``).
    manifest : path, optional
        Default ``out_dir / manifest.jsonl``.
    max_pixels : int
        Decompression-bomb guard: larger photos fail, with their row.
    chunk_size : int, optional
        Photos per Dask task (default: about four tasks per worker, at most 64).
    on_record : callable, optional
        Called with each record as it is done, skipped ones first.
    image_format : {'png', 'webp'}
        Format of the cutouts and overlays (lossless either way); masks are PNG.

    Returns
    -------
    summary : BatchSummary
        Also written beside the manifest as ``<manifest stem>.summary.json``.

    Raises
    ------
    ParameterMismatchError
        ``out_dir`` holds results of other parameters and ``resume`` is True.
    KeyboardInterrupt
        After stopping the workers and writing the rows and summary of what was done.
    """
    out_dir = Path(out_dir).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = Path(manifest) if manifest is not None else out_dir / MANIFEST_FILE
    with _folder_lock(out_dir):
        reuse = check_params(out_dir, method, overwrite=not resume)
        previous = _previous_results(manifest_path) if reuse else {}
        settings = BatchSettings(out_dir, method, overlay, max_pixels, image_format)
        tally = _Tally()
        start = time.perf_counter()
        interrupted = False
        with Manifest(manifest_path, append=resume) as log:

            def emit(record: PhotoRecord) -> None:
                log.write(record)
                tally.add(record)
                if on_record is not None:
                    on_record(record)

            todo, positions = _plan(photos, out_dir, method.name, overlay, reuse, previous,
                                    emit, image_format)
            del previous
            held: dict[int, PhotoRecord] = {}
            first_start = None
            used = workers if workers else (choose_workers(len(todo)) if scheduler is None
                                            else None)
            try:
                if scheduler is not None:
                    from .dask import iter_dask

                    results = iter_dask(todo, settings, scheduler, workers, chunk_size)
                else:
                    results = iter_local(todo, settings, used)
                with contextlib.closing(results):
                    nxt = 0
                    for index, record in results:
                        if first_start is None and record.ms is not None:
                            first_start = time.perf_counter() - record.ms / 1000
                        record.path = str(photos[positions[index]][0])
                        if on_record is not None:
                            on_record(record)
                        held[index] = record
                        while nxt in held:  # rows in input order
                            rec = held.pop(nxt)
                            log.write(rec)
                            tally.add(rec)
                            nxt += 1
            except KeyboardInterrupt:
                interrupted = True
                raise
            finally:
                for index in sorted(held):  # done but out of order: still true rows
                    log.write(held[index])
                    tally.add(held[index])
                seconds = time.perf_counter() - start
                startup = None if first_start is None else max(0.0, first_start - start)
                summary = BatchSummary(**tally.counts(seconds), seconds=round(seconds, 3),
                                       manifest=str(manifest_path), interrupted=interrupted,
                                       workers=used,
                                       startup_s=None if startup is None else round(startup, 3))
                summary_path = manifest_path.with_name(manifest_path.stem + ".summary.json")
                write_bytes_atomic(summary_path,
                                   (json.dumps(summary.as_dict(), indent=2) + "\n").encode())
    return summary


def _plan(photos, out_dir: Path, method_name: str, overlay: bool, reuse: bool,
          previous: dict[str, tuple], emit: Callable[[PhotoRecord], None],
          image_format: str = "png") -> tuple[list[Item], list[int]]:
    """Emit the rows known before any work (skipped, colliding); return the work items
    left (numbered by their place in the work list) and each one's place in ``photos``."""
    items: list[Item] = []
    positions: list[int] = []
    owners: dict[str, str] = {}
    listing = lru_cache(maxsize=256)(_listing)
    for position, (path, rel) in enumerate(photos):
        stem = Path(rel).as_posix()
        if stem in owners:
            emit(PhotoRecord(
                path=str(path), status="failed", method=method_name, output=stem,
                error=f"{path}: its outputs {stem}.* would overwrite those of {owners[stem]}; "
                      "rename one or process them into separate folders"))
            continue
        owners[stem] = str(path)
        paths = output_paths(out_dir, Path(rel), overlay, image_format)
        names = listing(str(paths["mask"].parent))
        if reuse and all(p.name in names for p in paths.values()):
            carried = dict(zip(_CARRIED, previous.get(stem, (method_name,))))
            emit(PhotoRecord(path=str(path), status="skipped", output=stem, **carried))
        else:
            items.append((len(items), os.path.abspath(path), stem))
            positions.append(position)
    return items, positions


def _listing(folder: str) -> frozenset[str]:
    """Names in an output folder, after removing temporary files of a killed run."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return frozenset()
    names = set()
    for entry in entries:
        if _STALE_TMP.match(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        else:
            names.add(entry.name)
    return frozenset(names)


@contextlib.contextmanager
def _folder_lock(out_dir: Path):
    """Hold an exclusive lock on ``out_dir`` (released by the OS if the run is killed)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    fh = open(out_dir / LOCK_FILE, "a")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunwaycutError(f"{out_dir}: another runwaycut run is writing into this "
                                 "folder; wait for it or choose another --out") from None
        except OSError:  # a file system without locks (some network mounts)
            pass
        yield
    finally:
        fh.close()
