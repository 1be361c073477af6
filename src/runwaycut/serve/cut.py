"""One uploaded photo in, the asked-for answer out: runs in a worker process.

The files are encoded exactly as ``runwaycut remove`` encodes them (the same
functions of :mod:`runwaycut.batch.photo` and :mod:`runwaycut.garment.outputs`), so a
zip from the service holds byte for byte what the command writes.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..batch.photo import PhotoRecord
from ..compose import overlay
from ..errors import ImageReadError, ImageSizeError, RunwaycutError
from ..garment.outputs import GARMENT_SUFFIXES
from ..garment.items_outputs import ITEM_PALETTE, ITEMS_SUFFIXES, item_summary
from ..garment.types import LABEL_PALETTE
from ..batch.outputs import encode_cutout, encode_mask, encode_rgb
from ..batch.targets import target_blobs, target_of
from ..io import MAX_PIXELS, encode_png, read_image
from ..scoring.items import ITEM_NAMES
from ..scoring.labels import CLASS_NAMES
from .request import OUTPUTS, CutRequest, build_backend


class BadPhotoError(ValueError):
    """The upload is not a photo runwaycut can read: ``status`` 415 (not an image),
    413 (more pixels than the server takes) or 400 (too small)."""

    def __init__(self, message: str, status: int = 415):
        super().__init__(message)
        self.status = status


@dataclass
class CutAnswer:
    """What goes back to the client: a body, its media type, and a file name."""

    body: bytes
    media_type: str
    filename: str
    timings: dict = field(default_factory=dict)


def upload_stem(filename: str | None) -> str:
    """A safe file stem for an upload's name: its last component, suffix dropped,
    only letters, digits, ``-``, ``_`` and ``.`` kept (``photo`` when nothing is left)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = "".join(c for c in stem if c.isalnum() or c in "-_.").strip(".")
    return stem[:100] or "photo"


def decode_upload(data: bytes, filename: str, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read uploaded bytes by :func:`runwaycut.io.read_image`'s one conversion rule.

    Raises
    ------
    BadPhotoError
        Naming the upload: not an image, truncated, too small (415), or over
        ``max_pixels`` (413).
    """
    if not data:
        raise BadPhotoError(f"{filename}: the upload is empty")
    fd, tmp = tempfile.mkstemp(prefix="runwaycut-upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return read_image(tmp, max_pixels=max_pixels)
    except ImageSizeError as exc:  # a real image: too many pixels (413) or too small (400)
        status = 413 if "over the limit" in exc.problem else 400
        raise BadPhotoError(f"{filename}: {exc.problem}", status) from None
    except ImageReadError as exc:  # not an image, truncated, corrupt
        raise BadPhotoError(f"{filename}: {exc.problem}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def cut_photo(data: bytes, filename: str, request: CutRequest, *,
              max_pixels: int = MAX_PIXELS) -> CutAnswer:
    """Cut one uploaded photo and encode the answer ``request.output`` asks for.

    Parameters
    ----------
    data : bytes
        The uploaded file (any format :func:`runwaycut.io.read_image` reads).
    filename : str
        Its name, for messages and the names of the answer's files.
    request : CutRequest
        Checked parameters.
    max_pixels : int
        Decompression-bomb guard.

    Returns
    -------
    answer : CutAnswer

    Raises
    ------
    BadPhotoError
        The upload cannot be read as a photo.
    RunwaycutError, ValueError
        The method failed on it (e.g. strips narrower than a block).
    """
    t0 = time.perf_counter()
    stem = upload_stem(filename)
    image = decode_upload(data, filename, max_pixels=max_pixels)
    t1 = time.perf_counter()
    result = build_backend(request).predict(image)
    t2 = time.perf_counter()
    timings = {"read_ms": _ms(t1 - t0), "method_ms": _ms(t2 - t1)}
    info = describe(image, result, request, timings)
    out = request.output
    if out in _ONE_FILE:  # encode only the picture asked for
        name = stem + _ONE_FILE[out]
        body = encode_files(image, result, stem, only=name)[name]
        timings["encode_ms"] = _ms(time.perf_counter() - t2)
        return CutAnswer(body, OUTPUTS[out], name, timings)
    if out == "json":
        timings["encode_ms"] = _ms(time.perf_counter() - t2)
        return CutAnswer(_json(info), OUTPUTS[out], f"{stem}.json", timings)
    files = encode_files(image, result, stem)
    timings["encode_ms"] = _ms(time.perf_counter() - t2)
    if out == "zip":
        record = PhotoRecord(path=filename, status="ok", method=result.method,
                             threshold=result.threshold,
                             figure_fraction=info["figure_fraction"], width=image.shape[1],
                             height=image.shape[0], ms=_ms(time.perf_counter() - t0),
                             output=stem, warning="; ".join(info["warnings"]))
        files["manifest.jsonl"] = (json.dumps(record.as_dict()) + "\n").encode()
        return CutAnswer(zip_files(files), OUTPUTS[out], f"{stem}.zip", timings)
    # bundle: the numbers and every picture, for the page
    info["files"] = {name: base64.b64encode(blob).decode("ascii") for name, blob in files.items()
                     if name.endswith(".png")}
    distance = result.details.get("distance")
    if result.method == "palette" and distance is not None:
        info["distance"] = distance_picture(distance, result.threshold)
    return CutAnswer(_json(info), OUTPUTS[out], f"{stem}.bundle.json", timings)


#: Outputs that are one picture: output -> suffix of its file after the stem.
_ONE_FILE = {"cutout": ".png", "mask": ".mask.png", "overlay": ".overlay.png",
             "labels": GARMENT_SUFFIXES["labels"], "items": ITEMS_SUFFIXES["items"]}


def encode_files(image: np.ndarray, result, stem: str, only: str | None = None
                 ) -> dict[str, bytes]:
    """The files ``runwaycut remove --overlay`` writes for one photo, ``{name: bytes}``
    (just the one named ``only``, when given)."""
    alpha = result.alpha if result.alpha is not None else result.mask
    colours = result.foreground if result.foreground is not None else image
    # The batch's own encoders: the same settings, so the bytes equal remove's files.
    encoders = {f"{stem}.mask.png": lambda: encode_mask(result.mask),
                f"{stem}.png": lambda: encode_cutout(colours, alpha),
                f"{stem}.overlay.png": lambda: encode_rgb(overlay(image, result.mask))}
    if only in encoders:
        return {only: encoders[only]()}
    files = {name: encode() for name, encode in encoders.items()} if only is None else {}
    # The target's own files (garment: label map, cutout, colours; items: the item map too).
    files.update({stem + suffix: blob for suffix, blob in target_blobs(image, result).items()
                  if only in (None, stem + suffix)})
    return files


def describe(image: np.ndarray, result, request: CutRequest, timings: dict) -> dict:
    """The numbers of a cut: size, method, threshold, figure fraction, warnings,
    colours and class shares (garment and items targets), each item with its share,
    box and colours as ``<stem>.items.json`` lists them (items target), timings."""
    info = {"width": int(image.shape[1]), "height": int(image.shape[0]),
            "method": result.method, "target": request.target,
            "threshold": None if result.threshold is None else float(result.threshold),
            "band": request.band,
            "figure_fraction": round(float(np.count_nonzero(result.mask)) / result.mask.size, 6),
            "warnings": list(result.details.get("warnings", [])), "timings": timings}
    ignored = request.ignored_options()
    if ignored:
        info["warnings"].append(f"{', '.join(ignored)} set but not used: only method=palette "
                                f"reads {'it' if len(ignored) == 1 else 'them'}, not "
                                f"{request.method_name}")
    if "garment" in result.details:
        garment = result.details["garment"]
        info["colors"] = [c.as_dict() for c in result.details["colors"]]
        info["class_shares"] = {k: round(v, 6) for k, v in garment.shares().items()}
        info["legend"] = [{"index": i, "name": name, "rgb": [int(v) for v in LABEL_PALETTE[i]]}
                          for i, name in enumerate(CLASS_NAMES)]
    if target_of(result) == "items":
        items = result.details["items"]
        info["items"] = item_summary(items)
        info["taken_in_pixels"] = items.taken_in
        info["item_legend"] = [{"index": i, "name": name, "rgb": [int(v) for v in ITEM_PALETTE[i]]}
                               for i, name in enumerate(ITEM_NAMES)]
    return info


def distance_picture(distance: np.ndarray, threshold: float | None) -> dict:
    """The palette's distance map as a grey PNG the page thresholds live.

    A pixel is background at threshold ``t`` when its distance is at most ``t``
    (:func:`runwaycut.note.colormask.in_band`). Absolute-band distances are
    whole levels 0..255 and go as they are (``scale`` 1); relative-band ones are
    fractions, sent in hundredths (``scale`` 100, clipped at 2.55). A photo longer than
    :data:`LIVE_SIDE` is sent at that size (nearest neighbour).
    """
    if distance.dtype == np.uint8:
        grey, scale = distance, 1
    else:
        grey, scale = np.clip(np.rint(distance * 100), 0, 255).astype(np.uint8), 100
    h, w = grey.shape
    if max(h, w) > LIVE_SIDE:  # the page's live mask is a preview: keep it quick
        f = LIVE_SIDE / max(h, w)
        grey = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))),
                          interpolation=cv2.INTER_NEAREST)
    return {"png": base64.b64encode(encode_png(grey)).decode("ascii"), "scale": scale,
            "threshold": threshold}


#: Longest side of the distance map sent for the page's live threshold.
LIVE_SIDE = 1024


def zip_files(files: dict[str, bytes]) -> bytes:
    """The files in one zip (PNGs stored: they are compressed already)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in files.items():
            kind = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
            archive.writestr(name, blob, compress_type=kind)
    return buffer.getvalue()


def _json(doc: dict) -> bytes:
    return json.dumps(doc).encode("utf-8")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


__all__ = ["BadPhotoError", "CutAnswer", "RunwaycutError", "cut_photo", "decode_upload",
           "describe", "distance_picture", "encode_files", "upload_stem", "zip_files"]
