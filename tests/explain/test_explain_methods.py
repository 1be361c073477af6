"""``runwaycut explain`` takes remove's --method and --target and draws that method's
steps: auto's person probability, uncertain band, fused mask and matte; the garment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image
from typer.testing import CliRunner

from runwaycut.batch.params import describe
from runwaycut.cli import app
from runwaycut.explain import explain_method, explain_person
from runwaycut.garment import GarmentMethod
from runwaycut.io import read_image
from runwaycut.methods.threads import available_threads, with_threads
from runwaycut.methods import AutoMethod, PaletteMethod, PersonMethod
from runwaycut.person.fusion import band_inputs, band_mask

runner = CliRunner()
PHOTO = Path(__file__).resolve().parents[2] / "examples" / "photos" / "0087.jpg"


def panel_titles(fig) -> list[str]:
    return [cell._suptitle.get_text().split(". ", 1)[1]
            for row in fig.subfigs for cell in row.subfigs if cell._suptitle is not None]


def backend_of(monkeypatch, command: str, args: list[str], tmp_path) -> object:
    """The backend ``runwaycut COMMAND`` builds from ``args`` (its work stubbed out)."""
    seen = {}
    if command == "explain":
        def fake(image, backend, **kw):
            seen["backend"] = backend
            return Figure()
        # (cli.explain imports it when it runs: matplotlib is slow to import)
        monkeypatch.setattr("runwaycut.explain.methods.explain_method", fake)
        argv = ["explain", str(PHOTO), "-o", str(tmp_path / "fig.png")]
    else:
        def fake(photos, out, backend, **kw):
            seen["backend"] = backend
            raise KeyboardInterrupt
        monkeypatch.setattr("runwaycut.cli.remove.run_collection", fake)
        argv = ["remove", str(PHOTO), "-o", str(tmp_path / "out")]
    result = runner.invoke(app, argv + args)
    assert "backend" in seen, result.output
    return seen["backend"]


@pytest.mark.parametrize("args, kind", [
    ([], AutoMethod),
    (["--method", "person"], PersonMethod),
    (["--threshold", "20"], PaletteMethod),
    (["--method", "palette", "--points", "8", "--sampler", "kmeans"], PaletteMethod),
    (["--target", "garment"], AutoMethod),
    (["--method", "person", "--target", "garment"], PersonMethod),
])
def test_explain_builds_the_backend_remove_builds(monkeypatch, tmp_path, args, kind):
    explained = backend_of(monkeypatch, "explain", args, tmp_path)
    removed = backend_of(monkeypatch, "remove", args, tmp_path)
    # remove's backend, its models on every core (one photo: runwaycut.methods.threads)
    assert describe(explained) == describe(with_threads(removed, available_threads()))
    figure = explained.figure if isinstance(explained, GarmentMethod) else explained
    assert isinstance(figure, kind)
    assert isinstance(explained, GarmentMethod) == ("garment" in args)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return read_image(PHOTO)


def test_auto_steps_are_what_remove_computes(auto, photo):
    ex = explain_person(photo, auto)
    assert ex.is_auto and ex.image.shape[:2] == ex.work_shape  # 550x811: no resizing
    expected = auto.predict(photo)
    np.testing.assert_array_equal(ex.result.mask, expected.mask)
    np.testing.assert_array_equal(ex.result.alpha, expected.alpha)
    _, est = auto.estimate(photo)
    np.testing.assert_array_equal(ex.person, est.probability)
    # The band the classifier decided in: found at half size (a 550x811 photo), enlarged.
    work, _ = auto.estimate(photo)
    k, inputs = band_inputs(work, est, auto.band)
    assert k == 2
    small = band_mask(inputs[1], inputs[3], auto.band)[0]
    enlarged = np.kron(small, np.ones((2, 2), bool))[:work.shape[0], :work.shape[1]]
    np.testing.assert_array_equal(ex.band, enlarged)
    assert "10-px band at half size" in ex.title()
    # The band hugs the person's outline: a thin strip, holding the whole outline.
    person = ex.person > ex.person_threshold
    assert 0.005 < ex.band.mean() < 0.15
    edge = person ^ np.roll(person, 1, axis=1)
    assert ex.band[edge].all()
    # Outside the band the person models decide; inside, the classifier changed some.
    fused = ex.fused > 0.5
    np.testing.assert_array_equal(fused[~ex.band], person[~ex.band])
    assert (fused[ex.band] != person[ex.band]).any()


def test_auto_figure_draws_auto_steps(auto, photo):
    titles = panel_titles(explain_method(photo, auto, name="0087.jpg"))
    assert titles == ["Photo, person and pose", "Person probability", "Uncertain band → fusion",
                      "Fused mask", "Alpha matte", "Cutout"]
    person_titles = panel_titles(explain_method(photo, PersonMethod()))
    assert "Uncertain band → fusion" not in person_titles
    assert "Person probability" in person_titles and "Figure mask" in person_titles


def test_garment_target_adds_the_label_map(auto, photo):
    fig = explain_method(photo, GarmentMethod(auto))
    titles = panel_titles(fig)
    assert titles[:4] == ["Photo, person and pose", "Person probability",
                          "Uncertain band → fusion", "Fused mask"]
    assert titles[-2:] == ["Garment, skin + hair, accessories", "Garment colours"]


def test_items_target_draws_each_item_s_colours_as_items_json_lists_them(auto, photo):
    """The item colour panel: one row per item found, its colours' bars in the colours
    and order of the item's own list (what items.json writes)."""
    from matplotlib.patches import Rectangle

    from runwaycut.garment.items_outputs import ItemsMethod

    method = ItemsMethod(auto)
    fig = explain_method(photo, method)
    assert panel_titles(fig)[-2:] == ["Items", "Item colours"]
    items = method.predict(photo).details["items"]
    expected = [(f"{name}: {c.name}", tuple(c.rgb)) for name in items.present
                for c in items.colors[name]]
    assert len(expected) >= len(items.present) >= 3
    [panel] = [ax for ax in fig.get_axes() if ax.get_title().startswith("each item's colours")]
    drawn = [(p.get_label(), tuple(np.round(np.array(p.get_facecolor()[:3]) * 255).astype(int)))
             for p in panel.patches if isinstance(p, Rectangle) and ": " in p.get_label()]
    assert drawn == expected
    texts = " ".join(t.get_text() for t in panel.texts)
    assert all(name in texts for name in items.present)


def test_cli_default_is_auto(tmp_path):
    out = tmp_path / "fig.png"
    result = runner.invoke(app, ["explain", str(PHOTO), "-o", str(out), "--dpi", "40"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as pil:
        assert pil.format == "PNG" and pil.size[0] > 300
    result = runner.invoke(app, ["explain", str(PHOTO), "-o", str(out), "--method", "nope"])
    assert result.exit_code == 2 and "nope" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("target", ["figure", "items"])
def test_every_caption_and_legend_lies_inside_the_figure(auto, photo, target):
    """The layout leaves room for every caption and legend: none runs off the figure
    (the legends of the bottom row and the cutout's caption, at the end of a row, used
    to), nor is wider than its panel."""
    from runwaycut.garment.items_outputs import ItemsMethod

    backend = auto if target == "figure" else ItemsMethod(auto)
    fig = explain_method(photo, backend, name="0087.jpg")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    shown = []  # (text, the width of its panel)
    for ax in fig.get_axes():
        legend = ax.get_legend()
        texts = [ax.xaxis.label, ax.title] + ([] if legend is None else legend.get_texts())
        shown += [(t, ax.get_figure().bbox.width) for t in texts
                  if t.get_text() and t.get_visible()]
    assert any("neon green" in t.get_text() for t, _ in shown)
    for text, panel in shown:
        box = text.get_window_extent(renderer)
        assert (box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width
                and box.y1 <= height), (text.get_text(), box.bounds)
        assert box.width <= panel, text.get_text()
