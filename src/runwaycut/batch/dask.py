"""A batch on a Dask cluster: the same photos, outputs and manifest as a local run.

The client (the machine running ``runwaycut remove --scheduler ADDRESS``) collects the
photos, checks what is already done, and writes the manifest; Dask workers read the
photos and write the output files. Photos travel to the workers in chunks (one task
per chunk) and their records come back to the client, which writes the manifest rows
in input order, exactly as :func:`runwaycut.batch.run_collection` does for a local run.

Requirements on a real cluster: every worker has runwaycut (same version) installed,
and sees the photos and the output folder at the same absolute paths as the client
(a shared file system).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import pickle
import sys
import threading
from collections import deque
from typing import Iterator

from ..errors import DiskFullError
from .cores import single_threaded
from .workers import BatchSettings, Item, process_item
from .photo import PhotoRecord

#: Chunks in flight per worker thread: enough to keep workers busy, few enough that a
#: million photos never become a million futures at once.
_CHUNKS_PER_THREAD = 4


def default_chunk_size(n_photos: int, n_threads: int) -> int:
    """Photos per task: about four tasks per worker thread, between 1 and 64."""
    if n_photos <= 0:
        return 1
    return max(1, min(64, math.ceil(n_photos / (4 * max(1, n_threads)))))


#: Settings already unpickled in this worker process, by token (a few at most).
_SETTINGS: dict[str, BatchSettings] = {}
_SETTINGS_LOCK = threading.Lock()


def run_chunk(token: str, blob: bytes, chunk: list[Item],
              client_pid: int | None = None) -> list[tuple[int, PhotoRecord]]:
    """Dask task: process one chunk of photos on a worker.

    ``blob`` is the pickled :class:`~runwaycut.batch.BatchSettings` and ``token`` its
    digest. The settings are unpickled once per worker process and kept under the
    token, so all chunks on a worker share one backend object: a backend that loads
    its model lazily loads it once per worker, not once per chunk. (Each task carries
    the blob rather than a scattered copy, so a worker's death loses nothing.) In a
    worker process other than the client's (``client_pid``), OpenCV and BLAS are
    limited to one thread, as in local worker processes.
    """
    with _SETTINGS_LOCK:
        settings = _SETTINGS.get(token)
        if settings is None:
            if len(_SETTINGS) >= 4:
                _SETTINGS.clear()
            settings = _SETTINGS[token] = pickle.loads(blob)
    if os.getpid() != client_pid:
        single_threaded()
        _undo_malloc_trim()
    return [process_item(item, settings) for item in chunk]


_malloc_tuned = False


def _undo_malloc_trim() -> None:
    """Give large arrays back the heap in Dask worker processes (glibc only, once).

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also turns
    off glibc's adaptive mmap threshold: every photo-sized array is then mmapped and
    page-faulted afresh, which measured 2-3x slower per photo here. Fixed thresholds
    (32 MiB mmap, 256 MiB trim) restore the heap's reuse of those arrays.
    """
    global _malloc_tuned
    if _malloc_tuned or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _malloc_tuned = True
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 32 << 20)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


@contextlib.contextmanager
def connect(scheduler: str, workers: int | None = None):
    """A Dask client for ``scheduler``: an address, or ``local`` for a new LocalCluster.

    Parameters
    ----------
    scheduler : str
        ``tcp://host:8786`` (or any address ``distributed.Client`` accepts), or
        ``local`` to start a LocalCluster of ``workers`` single-threaded processes.
    workers : int, optional
        LocalCluster size (default: the cores available). Ignored for an address.

    Yields
    ------
    client : distributed.Client
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise RuntimeError("--scheduler needs dask[distributed]: pip install "
                           "'dask[distributed]'") from exc
    if scheduler == "local":
        from .cores import default_workers

        # No dashboard, and the scheduler's small HTTP server on a free port, so that
        # several local runs never fight over port 8787.
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": ":0"},
                               silence_logs=logging.ERROR)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
    else:
        with Client(scheduler) as client:
            yield client


def iter_dask(items: list[Item], settings: BatchSettings, scheduler="local",
              workers: int | None = None, chunk_size: int | None = None,
              client=None) -> Iterator[tuple[int, PhotoRecord]]:
    """Process work items on a Dask cluster, yielding ``(index, record)`` as chunks finish.

    Parameters
    ----------
    items : list of (index, absolute path, output stem)
        Work items, as :func:`runwaycut.batch.iter_local` takes them.
    settings : BatchSettings
        Output folder (absolute, seen by the workers), backend and options.
    scheduler : str or distributed.Client
        Address or ``local`` (see :func:`connect`), or a client to use (left open).
    workers : int, optional
        LocalCluster size for ``scheduler='local'``.
    chunk_size : int, optional
        Photos per task (default :func:`default_chunk_size`).
    client : distributed.Client, optional
        Same as passing it as ``scheduler``.

    Notes
    -----
    At most four chunks per worker thread are in flight, so a million photos never
    become a million futures. A chunk whose task fails (a worker died on it, after
    Dask's own retries) is split and its photos are rerun one at a time, alone on the
    cluster, so that only the photo that kills a worker is recorded as failed.
    On Ctrl-C (or any exception in the caller) the remaining tasks are cancelled and a
    LocalCluster is closed; chunks already running on remote workers finish their
    current photos, whose files are written atomically.
    """
    if not items:
        return
    if client is None and not isinstance(scheduler, str):
        client = scheduler
    if client is None:
        with connect(scheduler, workers) as own:
            yield from iter_dask(items, settings, chunk_size=chunk_size, client=own)
        return
    from distributed import as_completed

    threads = sum(client.nthreads().values()) or 1
    size = chunk_size or default_chunk_size(len(items), threads)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    blob = pickle.dumps(settings)
    token = hashlib.sha1(blob).hexdigest()
    pending, suspects = deque(chunks), deque()
    inflight: dict = {}  # future -> (chunk, run alone?)
    limit = _CHUNKS_PER_THREAD * threads

    def submit_more() -> list:
        new = []
        if suspects:  # isolate: a suspect photo runs alone, so a crash names it
            if not inflight:
                chunk = [suspects.popleft()]
                new.append(client.submit(run_chunk, token, blob, chunk, os.getpid(), pure=False))
                inflight[new[-1]] = (chunk, True)
        else:
            while pending and len(inflight) < limit:
                chunk = pending.popleft()
                new.append(client.submit(run_chunk, token, blob, chunk, os.getpid(), pure=False))
                inflight[new[-1]] = (chunk, False)
        return new

    window = as_completed(submit_more())
    try:
        for fut in window:
            chunk, alone = inflight.pop(fut)
            try:
                results = fut.result()
            except DiskFullError:
                raise  # the run stops: every later photo would fail the same way
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: a worker died
                if not alone:  # find the culprit: these photos one at a time
                    suspects.extend(chunk)
                    results = []
                else:
                    index, path, rel = chunk[0]
                    results = [(index, PhotoRecord(
                        path=path, status="failed", method=settings.method.name, output=rel,
                        error=f"{path}: the Dask task failed on this photo alone "
                              f"({type(exc).__name__}: {exc})"))]
            fut.release()
            for new in submit_more():
                window.add(new)
            yield from results
    finally:
        if inflight:
            client.cancel(list(inflight))


__all__ = ["connect", "default_chunk_size", "iter_dask", "run_chunk"]
