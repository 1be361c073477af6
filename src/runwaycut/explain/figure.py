"""One figure that tells the design note's story for a photo.

The figure is a list of *panels*, read left to right, top to bottom:

1. the photo, its edge strips and the sampled blocks;
2. the palette: the mean colour of each block;
3. one mask per palette colour (pixels inside that colour's band);
4. the distance map: all those masks at once, as each pixel's distance to the palette;
5. the histogram of that distance with the threshold;
6. the combined mask and the figure kept from it;
7. the cutout (removed pixels painted neon green, or a checkerboard).

Everything is computed once, at the photo's full size, by the same functions as
``runwaycut remove`` (:class:`Explanation`), then each panel draws its part into its own
matplotlib ``SubFigure``. A panel is any object with ``title``, ``width(ex)`` and
``draw(subfig, ex)`` (see :class:`Panel`), so new panels (a predicted threshold and its
features, garment colours) are one small class each, added to the list.

Drawing uses matplotlib's object API with the Agg canvas only: no ``pyplot``, no global
figure state, safe to call from a library or a worker thread.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..note.background import BackgroundResult, palette_figure
from ..note.colormask import color_distances, in_band, votes_needed
from ..io import as_rgb_image
from ..methods.palette import PaletteMethod
from .drawing import _display_size, _flow, _resize, _title
from .panels import (ColourMasksPanel, CombinedMaskPanel, CutoutPanel, DistancePanel,
                     HistogramPanel, PalettePanel, Panel, PhotoPanel)



@dataclass(frozen=True)
class Explanation:
    """Everything the figure draws, computed once at the photo's full size.

    Attributes
    ----------
    image : (H, W, 3) uint8 array
        The photo.
    result : BackgroundResult
        What :func:`runwaycut.note.background.palette_figure` found with ``method``'s settings:
        figure ``mask``, ``palette``, ``distance`` map and ``threshold``.
    method : PaletteMethod
        The settings used.
    color_fractions : (N,) float array
        Fraction of the photo's pixels inside each palette colour's band.
    color_masks : (N, h, w) uint8 array
        Each colour's mask (255 = inside the band) at display size (``h, w`` at most
        :data:`DISPLAY_SIDE`); area-averaged, so a thin line of background shows as grey.
    background : (H, W) bool array
        The combined mask: pixels claimed by the vote (before figure selection).
    votes : int
        Palette colours that must claim a pixel for it to be background.
    name : str
        A name for the photo (its file name), shown in the figure's title.
    extras : dict
        Room for later steps (e.g. a predicted threshold and its features) that extra
        panels draw; the default panels ignore it.
    """

    image: np.ndarray
    result: BackgroundResult
    method: PaletteMethod
    color_fractions: np.ndarray
    color_masks: np.ndarray
    background: np.ndarray
    votes: int
    name: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def band(self) -> str:
        return self.method.mask.band

    @property
    def threshold(self) -> float:
        return self.result.threshold

    def band_text(self) -> str:
        """The band in words, e.g. ``±20 levels`` or ``×(1 ± 0.4)``."""
        t = self.threshold
        if self.band == "absolute":
            return f"±{math.floor(t):d} levels per channel"
        return f"×(1 ± {t:.3g}) per channel"

    def title(self) -> str:
        """The figure's title: the photo, the band, the threshold, the palette."""
        return _title(self)

    def vote_text(self) -> str:
        n = len(self.result.palette)
        vote = self.method.mask.vote
        name = "union" if vote == "any" else (vote if isinstance(vote, str) else f"{vote:g}")
        return f"vote {name}: claimed by ≥ {self.votes} of {n} colours"


def explain(image: np.ndarray, method: PaletteMethod | None = None, *, name: str = "",
            extras: dict[str, Any] | None = None) -> Explanation:
    """Compute what the explanation figure shows, with ``runwaycut remove``'s functions.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo (other layouts are converted by :func:`runwaycut.io.as_rgb_image`).
    method : PaletteMethod, optional
        Palette, mask and figure settings (and threshold rule); the note's defaults if
        omitted.
    name : str
        Shown in the figure's title.
    extras : dict, optional
        Stored in :attr:`Explanation.extras` for extra panels.

    Returns
    -------
    explanation : Explanation
    """
    image = as_rgb_image(image)
    method = PaletteMethod() if method is None else method
    result = palette_figure(image, method.palette, method.mask, method.figure,
                            method.threshold_rule)
    band, t = method.mask.band, result.threshold
    size = _display_size(image.shape[:2])
    fractions, thumbs = [], []
    for color in result.palette.colors:
        # One colour at a time: never an (N, H, W) stack of a large photo in memory.
        mask = in_band(color_distances(image, color[None], band)[0], t)
        fractions.append(float(mask.mean()))
        thumbs.append(_resize(mask.astype(np.uint8) * 255, size))
    return Explanation(image=image, result=result, method=method,
                       color_fractions=np.array(fractions),
                       color_masks=np.stack(thumbs),
                       background=result.background,
                       votes=votes_needed(method.mask.vote, len(result.palette)),
                       name=name, extras=dict(extras or {}))


def default_panels(cutout_style: str = "green") -> list[Panel]:
    """The panels of the design note's story, in reading order."""
    return [PhotoPanel(), PalettePanel(), ColourMasksPanel(), DistancePanel(),
            HistogramPanel(), CombinedMaskPanel(), CutoutPanel(cutout_style)]


def explain_figure(image: np.ndarray, method: PaletteMethod | None = None, *,
                   panels: Sequence[Panel] | None = None, name: str = "",
                   row_height: float = 4.0, max_row_width: float = 4.6,
                   extras: dict[str, Any] | None = None) -> Figure:
    """Draw the design note's story for one photo as one matplotlib figure.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    method : PaletteMethod, optional
        Settings, as ``runwaycut remove`` builds them; the note's defaults if omitted.
    panels : sequence of Panel, optional
        What to draw, in reading order; :func:`default_panels` if omitted.
    name : str
        Photo name for the title.
    row_height : float
        Height of one row of panels, in inches.
    max_row_width : float
        Panels flow into a new row when a row would get wider than this many row
        heights (a panel wider than that gets a row of its own).
    extras : dict, optional
        Passed to :func:`explain` for extra panels.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Attached to an Agg canvas; save it with :func:`render` or ``figure.savefig``.
    """
    ex = explain(image, method, name=name, extras=extras)
    return draw_explanation(ex, panels, row_height=row_height, max_row_width=max_row_width)


def draw_explanation(ex: Explanation, panels: Sequence[Panel] | None = None, *,
                     row_height: float = 4.0, max_row_width: float = 4.6) -> Figure:
    """Lay out ``panels`` in rows and draw ``ex`` into them (see :func:`explain_figure`).

    ``ex`` is any explanation with an ``image`` and a ``title()`` (:class:`Explanation`,
    :class:`runwaycut.explain.person.PersonExplanation`) that the panels read."""
    panels = default_panels() if panels is None else list(panels)
    if not panels:
        raise ValueError("an explanation figure needs at least one panel")
    widths = [max(0.1, float(p.width(ex))) for p in panels]
    rows = _flow(widths, max_row_width)
    fig_width = max(sum(widths[i] for i in row) for row in rows) * row_height
    title_height = 0.45
    fig = Figure(figsize=(fig_width, row_height * len(rows) + title_height), layout="constrained")
    # Twice the default padding: the captions and legends under the panels of the last
    # row, and the captions at the end of a row, otherwise reach a pixel or two past the
    # figure's edge.
    fig.get_layout_engine().set(w_pad=6 / 72, h_pad=6 / 72)
    FigureCanvasAgg(fig)
    fig.suptitle(ex.title(), fontsize=10)
    row_figs = np.atleast_1d(fig.subfigures(len(rows), 1))
    number = 1
    for row, row_fig in zip(rows, row_figs):
        ratios = [widths[i] for i in row]
        spare = fig_width / row_height - sum(ratios)
        if spare > 0.05:  # keep panels at their width; the row is left-aligned
            ratios.append(spare)
        cells = np.atleast_1d(row_fig.subfigures(1, len(ratios), width_ratios=ratios,
                                                 wspace=0.02))
        for i, cell in zip(row, cells):
            cell.suptitle(f"{number}. {panels[i].title}", fontsize=9, fontweight="bold")
            panels[i].draw(cell, ex)
            number += 1
    return fig


def render(fig: Figure, format: str = "png", dpi: float = 100) -> bytes:
    """Encode a figure (PNG, PDF or SVG) in memory, for an atomic write."""
    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # "tight": the picture grows to hold every title and caption. A panel's title or
    # caption wider than its panel, at a row's end, was cut by the figure's edge (the
    # layout engine does not move subfigure titles).
    fig.savefig(buf, format=format, dpi=dpi, facecolor="white", bbox_inches="tight",
                pad_inches=0.1)
    return buf.getvalue()


def figure_to_array(fig: Figure, dpi: float = 100) -> np.ndarray:
    """Rasterise a figure as an ``(H, W, 3) uint8`` RGB array."""
    fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
