"""One photo in, its output files written atomically, one :class:`PhotoRecord` out.
"""

from __future__ import annotations



import contextlib
import hashlib
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from ..compose import cutout, overlay
from ..errors import DiskFullError, ImageReadError, LabelError, RunwaycutError
from ..io import MAX_PIXELS, read_image, write_bytes_atomic
from ..methods import FigureMethod
from .outputs import check_format, encode_cutout, encode_mask, encode_rgb
from .targets import stale_suffixes, target_blobs

#: Name of the file, inside the output folder, recording the parameters of its results.


# --------------------------------------------------------------------------- one photo


@dataclass
class PhotoRecord:
    """One row of a batch: what happened to one photo.

    Attributes
    ----------
    path : str
        The photo, as given.
    status : {'ok', 'failed', 'skipped'}
        ``skipped``: its outputs were complete from an earlier run (the other fields
        are then copied from that run's row, where the manifest has it).
    error : str
        Why it failed, naming the file ('' otherwise).
    method : str
        Backend name.
    threshold : float or None
        Colour threshold applied (palette-based backends).
    figure_fraction : float or None
        Share of the photo's pixels in the figure mask.
    width, height : int or None
        Size of the photo in pixels.
    ms : float or None
        Wall time spent on the photo in milliseconds (reading to writing).
    output : str
        Output stem relative to the output folder (``a/b/0001`` for
        ``a/b/0001.mask.png``...).
    warning : str
        What the backend found doubtful, e.g. no person found ('' otherwise).
    size_bytes, mtime_ns, sha256 : int, int, str
        The photo file the outputs were made from (its size, modification time and
        SHA-256), so that a rerun recognises it (:func:`photo_fingerprint`) and redoes
        a photo replaced under the same name. None/'' when the file could not be read.
    """

    path: str
    status: str  # "ok", "failed" or "skipped"
    error: str = ""
    method: str = ""
    threshold: float | None = None
    figure_fraction: float | None = None
    width: int | None = None
    height: int | None = None
    ms: float | None = None
    output: str = ""
    warning: str = ""
    size_bytes: int | None = None
    mtime_ns: int | None = None
    sha256: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def photo_fingerprint(path: str | os.PathLike) -> tuple[int, int, str]:
    """(size in bytes, modification time in ns, SHA-256) of a photo file.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        stat = os.fstat(fh.fileno())
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return stat.st_size, stat.st_mtime_ns, digest.hexdigest()


def output_paths(out_dir: Path, rel_stem: Path, overlay_too: bool,
                 image_format: str = "png") -> dict[str, Path]:
    """The files written for one photo: mask (always PNG), cutout and optionally
    overlay (in ``image_format``, see :data:`runwaycut.batch.outputs.FORMATS`)."""
    base = Path(out_dir) / rel_stem
    ext = "." + check_format(image_format)
    paths = {"mask": base.with_name(base.name + ".mask.png"),
             "cutout": base.with_name(base.name + ext)}
    if overlay_too:
        paths["overlay"] = base.with_name(base.name + ".overlay" + ext)
    return paths


def process_photo(path: Path, rel_stem: Path, out_dir: Path, method: FigureMethod,
                  overlay_too: bool = False, *, max_pixels: int = MAX_PIXELS,
                  image_format: str = "png") -> PhotoRecord:
    """Read one photo, make its figure mask, write its files; never raises for bad input.

    :func:`predict_photo` then :func:`write_photo`, which ``remove -j 1`` runs on two
    threads, overlapped (:func:`runwaycut.batch.workers.iter_local`).

    Parameters
    ----------
    path : path
        The photo.
    rel_stem : path
        Its output stem relative to ``out_dir`` (see :func:`output_paths`).
    out_dir : path
        Output folder (created as needed).
    method : FigureMethod
        The figure-mask backend.
    overlay_too : bool
        Also write the neon-green overlay.
    max_pixels : int
        Decompression-bomb guard of the reader: larger photos fail, undecoded.
    image_format : {'png', 'webp'}
        Format of the cutout and overlay (lossless either way); the mask is PNG.

    Returns
    -------
    record : PhotoRecord
        ``status`` is ``ok`` or ``failed`` (with ``error``). Each file is written
        atomically and all are encoded before the first is written, so a failure
        leaves the photo's earlier files, if any, untouched.
    """
    return write_photo(predict_photo(path, rel_stem, out_dir, method, overlay_too,
                                     max_pixels=max_pixels, image_format=image_format))


@dataclass
class PredictedPhoto:
    """A photo read and predicted, its files not yet encoded nor written.

    Attributes
    ----------
    record : PhotoRecord
        Its row so far; ``failed`` already when reading or predicting failed.
    paths : dict of str to Path
        Where each output goes.
    encoders : dict of str to callable
        For each output, what makes its bytes (empty when the photo failed).
    ms : float
        Wall milliseconds spent so far.
    stale : list of Path
        Files of this photo's stem that an earlier run may have left and this one does
        not write (:func:`~runwaycut.batch.targets.stale_suffixes`): removed once the
        new files are written.
    """

    record: PhotoRecord
    paths: dict
    encoders: dict
    ms: float
    stale: list = field(default_factory=list)


def predict_photo(path: Path, rel_stem: Path, out_dir: Path, method: FigureMethod,
                  overlay_too: bool = False, *, max_pixels: int = MAX_PIXELS,
                  image_format: str = "png", read_ahead=None) -> PredictedPhoto:
    """The first half of :func:`process_photo`: read, fingerprint, predict, and the
    ``--target`` files (their computing is the method's work); never raises for bad input.

    ``read_ahead``: a future of :func:`read_photo` for this photo, started elsewhere
    (its errors are this photo's, as if read here)."""
    start = time.perf_counter()
    record = PhotoRecord(path=str(path), status="failed", method=method.name,
                         output=Path(rel_stem).as_posix())
    # When the photo began, on the system-wide clock: the run's start-up ends at its
    # first photo's start, also for a worker that reports a task of several photos at
    # once. Not a field, so not in the manifest; it travels with the record's pickle.
    record.started = time.monotonic()
    paths: dict[str, Path] = {}
    encoders: dict = {}
    stale: list[Path] = []
    with photo_errors(record, path):
        paths = output_paths(out_dir, rel_stem, overlay_too, image_format)
        photo = os.path.realpath(path)  # (Path.resolve raises on a symlink loop)
        if any(os.path.realpath(p) == photo for p in paths.values()):
            raise ImageReadError(path, "an output would overwrite this photo; choose another --out")
        image, fingerprint = (read_photo(path, max_pixels) if read_ahead is None
                              else read_ahead.result())
        record.size_bytes, record.mtime_ns, record.sha256 = fingerprint
        result = method.predict(image)
        record.width, record.height = image.shape[1], image.shape[0]
        record.threshold = result.threshold
        record.warning = "; ".join(result.details.get("warnings", []))
        record.figure_fraction = round(float(np.count_nonzero(result.mask)) / result.mask.size, 6)
        alpha = result.alpha if result.alpha is not None else result.mask
        colours = result.foreground if result.foreground is not None else image
        encoders = {"mask": partial(encode_mask, result.mask),
                    "cutout": partial(encode_cutout, colours, alpha, image_format)}
        if overlay_too:
            encoders["overlay"] = partial(_encode_overlay, image, result.mask, image_format)
        base = Path(out_dir) / rel_stem
        blobs = target_blobs(image, result, image_format)
        for suffix, blob in blobs.items():  # --target garment, items
            paths[suffix] = base.with_name(base.name + suffix)
            encoders[suffix] = partial(_as_is, blob)
        stale = [base.with_name(base.name + s) for s in stale_suffixes(result, blobs)]
    if record.error:
        encoders = {}
    ms = (time.perf_counter() - start) * 1000
    record.ms = round(ms, 2)
    return PredictedPhoto(record, paths, encoders, ms, stale)


def read_photo(path: Path, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, tuple]:
    """The photo's pixels (:func:`~runwaycut.io.read_image`) and its file's fingerprint
    (:func:`photo_fingerprint`)."""
    return read_image(path, max_pixels=max_pixels), photo_fingerprint(path)


def write_photo(photo: PredictedPhoto) -> PhotoRecord:
    """The second half of :func:`process_photo`: encode every file, then write them
    (atomically each); returns the finished record. Never raises for bad input; a full
    disk removes the photo's files written so far and raises :class:`DiskFullError`."""
    record = photo.record
    if not photo.encoders:  # failed while reading or predicting
        return record
    start = time.perf_counter()
    with photo_errors(record, record.path):
        # Encode everything first, then write: a failure leaves no partial set of files.
        blobs = {key: encode() for key, encode in photo.encoders.items()}
        written: list[Path] = []
        try:
            with signals_held():  # a Ctrl-C lands after the writes, never inside one
                for key, blob in blobs.items():
                    write_bytes_atomic(photo.paths[key], blob)
                    written.append(photo.paths[key])
                for path in photo.stale:  # an earlier run's item cutouts of items gone
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                record.status = "ok"
        except KeyboardInterrupt as stop:  # delivered after the writes: the row is true
            record.ms = round(photo.ms + (time.perf_counter() - start) * 1000, 2)
            stop.finished_record = record
            raise
        except DiskFullError:  # no lone mask without its cutout: a rerun redoes the photo
            for done in written:
                with contextlib.suppress(OSError):
                    os.unlink(done)
            raise
    record.ms = round(photo.ms + (time.perf_counter() - start) * 1000, 2)
    return record


@contextlib.contextmanager
def photo_errors(record: PhotoRecord, path):
    """Turn what bad input raises into ``record.error`` (naming the file); a full disk
    and a Ctrl-C go through."""
    try:
        yield
    except DiskFullError:
        raise  # stops the batch: every later photo would fail the same way
    except (ImageReadError, LabelError) as exc:  # these name their file already
        record.error = str(exc)
    except RunwaycutError as exc:  # e.g. strips narrower than a block: say which photo
        record.error = f"{path}: {exc}"
    except (OSError, ValueError, MemoryError) as exc:
        record.error = f"{path}: {type(exc).__name__}: {exc}"


def _as_is(blob: bytes) -> bytes:
    return blob


def _encode_overlay(image: np.ndarray, mask: np.ndarray, image_format: str) -> bytes:
    return encode_rgb(overlay(image, mask), image_format)


def fast_cutout(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """:func:`runwaycut.compose.cutout`, pixel for pixel, about 20x faster for a binary mask.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    alpha : (H, W) bool, uint8 or float array
        A bool mask takes the fast path (OpenCV masked copy instead of NumPy boolean
        indexing); any other alpha goes to :func:`~runwaycut.compose.cutout`.

    Returns
    -------
    rgba : (H, W, 4) uint8 array
        Colour zeroed where alpha is 0, as the cutout's contract says.
    """
    if alpha.dtype != bool or image.dtype != np.uint8 or alpha.shape != image.shape[:2]:
        return cutout(image, alpha)
    a = alpha.view(np.uint8) * np.uint8(255)
    rgba = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
    rgba[..., 3] = a
    return cv2.bitwise_and(rgba, rgba, mask=a)


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM while a photo's files are written, then act on them.

    :func:`runwaycut.io.write_bytes_atomic` removes its temporary file when interrupted,
    except in the instant between creating it and writing to it; holding the signals
    for the millisecond of writing closes that gap, so a stopped run leaves neither a
    half file nor a stray temporary one. A no-op outside the main thread (where Python
    delivers no signals).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if callable(handler) or handler == signal.SIG_DFL:
            previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            else:
                signal.raise_signal(caught[0])
