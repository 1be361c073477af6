"""``runwaycut remove`` end to end on real photos: the written PNGs, exit codes, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from runwaycut import remove_background
from runwaycut.cli import app
from runwaycut.compose import NEON_GREEN_RGB
from runwaycut.io import read_image

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def error_lines(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if name in line]


def output_file(out: Path, name: str) -> Path:
    """The one file called ``name`` under ``out`` (sub-folders may mirror the inputs')."""
    found = list(out.rglob(name))
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def check_outputs(photo: Path, out: Path, overlay: bool = True, **params) -> np.ndarray:
    """Open the files written for ``photo`` and check them against it and each other."""
    image = read_image(photo)
    h, w = image.shape[:2]
    mask_path = output_file(out, f"{photo.stem}.mask.png")
    folder = mask_path.parent
    with Image.open(mask_path) as pil:
        assert pil.mode == "L" and pil.size == (w, h)
        mask = np.asarray(pil)
    assert set(np.unique(mask).tolist()) <= {0, 255}
    keep = mask == 255
    with Image.open(folder / f"{photo.stem}.png") as pil:
        assert pil.mode == "RGBA" and pil.size == (w, h)
        cutout = np.asarray(pil)
    np.testing.assert_array_equal(cutout[..., 3], mask)
    np.testing.assert_array_equal(cutout[keep][:, :3], image[keep])
    if overlay:
        with Image.open(folder / f"{photo.stem}.overlay.png") as pil:
            assert pil.mode == "RGB" and pil.size == (w, h)
            painted = np.asarray(pil)
        green = (painted == NEON_GREEN_RGB).all(axis=2)
        np.testing.assert_array_equal(green[~keep], True)
        np.testing.assert_array_equal(painted[keep], image[keep])
    else:
        assert not list(out.rglob(f"{photo.stem}.overlay.png"))
    # The command line gives what the library gives.
    np.testing.assert_array_equal(keep, remove_background(image, **params).mask)
    return keep


def test_good_and_bad_photos(ccp_photos, tmp_path):
    broken = tmp_path / "broken.jpg"
    data = ccp_photos[0].read_bytes()
    broken.write_bytes(data[: len(data) // 3])  # a truncated JPEG
    out = tmp_path / "out"
    result = run("remove", ccp_photos[0], broken, *ccp_photos[1:], "--out", out, "--overlay",
                 "--method", "palette")
    assert result.exit_code == 2, result.output
    lines = error_lines(result.output, str(broken))
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for photo in ccp_photos:  # the good ones are still done
        keep = check_outputs(photo, out)
        assert 0.05 < keep.mean() < 0.95  # a figure, not everything or nothing
        assert not error_lines(result.output, photo.name)
    assert not list(out.glob("broken*.png"))
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_all_good_exit_zero_and_options_reach_the_library(ccp_photos, tmp_path):
    out = tmp_path / "out"
    result = run("remove", ccp_photos[1], "--out", out, "--threshold", "12", "--band",
                 "absolute", "--vote", "majority", "--points", "8", "--strip", "0.1",
                 "--block", "5", "--seed", "3", "--no-keep-largest")
    assert result.exit_code == 0, result.output
    check_outputs(ccp_photos[1], out, overlay=False, threshold=12, vote="majority", points=8,
                  strip=0.1, block=5, seed=3, keep_largest=False)


def test_relative_band_and_kmeans(ccp_photos, tmp_path):
    out = tmp_path / "out"
    result = run("remove", ccp_photos[2], "--out", out, "--band", "relative",
                 "--threshold", "0.1", "--sampler", "kmeans", "--overlay")
    assert result.exit_code == 0, result.output
    check_outputs(ccp_photos[2], out, band="relative", threshold=0.1, sampler="kmeans")


def test_folder_input(ccp_photos, tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    for photo in ccp_photos[:2]:
        shutil.copy(photo, folder / photo.name)
    (folder / "notes.txt").write_text("not a photo")
    out = tmp_path / "out"
    result = run("remove", folder, "--out", out, "--method", "palette")
    assert result.exit_code == 0, result.output
    for photo in ccp_photos[:2]:
        check_outputs(folder / photo.name, out, overlay=False)


@pytest.mark.parametrize("option", [["--band", "hsv"], ["--vote", "most"],
                                    ["--threshold", "-3"], ["--sampler", "grid"],
                                    ["--points", "0"]])
def test_bad_option_values(ccp_photos, tmp_path, option):
    result = run("remove", ccp_photos[0], "--out", tmp_path / "out", *option)
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("error:") or "Invalid value" in result.output
    assert not list((tmp_path / "out").rglob("*.png"))


def test_missing_photo_only(tmp_path):
    missing = tmp_path / "nowhere.jpg"
    result = run("remove", missing, "--out", tmp_path / "out")
    assert result.exit_code == 2
    lines = error_lines(result.output, str(missing))
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output


def test_console_script_has_no_traceback(tmp_path):
    """The real process: what a user sees for a file that is not a photo."""
    bad = tmp_path / "letter.jpg"
    bad.write_text("Dear runwaycut, ...")
    proc = subprocess.run([sys.executable, "-c", "from runwaycut.cli import main; main()",
                           "remove", str(bad), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = error_lines(proc.stderr, str(bad))
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr


@pytest.mark.parametrize("styled", [False, True], ids=["pipe", "FORCE_COLOR"])
def test_messages_are_verbatim_and_rich_loads_only_to_style_them(tmp_path, styled):
    """Where stderr is not a terminal, plain lines and Rich not imported (about 55 ms of
    every run's start-up); told to style (``FORCE_COLOR``), through Rich. Either way a
    name that looks like Rich markup is printed as it is."""
    import os
    import re

    bad = tmp_path / "[red]letter.jpg"
    bad.write_text("Dear runwaycut, ...")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    if styled:
        env["FORCE_COLOR"] = "1"
    code = ("import sys\nfrom runwaycut.cli import main\ntry:\n    main()\n"
            "finally:\n    print('rich' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, "remove", str(bad),
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2
    assert proc.stdout.strip() == str(styled)
    # Where styled: colour and cursor codes, and the bar redrawn after a carriage return.
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", proc.stderr).replace("\r", "\n")
    lines = error_lines(shown, str(bad))
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr


def test_a_run_in_one_process_does_not_load_the_process_pool(tmp_path):
    """One photo (or -j 1) runs in this process: neither the process pool nor
    multiprocessing is imported (about 16 ms of its start-up); two workers do use them."""
    for k in range(2):
        Image.fromarray(np.full((120, 90, 3), 100 + k, np.uint8)).save(tmp_path / f"p{k}.png")
    code = ("import sys\nfrom runwaycut.cli import main\ntry:\n    main()\nfinally:\n"
            "    print(sorted(m for m in ('multiprocessing', 'concurrent.futures.process')"
            " if m in sys.modules))")

    def loaded(*args):
        proc = subprocess.run([sys.executable, "-c", code, "remove", *map(str, args),
                               "--method", "palette", "--out", str(tmp_path / "out")],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    assert loaded(tmp_path / "p0.png") == "[]"
    assert loaded(tmp_path, "-j", "1", "--overwrite") == "[]"
    pool = "['concurrent.futures.process', 'multiprocessing']"
    assert loaded(tmp_path, "-j", "2", "--overwrite") == pool


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("stderr", ["full", "closed"])
def test_a_stderr_that_cannot_be_written_does_not_change_the_exit_code(tmp_path, stderr):
    """Messages are dropped when stderr is full or closed; the exit code still tells
    (2 for a missing photo, 0 for a photo done) and the files are written."""
    import os

    photo = tmp_path / "grey.png"
    Image.fromarray(np.full((120, 90, 3), 128, np.uint8)).save(photo)
    out = tmp_path / "out"
    with open("/dev/full", "w") as full:
        def run_with(*args):
            return subprocess.run(
                [sys.executable, "-c", "from runwaycut.cli import main; main()", "remove",
                 *map(str, args), "--out", str(out)],
                stdout=subprocess.DEVNULL, stderr=full, timeout=120,
                preexec_fn=(lambda: os.close(2)) if stderr == "closed" else None)

        assert run_with(tmp_path / "missing.jpg").returncode == 2
        assert run_with(photo, "--method", "palette").returncode == 0
    assert (out / "grey.mask.png").is_file()


def test_error_for_too_narrow_strips_names_the_photo(tmp_path):
    narrow = tmp_path / "narrow.png"
    Image.fromarray(np.full((100, 66, 3), 200, np.uint8)).save(narrow)  # strips 8 px < 9
    result = run("remove", narrow, "--out", tmp_path / "out", "--method", "palette")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(narrow) in lines[0], result.output


def test_default_method_is_auto_with_a_soft_cutout(ccp_photos, tmp_path):
    out = tmp_path / "out"
    result = run("remove", ccp_photos[0], "--out", out)
    assert result.exit_code == 0, result.output
    image = read_image(ccp_photos[0])
    with Image.open(output_file(out, f"{ccp_photos[0].stem}.mask.png")) as pil:
        mask = np.asarray(pil)
    with Image.open(output_file(out, f"{ccp_photos[0].stem}.png")) as pil:
        alpha = np.asarray(pil)[..., 3]
    assert mask.shape == alpha.shape == image.shape[:2]
    assert set(np.unique(mask).tolist()) <= {0, 255}      # the mask stays binary
    keep = mask == 255
    assert 0.05 < keep.mean() < 0.6
    kernel = np.ones((9, 9), np.uint8)
    inside = cv2.erode(keep.astype(np.uint8), kernel).astype(bool)
    outside = ~cv2.dilate(keep.astype(np.uint8), kernel).astype(bool)
    # The matte is soft only along the outline: opaque inside, transparent outside.
    assert (alpha[inside] == 255).all() and (alpha[outside] == 0).all()
    assert ((alpha > 0) & (alpha < 255)).any()


def test_no_person_found_is_a_warning_not_a_silent_success(tmp_path):
    empty = tmp_path / "empty-set.png"
    Image.fromarray(np.full((200, 150, 3), 128, np.uint8)).save(empty)  # nobody there
    out = tmp_path / "out"
    result = run("remove", empty, "--out", out)
    assert result.exit_code == 0, result.output
    assert any(line.startswith("warning:") and str(empty) in line and "no person" in line
               for line in result.output.splitlines()), result.output
    with Image.open(output_file(out, "empty-set.mask.png")) as pil:
        assert not np.asarray(pil).any()
    row = json.loads((out / "manifest.jsonl").read_text().splitlines()[0])
    assert row["status"] == "ok" and row["figure_fraction"] == 0 and "no person" in row["warning"]


def test_palette_only_options_are_named_when_the_method_ignores_them(tmp_path):
    from runwaycut.cli.remove import ignored_palette_options

    assert ignored_palette_options("palette", points=40, band="relative") == []
    assert ignored_palette_options("auto") == []
    assert ignored_palette_options("auto", points=16, strip=1 / 8) == []  # the defaults
    assert ignored_palette_options("person", points=40, keep_largest=False,
                                   threshold="30") == ["--threshold", "--points",
                                                       "--no-keep-largest"]
    # On the command line: a warning that names them, before any photo is read.
    result = run("remove", tmp_path / "missing.jpg", "-o", tmp_path / "out",
                    "--method", "auto", "--points", "40", "--sampler", "kmeans")
    assert "--points, --sampler apply to --method palette only" in result.output
    assert "--method auto does not use them" in result.output


def test_palette_only_defaults_are_the_commands_own():
    import typer

    from runwaycut.cli.remove import PALETTE_ONLY_DEFAULTS

    for command in ("remove", "explain"):
        params = {p.name: p.default for p in typer.main.get_command(app).commands[command].params}
        for option, default in PALETTE_ONLY_DEFAULTS.items():
            assert params[option[2:].replace("-", "_")] == default, (command, option)


def test_help_prose_wraps_once_at_the_terminals_width():
    """Each paragraph of a command's help is one line for the terminal to wrap: no
    half-empty lines where the docstring's own line breaks fell (80 columns)."""
    import os
    import subprocess
    import sys

    for command in ("remove", "explain", "evaluate", "tune", "train", "serve"):
        shown = subprocess.run([sys.executable, "-c", "from runwaycut.cli import main; main()",
                                command, "--help"], capture_output=True, text=True,
                               env={**os.environ, "COLUMNS": "80", "TERM": "dumb"},
                               check=True).stdout
        prose = shown.split("╭")[0].splitlines()[3:]  # after the usage line
        assert any(line.strip() for line in prose), command
        for line, after in zip(prose, prose[1:]):
            if line.strip() and after.strip():  # a line followed by more of its paragraph
                assert len(line.rstrip()) >= 60, (command, line)
