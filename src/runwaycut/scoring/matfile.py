"""MATLAB label files: the shapes they declare, read before anything is loaded.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from ..errors import LabelError
from ..io import MAX_PIXELS


def check_mat_size(path: Path, shape: tuple[int, int] | None, check_shape) -> None:
    """Refuse a ``.mat`` whose ``groundtruth`` declares another size than the photo's, or
    more than :data:`runwaycut.io.MAX_PIXELS` values, before loading it: an 875 KB
    compressed file can declare 900 MB (SciPy's ``whosmat`` itself inflates 256 KB
    blocks of it, hundreds of MB, so the header is read here). ``check_shape(path,
    dims, shape)`` raises for dimensions other than the photo's."""
    try:
        declared = mat_declared_shapes(path)
    except (OSError, ValueError, zlib.error, struct.error) as exc:
        raise LabelError(path, f"cannot read MATLAB file ({exc})") from None
    if declared is None:  # a MATLAB 4 file: uncompressed, its size bounds its arrays
        if path.stat().st_size > 4 * MAX_PIXELS:
            raise LabelError(path, "MATLAB 4 file too large for a label")
        return
    if "groundtruth" not in declared:
        raise LabelError(path, "no variable 'groundtruth' in the MATLAB file")
    dims = declared["groundtruth"]
    if len(dims) != 2:
        raise LabelError(path, f"groundtruth has shape {dims}, expected (height, width)")
    check_shape(path, dims, shape)
    if dims[0] * dims[1] > MAX_PIXELS:
        raise LabelError(path, f"label is {dims[1]}x{dims[0]}, over the limit of "
                               f"{MAX_PIXELS:,} pixels")


_MI_INT8, _MI_INT32, _MI_MATRIX, _MI_COMPRESSED = 1, 5, 14, 15


def mat_declared_shapes(path: str | Path) -> dict[str, tuple[int, ...]] | None:
    """Shapes of the variables a MATLAB 5 file declares, read from their headers only.

    Compressed variables are inflated just far enough to read their header (a few
    hundred bytes), whatever size they declare.

    Returns
    -------
    shapes : dict of str to tuple of int, or None
        None for a file that is not MATLAB 5 (MATLAB 4 has no such header).

    Raises
    ------
    ValueError, struct.error, zlib.error
        A damaged MATLAB 5 file.
    """
    with open(path, "rb") as fh:
        header = fh.read(128)
        if len(header) < 128 or header[126:128] not in (b"IM", b"MI"):
            return None
        order = "<" if header[126:128] == b"IM" else ">"
        shapes = {}
        while True:
            tag = fh.read(8)
            if len(tag) < 8:
                return shapes
            mdtype, nbytes = struct.unpack(order + "II", tag)
            start = fh.tell()
            if mdtype == _MI_COMPRESSED:
                inflate = zlib.decompressobj()
                body = b""
                while len(body) < 512:
                    chunk = fh.read(min(4096, start + nbytes - fh.tell()))
                    if not chunk:
                        break
                    body += inflate.decompress(chunk, 512 - len(body))
                    while inflate.unconsumed_tail and len(body) < 512:
                        body += inflate.decompress(inflate.unconsumed_tail, 512 - len(body))
            else:
                body = tag + fh.read(min(nbytes, 512))
            name, dims = _matrix_header(body, order)
            if name is not None:
                shapes[name] = dims
            fh.seek(start + nbytes + (-nbytes % 8 if mdtype != _MI_COMPRESSED else 0))


def _matrix_header(body: bytes, order: str) -> tuple[str | None, tuple[int, ...]]:
    """Name and dimensions of a miMATRIX element (tag included) of a MATLAB 5 file."""
    mdtype, _ = struct.unpack_from(order + "II", body, 0)
    if mdtype != _MI_MATRIX:
        return None, ()
    pos = 8 + 16  # the tag, then array flags (8-byte tag + 8 bytes)
    parts = []
    for _ in range(2):  # dimensions (miINT32), then the name (miINT8)
        first, = struct.unpack_from(order + "I", body, pos)
        if first >> 16:  # small data element: size and type in one word, data in 4 bytes
            kind, size, data_at, step = first & 0xFFFF, first >> 16, pos + 4, 8
        else:
            kind, size = struct.unpack_from(order + "II", body, pos)
            data_at, step = pos + 8, 8 + size + (-size % 8)
        parts.append((kind, body[data_at:data_at + size]))
        pos += step
    (dims_kind, dims_raw), (_, name_raw) = parts
    if dims_kind != _MI_INT32 or len(dims_raw) % 4:
        raise ValueError("damaged array dimensions")
    dims = struct.unpack(order + f"{len(dims_raw) // 4}i", dims_raw)
    return name_raw.decode("latin-1"), tuple(int(d) for d in dims)
