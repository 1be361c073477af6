"""One photo on several threads: the same masks, the cores shared out, BLAS kept at one."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from threadpoolctl import threadpool_info

from runwaycut.batch.params import ParameterMismatchError
from runwaycut.batch.run import run_collection
from runwaycut.batch.inputs import collect_photos
from runwaycut.batch.cores import choose_threads, choose_workers
from runwaycut.garment.items_outputs import ItemsMethod
from runwaycut.io import read_image
from runwaycut.methods import get_method
from runwaycut.methods.threads import photo_threads, with_threads

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "photos"


@given(n=st.integers(0, 400), cores=st.integers(1, 64))
def test_default_workers_and_threads_fill_the_cores_without_oversubscribing(n, cores):
    workers = choose_workers(n, cores=cores)
    threads = choose_threads(workers, cores=cores)
    assert workers * threads <= cores
    assert workers * threads > cores - workers  # at most one core a worker left idle


def test_a_method_on_more_threads_is_a_fresh_copy_with_the_same_masks(auto):
    image = read_image(EXAMPLES / "0087.jpg")
    twin = with_threads(auto, 2)
    assert twin is not auto and twin._person.segmenter.num_threads == 2
    assert auto._person.segmenter.num_threads == 1  # the original is left as it was
    one = auto.predict(image)
    with photo_threads(2):
        two = twin.predict(image)
    assert one.mask.any() and np.array_equal(one.mask, two.mask)
    assert np.array_equal(one.alpha, two.alpha)
    palette = get_method("palette")
    assert with_threads(palette, 4) is palette  # no neural model: nothing to change


def test_items_on_more_threads_keep_one_figure_backend_for_both_steps(auto):
    items = ItemsMethod(auto)
    twin = with_threads(items, 2)
    assert twin.figure is twin.garment.figure  # loaded once, by the garment step
    assert twin.figure._person.segmenter.num_threads == 2
    assert items.figure is auto and items.garment.figure is auto


def test_photo_threads_give_opencv_the_threads_and_keep_blas_at_one():
    before = cv2.getNumThreads()
    with photo_threads(3):
        assert cv2.getNumThreads() == 3
        blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(n == 1 for n in blas)
    assert cv2.getNumThreads() == before


def test_a_run_on_spare_cores_records_its_threads_and_resumes_a_one_thread_run(tmp_path):
    photos = collect_photos([EXAMPLES])
    person = get_method("person")
    first = run_collection(photos, tmp_path, person, workers=1)
    assert first.ok == 3 and first.threads == 1
    again = run_collection(photos, tmp_path, person, workers=None)
    # Threads are not a parameter of the results: the same masks, so nothing is redone.
    assert again.skipped == 3 and again.ok == 0
    fresh = run_collection(photos, tmp_path / "fresh", person, workers=None)
    assert fresh.ok == 3 and fresh.threads == choose_threads(1)
    saved = json.loads((tmp_path / "fresh" / "manifest.summary.json").read_text())
    assert saved["threads"] == fresh.threads
    for name in ("0087", "0111", "0367"):
        assert (cv2.imread(str(tmp_path / f"{name}.mask.png"), cv2.IMREAD_GRAYSCALE) ==
                cv2.imread(str(tmp_path / "fresh" / f"{name}.mask.png"),
                           cv2.IMREAD_GRAYSCALE)).all()


def test_a_service_worker_on_spare_cores_cuts_the_same_mask():
    """``serve -j 1`` on two cores: the worker's neural models get both (the pool's
    ``threads``), and its cut is the one-thread worker's, byte for byte."""
    import asyncio

    from runwaycut.serve.pool import WorkerPool
    from runwaycut.serve.request import CutRequest

    data = (EXAMPLES / "0111.jpg").read_bytes()

    async def cut(threads: int) -> bytes:
        pool = WorkerPool(1, 0, 4_000_000, threads=threads)
        try:
            await pool.start()
            answer = await pool.cut(data, "0111.jpg", CutRequest(method="auto", output="mask"))
            return answer.body
        finally:
            pool.close()

    assert asyncio.run(cut(2)) == asyncio.run(cut(1))


def test_a_folder_made_on_one_thread_resumes_with_a_backend_on_more(tmp_path):
    """How many threads the models ran on is not a parameter of the results: a library
    user's backend on 2 threads reuses a folder made on one; another threshold does not."""
    photos = collect_photos([EXAMPLES])
    assert run_collection(photos, tmp_path, get_method("person"), workers=1).ok == 3
    again = run_collection(photos, tmp_path, get_method("person", num_threads=2), workers=1)
    assert again.skipped == 3
    with pytest.raises(ParameterMismatchError, match="threshold"):
        run_collection(photos, tmp_path, get_method("person", threshold=0.7), workers=1)


def test_the_summary_line_says_how_many_threads_a_few_photos_ran_on(tmp_path):
    from typer.testing import CliRunner

    from runwaycut.cli import app

    result = CliRunner().invoke(app, ["remove", str(EXAMPLES), "-o", str(tmp_path),
                                      "--method", "person"])
    assert result.exit_code == 0, result.output
    threads = choose_threads(1)
    line = " ".join(result.output.split())
    assert ("with 1 worker on %d threads)" % threads if threads > 1
            else "with 1 worker)") in line
    saved = json.loads((tmp_path / "manifest.summary.json").read_text())
    assert saved["workers"] == 1 and saved["threads"] == threads
