"""The design note's palette method as a figure-mask backend."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..note.background import ThresholdRule, palette_figure
from ..note.colormask import MaskParams
from ..note.figure import FigureParams
from ..note.palette import PaletteParams
from .base import FigureResult


@dataclass(frozen=True)
class PaletteMethod:
    """Background colours sampled at the edges, masked by colour bands."""

    palette: PaletteParams = field(default_factory=PaletteParams)
    mask: MaskParams = field(default_factory=MaskParams)
    figure: FigureParams = field(default_factory=FigureParams)
    threshold_rule: ThresholdRule | None = None
    name: str = "palette"

    def predict(self, image: np.ndarray) -> FigureResult:
        result = palette_figure(image, self.palette, self.mask, self.figure, self.threshold_rule)
        return FigureResult(mask=result.mask, method=self.name, threshold=result.threshold,
                            details={"palette": result.palette, "distance": result.distance})
