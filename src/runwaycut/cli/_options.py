"""The command-line options shared by several subcommands, declared once.

Each alias carries its help text and, for a value out of a fixed list, the list as its
metavar (``absolute|relative``), so ``--help`` shows the choices; a command gives the
default (the design note's) in its signature, e.g. ``points: Points = 16``. The lists
of methods and targets come from the library's own tables, so an added method or target
shows up here without an edit. The names of the threshold rules and of the dataset
layouts are written out instead: their tables live in packages (``threshold``,
``scoring``) that ``runwaycut remove`` would otherwise import at every start for its
help text alone; ``tests/cli/test_cli_help.py`` keeps them equal to the tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..methods import METHODS
from ..batch.targets import TARGETS

#: The names of :data:`runwaycut.threshold.rules.THRESHOLD_RULES`, in its order.
THRESHOLD_RULES = ("otsu", "auto", "face-ratio", "person")

#: :data:`runwaycut.scoring.labels.LAYOUTS`, the layouts of a labelled set.
LAYOUTS = ("ccp", "seg", "masks")


#: The help panel of the options only the palette method reads (``auto`` and ``person``
#: ignore them; ``remove``, ``explain`` and ``evaluate`` warn when one is set with those).
PALETTE_PANEL = "Palette method options"


def choices(values) -> str:
    """The metavar of an option taking one of ``values``: ``a|b|c``."""
    return "|".join(values)


Band = Annotated[str, typer.Option(metavar=choices(("absolute", "relative")),
                                   help="absolute: colour ± t per channel (the note); "
                                        "relative: colour × (1 ± t) (the original code).",
                                   rich_help_panel=PALETTE_PANEL)]
Vote = Annotated[str, typer.Option(metavar="any|majority|FRACTION",
                                   help="Palette colours needed to call a pixel background: "
                                        "any (union), majority, or a fraction like 0.25.",
                                   rich_help_panel=PALETTE_PANEL)]
Points = Annotated[int, typer.Option(help="Palette colours sampled, half from each edge strip.",
                                     rich_help_panel=PALETTE_PANEL)]
Strip = Annotated[float, typer.Option(help="Width of each edge strip, fraction of the width.",
                                      rich_help_panel=PALETTE_PANEL)]
Block = Annotated[int, typer.Option(help="Side in pixels of the block averaged at each point.",
                                    rich_help_panel=PALETTE_PANEL)]
Sampler = Annotated[str, typer.Option(metavar=choices(("random", "kmeans")),
                                      help="random (the note's seeded points) or kmeans "
                                           "(cluster centres of all strip pixels).",
                                      rich_help_panel=PALETTE_PANEL)]
Seed = Annotated[int, typer.Option(help="Random seed of the palette sampling.",
                                   rich_help_panel=PALETTE_PANEL)]
KeepLargest = Annotated[bool, typer.Option("--keep-largest/--no-keep-largest",
                                           help="Keep only the largest region (the figure).",
                                           rich_help_panel=PALETTE_PANEL)]
FillHoles = Annotated[bool, typer.Option("--fill-holes/--no-fill-holes",
                                         help="Fill holes inside the kept figure.",
                                         rich_help_panel=PALETTE_PANEL)]
Layout = Annotated[str, typer.Option(metavar=choices(("auto",) + tuple(LAYOUTS)),
                                     help="Layout of DATASET (auto: detected).")]

#: Help of ``--method``, shared by remove, explain and evaluate.
METHOD_HELP = ("Figure-mask backend: auto (person models fused with colours and edges), "
               "person (the neural mask alone) or palette (the design note's colour "
               "method). Default: auto, or palette when --threshold is given.")
Method = Annotated[Optional[str], typer.Option(metavar=choices(METHODS), help=METHOD_HELP)]

#: Help of ``--target``, shared by remove and explain (from the one table of targets).
TARGET_HELP = " ".join(f"{t.name}: {t.help}." for t in TARGETS.values())
Target = Annotated[str, typer.Option(metavar=choices(TARGETS), help=TARGET_HELP)]

#: Help of ``--garment-model``, shared by remove, evaluate and explain.
GARMENT_MODEL_HELP = ("Garment classifier (from benchmarks/train_garment.py) instead of "
                      "the shipped one.")
GarmentModel = Annotated[Optional[Path], typer.Option("--garment-model", metavar="FILE",
                                                      help=GARMENT_MODEL_HELP)]

THRESHOLD_HELP = ("Colour band half-width: levels for the absolute band (default 20), a "
                  "fraction for the relative band (default 0.4); or a rule: "
                  + ", ".join(THRESHOLD_RULES) + " (auto: the person rule, or the shipped "
                  "photo-only model where no person is found).")
Threshold = Annotated[Optional[str], typer.Option(metavar=choices(("T",) + tuple(THRESHOLD_RULES)),
                                                  help=THRESHOLD_HELP,
                                                  rich_help_panel=PALETTE_PANEL)]
ThresholdModel = Annotated[Optional[Path], typer.Option(
    "--model", metavar="FILE", help="Threshold model (from runwaycut train) for "
                                    "--threshold auto, instead of the person rule and the shipped model.",
    rich_help_panel=PALETTE_PANEL)]
