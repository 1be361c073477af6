"""runwaycut: cut the figure, then the garment, out of runway photos.

The pipeline, one module per step::

    io          read photos, write results (atomically)
    palette     sample background colours from the edge strips
    colormask   colour bands as a distance map; votes; thresholds
    figure      keep the largest region, fill holes
    background  the design note's method end to end: remove_background()
    methods     figure-mask backends behind remove()
    compose     cutout and overlay pictures
    labels, metrics, tuning, evaluation, report
                scoring against hand labels, best thresholds, reports
"""

from .background import BackgroundResult, remove_background
from .colormask import MaskParams, distance_map, in_band
from .evaluation import evaluate
from .errors import (ImageReadError, ImageSizeError, InvalidImageError, LabelError,
                     ModelError, RunwaycutError)
from .figure import FigureParams, select_figure
from .io import read_image
from .methods import FigureResult, remove
from .metrics import mask_scores
from .palette import Palette, PaletteParams, sample_palette
from .tuning import best_threshold

__version__ = "0.1.0"

__all__ = [
    "BackgroundResult", "FigureParams", "FigureResult", "ImageReadError", "ImageSizeError",
    "InvalidImageError", "LabelError", "MaskParams", "best_threshold", "evaluate",
    "mask_scores", "ModelError", "Palette",
    "PaletteParams", "RunwaycutError", "distance_map", "in_band", "read_image", "remove",
    "remove_background", "sample_palette", "select_figure",
]
