"""A rerun into a folder made with other options: refused in the user's terms (the
options that differ), and a finished figure run may gain the garment outputs."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from runwaycut.batch.options import option_changes
from runwaycut.batch.params import PARAMS_FILE, describe
from runwaycut.cli import app
from runwaycut.cli.remove import apply_target, build_method, palette_options_to_method

runner = CliRunner()
PHOTO = Path(__file__).resolve().parents[2] / "examples" / "photos" / "0087.jpg"

DEFAULTS = dict(threshold=None, band="absolute", vote="any", points=16, strip=0.125, block=9,
                sampler="random", seed=0, keep_largest=True, fill_holes=True)


def described(method="palette", target="figure", **options) -> dict:
    """The recorded description of the backend ``remove`` builds from these options."""
    palette = palette_options_to_method(**{**DEFAULTS, **options})
    backend = apply_target(build_method(method, palette), target)
    return json.loads(json.dumps(describe(backend)))


def test_changes_in_the_users_terms():
    assert option_changes(described("auto"), described("auto", "garment")) == [
        "--target figure -> garment"]
    assert option_changes(described("auto", "garment"), described("person", "garment")) == [
        "--method auto -> person"]
    assert option_changes(described(), described(threshold="otsu", fill_holes=False,
                                                 vote="majority")) == [
        "--vote any -> majority", "--fill-holes -> --no-fill-holes",
        "--threshold default -> otsu"]
    # auto and person use no palette option: none of them changes those backends
    for method in ("auto", "person"):
        assert option_changes(described(method), described(method, threshold="12", points=8,
                                                           sampler="kmeans")) == []


def test_internal_changes_are_counted_not_listed():
    old = described("auto")
    old["band"]["radius"] = 12.0
    old["matting"]["eps"] = 0.01
    (change,) = option_changes(old, described("auto"))
    assert change.startswith("internal settings of --method auto")
    assert "band.radius 12.0 -> 10.0" in change


_OPTIONS = dict(points=st.integers(2, 40), strip=st.sampled_from([0.1, 0.125, 0.2]),
                block=st.integers(1, 15), sampler=st.sampled_from(["random", "kmeans"]),
                seed=st.integers(0, 5), band=st.sampled_from(["absolute", "relative"]),
                vote=st.sampled_from(["any", "majority", "0.25"]),
                keep_largest=st.booleans(), fill_holes=st.booleans())


@settings(max_examples=60, deadline=None)
@given(old=st.fixed_dictionaries(_OPTIONS), new=st.fixed_dictionaries(_OPTIONS))
def test_each_changed_option_is_named_once(old, new):
    changes = option_changes(described(**old), described(**new))
    differing = [k for k in old if old[k] != new[k]]
    assert len(changes) == len(differing)
    for key in differing:
        flag = "--" + key.replace("_", "-")
        assert sum(flag in c for c in changes) == 1, (key, changes)
    assert not any("type" in c or "{" in c for c in changes)


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def test_rerun_with_another_target(tmp_path):
    out = tmp_path / "out"
    first = run("remove", PHOTO, "-o", out, "--method", "person", "-j", "1")
    assert first.exit_code == 0, first.output
    mask = (out / "0087.mask.png").read_bytes()
    cutout = (out / "0087.png").read_bytes()
    # The figure run gains the garment outputs; its figure files stay as they were.
    garment = run("remove", PHOTO, "-o", out, "--method", "person", "--target", "garment",
                  "-j", "1")
    assert garment.exit_code == 0, garment.output
    for suffix in (".labels.png", ".garment.png", ".colors.json"):
        assert (out / f"0087{suffix}").stat().st_size > 0
    assert (out / "0087.mask.png").read_bytes() == mask
    assert (out / "0087.png").read_bytes() == cutout
    recorded = json.loads((out / PARAMS_FILE).read_text())["method"]
    assert recorded["type"] == "runwaycut.garment.GarmentMethod"
    # Back to the figure alone: refused (new photos would lack the garment's files).
    figure = run("remove", PHOTO, "-o", out, "--method", "person", "-j", "1")
    assert figure.exit_code == 2 and "--target garment -> figure" in figure.output
    # The garment run again: done already.
    again = run("remove", PHOTO, "-o", out, "--method", "person", "--target", "garment",
                "-j", "1")
    assert again.exit_code == 0 and "1 already done" in again.output, again.output
    # Another method: refused in one line naming the options, not the fields.
    other = run("remove", PHOTO, "-o", out, "--method", "auto", "--target", "garment",
                "--points", "8", "-j", "1")
    assert other.exit_code == 2
    lines = [line for line in other.output.splitlines() if line.strip()]
    assert lines[0].startswith("warning: --points applies to --method palette only"), lines
    lines = lines[1:]
    assert len(lines) == 1, other.output
    assert "--method person -> auto" in lines[0]
    assert "--points" not in lines[0]  # a palette option: neither backend uses it
    assert "band.confident" not in lines[0] and "type:" not in lines[0]
    assert len(lines[0]) < 300


def test_figure_run_then_other_target_and_points(tmp_path):
    out = tmp_path / "out"
    assert run("remove", PHOTO, "-o", out, "--threshold", "20", "-j", "1").exit_code == 0
    again = run("remove", PHOTO, "-o", out, "--threshold", "25", "--no-fill-holes", "-j", "1")
    assert again.exit_code == 2
    assert "(--fill-holes -> --no-fill-holes; --threshold 20 -> 25)" in again.output.replace(
        "\n", "")


def test_a_retrained_shipped_model_is_another_parameter(tmp_path, monkeypatch):
    """Results of another fusion classifier or item network are not reused: a folder
    records the checksums of the shipped models its backend reads."""
    import runwaycut.models as models

    out = tmp_path / "out"
    first = run("remove", PHOTO, "-o", out, "--method", "auto", "--target", "garment", "-j", "1")
    assert first.exit_code == 0, first.output
    recorded = json.loads((out / PARAMS_FILE).read_text())["method"]
    assert recorded["figure"]["fusion_sha256"] == models.CHECKSUMS["models/fusion.json"]
    assert recorded["items_sha256"] == models.CHECKSUMS["models/items_int8.onnx"]
    for name in ("models/fusion.json", "models/items_int8.onnx"):
        with monkeypatch.context() as patch:  # as if the package held a retrained file
            patch.setitem(models.CHECKSUMS, name, "0" * 64)
            rerun = run("remove", PHOTO, "-o", out, "--method", "auto", "--target",
                        "garment", "-j", "1")
        assert rerun.exit_code == 2, rerun.output
        assert "sha256" in rerun.output and "--overwrite" in rerun.output
    again = run("remove", PHOTO, "-o", out, "--method", "auto", "--target", "garment", "-j", "1")
    assert again.exit_code == 0 and "1 already done" in again.output, again.output
