"""The item network: an ONNX file shipped in the package, run by OpenCV's ``dnn``.

``runwaycut/models/items.onnx`` (trained by ``benchmarks/train_items.py``; its SHA-256 is
checked on load, see :mod:`runwaycut.models`) maps the input window of
:func:`runwaycut.garment.items_inputs.item_inputs` to one logit per item class and window
pixel. No PyTorch at run time: OpenCV (a dependency already) runs the graph.
:func:`window_logits` runs it over a photo's figure: its window at each of
:data:`TEST_ZOOMS`, mirrored too, averaged in the first window.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..errors import ModelError
from ..models import verify_model
from ..scoring.items import ITEM_NAMES
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
    """The item network loaded for inference (one OpenCV ``dnn`` graph).

    Not shared between threads; picklable (the graph is reloaded after unpickling).

    Parameters
    ----------
    path : str
        The ONNX file.
    flip : bool
        Test-time flip: average the logits of the window and of its mirror
        (:func:`mirror_window`), brought back. On by default: it doubles the network's
        time (6 ms a window with :data:`DNN_ENGINE`) and raises the mean item IoU of the
        60 validation photos from 0.468 to 0.481, of the 30 held-out ones from 0.448 to
        0.464 (network alone).
    """

    path: str
    flip: bool = True

    def __post_init__(self):
        self._net = None

    def __getstate__(self):
        return {"path": self.path, "flip": self.flip}

    def __setstate__(self, state):
        self.path, self.flip = state["path"], state.get("flip", True)
        self._net = None

    def _graph(self):
        if self._net is None:
            try:
                net = cv2.dnn.readNetFromONNX(self.path, **DNN_ENGINE)
            except cv2.error as exc:
                raise ModelError(f"{self.path}: OpenCV cannot load this ONNX graph "
                                 f"({str(exc).strip().splitlines()[-1]})") from None
            self._net = net
        return self._net

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
        net = self._graph()
        net.setInput(np.ascontiguousarray(x[None], np.float32))
        out = net.forward()
        if out.shape != (1, len(ITEM_NAMES), *INPUT_SHAPE):
            raise ModelError(f"{self.path}: the graph answers shape {out.shape}, expected "
                             f"(1, {len(ITEM_NAMES)}, {INPUT_SHAPE[0]}, {INPUT_SHAPE[1]})")
        return out[0].copy()


#: OpenCV 5's classic ``dnn`` engine: on this network 6.1 ms a window against 8.3 for the
#: new engine that OpenCV 5 picks by default (one thread; outputs within 4e-5, the same
#: item everywhere). OpenCV 4 has only the classic engine, and no ``engine`` argument.
DNN_ENGINE = ({"engine": cv2.dnn.ENGINE_CLASSIC} if hasattr(cv2.dnn, "ENGINE_CLASSIC")
              else {})


@lru_cache(maxsize=1)
def load_item_net(flip: bool = True) -> ItemNet:
    """The shipped item network (SHA-256 checked once per process); ``flip``: see
    :class:`ItemNet`.

    Raises
    ------
    ModelError
        When the file is missing, corrupt, or OpenCV cannot load it.
    """
    net = ItemNet(str(verify_model(ITEM_MODEL)), flip=flip)
    net._graph()
    return net


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
