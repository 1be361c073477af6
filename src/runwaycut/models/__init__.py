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
    OpenCV's ``dnn``, checked through :data:`CHECKSUMS` like the others).

Checksums
---------
Every model and data file the package ships (these, ``models/fusion.json`` and the
JSON files of ``runwaycut/data``) is listed in :data:`CHECKSUMS`, one registry, and read
through :func:`read_shipped`, which checks its SHA-256 on first load: a damaged or
swapped file is refused with :class:`~runwaycut.errors.ModelError` instead of giving
wrong masks. After retraining a shipped model, refresh the table with::

    python -m runwaycut.models --refresh

(the training scripts do it when they write a shipped file). Files a user names
(``--model FILE``, ``--garment-model FILE``) are not hash-checked; their loaders check
the shapes of their arrays.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ModelError


#: SHA-256 of every model and data file shipped in the package, by path below the
#: package root (``runwaycut/``). The ``.tflite`` ones are those of the files in the
#: ``mediapipe==0.10.21`` wheels on PyPI, byte for byte. Refresh after retraining:
#: ``python -m runwaycut.models --refresh`` (rewrites the lines between the markers).
CHECKSUMS: dict[str, str] = {
    # BEGIN CHECKSUMS
    "data/ccp_classes.json": "992eeafe1ac417b3b8463fade7a160dceed4a03261e1cf693a78023aef3fd622",
    "data/garment_model.json": "8165ba9e452467c3ebeffc7f8e12c91cf6dc288f2e0e66884ee993b7f9eccd82",
    "data/heldout.json": "4e82cd59911673895a7367f930ebd10dfd37d84c9446d63824c8a6d06118d0db",
    "data/items.json": "eaf0ecbe9be7b563ad418ea152cf53736e5a2e3226aa66a9d2a2ea0655bfca4e",
    "data/threshold_model.json": "cdae7fcfabab451591377b26d667c1ab33b8de04f6f47e9ac0f91ca2327ddf84",
    "models/fusion.json": "2eb45d788be2ee4dd47b3e487dc1379947b5231106f9546f343bd87575509367",
    "models/items.onnx": "f164b2f776c3e40133a940049a9c8654a657e0b540b34e11945fc9cf58374067",
    "models/items_int8.onnx": "8ca1ff478ae392873dfc0ff5cb0a0200cd0ee2a52957b1ba16906952595c0f1f",
    "models/pose_landmark_full.tflite": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    "models/selfie_segmentation.tflite": "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    # END CHECKSUMS
}

#: The package root the shipped files are found below (a test may point it elsewhere).
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

#: Which files count as shipped model or data files (globs below the package root).
SHIPPED_GLOBS = ("models/*.tflite", "models/*.onnx", "models/*.json", "data/*.json")


@dataclass(frozen=True)
class ModelInfo:
    """A shipped neural model file and what it must hash to."""

    file: str
    description: str

    @property
    def sha256(self) -> str:
        return CHECKSUMS[f"models/{self.file}"]


#: Neural model name -> file (its checksum is in :data:`CHECKSUMS`).
MODELS: dict[str, ModelInfo] = {
    "selfie_segmentation": ModelInfo(
        "selfie_segmentation.tflite",
        "MediaPipe selfie segmentation, 256x256 (mediapipe/modules/selfie_segmentation)"),
    "pose_landmark_full": ModelInfo(
        "pose_landmark_full.tflite",
        "MediaPipe BlazePose GHUM 3D full landmarks + segmentation (mediapipe/modules/pose_landmark)"),
    "items": ModelInfo(
        "items_int8.onnx",
        "runwaycut's item network (14 item classes), ONNX, 8-bit, run by onnxruntime "
        "(benchmarks/train_items.py; quantized from items_float)"),
    "items_float": ModelInfo(
        "items.onnx",
        "runwaycut's item network as trained, ONNX, float32: the source of the 8-bit "
        "graph (benchmarks/train_items.py --quantize-only)"),
}


def shipped_files() -> list[str]:
    """Paths (below the package root) of the model and data files the package ships."""
    found = {p.relative_to(PACKAGE_ROOT).as_posix()
             for pattern in SHIPPED_GLOBS for p in PACKAGE_ROOT.glob(pattern)}
    return sorted(found)


def read_shipped(rel: str) -> bytes:
    """The bytes of a shipped model or data file, its SHA-256 checked against
    :data:`CHECKSUMS`.

    Parameters
    ----------
    rel : str
        Path below the package root, e.g. ``"models/fusion.json"``.

    Raises
    ------
    ModelError
        The file is not in the registry, missing, or its bytes differ (damaged, or
        retrained without refreshing the table).
    """
    return _verified_bytes(PACKAGE_ROOT / rel, rel)


def _verified_bytes(path: Path, rel: str) -> bytes:
    """The bytes of ``path``, checked against the registry's entry ``rel``."""
    expected = CHECKSUMS.get(rel)
    if expected is None:
        raise ModelError(f"{path}: not a registered shipped file; add it with "
                         "python -m runwaycut.models --refresh")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: shipped file missing or unreadable "
                         f"({exc.strerror or exc}); reinstall runwaycut") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise ModelError(f"{path}: file is corrupt or of another version (sha256 "
                         f"{digest[:12]}..., expected {expected[:12]}...); reinstall "
                         "runwaycut, or after retraining run python -m runwaycut.models "
                         "--refresh")
    return data


def refresh_if_shipped(path: str | os.PathLike) -> bool:
    """After writing ``path``: refresh :data:`CHECKSUMS` if it is a shipped file (a
    training script that rewrote the shipped model). Returns whether it did."""
    try:
        Path(path).resolve().relative_to(PACKAGE_ROOT)
    except ValueError:
        return False
    if Path(path).resolve().relative_to(PACKAGE_ROOT).as_posix() not in shipped_files():
        return False
    refresh_checksums()
    return True


def refresh_checksums(source: Path | None = None) -> dict[str, str]:
    """Recompute :data:`CHECKSUMS` from the shipped files (below :data:`PACKAGE_ROOT`)
    and rewrite its lines in ``source`` (this module's file); returns the new table."""
    table = {rel: hashlib.sha256((PACKAGE_ROOT / rel).read_bytes()).hexdigest()
             for rel in shipped_files()}
    source = Path(__file__) if source is None else Path(source)
    text = source.read_text(encoding="utf-8")
    begin, end = "    # BEGIN CHECKSUMS\n", "    # END CHECKSUMS\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    lines = "".join(f'    "{rel}": "{digest}",\n' for rel, digest in table.items())
    write_text_atomic(source, head + begin + lines + end + tail)
    CHECKSUMS.clear()
    CHECKSUMS.update(table)
    verify_model.cache_clear()
    return table


def model_path(name: str) -> Path:
    """Path of a shipped model file.

    Raises
    ------
    ModelError
        For an unknown name or a missing file (a broken install).
    """
    info = _info(name)
    path = PACKAGE_ROOT / "models" / info.file
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
    _verified_bytes(path, f"models/{MODELS[name].file}")
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


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` through a temporary file and a rename (no half-written table)."""
    from ..io import write_bytes_atomic

    write_bytes_atomic(path, text.encode("utf-8"))


__all__ = ["CHECKSUMS", "MODELS", "ModelInfo", "load_interpreter", "model_path",
           "read_shipped", "refresh_checksums", "refresh_if_shipped", "shipped_files",
           "verify_model"]
