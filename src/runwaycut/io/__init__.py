"""Reading photos and writing results: the only package that touches image files.

Every photo enters runwaycut as an ``(H, W, 3) uint8`` RGB array, whatever its file
held. The conversion rule (documented in the README) is:

* EXIF orientation is applied first, so the array is the photo as a viewer shows it.
* Grey (8-bit, 16-bit, 32-bit or float) is repeated into three channels.
* 16-bit channels are scaled to 8 bits (``value / 257``, rounded).
* Palette images are expanded to their colours.
* Alpha (RGBA, LA, palette with transparency) is composited over white, so that
  transparent areas read as a flat backdrop rather than as whatever colour they hide.
* CMYK, YCbCr and Lab files are converted to RGB by Pillow.

Writing is atomic: a result is encoded in memory, written to a temporary file beside
its target and renamed into place, so a crash never leaves a truncated PNG.
"""

from .encode import IMAGE_FORMATS, PNG_LEVEL, WEBP_MAX_SIDE, encode_image, encode_png, encode_webp
from .files import (append_whole, disk_full_error, is_disk_full, write_all, write_bytes_atomic,
                    write_png)
from .read import (MAX_PIXELS, MIN_SIDE, PHOTO_SUFFIXES, as_rgb_image, check_declared_size,
                   image_size, pil_to_rgb, read_image, read_mask)

__all__ = ["IMAGE_FORMATS", "MAX_PIXELS", "MIN_SIDE", "PHOTO_SUFFIXES", "PNG_LEVEL",
           "WEBP_MAX_SIDE", "append_whole", "as_rgb_image", "check_declared_size",
           "disk_full_error", "encode_image", "encode_png", "encode_webp", "image_size",
           "is_disk_full", "pil_to_rgb", "read_image", "read_mask", "write_all",
           "write_bytes_atomic", "write_png"]
