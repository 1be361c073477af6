"""The manifest: one JSON row per photo, appended and flushed as photos finish.
"""

from __future__ import annotations



import json
import os
from pathlib import Path
from ..errors import RunwaycutError
from ..io import append_whole, disk_full_error, is_disk_full
from .photo import PhotoRecord

#: Default manifest name inside the output folder (JSON Lines, one row per photo).
MANIFEST_FILE = "manifest.jsonl"



#: Name of the file, inside the output folder, recording the parameters of its results.


# --------------------------------------------------------------------------- manifest


class Manifest:
    """The batch's manifest: JSON Lines, one :class:`PhotoRecord` per line, flushed per row.

    Opened for appending (resume) or anew; a line cut short by a killed run is ended
    before the next row, and :func:`read_manifest` skips it. Each row is appended whole
    or not at all (:func:`runwaycut.io.append_whole`): on a full disk the file is cut
    back and :class:`~runwaycut.errors.DiskFullError` raised.
    """

    def __init__(self, path: str | os.PathLike, append: bool = True):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_RDWR | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
            self._fd = os.open(self.path, flags, 0o666)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(exc, self.path) from None
            raise RunwaycutError(f"{self.path}: cannot open the manifest "
                                 f"({exc.strerror or exc})") from None
        size = os.fstat(self._fd).st_size
        if append and size and os.pread(self._fd, 1, size - 1) != b"\n":
            self._write(b"\n")  # end the row a killed run cut short

    def write(self, record: PhotoRecord) -> None:
        self._write((json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
                    .encode("utf-8", "surrogateescape"))

    def _write(self, data: bytes) -> None:
        append_whole(self._fd, data, self.path)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_manifest(path: str | os.PathLike) -> list[dict]:
    """Rows of a manifest, skipping lines that are not whole JSON objects."""
    rows = []
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


#: Fields a skipped photo's row copies from the row of the run that made its files
#: (the last three identify the photo file: see :func:`photo_fingerprint`).
_CARRIED = ("method", "threshold", "figure_fraction", "width", "height", "warning",
            "size_bytes", "mtime_ns", "sha256")


def _previous_results(path: Path) -> dict[str, tuple]:
    """Carried fields of the last successful row per output stem in an existing manifest."""
    if not path.is_file():
        return {}
    return {row.get("output", ""): tuple(row.get(k) for k in _CARRIED)
            for row in read_manifest(path) if row.get("status") == "ok"}
