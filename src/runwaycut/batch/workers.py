"""Running many photos: in this process or in worker processes, each predicting on one
thread while a second one decodes, encodes and writes (:func:`iter_overlapped`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..errors import DiskFullError
from ..io import MAX_PIXELS
from ..methods import FigureMethod
from ..methods.threads import photo_threads
from .cores import default_workers, keep_freed_memory, single_threaded
from .photo import PhotoRecord, PredictedPhoto, predict_photo, read_photo, write_photo

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

#: Name of the file, inside the output folder, recording the parameters of its results.


# --------------------------------------------------------------------------- running many


@dataclass(frozen=True)
class BatchSettings:
    """What every worker needs besides the photos: sent to each worker once."""

    out_dir: Path
    method: FigureMethod
    overlay: bool = False
    max_pixels: int = MAX_PIXELS
    image_format: str = "png"
    #: Threads of a worker's neural models and OpenCV (``method`` already runs on them).
    threads: int = 1


#: One unit of work: (position in the batch, absolute photo path, output stem, posix).
Item = tuple[int, str, str]


def process_item(item: Item, settings: BatchSettings) -> tuple[int, PhotoRecord]:
    """:func:`process_photo` for one work item; a bug in a backend fails the photo, not the batch."""
    return write_item(*predict_item(item, settings), settings)


def predict_item(item: Item, settings: BatchSettings,
                 read_ahead=None) -> tuple[int, PredictedPhoto]:
    """:func:`predict_photo` for one work item (a backend's bug fails the photo)."""
    index, path, rel = item
    try:
        photo = predict_photo(Path(path), Path(rel), settings.out_dir, settings.method,
                              settings.overlay, max_pixels=settings.max_pixels,
                              image_format=settings.image_format, read_ahead=read_ahead)
    except DiskFullError:
        raise  # the batch stops: every later photo would fail the same way
    except Exception as exc:  # noqa: BLE001 - one photo must not stop a million
        photo = PredictedPhoto(_internal_error(path, rel, settings, exc), {}, {}, 0.0)
    return index, photo


def write_item(index: int, photo: PredictedPhoto,
               settings: BatchSettings) -> tuple[int, PhotoRecord]:
    """:func:`write_photo` for one work item (a bug in encoding fails the photo)."""
    try:
        record = write_photo(photo)
    except DiskFullError:
        raise
    except KeyboardInterrupt as stop:  # after the photo's writes: its row goes with it
        if getattr(stop, "finished_record", None) is not None:
            stop.finished_item = (index, stop.finished_record)
        raise
    except Exception as exc:  # noqa: BLE001
        record = _internal_error(photo.record.path, photo.record.output, settings, exc)
    return index, record


def _internal_error(path: str, rel: str, settings: BatchSettings, exc: Exception) -> PhotoRecord:
    return PhotoRecord(path=path, status="failed", method=settings.method.name,
                       error=f"{path}: internal error: {type(exc).__name__}: {exc}", output=rel)


#: Photos larger than this (pixels) are not overlapped: their files are written before
#: the next photo starts, and the next is not read ahead. A photo waiting to be written
#: holds its results (about 12 bytes a pixel with ``auto``) while the next one's
#: ``predict`` peaks (about 20 more): on four 24-megapixel photos, overlapped, a batch
#: took 13.0 s instead of 16.4 s and 841 MB of peak memory instead of 772; at the
#: reader's 100-megapixel limit the worst case would be over a gigabyte more.
OVERLAP_MAX_PIXELS = 40_000_000


def iter_overlapped(items: list[Item], settings: BatchSettings
                    ) -> Iterator[tuple[int, PhotoRecord]]:
    """Process work items in order in this process, each photo's files encoded and
    written on a second thread while this one predicts the next photo, which that
    thread has read and decoded meanwhile.

    Decoding (libjpeg) and encoding (PNG's zlib, WebP) release the GIL, so on two cores
    they cost the batch no time; on one they cost what they did. At most one photo
    waits to be written and one is read ahead; after a photo over
    :data:`OVERLAP_MAX_PIXELS`, neither (memory stays that of one photo, as without the
    second thread). A Ctrl-C lets the photo being written finish: its row travels with
    the exception (``finished_item``), as with :func:`process_item`; a full disk met
    while writing stops the batch at that photo.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="runwaycut-writer") as writer:
        def read_ahead(position: int):
            if position >= len(items):
                return None
            return writer.submit(read_photo, items[position][1], settings.max_pixels)

        pending = None
        ahead = read_ahead(0)
        small = True  # the last photo predicted was small enough to overlap
        try:
            for position, item in enumerate(items):
                # The next photo is read before this one's files are written (the
                # thread takes its work in order), so that photo never waits for them.
                read, ahead = ahead, read_ahead(position + 1) if small else None
                index, predicted = predict_item(item, settings, read)
                if pending is not None:
                    done, pending = pending.result(), None
                    yield done
                pending = writer.submit(write_item, index, predicted, settings)
                record = predicted.record
                small = (record.width or 0) * (record.height or 0) <= OVERLAP_MAX_PIXELS
                if not small:  # written now: its results go before the next photo's
                    done, pending = pending.result(), None
                    yield done
            if pending is not None:
                done, pending = pending.result(), None
                yield done
        except KeyboardInterrupt as stop:
            if pending is not None:  # its writes run to their end: its row is true
                stop.finished_item = pending.result()
            raise


def load_models(method) -> None:
    """Load a backend's models now, where it has a ``load()`` (else they load on the
    first photo). A failure is left for that photo to meet and report."""
    load = getattr(method, "load", None)
    if load is None:
        return
    try:
        load()
    except Exception:  # noqa: BLE001 - the photo's predict raises it again, with its name
        pass


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
    the BLAS pools limited to 1 meanwhile), as each worker process does, and a second
    thread encodes and writes each photo's files meanwhile (:func:`iter_overlapped`).
    Where ``settings.threads`` is more (the cores a run of few photos leaves idle:
    :func:`runwaycut.batch.cores.choose_threads`), OpenCV and the backend's neural
    models take that many; the BLAS pools stay at one.
    """
    if workers <= 1:
        keep_freed_memory()
        with photo_threads(settings.threads):
            if items:
                load_models(settings.method)
            yield from iter_overlapped(items, settings)
    elif len(items) <= 1:  # not worth a pool: here, thread pools as they are
        for item in items:
            yield process_item(item, settings)
    else:
        yield from _iter_pool(items, settings, workers)


_CRASH_LIMIT = 10  # photos in a row that kill their worker before the batch gives up


def local_chunk_size(n_items: int, workers: int) -> int:
    """Photos per task sent to a worker process, when ``n_items`` are left: about four
    tasks per worker among what is left, 1 to 8.

    A few photos per task spare the parent one round trip each; as the work runs out
    the tasks shrink to single photos, so that no worker idles while another finishes
    a long task (guided self-scheduling)."""
    return max(1, min(8, n_items // (4 * max(1, workers))))


def _chunks(items: list, workers: int) -> list[list]:
    """``items`` cut into tasks of :func:`local_chunk_size` for what is left at each cut."""
    chunks, start = [], 0
    while start < len(items):
        size = local_chunk_size(len(items) - start, workers)
        chunks.append(items[start:start + size])
        start += size
    return chunks


def _iter_pool(items, settings, workers) -> Iterator[tuple[int, PhotoRecord]]:
    # Imported here: the process pool (and multiprocessing) cost a one-process run,
    # one photo or -j 1, 16 ms of start-up for nothing.
    from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor

    queue = deque(_chunks(items, workers))
    suspects: deque = deque()  # photos of a chunk whose worker died, to rerun one by one
    crashes_in_row = 0
    while queue or suspects:
        solo = bool(suspects)
        n = 1 if solo else min(workers, len(queue))
        window = 1 if solo else 2 * n  # a suspect runs alone, so a crash names it
        # A writer thread a worker only where the workers leave a core for them.
        overlap = n * settings.threads < default_workers()
        pool = ProcessPoolExecutor(n, mp_context=_mp_context(), initializer=_init_worker,
                                   initargs=(settings, os.getpid(), overlap))
        inflight: dict = {}
        clean = False
        try:
            while (suspects if solo else queue) or inflight:
                while len(inflight) < window and (suspects if solo else queue):
                    chunk = [suspects.popleft()] if solo else queue.popleft()
                    with _stop_signals_blocked():  # a submit may start a worker
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


_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def _stop_signals_blocked():
    """Block Ctrl-C and SIGTERM in this thread while worker processes may start.

    A worker inherits the blocked mask (through fork and exec alike), so a Ctrl-C sent
    to the whole process group while it is still importing stays pending until
    :func:`_init_worker` has set its handlers, instead of printing a
    ``KeyboardInterrupt`` traceback from the worker's start-up. Here the signal is
    acted on as soon as the block ends."""
    if not hasattr(signal, "pthread_sigmask") or (threading.current_thread()
                                                  is not threading.main_thread()):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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


def _native_threads() -> int | None:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


#: Native threads once NumPy and OpenCV are imported, before any image work: the idle
#: pools their OpenBLAS libraries start at import (as many as the cores, less one).
#: OpenBLAS stops its pool around a fork (``pthread_atfork``), so these are safe.
_IMPORT_THREADS = _native_threads()


def _openblas_pool_threads() -> int:
    """Worker threads of the OpenBLAS pools loaded now (each pool: its thread count less
    the caller's). SciPy brings its own OpenBLAS, whose pool starts when it loads: the
    garment and item steps import it (scikit-image's regions and colour differences)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - a declared dependency
        return 0
    return sum(max(0, int(pool.get("num_threads") or 1) - 1) for pool in threadpool_info()
               if pool.get("internal_api") == "openblas")


def _single_threaded() -> bool:
    """Whether this process runs no thread but the main one and idle OpenBLAS pools
    (those at import, :data:`_IMPORT_THREADS`, or every loaded one's), native ones
    included.

    ``threading.active_count()`` sees only Python threads; OpenCV's, LiteRT's and
    onnxruntime's pools are native threads, started by the first parallel call (by
    onnxruntime's import), and a child forked while they exist can wait forever on a
    lock or a pool that it did not inherit (seen in the test suite)."""
    now = _native_threads()
    if now is None or _IMPORT_THREADS is None or threading.active_count() != 1:
        return False
    return now <= _IMPORT_THREADS or now <= 1 + _openblas_pool_threads()


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
    # Let the pool's manager thread see its workers gone and close its pipes now: left
    # running into interpreter exit, its clean-up races the exit hook that wakes it
    # ("Exception ignored in: <module 'threading'> ... Bad file descriptor").
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        with contextlib.suppress(Exception):
            manager.join(5)


_WORKER: dict = {}


def _init_worker(settings: BatchSettings, parent: int, overlap: bool = True) -> None:
    """Runs once in each worker process; ``parent`` is the pid of the process it serves,
    ``overlap`` whether its photos' files are written on a second thread (:func:`_work`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked child inherits the parent's
    single_threaded(settings.threads)
    load_models(settings.method)  # before the first photo, whose time is then its own
    _WORKER["settings"] = settings
    _WORKER["overlap"] = overlap
    _WORKER["busy"] = False
    _die_with_parent()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="runwaycut-parent-watch").start()
    # Last: a SIGTERM before this point kills the worker the default way, silently.
    _install_stop_handlers()
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent while it started us
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


#: Seconds a worker whose parent died has to finish unwinding (its photo's writes, its
#: temporary files removed) before it quits regardless: a read or a write that hangs
#: (a stalled network disk) must not keep an orphan alive.
ORPHAN_GRACE = 5.0


def _watch_parent(parent: int, every: float = 0.25) -> None:
    """Quit (through SIGTERM, so temporary files go) once the parent process is gone;
    still here :data:`ORPHAN_GRACE` seconds later, quit at once."""
    while os.getppid() == parent:
        time.sleep(every)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ORPHAN_GRACE)
    os._exit(128 + signal.SIGTERM)


def _on_sigterm(signum, frame):
    """In a photo: unwind (``write_bytes_atomic`` removes its temporary file), then quit
    in :func:`_work`. Between photos: quit at once. Later SIGTERMs (the pool's own
    clean-up sends one too) are ignored, so they cannot cut the unwinding short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _WORKER.get("busy"):
        _WORKER["stopping"] = signum
        raise SystemExit(128 + signum)
    os._exit(128 + signum)


def _install_stop_handlers() -> None:
    """SIGTERM stops a worker: :func:`_on_sigterm`, and :func:`_stop_again` for the
    SIGTERM that lands where its SystemExit cannot propagate."""
    sys.unraisablehook = _stop_again
    signal.signal(signal.SIGTERM, _on_sigterm)


def _stop_again(unraisable) -> None:
    """A worker's ``sys.unraisablehook``. A SIGTERM that lands in a weakref callback or a
    ``__del__`` raises its SystemExit where Python cannot propagate it: Python would print
    it as "Exception ignored" and the worker, SIGTERM now ignored, would run on. It is
    delivered again a moment later instead, where it unwinds the photo; anything else is
    printed as Python prints it."""
    signum = _WORKER.get("stopping")
    if signum and isinstance(unraisable.exc_value, SystemExit):
        signal.signal(signal.SIGTERM, _on_sigterm)
        threading.Timer(0.01, os.kill, (os.getpid(), signum)).start()
        return
    sys.__unraisablehook__(unraisable)


def _work(chunk: list[Item]) -> list[tuple[int, PhotoRecord]]:
    """A task of a worker process: its photos, each one's files written on a second
    thread while the next is predicted (:func:`iter_overlapped`), as ``-j 1`` does,
    where the workers leave a core free; else each photo's files are written before
    the next starts.

    Workers that fill the cores gain nothing from a second thread each: it only takes
    turns with the other workers' (``-j 2`` on 80 photos on 2 cores: 2.68 to 2.73 s
    written in turn, 2.79 to 2.83 s overlapped, 1.5% more CPU)."""
    results = []
    settings = _WORKER["settings"]
    try:
        _WORKER["busy"] = True
        if _WORKER.get("overlap", True):
            results.extend(iter_overlapped(chunk, settings))
        else:
            results.extend(process_item(item, settings) for item in chunk)
    except SystemExit:  # SIGTERM: the photo being written was finished first
        os._exit(143)
    finally:
        _WORKER["busy"] = False
    return results


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
