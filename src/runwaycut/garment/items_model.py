"""The item network: an ONNX file shipped in the package, run by OpenCV's ``dnn``.

``runwaycut/models/items.onnx`` (trained by ``benchmarks/train_items.py``; its SHA-256 is
checked on load, see :mod:`runwaycut.models`) maps the input window of
:func:`runwaycut.garment.items_inputs.item_inputs` to one logit per item class and window
pixel. No PyTorch at run time: OpenCV (a dependency already) runs the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..errors import ModelError
from ..models import verify_model
from ..scoring.items import ITEM_NAMES
from .items_inputs import CHANNEL_NAMES, INPUT_SHAPE

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
