"""The manifest: one JSON row per photo, appended and flushed as photos finish.
"""

from __future__ import annotations



import json
import os
from pathlib import Path
from .photo import PhotoRecord

#: Default manifest name inside the output folder (JSON Lines, one row per photo).
MANIFEST_FILE = "manifest.jsonl"



#: Name of the file, inside the output folder, recording the parameters of its results.


# --------------------------------------------------------------------------- manifest


class Manifest:
    """The batch's manifest: JSON Lines, one :class:`PhotoRecord` per line, flushed per row.

    Opened for appending (resume) or anew; a line cut short by a killed run is ended
    before the next row, and :func:`read_manifest` skips it.
    """

    def __init__(self, path: str | os.PathLike, append: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists() and self.path.stat().st_size:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                cut_short = fh.read(1) != b"\n"
        else:
            cut_short = False
        self._fh = open(self.path, "a" if append else "w", encoding="utf-8")
        if cut_short:
            self._fh.write("\n")

    def write(self, record: PhotoRecord) -> None:
        self._fh.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_manifest(path: str | os.PathLike) -> list[dict]:
    """Rows of a manifest, skipping lines that are not whole JSON objects."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


#: Fields a skipped photo's row copies from the row of the run that made its files.
_CARRIED = ("method", "threshold", "figure_fraction", "width", "height")


def _previous_results(path: Path) -> dict[str, tuple]:
    """Carried fields of the last successful row per output stem in an existing manifest."""
    if not path.is_file():
        return {}
    return {row.get("output", ""): tuple(row.get(k) for k in _CARRIED)
            for row in read_manifest(path) if row.get("status") == "ok"}
