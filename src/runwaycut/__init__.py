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

__version__ = "0.1.0"

#: Public name -> the module that defines it. Imported on first use (PEP 562), so that
#: ``import runwaycut`` (and the command line, which imports a stage through it) loads
#: only the stages a run needs: ``runwaycut remove`` never pays for the evaluation,
#: the scoring or the garment stage (about 0.1 s of CPU at every start).
_PUBLIC = {
    "read_image": "io",
    "FigureResult": "methods", "remove": "methods",
    "BackgroundResult": "note", "FigureParams": "note", "MaskParams": "note",
    "Palette": "note", "PaletteParams": "note", "distance_map": "note", "in_band": "note",
    "remove_background": "note", "sample_palette": "note", "select_figure": "note",
    "best_threshold": "scoring", "mask_scores": "scoring",
    "evaluate": "evaluation",
    "ItemsResult": "garment.items", "parse_items": "garment.items",
}


#: The stages, importable as attributes too (``runwaycut.methods.METHODS`` after a
#: bare ``import runwaycut``, as when every stage was imported eagerly).
_STAGES = ("batch", "cli", "compose", "evaluation", "explain", "garment", "io", "methods",
           "models", "note", "person", "scoring", "serve", "threshold")


def __getattr__(name):
    import importlib

    if name in _STAGES:
        return importlib.import_module(f".{name}", __name__)
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'runwaycut' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


__all__ = [
    "BackgroundResult", "FigureParams", "FigureResult", "ImageReadError", "ImageSizeError",
    "InvalidImageError", "ItemsResult", "LabelError", "MaskParams", "best_threshold", "evaluate",
    "mask_scores", "ModelError", "Palette", "parse_items",
    "PaletteParams", "RunwaycutError", "distance_map", "in_band", "read_image", "remove",
    "remove_background", "sample_palette", "select_figure",
]
