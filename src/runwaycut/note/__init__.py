"""The design note's method: sample the backdrop's colours at the photo's edges, remove
every pixel within a threshold of them, keep the figure.

    palette      background colours sampled from the left and right edge strips
    colormask    colour bands as one distance map; votes; thresholds
    figure       keep the largest region, fill holes
    background   the method end to end: :func:`remove_background`
    kmeans       k-means of colours (the palette's ``kmeans`` sampler; the garment's colours)

Pure functions on NumPy arrays; nothing here reads or writes files.
"""

from .background import BackgroundResult, ThresholdRule, palette_figure, remove_background
from .colormask import DEFAULT_THRESHOLD, MaskParams, band_bounds, distance_map, in_band, parse_vote
from .figure import FigureParams, fill_holes, largest_component, select_figure
from .palette import Palette, PaletteParams, sample_palette

__all__ = ["BackgroundResult", "DEFAULT_THRESHOLD", "FigureParams", "MaskParams", "Palette",
           "PaletteParams", "ThresholdRule", "band_bounds", "distance_map", "fill_holes",
           "in_band", "largest_component", "palette_figure", "parse_vote", "remove_background",
           "sample_palette", "select_figure"]
