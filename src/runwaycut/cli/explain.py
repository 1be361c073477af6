"""``runwaycut explain``: one figure telling the design note's story for a photo."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from ._common import reports_errors


@app.command()
@reports_errors
def explain(photo: Path = typer.Argument(..., help="The photo to explain."),
            out: Path = typer.Option(..., "--out", "-o", help="Figure file to write (PNG)."),
            threshold: float = typer.Option(None, help="Colour band half-width."),
            seed: int = typer.Option(0, help="Random seed of the palette sampling.")) -> None:
    """Draw the method's steps for PHOTO: sampled points, palette, per-colour masks,
    combined mask and cutout."""
    raise NotImplementedError
