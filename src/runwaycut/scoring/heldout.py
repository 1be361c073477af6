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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - names for the annotations only
    from .labels import Dataset


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


def without_heldout(dataset: "Dataset") -> tuple["Dataset", tuple[str, ...]]:
    """A labelled set less its held-out photos, and the ids left out.

    Only a CCP-layout set loses photos: the held-out list names CCP dev photos, and a
    photo of another set that happens to share a stem is not one of them.

    Parameters
    ----------
    dataset : Dataset
        From :func:`runwaycut.scoring.labels.open_dataset`.

    Returns
    -------
    kept : Dataset
        The same set without the held-out entries.
    left_out : tuple of str
        Ids of the entries left out, sorted (empty for a set of another layout).
    """
    return _leave_out(dataset, is_heldout)


def _leave_out(dataset: "Dataset", leave) -> tuple["Dataset", tuple[str, ...]]:
    """``dataset`` less the entries whose id ``leave`` names, and their ids (in the set's
    order, by id). Only a CCP-layout set loses any: the lists name CCP photos."""
    from dataclasses import replace

    if dataset.layout != "ccp":
        return dataset, ()
    left_out = tuple(item.id for item in dataset.items if leave(item.id))
    kept = tuple(item for item in dataset.items if not leave(item.id))
    return replace(dataset, items=kept), left_out


#: The CCP development split, photos 0001 to 0500: what the shipped models were trained
#: (or, for the item network's 60 validation photos, tuned) on, less the held-out ones.
CCP_DEV_SPLIT = range(1, 501)


def is_trained_on(path: str | Path) -> bool:
    """Whether a CCP photo (or its label file, by stem) is one the shipped models were
    trained on: in the development split and not held out.

    Examples
    --------
    >>> is_trained_on("photos/0001.jpg"), is_trained_on("0087.jpg"), is_trained_on("0501.jpg")
    (True, False, False)
    """
    stem = Path(path).stem
    return (len(stem) == 4 and stem.isdigit() and int(stem) in CCP_DEV_SPLIT
            and not is_heldout(path))


def trained_on(dataset: "Dataset") -> tuple[str, ...]:
    """Ids of a labelled set's entries the shipped models were trained on (sorted).

    Only a CCP-layout set has any, as for :func:`without_heldout`: CCP numbers its photos
    the same way in every copy, so ``0001`` is the same photo; a set of another layout
    holding a photo of that stem is not assumed to."""
    return only_unseen(dataset)[1]


def only_unseen(dataset: "Dataset") -> tuple["Dataset", tuple[str, ...]]:
    """A labelled set less the entries the shipped models were trained on, and their ids:
    scores of a trained method on what is left are not in-sample."""
    return _leave_out(dataset, is_trained_on)
