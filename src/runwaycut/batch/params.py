"""The parameters of an output folder's results: recorded once, checked on every rerun.
"""

from __future__ import annotations



import dataclasses
import enum
import hashlib
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import RunwaycutError
from ..io import write_bytes_atomic
from ..methods import FigureMethod
from .options import option_changes, split_target

#: Name of the file, inside the output folder, recording the parameters of its results.
PARAMS_FILE = "runwaycut-params.json"






class ParameterMismatchError(RunwaycutError):
    """The output folder holds results made with other parameters."""

# --------------------------------------------------------------------------- parameters


def describe(obj) -> object:
    """A JSON-ready description of a backend's parameters, stable across runs.

    Dataclasses become dicts of their (repr) fields, functions their qualified names,
    arrays a digest, other objects their type and public attributes. Lazily loaded
    models (private attributes or ``repr=False`` fields) are left out.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"type": _qualname(type(obj))}
        for f in dataclasses.fields(obj):
            if f.repr and not f.name.startswith("_"):
                out[f.name] = describe(getattr(obj, f.name))
        return out
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return obj.name
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"array": list(obj.shape), "dtype": str(obj.dtype),
                "sha1": hashlib.sha1(np.ascontiguousarray(obj).tobytes()).hexdigest()}
    if isinstance(obj, (list, tuple)):
        return [describe(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): describe(v) for k, v in obj.items()}
    if callable(obj) and hasattr(obj, "__qualname__"):
        return _qualname(obj)
    if hasattr(obj, "__dict__"):
        out = {"type": _qualname(type(obj))}
        out.update({k: describe(v) for k, v in sorted(vars(obj).items())
                    if not k.startswith("_")})
        return out
    return repr(obj)


def _qualname(obj) -> str:
    """The object's public dotted name: the shortest enclosing package that exports it.

    ``runwaycut.garment.outputs.GarmentMethod`` is recorded as
    ``runwaycut.garment.GarmentMethod``, so that moving code between a package's private
    modules does not make earlier output folders look like other parameters.
    """
    module = getattr(obj, "__module__", None) or "?"
    name = getattr(obj, "__qualname__", repr(obj))
    parts = module.split(".")
    for i in range(2, len(parts)):
        package = sys.modules.get(".".join(parts[:i]))
        if package is not None and getattr(package, name, None) is obj:
            return f"{package.__name__}.{name}"
    return f"{module}.{name}"


def is_garment_upgrade(recorded: dict, wanted: dict) -> bool:
    """Whether ``wanted`` is ``recorded``'s figure backend with ``--target garment`` or
    ``items``: a finished figure run that may gain the garment (or item) outputs."""
    target, figure, _ = split_target(wanted)
    return target in ("garment", "items") and _portable(figure) == _portable(recorded)


def _portable(tree):
    """The parameter tree with runwaycut's own dotted names cut to their last part, and
    without the models' thread counts.

    Where a class or rule lives inside the package is not a parameter: a folder written
    before a move (``runwaycut.fusion.BandParams``, now ``runwaycut.person.BandParams``)
    keeps its results. Nor is how many threads a model ran on: its results are the same
    (:func:`runwaycut.methods.threads.with_threads`).
    """
    if isinstance(tree, dict):
        return {k: _portable(v) for k, v in tree.items() if k != "num_threads"}
    if isinstance(tree, list):
        return [_portable(v) for v in tree]
    if isinstance(tree, str) and tree.startswith("runwaycut."):
        return tree.rsplit(".", 1)[-1]
    return tree


def check_params(out_dir: Path, method: FigureMethod, overwrite: bool = False) -> bool:
    """Compare the backend's parameters with those recorded in ``out_dir``; record them.

    Parameters
    ----------
    out_dir : path
    method : FigureMethod
    overwrite : bool
        Replace a different record instead of refusing.

    Returns
    -------
    same : bool
        True when ``out_dir`` already recorded these parameters, so its complete
        outputs may be reused; False when it recorded none, the figure backend alone
        of this garment backend (the folder gains the garment: every photo is done
        again), or ``overwrite``.

    Raises
    ------
    ParameterMismatchError
        The folder's results were made with other parameters (and not ``overwrite``);
        the message names the options that differ (:func:`~.options.option_changes`).
    """
    path = Path(out_dir) / PARAMS_FILE
    wanted = json.loads(json.dumps(describe(method)))
    if path.exists() and not overwrite:
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))["method"]
        except (OSError, ValueError, KeyError, TypeError):
            recorded = None
        if recorded == wanted or _portable(recorded) == _portable(wanted):
            return True
        if recorded is not None and not is_garment_upgrade(recorded, wanted):
            changes = "; ".join(option_changes(recorded, wanted)) or "other parameters"
            raise ParameterMismatchError(
                f"{out_dir} holds results made with other options ({changes}); use "
                "--overwrite to redo every photo with the new ones, or another --out")
        # (A figure folder gaining the garment: recorded anew below, and every photo is
        # done again, its figure files rewritten identical beside the garment's.)
    from .. import __version__

    record = {"runwaycut": __version__, "method": wanted,
              "written": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_bytes_atomic(path, (json.dumps(record, indent=2) + "\n").encode())
    return False
