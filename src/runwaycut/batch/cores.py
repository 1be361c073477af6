"""How a run uses the machine: worker processes and threads for the work at hand, one
thread where the workers are the parallelism, and freed memory kept between photos."""

from __future__ import annotations

import os
import sys

import cv2

from ..methods.threads import photo_threads


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


#: Photos a worker process should have ahead of it to pay for its start-up (a fork or a
#: fresh interpreter, and its models loaded: 0.1 to 0.6 s, one to five photos of auto).
PHOTOS_PER_WORKER = 8


def choose_workers(n_photos: int, cores: int | None = None) -> int:
    """Worker processes for ``n_photos`` when the user named none: one per core, but no
    more than one per :data:`PHOTOS_PER_WORKER` photos; 1 (this process) for a few.

    Examples
    --------
    >>> choose_workers(3, cores=8), choose_workers(20, cores=8), choose_workers(500, cores=8)
    (1, 2, 8)
    """
    cores = default_workers() if cores is None else cores
    return max(1, min(cores, n_photos // PHOTOS_PER_WORKER))


def choose_threads(workers: int | None, cores: int | None = None) -> int:
    """Threads for each of ``workers`` workers: the cores they would leave idle shared
    out (a run of fewer photos than :data:`PHOTOS_PER_WORKER` a core).

    Only the neural models and OpenCV take them (:func:`photo_threads`); the photo's
    other steps run on one. On two cores, ``auto`` on one photo at a time took 41 ms
    instead of 55 with two threads, and 10 photos 0.71 s instead of 0.86 end to end.

    Examples
    --------
    >>> choose_threads(1, cores=2), choose_threads(2, cores=8), choose_threads(8, cores=8)
    (2, 4, 1)
    """
    cores = default_workers() if cores is None else cores
    return max(1, cores // max(1, workers or 1))


def single_threaded(threads: int = 1) -> None:
    """One thread per worker: the workers are the parallelism, so OpenCV's and the
    BLAS/OpenMP thread pools would only oversubscribe the cores. OpenCV gets
    ``threads`` where the workers leave cores idle (:func:`choose_threads`); the BLAS
    pools stay at one (see :func:`~runwaycut.methods.threads.photo_threads`). Also keeps
    the memory freed between photos (:func:`keep_freed_memory`): a worker's photos are
    alike."""
    keep_freed_memory()
    cv2.setNumThreads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with scikit-learn
        return
    threadpool_limits(1)


#: glibc's ``mallopt`` parameters: blocks below the first come from the heap, and free
#: heap up to the second is kept (glibc's defaults: 128 KiB, adapting up to 32 MiB).
HEAP_SETTINGS = {-3: 16 << 20, -1: 32 << 20}  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD


def keep_freed_memory() -> bool:
    """Let this process keep the memory it frees, for the next photo (glibc only).

    A photo allocates and frees the same temporaries as the one before it: arrays of
    one to a few MB, which glibc's malloc maps and unmaps one by one, so that the next
    photo takes them back from the kernel page by page (about 8,000 page faults a 550 x
    832 photo of ``auto``, some 15 ms of system time, a tenth of the photo's CPU time).
    With blocks up to 16 MiB served from the heap and up to 32 MiB of free heap kept,
    a batch of 20 photos takes 32,000 page faults instead of 129,000. Larger blocks
    (very large photos) are still given back at once. A process-wide setting, for
    processes that work through photos (batch workers, ``remove -j 1``); elsewhere
    (not glibc) nothing changes.

    Returns
    -------
    applied : bool
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc (musl...)
        return False
    return all(mallopt(param, value) == 1 for param, value in HEAP_SETTINGS.items())


def one_thread():
    """:func:`single_threaded` for a while in this process, then the thread pools as before
    (:func:`~runwaycut.methods.threads.photo_threads` on one thread)."""
    return photo_threads(1)
