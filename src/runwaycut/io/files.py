"""Writing files whole or not at all: a temporary file beside the target and a rename,
appends that never leave half a record, and a clear error when the disk is full."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import DiskFullError
from .encode import encode_png


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _current_umask()


#: errno values that mean nothing more can be written (disk, quota, file-size limit).
_FULL = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or a quota, or the file-size limit) is full."""
    return isinstance(exc, DiskFullError) or (isinstance(exc, OSError)
                                              and exc.errno in _FULL)


def disk_full_error(exc: OSError, path: str | os.PathLike) -> DiskFullError:
    """The one-line error for a write to ``path`` that failed for lack of space."""
    why = exc.strerror or os.strerror(exc.errno or errno.ENOSPC)
    return DiskFullError(f"{path}: cannot write, the disk is full ({why}); free some "
                         "space and run the same command again to resume")


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to the open file ``fd`` (``os.write`` may write
    part of it); the one function through which runwaycut's results reach the disk."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append_whole(fd: int, data: bytes, path: str | os.PathLike) -> None:
    """Append ``data`` to the file open as ``fd``, all or nothing: when the write
    fails (a full disk), the file is cut back to its previous length, so a reader never
    sees part of a row.

    Raises
    ------
    DiskFullError
        No space (the file as it was); other OSErrors as they come.
    """
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        write_all(fd, data)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, start)
        if is_disk_full(exc):
            raise disk_full_error(exc, path) from None
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader (or a resumed batch) therefore sees either no file or the whole file.

    Raises
    ------
    DiskFullError
        The disk is full (nothing is left of the attempt).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error(exc, path) from None
        raise
    try:
        try:
            write_all(fd, memoryview(data).cast("B"))
        finally:
            os.close(fd)
        # mkstemp creates the file 0600; give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and is_disk_full(exc) and not isinstance(exc, DiskFullError):
            raise disk_full_error(exc, path) from None
        raise
    return path


def write_png(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Encode ``array`` as PNG and write it atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, encode_png(array))
