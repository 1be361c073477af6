"""A photo's output files (PNG settings, ``--format webp``) and how many workers a run
starts (issue 14)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from typer.testing import CliRunner

from runwaycut.batch.outputs import cutout_pixels, encode_cutout, encode_mask, encode_rgb
from runwaycut.batch.photo import PhotoRecord
from runwaycut.batch.run import photo_began, run_collection
from runwaycut.batch.inputs import collect_photos
from runwaycut.batch.cores import choose_workers
from runwaycut.batch.workers import _chunks
from runwaycut.cli import app
from runwaycut.compose import cutout
from runwaycut.io import read_image
from runwaycut.methods import PaletteMethod

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "photos"


@settings(max_examples=40, deadline=None)
@given(image=arrays(np.uint8, (9, 7, 3)), data=st.data())
def test_cutout_pixels_equal_compose_cutout(image, data):
    mask = data.draw(arrays(np.bool_, (9, 7)))
    soft = data.draw(arrays(np.float32, (9, 7), elements=st.floats(0, 1, width=32)))
    for alpha in (mask, soft):
        ref = cutout(image, alpha)
        assert np.array_equal(cutout_pixels(image, alpha, "rgba"), ref)
        assert np.array_equal(cutout_pixels(image, alpha, "bgra")[..., [2, 1, 0, 3]], ref)


def test_encodings_are_lossless_in_both_formats():
    image = read_image(EXAMPLES / "0087.jpg")
    h, w = image.shape[:2]
    _, xx = np.mgrid[:h, :w]
    alpha = np.clip((xx - w / 3) / (w / 3), 0, 1).astype(np.float32)  # 0, ramp, 1
    ref = cutout(image, alpha)
    png = cv2.imdecode(np.frombuffer(encode_cutout(image, alpha), np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(png[..., [2, 1, 0, 3]], ref)
    webp = np.asarray(Image.open(io.BytesIO(encode_cutout(image, alpha, "webp"))))
    assert np.array_equal(webp, ref)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_rgb(image, "webp")))), image)
    mask = alpha > 0.5
    decoded = cv2.imdecode(np.frombuffer(encode_mask(mask), np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.dtype == np.uint8 and set(np.unique(decoded)) == {0, 255}
    assert np.array_equal(decoded == 255, mask)
    with pytest.raises(ValueError, match="png, webp"):
        encode_cutout(image, alpha, "gif")


def test_webp_run_writes_webp_cutouts_and_resumes(tmp_path):
    photos = collect_photos([EXAMPLES])
    out = tmp_path / "out"
    summary = run_collection(photos, out, PaletteMethod(), overlay=True, workers=1,
                             image_format="webp")
    assert summary.ok == 3
    for path, rel in photos:
        stem = out / rel
        assert (out / f"{rel}.mask.png").is_file() and not (out / f"{rel}.png").exists()
        rgba = np.asarray(Image.open(stem.with_name(stem.name + ".webp")))
        assert rgba.shape[2] == 4 and rgba.shape[:2] == read_image(path).shape[:2]
        assert stem.with_name(stem.name + ".overlay.webp").is_file()
    again = run_collection(photos, out, PaletteMethod(), overlay=True, workers=1,
                           image_format="webp")
    assert again.skipped == 3 and again.ok == 0


def test_cli_refuses_an_unknown_format(tmp_path):
    result = CliRunner().invoke(app, ["remove", str(EXAMPLES), "-o", str(tmp_path / "o"),
                                      "--format", "gif"])
    assert result.exit_code == 2 and "--format must be one of png, webp" in result.output


def test_worker_count_follows_the_work():
    assert choose_workers(3, cores=16) == 1  # a few photos: no worker start-up at all
    assert choose_workers(0, cores=4) == 1
    assert choose_workers(16, cores=2) == 2
    assert choose_workers(10_000, cores=6) == 6
    counts = [choose_workers(n, cores=8) for n in range(200)]
    assert counts == sorted(counts)  # more photos never get fewer workers


@given(n=st.integers(0, 500), workers=st.integers(1, 16))
def test_chunks_cover_the_items_in_order_and_shrink(n, workers):
    chunks = _chunks(list(range(n)), workers)
    assert [i for c in chunks for i in c] == list(range(n))
    sizes = [len(c) for c in chunks]
    assert all(1 <= s <= 8 for s in sizes) and sizes == sorted(sizes, reverse=True)
    if n:
        assert sizes[-1] == 1  # the last tasks are single photos: no long tail


def test_a_photo_began_at_its_own_stamp_when_reported_late():
    """A worker reports a task of several photos at once: the first photo's start is
    its own stamp, not its arrival less its time (which would count the task's other
    photos as start-up)."""
    record = PhotoRecord(path="a.jpg", status="ok", ms=500.0)
    record.started = 10.2
    assert photo_began(record, run_start=10.0, now=12.0) == 10.2
    record.started = 3.0  # another machine's clock: arrival less its time
    assert photo_began(record, run_start=10.0, now=12.0) == pytest.approx(11.5)
    assert photo_began(PhotoRecord(path="a.jpg", status="skipped"), 10.0, 12.0) is None


def test_default_workers_for_three_photos_work_in_process(tmp_path):
    photos = collect_photos([EXAMPLES])
    summary = run_collection(photos, tmp_path / "out", PaletteMethod())
    assert summary.workers == 1 and summary.ok == 3
    assert summary.startup_s is not None and 0 <= summary.startup_s < summary.seconds
    saved = json.loads((tmp_path / "out" / "manifest.summary.json").read_text())
    assert saved["workers"] == 1 and saved["startup_s"] == summary.startup_s


def test_cutout_alpha_rounds_as_numpy_at_every_half_level():
    # 255 alpha lands on a half exactly at k/510: rounded to even, as np.rint does;
    # out-of-range alpha is clipped.
    levels = np.arange(-3, 514, dtype=np.float32) / np.float32(510)
    near = np.concatenate([levels, np.nextafter(levels, 2), np.nextafter(levels, -2)])
    alpha = near.reshape(1, -1)
    image = np.full(alpha.shape + (3,), 200, np.uint8)
    expected = np.clip(np.rint(np.clip(alpha, 0, 1) * np.float32(255)), 0, 255).astype(np.uint8)
    assert np.array_equal(cutout_pixels(image, alpha, "rgba")[..., 3], expected)
    assert np.array_equal(cutout_pixels(image, alpha.astype(np.float64), "bgra")[..., 3],
                          expected)
