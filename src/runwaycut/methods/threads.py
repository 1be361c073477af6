"""One photo at a time on several threads (a service's case), instead of one thread per
photo with one photo per core (a batch's case).

Batches parallelise over photos: each worker runs one thread. A service answering one
request at a time has idle cores instead; there the neural models (LiteRT's XNNPACK
delegate), OpenCV's filters and the BLAS under NumPy may each use several threads:

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


@contextlib.contextmanager
def photo_threads(threads: int | None = None):
    """Let OpenCV and the BLAS pools use ``threads`` threads for a while (default: the
    cores available), then restore what they had.

    OpenCV's thread count is process-wide: use this around one photo's ``predict`` in a
    process that handles one photo at a time, not in batch workers.
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
        limits = threadpool_limits(threads)
    try:
        with limits:
            yield threads
    finally:
        cv2.setNumThreads(before)


__all__ = ["available_threads", "photo_threads", "single_photo_method"]
