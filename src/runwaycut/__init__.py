"""runwaycut: cut the figure, then the garment, out of runway photos.

The pipeline, one folder per stage (see ARCHITECTURE.md)::

    io, errors, compose   read photos, write results atomically; cutouts and overlays
    models                the shipped model files and their checks
    note/                 the design note's method: palette, colour masks, figure
    person/               the neural person models, fusion, matting
    methods/              figure-mask backends behind remove()
    scoring/              hand labels, metrics, exact threshold sweeps
    garment/              the four-class label map, the garment's colours, the items
    threshold/            each photo's threshold without labels
    evaluation/           a method over a labelled set, and its HTML report
    explain/              pictures of what happened to a photo
    batch/                many photos: inputs, workers, resume, manifest, Dask
    cli/                  the command line
"""

import os as _os
import signal as _signal
import sys as _sys


def _quit_quietly(signum, frame):  # pragma: no cover - exercised through the console script
    """Ctrl-C or SIGTERM while the ``runwaycut`` command is still starting (importing
    NumPy, OpenCV...): nothing is written yet, so end at once with one line and 130
    instead of a traceback or 143. ``runwaycut.cli.main`` then installs the real
    handlers."""
    _os.write(2, b"interrupted\n")
    _os._exit(130)


if _sys.argv and _os.path.basename(_sys.argv[0]) == "runwaycut":  # the console script only
    for _signum in (_signal.SIGINT, _signal.SIGTERM):
        _signal.signal(_signum, _quit_quietly)

from .errors import (ImageReadError, ImageSizeError, InvalidImageError, LabelError, ModelError,
                     RunwaycutError)
from .evaluation import evaluate
from .io import read_image
from .methods import FigureResult, remove
from .note import (BackgroundResult, FigureParams, MaskParams, Palette, PaletteParams,
                   distance_map, in_band, remove_background, sample_palette, select_figure)
from .scoring import best_threshold, mask_scores

__version__ = "0.1.0"


def __getattr__(name):
    # The item map pulls in the garment stage (scikit-learn...): imported on first use,
    # so that `import runwaycut` and the command line start fast.
    if name in ("parse_items", "ItemsResult"):
        from .garment import items

        return getattr(items, name)
    raise AttributeError(f"module 'runwaycut' has no attribute {name!r}")

__all__ = [
    "BackgroundResult", "FigureParams", "FigureResult", "ImageReadError", "ImageSizeError",
    "InvalidImageError", "ItemsResult", "LabelError", "MaskParams", "best_threshold", "evaluate",
    "mask_scores", "ModelError", "Palette", "parse_items",
    "PaletteParams", "RunwaycutError", "distance_map", "in_band", "read_image", "remove",
    "remove_background", "sample_palette", "select_figure",
]
