"""Shared fixtures: where the CCP development photos are, and synthetic photos.

The data lives beside the repository (``../shared/data``); tests that need it are
skipped, with the reason, when it is absent (e.g. a clone without the shared folder).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
#: ``../shared/data`` beside the clone, or ``$RUNWAYCUT_DATA`` (README: the labelled photos).
DATA_DIR = Path(os.environ.get("RUNWAYCUT_DATA") or REPO / ".." / "shared" / "data").resolve()
CCP_DIR = DATA_DIR / "ccp"
CCP_PHOTOS = CCP_DIR / "photos"

#: A few CCP photos with a plain-ish background, used by the end-to-end tests of
#: behaviour (files, shapes, bystanders, pickling). 0007 and 0200 are training photos of
#: the shipped models: tests that claim quality measure on the held-out photos instead
#: (:func:`heldout_photos`).
CCP_SAMPLE = ("0007.jpg", "0100.jpg", "0200.jpg")

#: The Chromium every browser test drives: Debian's ``chromium`` (``.ci/run`` installs it).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

needs_ccp = pytest.mark.skipif(
    not CCP_PHOTOS.is_dir(),
    reason=f"CCP photos not found at {CCP_PHOTOS} (README: The labelled photos)")


@pytest.fixture(scope="session")
def ccp_photos() -> list[Path]:
    """Paths of a few CCP photos; skips the test when the data is absent."""
    paths = [CCP_PHOTOS / name for name in CCP_SAMPLE]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"CCP photos not found: {', '.join(map(str, missing))} "
                    "(README: The labelled photos)")
    return paths


def ccp_figure(name: str) -> np.ndarray:
    """The hand-labelled figure (every labelled pixel but background) of a CCP photo."""
    import scipy.io

    mat = CCP_DIR / "annotations" / "pixel-level" / f"{Path(name).stem}.mat"
    return scipy.io.loadmat(mat)["groundtruth"] != 0


def f1(pred: np.ndarray, truth: np.ndarray) -> float:
    """F1 of a predicted mask against a true one, computed here independently of
    :mod:`runwaycut.scoring.metrics`."""
    tp = np.count_nonzero(pred & truth)
    return 2 * tp / (np.count_nonzero(pred) + np.count_nonzero(truth))


@pytest.fixture(scope="session")
def auto():
    """The ``auto`` figure backend, models loaded once for the whole session."""
    from runwaycut.methods import METHODS

    return METHODS["auto"]()


@pytest.fixture(scope="session")
def person():
    """The ``person`` figure backend, models loaded once for the whole session."""
    from runwaycut.methods import METHODS

    return METHODS["person"]()


def png_files(folder: Path) -> dict[str, str]:
    """The SHA-256 of every PNG below ``folder``, by relative path: for byte-for-byte run
    comparisons. Digests, not the bytes: a failed comparison of raw PNG bytes spent
    minutes in pytest's diff (seen once in a full CI run), a digest's diff names the file
    at once."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.png"))}


def rows_without_timing(manifest: Path) -> list[dict]:
    """A manifest's rows without their ``ms`` (the only field that differs between runs)."""
    from runwaycut.batch.manifest import read_manifest

    rows = read_manifest(manifest)
    for row in rows:
        row.pop("ms")
    return rows


def runway_scene(height: int = 160, width: int = 120, seed: int = 0):
    """A synthetic runway photo with a known figure.

    A pale backdrop lit unevenly (a horizontal gradient of a few levels) with mild
    noise; a dark-red figure in the middle third, holding a loop (a bag strap) that
    encloses a patch of backdrop; and a few small dark specks near the edges.

    Returns
    -------
    image : (H, W, 3) uint8 array
    figure : (H, W) bool array
        The figure with its enclosed hole filled: what background removal should keep.
    """
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-6, 6, width)[None, :, None]
    base = np.array([225.0, 222.0, 215.0])[None, None, :] + ramp
    image = base + rng.normal(0, 1.5, (height, width, 3))
    figure = np.zeros((height, width), bool)
    r0, r1 = height // 8, height - height // 10
    c0, c1 = width * 3 // 8, width * 5 // 8
    figure[r0:r1, c0:c1] = True
    # A strap loop to the right of the body enclosing backdrop pixels.
    lr0, lr1, lc1 = height // 3, height // 2, min(width - width // 6, c1 + width // 6)
    figure[lr0:lr1, c1:lc1] = True
    hole = np.zeros_like(figure)
    hole[lr0 + 3:lr1 - 3, c1 + 3:lc1 - 3] = True
    painted = figure & ~hole
    image[painted] = np.array([120.0, 25.0, 35.0]) + rng.normal(0, 4, (painted.sum(), 3))
    # Specks: small dark blobs far from the figure, which the figure selection drops.
    for r, c in ((height // 5, width // 5), (height * 4 // 5, width * 4 // 5)):
        image[r:r + 3, c:c + 3] = (30, 30, 30)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), figure


@pytest.fixture
def scene():
    return runway_scene()


# --- held-out photos: where quality is measured -----------------------------------------

#: How many held-out photos the quality tests measure on (of the 30 in
#: ``runwaycut/data/heldout.json``, in name order): enough for a mean to be stable to
#: about 0.002 F1, few enough to keep the suite quick.
HELDOUT_QUALITY_PHOTOS = 24


@pytest.fixture(scope="session")
def heldout_photos():
    """``(name, image, classes)`` of the first :data:`HELDOUT_QUALITY_PHOTOS` held-out
    photos: photos no shipped model was trained on (:mod:`runwaycut.scoring.heldout`).
    ``classes`` is the four-class label map (0 background). Skips without the data."""
    from runwaycut.scoring.heldout import heldout_names
    from runwaycut.scoring.labels import load_item, open_dataset

    if not (CCP_DIR / "annotations").is_dir():
        pytest.skip(f"CCP photos and labels not found at {CCP_DIR}")
    items = {f"{item.id}.jpg": item for item in open_dataset(CCP_DIR).complete}
    names = sorted(heldout_names())[:HELDOUT_QUALITY_PHOTOS]
    out = []
    for name in names:
        image, labels = load_item(items[name])
        out.append((name, image, labels.classes))
    return out


@pytest.fixture(scope="session")
def heldout_figures(heldout_photos, auto, person):
    """Per held-out photo: the ``auto`` and ``person`` backends' results (masks, pose),
    computed once a session."""
    return [(auto.predict(image), person.predict(image)) for _, image, _ in heldout_photos]
