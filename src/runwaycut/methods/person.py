"""The neural person mask as a figure-mask backend (``--method person``).

The person probability of :mod:`runwaycut.person.segmenter` (MediaPipe's selfie segmenter and
BlazePose's segmentation, each averaged with its mirror image), thresholded, keeping
the regions that are not specks next to the largest one. Photos larger than
``max_side`` are processed at that working size and the probability is brought back
to full size by guided upsampling (:func:`runwaycut.person.matting.guided_upsample`).
"""

from __future__ import annotations

import copy

import cv2
import numpy as np

from ..person.segmenter import PersonEstimate, PersonParams, PersonSegmenter
from ..person.band import bounding_box
from ..person.matting import guided_upsample
from .base import FigureResult

#: Default working resolution: photos with a longer side are processed at this size.
MAX_SIDE = 1024


class PersonMethod:
    """Figure = the person found by the shipped neural models.

    Parameters
    ----------
    person : PersonParams
        How the models run and combine.
    threshold : float
        Person probability above which a pixel is figure (0.6: the models' masks run
        slightly wide of the labelled figures).
    min_region : float
        Regions smaller than this fraction of the largest one are dropped.
    max_side : int
        Working resolution (long side, pixels).
    num_threads : int
        CPU threads per model.
    """

    name = "person"

    def __init__(self, person: PersonParams = PersonParams(), threshold: float = 0.6,
                 min_region: float = 0.05, max_side: int = MAX_SIDE, num_threads: int = 1):
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        if max_side < 64:
            raise ValueError(f"max_side must be at least 64 pixels, got {max_side}")
        self.threshold = float(threshold)
        self.min_region = float(min_region)
        self.max_side = int(max_side)
        self.segmenter = PersonSegmenter(person, num_threads)

    def load(self) -> None:
        """Load the person models now (batch workers do, before their first photo)."""
        self.segmenter.load()

    def with_threads(self, threads: int) -> "PersonMethod":
        """A copy whose person models run on ``threads`` CPU threads (loaded afresh)."""
        twin = copy.copy(self)
        twin.segmenter = PersonSegmenter(self.segmenter.params, threads)
        return twin

    def estimate(self, image: np.ndarray) -> tuple[np.ndarray, PersonEstimate]:
        """The working-size photo and the person models' estimate on it."""
        work = working_image(image, self.max_side)
        return work, self.segmenter.estimate(work)

    def predict(self, image: np.ndarray) -> FigureResult:
        work, est = self.estimate(image)
        details = person_details(est, image.shape[0] / work.shape[0])
        if not est.found:
            return FigureResult(mask=np.zeros(image.shape[:2], bool), method=self.name,
                                details=details)
        prob = est.probability
        if work.shape != image.shape:
            prob = guided_upsample(work, prob, image)
        mask = keep_regions(prob > self.threshold, self.min_region)
        details["probability"] = prob
        return FigureResult(mask=mask, method=self.name, details=details)


def working_image(image: np.ndarray, max_side: int) -> np.ndarray:
    """The photo shrunk (area interpolation) so that its long side is at most ``max_side``."""
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    s = max_side / max(h, w)
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))),
                      interpolation=cv2.INTER_AREA)


def keep_regions(mask: np.ndarray, min_region: float) -> np.ndarray:
    """The largest 8-connected region of ``mask`` and every region at least
    ``min_region`` times its size (an arm or a bag cut off by a gap stays; specks go)."""
    mask = np.asarray(mask, bool)
    box = bounding_box(mask)
    if box is None:
        return mask
    crop = mask[box].view(np.uint8)
    # One outer boundary (OpenCV traces 8-connected regions; in its two-level tree an
    # island inside a hole is an outer boundary too): one region, nothing to drop.
    # Tracing the outlines takes a tenth of the labelling below (the usual case).
    outlines, tree = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    outer = [] if tree is None else np.flatnonzero(tree[0][:, 3] < 0)
    if len(outer) <= 1:
        return mask
    # Several regions, most often one figure and specks: when their outlines alone show
    # that all but one are small enough to go, they are filled in with background
    # (a third of the labelling's time).
    specks = _small_regions([outlines[i] for i in outer], np.count_nonzero(crop), min_region)
    if specks is not None:
        out = mask.copy()
        erased = out[box].view(np.uint8)
        for i in range(len(specks)):  # one by one: a speck inside a speck's hole goes too
            cv2.drawContours(erased, specks, i, 0, thickness=cv2.FILLED)
        return out
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    if n <= 2:
        return mask
    area = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    keep[1:] = area >= min_region * area.max()
    if keep[1:].all():  # every region stays: the mask as it is
        return mask
    out = np.zeros_like(mask)
    out[box] = keep[labels]
    return out


def _small_regions(outlines, pixels: int, min_region: float):
    """The outer outlines (OpenCV contours) of the regions that :func:`keep_regions`
    drops, when the outlines prove that all regions but one are dropped; else None.

    A region holds at most its outline polygon's area plus its perimeter plus one
    pixels (the polygon runs through its border pixels' centres; a pixel or a line of
    them has no area). The region with the largest such bound holds at least
    ``pixels`` less the others' bounds; if every other bound is under ``min_region``
    times that, it is the largest region and every other one goes.
    """
    upper = np.array([cv2.contourArea(c) + cv2.arcLength(c, True) + 1 for c in outlines])
    largest = int(np.argmax(upper))
    others = np.delete(upper, largest)
    if others.max() >= min_region * (pixels - others.sum()):
        return None
    return [c for i, c in enumerate(outlines) if i != largest]


def person_details(est: PersonEstimate, scale: float = 1.0) -> dict:
    """The ``details`` every person-based backend reports, in full-size pixels.

    ``scale`` is the full-size photo's height over the working image's.
    """
    box = None if est.box is None else tuple(int(round(v * scale)) for v in est.box)
    landmarks = None
    if est.pose is not None:
        landmarks = est.pose.landmarks.copy()
        landmarks[:, :3] *= scale
    return {"person_found": est.found, "warnings": list(est.warnings), "person_box": box,
            "pose_presence": None if est.pose is None else est.pose.presence,
            "landmarks": landmarks}
