"""``runwaycut explain``: one figure telling the design note's story for a photo."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..explain.figure import default_panels, explain_figure, render
from ..io import read_image, write_bytes_atomic
from ..threshold.rules import ModelRule
from ..threshold.rules import THRESHOLD_RULES
from ._app import app
from ._options import Band, Block, FillHoles, KeepLargest, Points, Seed, Strip, Vote
from ._common import console, fail, reports_errors
from ..methods import METHODS
from .remove import GARMENT_MODEL_HELP, apply_target, build_method, palette_options_to_method

#: Figure formats by file suffix (what matplotlib's Agg canvas writes).
FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}


@app.command()
@reports_errors
def explain(
    photo: Path = typer.Argument(..., help="The photo to explain."),
    out: Path = typer.Option(..., "--out", "-o",
                             help="Figure file to write: .png (or .pdf, .svg)."),
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
    cutout: str = typer.Option("green", help="Cutout panel: green (removed pixels neon "
                                             "green, as the note) or checker (transparency)."),
    dpi: int = typer.Option(100, min=30, max=600, help="Resolution of a PNG figure."),
    target: str = typer.Option("figure", help="garment: add the four-class label map and "
                                              "the garment's colour swatches."),
    garment_method: str = typer.Option("auto", help="With --target garment: the figure "
                                                    "backend the garment is isolated from."),
    garment_model: Optional[Path] = typer.Option(None, "--garment-model", metavar="FILE",
                                                 help=GARMENT_MODEL_HELP),
) -> None:
    """Draw the method's steps for PHOTO in one figure: the photo with its sampled
    blocks, the palette, one mask per colour, the distance map and its histogram, the
    combined mask and the cutout. Same options and defaults as `runwaycut remove`."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise fail(f"{out}: the figure must be a {', '.join(FORMATS)} file")
    if out.exists() and photo.exists() and out.resolve() == photo.resolve():
        raise fail(f"{out}: the figure would overwrite the photo; choose another --out")
    method = palette_options_to_method(threshold, band, vote, points, strip, block, sampler,
                                       seed, keep_largest, fill_holes, model=model)
    panels = default_panels(cutout_style=cutout)
    if isinstance(method.threshold_rule, ModelRule):  # the prediction and its features
        from ..explain.threshold import ThresholdPanel

        panels.append(ThresholdPanel())
    if garment_method not in METHODS:
        raise fail(f"unknown --garment-method {garment_method!r}; choose one of "
                   f"{', '.join(METHODS)}")
    figure_backend = build_method(garment_method, method) if target == "garment" else None
    garment = apply_target(figure_backend, target, garment_model)
    image = read_image(photo)
    extras = None
    if garment is not None:  # --target garment: label map and colour swatches
        from ..explain.garment import explain_garment, garment_panels

        panels.extend(garment_panels())
        extras = {"garment": explain_garment(image, garment)}
    try:
        figure = explain_figure(image, method, panels=panels, name=photo.name, extras=extras)
    except ValueError as exc:  # e.g. strips narrower than a block: name the photo
        raise fail(f"{photo}: {exc}") from None
    write_bytes_atomic(out, render(figure, format=fmt, dpi=dpi))
    console.print(f"wrote {out}", highlight=False)
