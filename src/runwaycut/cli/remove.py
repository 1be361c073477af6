"""``runwaycut remove``: figure masks and cutouts for photos and folders."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import List, Optional

import typer

from ..batch.inputs import collect_photos
from ..batch.outputs import FORMATS
from ..batch.run import run_collection
from ..batch.targets import TARGETS
from ..io import MAX_PIXELS
from ..note.colormask import MaskParams, parse_vote
from ..note.figure import FigureParams
from ..methods import PaletteMethod, get_method
from ..note.palette import PaletteParams
from ._app import Command, app
from ._options import (Band, Block, FillHoles, GarmentModel, KeepLargest, Method, Points, Sampler,
                       Seed, Strip, Target, Threshold, ThresholdModel, Vote, choices)
from ._common import (EXIT_BAD_INPUT, EXIT_INTERRUPTED, fail, one_line, reports_errors,
                      rich_console, say, styled)


def palette_options_to_method(threshold: Optional[str], band: str, vote: str, points: int,
                              strip: float, block: int, sampler: str, seed: int,
                              keep_largest: bool, fill_holes: bool,
                              model: Optional[Path] = None) -> PaletteMethod:
    """Build the palette backend from command-line values (validating them); ``model``
    is a threshold-model file for ``--threshold auto``."""
    value = rule = None  # no threshold, no model: the band's default (no rule to import)
    if threshold is not None or model is not None:
        from ..threshold.rules import parse_threshold

        value, rule = parse_threshold(threshold, model, band)
    return PaletteMethod(
        palette=PaletteParams(points=points, strip=strip, block=block, sampler=sampler, seed=seed),
        mask=MaskParams(threshold=value, band=band, vote=parse_vote(vote)),
        figure=FigureParams(keep_largest=keep_largest, fill_holes=fill_holes),
        threshold_rule=rule)


def default_method(method: Optional[str], threshold: Optional[str]) -> str:
    """The backend to use: the one named, else ``palette`` when a colour threshold was
    given (it only means something there), else ``auto``."""
    if method is not None:
        return method
    return "palette" if threshold is not None else "auto"


#: Options that only the palette method reads, with their defaults.
PALETTE_ONLY_DEFAULTS = {"--threshold": None, "--model": None, "--band": "absolute",
                         "--vote": "any", "--points": 16, "--strip": 1 / 8, "--block": 9,
                         "--sampler": "random", "--seed": 0, "--keep-largest": True,
                         "--fill-holes": True}


def ignored_palette_options(name: str, **given) -> list[str]:
    """The palette-only options (keyword names as in :data:`PALETTE_ONLY_DEFAULTS`,
    ``keep_largest`` for ``--keep-largest``) set away from their defaults while the
    backend ``name`` is not ``palette``: the person-based backends read none of them."""
    if name == "palette":
        return []
    ignored = []
    for option, default in PALETTE_ONLY_DEFAULTS.items():
        value = given.get(option[2:].replace("-", "_"), default)
        if value != default:
            ignored.append(f"--no-{option[2:]}" if value is False else option)
    return ignored


def warn_ignored_palette_options(name: str, **given) -> None:
    """Say which options the backend ``name`` will not use (rather than ignore them silently)."""
    ignored = ignored_palette_options(name, **given)
    if ignored:
        say(f"{', '.join(ignored)} {'applies' if len(ignored) == 1 else 'apply'} to --method "
            f"palette only; --method {name} does not use {'it' if len(ignored) == 1 else 'them'}",
            "warning:", "yellow")


def checked_palette(name: str, **options) -> PaletteMethod:
    """The palette backend of the palette options (keyword arguments of
    :func:`palette_options_to_method`; every value checked, used or not), after a warning
    naming those set while the backend ``name`` does not read them."""
    palette = palette_options_to_method(**options)
    warn_ignored_palette_options(name, **options)
    return palette


def build_method(name: str, palette: PaletteMethod):
    """The backend called ``name``: ``palette`` as the palette options built it; the
    person-based backends use none of those options."""
    if name == "palette":
        return palette
    return get_method(name)


#: Help of ``--item-cutouts``.
ITEM_CUTOUTS_HELP = "With --target items: also write <stem>.<item>.png, an RGBA cutout per item."


def apply_target(backend, target: str, garment_model: Optional[Path] = None,
                 item_cutouts: bool = False):
    """The backend for ``--target`` (see :data:`runwaycut.batch.targets.TARGETS`)."""
    if target not in TARGETS:
        raise fail(f"--target must be one of {', '.join(TARGETS)}, got {target!r}")
    try:
        return TARGETS[target].wrap(backend, garment_model=garment_model,
                                    item_cutouts=item_cutouts)
    except ValueError as exc:
        raise fail(str(exc)) from None


class _Bar:
    """The progress bar and the messages printed above it, on stderr: Rich's bar where
    stderr is :func:`~runwaycut.cli._common.styled`; elsewhere plain message lines and no
    bar (Rich would draw none there), without importing Rich."""

    def __init__(self, total: int):
        self.total = total
        self.skipped = 0
        self._progress = None
        self._last_refresh = 0.0

    def __enter__(self):
        if styled():
            self._progress = _rich_progress()
            self._progress.__enter__()
            self._progress.add_task("removing backgrounds", total=self.total)
            self._progress.refresh()
            self._last_refresh = time.monotonic()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()

    def say(self, text: str, label: str, style: str) -> None:
        """A message above the bar (see :func:`~runwaycut.cli._common.say`)."""
        say(text, label, style, None if self._progress is None else self._progress.console)

    def advance(self, skipped: bool = False) -> None:
        """One more photo done; ``skipped``: found done already (it leaves the total)."""
        self.skipped += skipped
        progress = self._progress
        if progress is None:
            return
        task = progress.task_ids[0]
        if skipped:
            progress.update(task, total=self.total - self.skipped,
                            description=f"removing backgrounds ({self.skipped} already done)")
        else:
            progress.advance(task)
        now = time.monotonic()
        if now - self._last_refresh >= 0.1:
            progress.refresh()
            self._last_refresh = now


def _rich_progress():
    """Rich's progress bar, with photos per second. Refreshed by hand, not by Rich's
    refresh thread: with no thread running, worker processes can be forked
    (milliseconds) instead of spawned (a fresh interpreter each)."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn,
                               TextColumn, TimeElapsedColumn, TimeRemainingColumn)
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Photos per second, as the progress bar measures it."""

        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f} photos/s",
                        style="progress.data.speed")

    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), RateColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=rich_console(), transient=True,
                    auto_refresh=False)


#: Errors printed as they happen; the rest are only in the manifest.
_MAX_ERRORS_SHOWN = 20


@app.command(cls=Command)
@reports_errors
def remove(
    inputs: Optional[List[str]] = typer.Argument(
        None, metavar="PHOTO_OR_FOLDER...",
        help="Photos, folders of photos, glob patterns ('shots/**/*.jpg', quoted) or "
             "@LIST (a text file of paths, one a line)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the results (created)."),
    method: Method = None,
    threshold: Threshold = None,
    model: ThresholdModel = None,
    band: Band = "absolute",
    vote: Vote = "any",
    points: Points = 16,
    strip: Strip = 1 / 8,
    block: Block = 9,
    sampler: Sampler = "random",
    seed: Seed = 0,
    keep_largest: KeepLargest = True,
    fill_holes: FillHoles = True,
    target: Target = "figure",
    garment_model: GarmentModel = None,
    item_cutouts: bool = typer.Option(False, "--item-cutouts", help=ITEM_CUTOUTS_HELP),
    overlay: bool = typer.Option(False, "--overlay", help="Also write <stem>.overlay.png, "
                                 "removed pixels painted neon green."),
    image_format: str = typer.Option(
        "png", "--format", metavar=choices(FORMATS),
        help="Format of the cutouts (the figure's, the garment's, each item's) and the "
             "overlay: png, or webp (lossless, with alpha; about a quarter smaller, slower "
             "to write). The mask and the label and item maps are always PNG."),
    recursive: bool = typer.Option(False, "--recursive", "-r",
                                   help="Look for photos in sub-folders too."),
    from_file: Optional[str] = typer.Option(
        None, "--from-file", metavar="LIST",
        help="Text file of photos/folders/patterns, one a line ('-': standard input)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", min=1,
        help="Worker processes, one thread each; 1 works in-process. Default: one per "
             "core, but at most one per 8 photos to do (a few photos run in-process), "
             "the cores left over shared out as threads of their neural models. "
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
        help="--resume (default): skip photos whose outputs all exist and were made from "
             "the same photo file (size, time, SHA-256 in the manifest), refuse if OUT was "
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

    With --target items, also <stem>.items.png (item per pixel: 0 background, 1 skin,
    2 hair, 3 top, 4 outerwear, 5 dress, 6 skirt, 7 pants, 8 shorts, 9 legwear, 10 shoes,
    11 bag, 12 headwear, 13 accessory) and <stem>.items.json (share, box and colours
    of each item), and with --item-cutouts <stem>.<item>.png (an RGBA cutout per item);
    a carried bag the person mask missed joins the figure. OUT/items.csv then gathers
    every photo's items: one row per photo and item (share, box, colours).

    Rerunning the same command resumes. Exit code 0 when every photo succeeded, 2 when
    any failed (the others are still done), 130 when interrupted.
    """
    name = default_method(method, threshold)
    backend = build_method(name, checked_palette(
        name, threshold=threshold, model=model, band=band, vote=vote, points=points,
        strip=strip, block=block, sampler=sampler, seed=seed, keep_largest=keep_largest,
        fill_holes=fill_holes))
    backend = apply_target(backend, target, garment_model, item_cutouts)
    if image_format not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, got {image_format!r}")
    if not inputs and from_file is None:
        raise fail("name photos, folders, patterns or --from-file LIST")
    photos = collect_photos(inputs or [], recursive=recursive, from_file=from_file,
                            exclude=[out])
    if not photos:
        raise fail("no photos found in " + ", ".join(inputs or [str(from_file)]))
    missing = [str(path) for path, _ in photos if not os.path.lexists(path)]
    if len(missing) == len(photos):  # nothing to do: no output folder, no manifest
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise fail(f"{missing[0]}: no such photo{more}")
    shown = 0
    done: dict[str, str] = {}  # output stem -> photo, of the photos done or already done
    with _Bar(len(photos)) as bar:

        def on_record(record) -> None:
            nonlocal shown
            if record.status in ("ok", "skipped"):
                done[record.output] = record.path
            if record.status == "failed":
                shown += 1
                if shown <= _MAX_ERRORS_SHOWN:
                    bar.say(one_line(record.error), "error:", "bold red")
                elif shown == _MAX_ERRORS_SHOWN + 1:
                    bar.say("more failures; see the manifest", "error:", "bold red")
            if record.status == "ok" and record.warning:
                bar.say(one_line(f"{record.path}: {record.warning}"), "warning:", "yellow")
            bar.advance(skipped=record.status == "skipped")

        try:
            with _sigterm_as_interrupt():
                summary = run_collection(photos, out, backend, overlay=overlay,
                                         workers=workers, scheduler=scheduler, resume=resume,
                                         manifest=manifest, max_pixels=max_pixels,
                                         chunk_size=chunk_size, on_record=on_record,
                                         image_format=image_format)
        except KeyboardInterrupt:
            bar.stop()
            say("interrupted; the photos done are in the manifest. Run the same command "
                "again to resume.", style="yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None
    # A rate only means something when photos were made (failures take no time).
    rate = f", {summary.photos_per_s:.2f} photos/s" if summary.ok and summary.photos_per_s else ""
    mean = f", {summary.mean_ms:.0f} ms per photo" if summary.mean_ms else ""
    if summary.startup_s is not None and summary.ok:
        workers = "" if summary.workers is None else (
            f" with {summary.workers} worker{'' if summary.workers == 1 else 's'}"
            + (f" on {summary.threads} threads{' each' if summary.workers > 1 else ''}"
               if (summary.threads or 1) > 1 else ""))
        mean += f" (start-up {summary.startup_s:.1f} s{workers})"
    skipped = f", {summary.skipped} already done" if summary.skipped else ""
    say(one_line(f"{summary.total} photo{'' if summary.total == 1 else 's'}: "
                 f"{summary.ok} done, {summary.failed} failed{skipped} in {summary.seconds:.1f} s"
                 f"{rate}{mean}; results in {out}, manifest {summary.manifest}"))
    if target == "items" and done:
        _items_summary(out, [(done[stem], stem) for stem in
                             sorted(done, key=_input_order(photos).__getitem__)])
    if summary.failed:
        raise typer.Exit(EXIT_BAD_INPUT)



def _input_order(photos) -> dict[str, int]:
    """Output stem -> position of its photo among the inputs."""
    return {Path(rel).as_posix(): i for i, (_, rel) in enumerate(photos)}


def _items_summary(out: Path, photos: list[tuple[str, str]]) -> None:
    """Write OUT/items.csv from the photos' items.json and say how many photos show
    each item (in the items' order), e.g. ``items in 40 photos: top 31, bag 12...``."""
    from ..batch.items_table import write_items_table
    from ..scoring.items import ITEM_NAMES

    path, table = write_items_table(out, photos)
    for name in table.unreadable[:_MAX_ERRORS_SHOWN]:
        say(one_line(f"{name}: cannot be read; its photo is left out of {path}"),
            "warning:", "yellow")
    counts = ", ".join(f"{name} {table.looks[name]}" for name in ITEM_NAMES if table.looks[name])
    say(one_line(f"items in {table.photos} photo{'' if table.photos == 1 else 's'}: "
                 f"{counts or 'none'}; one row per photo and item in {path}"))


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
