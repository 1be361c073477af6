"""The neural models runwaycut ships, and the one way to load them.

The model files live inside the package (see ``README.md`` beside this file for their
source, licence and checksums), so nothing is downloaded at install or at run time.
They are TensorFlow Lite flatbuffers, run by LiteRT (the ``ai-edge-litert`` package).

Models
------
``selfie_segmentation``
    MediaPipe's selfie segmenter (256x256 RGB in [0, 1] -> 256x256 person probability).
``pose_landmark_full``
    MediaPipe's BlazePose GHUM full landmark model (256x256 RGB crop in [0, 1] around
    one person -> 39 landmarks, a presence score and a 256x256 segmentation logit map).
``items``
    runwaycut's item network (ONNX; :mod:`runwaycut.garment.items_model` runs it with
    OpenCV's ``dnn``, checked by the same :func:`verify_model`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import ModelError


@dataclass(frozen=True)
class ModelInfo:
    """A shipped model file and what it must hash to."""

    file: str
    sha256: str
    description: str


#: Model name -> file and checksum. The checksums are those of the files in the
#: ``mediapipe==0.10.21`` wheels on PyPI, byte for byte.
MODELS: dict[str, ModelInfo] = {
    "selfie_segmentation": ModelInfo(
        "selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        "MediaPipe selfie segmentation, 256x256 (mediapipe/modules/selfie_segmentation)"),
    "pose_landmark_full": ModelInfo(
        "pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        "MediaPipe BlazePose GHUM 3D full landmarks + segmentation (mediapipe/modules/pose_landmark)"),
    "items": ModelInfo(
        "items.onnx",
        "d1f882892d1f0c55d89e1ef5773c288bfa197f28440dad5e5736ce2548a0e375",
        "runwaycut's item network (14 item classes), ONNX, run by OpenCV dnn "
        "(benchmarks/train_items.py)"),
}


def model_path(name: str) -> Path:
    """Path of a shipped model file.

    Raises
    ------
    ModelError
        For an unknown name or a missing file (a broken install).
    """
    info = _info(name)
    path = Path(str(resources.files(__name__).joinpath(info.file)))
    if not path.is_file():
        raise ModelError(f"{path}: model file {info.file!r} is missing from the runwaycut "
                         "package; reinstall runwaycut")
    return path


@lru_cache(maxsize=None)
def verify_model(name: str) -> Path:
    """Check a shipped model's checksum once per process; return its path.

    Raises
    ------
    ModelError
        When the file is missing or its SHA-256 differs (corrupt or another version).
    """
    path = model_path(name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODELS[name].sha256:
        raise ModelError(f"{path}: model file is corrupt or of another version "
                         f"(sha256 {digest[:12]}..., expected {MODELS[name].sha256[:12]}...); "
                         "reinstall runwaycut")
    return path


def load_interpreter(name: str, num_threads: int = 1):
    """A ready LiteRT interpreter for a shipped model (tensors allocated).

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    num_threads : int
        CPU threads the interpreter may use (1: one core, the batch default).

    Returns
    -------
    interpreter : ai_edge_litert.interpreter.Interpreter

    Raises
    ------
    ModelError
        When the runtime is not installed, or the file is missing, corrupt or cannot be
        prepared by the runtime.
    """
    if not _info(name).file.endswith(".tflite"):
        raise ModelError(f"{name!r} is not a LiteRT model ({_info(name).file}); see the stage "
                         "that uses it (runwaycut.garment.items_model for 'items')")
    path = verify_model(name)
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelError(f"{path}: the LiteRT runtime (package ai-edge-litert) is not "
                         f"installed ({exc}); pip install ai-edge-litert") from None
    try:
        with _quiet_native_stderr():
            interpreter = Interpreter(model_path=str(path), num_threads=int(num_threads))
            interpreter.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"{path}: LiteRT cannot prepare this model ({exc})") from None
    return interpreter


def _info(name: str) -> ModelInfo:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; shipped models: {', '.join(MODELS)}") from None


#: The one line LiteRT prints to the process's stderr when it creates its CPU delegate.
_NOISE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU."


@contextlib.contextmanager
def _quiet_native_stderr():
    """Drop LiteRT's native start-up INFO line; pass anything else through to stderr."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield  # stderr is not a real file (e.g. captured): nothing native to hide
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            kept = b"".join(line for line in sink.read().splitlines(keepends=True)
                            if not line.startswith(_NOISE))
            if kept:
                os.write(fd, kept)


__all__ = ["MODELS", "ModelInfo", "load_interpreter", "model_path", "verify_model"]
