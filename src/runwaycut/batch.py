"""Many photos: find them, process each into files, record what happened.

A batch reads as its steps::

    collect_photos   photos, folders, glob patterns and lists of paths -> (photo, output stem)
    process_photo    one photo -> its output files (written atomically) and a PhotoRecord
    run_batch        many photos, in this process or in worker processes
    run_collection   the whole run: parameters check, resume, manifest, summary

The core is :func:`process_photo`: one photo in, its output files written atomically,
one :class:`PhotoRecord` out. A photo that fails is recorded with its error and never
stops the others.

Files in the output folder
--------------------------
``<stem>.mask.png``, ``<stem>.png`` (and ``<stem>.overlay.png``)
    Per photo, the folder tree below each input folder mirrored.
``manifest.jsonl``
    One JSON object per line and per photo (see :class:`PhotoRecord`), appended and
    flushed as each photo is done, in the order of the inputs.
``manifest.summary.json``
    Counts, mean milliseconds per photo and photos per second of the last run.
``runwaycut-params.json``
    The backend's parameters. A later run into the same folder with other parameters
    is refused (:class:`ParameterMismatchError`) unless it overwrites everything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import glob
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from .compose import cutout, overlay
from .errors import ImageReadError, LabelError, RunwaycutError
from .io import MAX_PIXELS, PHOTO_SUFFIXES, encode_png, read_image, write_bytes_atomic
from .methods import FigureMethod

#: Name of the file, inside the output folder, recording the parameters of its results.
PARAMS_FILE = "runwaycut-params.json"

#: Default manifest name inside the output folder (JSON Lines, one row per photo).
MANIFEST_FILE = "manifest.jsonl"

#: Lock file that keeps two runs from writing into one output folder at once.
LOCK_FILE = ".runwaycut.lock"

#: Characters that make an input a glob pattern (when no file of that name exists).
_GLOB_CHARS = re.compile(r"[*?[]")

#: Temporary files left by :func:`runwaycut.io.write_bytes_atomic` in a killed run.
_STALE_TMP = re.compile(r"^\..+\.png\.[A-Za-z0-9_]+\.tmp$")


class ParameterMismatchError(RunwaycutError):
    """The output folder holds results made with other parameters."""


# --------------------------------------------------------------------------- inputs


def read_path_list(source: str | os.PathLike) -> list[str]:
    """Entries of a text file of paths: one per line, blank lines and ``#`` comments skipped.

    Parameters
    ----------
    source : path or ``"-"``
        The list file; ``-`` reads standard input.

    Returns
    -------
    entries : list of str
        Photos, folders or glob patterns, as written (relative ones are relative to the
        current folder).
    """
    if str(source) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImageReadError(source, f"cannot read list of photos ({exc})") from None
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return entries


def collect_photos(inputs: Iterable[str | Path], recursive: bool = False, *,
                   from_file: str | os.PathLike | None = None,
                   exclude: Iterable[str | Path] = ()) -> list[tuple[Path, Path]]:
    """Photos named by files, folders, glob patterns and lists, each with its output stem.

    Parameters
    ----------
    inputs : iterable of paths or str
        Each is one of:

        * a folder: its photos by suffix (:data:`runwaycut.io.PHOTO_SUFFIXES`), in
          sub-folders too if ``recursive``; hidden files and folders are skipped;
        * a glob pattern (``shots/*.jpg``, ``shots/**/*.jpg``), when no file has that
          name: its matches, any suffix;
        * ``@FILE``: the entries of a text file of paths (:func:`read_path_list`), each
          itself a photo, folder or pattern;
        * anything else: a photo file, whatever its suffix (a missing or unreadable one
          fails when processed, not here, so that it gets its row in the manifest).
    recursive : bool
        Look into sub-folders of the given folders.
    from_file : path or ``"-"``, optional
        One more list of paths, as ``@FILE``.
    exclude : iterable of paths
        Folders never looked into (the output folder, so that a rerun does not take
        its own results for photos).

    Returns
    -------
    photos : list of (path, relative_stem)
        In input order, duplicates dropped. ``relative_stem`` (a relative path without
        suffix) mirrors the tree below each folder, below the fixed part of each
        pattern, and below the deepest folder common to all photos named one by one.
    """
    items = [str(i) for i in inputs]
    if from_file is not None:
        items.append("@" + str(from_file))
    skip = [os.path.abspath(e) for e in exclude]
    found: list[tuple[Path, Path | None]] = []  # stem None: named one by one
    for item in items:
        entries = read_path_list(item[1:]) if item.startswith("@") else [item]
        for entry in entries:
            found.extend(_expand(entry, recursive, skip))
    # Photos named one by one mirror the tree below their deepest common folder.
    singles = [os.path.dirname(os.path.abspath(p)) for p, stem in found if stem is None]
    common = os.path.commonpath(singles) if singles else ""
    photos, seen = [], set()
    for path, stem in found:
        key = os.path.abspath(path)
        if key in seen:
            continue
        seen.add(key)
        if stem is None:
            stem = Path(os.path.relpath(key, common)).with_suffix("")
        photos.append((path, stem))
    return photos


def _expand(entry: str, recursive: bool, skip: list[str]) -> Iterator[tuple[Path, Path | None]]:
    path = Path(entry)
    if path.is_dir():
        for found in _walk(path, recursive, skip):
            yield found, found.relative_to(path).with_suffix("")
    elif not path.exists() and _GLOB_CHARS.search(entry):
        base = Path(_glob_base(entry))
        matches = sorted(glob.glob(entry, recursive=True))
        if not matches:
            yield path, None  # fails as a missing photo, as an unexpanded shell glob does
        for match in matches:
            m = Path(match)
            if m.is_file() and not _under(m, skip) and not m.name.startswith("."):
                yield m, m.relative_to(base).with_suffix("")
    else:
        yield path, None


def _walk(top: Path, recursive: bool, skip: list[str]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if recursive and not d.startswith(".")
                             and os.path.abspath(os.path.join(dirpath, d)) not in skip)
        for name in sorted(filenames):
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in PHOTO_SUFFIXES:
                yield Path(dirpath) / name


def _glob_base(pattern: str) -> str:
    """The folder part of a pattern before its first wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        fixed.append(part)
    return os.path.join(*fixed) if fixed else "."


def _under(path: Path, folders: list[str]) -> bool:
    full = os.path.abspath(path)
    return any(full == f or full.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


# --------------------------------------------------------------------------- one photo


@dataclass
class PhotoRecord:
    """One row of a batch: what happened to one photo.

    Attributes
    ----------
    path : str
        The photo, as given.
    status : {'ok', 'failed', 'skipped'}
        ``skipped``: its outputs were complete from an earlier run (the other fields
        are then copied from that run's row, where the manifest has it).
    error : str
        Why it failed, naming the file ('' otherwise).
    method : str
        Backend name.
    threshold : float or None
        Colour threshold applied (palette-based backends).
    figure_fraction : float or None
        Share of the photo's pixels in the figure mask.
    width, height : int or None
        Size of the photo in pixels.
    ms : float or None
        Wall time spent on the photo in milliseconds (reading to writing).
    output : str
        Output stem relative to the output folder (``a/b/0001`` for
        ``a/b/0001.mask.png``...).
    warning : str
        What the backend found doubtful, e.g. no person found ('' otherwise).
    """

    path: str
    status: str  # "ok", "failed" or "skipped"
    error: str = ""
    method: str = ""
    threshold: float | None = None
    figure_fraction: float | None = None
    width: int | None = None
    height: int | None = None
    ms: float | None = None
    output: str = ""
    warning: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def output_paths(out_dir: Path, rel_stem: Path, overlay_too: bool) -> dict[str, Path]:
    """The files written for one photo: mask, cutout and optionally overlay."""
    base = Path(out_dir) / rel_stem
    paths = {"mask": base.with_name(base.name + ".mask.png"),
             "cutout": base.with_name(base.name + ".png")}
    if overlay_too:
        paths["overlay"] = base.with_name(base.name + ".overlay.png")
    return paths


def process_photo(path: Path, rel_stem: Path, out_dir: Path, method: FigureMethod,
                  overlay_too: bool = False, *, max_pixels: int = MAX_PIXELS) -> PhotoRecord:
    """Read one photo, make its figure mask, write its files; never raises for bad input.

    Parameters
    ----------
    path : path
        The photo.
    rel_stem : path
        Its output stem relative to ``out_dir`` (see :func:`output_paths`).
    out_dir : path
        Output folder (created as needed).
    method : FigureMethod
        The figure-mask backend.
    overlay_too : bool
        Also write the neon-green overlay.
    max_pixels : int
        Decompression-bomb guard of the reader: larger photos fail, undecoded.

    Returns
    -------
    record : PhotoRecord
        ``status`` is ``ok`` or ``failed`` (with ``error``). Each file is written
        atomically and all are encoded before the first is written, so a failure
        leaves the photo's earlier files, if any, untouched.
    """
    start = time.perf_counter()
    record = PhotoRecord(path=str(path), status="failed", method=method.name,
                         output=Path(rel_stem).as_posix())
    try:
        paths = output_paths(out_dir, rel_stem, overlay_too)
        if any(p.resolve() == Path(path).resolve() for p in paths.values()):
            raise ImageReadError(path, "an output would overwrite this photo; choose another --out")
        image = read_image(path, max_pixels=max_pixels)
        result = method.predict(image)
        record.width, record.height = image.shape[1], image.shape[0]
        record.threshold = result.threshold
        record.warning = "; ".join(result.details.get("warnings", []))
        record.figure_fraction = round(float(np.count_nonzero(result.mask)) / result.mask.size, 6)
        # Encode everything first, then write: a failure leaves no partial set of files.
        alpha = result.alpha if result.alpha is not None else result.mask
        colours = result.foreground if result.foreground is not None else image
        blobs = {"mask": encode_png(result.mask), "cutout": encode_png(fast_cutout(colours, alpha))}
        if overlay_too:
            blobs["overlay"] = encode_png(overlay(image, result.mask))
        if "garment" in result.details:  # --target garment (runwaycut.garment.GarmentMethod)
            from .garment import garment_blobs

            base = Path(out_dir) / rel_stem
            for suffix, blob in garment_blobs(image, result).items():
                paths[suffix] = base.with_name(base.name + suffix)
                blobs[suffix] = blob
        with signals_held():  # a Ctrl-C lands after the writes, never inside one
            for key, blob in blobs.items():
                write_bytes_atomic(paths[key], blob)
        record.status = "ok"
    except (ImageReadError, LabelError) as exc:  # these name their file already
        record.error = str(exc)
    except RunwaycutError as exc:  # e.g. strips narrower than a block: say which photo
        record.error = f"{path}: {exc}"
    except (OSError, ValueError, MemoryError) as exc:
        record.error = f"{path}: {type(exc).__name__}: {exc}"
    record.ms = round((time.perf_counter() - start) * 1000, 2)
    return record


def fast_cutout(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """:func:`runwaycut.compose.cutout`, pixel for pixel, about 20x faster for a binary mask.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    alpha : (H, W) bool, uint8 or float array
        A bool mask takes the fast path (OpenCV masked copy instead of NumPy boolean
        indexing); any other alpha goes to :func:`~runwaycut.compose.cutout`.

    Returns
    -------
    rgba : (H, W, 4) uint8 array
        Colour zeroed where alpha is 0, as the cutout's contract says.
    """
    if alpha.dtype != bool or image.dtype != np.uint8 or alpha.shape != image.shape[:2]:
        return cutout(image, alpha)
    a = alpha.view(np.uint8) * np.uint8(255)
    rgba = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
    rgba[..., 3] = a
    return cv2.bitwise_and(rgba, rgba, mask=a)


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM while a photo's files are written, then act on them.

    :func:`runwaycut.io.write_bytes_atomic` removes its temporary file when interrupted,
    except in the instant between creating it and writing to it; holding the signals
    for the millisecond of writing closes that gap, so a stopped run leaves neither a
    half file nor a stray temporary one. A no-op outside the main thread (where Python
    delivers no signals).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if callable(handler) or handler == signal.SIG_DFL:
            previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            else:
                signal.raise_signal(caught[0])


# --------------------------------------------------------------------------- running many


@dataclass(frozen=True)
class BatchSettings:
    """What every worker needs besides the photos: sent to each worker once."""

    out_dir: Path
    method: FigureMethod
    overlay: bool = False
    max_pixels: int = MAX_PIXELS


#: One unit of work: (position in the batch, absolute photo path, output stem, posix).
Item = tuple[int, str, str]


def process_item(item: Item, settings: BatchSettings) -> tuple[int, PhotoRecord]:
    """:func:`process_photo` for one work item; a bug in a backend fails the photo, not the batch."""
    index, path, rel = item
    try:
        record = process_photo(Path(path), Path(rel), settings.out_dir, settings.method,
                               settings.overlay, max_pixels=settings.max_pixels)
    except Exception as exc:  # noqa: BLE001 - one photo must not stop a million
        record = PhotoRecord(path=path, status="failed", method=settings.method.name,
                             error=f"{path}: internal error: {type(exc).__name__}: {exc}",
                             output=rel)
    return index, record


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def run_batch(photos: list[tuple[Path, Path]], out_dir: Path, method: FigureMethod,
              overlay_too: bool = False,
              on_done: Callable[[PhotoRecord], None] | None = None, *,
              workers: int = 1, max_pixels: int = MAX_PIXELS) -> Iterator[PhotoRecord]:
    """Process photos, yielding their records in input order.

    Parameters
    ----------
    photos : list of (path, relative_stem)
        As from :func:`collect_photos`.
    out_dir : path
    method : FigureMethod
    overlay_too : bool
    on_done : callable, optional
        Called with each record as soon as it is done (in completion order).
    workers : int
        1 processes the photos in this process; more starts that many worker
        processes (see :func:`iter_local`).
    max_pixels : int
        Decompression-bomb guard of the reader.
    """
    settings = BatchSettings(Path(out_dir).absolute(), method, overlay_too, max_pixels)
    items = [(i, os.path.abspath(p), Path(rel).as_posix()) for i, (p, rel) in enumerate(photos)]
    with contextlib.closing(iter_local(items, settings, workers)) as results:
        for index, record in in_order(results, on_done):
            record.path = str(photos[index][0])
            yield record


def in_order(results: Iterable[tuple[int, PhotoRecord]],
             on_done: Callable[[PhotoRecord], None] | None = None
             ) -> Iterator[tuple[int, PhotoRecord]]:
    """Reorder ``(index, record)`` pairs arriving in any order (indices 0, 1, ...) into
    index order; ``on_done`` sees each record as it arrives."""
    held: dict[int, PhotoRecord] = {}
    nxt = 0
    for index, record in results:
        if on_done is not None:
            on_done(record)
        held[index] = record
        while nxt in held:
            yield nxt, held.pop(nxt)
            nxt += 1


def iter_local(items: list[Item], settings: BatchSettings,
               workers: int = 1) -> Iterator[tuple[int, PhotoRecord]]:
    """Process work items here (``workers`` <= 1) or in worker processes, in completion order.

    Notes
    -----
    Worker processes are spawned and receive ``settings``, the backend included,
    once: a backend that loads a model lazily loads it once per worker, not once per
    photo. Photos go to the workers in small chunks (:func:`local_chunk_size`), at
    most ``2 * workers`` chunks in flight, so memory does not grow with the batch. Workers ignore Ctrl-C (the
    parent stops them) and quit, removing any temporary file, when sent SIGTERM or
    when the parent dies. A worker that dies (killed for memory, crashed) breaks the
    pool: the photos it held are retried one at a time in a fresh pool, and the one
    that kills a worker again is recorded as failed.

    ``workers`` counts cores: with 1, this process works on one thread (OpenCV's and
    the BLAS pools limited to 1 meanwhile), as each worker process does.
    """
    if workers <= 1:
        with one_thread():
            for item in items:
                yield process_item(item, settings)
    elif len(items) <= 1:  # not worth a pool: here, thread pools as they are
        for item in items:
            yield process_item(item, settings)
    else:
        yield from _iter_pool(items, settings, workers)


_CRASH_LIMIT = 10  # photos in a row that kill their worker before the batch gives up


def local_chunk_size(n_items: int, workers: int) -> int:
    """Photos per task sent to a worker process: about eight tasks per worker, 1 to 8.

    A few photos per task spare the parent one round trip each, while tasks stay short
    enough to balance the workers and to keep the progress bar moving."""
    return max(1, min(8, n_items // (8 * max(1, workers))))


def _iter_pool(items, settings, workers) -> Iterator[tuple[int, PhotoRecord]]:
    size = local_chunk_size(len(items), workers)
    queue = deque(items[i:i + size] for i in range(0, len(items), size))
    suspects: deque = deque()  # photos of a chunk whose worker died, to rerun one by one
    crashes_in_row = 0
    while queue or suspects:
        solo = bool(suspects)
        n = 1 if solo else min(workers, len(queue))
        window = 1 if solo else 2 * n  # a suspect runs alone, so a crash names it
        pool = ProcessPoolExecutor(n, mp_context=_mp_context(), initializer=_init_worker,
                                   initargs=(settings, os.getpid()))
        inflight: dict = {}
        clean = False
        try:
            while (suspects if solo else queue) or inflight:
                while len(inflight) < window and (suspects if solo else queue):
                    chunk = [suspects.popleft()] if solo else queue.popleft()
                    inflight[pool.submit(_work, chunk)] = chunk
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk = inflight.pop(fut)
                    results = fut.result()  # BrokenProcessPool if a worker died
                    crashes_in_row = 0
                    yield from results
            clean = True
        except BrokenProcessPool:
            lost = list(chunk)
            for fut, other in inflight.items():
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    yield from fut.result()
                else:
                    lost.extend(other)
            inflight.clear()
            if not solo:
                suspects.extend(sorted(lost))
            else:
                crashes_in_row += 1
                suspects.extendleft(reversed(lost[1:]))
                index, path, rel = lost[0]
                yield index, PhotoRecord(
                    path=path, status="failed", method=settings.method.name, output=rel,
                    error=f"{path}: the worker process died on this photo (out of memory? "
                          "try a lower --max-pixels or fewer --workers)")
                if crashes_in_row >= _CRASH_LIMIT:
                    raise RuntimeError(f"worker processes died on {crashes_in_row} photos in "
                                       f"a row (last: {path}); stopping") from None
        finally:
            _close_pool(pool, kill=not clean)


def _mp_context():
    """Fork where it is safe (Linux, and no other thread in this process that a child
    could inherit mid-lock): workers start in milliseconds. Otherwise spawn (a progress
    bar's or Dask's threads are running, or not Linux): a fresh interpreter per worker.
    Either way a worker's parent is this process, so it notices this process's death.
    (Not forkserver: its workers outlive a killed parent.)"""
    import multiprocessing as mp

    if sys.platform.startswith("linux") and _single_threaded():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _single_threaded() -> bool:
    """Whether this process runs one thread, native ones included.

    ``threading.active_count()`` sees only Python threads; OpenCV's, OpenBLAS's and
    LiteRT's pools are native threads, and a child forked while they exist can wait
    forever on a lock or a pool that it did not inherit (seen in the test suite)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _close_pool(pool: ProcessPoolExecutor, kill: bool) -> None:
    if not kill:
        pool.shutdown(wait=True)
        return
    # Stop now: no new photo starts, running ones are terminated (SIGTERM makes a worker
    # remove its temporary file and quit); written outputs are whole by construction.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(5)
            if proc.is_alive():  # stuck outside a photo: nothing of ours to clean up
                proc.kill()
                proc.join(1)


_WORKER: dict = {}


def _init_worker(settings: BatchSettings, parent: int) -> None:
    """Runs once in each worker process; ``parent`` is the pid of the process it serves."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked child inherits the parent's
    single_threaded()
    _WORKER["settings"] = settings
    _WORKER["busy"] = False
    _die_with_parent()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="runwaycut-parent-watch").start()
    # Last: a SIGTERM before this point kills the worker the default way, silently.
    signal.signal(signal.SIGTERM, _on_sigterm)


def _watch_parent(parent: int, every: float = 0.25) -> None:
    """Quit (through SIGTERM, so temporary files go) once the parent process is gone."""
    while os.getppid() == parent:
        time.sleep(every)
    os.kill(os.getpid(), signal.SIGTERM)


def _on_sigterm(signum, frame):
    """In a photo: unwind (``write_bytes_atomic`` removes its temporary file), then quit
    in :func:`_work`. Between photos: quit at once. Later SIGTERMs (the pool's own
    clean-up sends one too) are ignored, so they cannot cut the unwinding short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _WORKER.get("busy"):
        raise SystemExit(128 + signum)
    os._exit(128 + signum)


def _work(chunk: list[Item]) -> list[tuple[int, PhotoRecord]]:
    results = []
    for item in chunk:
        try:
            _WORKER["busy"] = True
            results.append(process_item(item, _WORKER["settings"]))
        except SystemExit:
            os._exit(143)
        finally:
            _WORKER["busy"] = False
    return results


def single_threaded() -> None:
    """One thread per worker: the workers are the parallelism, so OpenCV's and the
    BLAS/OpenMP thread pools would only oversubscribe the cores."""
    cv2.setNumThreads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with scikit-learn
        return
    threadpool_limits(1)


@contextlib.contextmanager
def one_thread():
    """:func:`single_threaded` for a while in this process, then the thread pools as before."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(1)
    try:
        with limits:
            yield
    finally:
        cv2.setNumThreads(before)


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this worker as soon as its parent dies (elsewhere
    :func:`_watch_parent` notices within a quarter of a second)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover
        pass


# --------------------------------------------------------------------------- parameters


def describe(obj) -> object:
    """A JSON-ready description of a backend's parameters, stable across runs.

    Dataclasses become dicts of their (repr) fields, functions their qualified names,
    arrays a digest, other objects their type and public attributes. Lazily loaded
    models (private attributes or ``repr=False`` fields) are left out.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"type": _qualname(type(obj))}
        for f in dataclasses.fields(obj):
            if f.repr and not f.name.startswith("_"):
                out[f.name] = describe(getattr(obj, f.name))
        return out
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return obj.name
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"array": list(obj.shape), "dtype": str(obj.dtype),
                "sha1": hashlib.sha1(np.ascontiguousarray(obj).tobytes()).hexdigest()}
    if isinstance(obj, (list, tuple)):
        return [describe(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): describe(v) for k, v in obj.items()}
    if callable(obj) and hasattr(obj, "__qualname__"):
        return _qualname(obj)
    if hasattr(obj, "__dict__"):
        out = {"type": _qualname(type(obj))}
        out.update({k: describe(v) for k, v in sorted(vars(obj).items())
                    if not k.startswith("_")})
        return out
    return repr(obj)


def _qualname(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _flat(tree, prefix="") -> dict[str, object]:
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): tree}


def check_params(out_dir: Path, method: FigureMethod, overwrite: bool = False) -> bool:
    """Compare the backend's parameters with those recorded in ``out_dir``; record them.

    Parameters
    ----------
    out_dir : path
    method : FigureMethod
    overwrite : bool
        Replace a different record instead of refusing.

    Returns
    -------
    same : bool
        True when ``out_dir`` already recorded these parameters, so its complete
        outputs may be reused; False when it recorded none (or ``overwrite``).

    Raises
    ------
    ParameterMismatchError
        The folder's results were made with other parameters (and not ``overwrite``).
    """
    path = Path(out_dir) / PARAMS_FILE
    wanted = json.loads(json.dumps(describe(method)))
    if path.exists() and not overwrite:
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))["method"]
        except (OSError, ValueError, KeyError, TypeError):
            recorded = None
        if recorded == wanted:
            return True
        if recorded is not None:
            old, new = _flat(recorded), _flat(wanted)
            diff = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}"
                             for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k))
            raise ParameterMismatchError(
                f"{out_dir} holds results made with other parameters ({diff}); use "
                "--overwrite to redo every photo with the new ones, or another --out")
    from . import __version__

    record = {"runwaycut": __version__, "method": wanted,
              "written": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_bytes_atomic(path, (json.dumps(record, indent=2) + "\n").encode())
    return False


# --------------------------------------------------------------------------- manifest


class Manifest:
    """The batch's manifest: JSON Lines, one :class:`PhotoRecord` per line, flushed per row.

    Opened for appending (resume) or anew; a line cut short by a killed run is ended
    before the next row, and :func:`read_manifest` skips it.
    """

    def __init__(self, path: str | os.PathLike, append: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists() and self.path.stat().st_size:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                cut_short = fh.read(1) != b"\n"
        else:
            cut_short = False
        self._fh = open(self.path, "a" if append else "w", encoding="utf-8")
        if cut_short:
            self._fh.write("\n")

    def write(self, record: PhotoRecord) -> None:
        self._fh.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_manifest(path: str | os.PathLike) -> list[dict]:
    """Rows of a manifest, skipping lines that are not whole JSON objects."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


#: Fields a skipped photo's row copies from the row of the run that made its files.
_CARRIED = ("method", "threshold", "figure_fraction", "width", "height")


def _previous_results(path: Path) -> dict[str, tuple]:
    """Carried fields of the last successful row per output stem in an existing manifest."""
    if not path.is_file():
        return {}
    return {row.get("output", ""): tuple(row.get(k) for k in _CARRIED)
            for row in read_manifest(path) if row.get("status") == "ok"}


# --------------------------------------------------------------------------- whole run


@dataclass(frozen=True)
class BatchSummary:
    """What a run did: counts by status, timing, where the manifest is."""

    total: int
    ok: int
    failed: int
    skipped: int
    mean_ms: float | None
    seconds: float
    photos_per_s: float | None
    manifest: str
    interrupted: bool = False

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
                   on_record: Callable[[PhotoRecord], None] | None = None) -> BatchSummary:
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
        Worker processes (default: the cores available); 1 works in this process.
        With ``scheduler='local'``, the number of Dask workers.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address, ``local`` for a LocalCluster, or a client
        (see :mod:`runwaycut.distributed`); None runs locally without Dask.
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
        settings = BatchSettings(out_dir, method, overlay, max_pixels)
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
                                    emit)
            del previous
            held: dict[int, PhotoRecord] = {}
            try:
                if scheduler is not None:
                    from .distributed import iter_dask

                    results = iter_dask(todo, settings, scheduler, workers, chunk_size)
                else:
                    results = iter_local(todo, settings, workers or default_workers())
                with contextlib.closing(results):
                    nxt = 0
                    for index, record in results:
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
                summary = BatchSummary(**tally.counts(seconds), seconds=round(seconds, 3),
                                       manifest=str(manifest_path), interrupted=interrupted)
                summary_path = manifest_path.with_name(manifest_path.stem + ".summary.json")
                write_bytes_atomic(summary_path,
                                   (json.dumps(summary.as_dict(), indent=2) + "\n").encode())
    return summary


def _plan(photos, out_dir: Path, method_name: str, overlay: bool, reuse: bool,
          previous: dict[str, tuple],
          emit: Callable[[PhotoRecord], None]) -> tuple[list[Item], list[int]]:
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
        paths = output_paths(out_dir, Path(rel), overlay)
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
