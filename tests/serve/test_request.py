"""Request parameters: the command line's defaults and checks, every library target."""

from __future__ import annotations

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from runwaycut.cli import app
from runwaycut.cli.remove import palette_options_to_method
from runwaycut.batch.targets import TARGETS
from runwaycut.serve import CutRequest, served_targets
from runwaycut.serve.cut import upload_stem
from runwaycut.serve.request import build_backend


def test_every_library_target_is_served():
    """A target added to the library's list must be wired into the service too."""
    assert served_targets() == tuple(TARGETS) and "items" in served_targets()


def test_defaults_are_those_of_runwaycut_remove():
    command = typer.main.get_command(app).commands["remove"]
    cli = {p.name: p.default for p in command.params}
    request = CutRequest()
    for name in ("band", "vote", "points", "strip", "block", "sampler", "seed", "keep_largest",
                 "fill_holes", "target", "threshold", "method"):
        assert getattr(request, name) == cli[name], name
    built = build_backend(CutRequest(method="palette"))
    assert built == palette_options_to_method(None, cli["band"], cli["vote"], cli["points"],
                                              cli["strip"], cli["block"], cli["sampler"],
                                              cli["seed"], cli["keep_largest"], cli["fill_holes"])


def test_person_based_methods_share_one_backend_whatever_palette_values_came():
    plain = build_backend(CutRequest(method="auto"))
    assert build_backend(CutRequest(method="auto", points=40, band="relative")) is plain
    assert build_backend(CutRequest(method="palette", points=40)).palette.points == 40
    with pytest.raises(ValueError):  # a bad palette value is still refused, used or not
        CutRequest(method="auto", points=0).check()


def test_method_follows_the_command_line_rule():
    assert CutRequest().method_name == "auto"
    assert CutRequest(threshold="30").method_name == "palette"
    assert build_backend(CutRequest(threshold="30")).mask.threshold == 30
    assert build_backend(CutRequest(target="garment")).name == "auto"


@pytest.mark.parametrize("fields", [{"method": "x"}, {"target": "hat"}, {"output": "gif"},
                                    {"points": 0}, {"strip": 0.9}, {"threshold": "-2"},
                                    {"band": "relative", "threshold": "auto"},
                                    {"output": "labels"}])
def test_bad_values_are_refused_before_any_photo(fields):
    with pytest.raises(ValueError):
        CutRequest(**fields).check()


@given(st.text(max_size=300))
def test_upload_stem_is_a_safe_file_name(name):
    stem = upload_stem(name)
    assert stem and len(stem) <= 100 and "/" not in stem and "\\" not in stem
    assert stem not in (".", "..") and not stem.startswith(".")
    assert all(c.isalnum() or c in "-_." for c in stem)


def test_upload_stem_keeps_a_plain_name():
    assert upload_stem("look-07.jpg") == "look-07"
    assert upload_stem("C:\\shots\\a b.png") == "ab"
    assert upload_stem("../../etc/passwd") == "passwd"


def test_palette_options_with_another_method_are_named_in_the_warnings():
    import numpy as np

    from runwaycut.methods.base import FigureResult
    from runwaycut.serve.cut import describe

    assert CutRequest(points=40, method="palette").ignored_options() == []
    assert CutRequest(points=16).ignored_options() == []  # the defaults
    request = CutRequest(method="person", points=40, keep_largest=False)
    assert request.ignored_options() == ["points", "keep_largest"]
    result = FigureResult(mask=np.zeros((4, 6), bool), method="person", details={})
    info = describe(np.zeros((4, 6, 3), np.uint8), result, request, {})
    assert info["warnings"] == ["points, keep_largest set but not used: only method=palette "
                                "reads them, not person"]
    plain = describe(np.zeros((4, 6, 3), np.uint8), result, CutRequest(method="person"), {})
    assert plain["warnings"] == []


def test_the_services_palette_fields_are_the_commands_palette_options():
    """Two lists (neither layer may import the other): one by option name for the
    command line, one by field name for the service; they must name the same settings,
    with the same defaults. ``--model`` (a file of the user's) has no service field."""
    from runwaycut.cli.remove import PALETTE_ONLY_DEFAULTS
    from runwaycut.serve.request import _PALETTE_FIELDS

    by_field = {option[2:].replace("-", "_"): default
                for option, default in PALETTE_ONLY_DEFAULTS.items() if option != "--model"}
    assert sorted(_PALETTE_FIELDS) == sorted(by_field)
    request = CutRequest()
    for name, default in by_field.items():
        assert getattr(request, name) == default, name
