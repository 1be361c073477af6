"""The item map scored over a labelled set (``evaluate --target items``), and its report.

Needs CCP labels (the 59 labels map to the 14 items, :mod:`runwaycut.scoring.items`).
Each photo goes through ``--target items`` as ``remove`` runs it (the figure backend, then
:func:`runwaycut.parse_items`); a confusion matrix is pooled over the photos, giving the
IoU of each item, their mean, and the pixel accuracy inside the hand-labelled figure; and
photo by photo, each item's presence precision and recall (:func:`presence_scores`).
"""

from __future__ import annotations

import datetime
import html
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import LabelError, RunwaycutError
from ..io import read_image, write_bytes_atomic
from ..scoring.items import ITEM_NAMES, confusion_scores, item_confusion, read_ccp_items
from ..scoring.labels import Dataset, open_dataset

#: Columns of the per-photo rows of an item evaluation, in CSV order.
ITEM_ROW_COLUMNS = ("id", "status", "mean_iou", "accuracy_in_figure", "figure_f1",
                    "items_found", "items_labelled", "ms", "error")


@dataclass
class ItemEvaluation:
    """What :func:`evaluate_items` found.

    Attributes
    ----------
    rows : list of dict
        One per photo, columns :data:`ITEM_ROW_COLUMNS`.
    confusion : (14, 14) int64 array
        ``confusion[true, predicted]`` pixel counts pooled over the scored photos.
    scores : dict
        :func:`runwaycut.scoring.items.confusion_scores` of ``confusion``.
    settings : dict
    """

    rows: list
    confusion: np.ndarray
    scores: dict
    settings: dict = field(default_factory=dict)

    @property
    def presence(self) -> dict[str, dict]:
        """:func:`presence_scores` of the scored photos' rows."""
        return presence_scores(self.rows)

    @property
    def summary(self) -> dict:
        ok = [r for r in self.rows if r["status"] == "ok"]
        return {"photos": len(self.rows), "scored": len(ok),
                "skipped": sum(r["status"] == "skipped" for r in self.rows),
                "failed": sum(r["status"] == "failed" for r in self.rows)}


def evaluate_items(dataset: Dataset | str | Path, method, *, limit: int | None = None,
                   on_photo: Callable[[dict], None] | None = None) -> ItemEvaluation:
    """Score ``--target items`` on every photo of a CCP-layout labelled set.

    Parameters
    ----------
    dataset : Dataset or path
    method : FigureMethod
        A figure backend, or one already wrapped by
        :class:`runwaycut.garment.items_outputs.ItemsMethod`.
    limit : int, optional
        Only the first ``limit`` photos (by id).
    on_photo : callable, optional
        Called with each row as soon as it is done.

    Returns
    -------
    evaluation : ItemEvaluation

    Raises
    ------
    LabelError
        For a set whose labels are not CCP's (no item labels).
    """
    from ..garment.items import with_items
    from ..garment.items_outputs import ItemsMethod

    if not isinstance(dataset, Dataset):
        dataset = open_dataset(dataset)
    if dataset.layout != "ccp":
        raise LabelError(dataset.root, f"item scores need CCP labels (the 59 labels map to "
                                       f"the items); this set's layout is {dataset.layout}")
    figure = method.figure if isinstance(method, ItemsMethod) else method
    k = len(ITEM_NAMES)
    total = np.zeros((k, k), np.int64)
    rows = []
    entries = list(dataset.items)[:limit] if limit is not None else list(dataset.items)
    for entry in entries:
        row = {"id": entry.id, "status": "failed", "error": ""}
        start = time.perf_counter()
        try:
            missing = entry.missing()
            if missing is not None:
                row.update(status="skipped", error=str(missing))
            else:
                image = read_image(entry.photo)
                truth = read_ccp_items(entry.label, image.shape[:2])
                result = with_items(image, figure.predict(image), colors=None)
                items = result.details["items"]
                cm = item_confusion(truth, items.labels)
                total += cm
                s = confusion_scores(cm)
                tp = int(np.count_nonzero(items.figure & (truth > 0)))
                f1 = 2 * tp / max(int(items.figure.sum()) + int((truth > 0).sum()), 1)
                row.update(status="ok", mean_iou=s["mean_iou"],
                           accuracy_in_figure=s["accuracy_in_figure"], figure_f1=f1,
                           items_found=" ".join(items.present),
                           items_labelled=" ".join(ITEM_NAMES[i] for i in np.unique(truth) if i))
        except RunwaycutError as exc:
            row["error"] = str(exc)
        except (OSError, ValueError, MemoryError) as exc:
            row["error"] = f"{entry.photo or entry.label}: {type(exc).__name__}: {exc}"
        row["ms"] = (time.perf_counter() - start) * 1000
        row = {c: _clean(row.get(c)) for c in ITEM_ROW_COLUMNS}
        rows.append(row)
        if on_photo is not None:
            on_photo(row)
    settings = {"dataset": str(dataset.root), "layout": dataset.layout, "target": "items",
                "method": figure.name}
    return ItemEvaluation(rows=rows, confusion=total, scores=confusion_scores(total),
                          settings=settings)


def presence_scores(rows) -> dict[str, dict]:
    """How well the photos' items are found, photo by photo: what an analyst counting
    looks ("how many carry a bag") relies on, where the IoU weighs pixels.

    Parameters
    ----------
    rows : iterable of dict
        Rows of :func:`evaluate_items` (those not ``ok`` are left out): ``items_found``
        and ``items_labelled``, item names separated by spaces. An item is labelled in
        a photo when its labels hold a pixel of it, found when the item map lists it
        (at least :data:`~runwaycut.garment.items.MIN_ITEM_SHARE` of the figure).

    Returns
    -------
    presence : dict
        Item name (background left out) -> ``{"labelled": photos labelled, "found":
        photos found, "both": photos labelled and found, "precision": both / found,
        "recall": both / labelled}``, precision or recall None where its count is 0.

    Examples
    --------
    >>> rows = [{"status": "ok", "items_found": "top bag", "items_labelled": "top"},
    ...         {"status": "ok", "items_found": "top", "items_labelled": "top bag"}]
    >>> p = presence_scores(rows)
    >>> p["bag"]["precision"], p["bag"]["recall"], p["top"]["recall"], p["shoes"]["recall"]
    (0.0, 0.0, 1.0, None)
    """
    counts = {name: {"labelled": 0, "found": 0, "both": 0} for name in ITEM_NAMES[1:]}
    for row in rows:
        if row.get("status") != "ok":
            continue
        found = set((row.get("items_found") or "").split())
        labelled = set((row.get("items_labelled") or "").split())
        for name, c in counts.items():
            c["found"] += name in found
            c["labelled"] += name in labelled
            c["both"] += name in found and name in labelled
    for c in counts.values():
        c["precision"] = c["both"] / c["found"] if c["found"] else None
        c["recall"] = c["both"] / c["labelled"] if c["labelled"] else None
    return counts


def _clean(value):
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def render_items_report(ev: ItemEvaluation, title: str | None = None) -> str:
    """The item evaluation as one self-contained HTML document: settings, per-item IoU,
    the confusion matrix (rows: labelled item, columns: predicted; each row as shares
    of its pixels) and every photo's row."""
    from .report import _CSS, in_sample_note

    st, s = ev.settings, ev.summary
    title = title or f"runwaycut items: {st.get('method', '')}"
    sc = ev.scores
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
           f"<style>{_CSS} .cm td {{ padding: 2px 5px; font-size: 12px; }}</style></head><body>",
           f"<h1>{_e(title)}</h1>",
           f"<p class='meta'>{_e(st.get('dataset'))} · method {_e(st.get('method'))} · "
           f"{s['scored']} of {s['photos']} photos scored, {s['failed']} failed, "
           f"{s['skipped']} skipped · {datetime.datetime.now():%Y-%m-%d %H:%M}</p>",
           in_sample_note(st, s["scored"]),
           "<h2>Pooled scores</h2><table><tr><th>score</th><th>value</th></tr>",
           f"<tr><td>mean IoU of the items</td><td>{_f(sc['mean_iou'])}</td></tr>",
           f"<tr><td>pixel accuracy inside the figure</td><td>{_f(sc['accuracy_in_figure'])}</td></tr>",
           f"<tr><td>pixel accuracy</td><td>{_f(sc['accuracy'])}</td></tr></table>",
           "<h2>IoU per item</h2><table><tr><th>item</th><th>IoU</th><th>labelled px</th>"
           "<th>predicted px</th></tr>"]
    cm = ev.confusion
    for i, n in enumerate(ITEM_NAMES):
        out.append(f"<tr><td>{n}</td><td>{_f(sc['iou'][n])}</td><td>{int(cm[i].sum())}</td>"
                   f"<td>{int(cm[:, i].sum())}</td></tr>")
    out.append("</table><h2>Items found, photo by photo</h2><p>An item is labelled in a photo "
               "when its labels hold a pixel of it, found when the item map lists it (0.5% of "
               "the figure or more). Precision: of the photos where it was found, the share "
               "labelled with it; recall: of the photos labelled with it, the share where it "
               "was found.</p><table><tr><th>item</th><th>labelled</th><th>found</th>"
               "<th>both</th><th>precision</th><th>recall</th></tr>")
    for n, c in ev.presence.items():
        out.append(f"<tr><td>{n}</td><td>{c['labelled']}</td><td>{c['found']}</td>"
                   f"<td>{c['both']}</td><td>{_f(c['precision'])}</td><td>{_f(c['recall'])}</td></tr>")
    out.append(("</table><h2>Confusion matrix</h2><p>Rows: the labelled item; columns: the "
                "item predicted; each cell the share of the row's pixels.</p><table class='cm'>"
                "<tr><th></th>") + "".join(f"<th>{n[:5]}</th>" for n in ITEM_NAMES) + "</tr>")
    shares = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    for i, n in enumerate(ITEM_NAMES):
        cells = []
        for j in range(len(ITEM_NAMES)):
            v = shares[i, j]
            shade = int(255 - 160 * v)
            colour = f"rgb({shade},{shade},255)" if i == j else f"rgb(255,{shade},{shade})"
            cells.append(f"<td style='background:{colour}'>{v:.2f}</td>")
        out.append(f"<tr><td>{n}</td>{''.join(cells)}</tr>")
    header = "".join(f"<th>{c}</th>" for c in ITEM_ROW_COLUMNS)
    out.append(f"</table><h2>Photos</h2><table class='rows'><tr>{header}</tr>")
    for r in ev.rows:
        cls = " class='bad'" if r["status"] != "ok" else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{_e(_f(r.get(c)))}</td>" for c in ITEM_ROW_COLUMNS)
                   + "</tr>")
    out.append("</table></body></html>\n")
    return "\n".join(out)


def write_items_report(ev: ItemEvaluation, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`render_items_report` atomically."""
    return write_bytes_atomic(path, render_items_report(ev, title).encode("utf-8"))


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _f(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


__all__ = ["ITEM_ROW_COLUMNS", "ItemEvaluation", "evaluate_items", "presence_scores",
           "render_items_report", "write_items_report"]
