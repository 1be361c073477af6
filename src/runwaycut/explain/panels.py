"""The panels of the design note's figure: each draws one step of the method into its own
matplotlib ``SubFigure`` (see :class:`Panel`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np
from matplotlib.figure import SubFigure
from matplotlib.patches import Patch, Rectangle

from ..compose import NEON_GREEN_RGB, overlay
from ..note.palette import strip_width
from .drawing import (MASK_COLOURS, _aspect, _checker_composite, _distance_range, _image_axes,
                      _min_marker)

if TYPE_CHECKING:  # annotations only: figure.py imports this module
    from .figure import Explanation



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
