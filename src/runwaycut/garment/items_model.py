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
    """

    path: str

    def __post_init__(self):
        self._net = None

    def __getstate__(self):
        return {"path": self.path}

    def __setstate__(self, state):
        self.path = state["path"]
        self._net = None

    def _graph(self):
        if self._net is None:
            try:
                net = cv2.dnn.readNetFromONNX(self.path)
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
        net = self._graph()
        net.setInput(np.ascontiguousarray(x[None], np.float32))
        out = net.forward()
        if out.shape != (1, len(ITEM_NAMES), *INPUT_SHAPE):
            raise ModelError(f"{self.path}: the graph answers shape {out.shape}, expected "
                             f"(1, {len(ITEM_NAMES)}, {INPUT_SHAPE[0]}, {INPUT_SHAPE[1]})")
        return out[0]


@lru_cache(maxsize=1)
def load_item_net() -> ItemNet:
    """The shipped item network (SHA-256 checked once per process).

    Raises
    ------
    ModelError
        When the file is missing, corrupt, or OpenCV cannot load it.
    """
    net = ItemNet(str(verify_model(ITEM_MODEL)))
    net._graph()
    return net
