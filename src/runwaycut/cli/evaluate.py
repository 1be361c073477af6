"""``runwaycut evaluate``: score a figure-mask method against a labelled set."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..evaluation.evaluate import SUMMARY_SCORES, evaluate as evaluate_dataset, write_csv
from ..scoring.heldout import only_unseen, trained_on
from ..scoring.labels import TARGETS, open_dataset
from ..methods import METHODS
from ..evaluation.report import write_report
from ..threshold.rules import THRESHOLD_RULES
from ._app import Command, app
from ._options import (GARMENT_MODEL_HELP, PALETTE_PANEL, Band, Block, FillHoles, KeepLargest,
                       Layout, Method, Points, Sampler, Seed, Strip, Vote, choices)
from ._common import console, count_in_sample, fail, report_scored, reports_errors, say
from ..methods.threads import available_threads, photo_threads, with_threads
from .remove import apply_target, build_method, checked_palette, default_method

#: What evaluate scores: the figure, the garment mask, or the 14 items.
EVALUATE_TARGETS = (*TARGETS, "items")

#: Errors printed one by one; beyond this, only counted (all are in the CSV).
_MAX_SHOWN = 10


@app.command(cls=Command)
@reports_errors
def evaluate(
    dataset: Path = typer.Argument(
        ..., metavar="DATASET",
        help="Labelled set: a folder in the ccp, seg "
             "(<name>-seg.jpg) or masks layout, detected."),
    csv: Path = typer.Option(..., "--csv", help="CSV file to write: one row per photo."),
    report: Optional[Path] = typer.Option(None, "--report",
                                          help="Also write a self-contained HTML report."),
    target: str = typer.Option(
        "figure", metavar=choices(EVALUATE_TARGETS),
        help="Positive class: figure (all but background) or garment (the method's figure, "
             "then garment isolation; scores the garment mask); items (CCP labels: IoU of "
             "each of the 14 items, their mean, accuracy inside the figure; a confusion "
             "matrix in the report)."),
    garment_model: Optional[Path] = typer.Option(None, "--garment-model", metavar="FILE",
                                                 help=GARMENT_MODEL_HELP),
    method: Method = None,
    threshold: Optional[str] = typer.Option(
        None, metavar=choices(("T", "best") + tuple(THRESHOLD_RULES)),
        help="Colour band half-width (palette-based methods): a number, best (each "
             "photo's best against its labels: the ceiling), or a rule: "
             + ", ".join(THRESHOLD_RULES) + ". Default: the band's default.",
        rich_help_panel=PALETTE_PANEL),
    model: Optional[Path] = typer.Option(
        None, "--model", metavar="FILE", help="Threshold model (from runwaycut train) for "
                                              "--threshold auto, instead of the person rule "
                                              "and the shipped model.",
        rich_help_panel=PALETTE_PANEL),
    band: Band = "absolute",
    vote: Vote = "any",
    points: Points = 16,
    strip: Strip = 1 / 8,
    block: Block = 9,
    sampler: Sampler = "random",
    seed: Seed = 0,
    keep_largest: KeepLargest = True,
    fill_holes: FillHoles = True,
    layout: Layout = "auto",
    smoothing: bool = typer.Option(False, "--smoothing",
                                   help="Add 1 to numerator and denominator (the original)."),
    candidates: Optional[int] = typer.Option(
        None, min=1, help="With --threshold best: re-score only the K best raw thresholds "
                          "after figure selection (faster; default: every distinct mask)."),
    limit: Optional[int] = typer.Option(None, min=1, help="Score only the first N photos."),
    unseen: bool = typer.Option(
        False, "--unseen",
        help="Score only photos no shipped model was trained on: in a CCP set, leave out the "
             "development photos 0001-0500 but the 30 held out. Without it, scoring those "
             "with a trained method (auto, --threshold auto, --target garment or items) "
             "warns that their scores are in-sample."),
    worst: int = typer.Option(8, min=0, help="Worst photos shown in the report."),
) -> None:
    """Score a method's figure masks against the hand labels of DATASET.

    Writes one CSV row per photo (id, threshold, precision, recall, f1, iou, ...) and
    prints the mean and median of each score. Photos without a label are skipped and
    reported; unreadable or mismatched labels fail that photo (exit code 2 at the end).
    """
    if target not in EVALUATE_TARGETS:
        raise fail(f"--target must be one of {', '.join(EVALUATE_TARGETS)}, got {target!r}")
    method = default_method(method, threshold)
    if method not in METHODS:
        raise fail(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    best = threshold is not None and threshold.strip().lower() == "best"
    if best and method != "palette":
        raise fail(f"--threshold best needs --method palette (a colour-band threshold to "
                   f"search); {method!r} has none")
    backend = build_method(method, checked_palette(  # (with best the method is palette)
        method, threshold=None if best else threshold, model=None if best else model,
        band=band, vote=vote, points=points, strip=strip, block=block, sampler=sampler,
        seed=seed, keep_largest=keep_largest, fill_holes=fill_holes))
    if best and target == "items":
        raise fail("--threshold best scores a figure mask; it does not apply to --target items")
    if not best and target != "items":  # with best, the figure's threshold ceiling is scored
        backend = apply_target(backend, target, garment_model)
    # One photo at a time: its neural models and OpenCV get every core (the BLAS pools
    # one: see runwaycut.methods.threads).
    backend = with_threads(backend, available_threads())
    data = open_dataset(dataset, layout)
    if not data.items:
        raise fail(f"{dataset}: no photos or labels found ({data.layout} layout)")
    trained: frozenset = frozenset()
    if unseen:
        data, left_out = only_unseen(data)
        if left_out:
            say(f"left out {len(left_out)} development photos the shipped models were "
                "trained on (--unseen)")
        if not data.items:
            raise fail(f"{dataset}: every photo is one the shipped models were trained on "
                       "(--unseen)")
    elif _uses_trained_models(method, threshold, target, model):
        trained = frozenset(trained_on(data))
    if target == "items":
        from .evaluate_items import evaluate_items_command

        with photo_threads():
            return evaluate_items_command(data, backend, csv, report, limit, trained)
    total = len(data.items) if limit is None else min(limit, len(data.items))
    shown = 0
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as progress, photo_threads():
        task = progress.add_task("scoring", total=total)

        def on_photo(row):
            nonlocal shown
            if row["status"] == "failed" and shown < _MAX_SHOWN:
                say(row["error"], "error:", "bold red", progress.console)
                shown += 1
            progress.advance(task)

        result = evaluate_dataset(data, backend, target=target,
                                  threshold="best" if best else None, smoothing=smoothing,
                                  limit=limit, candidates=candidates, worst=worst,
                                  on_photo=on_photo)
    write_csv(csv, result.rows)
    result.settings["in_sample_photos"] = seen = count_in_sample(result.rows, trained)
    if report is not None:
        write_report(result, report)
    _print_summary(result)
    s = result.summary
    if s["skipped"]:
        first = next(r for r in result.rows if r["status"] == "skipped")
        say(f"without a label or photo, e.g. {first['error']}",
            f"skipped {s['skipped']} photo(s)", "yellow")
    report_scored(s, csv, report, seen)


def _uses_trained_models(method: str, threshold: str | None, target: str, model) -> bool:
    """Whether the scores rest on a model trained on the CCP development photos: auto's
    fusion, the garment classifier and item network, or the shipped threshold model
    (``--threshold auto`` without the user's own ``--model``). The note's palette at a
    number or by Otsu's, face-ratio or person rule, and the person models alone, learned
    nothing from them."""
    rule = (threshold or "").strip().lower()
    return (method == "auto" or target in ("garment", "items")
            or (rule == "auto" and model is None))


def _print_summary(result) -> None:
    s = result.summary
    if not s["scored"]:
        return
    st = result.settings
    table = Table(title=f"{st['method']} · threshold {st['threshold']}"
                        + (f" · {st['band']} band" if st.get("band") else "")
                        + f" · target {st['target']} · {s['scored']} photos")
    table.add_column("score")
    for col in ("mean", "median", "pooled"):
        table.add_column(col, justify="right")
    for k in SUMMARY_SCORES:
        table.add_row(k, *(f"{s[col][k]:.4f}" for col in ("mean", "median", "pooled")))
    if "threshold" in s["mean"]:
        table.add_row("threshold", f"{s['mean']['threshold']:.4g}",
                      f"{s['median']['threshold']:.4g}", "")
    Console().print(table)
