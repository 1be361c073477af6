"""Pictures that explain what happened to a photo, step by step.

    methods      explain_method(): the figure of any backend's steps (the CLI's entry point)
    figure       the design note's steps (palette, colour masks, distances, histogram, cutout)
    person       the auto and person methods' steps (person probability, uncertain band,
                 fused mask, matte, cutout)
    garment      the label map with its legend, and the garment's colour swatches
    threshold    why the threshold model chose a photo's threshold
"""

from .figure import Explanation, default_panels, draw_explanation, explain, explain_figure, render
from .methods import explain_method
from .person import PersonExplanation, explain_person, person_panels

__all__ = ["Explanation", "PersonExplanation", "default_panels", "draw_explanation", "explain",
           "explain_figure", "explain_method", "explain_person", "person_panels", "render"]
