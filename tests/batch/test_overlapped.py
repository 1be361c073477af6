"""``remove -j 1`` writes each photo's files on a second thread while it predicts the
next (issue 14): the same files and rows as one photo after the other, and the same
promises when a photo fails, a write fails or Ctrl-C comes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import runwaycut.batch.photo as photo_module
from runwaycut.batch.inputs import collect_photos
from runwaycut.batch.manifest import read_manifest
from runwaycut.batch.photo import process_photo
from runwaycut.batch.run import run_collection
from runwaycut.methods import PaletteMethod
from conftest import png_files, rows_without_timing
from test_batch import make_photos
from test_resume import ctrl_c  # noqa: F401 - the fixture


def test_overlapped_run_writes_what_one_photo_at_a_time_writes(tmp_path):
    make_photos(tmp_path / "in", 4)
    photos = collect_photos([tmp_path / "in"])
    run_collection(photos, tmp_path / "run", PaletteMethod(), overlay=True, workers=1)
    for path, rel in photos:  # the photos one by one, each written before the next
        record = process_photo(path, rel, tmp_path / "one", PaletteMethod(), True)
        assert record.status == "ok", record.error
    written = png_files(tmp_path / "run")
    assert len(written) == 4 * 3 and written == png_files(tmp_path / "one")
    rows = rows_without_timing(tmp_path / "run" / "manifest.jsonl")
    assert [r["output"] for r in rows] == ["0000", "0001", "0002", "0003"]
    assert all(r["status"] == "ok" for r in rows)


def test_files_are_written_and_photos_read_on_another_thread_while_one_is_predicted(
        tmp_path, monkeypatch):
    make_photos(tmp_path / "in", 3)
    events: list[tuple[str, str, str]] = []
    real_write = photo_module.write_bytes_atomic
    real_predict = PaletteMethod.predict

    def write(path, data):
        events.append(("write", Path(path).name, threading.current_thread().name))
        return real_write(path, data)

    def predict(self, image):
        events.append(("predict", "", threading.current_thread().name))
        return real_predict(self, image)

    real_read = photo_module.read_image

    def read(path, **kw):
        events.append(("read", Path(path).name, threading.current_thread().name))
        return real_read(path, **kw)

    monkeypatch.setattr(photo_module, "read_image", read)
    monkeypatch.setattr(photo_module, "write_bytes_atomic", write)
    monkeypatch.setattr(PaletteMethod, "predict", predict)
    run_collection(collect_photos([tmp_path / "in"]), tmp_path / "out", PaletteMethod(),
                   workers=1)
    writers = {name for kind, _, name in events if kind == "write"}
    readers = {name for kind, _, name in events if kind == "read"}
    predictors = {name for kind, _, name in events if kind == "predict"}
    assert writers and predictors and not writers & predictors
    assert readers == writers  # the photos are decoded on that thread too
    # Photo 1 is read before photo 0's files are written: it never waits for them.
    order = [e[1] for e in events if e[0] in ("read", "write")]
    assert order.index("0001.jpg") < order.index("0000.mask.png")
    # Photo 0's files are submitted before photo 1 is predicted, never before photo 0 is.
    first_write = next(i for i, e in enumerate(events) if e[1] == "0000.mask.png")
    predicts = [i for i, e in enumerate(events) if e[0] == "predict"]
    assert predicts[0] < first_write
    assert len(list((tmp_path / "out").glob("*.mask.png"))) == 3


def test_a_failed_encoding_fails_its_photo_only(tmp_path, monkeypatch):
    make_photos(tmp_path / "in", 3)
    real = photo_module.encode_cutout
    calls = []

    def encode(colours, alpha, fmt="png"):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("no room for this cutout")
        return real(colours, alpha, fmt)

    monkeypatch.setattr(photo_module, "encode_cutout", encode)
    out = tmp_path / "out"
    summary = run_collection(collect_photos([tmp_path / "in"]), out, PaletteMethod(), workers=1)
    rows = read_manifest(out / "manifest.jsonl")
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert "0001.jpg" in rows[1]["error"] and "no room for this cutout" in rows[1]["error"]
    assert not (out / "0001.mask.png").exists()  # encoded first: nothing of it written
    assert (summary.ok, summary.failed) == (2, 1)


def test_ctrl_c_while_predicting_keeps_the_photo_being_written(tmp_path, monkeypatch, ctrl_c):
    make_photos(tmp_path / "in", 4)
    real_predict = PaletteMethod.predict
    seen = []

    def predict(self, image):
        seen.append(1)
        if len(seen) == 3:  # photo 0002: photo 0001's files are being written
            raise KeyboardInterrupt
        return real_predict(self, image)

    monkeypatch.setattr(PaletteMethod, "predict", predict)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_collection(collect_photos([tmp_path / "in"]), out, PaletteMethod(), workers=1)
    rows = read_manifest(out / "manifest.jsonl")
    assert [(r["output"], r["status"]) for r in rows] == [("0000", "ok"), ("0001", "ok")]
    assert (out / "0001.mask.png").exists() and (out / "0001.png").exists()
    assert not list(out.glob("0002*")) and not list(out.glob(".*.tmp"))


def test_large_photos_are_not_overlapped(tmp_path, monkeypatch):
    """After a photo over OVERLAP_MAX_PIXELS its files are written before the next photo
    is predicted, and the next is not read ahead: a batch of large photos holds one
    photo's results at a time."""
    import runwaycut.batch.workers as workers

    make_photos(tmp_path / "in", 4)
    monkeypatch.setattr(workers, "OVERLAP_MAX_PIXELS", 100)  # every photo is large
    events: list[tuple[str, str, bool]] = []
    real_write, real_read = photo_module.write_bytes_atomic, photo_module.read_image
    real_predict = PaletteMethod.predict
    main = threading.main_thread()

    def write(path, data):
        events.append(("write", Path(path).name[:4], threading.current_thread() is main))
        return real_write(path, data)

    def read(path, **kw):
        events.append(("read", Path(path).name[:4], threading.current_thread() is main))
        return real_read(path, **kw)

    def predict(self, image):
        events.append(("predict", "", True))
        return real_predict(self, image)

    monkeypatch.setattr(photo_module, "write_bytes_atomic", write)
    monkeypatch.setattr(photo_module, "read_image", read)
    monkeypatch.setattr(PaletteMethod, "predict", predict)
    run_collection(collect_photos([tmp_path / "in"]), tmp_path / "out", PaletteMethod(),
                   workers=1)
    predicts = [i for i, e in enumerate(events) if e[0] == "predict"]
    for photo in range(3):  # every file of a photo written before the next is predicted
        last_write = max(i for i, e in enumerate(events) if e[0] == "write" and e[1] == f"{photo:04d}")
        assert last_write < predicts[photo + 1]
    # Only the first two photos were read ahead (before the first was known to be large).
    assert [on_main for kind, _, on_main in events if kind == "read"] == [False, False, True, True]
