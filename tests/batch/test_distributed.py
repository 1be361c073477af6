"""The Dask engine gives the same outputs and manifest as a local run (issue 7)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed")

from conftest import CCP_PHOTOS, png_files, rows_without_timing  # noqa: E402
from runwaycut.batch.inputs import collect_photos  # noqa: E402
from runwaycut.batch.manifest import read_manifest  # noqa: E402
from runwaycut.batch.run import run_collection  # noqa: E402
from runwaycut.cli import app  # noqa: E402
from runwaycut.batch.dask import default_chunk_size, iter_dask  # noqa: E402
from runwaycut.batch.workers import BatchSettings  # noqa: E402
from runwaycut.methods import PaletteMethod  # noqa: E402

DATA = CCP_PHOTOS


def make_photos(folder: Path, n: int) -> None:
    """``n`` photos in ``folder`` (CCP ones when the data is there, else synthetic), in
    two sub-folders so the output tree is mirrored, plus one corrupt file."""
    ccp = sorted(DATA.glob("*.jpg"))[:n] if DATA.is_dir() else []
    rng = np.random.default_rng(0)
    for i in range(n):
        target = folder / ("a" if i % 2 else "b") / f"{i:04d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        if i < len(ccp):
            shutil.copyfile(ccp[i], target)
        else:
            photo = np.full((240, 160, 3), 200, np.uint8) + rng.integers(0, 8, (240, 160, 3),
                                                                         dtype=np.uint8)
            photo[40:230, 60:100] = rng.integers(0, 120, 3)
            Image.fromarray(photo).save(target, quality=92)
    (folder / "a" / "corrupt.jpg").write_bytes(os.urandom(2048))


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_dask_gives_the_same_masks_and_manifest_as_the_local_run(tmp_path, client):
    make_photos(tmp_path / "in", 7)
    photos = collect_photos([tmp_path / "in"], recursive=True)
    local = run_collection(photos, tmp_path / "local", PaletteMethod(), workers=1)
    dask = run_collection(photos, tmp_path / "dask", PaletteMethod(), scheduler=client,
                          chunk_size=2)
    assert (dask.ok, dask.failed) == (local.ok, local.failed) == (7, 1)
    files = png_files(tmp_path / "local")
    assert len(files) == 14 and "a/0001.mask.png" in files  # the tree is mirrored
    assert png_files(tmp_path / "dask") == files  # byte for byte
    assert (rows_without_timing(tmp_path / "dask" / "manifest.jsonl")
            == rows_without_timing(tmp_path / "local" / "manifest.jsonl"))

    # resuming a local run on Dask skips what is done
    (tmp_path / "local" / "b" / "0000.mask.png").unlink()
    again = run_collection(photos, tmp_path / "local", PaletteMethod(), scheduler=client)
    assert (again.skipped, again.ok, again.failed) == (6, 1, 1)
    assert png_files(tmp_path / "local") == files


def test_chunks_cover_every_photo_once(tmp_path, client):
    make_photos(tmp_path / "in", 5)
    photos = collect_photos([tmp_path / "in"], recursive=True)
    items = [(i, os.path.abspath(p), s.as_posix()) for i, (p, s) in enumerate(photos)]
    settings = BatchSettings((tmp_path / "out").absolute(), PaletteMethod())
    for size in (1, 2, 4, 100):
        indices = sorted(i for i, _ in iter_dask(items, settings, client, chunk_size=size))
        assert indices == list(range(len(items)))
    assert default_chunk_size(10, 2) == 2
    assert default_chunk_size(1_000_000, 16) == 64
    assert default_chunk_size(3, 8) == 1


class DiesOnNarrow(PaletteMethod):
    """A backend that kills its Dask worker process on one photo."""

    def predict(self, image):
        if image.shape[1] == 151:
            os._exit(9)
        return super().predict(image)


def test_a_photo_that_kills_dask_workers_fails_alone(tmp_path):
    make_photos(tmp_path / "in", 4)
    victim = tmp_path / "in" / "a" / "0001.jpg"
    Image.fromarray(np.asarray(Image.open(victim))[:, :151]).save(victim)
    photos = collect_photos([tmp_path / "in"], recursive=True)
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None,
                                     scheduler_kwargs={"dashboard_address": ":0"}) as cluster, \
            distributed.Client(cluster) as c:
        summary = run_collection(photos, tmp_path / "out", DiesOnNarrow(), scheduler=c,
                                 chunk_size=5)
    rows = {Path(r["path"]).name: r for r in read_manifest(tmp_path / "out" / "manifest.jsonl")}
    assert rows["0001.jpg"]["status"] == "failed" and "Dask task failed" in rows["0001.jpg"]["error"]
    assert [n for n, r in rows.items() if r["status"] == "ok"] == ["0003.jpg", "0000.jpg",
                                                                    "0002.jpg"]
    assert (summary.ok, summary.failed) == (3, 2)


def test_cli_scheduler_local(tmp_path):
    make_photos(tmp_path / "in", 3)
    result = CliRunner().invoke(app, ["remove", str(tmp_path / "in"), "-r", "-o",
                                      str(tmp_path / "out"), "--scheduler", "local",
                                      "--workers", "2"])
    assert result.exit_code == 2, result.output  # the corrupt photo
    rows = read_manifest(tmp_path / "out" / "manifest.jsonl")
    assert [r["status"] for r in rows] == ["ok", "failed", "ok", "ok"]
    assert len(png_files(tmp_path / "out")) == 6
