"""The palette method's command-line options, declared once for every subcommand.

Each alias carries its help text; a command gives the default (the design note's) in
its signature, e.g. ``points: Points = 16``.
"""

from __future__ import annotations

from typing import Annotated

import typer

Band = Annotated[str, typer.Option(help="absolute: colour ± t per channel (the note); "
                                        "relative: colour × (1 ± t) (the original code).")]
Vote = Annotated[str, typer.Option(help="Palette colours needed to call a pixel background: "
                                        "any (union), majority, or a fraction like 0.25.")]
Points = Annotated[int, typer.Option(help="Palette colours sampled, half from each edge strip.")]
Strip = Annotated[float, typer.Option(help="Width of each edge strip, fraction of the width.")]
Block = Annotated[int, typer.Option(help="Side in pixels of the block averaged at each point.")]
Seed = Annotated[int, typer.Option(help="Random seed of the palette sampling.")]
KeepLargest = Annotated[bool, typer.Option("--keep-largest/--no-keep-largest",
                                           help="Keep only the largest region (the figure).")]
FillHoles = Annotated[bool, typer.Option("--fill-holes/--no-fill-holes",
                                         help="Fill holes inside the kept figure.")]
