"""Reading photos: every bad input gets a typed error naming the file; every odd mode
is converted by the documented rule (io module docstring)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from runwaycut.errors import ImageReadError, ImageSizeError, InvalidImageError
from runwaycut.io import (WEBP_MAX_SIDE, as_rgb_image, encode_image, encode_png, read_image,
                          read_mask, write_bytes_atomic, write_png)

from conftest import needs_ccp, CCP_PHOTOS


def noise(h=96, w=80, channels=3, seed=0, dtype=np.uint8, high=256):
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels == 1 else (h, w, channels)
    return rng.integers(0, high, shape).astype(dtype)


def over_white(rgb, alpha):
    """The documented rule: alpha composited over white, rounded."""
    a = alpha.astype(np.float64)[..., None] / 255
    return np.round(rgb * a + 255 * (1 - a)).astype(np.uint8)


# --- bad input --------------------------------------------------------------------------

def assert_names(exc_info, path):
    message = str(exc_info.value)
    assert str(path) in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    path = tmp_path / "nope.jpg"
    with pytest.raises(ImageReadError) as exc:
        read_image(path)
    assert_names(exc, path)
    assert "no such file" in str(exc.value)


def test_folder(tmp_path):
    with pytest.raises(ImageReadError) as exc:
        read_image(tmp_path)
    assert_names(exc, tmp_path)
    assert "folder" in str(exc.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageReadError) as exc:
        read_image(path)
    assert_names(exc, path)
    assert "empty" in str(exc.value)


@pytest.mark.parametrize("content", [b"hello, I am not a photo\n" * 20,
                                     bytes(range(256)) * 8])
def test_not_an_image(tmp_path, content):
    path = tmp_path / "notes.png"
    path.write_bytes(content)
    with pytest.raises(ImageReadError) as exc:
        read_image(path)
    assert_names(exc, path)


@pytest.mark.parametrize("keep", [0.2, 0.6, 0.95])
def test_truncated_jpeg(tmp_path, keep):
    full = tmp_path / "full.jpg"
    Image.fromarray(noise(200, 160)).save(full, quality=90)
    data = full.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert read_image(full).shape == (200, 160, 3)
    with pytest.raises(ImageReadError) as exc:
        read_image(cut)
    assert_names(exc, cut)


def test_truncated_png(tmp_path):
    full = tmp_path / "full.png"
    Image.fromarray(noise(200, 160)).save(full)
    cut = tmp_path / "cut.png"
    cut.write_bytes(full.read_bytes()[:-2000])
    with pytest.raises(ImageReadError) as exc:
        read_image(cut)
    assert_names(exc, cut)


@pytest.mark.parametrize("size", [(40, 200), (200, 40), (63, 63)])
def test_too_small(tmp_path, size):
    path = tmp_path / "small.png"
    Image.fromarray(noise(*size)).save(path)
    with pytest.raises(ImageSizeError) as exc:
        read_image(path)
    assert_names(exc, path)
    assert "smaller" in str(exc.value)


def test_min_side_is_a_parameter(tmp_path):
    path = tmp_path / "small.png"
    Image.fromarray(noise(40, 50)).save(path)
    assert read_image(path, min_side=32).shape == (40, 50, 3)


def test_decompression_bomb_limit(tmp_path):
    # 6000 x 5000 one-bit pixels: a tiny file that would decode to 30 megapixels.
    path = tmp_path / "bomb.png"
    Image.new("1", (6000, 5000)).save(path)
    assert path.stat().st_size < 100_000
    with pytest.raises(ImageSizeError) as exc:
        read_image(path, max_pixels=10_000_000)
    assert_names(exc, path)
    assert "10,000,000" in str(exc.value)


def test_pixel_limit_is_inclusive(tmp_path):
    path = tmp_path / "ok.png"
    Image.fromarray(noise(100, 90)).save(path)
    assert read_image(path, max_pixels=9000).shape == (100, 90, 3)
    with pytest.raises(ImageSizeError):
        read_image(path, max_pixels=8999)


# --- formats and conversions --------------------------------------------------------------

@pytest.mark.parametrize("suffix, options", [(".png", {}), (".tif", {}), (".bmp", {}),
                                             (".webp", {"lossless": True})])
def test_lossless_formats_read_exactly(tmp_path, suffix, options):
    rgb = noise(90, 70, seed=3)
    path = tmp_path / f"photo{suffix}"
    Image.fromarray(rgb).save(path, **options)
    got = read_image(path)
    assert got.dtype == np.uint8 and got.shape == (90, 70, 3)
    np.testing.assert_array_equal(got, rgb)


def test_jpeg_is_rgb_order(tmp_path):
    rgb = np.zeros((80, 80, 3), np.uint8)
    rgb[..., 0] = 220  # red
    path = tmp_path / "red.jpg"
    Image.fromarray(rgb).save(path, quality=95)
    got = read_image(path).astype(int)
    assert abs(got[..., 0].mean() - 220) < 3 and got[..., 1:].mean() < 5


def test_grey_is_repeated(tmp_path):
    grey = noise(70, 90, channels=1, seed=1)
    path = tmp_path / "grey.png"
    Image.fromarray(grey, mode="L").save(path)
    got = read_image(path)
    for c in range(3):
        np.testing.assert_array_equal(got[..., c], grey)


def test_grey_16_bit_is_scaled(tmp_path):
    grey16 = noise(70, 90, channels=1, seed=2, dtype=np.uint16, high=65536)
    path = tmp_path / "grey16.png"
    assert cv2.imwrite(str(path), grey16)
    assert Image.open(path).mode.startswith("I")
    expected = np.round(grey16 / 257).astype(np.uint8)
    got = read_image(path)
    for c in range(3):
        np.testing.assert_array_equal(got[..., c], expected)


def test_dark_grey_16_bit_is_not_taken_for_8_bit(tmp_path):
    # All values below 256: still 16-bit data, so it must come out nearly black.
    grey16 = noise(70, 90, channels=1, seed=2, dtype=np.uint16, high=256)
    path = tmp_path / "dark16.png"
    assert cv2.imwrite(str(path), grey16)
    assert read_image(path).max() <= 1


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_colour_16_bit_is_scaled(tmp_path, suffix):
    rgb16 = noise(70, 90, seed=4, dtype=np.uint16, high=65536)
    path = tmp_path / f"rgb16{suffix}"
    assert cv2.imwrite(str(path), rgb16[..., ::-1])  # OpenCV writes BGR
    # Rule: value / 257, rounded -- exactly, all 16 bits used (not Pillow's high byte).
    np.testing.assert_array_equal(read_image(path), np.round(rgb16 / 257).astype(np.uint8))


def test_palette_image(tmp_path):
    index = noise(64, 72, channels=1, seed=5, high=4)
    colours = np.array([[255, 0, 0], [0, 128, 0], [10, 20, 250], [200, 200, 30]], np.uint8)
    pil = Image.fromarray(index, mode="P")
    pil.putpalette(colours.ravel().tolist() + [0] * (768 - 12))
    path = tmp_path / "palette.png"
    pil.save(path)
    np.testing.assert_array_equal(read_image(path), colours[index])


def test_palette_transparency_over_white(tmp_path):
    index = noise(64, 72, channels=1, seed=6, high=3)
    colours = np.array([[255, 0, 0], [0, 0, 200], [30, 30, 30]], np.uint8)
    pil = Image.fromarray(index, mode="P")
    pil.putpalette(colours.ravel().tolist() + [0] * (768 - 9))
    path = tmp_path / "palette_t.png"
    pil.save(path, transparency=1)  # colour 1 is transparent
    expected = colours[index]
    expected[index == 1] = 255
    np.testing.assert_array_equal(read_image(path), expected)


def test_rgba_composited_over_white(tmp_path):
    rgba = noise(80, 64, channels=4, seed=7)
    path = tmp_path / "rgba.png"
    Image.fromarray(rgba, mode="RGBA").save(path)
    np.testing.assert_array_equal(read_image(path), over_white(rgba[..., :3], rgba[..., 3]))


def test_grey_alpha_composited_over_white(tmp_path):
    la = noise(80, 64, channels=2, seed=8)
    path = tmp_path / "la.png"
    Image.fromarray(la, mode="LA").save(path)
    grey3 = np.repeat(la[..., :1], 3, axis=2)
    np.testing.assert_array_equal(read_image(path), over_white(grey3, la[..., 1]))


@pytest.mark.parametrize("orientation, corner", [(1, (0, 0)), (3, (-1, -1)), (6, (0, -1)),
                                                 (8, (-1, 0))])
def test_exif_orientation_applied(tmp_path, orientation, corner):
    """A red block stored top-left shows where a viewer puts it after the EXIF rotation."""
    stored = np.full((96, 128, 3), 235, np.uint8)  # 128 wide, 96 tall as stored
    stored[:24, :24] = (220, 20, 20)
    pil = Image.fromarray(stored)
    exif = pil.getexif()
    exif[0x0112] = orientation
    path = tmp_path / f"rot{orientation}.jpg"
    pil.save(path, exif=exif.tobytes(), quality=95)
    got = read_image(path)
    portrait = orientation in (6, 8)
    assert got.shape == ((128, 96, 3) if portrait else (96, 128, 3))
    h, w = got.shape[:2]
    rows = slice(0, 20) if corner[0] == 0 else slice(h - 20, h)
    cols = slice(0, 20) if corner[1] == 0 else slice(w - 20, w)
    block = got[rows, cols].reshape(-1, 3).mean(axis=0)
    assert block[0] > 180 and block[1] < 60, f"red block not at {corner}: {block}"


def test_cmyk_jpeg(tmp_path):
    cmyk = np.zeros((80, 80, 4), np.uint8)
    cmyk[..., 0] = 255  # full cyan
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(cmyk, mode="CMYK").save(path, quality=95)
    got = read_image(path).astype(int)
    assert got.shape == (80, 80, 3)
    assert got[..., 0].mean() < 30 and got[..., 1].mean() > 220 and got[..., 2].mean() > 220


@needs_ccp
def test_ccp_photo():
    got = read_image(CCP_PHOTOS / "0001.jpg")
    assert got.dtype == np.uint8 and got.ndim == 3 and got.shape[1] == 550
    bgr = cv2.imread(str(CCP_PHOTOS / "0001.jpg"))
    # Two JPEG decoders agree to within rounding of the colour conversion.
    assert np.abs(got.astype(int) - bgr[..., ::-1]).mean() < 1.5


# --- in-memory arrays ----------------------------------------------------------------------

def test_as_rgb_image_rules():
    grey = noise(5, 6, channels=1)
    np.testing.assert_array_equal(as_rgb_image(grey), np.repeat(grey[..., None], 3, 2))
    np.testing.assert_array_equal(as_rgb_image(grey[..., None]), np.repeat(grey[..., None], 3, 2))
    u16 = np.array([[0, 128, 257, 65535]], np.uint16)
    np.testing.assert_array_equal(as_rgb_image(u16)[..., 0], [[0, 0, 1, 255]])
    f = np.array([[0.0, 0.5, 1.0]])
    np.testing.assert_array_equal(as_rgb_image(f)[..., 1], [[0, 128, 255]])
    b = np.array([[True, False]])
    np.testing.assert_array_equal(as_rgb_image(b)[..., 2], [[255, 0]])


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 2), np.uint8), np.zeros((4,), np.uint8),
                                 np.zeros((0, 4, 3), np.uint8), np.full((4, 4), 1.5),
                                 np.full((4, 4), -3, np.int32), np.full((4, 4), np.nan),
                                 np.zeros((4, 4), complex)])
def test_as_rgb_image_refuses(bad):
    with pytest.raises(InvalidImageError):
        as_rgb_image(bad)


# --- writing ----------------------------------------------------------------------------

@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(64, 90), w=st.integers(64, 90), seed=st.integers(0, 2**32 - 1))
def test_png_round_trip(tmp_path, h, w, seed):
    rgb = noise(h, w, seed=seed)
    path = write_png(tmp_path / "sub" / "x.png", rgb)
    np.testing.assert_array_equal(read_image(path), rgb)
    mask = noise(h, w, channels=1, seed=seed, high=2).astype(bool)
    mpath = write_png(tmp_path / "sub" / "m.png", mask)
    with Image.open(mpath) as pil:
        assert pil.mode == "L"
        assert set(np.unique(np.asarray(pil))) <= {0, 255}
    np.testing.assert_array_equal(read_mask(mpath, (h, w)), mask)


def test_rgba_png_keeps_channel_order(tmp_path):
    rgba = noise(64, 70, channels=4, seed=9)
    path = tmp_path / "rgba.png"
    path.write_bytes(encode_png(rgba))
    with Image.open(path) as pil:
        assert pil.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(pil), rgba)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 70), st.integers(1, 90),
       st.sampled_from(["bool", "grey", "grey+alpha", "rgb", "rgba", "indexed", "grey16",
                        "rgba16"]), st.sampled_from([0, 7, 300]))
def test_png_round_trip_through_pillow_and_opencv(seed, h, w, kind, strip):
    """Every kind of image the outputs write decodes to itself in Pillow and OpenCV,
    also filtered and deflated a few rows at a time (``PNG_STRIP_BYTES``; 0: as shipped)."""
    import runwaycut.io.encode as rio

    shipped = rio.PNG_STRIP_BYTES
    rio.PNG_STRIP_BYTES = strip or shipped
    try:
        _check_png_round_trip(rio, seed, h, w, kind)
    finally:
        rio.PNG_STRIP_BYTES = shipped


def _check_png_round_trip(rio, seed, h, w, kind):
    import io as stdio

    rng = np.random.default_rng(seed)
    channels = {"bool": 1, "grey": 1, "grey+alpha": 2, "rgb": 3, "rgba": 4, "indexed": 1,
                "grey16": 1, "rgba16": 4}[kind]
    palette = None
    if kind.endswith("16"):
        array = expected = rng.integers(0, 2**16, (h, w, channels)[:2 if channels == 1 else 3]
                                        ).astype(np.uint16)
    elif kind == "bool":
        array = rng.random((h, w)) < 0.5
        expected = array.astype(np.uint8) * 255
    elif kind == "indexed":
        palette = rng.integers(0, 256, (int(rng.integers(1, 257)), 3)).astype(np.uint8)
        array = expected = rng.integers(0, len(palette), (h, w)).astype(np.uint8)
    else:
        # Runs and noise: the filter's differences wrap around modulo 256 both ways.
        array = noise(h, w, channels=channels, seed=seed)
        array[: h // 2] = array[: h // 2, :1]
        expected = array
    png = rio.encode_png(array, palette)
    if not kind.endswith("16"):  # (Pillow reads 16-bit colour as 8-bit)
        with Image.open(stdio.BytesIO(png)) as pil:
            assert pil.mode == {"bool": "L", "grey": "L", "grey+alpha": "LA", "rgb": "RGB",
                                "rgba": "RGBA", "indexed": "P"}[kind]
            np.testing.assert_array_equal(np.asarray(pil), expected)
            if palette is not None:
                np.testing.assert_array_equal(np.asarray(pil.convert("RGB")), palette[expected])
    if kind in ("indexed", "grey+alpha"):  # (OpenCV expands a palette, drops grey's alpha)
        return
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    if channels >= 3:
        decoded = decoded[..., [2, 1, 0, 3][:channels]]
    assert decoded.dtype == expected.dtype
    np.testing.assert_array_equal(decoded, expected)


def test_png_refuses_what_it_cannot_write():
    for bad in (np.zeros((0, 5), np.uint8), np.zeros((4, 5), np.float32),
                np.zeros((4, 5, 5), np.uint8), np.zeros((4,), np.uint8),
                np.zeros((4, 5), np.int16)):
        with pytest.raises(ValueError, match="cannot encode"):
            encode_png(bad)
    with pytest.raises(ValueError, match="past the palette"):
        encode_png(np.full((3, 3), 4, np.uint8), palette=np.zeros((4, 3), np.uint8))
    with pytest.raises(ValueError, match="cannot encode"):
        encode_png(np.zeros((3, 3, 3), np.uint8), palette=np.zeros((4, 3), np.uint8))
    with pytest.raises(ValueError, match="cannot encode"):
        encode_png(np.zeros((3, 3), np.uint16), palette=np.zeros((4, 3), np.uint8))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([3, 4]), st.integers(0, 2**31))
def test_webp_round_trip_is_lossless(h, w, channels, seed):
    """``--format webp`` is lossless: every channel back, the colour under transparent
    pixels too (``exact``)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, channels), dtype=np.uint8)
    with Image.open(io.BytesIO(encode_image(pixels, "webp"))) as pil:
        assert pil.format == "WEBP"
        np.testing.assert_array_equal(np.asarray(pil.convert("RGBA" if channels == 4 else "RGB")),
                                      pixels)


def test_webp_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="too large for WebP.*--format png"):
        encode_image(np.zeros((2, WEBP_MAX_SIDE + 1, 4), np.uint8), "webp")
    with pytest.raises(ValueError, match="cannot encode"):
        encode_image(np.zeros((4, 5), np.uint8), "webp")
    with pytest.raises(ValueError, match="unknown image format 'gif'"):
        encode_image(np.zeros((4, 5, 3), np.uint8), "gif")


def test_read_mask_errors(tmp_path):
    with pytest.raises(ImageReadError) as exc:
        read_mask(tmp_path / "none.png")
    assert_names(exc, tmp_path / "none.png")
    path = write_png(tmp_path / "m.png", np.ones((70, 80), bool))
    with pytest.raises(ImageReadError) as exc:
        read_mask(path, shape=(80, 70))
    assert_names(exc, path)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png")
    with pytest.raises(ImageReadError):
        read_mask(junk)


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "out.png"
    write_bytes_atomic(path, b"first")
    with pytest.raises(TypeError):
        write_bytes_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["out.png"]


def test_written_files_get_ordinary_permissions(tmp_path):
    from runwaycut.io import write_png
    from runwaycut.io.files import _UMASK

    path = write_png(tmp_path / "m.png", np.zeros((8, 8), np.uint8))
    assert (path.stat().st_mode & 0o777) == (0o666 & ~_UMASK)
    assert not list(tmp_path.glob(".*.tmp"))


def test_plain_jpeg_decoded_as_pillow_decodes_it(tmp_path):
    # read_image decodes plain JPEGs with OpenCV (faster into NumPy): the same pixels as
    # Pillow's decode, and a truncated one is still refused, as Pillow refuses it.
    from PIL import Image, ImageOps

    from runwaycut.io import pil_to_rgb

    photos = sorted((Path(__file__).resolve().parents[1] / "examples" / "photos").glob("*.jpg"))
    assert photos
    for photo in photos:
        with Image.open(photo) as pil:
            pil.load()
            expected = pil_to_rgb(ImageOps.exif_transpose(pil))
        assert np.array_equal(read_image(photo), expected), photo.name
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(photos[0].read_bytes()[:-5000])
    with pytest.raises(ImageReadError):
        read_image(cut)
