"""A whole run: parameters check, resume plan, workers, manifest and summary.
"""

from __future__ import annotations



import contextlib
import glob
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable


from ..errors import DiskFullError, RunwaycutError
from ..io import MAX_PIXELS, disk_full_error, is_disk_full, write_bytes_atomic
from ..methods import FigureMethod
from ..methods.threads import with_threads
from .manifest import MANIFEST_FILE, Manifest, _previous_results
from .params import check_params
from .photo import PhotoRecord, signals_held
from .resume import OrderedWriter, plan_run, sweep_temporary
from .cores import choose_threads, choose_workers
from .workers import BatchSettings, iter_local

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
    (1: this process) and ``threads`` the neural models' threads in each
    (:func:`runwaycut.batch.cores.choose_threads`)."""

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
    threads: int | None = None

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


def as_given(error: str | None, path: str) -> str | None:
    """A photo's error naming it as the user did (``shots/a.jpg``): workers read it by
    its absolute path, which their messages begin with."""
    absolute = os.path.abspath(path)
    if error and path != absolute and error.startswith(absolute + ":"):
        return path + error[len(absolute):]
    return error


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
        than one per eight photos to do (:func:`runwaycut.batch.cores.choose_workers`),
        so that a few photos are not slowed down by starting workers for them.
        With ``scheduler='local'``, the number of Dask workers.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address, ``local`` for a LocalCluster, or a client
        (see :mod:`runwaycut.batch.dask`); None runs locally without Dask.
    resume : bool
        True: skip photos whose output files all exist (writes are atomic, so they are
        whole) and were made from this very photo file (size, modification time and
        SHA-256 in the manifest; see :mod:`runwaycut.batch.resume`), append to the
        manifest. False: redo every photo, start the manifest
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
    DiskFullError
        Nothing more could be written: the run stops at once, every file and manifest
        row written is whole, and the same call after freeing space resumes.
    RunwaycutError
        ``out_dir`` is a file, cannot be created, or another run holds it.
    """
    out_dir = Path(out_dir).absolute()
    _make_out_dir(out_dir)
    manifest_path = Path(manifest) if manifest is not None else out_dir / MANIFEST_FILE
    with _folder_lock(out_dir):
        sweep_temporary(str(out_dir))  # a killed run's summary or parameters
        summary_path = manifest_path.with_name(manifest_path.stem + ".summary.json")
        for stale in summary_path.parent.glob(f".{glob.escape(summary_path.name)}.*.tmp"):
            with contextlib.suppress(OSError):  # (a --manifest elsewhere: only ours)
                stale.unlink()
        reuse = check_params(out_dir, method, overwrite=not resume)
        previous = _previous_results(manifest_path) if reuse else {}
        tally = _Tally()
        start = time.perf_counter()
        clock_start = time.monotonic()
        interrupted = False
        stop: BaseException | None = None
        with Manifest(manifest_path, append=resume) as log:

            def write(record: PhotoRecord) -> None:
                log.write(record)
                tally.add(record)

            plan = plan_run(photos, out_dir, method, overlay, reuse, previous, image_format)
            del previous
            if on_record is not None:
                for position in sorted(plan.ready):  # known at once: the progress bar
                    on_record(plan.ready[position])
            rows = OrderedWriter(write, plan.ready, len(photos))  # rows in input order

            first_start = None  # when the first photo began: the end of the start-up
            used = workers if workers else (choose_workers(len(plan.items)) if scheduler is None
                                            else None)
            # Cores the chosen workers leave idle go to their neural models; -j N and
            # Dask keep one thread a worker (-j counts cores).
            threads = choose_threads(used) if not workers and scheduler is None else 1
            settings = BatchSettings(out_dir, method if threads == 1 else
                                     with_threads(method, threads), overlay, max_pixels,
                                     image_format, threads)

            def done(index: int, record: PhotoRecord) -> None:
                nonlocal first_start
                began = photo_began(record, clock_start, time.monotonic())
                if began is not None:
                    first_start = began if first_start is None else min(first_start, began)
                record.path = str(photos[plan.positions[index]][0])
                record.error = as_given(record.error, record.path)
                if on_record is not None:
                    on_record(record)
                rows.put(plan.positions[index], record)

            try:
                if scheduler is not None:
                    from .dask import iter_dask

                    results = iter_dask(plan.items, settings, scheduler, workers, chunk_size)
                else:
                    results = iter_local(plan.items, settings, used)
                with contextlib.closing(results):
                    for index, record in results:
                        done(index, record)
            except KeyboardInterrupt as exc:
                interrupted, stop = True, exc
                finished = getattr(exc, "finished_item", None)
                if finished is not None:  # its files were written as the signal came
                    done(*finished)
            except BaseException as exc:  # noqa: BLE001 - a full disk, a crash limit: rows first, then re-raised
                stop = exc
            # What was done gets its row and the run its summary, even when a signal
            # comes now (it is acted on once they are written).
            with signals_held():
                try:
                    rows.finish()
                except DiskFullError as exc:
                    stop = stop or exc
                seconds = time.perf_counter() - start
                startup = None if first_start is None else max(0.0, first_start - clock_start)
                summary = BatchSummary(**tally.counts(seconds), seconds=round(seconds, 3),
                                       manifest=str(manifest_path), interrupted=interrupted,
                                       workers=used, threads=None if used is None else threads,
                                       startup_s=None if startup is None else round(startup, 3))
                try:
                    write_bytes_atomic(summary_path, (json.dumps(summary.as_dict(), indent=2)
                                                      + "\n").encode())
                except DiskFullError as exc:
                    stop = stop or exc
    if stop is not None:
        raise stop
    return summary


def photo_began(record: PhotoRecord, run_start: float, now: float) -> float | None:
    """When the photo of ``record`` began, on ``time.monotonic()``'s clock.

    Its own stamp (``record.started``, set by :func:`process_photo`) where it lies within
    the run (a worker on this machine); else, for a photo done elsewhere (another
    machine's clock) or a record without one, its arrival ``now`` less its ``ms``
    (exact for a photo reported as soon as it is done). None for a skipped photo.
    """
    started = getattr(record, "started", None)
    if started is not None and run_start <= started <= now:
        return started
    if record.ms is None:
        return None
    return now - record.ms / 1000


def _make_out_dir(out_dir: Path) -> None:
    """Create the output folder, or say in one line why it cannot be."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RunwaycutError(f"{out_dir}: is a file, not a folder; choose another --out")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise RunwaycutError(f"{out_dir}: cannot create this output folder, a part of its "
                             "path is a file; choose another --out") from None
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(exc, out_dir) from None
        raise RunwaycutError(f"{out_dir}: cannot create the output folder "
                             f"({exc.strerror or exc})") from None


@contextlib.contextmanager
def _folder_lock(out_dir: Path):
    """Hold an exclusive lock on ``out_dir`` (released by the OS if the run is killed);
    the lock file is removed when the run ends."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    path = out_dir / LOCK_FILE
    for _ in range(3):
        try:
            fh = open(path, "a")
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(exc, path) from None
            raise RunwaycutError(f"{out_dir}: cannot write into the output folder "
                                 f"({exc.strerror or exc})") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise RunwaycutError(f"{out_dir}: another runwaycut run is writing into this "
                                 "folder; wait for it or choose another --out") from None
        except OSError:  # a file system without locks (some network mounts)
            break
        if _is_same_file(fh, path):
            break
        fh.close()  # its last holder removed it as we opened it: lock the new one
    else:  # pragma: no cover - three runs finishing in turn as this one starts
        raise RunwaycutError(f"{out_dir}: another runwaycut run is writing into this "
                             "folder; wait for it or choose another --out")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if _is_same_file(fh, path):
                os.unlink(path)  # while still held: a run that opened it will retry
        fh.close()


def _is_same_file(fh, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fh.fileno()), os.stat(path))
    except OSError:
        return False
