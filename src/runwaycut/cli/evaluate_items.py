"""``runwaycut evaluate --target items``: the item map scored against CCP labels."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..evaluation.evaluate import write_csv
from ..evaluation.items import ITEM_ROW_COLUMNS, evaluate_items, write_items_report
from ..scoring.items import ITEM_NAMES
from ._common import console, count_in_sample, report_scored, say


def evaluate_items_command(data, backend, csv: Path, report: Path | None,
                           limit: int | None, trained: frozenset = frozenset()) -> None:
    """Run :func:`runwaycut.evaluation.items.evaluate_items` with a progress bar, write the
    CSV (and report), print the per-item table (and a warning for ``trained`` photos,
    see :func:`~runwaycut.cli._common.report_scored`); exit 2 when a photo failed."""
    total = len(data.items) if limit is None else min(limit, len(data.items))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("scoring items", total=total)

        def on_photo(row):
            if row["status"] == "failed":
                say(row["error"], "error:", "bold red", progress.console)
            progress.advance(task)

        ev = evaluate_items(data, backend, limit=limit, on_photo=on_photo)
    write_csv(csv, ev.rows, ITEM_ROW_COLUMNS)
    ev.settings["in_sample_photos"] = seen = count_in_sample(ev.rows, trained)
    if report is not None:
        write_items_report(ev, report)
    s = ev.summary
    if s["scored"]:
        table = Table(title=f"{ev.settings['method']} · target items · {s['scored']} photos "
                            "(pooled)")
        table.add_column("item")
        table.add_column("IoU", justify="right")
        # Photo by photo: of the photos where the item was found, the share labelled
        # with it; of those labelled with it, the share where it was found.
        table.add_column("found: precision", justify="right")
        table.add_column("recall", justify="right")
        presence = ev.presence

        def share(v):
            return "–" if v is None else f"{v:.2f}"

        for n in ITEM_NAMES:
            v = ev.scores["iou"][n]
            c = presence.get(n)
            table.add_row(n, "–" if v is None else f"{v:.4f}",
                          *(("", "") if c is None else (
                              f"{share(c['precision'])} ({c['both']}/{c['found']})",
                              f"{share(c['recall'])} ({c['both']}/{c['labelled']})")))
        table.add_row("mean IoU", f"{ev.scores['mean_iou']:.4f}")
        table.add_row("accuracy in figure", f"{ev.scores['accuracy_in_figure']:.4f}")
        Console().print(table)
    report_scored(s, csv, report, seen)
