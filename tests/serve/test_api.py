"""The HTTP API against a real server process on loopback."""

from __future__ import annotations

import io
import json
import socket
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image
from serving import EXAMPLES, PHOTO, api_server, as_json, start_server
from typer.testing import CliRunner

import runwaycut
from runwaycut.cli import app
from runwaycut.garment.items_outputs import ITEM_PALETTE
from runwaycut.scoring.items import ITEM_NAMES


def png(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from api_server(tmp_path_factory)


@pytest.fixture(scope="module")
def photo_bytes() -> bytes:
    return PHOTO.read_bytes()


@pytest.fixture(scope="module")
def palette_mask() -> np.ndarray:
    """The library's own palette mask of the photo, for comparison."""
    return runwaycut.remove(runwaycut.read_image(PHOTO), method="palette").mask


def test_health(server):
    status, headers, body = server.get("/health")
    assert status == 200 and headers["content-type"] == "application/json"
    doc = as_json(body)
    assert doc["status"] == "ok" and doc["version"] == runwaycut.__version__
    assert set(doc["methods"]) == {"palette", "person", "auto"}
    assert "figure" in doc["targets"] and doc["workers"] == 2


def test_cutout_is_rgba_of_the_photo_size(server, photo_bytes):
    status, headers, body = server.post_photo("/v1/remove", photo_bytes)
    assert status == 200 and headers["content-type"] == "image/png"
    cut = png(body)
    h, w = runwaycut.read_image(PHOTO).shape[:2]
    assert cut.mode == "RGBA" and cut.size == (w, h)
    alpha = np.asarray(cut)[..., 3]
    assert 0.05 < np.count_nonzero(alpha) / alpha.size < 0.6  # a figure, not all or nothing


def test_palette_mask_and_cutout_are_the_library_s(server, photo_bytes, palette_mask):
    status, _, body = server.post_photo("/v1/remove?method=palette&output=mask", photo_bytes)
    assert status == 200
    mask = np.asarray(png(body))
    assert set(np.unique(mask)) <= {0, 255}
    np.testing.assert_array_equal(mask == 255, palette_mask)
    status, _, body = server.post_photo("/v1/remove?method=palette", photo_bytes)
    np.testing.assert_array_equal(np.asarray(png(body))[..., 3] == 255, palette_mask)


def test_palette_options_reach_the_method(server, photo_bytes):
    fractions = []
    for t in (5, 40):
        status, _, body = server.post_photo(f"/v1/remove?threshold={t}&output=json", photo_bytes)
        assert status == 200
        doc = as_json(body)
        assert doc["method"] == "palette" and doc["threshold"] == t  # threshold implies palette
        fractions.append(doc["figure_fraction"])
    assert fractions[0] > fractions[1]  # a wider band removes more


def test_raw_body_is_taken_like_a_file(server, photo_bytes, palette_mask):
    status, _, body = server.request("POST", "/v1/remove?method=palette&output=mask",
                                     photo_bytes, {"Content-Type": "image/jpeg"})
    assert status == 200
    np.testing.assert_array_equal(np.asarray(png(body)) == 255, palette_mask)


def test_zip_holds_what_remove_writes(server, photo_bytes, tmp_path):
    status, headers, body = server.post_photo("/v1/remove?method=palette&output=zip",
                                              photo_bytes, filename="0087.jpg")
    assert status == 200 and headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body))
    result = CliRunner().invoke(app, ["remove", str(PHOTO), "--out", str(tmp_path / "out"),
                                      "--method", "palette", "--overlay", "-j", "1"])
    assert result.exit_code == 0, result.output
    for name in ("0087.mask.png", "0087.png", "0087.overlay.png"):
        assert archive.read(name) == (tmp_path / "out" / name).read_bytes(), name
    assert b'"status": "ok"' in archive.read("manifest.jsonl")


def test_json_of_the_garment_has_colours_and_legend(server, photo_bytes):
    status, _, body = server.post_photo(
        "/v1/remove?method=palette&target=garment&output=json", photo_bytes)
    assert status == 200
    doc = as_json(body)
    assert doc["colors"] and abs(sum(c["share"] for c in doc["colors"]) - 1) < 0.01
    assert all(c["name"] and c["hex"].startswith("#") for c in doc["colors"])
    assert [c["name"] for c in doc["legend"]] == ["background", "garment", "skin_hair", "accessory"]
    assert doc["class_shares"]["garment"] > 0.05
    assert set(doc["timings"]) == {"read_ms", "method_ms", "encode_ms"}
    status, _, body = server.post_photo(
        "/v1/remove?method=palette&target=garment&output=labels", photo_bytes)
    labels = png(body)
    assert status == 200 and labels.mode == "P"
    assert set(np.unique(np.asarray(labels))) <= {0, 1, 2, 3}


def test_items_answers_are_what_remove_writes(server, photo_bytes):
    """target=items: the json lists each item as ``<stem>.items.json`` does, and the item
    map is the indexed PNG of the zip, on the same photo."""
    query = "/v1/remove?method=auto&target=items"
    status, _, body = server.post_photo(query + "&output=zip", photo_bytes, filename="0087.jpg")
    assert status == 200
    archive = zipfile.ZipFile(io.BytesIO(body))
    written = json.loads(archive.read("0087.items.json"))
    status, _, body = server.post_photo(query + "&output=json", photo_bytes)
    assert status == 200
    doc = as_json(body)
    assert doc["target"] == "items" and doc["items"] == written["items"]
    assert doc["taken_in_pixels"] == written["taken_in_pixels"]
    names = [i["name"] for i in doc["items"]]
    assert names and set(names) <= set(ITEM_NAMES) and "background" not in names
    assert {"skin", "hair"} <= set(names)  # a runway figure, face and arms bare
    # (each share rounded to 6 decimals: their sum may pass 1 by half a millionth each)
    assert 0.99 < sum(i["share_of_figure"] for i in doc["items"]) <= 1 + 5e-7 * len(names) + 1e-12
    for entry in doc["items"]:
        x0, y0, x1, y1 = entry["bbox"]
        assert 0 <= x0 <= x1 < doc["width"] and 0 <= y0 <= y1 < doc["height"], entry
    assert [c["name"] for c in doc["item_legend"]] == list(ITEM_NAMES)
    assert [c["rgb"] for c in doc["item_legend"]] == ITEM_PALETTE.tolist()

    status, headers, body = server.post_photo(query + "&output=items", photo_bytes)
    assert status == 200 and headers["content-type"] == "image/png"
    assert body == archive.read("0087.items.png")
    item_map = png(body)
    assert item_map.mode == "P" and item_map.size == (doc["width"], doc["height"])
    counts = np.bincount(np.asarray(item_map).ravel(), minlength=len(ITEM_NAMES))
    assert [ITEM_NAMES[i] for i in np.flatnonzero(counts[1:]) + 1] == sorted(
        names, key=ITEM_NAMES.index)
    assert [int(counts[i["index"]]) for i in doc["items"]] == [i["pixels"] for i in doc["items"]]


def test_bundle_sends_the_distance_map_of_the_palette(server, photo_bytes):
    import base64

    status, _, body = server.post_photo("/v1/remove?method=palette&output=bundle", photo_bytes)
    doc = as_json(body)
    distance = np.asarray(png(base64.b64decode(doc["distance"]["png"])))
    image = runwaycut.read_image(PHOTO)
    expected = runwaycut.remove_background(image).distance
    np.testing.assert_array_equal(distance, expected)
    assert doc["distance"]["scale"] == 1 and doc["distance"]["threshold"] == 20


@pytest.mark.parametrize("query, word", [
    ("method=nope", "method"), ("target=hat", "target"), ("output=gif", "output"),
    ("points=0", "points"), ("points=x", "points"), ("threshold=-1", "threshold"),
    ("band=sideways", "band"), ("output=labels", "labels"), ("vote=7", "vote"),
    ("target=garment&output=items", "target=items"),
])
def test_bad_parameters_are_400_json(server, photo_bytes, query, word):
    status, headers, body = server.post_photo(f"/v1/remove?{query}", photo_bytes)
    assert status == 400 and headers["content-type"] == "application/json"
    assert word in as_json(body)["error"]


def test_junk_uploads_are_4xx_json_never_a_traceback(server):
    junk = [(b"this is not a photo at all", "notes.txt", 415),
            (PHOTO.read_bytes()[:2000], "cut-short.jpg", 415),
            (b"", "empty.jpg", 415)]
    for data, name, code in junk:
        status, headers, body = server.post_photo("/v1/remove", data, filename=name)
        assert status == code and headers["content-type"] == "application/json", name
        error = as_json(body)["error"]
        assert name in error and "Traceback" not in error
    status, _, body = server.request("POST", "/v1/remove", b"hello", {"Content-Type": "text/plain"})
    assert status == 415 and "multipart" in as_json(body)["error"]
    status, _, body = server.request("POST", "/v1/remove", b"", {"Content-Type": "image/png"})
    assert status == 400 and as_json(body)["error"].startswith("no photo")
    tiny = io.BytesIO()
    Image.new("RGB", (30, 30)).save(tiny, "PNG")
    status, _, body = server.post_photo("/v1/remove", tiny.getvalue(), filename="tiny.png")
    assert status == 400 and "smaller" in as_json(body)["error"]


def test_photo_over_the_pixel_limit_is_413(server):
    big = io.BytesIO()
    Image.new("RGB", (2100, 2000), (200, 200, 200)).save(big, "PNG")  # 4.2 MP, a few KB
    status, _, body = server.post_photo("/v1/remove", big.getvalue(), filename="big.png")
    assert status == 413 and "4,200,000" in as_json(body)["error"]


def test_unknown_routes_are_json(server):
    for method, path, code in [("GET", "/nope", 404), ("GET", "/v1/remove", 405),
                               ("DELETE", "/health", 405)]:
        status, headers, body = server.request(method, path)
        assert status == code and "error" in as_json(body), path


def test_upload_over_the_limit_is_refused_before_its_body(server):
    """Content-Length over the limit: 413 at once, with the body never sent."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/remove HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                     b"Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
        answer = b""
        while part := sock.recv(4096):  # the server closes the connection after its answer
            answer += part
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert b'"error"' in answer and b"1 MiB" in answer


def test_chunked_upload_over_the_limit_is_cut_short(server):
    """No Content-Length: counted as it comes, refused once past the limit."""
    chunk = b"\xff" * 65536
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/remove HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sent = 0
        try:
            while sent < 8 * 2 ** 20:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        answer = b""
        try:
            while b"}" not in answer:
                part = sock.recv(4096)
                if not part:
                    break
                answer += part
        except (ConnectionResetError, TimeoutError):
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_multipart_upload_over_the_limit_is_413(server):
    """A plain client that sends a large body whole, without Expect, still reads 413."""
    for size in (2, 12):  # MiB: more than the socket buffers hold
        status, _, body = server.post_photo("/v1/remove", b"\0" * (size * 2 ** 20))
        assert status == 413 and "limit of 1 MiB" in as_json(body)["error"]


def test_24_requests_6_at_a_time_all_succeed(server, photo_bytes):
    photos = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.jpg"))]

    def one(i):
        status, _, body = server.post_photo("/v1/remove?method=palette&output=mask",
                                            photos[i % len(photos)])
        return status, png(body).size if status == 200 else body

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, range(24)))
    assert [s for s, _ in answers] == [200] * 24, answers
    sizes = {Image.open(p).size for p in sorted(EXAMPLES.glob("*.jpg"))}
    assert {size for _, size in answers} == sizes


def test_openapi_documents_the_api_and_docs_need_no_cdn(server):
    status, _, body = server.get("/openapi.json")
    spec = as_json(body)
    remove = spec["paths"]["/v1/remove"]["post"]
    params = {p["name"] for p in remove["parameters"]}
    assert {"method", "target", "output", "threshold", "band", "vote", "points"} <= params
    assert "multipart/form-data" in remove["requestBody"]["content"]
    status, _, page = server.get("/docs")
    assert status == 200 and b"swagger" in page.lower()
    assert b"https://" not in page and b"http://" not in page  # everything from this server
    for src in (b"/static/docs/swagger-ui-bundle.js", b"/static/docs/swagger-ui.css"):
        assert src in page and server.get(src.decode())[0] == 200


def test_the_page_and_its_assets_are_served(server):
    status, headers, page = server.get("/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"https://" not in page and b"http://" not in page
    for asset in ("/static/page.js", "/static/page.css"):
        status, _, body = server.get(asset)
        assert status == 200 and b"https://" not in body and b"http://" not in body


def test_queue_full_is_503_with_retry_after(tmp_path, photo_bytes):
    """One worker, no queue: of 4 simultaneous slow cuts only one runs; the others are
    told when to retry; nothing but 200 and 503."""
    s = start_server(tmp_path, "--workers", "1", "--queue", "0")
    try:
        def one(_):
            return s.post_photo("/v1/remove?method=auto&target=garment", photo_bytes)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(one, range(4)))
        codes = sorted(a[0] for a in answers)
        assert set(codes) <= {200, 503} and codes.count(200) >= 1 and codes.count(503) >= 1
        for status, headers, body in answers:
            if status == 503:
                assert int(headers["retry-after"]) >= 1 and "busy" in as_json(body)["error"]
    finally:
        s.stop()


def test_token_is_required_when_set(tmp_path, photo_bytes):
    s = start_server(tmp_path, "--workers", "1", "--token", "s3cret")
    try:
        assert s.get("/health")[0] == 200
        status, headers, body = s.post_photo("/v1/remove?method=palette", photo_bytes)
        assert status == 401 and headers["www-authenticate"] == "Bearer"
        assert "Bearer" in as_json(body)["error"]
        status, _, _ = s.post_photo("/v1/remove?method=palette", photo_bytes,
                                    headers={"Authorization": "Bearer wrong"})
        assert status == 401
        status, _, body = s.post_photo("/v1/remove?method=palette", photo_bytes,
                                       headers={"Authorization": "Bearer s3cret"})
        assert status == 200 and png(body).mode == "RGBA"
    finally:
        s.stop()


def test_sigterm_lets_the_request_in_flight_finish(tmp_path, photo_bytes):
    s = start_server(tmp_path, "--workers", "1")
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(s.post_photo, "/v1/remove?method=auto&target=garment&output=json",
                                  photo_bytes)
            deadline = time.monotonic() + 20
            while as_json(s.get("/health")[2])["queue"]["admitted"] == 0:
                assert time.monotonic() < deadline and not pending.done()
                time.sleep(0.02)
            s.process.terminate()
            status, _, body = pending.result(timeout=60)
        assert status == 200 and as_json(body)["target"] == "garment"
        s.process.wait(30)
        with pytest.raises(OSError):  # and it stopped listening
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
    finally:
        s.stop(timeout=10)


def test_warns_when_reachable_without_token():
    """A non-loopback address without a token is warned about (192.0.2.1, a documentation
    address, is not this machine's: nothing ends up listening)."""
    result = CliRunner().invoke(app, ["serve", "--host", "192.0.2.1", "--port", "0", "-j", "1"])
    assert "warning: listening on 192.0.2.1" in result.output
    assert result.exit_code == 2 and "cannot listen on 192.0.2.1" in result.output
    quiet = CliRunner().invoke(app, ["serve", "--host", "192.0.2.1", "--port", "0", "-j", "1",
                                     "--token", "t"])
    assert "warning" not in quiet.output and quiet.exit_code == 2
