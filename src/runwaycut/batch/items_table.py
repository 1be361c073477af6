"""A batch's items in one table: what an analyst counts across a season.

``--target items`` writes one ``<stem>.items.json`` per photo. To answer "how many looks
carry a bag" or "which colours were the trousers" the analyst would read them all;
:func:`write_items_table` gathers them, in the order of the photos, into
``OUT/items.csv``: one row per photo and item present, with its share of the figure, its
box, the item network's confidence in it (a filter for the doubtful ones) and its
colours (the first, the largest, in columns of its own for a spreadsheet's filters and
pivots). The files are read back from the output folder, so photos done by
an earlier run (skipped by a rerun) are in the table too.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..io import write_bytes_atomic

#: The table's name in the output folder.
ITEMS_TABLE = "items.csv"

#: Its columns, in order.
COLUMNS = ("photo", "output", "item", "share_of_figure", "pixels", "confidence", "x0", "y0",
           "x1", "y1", "color", "color_family", "color_hex", "color_share", "colors")


@dataclass
class ItemsTable:
    """What :func:`items_table` found.

    Attributes
    ----------
    rows : list of dict
        One per photo and item present, keys :data:`COLUMNS`.
    photos : int
        Photos whose items were read (a photo without a person counts, with no row).
    looks : collections.Counter
        Item name -> the number of those photos that show it.
    unreadable : list of str
        ``items.json`` files missing or not readable (left out, with their photo).
    """

    rows: list[dict] = field(default_factory=list)
    photos: int = 0
    looks: Counter = field(default_factory=Counter)
    unreadable: list[str] = field(default_factory=list)


def items_table(out_dir: str | os.PathLike, photos: Iterable[tuple[str, str]]) -> ItemsTable:
    """The items of ``photos`` from their ``<stem>.items.json`` in ``out_dir``.

    Parameters
    ----------
    out_dir : path
        The output folder of a ``--target items`` run.
    photos : iterable of (photo, output stem)
        The photo's path as the manifest names it, and its output stem relative to
        ``out_dir`` (a :class:`~runwaycut.batch.photo.PhotoRecord`'s ``path`` and
        ``output``), in the table's order.
    """
    out_dir = Path(out_dir)
    table = ItemsTable()
    for photo, stem in photos:
        path = out_dir / f"{stem}.items.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            items = doc["items"]
            rows = [_row(photo, stem, item) for item in items]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            table.unreadable.append(str(path))
            continue
        table.rows.extend(rows)
        table.photos += 1
        table.looks.update({row["item"] for row in rows})
    return table


def _row(photo: str, stem: str, item: dict) -> dict:
    x0, y0, x1, y1 = item["bbox"]
    colors = item.get("colors") or []
    first = colors[0] if colors else {}
    return {"photo": photo, "output": stem, "item": item["name"],
            "share_of_figure": item["share_of_figure"], "pixels": item["pixels"],
            "confidence": item.get("confidence", ""),  # (items.json of an older runwaycut)
            "x0": x0, "y0": y0, "x1": x1, "y1": y1,
            "color": first.get("name", ""), "color_family": first.get("family", ""),
            "color_hex": first.get("hex", ""), "color_share": first.get("share", ""),
            "colors": "; ".join(f"{c['name']} {round(100 * c['share'])}%" for c in colors)}


def write_items_table(out_dir: str | os.PathLike, photos: Iterable[tuple[str, str]]
                      ) -> tuple[Path, ItemsTable]:
    """Write :func:`items_table` as ``out_dir / items.csv`` (atomically: a reader sees
    the old table or the new one, never half of one); returns its path and the table."""
    table = items_table(out_dir, photos)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table.rows)
    path = write_bytes_atomic(Path(out_dir) / ITEMS_TABLE, text.getvalue().encode("utf-8"))
    return path, table


__all__ = ["COLUMNS", "ITEMS_TABLE", "ItemsTable", "items_table", "write_items_table"]
