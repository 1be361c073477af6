"""``runwaycut remove``: figure masks and cutouts for photos and folders."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..batch import collect_photos, run_batch, summarize
from ..colormask import MaskParams, parse_vote
from ..figure import FigureParams
from ..methods import METHODS, PaletteMethod, get_method
from ..thresholds import THRESHOLD_RULES, parse_threshold
from ..palette import PaletteParams
from . import app
from ._common import EXIT_BAD_INPUT, console, fail, reports_errors


def palette_options_to_method(threshold: Optional[str], band: str, vote: str, points: int,
                              strip: float, block: int, sampler: str, seed: int,
                              keep_largest: bool, fill_holes: bool) -> PaletteMethod:
    """Build the palette backend from command-line values (validating them)."""
    value, rule = parse_threshold(threshold)
    return PaletteMethod(
        palette=PaletteParams(points=points, strip=strip, block=block, sampler=sampler, seed=seed),
        mask=MaskParams(threshold=value, band=band, vote=parse_vote(vote)),
        figure=FigureParams(keep_largest=keep_largest, fill_holes=fill_holes),
        threshold_rule=rule)


def build_method(name: str, palette: PaletteMethod):
    """The backend called ``name``; every backend factory takes the palette settings."""
    if name == "palette":
        return palette
    return get_method(name, palette=palette)


@app.command()
@reports_errors
def remove(
    inputs: List[Path] = typer.Argument(..., metavar="PHOTO_OR_FOLDER...",
                                        help="Photos and/or folders of photos."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the results (created)."),
    method: str = typer.Option("palette", help="Figure-mask backend: " + ", ".join(METHODS) + "."),
    threshold: Optional[str] = typer.Option(
        None, help="Colour band half-width: levels for the absolute band (default 20), "
                   "a fraction for the relative band (default 0.4); or a rule: "
                   + ", ".join(THRESHOLD_RULES) + "."),
    band: str = typer.Option("absolute", help="absolute: colour ± t per channel (the note); "
                                              "relative: colour × (1 ± t) (the original code)."),
    vote: str = typer.Option("any", help="Palette colours needed to call a pixel background: "
                                         "any (union), majority, or a fraction like 0.25."),
    points: int = typer.Option(16, help="Palette colours sampled, half from each edge strip."),
    strip: float = typer.Option(1 / 8, help="Width of each edge strip, fraction of the width."),
    block: int = typer.Option(9, help="Side in pixels of the block averaged at each point."),
    sampler: str = typer.Option("random", help="random (the note's seeded points) or kmeans "
                                               "(cluster centres of all strip pixels)."),
    seed: int = typer.Option(0, help="Random seed of the palette sampling."),
    keep_largest: bool = typer.Option(True, "--keep-largest/--no-keep-largest",
                                      help="Keep only the largest region (the figure)."),
    fill_holes: bool = typer.Option(True, "--fill-holes/--no-fill-holes",
                                    help="Fill holes inside the kept figure."),
    overlay: bool = typer.Option(False, "--overlay", help="Also write <stem>.overlay.png, "
                                 "removed pixels painted neon green."),
    recursive: bool = typer.Option(False, "--recursive", "-r",
                                   help="Look for photos in sub-folders too."),
) -> None:
    """Cut the figure out of each photo.

    Writes, per photo, into --out: <stem>.mask.png (255 = figure), <stem>.png (RGBA
    cutout) and, with --overlay, <stem>.overlay.png. Exit code 0 when every photo
    succeeded, 2 when any failed (the others are still done).
    """
    backend = build_method(method, palette_options_to_method(
        threshold, band, vote, points, strip, block, sampler, seed, keep_largest, fill_holes))
    photos = collect_photos(inputs, recursive=recursive)
    if not photos:
        raise fail("no photos found in " + ", ".join(map(str, inputs)))
    records = []
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("removing backgrounds", total=len(photos))
        for record in run_batch(photos, out, backend, overlay_too=overlay):
            records.append(record)
            if record.status == "failed":
                progress.console.print(f"[bold red]error:[/] {record.error}", highlight=False,
                                       soft_wrap=True)
            progress.advance(task)
    summary = summarize(records)
    console.print(f"{summary['ok']} of {summary['total']} photos done, "
                  f"{summary['failed']} failed; results in {out}", highlight=False)
    if summary["failed"]:
        raise typer.Exit(EXIT_BAD_INPUT)
