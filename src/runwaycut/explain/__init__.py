"""Pictures that explain what happened to a photo, step by step.

    figure       the design note's steps (palette, colour masks, distances, histogram, cutout)
    garment      the label map with its legend, and the garment's colour swatches
    threshold    why the threshold model chose a photo's threshold
"""

from .figure import Explanation, default_panels, draw_explanation, explain, explain_figure, render

__all__ = ["Explanation", "default_panels", "draw_explanation", "explain", "explain_figure",
           "render"]
