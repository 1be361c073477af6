"""``runwaycut explain``: what the figure shows is what ``remove`` computes."""

from __future__ import annotations

import io
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from runwaycut import remove_background
from runwaycut.cli import app
from runwaycut.note.colormask import MaskParams, band_bounds
from runwaycut.explain.drawing import _flow
from runwaycut.explain.figure import (Explanation, default_panels, draw_explanation, explain,
                                      explain_figure, figure_to_array, render)
from runwaycut.note.figure import FigureParams
from runwaycut.methods import PaletteMethod
from runwaycut.note.palette import PaletteParams

from conftest import runway_scene

runner = CliRunner()


def inrange_masks(image, colors, threshold, band):
    out = []
    for c in colors:
        lo, hi = band_bounds(c, threshold, band)
        out.append(cv2.inRange(image, tuple(map(float, lo)), tuple(map(float, hi))) > 0)
    return np.stack(out)


@pytest.mark.parametrize("method", [
    PaletteMethod(),
    PaletteMethod(mask=MaskParams(threshold=0.25, band="relative", vote="majority")),
    PaletteMethod(palette=PaletteParams(points=6, sampler="kmeans"),
                  figure=FigureParams(fill_holes=False)),
])
def test_explanation_matches_remove(method):
    image, _ = runway_scene(seed=2)
    ex = explain(image, method)
    p, m, f = method.palette, method.mask, method.figure
    ref = remove_background(image, m.threshold, band=m.band, vote=m.vote, points=p.points,
                            strip=p.strip, block=p.block, sampler=p.sampler, seed=p.seed,
                            keep_largest=f.keep_largest, fill_holes=f.fill_holes)
    np.testing.assert_array_equal(ex.result.mask, ref.mask)
    np.testing.assert_array_equal(ex.result.palette.colors, ref.palette.colors)
    masks = inrange_masks(image, ex.result.palette.colors, ex.threshold, m.band)
    # Per-colour panels: each colour's share of the photo is its inRange mask's share.
    np.testing.assert_allclose(ex.color_fractions, masks.mean(axis=(1, 2)))
    # The combined mask is the vote over those inRange masks.
    np.testing.assert_array_equal(ex.background, masks.sum(axis=0) >= ex.votes)
    assert ex.color_masks.shape == (len(masks),) + image.shape[:2]  # small: shown unscaled
    np.testing.assert_array_equal(ex.color_masks > 0, masks)


def test_large_photos_are_drawn_reduced():
    image, _ = runway_scene(1200, 900)
    ex = explain(image)
    assert max(ex.color_masks.shape[1:]) <= 640
    assert ex.result.mask.shape == (1200, 900)  # computed at full size


def test_default_figure_has_every_panel_in_order(scene):
    image, _ = scene
    fig = explain_figure(image, name="scene.png")
    titles = [t.get_text() for t in _all_subfigure_titles(fig)]
    expected = [f"{i}. {p.title}" for i, p in enumerate(default_panels(), start=1)]
    assert titles == expected
    text = " ".join(_all_texts(fig))
    assert "scene.png" in text and "threshold 20" in text and "±20" in text
    array = figure_to_array(fig, dpi=50)
    assert array.dtype == np.uint8 and array.ndim == 3
    assert array.shape[:2] == (round(fig.get_figheight() * 50), round(fig.get_figwidth() * 50))
    assert array.std() > 20  # drawn, not blank


class RecordingPanel:
    """An extra panel, as a later issue will add (e.g. the predicted threshold)."""

    title = "Predicted threshold"

    def __init__(self):
        self.seen: Explanation | None = None

    def width(self, ex):
        return 0.8

    def draw(self, fig, ex):
        self.seen = ex
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, f"predicted {ex.extras['predicted']:g}")


def test_panels_are_a_list_that_extends(scene):
    image, _ = scene
    extra = RecordingPanel()
    panels = default_panels() + [extra]
    fig = explain_figure(image, panels=panels,
                         extras={"predicted": 17.0, "threshold_marks": {"predicted": 17.0}})
    assert extra.seen is not None and extra.seen.extras["predicted"] == 17.0
    titles = [t.get_text() for t in _all_subfigure_titles(fig)]
    assert titles[-1] == f"{len(panels)}. Predicted threshold"
    texts = _all_texts(fig)
    assert "predicted 17" in texts
    assert any("predicted = 17" in t for t in texts)  # marked on the histogram too
    only = draw_explanation(explain(image, extras={"predicted": 3}), [extra])
    assert [t.get_text() for t in _all_subfigure_titles(only)] == ["1. Predicted threshold"]


def test_checkerboard_cutout_and_bad_style(scene):
    image, _ = scene
    fig = explain_figure(image, panels=default_panels(cutout_style="checker"))
    assert "transparent" in " ".join(_all_texts(fig))
    with pytest.raises(ValueError):
        default_panels(cutout_style="purple")
    with pytest.raises(ValueError):
        draw_explanation(explain(image), [])


def test_flow_layout():
    assert _flow([1, 1, 1], 2) == [[0, 1], [2]]
    assert _flow([3, 1], 2) == [[0], [1]]          # a wide panel gets its own row
    assert _flow([0.5] * 4, 2) == [[0, 1, 2, 3]]


def test_no_pyplot_state():
    code = ("import sys, numpy as np\n"
            "from runwaycut.explain import explain_figure, render\n"
            "img = np.full((100, 80, 3), 220, np.uint8); img[20:90, 30:50] = (120, 30, 40)\n"
            "render(explain_figure(img), dpi=30)\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_render_formats(scene):
    image, _ = scene
    fig = explain_figure(image, panels=default_panels()[:2])
    png = render(fig, dpi=40)
    with Image.open(io.BytesIO(png)) as pil:
        assert pil.format == "PNG"
    assert render(fig, format="svg").lstrip().startswith(b"<?xml")
    assert render(fig, format="pdf").startswith(b"%PDF")


# --- command line -----------------------------------------------------------------------

def test_cli_writes_the_figure(ccp_photos, tmp_path):
    out = tmp_path / "figs" / "explain.png"
    result = runner.invoke(app, ["explain", str(ccp_photos[0]), "--out", str(out),
                                 "--threshold", "11", "--band", "absolute", "--vote", "any",
                                 "--points", "8", "--strip", "0.125", "--block", "9",
                                 "--sampler", "random", "--seed", "4", "--dpi", "60"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as pil:
        assert pil.format == "PNG" and pil.mode in ("RGB", "RGBA")
        width, height = pil.size
    assert 500 < width < 2000 and 300 < height < 1500
    assert [p.name for p in out.parent.iterdir()] == ["explain.png"]  # no temporary left


def independent_otsu(image: np.ndarray, colors: np.ndarray) -> float:
    """Otsu's threshold of the absolute-band distance map, both computed here: a pixel's
    distance is its smallest (over palette colours) largest channel difference."""
    from skimage.filters import threshold_otsu

    diff = np.abs(image[None].astype(np.int16) - colors[:, None, None].astype(np.int16))
    distance = diff.max(axis=3).min(axis=0)
    return float(threshold_otsu(hist=np.bincount(distance.ravel(), minlength=256)))


def test_cli_threshold_rule(ccp_photos, tmp_path):
    from runwaycut.io import read_image
    from runwaycut.threshold.rules import otsu_threshold

    out = tmp_path / "otsu.png"
    result = runner.invoke(app, ["explain", str(ccp_photos[1]), "--out", str(out),
                                 "--threshold", "otsu", "--cutout", "checker", "--dpi", "40"])
    assert result.exit_code == 0, result.output
    # The figure drawn is the explanation of the photo at Otsu's threshold (computed
    # here from the distances), not at the default: the same picture as the library's.
    image = read_image(ccp_photos[1])
    ex = explain(image, PaletteMethod(threshold_rule=otsu_threshold))
    assert ex.threshold == independent_otsu(image, ex.result.palette.colors) != 20
    panels = default_panels(cutout_style="checker")
    with Image.open(out) as pil:
        written = np.asarray(pil.convert("RGB"))
    drawn = [np.asarray(Image.open(io.BytesIO(render(
        explain_figure(image, PaletteMethod(threshold_rule=rule), panels=panels,
                       name=ccp_photos[1].name), dpi=40))).convert("RGB"))
        for rule in (otsu_threshold, None)]
    assert np.array_equal(written, drawn[0])
    assert drawn[1].shape != written.shape or not np.array_equal(written, drawn[1])


@pytest.mark.parametrize("args, name", [
    (["{bad}", "--out", "{out}"], "{bad}"),
    (["{missing}", "--out", "{out}"], "{missing}"),
    (["{narrow}", "--out", "{out}", "--method", "palette"], "{narrow}"),  # strips < a block
    (["{narrow}", "--out", "{tmp}/fig.gif"], "fig.gif"),
    (["{narrow}", "--out", "{out}", "--band", "hsv"], "band"),
])
def test_cli_bad_input(tmp_path, args, name):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    narrow = tmp_path / "narrow.png"
    Image.fromarray(np.full((100, 66, 3), 200, np.uint8)).save(narrow)  # strips too narrow
    names = dict(bad=bad, missing=tmp_path / "missing.jpg", narrow=narrow,
                 out=tmp_path / "fig.png", tmp=tmp_path)
    argv = ["explain"] + [a.format(**names) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert name.format(**names) in lines[0]
    assert not (tmp_path / "fig.png").exists()


def test_cli_refuses_to_overwrite_the_photo(ccp_photos, tmp_path):
    photo = tmp_path / "photo.png"
    Image.open(ccp_photos[0]).save(photo)
    before = photo.read_bytes()
    result = runner.invoke(app, ["explain", str(photo), "--out", str(photo)])
    assert result.exit_code == 2
    assert photo.read_bytes() == before


def _all_subfigure_titles(fig):
    """Titles of the panels (the innermost sub-figures), in reading order."""
    found = []
    for row in fig.subfigs:
        for cell in row.subfigs:
            if cell._suptitle is not None:
                found.append(cell._suptitle)
    return found


def _all_texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]
