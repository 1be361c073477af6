"""A fitted forest of regression trees as plain arrays: saved as JSON, predicted in NumPy
exactly as scikit-learn does.
"""

from __future__ import annotations



import base64
import zlib
from dataclasses import dataclass
from typing import Mapping

import numpy as np

#: Largest file :func:`load_model` reads (a model is a few hundred kB).
MAX_MODEL_BYTES = 64 * 1024 * 1024


#: Name written in every model file.


# --- the forest, as arrays -------------------------------------------------------------

@dataclass(frozen=True)
class Forest:
    """An averaging ensemble of binary regression trees, all nodes in flat arrays.

    Node ``i`` splits on ``feature[i]`` at ``split[i]`` (``x <= split`` goes to
    ``left[i]``, else ``right[i]``); a leaf has ``left[i] == -1``. ``value[i]`` is the
    mean target of the training samples reaching node ``i`` (inner nodes too, which the
    explanation uses). Tree ``k`` starts at node ``roots[k]``.

    Attributes
    ----------
    left, right : (N,) int32 arrays
    feature : (N,) int32 arrays
    split : (N,) float64 array
    value : (N,) float64 array
    roots : (K,) int32 array
    """

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    split: np.ndarray
    value: np.ndarray
    roots: np.ndarray

    def __post_init__(self):
        n = len(self.left)
        arrays = (self.right, self.feature, self.split, self.value)
        if any(len(a) != n for a in arrays) or n == 0 or len(self.roots) == 0:
            raise ValueError("forest arrays must be non-empty and of one length")
        inner = self.left >= 0
        if (np.any(self.left[inner] >= n) or np.any(self.right[inner] >= n)
                or np.any(self.right[inner] < 0) or np.any(self.roots < 0)
                or np.any(self.roots >= n) or np.any(self.feature[inner] < 0)):
            raise ValueError("forest node indices out of range")
        # A child must come after its parent (scikit-learn's depth-first order): this
        # rules out cycles, so that every walk ends at a leaf.
        idx = np.flatnonzero(inner)
        if np.any(self.left[idx] <= idx) or np.any(self.right[idx] <= idx):
            raise ValueError("forest children must follow their parents")
        if not (np.isfinite(self.value).all() and np.isfinite(self.split[inner]).all()):
            raise ValueError("forest values must be finite")

    @property
    def n_features_used(self) -> int:
        """One more than the largest feature index any split reads."""
        inner = self.left >= 0
        return int(self.feature[inner].max()) + 1 if inner.any() else 0

    def _step(self, x: np.ndarray, node: np.ndarray):
        """One level down every tree: ``(next_node, active)``, (n_samples, n_trees)."""
        active = self.left[node] >= 0
        f = np.where(active, self.feature[node], 0)
        go_left = x[np.arange(len(x))[:, None], f] <= self.split[node]
        nxt = np.where(active, np.where(go_left, self.left[node], self.right[node]), node)
        return nxt, active

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """Leaf reached in each tree: (n_samples, n_trees) int array."""
        x = _as_float32(x)
        node = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()
        while True:
            node, active = self._step(x, node)
            if not active.any():
                return node

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Mean over trees of the leaf values: (n_samples,) float64."""
        return self.value[self.leaves(x)].mean(axis=1)

    def contributions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split each prediction into a bias and one share per feature.

        Along each tree's path, the change in node value at a split is credited to the
        split's feature (Saabas' decomposition, as the ``treeinterpreter`` package);
        averaged over trees, ``bias + contributions.sum(1) == predict(x)`` (up to
        rounding).

        Returns
        -------
        bias : (n_samples,) float64 array
            Mean value of the roots (the training mean).
        contributions : (n_samples, n_features) float64 array
        """
        x = _as_float32(x)
        n, k = len(x), len(self.roots)
        contrib = np.zeros((n, x.shape[1]))
        rows = np.broadcast_to(np.arange(n)[:, None], (n, k))
        node = np.broadcast_to(self.roots, (n, k)).copy()
        while True:
            nxt, active = self._step(x, node)
            if not active.any():
                break
            delta = self.value[nxt[active]] - self.value[node[active]]
            np.add.at(contrib, (rows[active], self.feature[node[active]]), delta)
            node = nxt
        bias = np.full(n, self.value[self.roots].mean())
        return bias, contrib / k

    @classmethod
    def from_sklearn(cls, estimator) -> "Forest":
        """The trees of a fitted scikit-learn averaging forest with one output
        (``ExtraTreesRegressor``, ``RandomForestRegressor``)."""
        lefts, rights, feats, splits, values, roots = [], [], [], [], [], []
        offset = 0
        for tree in estimator.estimators_:
            t = tree.tree_
            if t.value.shape[1] != 1:
                raise ValueError("only single-output forests can be saved")
            inner = t.children_left >= 0
            lefts.append(np.where(inner, t.children_left + offset, -1))
            rights.append(np.where(inner, t.children_right + offset, -1))
            feats.append(np.where(inner, t.feature, -1))
            splits.append(np.where(inner, t.threshold, 0.0))
            values.append(t.value[:, 0, 0])
            roots.append(offset)
            offset += t.node_count
        cat = np.concatenate
        return cls(left=cat(lefts).astype(np.int32), right=cat(rights).astype(np.int32),
                   feature=cat(feats).astype(np.int32), split=cat(splits).astype(np.float64),
                   value=cat(values).astype(np.float64), roots=np.array(roots, np.int32))

    def to_json(self) -> dict:
        return {name: _encode(getattr(self, name))
                for name in ("left", "right", "feature", "split", "value", "roots")}

    @classmethod
    def from_json(cls, data: Mapping) -> "Forest":
        arrays = {}
        for name, dtype in (("left", "<i4"), ("right", "<i4"), ("feature", "<i4"),
                            ("split", "<f8"), ("value", "<f8"), ("roots", "<i4")):
            arrays[name] = _decode(data[name], dtype)
        return cls(**arrays)


def _as_float32(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"features must be a (n_samples, n_features) array, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("features must be finite")
    # scikit-learn's trees compare float32 features with float64 splits; so do we.
    return x.astype(np.float32)


def _encode(array: np.ndarray) -> dict:
    """An array as JSON: dtype, length and its little-endian bytes, zlib-compressed and
    base64-encoded (tree arrays compress to about a third)."""
    dtype = {"i": "<i4", "f": "<f8"}[array.dtype.kind]
    data = np.ascontiguousarray(array, dtype=dtype)
    return {"dtype": dtype, "length": int(data.size),
            "zlib_base64": base64.b64encode(zlib.compress(data.tobytes(), 9)).decode("ascii")}


def _decode(entry: Mapping, dtype: str) -> np.ndarray:
    if not isinstance(entry, Mapping) or entry.get("dtype") != dtype:
        raise ValueError(f"array entry is not of dtype {dtype}")
    length = int(entry["length"])
    if not 0 <= length <= MAX_MODEL_BYTES:
        raise ValueError(f"array length {length} out of range")
    expected = length * np.dtype(dtype).itemsize
    packed = base64.b64decode(entry["zlib_base64"], validate=True)
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, expected + 1)  # never inflate beyond the size
    except zlib.error as exc:
        raise ValueError(f"array data does not decompress ({exc})") from None
    if len(raw) != expected or not inflater.eof:
        raise ValueError("array length does not match its data")
    return np.frombuffer(raw, dtype=dtype).astype(np.dtype(dtype).newbyteorder("="))
