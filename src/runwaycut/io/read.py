"""Reading photos and masks: every photo enters runwaycut as an ``(H, W, 3) uint8`` RGB
array, whatever its file held, by the rule the package's docstring states."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageReadError, ImageSizeError, InvalidImageError

#: Smallest side, in pixels, of a photo runwaycut will process. Below this the edge
#: strips are narrower than a sampling block and no mask means anything.
MIN_SIDE = 64

#: Largest pixel count decoded by default (a decompression-bomb guard): 100 megapixels,
#: more than any camera's runway photo, far less than a crafted bomb.
MAX_PIXELS = 100_000_000

#: File name suffixes runwaycut treats as photos when given a folder.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")


def _silence_opencv_log() -> None:
    """Keep OpenCV's own log lines (``[ERROR:0@0.99] global loadsave.cpp ...``) off stderr.

    Every decoding failure becomes a typed error naming the file; OpenCV's line would be
    a second, unformatted one that breaks the command line's one-line errors. A user's
    ``OPENCV_LOG_LEVEL`` is respected."""
    if "OPENCV_LOG_LEVEL" not in os.environ:
        try:
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        except AttributeError:  # pragma: no cover - an OpenCV build without utils.logging
            pass


_silence_opencv_log()


def read_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS,
               min_side: int = MIN_SIDE) -> np.ndarray:
    """Read a photo file as an RGB array, by the conversion rule of this module.

    Parameters
    ----------
    path : str or path-like
        JPEG, PNG, TIFF, WebP or BMP file.
    max_pixels : int, optional
        Refuse images with more pixels than this, before decoding them.
    min_side : int, optional
        Refuse images whose width or height is below this.

    Returns
    -------
    image : (H, W, 3) uint8 array
        The photo in RGB order, EXIF orientation applied.

    Raises
    ------
    ImageReadError
        The file is missing, empty, truncated or not an image.
    ImageSizeError
        The image is smaller than ``min_side`` or larger than ``max_pixels``.
    """
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise ImageReadError(path, "a symbolic link that leads nowhere (a loop, or "
                                       "its target is missing)")
        raise ImageReadError(path, "no such file")
    if path.is_dir():
        raise ImageReadError(path, "is a folder, not a photo")
    try:
        if path.stat().st_size == 0:
            raise ImageReadError(path, "file is empty")
    except OSError as exc:
        raise ImageReadError(path, f"cannot read file ({exc.strerror or exc})") from None
    try:
        with _pillow_unguarded(), Image.open(path) as pil:
            _check_size(path, pil.width, pil.height, max_pixels, min_side)
            if pil.mode in ("RGB", "RGBA") and _is_16bit_colour(pil):
                # Pillow keeps only the high byte of 16-bit colour; OpenCV keeps
                # all 16 bits, so the rule (value / 257, rounded) holds exactly.
                orientation = pil.getexif().get(_EXIF_ORIENTATION, 1)
                image = _orient(_read_with_opencv(path, max_pixels, min_side),
                                orientation)
            else:
                image = _read_plain_jpeg(path, pil)
                if image is None:
                    pil.load()
                    pil = ImageOps.exif_transpose(pil)
                    image = pil_to_rgb(pil)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        # Only formats whose size can be read before decoding reach OpenCV, so that the
        # pixel guard holds for them too (a Radiance HDR or PFM bomb is never decoded).
        width, height = _declared_size_unidentified(path)
        _check_size(path, width, height, max_pixels, min_side)
        image = _read_with_opencv(path, max_pixels, min_side)
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncation and corrupt streams as OSError/SyntaxError.
        raise ImageReadError(path, f"cannot decode image ({exc})") from None
    _check_size(path, image.shape[1], image.shape[0], max_pixels, min_side)
    return image


def _read_plain_jpeg(path: Path, pil: Image.Image) -> np.ndarray | None:
    """A plain JPEG decoded by OpenCV: pixel for pixel Pillow's decode, in 2.5 instead of 6
    ms for a 550x832 photo (Pillow's decode is as fast; handing its pixels to NumPy
    is not); None for any other file, which Pillow then reads.

    Plain: baseline or progressive JPEG in RGB (YCbCr) with no EXIF rotation, whose data
    ends with the end-of-image marker. A truncated file lacks it, so Pillow reads it
    and refuses it, as it always did (OpenCV would pad it with grey and warn).

    Returns
    -------
    image : (H, W, 3) uint8 array or None
    """
    if pil.format != "JPEG" or pil.mode != "RGB" or pil.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        return None
    data = np.fromfile(path, np.uint8)
    if data[-2:].tobytes() != b"\xff\xd9":
        return None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None or bgr.shape[:2] != (pil.height, pil.width):
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@contextlib.contextmanager
def _pillow_unguarded():
    """Pillow's own bomb check off (it warns, then errors at 2x its limit): ours, on the
    declared size, is explicit and configurable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved_limit


def _check_size(path, width: int, height: int, max_pixels: int, min_side: int) -> None:
    if width * height > max_pixels:
        raise ImageSizeError(path, f"image is {width}x{height} = {width * height:,} pixels, "
                                   f"over the limit of {max_pixels:,} (a decompression-bomb "
                                   "guard; raise it with max_pixels / --max-pixels)")
    if min(width, height) < min_side:
        raise ImageSizeError(path, f"image is {width}x{height}, smaller than the minimum "
                                   f"side of {min_side} px")


_EXIF_ORIENTATION = 0x0112


def _is_16bit_colour(pil: Image.Image) -> bool:
    """Whether Pillow would decode this colour image by dropping a 16-bit low byte."""
    return any(";16" in str(tile[3]) for tile in (pil.tile or []))


def _orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1..8) to an array, as ``ImageOps.exif_transpose``."""
    ops = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, -1),
           7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1], 8: lambda a: np.rot90(a, 1)}
    op = ops.get(int(orientation))
    return image if op is None else np.ascontiguousarray(op(image))


#: What a file Pillow cannot identify starts with, for a clear refusal.
_OTHER_FORMATS = ((b"#?RADIANCE", "Radiance HDR"), (b"#?RGBE", "Radiance HDR"),
                  (b"PF\n", "PFM"), (b"Pf\n", "PFM"), (b"v/1\x01", "OpenEXR"),
                  (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"), (b"8BPS", "Photoshop"))


def _declared_size_unidentified(path: Path) -> tuple[int, int]:
    """(width, height) that a file Pillow cannot identify declares, read from its header
    without decoding; only TIFF (classic and BigTIFF) is accepted.

    Raises
    ------
    ImageReadError
        Any other format (its size is unknown until decoded), or a TIFF whose first
        image declares no size.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            size = _tiff_size(fh, head) if head[:2] in (b"II", b"MM") else None
    except (OSError, struct.error, ValueError) as exc:
        raise ImageReadError(path, f"cannot read image header ({exc})") from None
    if size is not None:
        return size
    kind = next((name for magic, name in _OTHER_FORMATS if head.startswith(magic)), None)
    what = f"a {kind} file, not" if kind else "not"
    raise ImageReadError(path, f"{what} an image file runwaycut can read "
                               "(JPEG, PNG, TIFF, WebP or BMP expected)")


def _tiff_size(fh, head: bytes) -> tuple[int, int] | None:
    """ImageWidth and ImageLength of a TIFF's first directory (None: not a TIFF)."""
    order = "<" if head[:2] == b"II" else ">"
    magic = struct.unpack(order + "H", head[2:4])[0]
    if magic == 42:
        offset = struct.unpack(order + "I", head[4:8])[0]
        count_fmt, entry_fmt, entry_size = "H", "HHI4s", 12
    elif magic == 43:
        offset = struct.unpack(order + "Q", head[8:16])[0]
        count_fmt, entry_fmt, entry_size = "Q", "HHQ8s", 20
    else:
        return None
    fh.seek(offset)
    raw = fh.read(struct.calcsize(count_fmt))
    count = struct.unpack(order + count_fmt, raw)[0]
    found = {}
    for _ in range(min(count, 4096)):
        entry = fh.read(entry_size)
        if len(entry) < entry_size:
            break
        tag, kind, _n, value = struct.unpack(order + entry_fmt, entry)
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT or LONG
            fmt = {3: "H", 4: "I", 16: "Q"}.get(kind)
            if fmt is None:
                return None
            found[tag] = struct.unpack(order + fmt, value[:struct.calcsize(fmt)])[0]
    if 256 not in found or 257 not in found:
        return None
    return int(found[256]), int(found[257])


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) an image file declares, read from its header, never decoded;
    EXIF orientation applied, as :func:`read_image` applies it.

    Raises
    ------
    ImageReadError
        The file is missing, unreadable, or not an image whose size can be read first.
    """
    path = Path(path)
    try:
        with _pillow_unguarded(), Image.open(path) as pil:
            turned = pil.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8)
            size = int(pil.width), int(pil.height)
            return size[::-1] if turned else size
    except UnidentifiedImageError:
        return _declared_size_unidentified(path)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(path, f"cannot read image header ({exc})") from None


def _read_with_opencv(path: Path, max_pixels: int, min_side: int) -> np.ndarray:
    """Decode with OpenCV a file whose declared size was checked: 16-bit RGB, and TIFFs
    Pillow cannot identify."""
    data = np.fromfile(path, dtype=np.uint8)
    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if decoded is None:
        raise ImageReadError(path, "not an image file runwaycut can read "
                                   "(JPEG, PNG, TIFF, WebP or BMP expected)")
    _check_size(path, decoded.shape[1], decoded.shape[0], max_pixels, min_side)
    if decoded.ndim == 3:
        code = cv2.COLOR_BGRA2RGBA if decoded.shape[2] == 4 else cv2.COLOR_BGR2RGB
        decoded = cv2.cvtColor(decoded, code)
    return as_rgb_image(decoded)


def pil_to_rgb(pil: Image.Image) -> np.ndarray:
    """Convert a Pillow image of any mode to ``(H, W, 3) uint8`` RGB (module rule)."""
    if pil.mode == "P":
        pil = pil.convert("RGBA" if "transparency" in pil.info else "RGB")
    if pil.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return as_rgb_image(np.asarray(pil))
    if pil.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return as_rgb_image(np.asarray(pil.convert("RGBA")))
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    return np.ascontiguousarray(np.asarray(pil, dtype=np.uint8))


def as_rgb_image(array: np.ndarray) -> np.ndarray:
    """Bring an in-memory array to ``(H, W, 3) uint8`` RGB by the module's rule.

    Parameters
    ----------
    array : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array
        uint8, uint16 (scaled by 1/257), other integers holding 0..255, or floats in
        [0, 1]. Four channels are RGBA and are composited over white.

    Returns
    -------
    image : (H, W, 3) uint8 array

    Raises
    ------
    InvalidImageError
        For any other shape or dtype, or values out of range.
    """
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise InvalidImageError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, "
                                f"got shape {a.shape}")
    if a.size == 0:
        raise InvalidImageError("image is empty")
    if a.dtype == np.uint8:
        pass
    elif a.dtype == np.uint16:
        a = np.round(a.astype(np.float32) / 257.0).astype(np.uint8)
    elif a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise InvalidImageError("a float image must hold finite values in [0, 1]")
        a = np.round(a * 255.0).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.integer):
        if a.min() < 0 or a.max() > 255:
            if a.min() >= 0 and a.max() <= 65535:  # 16-bit data held in a wider int
                a = np.round(a.astype(np.float32) / 257.0).astype(np.uint8)
            else:
                raise InvalidImageError(f"integer image values must lie in 0..255 "
                                        f"(or 0..65535), got {a.min()}..{a.max()}")
        else:
            a = a.astype(np.uint8)
    else:
        raise InvalidImageError(f"unsupported image dtype {a.dtype}")
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        a = np.round(a[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(a)


def read_mask(path: str | os.PathLike, shape: tuple[int, int] | None = None, *,
              max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a binary mask PNG (nonzero = figure) as a bool array.

    Parameters
    ----------
    path : str or path-like
        Grey or colour image; any nonzero pixel (any channel) counts as foreground.
    shape : (H, W) tuple, optional
        Required size; a mask of another size is refused rather than resized, before
        it is decoded.
    max_pixels : int, optional
        Refuse larger masks, before decoding them.

    Returns
    -------
    mask : (H, W) bool array
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(path, "no such mask file")
    check_declared_size(path, shape, max_pixels, what="mask")
    data = np.fromfile(path, dtype=np.uint8)
    decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH) if data.size else None
    if decoded is None:
        raise ImageReadError(path, "cannot decode mask image")
    mask = decoded if decoded.ndim == 2 else decoded[:, :, :3].max(axis=2)
    if shape is not None and mask.shape[:2] != tuple(shape):
        raise ImageReadError(path, f"mask is {mask.shape[1]}x{mask.shape[0]}, but its photo "
                                   f"is {shape[1]}x{shape[0]}")
    return mask > 0


def check_declared_size(path: str | os.PathLike, shape: tuple[int, int] | None,
                        max_pixels: int = MAX_PIXELS, what: str = "image") -> None:
    """Refuse a file whose header declares another size than ``shape`` (H, W), or more
    than ``max_pixels`` pixels, before anything is decoded.

    Raises
    ------
    ImageReadError
        Unreadable header; ImageSizeError: wrong or too large size.
    """
    width, height = image_size(path)
    if shape is not None and (height, width) != tuple(shape):
        raise ImageSizeError(path, f"{what} is {width}x{height}, but its photo is "
                                   f"{shape[1]}x{shape[0]}")
    if width * height > max_pixels:
        raise ImageSizeError(path, f"{what} is {width}x{height} = {width * height:,} pixels, "
                                   f"over the limit of {max_pixels:,}")
