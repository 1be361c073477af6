"""``runwaycut serve --results DIR``: a batch's manifest and files, nothing outside DIR."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from serving import SECRET, as_json, make_results, start_server
from typer.testing import CliRunner

from runwaycut.cli import app
from runwaycut.serve.gallery import THUMB_SIDE, OutsideResultsError, resolve_inside


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    return make_results(tmp_path_factory.mktemp("gallery"))


@pytest.fixture(scope="module")
def gallery(results):
    s = start_server(results.parent, "--workers", "1", "--results", str(results))
    yield s
    s.stop()


def test_rows_are_the_manifest_s_with_their_files(gallery, results):
    status, _, body = gallery.get("/v1/results")
    assert status == 200
    doc = as_json(body)
    rows = {Path(r["path"]).name: r for r in doc["rows"]}
    assert set(rows) == {"0087.jpg", "0111.jpg", "0367.jpg", "broken.jpg"}
    assert rows["broken.jpg"]["status"] == "failed" and "broken.jpg" in rows["broken.jpg"]["error"]
    assert rows["broken.jpg"]["files"] == {}
    assert rows["0087.jpg"]["files"] == {"cutout": "0087.png", "mask": "0087.mask.png",
                                         "overlay": "0087.overlay.png"}
    manifest = [json.loads(line) for line in (results / "manifest.jsonl").read_text().splitlines()]
    fractions = {Path(r["path"]).name: r["figure_fraction"] for r in manifest}
    assert {k: r["figure_fraction"] for k, r in rows.items()} == fractions


def test_files_and_thumbnails(gallery, results):
    status, headers, body = gallery.get("/v1/results/files/0087.overlay.png")
    assert status == 200 and body == (results / "0087.overlay.png").read_bytes()
    status, headers, body = gallery.get("/v1/results/thumbs/0087.png")
    thumb = Image.open(io.BytesIO(body))
    full = Image.open(results / "0087.png")
    assert status == 200 and thumb.mode == "RGBA" and max(thumb.size) == THUMB_SIDE
    assert abs(thumb.size[0] / thumb.size[1] - full.size[0] / full.size[1]) < 0.01
    assert gallery.get("/results")[0] == 200


TRICKS = [
    "/v1/results/files/../secret.txt", "/v1/results/files/..%2fsecret.txt",
    "/v1/results/files/%2e%2e/secret.txt", "/v1/results/files/%2e%2e%2fsecret.txt",
    "/v1/results/files/link.png", "/v1/results/files/dirlink/secret.txt",
    "/v1/results/files/dirlink/results/0087.png/../../secret.txt",
    "/v1/results/files//etc/passwd", "/v1/results/files/%2fetc%2fpasswd",
    "/v1/results/files/..%5csecret.txt", "/v1/results/files/.hidden.png",
    "/v1/results/files/0087.png%00.txt", "/v1/results/files/", "/v1/results/files/.",
    "/v1/results/thumbs/link.png", "/v1/results/thumbs/../secret.txt",
    "/v1/results/thumbs/dirlink/secret.txt", "/static/../../secret.txt",
    "/static/..%2f..%2f..%2fpyproject.toml", "/static/%2e%2e/app.py",
    "/static/docs/../../app.py", "/static//etc/passwd", "/..%2f..%2fsecret.txt",
    "/results/../secret.txt", "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", TRICKS)
def test_nothing_outside_the_served_folders_is_reachable(gallery, path):
    status, headers, body = gallery.get(path)
    assert status in (400, 404, 405), (path, status)
    assert SECRET not in body and b"root:" not in body and b"def create_app" not in body
    assert b"[project]" not in body


def test_results_must_be_a_batch_folder(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--results", str(tmp_path)])
    assert result.exit_code == 2 and "manifest.jsonl" in result.output


# ------------------------------------------------------------------ the pure check

@pytest.fixture(scope="module")
def trap_root(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("trap")
    root = base / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.png").write_bytes(b"ok")
    (root / "b.png").write_bytes(b"ok")
    (base / "outside.png").write_bytes(SECRET)
    os.symlink(base / "outside.png", root / "link.png")
    os.symlink(base, root / "up")
    os.symlink(root / "b.png", root / "inner.png")  # a link that stays inside is fine
    return root.resolve()


PARTS = ["a", "x.png", "b.png", "..", ".", "", "link.png", "up", "root", "outside.png",
         "inner.png", "%2e%2e", "\\", "\x00", ".hidden", "/"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PARTS), min_size=0, max_size=6))
def test_resolve_inside_never_leaves_the_root(trap_root, parts):
    relative = "/".join(parts)
    try:
        path = resolve_inside(trap_root, relative)
    except OutsideResultsError:
        return
    assert path.is_relative_to(trap_root) and path.is_file()
    assert path.read_bytes() == b"ok"


def test_resolve_inside_finds_files_inside(trap_root):
    assert resolve_inside(trap_root, "a/x.png") == trap_root / "a" / "x.png"
    assert resolve_inside(trap_root, "inner.png") == trap_root / "b.png"
    for bad in ("a", "link.png", "up/outside.png", "../root/b.png", "a/../b.png"):
        with pytest.raises(OutsideResultsError):
            resolve_inside(trap_root, bad)


def test_a_busy_port_is_a_one_line_error():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port), "-j", "1"])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_a_webp_batch_shows_its_cutouts_and_overlays(tmp_path):
    """``remove --format webp`` writes <stem>.webp and <stem>.overlay.webp: the gallery
    listed neither (only the mask), so its tiles showed the mask."""
    from serving import PHOTO

    from runwaycut.serve.gallery import gallery_rows, thumbnail

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["remove", str(PHOTO), "--out", str(out), "--format",
                                      "webp", "--overlay", "--method", "palette", "-j", "1"])
    assert result.exit_code == 0, result.output
    (row,) = gallery_rows(out)
    assert row["files"] == {"cutout": "0087.webp", "mask": "0087.mask.png",
                            "overlay": "0087.overlay.webp"}
    thumb = Image.open(io.BytesIO(thumbnail(out / "0087.webp")))
    alpha = np.asarray(thumb)[..., 3]
    assert thumb.mode == "RGBA" and max(thumb.size) == THUMB_SIDE
    assert (alpha == 0).any() and (alpha == 255).any()  # the cutout's transparency kept


def test_an_items_batch_shows_its_item_maps(tmp_path):
    """A batch of ``--target items`` lists each photo's item map and items.json, and the
    item map's thumbnail keeps the map's colours."""
    from serving import PHOTO

    from runwaycut.garment.items_outputs import ITEM_PALETTE
    from runwaycut.serve.gallery import gallery_rows, thumbnail

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["remove", str(PHOTO), "--out", str(out), "--target",
                                      "items", "-j", "1"])
    assert result.exit_code == 0, result.output
    (row,) = gallery_rows(out)
    assert row["files"]["items"] == "0087.items.png"
    assert row["files"]["items_json"] == "0087.items.json"
    assert {"cutout", "mask", "labels", "garment", "colors"} <= set(row["files"])
    thumb = np.asarray(Image.open(io.BytesIO(thumbnail(out / "0087.items.png"))).convert("RGB"))
    colours = {tuple(c) for c in thumb.reshape(-1, 3)[::7]}
    assert tuple(ITEM_PALETTE[0]) in colours  # background, and the items' own colours
    assert len(colours & {tuple(c) for c in ITEM_PALETTE[1:]}) >= 3
