"""The default figure mask (``--method auto``): the person models fused with the photo.

Steps, at a working resolution of at most ``max_side`` pixels on the long side:

1. the person probability, box and pose (:class:`runwaycut.person.segmenter.PersonSegmenter`);
2. in the band where the person boundary is uncertain, a small classifier trained on
   labelled photos weighs the person probabilities against the photo's colours nearby
   and overall, its edges and the distance to the hands
   (:func:`runwaycut.person.fusion.fused_probability`), at half size on CCP-size photos
   (``BandParams.band_side``), its answer smoothed along the full-size photo's edges
   (a fast guided filter);
3. the figure: ``fused > 0.5``, keeping the largest region and those not much smaller
   (specks and stray people at the edges go), with small enclosed holes filled;
4. photos larger than the working size get the fused probability back at full size by
   guided upsampling, so the mask's edges land on the photo's edges;
5. a soft alpha matte along the mask boundary and foreground colours estimated under
   it (:mod:`runwaycut.person.matting`), for a cutout without background halo.

The design note's background palette is not used: its colour distance earned the
classifier nothing that the local colours did not carry (issue 14), so the palette
options (``--points``, ``--strip``...) do not change ``auto``.

The binary mask stays the reference result (``<stem>.mask.png``); ``alpha`` and
``foreground`` only feed the cutout.
"""

from __future__ import annotations

import copy

import numpy as np

from ..models import CHECKSUMS
from ..person.band import bounding_box
from ..person.fusion import BandParams, fused_probability, load_fusion_model
from ..person.matting import MattingParams, alpha_from_mask, estimate_foreground, guided_upsample
from ..person.segmenter import PersonParams
from .base import FigureResult
from .person import MAX_SIDE, PersonMethod, keep_regions, person_details


class AutoMethod:
    """Person models + local colours + edges, fused by a learned classifier.

    Parameters
    ----------
    person : PersonParams
    band : BandParams
        The uncertain band and its features (must match the shipped classifier).
    matting : MattingParams
        How the soft alpha matte is made.
    min_region : float
        Regions smaller than this fraction of the largest are dropped.
    max_hole : float
        Enclosed holes smaller than this fraction of the photo are filled.
    soft : bool
        Also compute the alpha matte and foreground colours.
    max_side : int
        Working resolution (long side, pixels).
    num_threads : int
        CPU threads per neural model.
    model : runwaycut.person.fusion.MLP, optional
        The fusion classifier; the shipped ``models/fusion.json`` by default.
    """

    name = "auto"

    def __init__(self, person: PersonParams = PersonParams(), band: BandParams = BandParams(),
                 matting: MattingParams = MattingParams(), min_region: float = 0.05,
                 max_hole: float = 0.0005, soft: bool = True, max_side: int = MAX_SIDE,
                 num_threads: int = 1, model=None):
        self._person = PersonMethod(person, max_side=max_side, num_threads=num_threads)
        self.band = band
        self.matting = matting
        self.min_region = float(min_region)
        self.max_hole = float(max_hole)
        self.soft = bool(soft)
        self.max_side = int(max_side)
        self.model = model
        # Recorded with a run's parameters (runwaycut.batch.params): a folder's results
        # of another shipped fusion classifier are not reused by a rerun.
        self.fusion_sha256 = "" if model is not None else CHECKSUMS["models/fusion.json"]

    def load(self) -> None:
        """Load the person models and the fusion classifier now (else on first use)."""
        self._person.load()
        if self.model is None:
            load_fusion_model()

    def with_threads(self, threads: int) -> "AutoMethod":
        """A copy whose person models run on ``threads`` CPU threads (loaded afresh)."""
        twin = copy.copy(self)
        twin._person = self._person.with_threads(threads)
        return twin

    def predict(self, image: np.ndarray) -> FigureResult:
        work, est = self._person.estimate(image)
        details = person_details(est, image.shape[0] / work.shape[0])
        if not est.found:
            empty = np.zeros(image.shape[:2], bool)
            return FigureResult(mask=empty, method=self.name,
                                alpha=empty.astype(np.float32) if self.soft else None,
                                foreground=image.copy() if self.soft else None, details=details)
        model = self.model if self.model is not None else load_fusion_model()
        prob = fused_probability(work, est, model, self.band)
        if work.shape != image.shape:
            prob = guided_upsample(work, prob, image)
            np.clip(prob, 0, 1, out=prob)
        mask = fill_small_holes(keep_regions(prob > 0.5, self.min_region), self.max_hole)
        details["probability"] = prob
        alpha = foreground = None
        if self.soft:
            alpha = alpha_from_mask(image, mask, self.matting)
            foreground = estimate_foreground(image, alpha)
        return FigureResult(mask=mask, method=self.name, alpha=alpha, foreground=foreground,
                            details=details)

    def estimate(self, image: np.ndarray):
        """The working-size photo and the person models' estimate on it (step 1),
        as :meth:`predict` computes them; for pictures of the steps."""
        return self._person.estimate(image)

    def __getstate__(self):
        return self.__dict__.copy()  # the person backend drops its own interpreters


def fill_small_holes(mask: np.ndarray, max_hole: float) -> np.ndarray:
    """Fill enclosed background regions smaller than ``max_hole`` of the photo's area
    (gaps between arm and body are larger and stay background)."""
    import cv2

    box = bounding_box(mask, pad=1)
    if max_hole <= 0 or box is None:
        return mask
    limit = max_hole * mask.size
    crop = mask[box]  # holes lie inside the figure's box; its 1-px frame is outside
    # OpenCV's contour tree names the holes (inner borders: each encloses one 4-connected
    # background region). Each is labelled within its border's box only, where it cannot
    # touch the box's edge: a tenth of labelling the figure's box, and none at all when
    # there is no hole. (Many holes: the figure's box at once.)
    contours, tree = cv2.findContours(crop.view(np.uint8), cv2.RETR_CCOMP,
                                      cv2.CHAIN_APPROX_SIMPLE)
    holes = [] if tree is None else np.flatnonzero(tree[0][:, 3] >= 0)
    if len(holes) == 0:
        return mask
    if len(holes) > 16:
        regions = [(slice(0, crop.shape[0]), slice(0, crop.shape[1]))]
    else:
        regions = [(slice(y, y + h), slice(x, x + w))
                   for x, y, w, h in (cv2.boundingRect(contours[i]) for i in holes)]
    fills = [(region, fill) for region in regions
             if (fill := _enclosed_small(crop[region], limit)) is not None]
    if not fills:  # no small hole: the mask as it is (no full-size pass)
        return mask
    out = mask.copy()
    inside = out[box]
    for region, fill in fills:
        inside[region] |= fill
    return out


def _enclosed_small(crop: np.ndarray, limit: float) -> np.ndarray | None:
    """The background regions of ``crop`` (4-connected) that do not reach its edge and
    hold fewer than ``limit`` pixels, as a bool map (None if there are none)."""
    import cv2

    h, w = crop.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats((~crop).astype(np.uint8), connectivity=4)
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    enclosed = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h)
    fill = enclosed & (area < limit)
    fill[0] = False
    return fill[labels] if fill.any() else None
