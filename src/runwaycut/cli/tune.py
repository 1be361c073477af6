"""``runwaycut tune``: each photo's best colour threshold against its hand labels."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..evaluation.evaluate import TUNE_COLUMNS, tune as tune_dataset, tune_summary, write_csv
from ..scoring.labels import TARGETS, open_dataset
from ._app import Command, app
from ._options import Block, FillHoles, KeepLargest, Layout, Points, Sampler, Strip, Vote, choices
from ._common import EXIT_BAD_INPUT, console, fail, reports_errors, say
from .remove import palette_options_to_method

_BANDS = {"absolute": ("absolute",), "relative": ("relative",), "both": ("absolute", "relative")}


@app.command(cls=Command)
@reports_errors
def tune(
    dataset: Path = typer.Argument(
        ..., metavar="DATASET",
        help="Labelled set: a folder in the ccp, seg "
             "(<name>-seg.jpg) or masks layout, detected."),
    csv: Path = typer.Option(..., "--csv", help="CSV file to write: one row per photo "
                                                "(per band and seed)."),
    band: str = typer.Option("absolute", metavar=choices(_BANDS),
                             help="absolute, relative or both."),
    seeds: int = typer.Option(1, min=1, help="Palette draws per photo (seeds SEED .. "
                                             "SEED+N-1): how far the best threshold moves."),
    target: str = typer.Option("figure", metavar=choices(TARGETS),
                               help="Positive class: figure or garment."),
    candidates: Optional[int] = typer.Option(
        None, min=1, help="Re-score only the K best raw thresholds after figure selection "
                          "(faster; default: every distinct mask)."),
    vote: Vote = "any",
    points: Points = 16,
    strip: Strip = 1 / 8,
    block: Block = 9,
    sampler: Sampler = "random",
    seed: int = typer.Option(0, help="First random seed of the palette sampling."),
    keep_largest: KeepLargest = True,
    fill_holes: FillHoles = True,
    layout: Layout = "auto",
    smoothing: bool = typer.Option(False, "--smoothing",
                                   help="Add 1 to numerator and denominator (the original)."),
    limit: Optional[int] = typer.Option(None, min=1, help="Tune only the first N photos."),
) -> None:
    """Find each photo's best threshold (highest F1 of the figure mask) and write it.

    The raw colour mask is swept exactly at every threshold; figure selection is then
    applied to every distinct mask (see runwaycut.scoring.tuning). The CSV has, per photo, band
    and seed: threshold, f1, precision, recall, iou, the raw mask's own best, and the F1
    at the band's default threshold.
    """
    if band not in _BANDS:
        raise fail(f"--band must be absolute, relative or both, got {band!r}")
    if target not in TARGETS:
        raise fail(f"--target must be one of {', '.join(TARGETS)}, got {target!r}")
    method = palette_options_to_method(None, "absolute", vote, points, strip, block, sampler,
                                       seed, keep_largest, fill_holes)
    data = open_dataset(dataset, layout)
    if not data.items:
        raise fail(f"{dataset}: no photos or labels found ({data.layout} layout)")
    total = len(data.items) if limit is None else min(limit, len(data.items))
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("tuning", total=total)

        def on_photo(rows):
            if rows and rows[0]["status"] == "failed":
                say(rows[0]["error"], "error:", "bold red", progress.console)
            progress.advance(task)

        rows = tune_dataset(data, method.palette, method.mask, method.figure,
                            bands=_BANDS[band], seeds=range(seed, seed + seeds), target=target,
                            candidates=candidates, smoothing=smoothing, limit=limit,
                            on_photo=on_photo)
    write_csv(csv, rows, TUNE_COLUMNS)
    summary = tune_summary(rows)
    if summary:
        table = Table(title=f"best threshold per photo · target {target}")
        table.add_column("")
        for b in summary:
            table.add_column(b, justify="right")
        lines = [("photos", "photos", "{:d}"), ("best F1 mean", "best_f1_mean", "{:.4f}"),
                 ("best F1 median", "best_f1_median", "{:.4f}"),
                 ("default F1 mean", "default_f1_mean", "{:.4f}"),
                 ("default F1 median", "default_f1_median", "{:.4f}"),
                 ("raw mask's best F1 mean", "raw_best_f1_mean", "{:.4f}"),
                 ("median best threshold", "threshold_median", "{:.4g}")]
        if seeds > 1:
            lines.append(("threshold std over seeds", "threshold_std_over_seeds", "{:.4g}"))
        for label, key, fmt in lines:
            table.add_row(label, *(fmt.format(s[key]) for s in summary.values()))
        Console().print(table)
    failed = sum(r["status"] == "failed" for r in rows)
    skipped = len({r["id"] for r in rows if r["status"] == "skipped"})
    say(f"{len({r['id'] for r in rows if r['status'] == 'ok'})} of {total} photos "
        f"tuned, {len({r['id'] for r in rows if r['status'] == 'failed'})} failed, "
        f"{skipped} skipped; rows in {csv}")
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)
    if not summary:
        raise fail("no photo could be tuned")
