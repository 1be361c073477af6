"""A recorded backend description (:func:`runwaycut.batch.params.describe`) in the
command line's terms: which ``runwaycut remove`` options made it.

The parameter record of an output folder describes the backend field by field (about
60 fields for ``auto``); a user changed options. :func:`option_changes` says what
changed as options (``--target figure -> garment``, ``--points 16 -> 8``) and counts
the rest (a model or a default that changed with another version of runwaycut) as
internal settings, naming a few.
"""

from __future__ import annotations

from typing import Any

#: Type recorded for ``--target garment`` (the garment backend wrapping a figure backend).
GARMENT_TYPE = "runwaycut.garment.GarmentMethod"
ITEMS_TYPE = "runwaycut.garment.ItemsMethod"

#: Palette fields as options: (path in the palette method's description, option).
_PALETTE_OPTIONS = (("palette.points", "--points"), ("palette.strip", "--strip"),
                    ("palette.block", "--block"), ("palette.sampler", "--sampler"),
                    ("palette.seed", "--seed"), ("mask.band", "--band"),
                    ("mask.vote", "--vote"))

#: Switches: (path, on-name, off-name).
_SWITCHES = (("figure.keep_largest", "--keep-largest", "--no-keep-largest"),
             ("figure.fill_holes", "--fill-holes", "--no-fill-holes"))


def flat(tree, prefix: str = "") -> dict[str, Any]:
    """A nested description as ``{"a.b.c": value}``."""
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): tree}


def split_target(tree: dict) -> tuple[str, dict, dict]:
    """``(target, figure backend description, garment-only description)``."""
    if isinstance(tree, dict) and tree.get("type") in (GARMENT_TYPE, ITEMS_TYPE):
        garment = {k: v for k, v in tree.items() if k not in ("figure", "type")}
        target = "garment" if tree.get("type") == GARMENT_TYPE else "items"
        return target, tree.get("figure") or {}, garment
    return "figure", tree if isinstance(tree, dict) else {}, {}


def _names(recorded, obj) -> bool:
    """Whether a recorded dotted name (``runwaycut.methods.AutoMethod``) is ``obj``'s."""
    name = getattr(obj, "__qualname__", None)
    return isinstance(recorded, str) and name is not None and (
        recorded == name or recorded.endswith("." + name))


def _method_name(figure: dict) -> str:
    from ..methods import METHODS

    kind = figure.get("type")
    for name, factory in METHODS.items():
        if _names(kind, factory):
            return name
    return str(kind).rsplit(".", 1)[-1]


def _threshold_option(figure: dict) -> dict[str, Any]:
    """``--threshold`` (and ``--model``) of a palette method's description."""
    from ..threshold.rules import THRESHOLD_RULES

    rule = figure.get("threshold_rule")
    if rule is None:
        threshold = (figure.get("mask") or {}).get("threshold")
        return {"--threshold": "default" if threshold is None else f"{threshold:g}"}
    for name, known in THRESHOLD_RULES.items():
        if _names(rule, known):
            return {"--threshold": name}
    if isinstance(rule, dict) and str(rule.get("type", "")).endswith("ModelRule"):
        model = rule.get("path") or "shipped"
        digest = str(rule.get("sha256"))[:12]
        return {"--threshold": "auto", "--model": f"{model} (sha256 {digest})"}
    return {"--threshold": str(rule)}


def cli_options(tree: dict) -> tuple[dict[str, Any], set[str]]:
    """The options a backend description stands for, and the description's paths
    (flattened) that those options account for.

    Returns
    -------
    options : dict
        ``{"--method": "auto", "--target": "figure", "--points": 16, ...}``.
    covered : set of str
        Flattened paths of ``tree`` the options explain (the rest are internal).
    """
    target, figure, garment = split_target(tree)
    prefix = "figure." if target != "figure" else ""
    options: dict[str, Any] = {"--target": target, "--method": _method_name(figure)}
    covered = {"type", f"{prefix}type", f"{prefix}name"}
    fields = flat(figure)
    for path, option in _PALETTE_OPTIONS:
        if path in fields:
            options[option] = fields[path]
            covered.add(prefix + path)
    for path, on, off in _SWITCHES:
        if path in fields:
            options[on] = on if fields[path] else off
            covered.add(prefix + path)
    if "threshold_rule" in figure:
        options.update(_threshold_option(figure))
        covered |= {prefix + p for p in fields if p.startswith(("threshold_rule", "mask."))}
        covered |= {prefix + p for p in fields if p.endswith(".type")
                    and p.split(".")[0] in ("palette", "mask", "figure")}
    if target == "garment":
        model = garment.get("model_file")
        options["--garment-model"] = "shipped" if model is None else model
        covered |= {"model_file"}
    return options, covered


def option_changes(old: dict, new: dict, most: int = 3) -> list[str]:
    """What differs between two backend descriptions, in the command line's terms.

    Parameters
    ----------
    old, new : dict
        Descriptions (:func:`runwaycut.batch.params.describe`) of the recorded and the
        requested backend.
    most : int
        Internal settings named at most (the rest are counted).

    Returns
    -------
    changes : list of str
        ``["--target figure -> garment", "--points 16 -> 8"]``, then, when the options
        leave differences unexplained (the same method with another model or default),
        one entry naming a few of those internal settings.

    Examples
    --------
    >>> old = {"type": "runwaycut.methods.PersonMethod", "threshold": 0.6}
    >>> new = {"type": "runwaycut.garment.GarmentMethod", "figure": old, "model_file": None}
    >>> option_changes(old, new)
    ['--target figure -> garment']
    """
    old_options, old_covered = cli_options(old)
    new_options, new_covered = cli_options(new)
    changes = []
    for option in dict.fromkeys([*old_options, *new_options]):
        if option not in old_options or option not in new_options:
            continue  # an option of one method or target only: the change above says it
        a, b = old_options[option], new_options[option]
        if a == b:
            continue
        if option in (a, b):
            changes.append(f"{a} -> {b}")  # a switch: --fill-holes -> --no-fill-holes
        else:
            changes.append(f"{option} {a} -> {b}")
    if old_options["--method"] != new_options["--method"]:
        return changes  # another backend: its internal fields differ as a matter of course
    old_rest, new_rest = _internal(old, old_covered), _internal(new, new_covered)
    if old_options["--target"] != new_options["--target"]:  # compare the figure's only
        old_rest = {k: v for k, v in old_rest.items() if not k.startswith("garment:")}
        new_rest = {k: v for k, v in new_rest.items() if not k.startswith("garment:")}
    differ = [k for k in sorted(set(old_rest) | set(new_rest),
                                key=lambda k: (k.startswith("garment:"), k))
              if old_rest.get(k) != new_rest.get(k)]
    if old_options.get("--garment-model") != new_options.get("--garment-model"):
        differ = [k for k in differ if k != "garment:model_digest"]  # said by the option
    if differ:
        named = ", ".join(f"{k.removeprefix('garment:')} {old_rest.get(k, '(none)')!r} -> "
                          f"{new_rest.get(k, '(none)')!r}" for k in differ[:most])
        more = f" and {len(differ) - most} more" if len(differ) > most else ""
        step = (f"--method {new_options['--method']}" if not differ[0].startswith("garment:")
                else "--target garment")
        changes.append(f"internal settings of {step} (another runwaycut version or "
                       f"model: {named}{more})")
    return changes


def _internal(tree: dict, covered: set[str]) -> dict[str, Any]:
    """The flattened fields no option accounts for: the figure backend's by their own
    path, the garment step's prefixed ``garment:``."""
    target, figure, garment = split_target(tree)
    prefix = "figure." if target != "figure" else ""
    out = {k: v for k, v in flat(figure).items() if prefix + k not in covered}
    out.update({f"garment:{k}": v for k, v in flat(garment).items() if k not in covered})
    return out


__all__ = ["GARMENT_TYPE", "cli_options", "flat", "option_changes", "split_target"]
