"""Files that declare more pixels than they hold are refused before decoding
(issue 13 points 1, 3 and 11): peak memory stays small whatever the file claims."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from runwaycut.errors import ImageReadError, LabelError
from runwaycut.io import read_image
from runwaycut.scoring.labels import read_ccp_label, read_seg_label

REPO = Path(__file__).resolve().parents[1]


def radiance_hdr(path: Path, side: int) -> None:
    """A Radiance HDR image of ``side`` x ``side`` flat pixels: run-length encoded, so a
    4000 px square takes 1 MB on disk and 192 MB once decoded (float32 RGB)."""
    line = bytearray([2, 2, side >> 8, side & 255])
    for channel in range(4):
        left = side
        while left:
            run = min(127, left)
            line += bytes([128 + run, 128 if channel == 3 else 100])
            left -= run
    with open(path, "wb") as fh:
        fh.write(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y %d +X %d\n" % (side, side))
        fh.write(bytes(line) * side)


def zero_png(path: Path, width: int, height: int) -> None:
    """A real (fully decodable) 8-bit grey PNG of zeros, compressed as it streams."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    deflate = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then the row
    idat = b"".join(deflate.compress(row * 256) for _ in range(height // 256))
    idat += deflate.compress(row * (height % 256)) + deflate.flush()
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        fh.write(chunk(b"IDAT", idat))
        fh.write(chunk(b"IEND", b""))


def zero_mat(path: Path, height: int, width: int) -> None:
    """A compressed MATLAB 5 file whose ``groundtruth`` is ``height`` x ``width`` zeros
    (uint8), written as it compresses (the array is never in memory)."""
    name = b"groundtruth"
    n = height * width
    matrix = (struct.pack("<II", 6, 8) + struct.pack("<II", 9, 0)  # flags: uint8 class
              + struct.pack("<II", 5, 8) + struct.pack("<ii", height, width)
              + struct.pack("<II", 1, len(name)) + name + bytes(-len(name) % 8)
              + struct.pack("<II", 2, n))
    body_len = len(matrix) + n + (-n % 8)
    deflate = zlib.compressobj(9)
    parts = [deflate.compress(struct.pack("<II", 14, body_len) + matrix)]
    block = bytes(1 << 22)
    left = n + (-n % 8)
    while left:
        step = min(left, len(block))
        parts.append(deflate.compress(block[:step]))
        left -= step
    parts.append(deflate.flush())
    stream = b"".join(parts)
    header = b"MATLAB 5.0 MAT-file, runwaycut test".ljust(116) + bytes(8) + b"\x00\x01IM"
    path.write_bytes(header + struct.pack("<II", 15, len(stream)) + stream)


def peak_growth(code: str) -> tuple[float, str]:
    """Run ``code`` (after importing runwaycut) in a fresh interpreter: the growth of its
    peak resident memory in MB, and what it printed."""
    script = ("import resource, runwaycut.io, runwaycut.scoring.labels\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              + code + "\n"
              "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "print('GROWTH', (after - before) / 1024)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert done.returncode == 0, done.stderr
    growth = float(done.stdout.split("GROWTH")[-1])
    return growth, done.stdout + done.stderr


# --- photos ------------------------------------------------------------------------------

def test_hdr_named_jpg_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.jpg"
    radiance_hdr(path, 4000)  # 16 megapixels, 192 MB decoded
    assert path.stat().st_size < 1_200_000
    growth, out = peak_growth(
        "from runwaycut.errors import ImageReadError\n"
        f"try:\n    runwaycut.io.read_image({str(path)!r}, max_pixels=1_000_000)\n"
        "except ImageReadError as exc:\n    print('REFUSED', exc)\n")
    assert "REFUSED" in out and str(path) in out
    assert growth < 60, f"peak memory grew by {growth:.0f} MB before the refusal"


def test_formats_whose_size_is_unknown_before_decoding_are_refused(tmp_path):
    path = tmp_path / "small.jpg"
    radiance_hdr(path, 100)  # small enough to decode, but a format we do not read
    with pytest.raises(ImageReadError) as exc:
        read_image(path)
    message = str(exc.value)
    assert str(path) in message and "Radiance HDR" in message and "\n" not in message


def test_tiff_size_is_read_from_its_header(tmp_path):
    """TIFFs are the one format OpenCV may decode when Pillow cannot identify them: their
    declared size must be known first."""
    import cv2

    from runwaycut.io.read import _declared_size_unidentified

    rgb = np.random.default_rng(0).integers(0, 256, (90, 120, 3), np.uint8)
    written = tmp_path / "cv.tif"
    assert cv2.imwrite(str(written), rgb[..., ::-1])
    assert _declared_size_unidentified(written) == (120, 90)
    path = tmp_path / "lzw.tif"
    Image.new("L", (3000, 2000)).save(path, compression="tiff_lzw")
    assert _declared_size_unidentified(path) == (3000, 2000)


def test_image_size_reads_headers_only(tmp_path, monkeypatch):
    path = tmp_path / "m.png"
    from runwaycut.io import image_size

    zero_png(path, 30000, 20000)  # 600 megapixels, 620 KB
    assert image_size(path) == (30000, 20000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with Image.open(path) as pil:  # the helper's claim checked by Pillow itself
        assert pil.size == (30000, 20000)


# --- labels and masks --------------------------------------------------------------------

def test_mask_png_of_another_size_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    zero_png(path, 20000, 20000)  # 400 MB decoded
    growth, out = peak_growth(
        "from runwaycut.errors import LabelError, ImageReadError\n"
        "for read in (runwaycut.scoring.labels.read_mask_label, runwaycut.io.read_mask):\n"
        f"    try:\n        read({str(path)!r}, shape=(832, 550))\n"
        "    except (LabelError, ImageReadError) as exc:\n        print('REFUSED', exc)\n"
        f"try:\n    runwaycut.io.read_mask({str(path)!r})\n"
        "except ImageReadError as exc:\n    print('REFUSED', exc)\n")
    assert out.count("REFUSED") == 3, out
    assert "20000x20000" in out
    assert growth < 60, f"peak memory grew by {growth:.0f} MB before the refusal"


def test_mat_label_declaring_a_huge_array_is_refused_before_loading(tmp_path):
    path = tmp_path / "0001.mat"
    from runwaycut.scoring.matfile import mat_declared_shapes

    zero_mat(path, 20000, 20000)  # 400 MB once loaded
    assert path.stat().st_size < 1_000_000
    assert mat_declared_shapes(path) == {"groundtruth": (20000, 20000)}
    growth, out = peak_growth(
        "from runwaycut.errors import LabelError\n"
        "for shape in ((832, 550), None):\n"
        f"    try:\n        runwaycut.scoring.labels.read_ccp_label({str(path)!r}, shape=shape)\n"
        "    except LabelError as exc:\n        print('REFUSED', exc)\n")
    assert out.count("REFUSED") == 2, out
    assert "over the limit" in out and "its photo is 550x832" in out
    assert growth < 60, f"peak memory grew by {growth:.0f} MB before the refusal"


def test_mat_header_reader_agrees_with_scipy(tmp_path):
    import scipy.io

    from runwaycut.scoring.matfile import mat_declared_shapes

    arrays = {"a": np.zeros((3, 5, 2)), "groundtruth": np.ones((7, 9), np.uint8),
              "a_longer_name": np.arange(3)}
    for compress in (False, True):
        path = tmp_path / f"t{compress}.mat"
        scipy.io.savemat(path, arrays, do_compression=compress)
        assert mat_declared_shapes(path) == {n: s for n, s, _ in scipy.io.whosmat(path)}
    small = tmp_path / "small.mat"
    zero_mat(small, 70, 90)
    assert scipy.io.loadmat(small)["groundtruth"].shape == (70, 90)  # a valid file
    assert read_ccp_label(small).classes.shape == (70, 90)


def test_seg_label_of_another_size_is_refused(tmp_path):
    path = tmp_path / "a-seg.png"
    Image.new("RGB", (300, 200), (255, 0, 0)).save(path)
    with pytest.raises(LabelError, match="300x200"):
        read_seg_label(path, shape=(832, 550))


# --- one-line errors ----------------------------------------------------------------------

def test_symlink_loop_is_named_as_such(tmp_path):
    loop = tmp_path / "loop.jpg"
    os.symlink(loop, loop)
    with pytest.raises(ImageReadError, match="symbolic link"):
        read_image(loop)


def test_opencv_writes_nothing_of_its_own_on_a_bad_file(tmp_path):
    path = tmp_path / "bad.tif"
    path.write_bytes(b"II*\x00" + b"\x08\x00\x00\x00" + b"\x01\x00" + bytes(40))
    done = subprocess.run(
        [sys.executable, "-c", "from runwaycut.cli import main; main()", "remove",
         str(path), "-o", str(tmp_path / "out"), "--method", "palette"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "300"})
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and str(path) in errors[0], done.stderr
    assert not any("[ERROR" in line or "loadsave" in line for line in lines), done.stderr
