"""The design note's background removal, end to end, on one photo in memory.

palette (edge strips) -> distance map (colour bands, vote) -> threshold -> figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .colormask import Band, MaskParams, Vote, distance_map, in_band
from .figure import FigureParams, select_figure
from ..io import as_rgb_image
from .palette import Palette, PaletteParams, Sampler, sample_palette


#: Chooses a threshold from (image, palette, distance map, band); see runwaycut.threshold.rules.
ThresholdRule = Callable[[np.ndarray, Palette, np.ndarray, str], float]


@dataclass(frozen=True)
class BackgroundResult:
    """What :func:`remove_background` found.

    Attributes
    ----------
    mask : (H, W) bool array
        The figure (True) after figure selection.
    palette : Palette
        The sampled background colours and where they came from.
    distance : (H, W) array
        Distance map (uint8 for the absolute band, float32 for relative).
    threshold : float
        The threshold that was applied.
    params : dict
        The palette, mask and figure parameters used (dataclasses).
    """

    mask: np.ndarray
    palette: Palette
    distance: np.ndarray
    threshold: float
    params: dict = field(default_factory=dict)

    @property
    def background(self) -> np.ndarray:
        """(H, W) bool: pixels within the threshold of the palette (before figure selection)."""
        return in_band(self.distance, self.threshold)


def remove_background(image: np.ndarray, threshold: float | None = None, *,
                      band: Band = "absolute", vote: Vote = "any", points: int = 16,
                      strip: float = 1 / 8, block: int = 9, sampler: Sampler = "random",
                      seed: int = 0, keep_largest: bool = True,
                      fill_holes: bool = True) -> BackgroundResult:
    """Remove the background of a runway photo by the design note's palette method.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo (grey, RGBA, 16-bit and float arrays are converted, see
        :func:`runwaycut.io.as_rgb_image`).
    threshold : float, optional
        Band half-width; ``None`` takes the band's default (20 absolute, 0.4 relative).
    band : {'absolute', 'relative'}
        ``absolute``: colour ± t per 0–255 channel (the note). ``relative``:
        colour × (1 ± t) (the original code).
    vote : 'any', 'majority' or float
        How many palette colours must claim a pixel for it to be background.
    points, strip, block, sampler, seed
        Palette sampling, see :class:`runwaycut.note.palette.PaletteParams`.
    keep_largest, fill_holes : bool
        Figure selection, see :class:`runwaycut.note.figure.FigureParams`.

    Returns
    -------
    result : BackgroundResult
        ``mask`` (H, W) bool, ``palette``, ``distance`` map and ``threshold`` used.

    Examples
    --------
    >>> import numpy as np
    >>> photo = np.full((100, 80, 3), 230, np.uint8)
    >>> photo[20:90, 30:50] = (120, 30, 40)          # a red dress on a pale set
    >>> result = remove_background(photo)
    >>> int(result.mask.sum()), result.threshold
    (1400, 20.0)
    """
    image = as_rgb_image(image)
    palette_params = PaletteParams(points=points, strip=strip, block=block,
                                   sampler=sampler, seed=seed)
    mask_params = MaskParams(threshold=threshold, band=band, vote=vote)
    figure_params = FigureParams(keep_largest=keep_largest, fill_holes=fill_holes)
    return palette_figure(image, palette_params, mask_params, figure_params)


def palette_figure(image: np.ndarray, palette_params: PaletteParams = PaletteParams(),
                   mask_params: MaskParams = MaskParams(),
                   figure_params: FigureParams = FigureParams(),
                   threshold_rule: ThresholdRule | None = None) -> BackgroundResult:
    """:func:`remove_background` with its parameters grouped by step.

    ``threshold_rule``, when given, chooses the threshold from the photo, its palette
    and its distance map (see :mod:`runwaycut.threshold.rules`) instead of
    ``mask_params.threshold``.
    """
    palette = sample_palette(image, palette_params)
    distance = distance_map(image, palette.colors, mask_params.band, mask_params.vote)
    if threshold_rule is None:
        threshold = mask_params.resolved_threshold
    else:
        threshold = float(threshold_rule(image, palette, distance, mask_params.band))
    figure = select_figure(~in_band(distance, threshold), figure_params)
    return BackgroundResult(mask=figure, palette=palette, distance=distance,
                            threshold=threshold,
                            params={"palette": palette_params, "mask": mask_params,
                                    "figure": figure_params})
