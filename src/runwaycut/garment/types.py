"""The four-class label map's classes, parameters and result types.
"""

from __future__ import annotations



from dataclasses import dataclass

import numpy as np

from .colors import lab_to_rgb
from ..scoring.items import label_counts
from ..scoring.labels import CLASS_NAMES



#: Class indices of a label map (same order as :data:`runwaycut.scoring.labels.CLASS_NAMES`).
BACKGROUND, GARMENT, SKIN_HAIR, ACCESSORY = 0, 1, 2, 3

#: RGB colour of each class in ``<stem>.labels.png``: the original author's colour code
#: for hand labels (background red, garment blue, skin+hair white, accessories green).
LABEL_PALETTE = np.array([[255, 0, 0], [0, 0, 255], [255, 255, 255], [0, 255, 0]], np.uint8)
LABEL_PALETTE.setflags(write=False)

#: Classes the classifier chooses between, for figure pixels (indices into CLASS_NAMES).
FIGURE_CLASSES = (GARMENT, SKIN_HAIR, ACCESSORY)

#: Version of the feature definitions; a model trained on another version is refused.
FEATURES_VERSION = 1

#: BlazePose landmark indices used here (see :data:`runwaycut.person.segmenter.LANDMARK_NAMES`).
_NOSE = 0
_L_SHOULDER, _R_SHOULDER, _L_ELBOW, _R_ELBOW, _L_WRIST, _R_WRIST = 11, 12, 13, 14, 15, 16
_L_INDEX, _R_INDEX = 19, 20
_L_HIP, _R_HIP, _L_KNEE, _R_KNEE, _L_ANKLE, _R_ANKLE = 23, 24, 25, 26, 27, 28
_L_FOOT, _R_FOOT = 31, 32
_N_BODY = 33

#: Body parts as landmark segments (left and right): name -> list of (a, b) pairs.
BODY_SEGMENTS = {
    "upper_arm": [(_L_SHOULDER, _L_ELBOW), (_R_SHOULDER, _R_ELBOW)],
    "forearm": [(_L_ELBOW, _L_WRIST), (_R_ELBOW, _R_WRIST)],
    "hand": [(_L_WRIST, _L_INDEX), (_R_WRIST, _R_INDEX)],
    "thigh": [(_L_HIP, _L_KNEE), (_R_HIP, _R_KNEE)],
    "shin": [(_L_KNEE, _L_ANKLE), (_R_KNEE, _R_ANKLE)],
    "foot": [(_L_ANKLE, _L_FOOT), (_R_ANKLE, _R_FOOT)],
}

#: Names of the per-pixel features, in column order.
FEATURE_NAMES = (
    "L", "a", "b", "L_smooth", "a_smooth", "b_smooth", "L_wide", "a_wide", "b_wide",
    "chroma", "texture", "edge",
    "skin_distance", "skin_dL", "skin_da", "skin_db", "skin_distance_smooth",
    "hair_distance", "torso_distance", "legs_distance",
    "height", "across", "head_distance",
    *(f"{part}_distance" for part in BODY_SEGMENTS), "torso_axis_distance",
    "outline_distance", "has_pose", "has_face",
)


@dataclass(frozen=True)
class GarmentParams:
    """How the label map is made.

    The working size (long side at which features are computed and pixels classified)
    belongs to the model (:attr:`GarmentModel.work_side`).

    Attributes
    ----------
    regions : float
        Scale of the Felzenszwalb-Huttenlocher segmentation of the figure into regions
        of like colour (:func:`figure_regions`; larger: fewer, larger regions). Each
        pixel then takes its region's mean class probabilities, so that a region of one
        colour takes one class (0: no regions).
    region_sigma : float
        Gaussian pre-smoothing of that segmentation, in working pixels.
    region_min_size : int
        Smallest region, in working pixels.
    region_reduce : int
        The segmentation runs on the figure's box reduced this many times (1: at working
        size), with ``regions``, ``region_sigma`` and ``region_min_size`` converted to
        the reduced pixels (see :func:`~runwaycut.garment.labelmap.figure_regions`).
    smooth : float
        Standard deviation, in working pixels, of the Gaussian that then smooths the
        class probabilities inside the figure (0: no smoothing).
    guided_radius : int
        Window radius, in working pixels, of the guided filter that brings the
        probabilities to the photo's size along the photo's own edges (0: plain
        bilinear resizing).
    guided_eps : float
        Regularisation of that filter (smaller: follows the photo's edges more closely).
    min_face_pixels : int
        Fewest figure pixels in the face's centre (at working size) for a face-sampled
        skin model; with fewer, the training set's mean skin model is used.
    """

    regions: float = 200.0
    region_sigma: float = 0.5
    region_min_size: int = 30
    region_reduce: int = 2
    smooth: float = 1.5
    guided_radius: int = 8
    guided_eps: float = 1e-3
    min_face_pixels: int = 30

    def __post_init__(self):
        for name in ("regions", "region_sigma", "smooth", "guided_eps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.region_reduce < 1:
            raise ValueError(f"region_reduce must be at least 1, got {self.region_reduce}")
        if self.region_min_size < 1:
            raise ValueError(f"region_min_size must be at least 1, got {self.region_min_size}")
        if self.guided_radius < 0:
            raise ValueError(f"guided_radius must be >= 0, got {self.guided_radius}")


@dataclass(frozen=True)
class ColourModel:
    """A colour of this photo in CIE Lab: a mean and a covariance.

    Attributes
    ----------
    mean : (3,) float32 array
        L in [0, 100], a and b in about [-128, 127].
    cov : (3, 3) float32 array
    source : str
        ``face``, ``hair``, ``torso``, ``legs``... where it was sampled; ``default``
        when the training set's mean stands in.
    pixels : int
        Pixels it was estimated from (0 for a default).
    """

    mean: np.ndarray
    cov: np.ndarray
    source: str
    pixels: int = 0

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The mean colour in 8-bit RGB, for display."""
        return tuple(int(v) for v in lab_to_rgb(self.mean[None])[0])


@dataclass(frozen=True)
class BodyFrame:
    """Where the body parts are, in working pixels.

    Attributes
    ----------
    points : (33, 2) float32 array
        ``x, y`` of the BlazePose body landmarks (or of the mean pose, stretched).
    from_pose : bool
        Whether the points come from the pose model (``False``: mean pose).
    scale : float
        Length unit of the geometric features: the torso's length (shoulders' midpoint
        to hips' midpoint), kept within 0.15 .. 0.5 of the figure's height.
    face : (x0, y0, x1, y1) tuple of float, or None
        The face box from the pose's face landmarks; ``None`` without one.
    """

    points: np.ndarray
    from_pose: bool
    scale: float
    face: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class GarmentResult:
    """The four-class label map of a photo, and what made it.

    Attributes
    ----------
    labels : (H, W) uint8 array
        Class index per pixel (:data:`BACKGROUND`, :data:`GARMENT`, :data:`SKIN_HAIR`,
        :data:`ACCESSORY`), at the photo's size.
    probabilities : (h, w, 3) float32 array
        Probabilities of garment, skin+hair and accessory at working size, smoothed
        (see :func:`probability_maps`; meaningless outside the figure).
    frame : BodyFrame
        Body landmarks and face box at working size.
    skin, hair : ColourModel
        The photo's skin and hair colours.
    scale : float
        Working size / photo size.
    warnings : tuple of str
        Why the result may be degraded, in words (no pose, no face...).
    regions : (h, w) int32 array or None
        The regions of like colour the classifier's probabilities were averaged over
        (:func:`~runwaycut.garment.labelmap.figure_regions`), numbered from 0 at working
        size, -1 off the figure; ``None`` when none were made.
    """

    labels: np.ndarray
    probabilities: np.ndarray
    frame: BodyFrame
    skin: ColourModel
    hair: ColourModel
    scale: float
    warnings: tuple[str, ...] = ()
    regions: np.ndarray | None = None

    @property
    def garment(self) -> np.ndarray:
        """(H, W) bool mask of the garment pixels."""
        return self.labels == GARMENT

    @property
    def face_box(self) -> tuple[int, int, int, int] | None:
        """The face box in photo pixels ``(x0, y0, x1, y1)``, or ``None``."""
        if self.frame.face is None:
            return None
        return tuple(int(round(v / self.scale)) for v in self.frame.face)

    def shares(self) -> dict[str, float]:
        """Share of the photo's pixels in each class."""
        counts = label_counts(self.labels, len(CLASS_NAMES))
        return {n: float(c) / self.labels.size for n, c in zip(CLASS_NAMES, counts)}
