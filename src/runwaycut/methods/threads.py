"""One photo at a time on several threads (a service's case), instead of one thread per
photo with one photo per core (a batch's case).

Batches parallelise over photos: each worker runs one thread, or more where a run has
fewer photos than cores to keep busy (:func:`with_threads`). A photo alone (a service
answering one request at a time) has idle cores instead; there the neural models
(LiteRT's XNNPACK delegate) and OpenCV's filters may use several threads:

    >>> from runwaycut.methods.threads import photo_threads, single_photo_method
    >>> method = single_photo_method("auto", threads=4)       # doctest: +SKIP
    >>> with photo_threads(4):                                 # doctest: +SKIP
    ...     result = method.predict(image)

``benchmarks/bench_speed.py`` measures the latency gain.
"""

from __future__ import annotations

import contextlib
import os

from .base import FigureMethod


def available_threads() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def single_photo_method(name: str = "auto", threads: int | None = None,
                        **options) -> FigureMethod:
    """A figure backend whose neural models run on ``threads`` CPU threads.

    Parameters
    ----------
    name : str
        A backend of :data:`runwaycut.methods.METHODS`.
    threads : int, optional
        Threads per neural model (default: the cores available). Backends without
        neural models (``palette``) ignore it.
    **options
        The backend's other options.

    Returns
    -------
    method : FigureMethod
        Its models are loaded already (where it has any).
    """
    from . import get_method

    threads = available_threads() if threads is None else int(threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if name != "palette":
        options.setdefault("num_threads", threads)
    method = get_method(name, **options)
    load = getattr(method, "load", None)
    if load is not None:
        load()
    return method


def with_threads(method: FigureMethod, threads: int) -> FigureMethod:
    """``method`` with its neural models on ``threads`` CPU threads each.

    A copy whose models load afresh (on first use or ``load()``), where the backend
    has any (its ``with_threads``); ``method`` itself otherwise. The masks are the
    same: the models split their work by output tiles, not sums (20 photos, ``auto``
    on 1 and 2 threads: identical masks and mattes).

    Parameters
    ----------
    method : FigureMethod
        Any backend, or a ``--target`` wrapper of one.
    threads : int
        At least 1.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    change = getattr(method, "with_threads", None)
    return method if change is None else change(int(threads))


@contextlib.contextmanager
def photo_threads(threads: int | None = None):
    """Let OpenCV use ``threads`` threads for a while (default: the cores available),
    the BLAS pools one, then restore what they had.

    OpenCV's thread count is process-wide: use this around one photo's ``predict`` in a
    process that handles one photo at a time, not in batch workers.

    Notes
    -----
    The BLAS pools stay at one thread: ``auto``'s few small matrix products gain
    nothing from more, and OpenBLAS's threads wait for work by spinning, taking the
    cores that LiteRT's threads need. With two of each on two cores, ``auto`` took 60
    ms a photo instead of 40 (``benchmarks/bench_speed.py``, section 5).
    """
    import cv2

    threads = available_threads() if threads is None else int(threads)
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(1)
    try:
        with limits:
            yield threads
    finally:
        cv2.setNumThreads(before)


__all__ = ["available_threads", "photo_threads", "single_photo_method", "with_threads"]
