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
from typing import Any, Protocol, Sequence

import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Patch, Rectangle

from ..note.background import BackgroundResult, palette_figure
from ..note.colormask import color_distances, in_band, votes_needed
from ..compose import NEON_GREEN_RGB, overlay
from ..io import as_rgb_image
from ..methods.palette import PaletteMethod
from ..note.palette import strip_width

#: Largest side, in pixels, of the pictures drawn in the figure: the computation runs at
#: full size, the drawing on a reduced copy (a 24-megapixel photo would draw slowly).
DISPLAY_SIDE = 640

#: Colours of the combined-mask panel (RGB).
MASK_COLOURS = {
    "background": (45, 45, 60),       # claimed by the vote: removed
    "dropped": (240, 140, 30),        # never background, but not the largest region
    "figure": (250, 250, 250),        # kept
    "filled": (90, 160, 255),         # background-coloured hole inside the figure, kept
}


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


class Panel(Protocol):
    """One part of the figure.

    ``width`` is in units of the row's height (a portrait photo is about 0.66 wide);
    ``draw`` fills the given ``SubFigure`` (whose title the layout sets from ``title``).
    """

    title: str

    def width(self, ex: Explanation) -> float: ...

    def draw(self, fig: SubFigure, ex: Explanation) -> None: ...


class PhotoPanel:
    """The photo with its edge strips shaded and the sampled blocks outlined."""

    title = "Photo, sampled blocks"

    def width(self, ex: Explanation) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        ax = _image_axes(fig, ex, ex.image)
        h, w = ex.image.shape[:2]
        pal = ex.result.palette
        sw = strip_width(w, ex.method.palette.strip)
        for x0 in (0, w - sw):
            ax.add_patch(Rectangle((x0 - 0.5, -0.5), sw, h, facecolor="white", alpha=0.25,
                                   edgecolor="none"))
            ax.axvline(sw - 0.5 if x0 == 0 else x0 - 0.5, color="black", linestyle="--",
                       linewidth=0.8)
        b = pal.block
        for i, ((row, col), colour) in enumerate(zip(pal.points, pal.colors)):
            face = np.asarray(colour) / 255
            if b > 0:
                # Outline the block itself, at least a few display pixels wide.
                side = max(b, _min_marker(ex))
                ax.add_patch(Rectangle((col - side / 2, row - side / 2), side, side,
                                       facecolor=face, edgecolor="black", linewidth=0.6))
            else:
                ax.plot([col], [row], marker="o", markersize=6, markerfacecolor=face,
                        markeredgecolor="black", markeredgewidth=0.6)
            ax.annotate(str(i + 1), (col, row), xytext=(4 if col < w / 2 else -4, 0),
                        textcoords="offset points", fontsize=6.5, va="center",
                        ha="left" if col < w / 2 else "right", color="black",
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
        how = (f"{len(pal)} random {b}×{b} blocks"
               if ex.method.palette.sampler == "random" else
               f"{len(pal)} k-means centres\n(nearest strip pixel shown)")
        ax.set_xlabel(f"shaded: edge strips, {sw} px wide\n{how}", fontsize=7)


class PalettePanel:
    """The palette colours as swatches, with their values and share of the photo."""

    title = "Palette"

    def width(self, ex: Explanation) -> float:
        return 0.5

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        pal = ex.result.palette
        n = len(pal)
        w = ex.image.shape[1]
        ax = fig.add_subplot()
        ax.set_xlim(0, 1)
        ax.set_ylim(n, 0)
        ax.axis("off")
        font = 7 if n <= 20 else 5
        for i, colour in enumerate(pal.colors):
            ax.add_patch(Rectangle((0.02, i + 0.08), 0.3, 0.84, facecolor=np.asarray(colour) / 255,
                                   edgecolor="black", linewidth=0.5))
            side = "L" if pal.points[i][1] < w / 2 else "R"
            r, g, b = (int(v) for v in colour)
            ax.text(0.36, i + 0.5, f"{i + 1:>2}{side} {r:>3},{g:>3},{b:>3} "
                                   f"{ex.color_fractions[i]:>4.0%}",
                    fontsize=font, va="center", family="monospace")
        ax.set_title("no. side  R,G,B  share in band", fontsize=6.5)


class ColourMasksPanel:
    """One mask per palette colour, in a grid, as the note's ``bg-masks`` figures."""

    title = "One mask per colour"

    #: Widest the grid may be, in row heights.
    max_width = 2.8

    def _grid(self, ex: Explanation) -> tuple[int, int]:
        n = len(ex.color_masks)
        rows = 1
        while math.ceil(n / rows) * _aspect(ex) / rows > self.max_width and rows < n:
            rows += 1
        return rows, math.ceil(n / rows)

    def width(self, ex: Explanation) -> float:
        rows, cols = self._grid(ex)
        return cols * _aspect(ex) / rows + 0.05 * cols

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        rows, cols = self._grid(ex)
        axes = fig.subplots(rows, cols, squeeze=False)
        font = 6.5 if rows <= 2 else 5
        for i, ax in enumerate(axes.flat):
            ax.set_xticks([])
            ax.set_yticks([])
            if i >= len(ex.color_masks):
                ax.axis("off")
                continue
            ax.imshow(ex.color_masks[i], cmap="viridis", vmin=0, vmax=255,
                      interpolation="antialiased")
            colour = ex.result.palette.colors[i] / 255
            for spine in ax.spines.values():
                spine.set_edgecolor(colour)
                spine.set_linewidth(3)
            ax.set_title(f"{i + 1}: {ex.color_fractions[i]:.0%}", fontsize=font, pad=2)
        fig.supxlabel(f"yellow: within {ex.band_text()} of the colour (framed); "
                      "title: share of the photo", fontsize=7)


class DistancePanel:
    """The distance map: all colour masks at once, one comparison per threshold."""

    title = "Distance to the palette"

    def width(self, ex: Explanation) -> float:
        return _aspect(ex) + 0.3

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        d = ex.result.distance
        vmax = _distance_range(ex)
        ax = _image_axes(fig, ex, np.minimum(d, vmax).astype(np.float32), cmap="magma",
                         vmin=0, vmax=vmax)
        bar = fig.colorbar(ax.images[0], ax=ax, fraction=0.08, pad=0.02)
        bar.ax.axhline(min(ex.threshold, vmax), color="cyan", linewidth=2)
        bar.ax.tick_params(labelsize=6)
        bar.set_label(f"cyan: threshold {ex.threshold:g}", fontsize=7)
        kind = "max |p−c|" if ex.band == "absolute" else "max |p−c| / c"
        which = "min over colours" if ex.votes == 1 else f"{ex.votes}-th smallest over colours"
        ax.set_xlabel(f"{kind}, {which}\n(clipped at {vmax:g})", fontsize=7)


class HistogramPanel:
    """Histogram of the distance map, the threshold and the background share.

    Extra thresholds to mark (e.g. a predicted one) may be given in
    ``ex.extras["threshold_marks"]`` as ``{label: value}``.
    """

    title = "Distance histogram"

    def width(self, ex: Explanation) -> float:
        return 1.2

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        d = ex.result.distance
        vmax = _distance_range(ex)
        ax = fig.add_subplot()
        if d.dtype == np.uint8:
            edges = np.arange(0, int(vmax) + 2) - 0.5
        else:
            edges = np.linspace(0, vmax, 121)
        counts, edges = np.histogram(np.minimum(d, vmax), bins=edges)
        centres = (edges[:-1] + edges[1:]) / 2
        inside = centres <= ex.threshold
        ax.bar(centres[inside], counts[inside], width=np.diff(edges)[inside],
               color=np.array(MASK_COLOURS["background"]) / 255, label="background")
        ax.bar(centres[~inside], counts[~inside], width=np.diff(edges)[~inside],
               color="#b8b8c8", label="not background")
        ax.set_yscale("log")
        ax.axvline(ex.threshold, color="cyan", linewidth=1.5, linestyle="-")
        share = float(ex.background.mean())
        ax.text(ex.threshold, 1.0, f" t = {ex.threshold:g}\n {share:.0%} background",
                transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=7)
        for label, value in dict(ex.extras.get("threshold_marks", {})).items():
            ax.axvline(value, color="magenta", linewidth=1.2, linestyle="--")
            ax.text(value, 0.75, f" {label} = {value:g}", transform=ax.get_xaxis_transform(),
                    fontsize=7, color="magenta")
        ax.legend(fontsize=6, loc="upper right", bbox_to_anchor=(1, 0.9), frameon=False)
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel(f"distance to the palette (last bin: ≥ {vmax:g})", fontsize=7)
        ax.set_ylabel("pixels", fontsize=7)
        ax.tick_params(labelsize=6)


class CombinedMaskPanel:
    """The combined mask and what figure selection keeps of it."""

    title = "Combined mask → figure"

    def width(self, ex: Explanation) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        codes = np.zeros(ex.background.shape, np.uint8)     # 0: background
        never = ~ex.background
        figure = ex.result.mask
        codes[never] = 1                                     # dropped unless kept below
        codes[figure & never] = 2
        codes[figure & ~never] = 3                           # a filled hole
        lut = np.array([MASK_COLOURS[k] for k in ("background", "dropped", "figure", "filled")],
                       np.uint8)
        ax = _image_axes(fig, ex, lut[codes])
        labels = {"background": "background", "dropped": "dropped (not largest)",
                  "figure": "figure", "filled": "hole, filled"}
        shares = [(~never).mean(), (never & ~figure).mean(), (figure & never).mean(),
                  (figure & ~never).mean()]
        handles = [Patch(facecolor=np.array(MASK_COLOURS[k]) / 255, edgecolor="black",
                         linewidth=0.5, label=f"{labels[k]} {s:.1%}")
                   for k, s in zip(labels, shares)]
        ax.legend(handles=handles, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=2, frameon=False, handlelength=1, columnspacing=0.8)
        ax.set_title(ex.vote_text(), fontsize=7)


class CutoutPanel:
    """The cutout: removed pixels neon green (the note's display) or a checkerboard."""

    def __init__(self, style: str = "green"):
        if style not in ("green", "checker"):
            raise ValueError(f"cutout style must be 'green' or 'checker', got {style!r}")
        self.style = style
        self.title = "Cutout"

    def width(self, ex: Explanation) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: Explanation) -> None:
        keep = ex.result.mask
        if self.style == "green":
            picture = overlay(ex.image, keep, NEON_GREEN_RGB)
            note = "removed pixels neon green"
        else:
            picture = _checker_composite(ex.image, keep)
            note = "removed pixels transparent"
        ax = _image_axes(fig, ex, picture)
        ax.set_xlabel(f"{note}; figure {keep.mean():.1%} of the photo", fontsize=7)


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
    fig.savefig(buf, format=format, dpi=dpi, facecolor="white")
    return buf.getvalue()


def figure_to_array(fig: Figure, dpi: float = 100) -> np.ndarray:
    """Rasterise a figure as an ``(H, W, 3) uint8`` RGB array."""
    fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


# --- helpers ----------------------------------------------------------------------------

def _title(ex: Explanation) -> str:
    h, w = ex.image.shape[:2]
    p = ex.method.palette
    sampler = (f"{p.points} random points, {p.block}×{p.block} blocks, seed {p.seed}"
               if p.sampler == "random" else f"k-means of strip pixels, {p.points} colours")
    f = ex.method.figure
    figure = ", ".join(s for s, on in (("largest region", f.keep_largest),
                                       ("holes filled", f.fill_holes)) if on) or "all regions"
    rule = "" if ex.method.threshold_rule is None else " (chosen by rule)"
    name = f"{ex.name}: " if ex.name else ""
    return (f"{name}{w}×{h} px — {ex.band} band {ex.band_text()}, threshold "
            f"{ex.threshold:g}{rule}; {ex.vote_text()}\npalette: {sampler}; figure: {figure}")


def _flow(widths: Sequence[float], max_width: float) -> list[list[int]]:
    """Split panel indices into rows, greedily, each no wider than ``max_width``."""
    rows: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(widths):
        if rows[-1] and used + w > max_width + 1e-9:
            rows.append([])
            used = 0.0
        rows[-1].append(i)
        used += w
    return rows


def _aspect(ex: Explanation) -> float:
    h, w = ex.image.shape[:2]
    return w / h


def _display_size(shape: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the drawn copy: the photo's, reduced to DISPLAY_SIDE at most."""
    h, w = shape
    scale = min(1.0, DISPLAY_SIDE / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (array.shape[1], array.shape[0]) == size:
        return array
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def _min_marker(ex: Explanation) -> float:
    """Smallest drawn block side, in photo pixels, so blocks stay visible when reduced."""
    return max(ex.image.shape[:2]) / 90


def _image_axes(fig: SubFigure, ex: Explanation, picture: np.ndarray, **imshow):
    """An axes showing ``picture`` (a photo-sized array) in photo pixel coordinates."""
    h, w = ex.image.shape[:2]
    ax = fig.add_subplot()
    shown = picture
    if picture.dtype == bool:
        shown = picture.astype(np.uint8) * 255
    shown = _resize(shown, _display_size((h, w)))
    ax.imshow(shown, extent=(-0.5, w - 0.5, h - 0.5, -0.5), interpolation="antialiased",
              **imshow)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _distance_range(ex: Explanation) -> float:
    """Upper end of the distance axis: a few thresholds, capped by the data."""
    d = ex.result.distance
    t = ex.threshold
    if d.dtype == np.uint8:
        return float(min(255, max(4 * math.floor(t), 40)))
    return float(max(4 * t, 1.0))


def _checker_composite(image: np.ndarray, keep: np.ndarray, square: int | None = None) -> np.ndarray:
    """The photo where ``keep``, a grey checkerboard (transparency) elsewhere."""
    h, w = keep.shape
    square = square or max(4, max(h, w) // 40)
    yy, xx = np.indices((h, w))
    board = np.where(((yy // square) + (xx // square)) % 2 == 0, 205, 150).astype(np.uint8)
    out = np.repeat(board[:, :, None], 3, axis=2)
    out[keep] = image[keep]
    return out
