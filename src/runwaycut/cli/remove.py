"""``runwaycut remove``: figure masks and cutouts for photos and folders."""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text

from ..batch.inputs import collect_photos
from ..batch.run import run_collection
from ..io import MAX_PIXELS
from ..note.colormask import MaskParams, parse_vote
from ..note.figure import FigureParams
from ..methods import METHODS, PaletteMethod, get_method
from ..threshold.rules import THRESHOLD_RULES, parse_threshold
from ..note.palette import PaletteParams
from ._app import app
from ._options import Band, Block, FillHoles, KeepLargest, Points, Seed, Strip, Vote
from ._common import EXIT_BAD_INPUT, console, fail, reports_errors


def palette_options_to_method(threshold: Optional[str], band: str, vote: str, points: int,
                              strip: float, block: int, sampler: str, seed: int,
                              keep_largest: bool, fill_holes: bool,
                              model: Optional[Path] = None) -> PaletteMethod:
    """Build the palette backend from command-line values (validating them); ``model``
    is a threshold-model file for ``--threshold auto``."""
    value, rule = parse_threshold(threshold, model, band)
    return PaletteMethod(
        palette=PaletteParams(points=points, strip=strip, block=block, sampler=sampler, seed=seed),
        mask=MaskParams(threshold=value, band=band, vote=parse_vote(vote)),
        figure=FigureParams(keep_largest=keep_largest, fill_holes=fill_holes),
        threshold_rule=rule)


METHOD_HELP = ("Figure-mask backend: auto (person models fused with colours and edges), "
               "person (the neural mask alone) or palette (the design note's colour "
               "method). Default: auto, or palette when --threshold is given.")


def default_method(method: Optional[str], threshold: Optional[str]) -> str:
    """The backend to use: the one named, else ``palette`` when a colour threshold was
    given (it only means something there), else ``auto``."""
    if method is not None:
        return method
    return "palette" if threshold is not None else "auto"


def build_method(name: str, palette: PaletteMethod):
    """The backend called ``name``; every backend factory takes the palette settings."""
    if name == "palette":
        return palette
    return get_method(name, palette=palette)


#: Help of ``--target`` and ``--garment-model``, shared by remove, evaluate and explain.
TARGET_HELP = ("figure: the figure mask and cutout. garment: also isolate the garment "
               "(four-class label map, garment cutout and its colours) from that figure.")
GARMENT_MODEL_HELP = "Garment classifier (from benchmarks/train_garment.py) instead of the shipped one."


def apply_target(backend, target: str, garment_model: Optional[Path] = None):
    """The backend for ``--target``: as is for figure, wrapped by
    :class:`runwaycut.garment.GarmentMethod` for garment."""
    if target not in ("figure", "garment"):
        raise fail(f"--target must be figure or garment, got {target!r}")
    if target == "figure":
        if garment_model is not None:
            raise fail("--garment-model needs --target garment")
        return backend
    from ..garment.outputs import GarmentMethod

    return GarmentMethod(backend, model_file=None if garment_model is None else str(garment_model))


class RateColumn(ProgressColumn):
    """Photos per second, as the progress bar measures it."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} photos/s", style="progress.data.speed")


#: Errors printed as they happen; the rest are only in the manifest.
_MAX_ERRORS_SHOWN = 20


@app.command()
@reports_errors
def remove(
    inputs: Optional[List[str]] = typer.Argument(
        None, metavar="PHOTO_OR_FOLDER...",
        help="Photos, folders of photos, glob patterns ('shots/**/*.jpg', quoted) or "
             "@LIST (a text file of paths, one a line)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the results (created)."),
    method: Optional[str] = typer.Option(None, help=METHOD_HELP),
    threshold: Optional[str] = typer.Option(
        None, help="Colour band half-width: levels for the absolute band (default 20), "
                   "a fraction for the relative band (default 0.4); or a rule: "
                   + ", ".join(THRESHOLD_RULES) + " (auto: the person rule, or the "
                   "shipped photo-only model where no person is found)."),
    model: Optional[Path] = typer.Option(
        None, "--model", metavar="FILE", help="Threshold model (from runwaycut train) for "
                                              "--threshold auto, instead of the person rule "
                                              "and the shipped model."),
    band: Band = "absolute",
    vote: Vote = "any",
    points: Points = 16,
    strip: Strip = 1 / 8,
    block: Block = 9,
    sampler: str = typer.Option("random", help="random (the note's seeded points) or kmeans "
                                               "(cluster centres of all strip pixels)."),
    seed: Seed = 0,
    keep_largest: KeepLargest = True,
    fill_holes: FillHoles = True,
    target: str = typer.Option("figure", help=TARGET_HELP),
    garment_model: Optional[Path] = typer.Option(None, "--garment-model", metavar="FILE",
                                                 help=GARMENT_MODEL_HELP),
    overlay: bool = typer.Option(False, "--overlay", help="Also write <stem>.overlay.png, "
                                 "removed pixels painted neon green."),
    recursive: bool = typer.Option(False, "--recursive", "-r",
                                   help="Look for photos in sub-folders too."),
    from_file: Optional[str] = typer.Option(
        None, "--from-file", metavar="LIST",
        help="Text file of photos/folders/patterns, one a line ('-': standard input)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", min=1,
        help="Worker processes (default: the cores available); 1 works in-process. "
             "With --scheduler local: the number of Dask workers."),
    scheduler: Optional[str] = typer.Option(
        None, metavar="ADDRESS",
        help="Run on a Dask cluster: its scheduler address (tcp://host:8786), or 'local' "
             "to start a LocalCluster."),
    chunk_size: Optional[int] = typer.Option(
        None, min=1, help="Photos per Dask task (default: about 4 tasks per worker, <= 64)."),
    manifest: Optional[Path] = typer.Option(
        None, metavar="FILE", help="Manifest, one JSON row per photo "
                                   "(default: OUT/manifest.jsonl)."),
    resume: bool = typer.Option(
        True, "--resume/--overwrite",
        help="--resume (default): skip photos whose outputs all exist, refuse if OUT was "
             "made with other parameters. --overwrite: redo every photo."),
    max_pixels: int = typer.Option(
        MAX_PIXELS, min=1, help="Refuse photos with more pixels than this, undecoded "
                                "(decompression-bomb guard)."),
) -> None:
    """Cut the figure out of each photo.

    Writes, per photo, into --out (mirroring the folders given): <stem>.mask.png
    (255 = figure), <stem>.png (RGBA cutout) and, with --overlay, <stem>.overlay.png;
    plus OUT/manifest.jsonl (one row per photo), its summary and runwaycut-params.json.
    With --target garment, also <stem>.labels.png (class per pixel: 0 background red,
    1 garment blue, 2 skin+hair white, 3 accessories green), <stem>.garment.png (RGBA
    cutout of the garment) and <stem>.colors.json (its dominant colours and shares).
    Rerunning the same command resumes. Exit code 0 when every photo succeeded, 2 when
    any failed (the others are still done), 130 when interrupted.
    """
    backend = build_method(default_method(method, threshold), palette_options_to_method(
        threshold, band, vote, points, strip, block, sampler, seed, keep_largest, fill_holes,
        model=model))
    backend = apply_target(backend, target, garment_model)
    if not inputs and from_file is None:
        raise fail("name photos, folders, patterns or --from-file LIST")
    photos = collect_photos(inputs or [], recursive=recursive, from_file=from_file,
                            exclude=[out])
    if not photos:
        raise fail("no photos found in " + ", ".join(inputs or [str(from_file)]))
    shown = skipped = 0
    # Refreshed by hand, not by Rich's refresh thread: with no thread running, worker
    # processes can be forked (milliseconds) instead of spawned (a fresh interpreter each).
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console, transient=True,
                  auto_refresh=False) as progress:
        task = progress.add_task("removing backgrounds", total=len(photos))
        progress.refresh()
        last_refresh = time.monotonic()

        def on_record(record) -> None:
            nonlocal shown, skipped, last_refresh
            if record.status == "failed":
                shown += 1
                if shown <= _MAX_ERRORS_SHOWN:
                    progress.console.print(f"[bold red]error:[/] {record.error}",
                                           highlight=False, soft_wrap=True)
                elif shown == _MAX_ERRORS_SHOWN + 1:
                    progress.console.print("[bold red]error:[/] more failures; see the "
                                           "manifest", highlight=False)
            if record.status == "ok" and record.warning:
                progress.console.print(f"[yellow]warning:[/] {record.path}: {record.warning}",
                                       highlight=False, soft_wrap=True)
            if record.status == "skipped":
                skipped += 1
                progress.update(task, total=progress.tasks[0].total - 1,
                                description=f"removing backgrounds ({skipped} already done)")
            else:
                progress.advance(task)
            now = time.monotonic()
            if now - last_refresh >= 0.1:
                progress.refresh()
                last_refresh = now

        try:
            with _sigterm_as_interrupt():
                summary = run_collection(photos, out, backend, overlay=overlay,
                                         workers=workers, scheduler=scheduler, resume=resume,
                                         manifest=manifest, max_pixels=max_pixels,
                                         chunk_size=chunk_size, on_record=on_record)
        except KeyboardInterrupt:
            progress.stop()
            console.print("interrupted; the photos done are in the manifest. Run the same "
                          "command again to resume.", style="yellow", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
    rate = f", {summary.photos_per_s:.2f} photos/s" if summary.photos_per_s else ""
    mean = f", {summary.mean_ms:.0f} ms per photo" if summary.mean_ms else ""
    skipped = f", {summary.skipped} already done" if summary.skipped else ""
    console.print(f"{summary.total} photo{'' if summary.total == 1 else 's'}: "
                  f"{summary.ok} done, {summary.failed} failed"
                  f"{skipped} in {summary.seconds:.1f} s{rate}{mean}; results in {out}, "
                  f"manifest {summary.manifest}", highlight=False)
    if summary.failed:
        raise typer.Exit(EXIT_BAD_INPUT)


#: Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Treat SIGTERM (a job scheduler's stop) like Ctrl-C while the batch runs."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
