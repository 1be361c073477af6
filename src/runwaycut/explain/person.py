"""The steps of the person-based figure masks (``--method auto`` and ``person``), drawn.

``runwaycut explain --method auto`` shows, left to right, top to bottom:

1. the photo with the person's box and the pose skeleton the models found;
2. the person probability (selfie segmenter + BlazePose) at the working size, with the
   threshold's outline;
3. the uncertain band around that outline, where the fusion classifier decides, with
   the pixels it added to the figure and those it took away;
4. the fused probability and the figure mask kept from it (regions and holes);
5. the soft alpha matte along the outline;
6. the cutout, as ``remove`` writes it (foreground colours under that matte).

``--method person`` draws 1, 2, 4 (its thresholded mask) and 6. The figure's result is
the backend's own ``predict`` (what ``remove`` computes); the intermediate steps come
from the same functions on the same working-size photo (:meth:`AutoMethod.estimate`,
:func:`runwaycut.person.fusion.classified_band`). The panels follow
:mod:`runwaycut.explain.figure`'s protocol (``title``, ``width(ex)``, ``draw(subfig, ex)``)
and share its layout, so the garment panels join them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from matplotlib.figure import SubFigure
from matplotlib.patches import Patch, Rectangle

from ..compose import NEON_GREEN_RGB
from ..io import as_rgb_image
from ..methods import AutoMethod, FigureResult, PersonMethod
from ..person.band import band_factor
from ..person.fusion import classified_band
from ..person.segmenter import SKELETON
from .drawing import MASK_COLOURS, _checker_composite, _image_axes


@dataclass(frozen=True)
class PersonExplanation:
    """Everything the person-based panels draw.

    Attributes
    ----------
    image : (H, W, 3) uint8 array
        The photo.
    method : AutoMethod or PersonMethod
        The backend explained.
    result : FigureResult
        ``method.predict(image)``: the mask, matte and foreground ``remove`` writes.
    work_shape : (int, int)
        Height and width of the working-size photo the models ran on.
    person : (h, w) float32 array
        The person probability at the working size.
    person_threshold : float
        Probability above which the person models alone call a pixel figure.
    band : (h, w) bool array or None
        The uncertain band where the fusion classifier decides (``auto`` only).
    fused : (H, W) float32 array or None
        The fused figure probability at full size (``auto``), figure where > 0.5.
    landmarks : (33+, 2+) float array or None
        Pose landmarks in full-size pixels (``x, y`` first).
    box : (x0, y0, x1, y1) or None
        The person's box in full-size pixels.
    name : str
    extras : dict
        For extra panels (e.g. ``"garment"``).
    """

    image: np.ndarray
    method: Any
    result: FigureResult
    work_shape: tuple[int, int]
    person: np.ndarray
    person_threshold: float
    band: np.ndarray | None
    fused: np.ndarray | None
    landmarks: np.ndarray | None
    box: tuple | None
    name: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_auto(self) -> bool:
        return self.band is not None

    def title(self) -> str:
        h, w = self.image.shape[:2]
        wh, ww = self.work_shape
        name = f"{self.name}: " if self.name else ""
        work = "full size" if (wh, ww) == (h, w) else f"{ww}×{wh} px"
        k = band_factor(self.work_shape, self.method.band) if self.is_auto else 1
        size = "" if k == 1 else " at half size" if k == 2 else f" at 1/{k} size"
        steps = (f"person models at {work}, fusion classifier in a "
                 f"{self.method.band.radius:g}-px band{size}, soft matte"
                 if self.is_auto else
                 f"person models at {work}, probability > {self.person_threshold:g}")
        return f"{name}{w}×{h} px — method {self.method.name}: {steps}"


def explain_person(image: np.ndarray, method: AutoMethod | PersonMethod, *, name: str = "",
                   extras: dict[str, Any] | None = None,
                   result: FigureResult | None = None) -> PersonExplanation:
    """Compute what the person-based panels show.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    method : AutoMethod or PersonMethod
    name : str
        Shown in the title.
    extras : dict, optional
    result : FigureResult, optional
        ``method.predict(image)`` when already computed (e.g. by a garment backend
        wrapping ``method``).

    Returns
    -------
    explanation : PersonExplanation
    """
    if not isinstance(method, (AutoMethod, PersonMethod)):
        raise ValueError(f"explain_person explains the auto and person methods, not "
                         f"{getattr(method, 'name', type(method).__name__)!r}")
    image = as_rgb_image(image)
    if result is None:
        result = method.predict(image)
    work, est = method.estimate(image)
    auto = isinstance(method, AutoMethod)
    threshold = method.band.threshold if auto else method.threshold
    band = fused = None
    if auto:
        band = classified_band(work, est, method.band) if est.found else \
            np.zeros(work.shape[:2], bool)
        fused = result.details.get("probability")
        if fused is None:  # no person found: nothing was fused
            fused = np.zeros(image.shape[:2], np.float32)
    details = result.details
    return PersonExplanation(image=image, method=method, result=result,
                             work_shape=work.shape[:2], person=est.probability,
                             person_threshold=float(threshold), band=band, fused=fused,
                             landmarks=details.get("landmarks"), box=details.get("person_box"),
                             name=name, extras=dict(extras or {}))


def _aspect(ex) -> float:
    h, w = ex.image.shape[:2]
    return w / h


def _outline(ax, ex, mask: np.ndarray, colour: str, width: float = 1.0) -> None:
    """Draw the outline of a (any-size) mask in photo coordinates."""
    h, w = ex.image.shape[:2]
    mh, mw = mask.shape
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        pts = c[:, 0, :].astype(np.float64)
        xs = (pts[:, 0] + 0.5) * w / mw - 0.5
        ys = (pts[:, 1] + 0.5) * h / mh - 0.5
        ax.plot(np.append(xs, xs[0]), np.append(ys, ys[0]), color=colour, linewidth=width)


def _to_work(ex: PersonExplanation, array: np.ndarray) -> np.ndarray:
    """A full-size float array brought to the working size (area average)."""
    wh, ww = ex.work_shape
    if array.shape == (wh, ww):
        return array
    return cv2.resize(array.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA)


class PosePanel:
    """The photo with the person's box and the pose skeleton."""

    title = "Photo, person and pose"

    def width(self, ex) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: PersonExplanation) -> None:
        ax = _image_axes(fig, ex, ex.image)
        if ex.box is not None:
            x0, y0, x1, y1 = ex.box
            ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                                   edgecolor="yellow", linewidth=1, linestyle="--"))
        if ex.landmarks is not None:
            pts = np.asarray(ex.landmarks)[:, :2]
            for i, j in SKELETON:
                ax.plot(pts[[i, j], 0], pts[[i, j], 1], color="cyan", linewidth=1.2)
            ax.plot(pts[:33, 0], pts[:33, 1], "o", color="magenta", markersize=1.8)
        h, w = ex.image.shape[:2]
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
        found = ("pose: 33 landmarks (cyan bones)" if ex.landmarks is not None else
                 "person found, no pose" if ex.box is not None else "no person found")
        ax.set_xlabel(f"dashed: the person's box\n{found}", fontsize=7)


class PersonProbabilityPanel:
    """The person models' probability at the working size, with its threshold's outline."""

    title = "Person probability"

    def width(self, ex) -> float:
        return _aspect(ex) + 0.3

    def draw(self, fig: SubFigure, ex: PersonExplanation) -> None:
        ax = _image_axes(fig, ex, ex.person.astype(np.float32), cmap="magma", vmin=0, vmax=1)
        bar = fig.colorbar(ax.images[0], ax=ax, fraction=0.08, pad=0.02)
        bar.ax.axhline(ex.person_threshold, color="cyan", linewidth=2)
        bar.ax.tick_params(labelsize=6)
        _outline(ax, ex, ex.person > ex.person_threshold, "cyan", 0.8)
        wh, ww = ex.work_shape
        ax.set_xlabel(f"selfie segmenter + BlazePose at {ww}×{wh} px\n"
                      f"cyan: probability {ex.person_threshold:g}", fontsize=7)


class BandPanel:
    """The uncertain band, and what the fusion classifier changed inside it."""

    title = "Uncertain band → fusion"

    #: RGB colours of the band panel.
    COLOURS = {"band": (255, 210, 60), "added": (40, 120, 255), "removed": (230, 60, 40)}

    def width(self, ex) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: PersonExplanation) -> None:
        wh, ww = ex.work_shape
        grey = cv2.cvtColor(cv2.resize(ex.image, (ww, wh), interpolation=cv2.INTER_AREA)
                            if ex.image.shape[:2] != (wh, ww) else ex.image, cv2.COLOR_RGB2GRAY)
        picture = np.repeat((0.5 * grey + 60).astype(np.uint8)[..., None], 3, axis=2)
        person = ex.person > ex.person_threshold
        fused = _to_work(ex, ex.fused) > 0.5
        added, removed = ex.band & fused & ~person, ex.band & ~fused & person
        picture[ex.band] = (0.5 * picture[ex.band] + 0.5 * np.array(self.COLOURS["band"]))
        picture[added] = self.COLOURS["added"]
        picture[removed] = self.COLOURS["removed"]
        ax = _image_axes(fig, ex, picture)
        labels = {"band": f"band {ex.band.mean():.1%}", "added": f"added {added.mean():.2%}",
                  "removed": f"removed {removed.mean():.2%}"}
        handles = [Patch(facecolor=np.array(self.COLOURS[k]) / 255, edgecolor="black",
                         linewidth=0.5, label=v) for k, v in labels.items()]
        ax.legend(handles=handles, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=3, frameon=False, handlelength=1, columnspacing=0.8)
        ax.set_title("classifier: colours nearby and\noverall, edges, hands", fontsize=6.5)


class FusedMaskPanel:
    """The fused probability (auto) or the person mask, and the figure kept from it."""

    def __init__(self, auto: bool = True):
        self.title = "Fused mask" if auto else "Figure mask"

    def width(self, ex) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: PersonExplanation) -> None:
        mask = ex.result.mask
        if ex.fused is not None:
            raw, what = ex.fused > 0.5, "fused > 0.5"
        else:  # the person backend's own full-size probability, as it thresholds it
            prob = ex.result.details.get("probability")
            raw = (np.zeros(mask.shape, bool) if prob is None else prob > ex.person_threshold)
            what = f"person > {ex.person_threshold:g}"
        codes = np.zeros(mask.shape, np.uint8)
        codes[raw & ~mask] = 1                 # dropped: a speck or a bystander
        codes[mask & raw] = 2                  # figure
        codes[mask & ~raw] = 3                 # a small hole, filled
        lut = np.array([MASK_COLOURS[k] for k in ("background", "dropped", "figure", "filled")],
                       np.uint8)
        ax = _image_axes(fig, ex, lut[codes])
        shares = [(codes == k).mean() for k in range(4)]
        labels = ("background", "dropped (small region)", "figure", "hole, filled")
        handles = [Patch(facecolor=np.array(MASK_COLOURS[k]) / 255, edgecolor="black",
                         linewidth=0.5, label=f"{label} {s:.1%}")
                   for k, label, s in zip(("background", "dropped", "figure", "filled"),
                                          labels, shares)]
        ax.legend(handles=handles, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.01),
                  ncol=2, frameon=False, handlelength=1, columnspacing=0.8)
        ax.set_title(f"{what}; regions under {ex.method.min_region:.0%}\nof the largest "
                     "dropped", fontsize=6.5)


class MattePanel:
    """The soft alpha matte of the cutout (opaque inside, soft only along the outline)."""

    title = "Alpha matte"

    def width(self, ex) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: PersonExplanation) -> None:
        alpha = ex.result.alpha
        if alpha is None:
            alpha = ex.result.mask.astype(np.float32)
        ax = _image_axes(fig, ex, alpha.astype(np.float32), cmap="gray", vmin=0, vmax=1)
        soft = float(((alpha > 0) & (alpha < 1)).mean())
        ax.set_xlabel(f"soft (0 < alpha < 1): {soft:.2%} of the photo\n"
                      "foreground colours re-estimated there", fontsize=7)


class SoftCutoutPanel:
    """The cutout as ``remove`` writes it: foreground colours under the alpha matte,
    over neon green (the note's display) or a checkerboard."""

    def __init__(self, style: str = "green"):
        if style not in ("green", "checker"):
            raise ValueError(f"cutout style must be 'green' or 'checker', got {style!r}")
        self.style = style
        self.title = "Cutout"

    def width(self, ex) -> float:
        return _aspect(ex)

    def draw(self, fig: SubFigure, ex: PersonExplanation) -> None:
        r = ex.result
        colours = r.foreground if r.foreground is not None else ex.image
        alpha = (r.alpha if r.alpha is not None else r.mask.astype(np.float32))[..., None]
        if self.style == "green":
            back = np.empty_like(ex.image)
            back[:] = NEON_GREEN_RGB
            note = "removed pixels neon green"
        else:
            back = _checker_composite(ex.image, np.zeros(r.mask.shape, bool))
            note = "removed pixels transparent"
        picture = np.clip(np.rint(alpha * colours + (1 - alpha) * back), 0, 255).astype(np.uint8)
        ax = _image_axes(fig, ex, picture)
        ax.set_xlabel(f"{note}; figure {r.mask.mean():.1%} of the photo", fontsize=7)


def person_panels(ex: PersonExplanation, cutout_style: str = "green") -> list:
    """The panels of the auto or person method's steps, in reading order."""
    if ex.is_auto:
        return [PosePanel(), PersonProbabilityPanel(), BandPanel(), FusedMaskPanel(),
                MattePanel(), SoftCutoutPanel(cutout_style)]
    return [PosePanel(), PersonProbabilityPanel(), FusedMaskPanel(auto=False),
            SoftCutoutPanel(cutout_style)]


__all__ = ["BandPanel", "FusedMaskPanel", "MattePanel", "PersonExplanation",
           "PersonProbabilityPanel", "PosePanel", "SoftCutoutPanel", "explain_person",
           "person_panels"]
