"""The held-out dev photos: labelled photos that no shipped model was trained on.

Every learned part of runwaycut (the fusion MLP, the garment and item models, the
threshold model's forests) is trained on the CCP dev photos *except* these 30, listed in
``runwaycut/data/heldout.json`` (the three bundled example photos among them). Tests that
claim a quality bound measure it on these photos, so that a bound is a promise about
photos the model never saw, not a memory of its training set.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def heldout_names() -> frozenset[str]:
    """File names (``'0087.jpg'``...) of the held-out CCP photos.

    Examples
    --------
    >>> "0087.jpg" in heldout_names() and len(heldout_names()) == 30
    True
    """
    from ..models import read_shipped

    text = read_shipped("data/heldout.json").decode("utf-8")
    return frozenset(json.loads(text)["photos"])


def is_heldout(path: str | Path) -> bool:
    """Whether a photo (or its label file, by stem) is one of the held-out photos."""
    return f"{Path(path).stem}.jpg" in heldout_names()
