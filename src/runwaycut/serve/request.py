"""What one ``POST /v1/remove`` asks for: method, target, palette options, output.

The options and their defaults are the command line's (``runwaycut remove``), so a
request and a command with the same values build the same backend. Everything is
checked here, in the server process, before a photo is queued: a bad value is a 400
with the library's own message, never a worker's failure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

from ..methods import METHODS, PaletteMethod, get_method
from ..note.colormask import MaskParams, parse_vote
from ..note.figure import FigureParams
from ..note.palette import PaletteParams
from ..batch.targets import TARGETS
from ..threshold.rules import parse_threshold


#: What ``output`` may ask for, and the media type of each answer.
OUTPUTS = {
    "cutout": "image/png",   # RGBA cutout, the photo's size
    "mask": "image/png",     # 8-bit mask, 255 = figure
    "overlay": "image/png",  # removed pixels painted neon green, as in the note
    "labels": "image/png",   # indexed label map (garment target)
    "items": "image/png",    # indexed item map (items target)
    "json": "application/json",    # numbers: figure fraction, threshold, warnings, colours, timings
    "zip": "application/zip",      # every file `runwaycut remove` would write for the photo
    "bundle": "application/json",  # json + every picture as base64 PNG (what the page uses)
}


def served_targets() -> tuple[str, ...]:
    """The targets this server builds: every row of the library's one table,
    :data:`runwaycut.batch.targets.TARGETS`, in its order."""
    return tuple(TARGETS)


#: The fields only the palette method reads.
_PALETTE_FIELDS = ("threshold", "band", "vote", "points", "strip", "block", "sampler", "seed",
                   "keep_largest", "fill_holes")


@dataclass(frozen=True)
class CutRequest:
    """The parameters of one cut, with the command line's defaults.

    ``method`` None means the command line's rule: ``palette`` when a threshold is
    given, else ``auto``.
    """

    method: str | None = None
    target: str = "figure"
    output: str = "cutout"
    threshold: str | None = None
    band: str = "absolute"
    vote: str = "any"
    points: int = 16
    strip: float = 1 / 8
    block: int = 9
    sampler: str = "random"
    seed: int = 0
    keep_largest: bool = True
    fill_holes: bool = True

    @property
    def method_name(self) -> str:
        if self.method is not None:
            return self.method
        return "palette" if self.threshold is not None else "auto"

    def ignored_options(self) -> list[str]:
        """The palette-only fields set away from their defaults while the method is not
        ``palette``: the person-based methods read none of them (said in the answer's
        warnings rather than ignored silently)."""
        if self.method_name == "palette":
            return []
        default = CutRequest()
        return [name for name in _PALETTE_FIELDS if getattr(self, name) != getattr(default, name)]

    def backend_key(self) -> tuple:
        """Everything but ``output``: requests with the same key share a backend. The
        person-based methods read no palette field, so theirs are keyed at the defaults:
        one backend (and one load of the models) whatever palette values came along."""
        fields = asdict(self)
        fields.pop("output")
        fields["method"] = self.method_name
        if self.method_name != "palette":
            default = asdict(CutRequest())
            fields.update({name: default[name] for name in _PALETTE_FIELDS})
        return tuple(sorted(fields.items()))

    def palette_key(self) -> tuple:
        """The palette fields, as :func:`palette_method` takes them."""
        return tuple((name, getattr(self, name)) for name in _PALETTE_FIELDS)

    def check(self) -> "CutRequest":
        """Raise ValueError, with a message fit for the caller, for any bad value."""
        if self.method_name not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, "
                             f"got {self.method_name!r}")
        if self.target not in served_targets():
            raise ValueError(f"target must be one of {', '.join(served_targets())}, "
                             f"got {self.target!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        if self.output == "labels" and self.target == "figure":
            raise ValueError("output=labels needs target=garment (or another target with a "
                             "label map)")
        if self.output == "items" and self.target != "items":
            raise ValueError(f"output=items needs target=items, got target={self.target}")
        palette_method(self.palette_key())  # the library's checks of every palette option,
        build_backend(self)                 # used or not (as the command line checks them)
        return self


def build_backend(request: CutRequest):
    """The backend a request names, as ``runwaycut remove`` builds it; cached by
    :meth:`CutRequest.backend_key` so that a process builds (and loads) each once."""
    return _build(request.backend_key())


@lru_cache(maxsize=32)
def palette_method(key: tuple) -> PaletteMethod:
    """The palette backend of a request's :meth:`CutRequest.palette_key` (``ValueError``
    for a bad value)."""
    o = dict(key)
    value, rule = parse_threshold(o["threshold"], None, o["band"])
    return PaletteMethod(
        palette=PaletteParams(points=o["points"], strip=o["strip"], block=o["block"],
                              sampler=o["sampler"], seed=o["seed"]),
        mask=MaskParams(threshold=value, band=o["band"], vote=parse_vote(o["vote"])),
        figure=FigureParams(keep_largest=o["keep_largest"], fill_holes=o["fill_holes"]),
        threshold_rule=rule)


#: Threads of the neural models of the backends built in this process (a service
#: worker's share of the cores: :func:`use_threads`).
_THREADS = {"threads": 1}


def use_threads(threads: int) -> None:
    """Build backends whose neural models run on ``threads`` CPU threads from now on."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    _THREADS["threads"] = int(threads)
    _build.cache_clear()


@lru_cache(maxsize=32)
def _build(key: tuple):
    o = dict(key)
    if o["method"] == "palette":
        backend = palette_method(tuple((name, o[name]) for name in _PALETTE_FIELDS))
    else:
        backend = get_method(o["method"], num_threads=_THREADS["threads"])
    return TARGETS[o["target"]].wrap(backend)
