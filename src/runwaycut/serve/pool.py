"""Worker processes for the service: models loaded once each, a bounded queue.

The event loop never runs a cut: each goes to one of N worker processes (one thread
each, as ``runwaycut remove -j N``, or the spare cores' share where N is fewer than
the cores). A worker warms the figure backends when it starts
(the person models' interpreters are loaded then, not on a client's first request).
At most ``workers + queue`` cuts are admitted at once; beyond that :meth:`submit`
says no at once, and the service answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from ..batch.cores import single_threaded
from ..garment.items_model import load_item_net
from ..methods import METHODS
from .cut import CutAnswer, cut_photo
from .request import CutRequest, build_backend, use_threads


class QueueFullError(RuntimeError):
    """Every worker is busy and the queue is full; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"the server is busy: every worker is working and {retry_after} s "
                         "of work is queued; retry later")
        self.retry_after = retry_after


class WorkerDiedError(RuntimeError):
    """A worker process died on a photo (it is replaced)."""


class WorkerPool:
    """N worker processes behind an admission count.

    Parameters
    ----------
    workers : int
        Worker processes.
    queue : int
        Cuts that may wait for a worker beyond the N running ones.
    max_pixels : int
        Decompression-bomb guard passed to every cut.
    threads : int
        Threads of each worker's neural models and OpenCV: 1 where the workers fill the
        cores, the spare cores shared out where they are fewer
        (:func:`runwaycut.batch.cores.choose_threads`), so that one cut at a time is
        faster.
    """

    def __init__(self, workers: int, queue: int, max_pixels: int, threads: int = 1):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if queue < 0:
            raise ValueError(f"queue must be 0 or more, got {queue}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.workers = workers
        self.threads = threads
        self.capacity = workers + queue
        self.max_pixels = max_pixels
        self.admitted = 0
        self.done = 0
        self._mean_s = 0.5  # running mean service time, for Retry-After
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        # spawn: the server process runs native threads (OpenCV, LiteRT) a fork would copy.
        return ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                   initializer=_init_worker,
                                   initargs=(os.getpid(), self.threads))

    async def start(self) -> list[str]:
        """Start every worker and wait until each has loaded its models; the method
        names loaded."""
        loop = asyncio.get_running_loop()
        # Submitted together, the N warm-ups start N processes (none is idle yet).
        answers = await asyncio.gather(*[loop.run_in_executor(self._executor, _warm_up, 0.2)
                                         for _ in range(self.workers)])
        return answers[0]

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queued work spread over the workers."""
        waiting = max(1, self.admitted - self.workers + 1)
        return max(1, math.ceil(waiting * self._mean_s / self.workers))

    async def cut(self, data: bytes, filename: str, request: CutRequest) -> CutAnswer:
        """Cut one photo in a worker.

        Raises
        ------
        QueueFullError
            At once, without queueing, when ``capacity`` cuts are already admitted.
        WorkerDiedError
            The worker process died on this photo.
        BadPhotoError, RunwaycutError, ValueError
            As :func:`runwaycut.serve.cut.cut_photo`.
        """
        if self.admitted >= self.capacity:
            raise QueueFullError(self.retry_after())
        self.admitted += 1
        start = time.perf_counter()
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(
                executor, _cut, data, filename, request, self.max_pixels)
        except BrokenProcessPool:
            if executor is self._executor:  # the first to notice replaces the pool
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
            raise WorkerDiedError(f"{filename}: a worker process died on this photo "
                                  "(out of memory?); it was replaced") from None
        finally:
            self.admitted -= 1
            self.done += 1
            self._mean_s += (time.perf_counter() - start - self._mean_s) / min(self.done, 20)

    def close(self) -> None:
        """Let running cuts finish, then stop the workers."""
        self._executor.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------- in a worker

def _init_worker(parent: int, threads: int = 1) -> None:
    """Runs once in each worker: its threads, quit with the server, models loaded."""
    # Out of the server's process group: a Ctrl-C or SIGTERM sent to the group reaches
    # the server alone, which lets running cuts finish and then closes the pool.
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    single_threaded(threads)
    if threads > 1:
        use_threads(threads)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="runwaycut-parent-watch").start()
    for name in METHODS:  # the person models load here, once per worker
        build_backend(CutRequest(method=name)).predict(_WARM_UP_PHOTO)
    load_item_net().load()  # and the item network's session (garment and items targets)


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """Quit once the server process is gone (a killed server leaves no worker behind)."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


#: A small synthetic photo (a dark figure on a light backdrop) to warm the backends on.
_WARM_UP_PHOTO = np.full((128, 96, 3), 220, np.uint8)
_WARM_UP_PHOTO[24:120, 32:64] = (60, 40, 90)


def _warm_up(pause: float) -> list[str]:
    time.sleep(pause)  # hold this worker so that the other warm-ups start other workers
    return list(METHODS)


def _cut(data: bytes, filename: str, request: CutRequest, max_pixels: int) -> CutAnswer:
    return cut_photo(data, filename, request, max_pixels=max_pixels)
