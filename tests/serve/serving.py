"""A real ``runwaycut serve`` process on 127.0.0.1 (a free port), and a plain HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "photos"
PHOTO = EXAMPLES / "0087.jpg"

#: Seconds a server may take to start its workers (they load the person models).
START_TIMEOUT = 120


@dataclass
class Server:
    """A running server: its process, URL and log."""

    process: subprocess.Popen
    url: str
    log: Path

    @property
    def port(self) -> int:
        return urlsplit(self.url).port

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, timeout: float = 120):
        """(status, headers, body) of one request on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, \
                response.read()
        finally:
            conn.close()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post_photo(self, path: str, data: bytes, filename: str = "photo.jpg",
                   headers: dict | None = None, **kw):
        body, content_type = multipart(data, filename)
        return self.request("POST", path, body, {"Content-Type": content_type,
                                                 **(headers or {})}, **kw)

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def multipart(data: bytes, filename: str, field: str = "file") -> tuple[bytes, str]:
    """A multipart/form-data body with one file field, and its content type."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def start_server(tmp: Path, *args: str) -> Server:
    """Start ``runwaycut serve --port 0 ARGS`` and wait for the URL it prints."""
    log = tmp / f"serve-{uuid.uuid4().hex[:6]}.log"
    cmd = [sys.executable, "-c", "from runwaycut.cli import main; main()", "serve",
           "--host", "127.0.0.1", "--port", "0", *args]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    with open(log, "wb") as fh:
        process = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = re.search(r"runwaycut serve: (http://127\.0\.0\.1:\d+/)", text)
        if found:
            return Server(process, found.group(1), log)
        if process.poll() is not None:
            raise AssertionError(f"server exited ({process.returncode}):\n{text}")
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"server did not start in {START_TIMEOUT} s:\n{log.read_text()}")


def api_server(tmp_path_factory):
    """One server for a test module (a fixture's body): 2 workers, a queue of 8,
    uploads up to 1 MiB, photos up to 4 megapixels."""
    s = start_server(tmp_path_factory.mktemp("serve"), "--workers", "2", "--queue", "8",
                     "--max-upload-mb", "1", "--max-pixels", "4000000")
    yield s
    s.stop()


def as_json(body: bytes) -> dict:
    return json.loads(body.decode("utf-8"))


SECRET = b"TOP-SECRET-NOT-FOR-THE-GALLERY"


def make_results(base: Path) -> Path:
    """A real batch's output folder: 3 photos done, 1 failed; plus traps pointing out."""
    photos = base / "shots"
    photos.mkdir()
    for p in sorted(EXAMPLES.glob("*.jpg")):
        shutil.copy(p, photos / p.name)
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    out = base / "results"
    from typer.testing import CliRunner

    from runwaycut.cli import app

    result = CliRunner().invoke(app, ["remove", str(photos), "--out", str(out), "--method",
                                      "palette", "--overlay", "-j", "1"])
    assert result.exit_code == 2, result.output  # one photo failed
    (base / "secret.txt").write_bytes(SECRET)
    os.symlink(base / "secret.txt", out / "link.png")
    os.symlink(base, out / "dirlink")
    (out / ".hidden.png").write_bytes(SECRET)
    return out
