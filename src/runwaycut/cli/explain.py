"""``runwaycut explain``: one figure of a method's steps for a photo."""

from __future__ import annotations

from pathlib import Path

import typer

from ..io import read_image, write_bytes_atomic
from ._app import Command, app
from ._options import (Band, Block, FillHoles, GarmentModel, KeepLargest, Method, Points, Sampler,
                       Seed, Strip, Target, Threshold, ThresholdModel, Vote, choices)
from ._common import fail, reports_errors, say
from ..methods.threads import available_threads, photo_threads, with_threads
from .remove import apply_target, build_method, checked_palette, default_method

#: Figure formats by file suffix (what matplotlib's Agg canvas writes).
FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}


@app.command(cls=Command)
@reports_errors
def explain(
    photo: Path = typer.Argument(..., metavar="PHOTO", help="The photo to explain."),
    out: Path = typer.Option(..., "--out", "-o",
                             help="Figure file to write: .png (or .pdf, .svg)."),
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
    cutout: str = typer.Option("green", metavar=choices(("green", "checker")),
                               help="Cutout panel: green (removed pixels neon green, as the "
                                    "note) or checker (transparency)."),
    dpi: int = typer.Option(100, min=30, max=600, help="Resolution of a PNG figure."),
) -> None:
    """Draw the steps of the method for PHOTO in one figure.

    Same options and defaults as `runwaycut remove`, so the figure shows what remove
    computes. auto (the default): the photo with the person's pose, the person
    probability, the uncertain band where the fusion classifier decides (and what it
    changed), the fused probability and the mask kept, the alpha matte and the cutout.
    person: the pose, the probability, the mask and the cutout. palette (or any
    --threshold): the sampled blocks, the palette, one mask per colour, the distance
    map and its histogram, the combined mask and the cutout. --target garment adds the
    four-class label map and the garment's colour swatches; --target items also the
    item map, with a legend of the items found and their shares of the figure, and
    each item's colours.
    """
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise fail(f"{out}: the figure must be a {', '.join(FORMATS)} file")
    if out.exists() and photo.exists() and out.resolve() == photo.resolve():
        raise fail(f"{out}: the figure would overwrite the photo; choose another --out")
    # Imported here: matplotlib takes about half a second to import, which every other
    # subcommand (and each batch worker that imports the CLI) would pay for nothing.
    from ..explain.figure import render
    from ..explain.methods import explain_method

    name = default_method(method, threshold)
    backend = build_method(name, checked_palette(
        name, threshold=threshold, model=model, band=band, vote=vote, points=points,
        strip=strip, block=block, sampler=sampler, seed=seed, keep_largest=keep_largest,
        fill_holes=fill_holes))
    backend = apply_target(backend, target, garment_model)
    # One photo: its neural models and OpenCV get every core (runwaycut.methods.threads).
    backend = with_threads(backend, available_threads())
    image = read_image(photo)
    try:
        with photo_threads():
            figure = explain_method(image, backend, name=photo.name, cutout_style=cutout)
    except ValueError as exc:  # e.g. strips narrower than a block: name the photo
        raise fail(f"{photo}: {exc}") from None
    write_bytes_atomic(out, render(figure, format=fmt, dpi=dpi))
    say(f"wrote {out}")
