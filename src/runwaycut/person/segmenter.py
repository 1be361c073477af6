"""The person in a photo, by the shipped neural models: probability, box and pose.

Two MediaPipe models run on the photo (see :mod:`runwaycut.models`):

1. the **selfie segmenter** on the whole photo, stretched to 256x256 (stretching beats
   letterboxing on full-body portraits: the person keeps more of the 256 rows), gives a
   coarse person probability; its most central, largest region gives the person's box;
2. the **BlazePose landmark model** on a square crop around that box (side
   ``roi_scale`` times the box's long side, as MediaPipe crops around a detection)
   gives 39 landmarks, a presence score and a sharper segmentation of that one person.

The person probability is a weighted mean of the two segmentations, each averaged with
its own mirror image (test-time flip). Everything returned is in the pixel frame of
the image passed in; callers that want a working resolution resize first.

The landmark helpers (:data:`LANDMARK_NAMES`, :data:`SKELETON`, :func:`landmark`,
:func:`face_box`) are public so that later steps (skin and garment, the pictures of the
steps) can reuse the pose.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..models import load_interpreter

#: BlazePose's 33 body landmarks, in model output order (34..39 are auxiliary).
LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
    "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)

#: Bones of the pose skeleton, as pairs of landmark indices (head: nose to shoulders).
SKELETON = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
            (23, 25), (25, 27), (24, 26), (26, 28), (27, 31), (28, 32), (0, 11), (0, 12))

#: Input side of both models, in pixels.
MODEL_SIDE = 256


@dataclass(frozen=True)
class PersonParams:
    """How the person models are run and combined.

    Attributes
    ----------
    flip : bool
        Average the pose model's mask with that of the mirrored crop (test-time flip:
        a second run of the pose model, 20 to 28 ms of CPU a photo on one core, for
        +0.0010 mean F1 on CCP for ``person`` and +0.0009 for ``auto``, whose
        classifier does not make up for it: docs/measurements.md).
    selfie_flip : bool
        The same for the selfie model (+0.0001 F1 in the combined mask: off).
    roi_scale : float
        Side of the pose model's square crop, as a multiple of the long side of the
        person's box.
    pose_weight : float in [0, 1]
        Weight of the pose model's segmentation in the person probability; the selfie
        model's gets ``1 - pose_weight``.
    box_threshold : float
        Selfie probability above which a pixel counts toward the person's box.
    min_area : float
        Smallest person, as a fraction of the photo's area, below which no person is
        found.
    min_presence : float
        Pose presence score below which the pose is not trusted (the selfie mask is
        used alone).
    """

    flip: bool = True
    selfie_flip: bool = False
    roi_scale: float = 1.1
    pose_weight: float = 0.7
    box_threshold: float = 0.5
    min_area: float = 0.005
    min_presence: float = 0.5

    def __post_init__(self):
        if not 0 <= self.pose_weight <= 1:
            raise ValueError(f"pose_weight must lie in [0, 1], got {self.pose_weight}")
        if self.roi_scale <= 0:
            raise ValueError(f"roi_scale must be positive, got {self.roi_scale}")
        if not 0 < self.box_threshold < 1:
            raise ValueError(f"box_threshold must lie in (0, 1), got {self.box_threshold}")


@dataclass(frozen=True)
class Pose:
    """The pose model's answer for one person.

    Attributes
    ----------
    landmarks : (39, 5) float32 array
        Per landmark ``x, y`` (image pixels), ``z`` (pixels, relative depth),
        visibility and presence (probabilities). Rows follow :data:`LANDMARK_NAMES`,
        then six auxiliary points.
    presence : float
        Probability that a person is in the crop.
    probability : (H, W) float32 array
        The pose model's person segmentation, in [0, 1], over the whole image (0 outside
        the crop).
    crop : (2, 3) float32 array
        Affine map from image pixels to the model's 256x256 crop.
    """

    landmarks: np.ndarray
    presence: float
    probability: np.ndarray
    crop: np.ndarray


@dataclass(frozen=True)
class PersonEstimate:
    """Everything the person models say about one photo.

    Attributes
    ----------
    probability : (H, W) float32 array
        Combined person probability in [0, 1].
    selfie : (H, W) float32 array
        The selfie segmenter's probability alone.
    pose : Pose or None
        The pose of the central person; ``None`` when no person was found or the pose
        model did not recognise one (then ``probability`` is the selfie one).
    box : (x0, y0, x1, y1) tuple of int, or None
        The central person's box from the selfie mask (inclusive pixel bounds).
    found : bool
        Whether a person was found at all.
    warnings : tuple of str
        Why the result is degraded, in words (empty when all went well).
    """

    probability: np.ndarray
    selfie: np.ndarray
    pose: Pose | None
    box: tuple[int, int, int, int] | None
    found: bool
    warnings: tuple[str, ...] = ()


def selfie_probability(image: np.ndarray, interpreter, flip: bool = True,
                       full_size: bool = True) -> np.ndarray:
    """Person probability of the selfie segmenter over a whole photo.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        RGB photo.
    interpreter : LiteRT interpreter
        Of ``selfie_segmentation`` (see :func:`runwaycut.models.load_interpreter`).
    flip : bool
        Average with the prediction for the mirrored photo.
    full_size : bool
        Resize the model's 256x256 answer to the photo's size (else return it as is).

    Returns
    -------
    probability : (H, W) float32 array in [0, 1]
        (256, 256) when ``full_size`` is false.
    """
    h, w = image.shape[:2]
    x = cv2.resize(image, (MODEL_SIDE, MODEL_SIDE), interpolation=cv2.INTER_AREA)
    x = x.astype(np.float32) * np.float32(1 / 255)
    prob = _run(interpreter, x)[0][..., 0]
    if flip:
        prob = 0.5 * (prob + _run(interpreter, x[:, ::-1])[0][..., 0][:, ::-1])
    prob = np.clip(prob, 0, 1)
    return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR) if full_size else prob


def person_box(probability: np.ndarray, threshold: float = 0.5,
               min_area: float = 0.0) -> tuple[int, int, int, int] | None:
    """Box of the central person: the region of ``probability > threshold`` whose area,
    weighted by its closeness to the photo's vertical centre line, is largest.

    Parameters
    ----------
    probability : (H, W) float array
    threshold : float
    min_area : float
        Regions smaller than this fraction of the photo are ignored.

    Returns
    -------
    box : (x0, y0, x1, y1) tuple of int, or None
        Inclusive pixel bounds; ``None`` when no region is large enough.
    """
    mask = (probability > threshold).astype(np.uint8)
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    h, w = mask.shape
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    off_centre = np.abs(centroids[1:, 0] - (w - 1) / 2) / w
    score = area * (1.0 - off_centre)  # a half-width away counts half
    best = int(np.argmax(score))
    if area[best] < min_area * h * w:
        return None
    x, y, bw, bh = stats[1 + best, :4]
    return int(x), int(y), int(x + bw - 1), int(y + bh - 1)


def pose_in_box(image: np.ndarray, box: tuple[int, int, int, int], interpreter,
                roi_scale: float = 1.1, flip: bool = True) -> Pose:
    """Run the pose landmark model on a square crop around a person's box.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    box : (x0, y0, x1, y1)
        The person's box, inclusive pixel bounds.
    interpreter : LiteRT interpreter
        Of ``pose_landmark_full``.
    roi_scale : float
        Crop side as a multiple of the box's long side.
    flip : bool
        Average the segmentation with that of the mirrored crop (landmarks come from
        the unmirrored crop).

    Returns
    -------
    pose : Pose
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    side = max(x1 - x0 + 1, y1 - y0 + 1) * roi_scale
    s = MODEL_SIDE / side
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    crop = np.array([[s, 0, MODEL_SIDE / 2 - s * cx], [0, s, MODEL_SIDE / 2 - s * cy]], np.float32)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    x = cv2.warpAffine(image, crop, (MODEL_SIDE, MODEL_SIDE), flags=interp,
                       borderMode=cv2.BORDER_CONSTANT)
    x = x.astype(np.float32) * np.float32(1 / 255)
    out = _run(interpreter, x)
    raw_landmarks, presence, logits = out[0], float(out[1].ravel()[0]), out[2][..., 0]
    seg = _sigmoid(logits)
    if flip:
        seg = 0.5 * (seg + _sigmoid(_run(interpreter, x[:, ::-1])[2][..., 0][:, ::-1]))
    back = cv2.invertAffineTransform(crop)
    prob = cv2.warpAffine(seg, back, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    lm = raw_landmarks.reshape(-1, 5).astype(np.float32)
    landmarks = np.empty_like(lm)
    landmarks[:, 0] = (lm[:, 0] - crop[0, 2]) / s
    landmarks[:, 1] = (lm[:, 1] - crop[1, 2]) / s
    landmarks[:, 2] = lm[:, 2] / s
    landmarks[:, 3:] = _sigmoid(lm[:, 3:])
    return Pose(landmarks=landmarks, presence=presence, probability=np.clip(prob, 0, 1),
                crop=crop)


def landmark(pose: Pose, name: str) -> np.ndarray:
    """``(x, y, visibility)`` of a named body landmark (see :data:`LANDMARK_NAMES`)."""
    i = LANDMARK_NAMES.index(name)
    return pose.landmarks[i, [0, 1, 3]]


def face_box(pose: Pose, min_visibility: float = 0.5) -> tuple[int, int, int, int] | None:
    """Approximate face box from the pose's face landmarks (nose, eyes, ears, mouth).

    The box spans the visible face landmarks, widened to a square whose side is 1.6
    times their spread (landmarks sit inside the face outline), extended down to the
    chin. Returns inclusive ``(x0, y0, x1, y1)`` pixels or ``None`` when fewer than
    three face landmarks are visible.
    """
    square = face_square(pose.landmarks, min_visibility)
    return None if square is None else tuple(int(round(v)) for v in square)


def face_square(landmarks: np.ndarray, min_visibility: float = 0.5
                ) -> tuple[float, float, float, float] | None:
    """The face box of :func:`face_box` from raw landmarks, in float pixels.

    Parameters
    ----------
    landmarks : (N >= 11, 4) float array
        ``x, y, z, visibility`` rows in BlazePose order (the first 11 are the face's).
    min_visibility : float

    Returns
    -------
    box : (x0, y0, x1, y1) tuple of float, or None
        None when fewer than three face landmarks are visible.
    """
    pts = landmarks[:11]
    visible = pts[pts[:, 3] >= min_visibility]
    if len(visible) < 3:
        return None
    xs, ys = visible[:, 0], visible[:, 1]
    side = 1.6 * max(xs.max() - xs.min(), ys.max() - ys.min(), 1.0)
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2 + 0.15 * side
    return (float(cx - side / 2), float(cy - side / 2), float(cx + side / 2),
            float(cy + side / 2))


@dataclass
class PersonSegmenter:
    """The two person models, loaded lazily, with their parameters.

    Picklable: the interpreters are dropped when pickled (batch workers load their own).

    Parameters
    ----------
    params : PersonParams
    num_threads : int
        CPU threads per model (1 by default: batches parallelise over photos).
    """

    params: PersonParams = field(default_factory=PersonParams)
    num_threads: int = 1

    def __post_init__(self):
        self._interpreters: dict = {}

    def interpreter(self, name: str):
        """The loaded interpreter of a model, loading it on first use."""
        if name not in self._interpreters:
            self._interpreters[name] = load_interpreter(name, num_threads=self.num_threads)
        return self._interpreters[name]

    def load(self) -> None:
        """Load both models now (else each loads on its first use).

        Not run once on a blank input as well: that made the first photo no faster
        and a process's start-up about 50 ms slower (load and first photo, 6 fresh
        processes each way: medians 284 against 225 ms)."""
        for name in ("selfie_segmentation", "pose_landmark_full"):
            self.interpreter(name)

    def __getstate__(self):
        return {"params": self.params, "num_threads": self.num_threads}

    def __setstate__(self, state):
        self.params = state["params"]
        self.num_threads = state["num_threads"]
        self._interpreters = {}

    def estimate(self, image: np.ndarray) -> PersonEstimate:
        """Person probability, box and pose of an ``(H, W, 3) uint8`` RGB photo."""
        p = self.params
        h, w = image.shape[:2]
        small = selfie_probability(image, self.interpreter("selfie_segmentation"),
                                   p.selfie_flip, full_size=False)
        selfie = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        # The box is found on the model's 256x256 answer (cheap), then scaled.
        box = person_box(small, p.box_threshold, p.min_area)
        if box is not None:
            sx, sy = w / small.shape[1], h / small.shape[0]
            box = (int(box[0] * sx), int(box[1] * sy),
                   min(w - 1, int((box[2] + 1) * sx)), min(h - 1, int((box[3] + 1) * sy)))
        if box is None:
            return PersonEstimate(probability=np.zeros_like(selfie), selfie=selfie, pose=None,
                                  box=None, found=False,
                                  warnings=("no person found in the photo",))
        pose = pose_in_box(image, box, self.interpreter("pose_landmark_full"), p.roi_scale, p.flip)
        if pose.presence < p.min_presence:
            return PersonEstimate(probability=selfie, selfie=selfie, pose=None, box=box,
                                  found=True,
                                  warnings=(f"pose model unsure of the person "
                                            f"(presence {pose.presence:.2f}); selfie mask only",))
        prob = cv2.addWeighted(pose.probability, p.pose_weight, selfie, 1 - p.pose_weight, 0)
        return PersonEstimate(probability=prob, selfie=selfie, pose=pose, box=box, found=True)


def _run(interpreter, x: np.ndarray) -> list[np.ndarray]:
    """Invoke a one-input model on one ``(S, S, 3)`` float32 array; outputs, batch dropped."""
    inp = interpreter.get_input_details()[0]
    interpreter.set_tensor(inp["index"], np.ascontiguousarray(x[None], np.float32))
    interpreter.invoke()
    return [interpreter.get_tensor(o["index"])[0] for o in interpreter.get_output_details()]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow -> 0, as wanted
        return (1.0 / (1.0 + np.exp(-np.asarray(z, np.float32)))).astype(np.float32)


__all__ = ["LANDMARK_NAMES", "SKELETON", "Pose", "PersonEstimate", "PersonParams",
           "PersonSegmenter", "face_box", "face_square", "landmark", "person_box", "pose_in_box",
           "selfie_probability"]
