"""The item network: an ONNX file shipped in the package, run by onnxruntime.

``runwaycut/models/items_int8.onnx`` (trained and quantized to 8-bit integers by
``benchmarks/train_items.py``; its SHA-256 is checked on load, see :mod:`runwaycut.models`)
maps the input window of :func:`runwaycut.garment.items_inputs.item_inputs` to one logit
per item class and window pixel. No PyTorch at run time: onnxruntime runs the graph.
:func:`window_logits` runs it over a photo's figure: its window at each of
:data:`TEST_ZOOMS`, mirrored too, averaged in the first window.

Why 8-bit and onnxruntime: on one core the quantized graph takes 2.75 ms a window under
onnxruntime against 6.5 ms for the float graph (``models/items.onnx``, which it is made
from) under OpenCV's ``dnn``, which ran it before; OpenCV runs the quantized graph no
faster (6.4 ms). The item map and four-class map scored the same to three decimals on
the 90 photos ``benchmarks/bench_items.py`` scores (mean item IoU 0.518, accessory IoU
0.507, garment F1 0.937 either way).

onnxruntime starts a native thread when it is imported, and a process holding one is
not forked (:func:`runwaycut.batch.workers._single_threaded`: its batch workers would
become fresh interpreters, a second of start-up each). So it is imported only when a
network first runs, in the process that runs it: a batch's parent only checks the
file's checksum (:func:`load_item_net`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..errors import ModelError
from ..models import verify_model
from ..scoring.items import ITEM_NAMES, item_counts
from .items_inputs import CHANNEL_NAMES, INPUT_SHAPE, crop_transform, item_inputs

#: Channel order of a mirrored window: the person's left and right part channels swap
#: (the pose model names a mirrored photo's landmarks the other way round).
MIRROR_CHANNELS = np.array([CHANNEL_NAMES.index(
    n.replace("left_", "right_") if n.startswith("left_") else n.replace("right_", "left_"))
    for n in CHANNEL_NAMES])


def mirror_window(x: np.ndarray) -> np.ndarray:
    """The input window of the mirrored photo.

    Parameters
    ----------
    x : (C, rows, cols) array
        From :func:`~runwaycut.garment.items_inputs.item_inputs`.

    Returns
    -------
    mirrored : (C, rows, cols) array
        Columns reversed, left and right part channels swapped (:data:`MIRROR_CHANNELS`).
    """
    return np.ascontiguousarray(x[MIRROR_CHANNELS, :, ::-1])

#: Name of the shipped item network in :data:`runwaycut.models.MODELS`.
ITEM_MODEL = "items"


@dataclass
class ItemNet:
    """The item network loaded for inference (one onnxruntime session, made on first use).

    Not shared between threads; picklable (the session is made anew after unpickling).

    Parameters
    ----------
    path : str
        An ONNX graph of the item network: 8-bit (``items_int8.onnx``) or float
        (``items.onnx``); input ``inputs`` ``(1, C, rows, cols)``.
    flip : bool
        Test-time flip: average the logits of the window and of its mirror
        (:func:`mirror_window`), brought back. On by default: it doubles the network's
        time (2.75 ms a window, 8-bit) and raises the mean item IoU of the
        60 validation photos from 0.468 to 0.481, of the 30 held-out ones from 0.448 to
        0.464 (network alone).
    threads : int
        onnxruntime's threads for one window (1: a batch worker's share of the cores).
    """

    path: str
    flip: bool = True
    threads: int = 1

    def __post_init__(self):
        self._session = None

    def __getstate__(self):
        return {"path": self.path, "flip": self.flip, "threads": self.threads}

    def __setstate__(self, state):
        self.path, self.flip = state["path"], state.get("flip", True)
        self.threads = state.get("threads", 1)
        self._session = None

    def load(self) -> "ItemNet":
        """Make the onnxruntime session now (else on the first window); returns ``self``.

        Raises
        ------
        ModelError
            When onnxruntime cannot load the file."""
        self._graph()
        return self

    def _graph(self):
        if self._session is None:
            self._session = onnx_session(self.path, self.threads)
        return self._session

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Item logits of one input window.

        Parameters
        ----------
        x : (C, rows, cols) float32 array
            From :func:`~runwaycut.garment.items_inputs.item_inputs`.

        Returns
        -------
        logits : (len(ITEM_NAMES), rows, cols) float32 array
        """
        want = (len(CHANNEL_NAMES), *INPUT_SHAPE)
        if x.shape != want:
            raise ValueError(f"item network input must have shape {want}, got {x.shape}")
        logits = self._forward(x)
        if self.flip:
            logits = (logits + self._forward(mirror_window(x))[:, :, ::-1]) * np.float32(0.5)
        return logits

    def _forward(self, x: np.ndarray) -> np.ndarray:
        session = self._graph()
        out = session.run(None, {"inputs": np.ascontiguousarray(x[None], np.float32)})[0]
        if out.shape != (1, len(ITEM_NAMES), *INPUT_SHAPE):
            raise ModelError(f"{self.path}: the graph answers shape {out.shape}, expected "
                             f"(1, {len(ITEM_NAMES)}, {INPUT_SHAPE[0]}, {INPUT_SHAPE[1]})")
        return out[0]


def onnx_session(path: str, threads: int = 1):
    """An onnxruntime session of the graph at ``path`` on ``threads`` CPU threads.

    Raises
    ------
    ModelError
        When onnxruntime cannot load the file (it names the file and the reason).
    """
    try:
        import onnxruntime as ort
    except ImportError as exc:  # a broken install: onnxruntime is a declared dependency
        raise ModelError(f"{path}: the onnxruntime package that runs the item network is not "
                         f"installed ({exc}); pip install onnxruntime") from None

    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings are not the user's business
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: onnxruntime cannot load this ONNX graph ({reason})") from None


@lru_cache(maxsize=1)
def load_item_net(flip: bool = True) -> ItemNet:
    """The shipped item network (SHA-256 checked once per process); ``flip``: see
    :class:`ItemNet`. Its session is made on first use, in the process that uses it.

    Raises
    ------
    ModelError
        When the file is missing or corrupt (onnxruntime's own errors come on first use).
    """
    return ItemNet(str(verify_model(ITEM_MODEL)), flip=flip)


#: Zooms of the figure's window the network sees at run time, each also mirrored
#: (:class:`ItemNet` ``flip``); their answers are averaged in the first one's window
#: (:func:`window_logits`). Chosen on the 60 validation photos, among the zooms the
#: network was trained at (0.85, 1, 1.15), by the fused item map's mean IoU: 1 alone
#: 0.514, with 1.15 0.520, with 0.85 0.513, all three 0.522 (twice the cost of the
#: pair), the extra zooms unmirrored 0.517. On the 30 held-out photos, (1, 1.15) raises
#: the mean item IoU from 0.498 to 0.508 and the four-class accessory IoU from 0.505
#: to 0.515; it costs one more window (the inputs and two passes: about 23 ms).
TEST_ZOOMS = (1.0, 1.15)


def window_logits(net: ItemNet, image: np.ndarray, probability: np.ndarray,
                  landmarks: np.ndarray | None, box, zooms: tuple[float, ...] | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The network's item logits over the figure, averaged over windows at ``zooms``.

    Parameters
    ----------
    net : ItemNet
    image : (H, W, 3) uint8 array
    probability : (H, W) float32 array
        The figure probability (see :func:`item_inputs`).
    landmarks : (>=33, >=2) float array or None
    box : (x0, y0, x1, y1) or None
        The figure's box (:func:`~runwaycut.garment.items_inputs.figure_box`).
    zooms : tuple of float, optional
        :data:`TEST_ZOOMS` by default. The first one's window is the answer's; each
        other window's logits are resampled into it (bilinear) and averaged where they
        cover it.

    Returns
    -------
    logits : (14, rows, cols) float32 array
    affine : (2, 3) float64 array
        Photo pixels to the window of ``zooms[0]`` (:func:`crop_transform`).
    """
    zooms = TEST_ZOOMS if zooms is None else tuple(zooms)
    affine = crop_transform(box, image.shape[:2], zoom=zooms[0])
    total = net.logits(item_inputs(image, probability, landmarks, affine))
    if len(zooms) == 1:
        return total, affine
    weight = np.ones(total.shape[1:], np.float32)
    to_photo = np.linalg.inv(np.vstack([affine, [0.0, 0.0, 1.0]]))
    for zoom in zooms[1:]:
        other = crop_transform(box, image.shape[:2], zoom=zoom)
        logits = net.logits(item_inputs(image, probability, landmarks, other))
        planes, covered = resample_window(logits, other @ to_photo)
        total += planes * covered
        weight += covered
    return total / weight, affine


def resample_window(planes: np.ndarray, this_to_other: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Planes of another window, read at this window's pixels.

    Parameters
    ----------
    planes : (C, rows, cols) float32 array
        In the other window (of this one's shape).
    this_to_other : (2, 3) array
        This window's pixels to the other's.

    Returns
    -------
    resampled : (C, rows, cols) float32 array
        Bilinear; beyond the other window's edge, its nearest pixel.
    covered : (rows, cols) float32 array in [0, 1]
        How much of each pixel the other window covers (0 outside it, fractional along
        its edge).
    """
    _, rows, cols = planes.shape
    m = np.asarray(this_to_other, np.float64)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    covered = cv2.warpAffine(np.ones((rows, cols), np.float32), m, (cols, rows), flags=flags,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    resampled = np.stack([cv2.warpAffine(np.ascontiguousarray(p, np.float32), m, (cols, rows),
                                         flags=flags, borderMode=cv2.BORDER_REPLICATE)
                          for p in planes])
    return resampled, covered


def item_confidence(labels: np.ndarray, logits: np.ndarray, affine: np.ndarray,
                    counts: np.ndarray | None = None) -> dict[str, float]:
    """The item network's mean probability of each item over the pixels the item map
    gives it: a listed item the network doubts is more often one the photo does not show.

    Parameters
    ----------
    labels : (H, W) uint8 array
        The item map.
    logits : (14, rows, cols) float32 array
        The network's answer over its window (:attr:`ItemsResult.logits`).
    affine : (2, 3) float array
        Photo pixels to window pixels.
    counts : (14,) int array, optional
        Pixels of each item in ``labels`` (:func:`~runwaycut.scoring.items.item_counts`).

    Returns
    -------
    confidence : dict of str to float
        Item name -> mean softmax probability of that item over the window pixels whose
        nearest photo pixel the map gives it, in [0, 1], for every item present
        (background left out); an item too small to cover a window pixel is read at its
        pixels' mean position.

    Notes
    -----
    On the 90 CCP photos the network never saw, the items listed that the photo's labels
    hold had a higher confidence than those they do not with an AUC of 0.80, pooled
    over the items (pants 0.91, shoes 0.83, outerwear 0.80, bag 0.78; dress 0.65,
    headwear 0.59, legwear 0.56: ``benchmarks/bench_items.py``).
    """
    k, rows, cols = logits.shape
    counts = item_counts(labels) if counts is None else counts
    window = cv2.warpAffine(np.ascontiguousarray(labels, np.uint8), np.asarray(affine, np.float64),
                            (cols, rows), flags=cv2.INTER_NEAREST, borderValue=0)
    z = logits - logits.max(axis=0, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=0, keepdims=True)
    own = np.take_along_axis(prob, window[None].astype(np.intp), axis=0)[0]
    sums = np.bincount(window.ravel(), weights=own.ravel(), minlength=k)
    covered = np.bincount(window.ravel(), minlength=k)
    out = {}
    for i in np.flatnonzero(counts[1:]) + 1:
        if covered[i]:
            out[ITEM_NAMES[i]] = float(sums[i] / covered[i])
        else:  # a sliver between window pixels: its mean position, bilinear
            ys, xs = np.nonzero(labels == i)
            u, v = np.asarray(affine, np.float64) @ (xs.mean(), ys.mean(), 1.0)
            plane = np.ascontiguousarray(prob[i], np.float32)
            value = cv2.getRectSubPix(plane, (1, 1), (float(u), float(v)))
            out[ITEM_NAMES[i]] = float(np.clip(value[0, 0], 0, 1))
    return out
