"""``runwaycut evaluate`` and ``runwaycut tune`` end to end: CSV, summary, report, errors."""

from __future__ import annotations

import base64
import csv
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import CCP_DIR, CHROMIUM, needs_ccp, runway_scene
from runwaycut.cli import app
from runwaycut.evaluation.evaluate import ROW_COLUMNS, evaluate
from runwaycut.evaluation.report import render_report

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def masks_set(tmp_path) -> Path:
    """Three synthetic runway photos with their true figure masks (masks/ layout)."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i, stem in enumerate(("look1", "look2", "look3")):
        image, figure = runway_scene(seed=i)
        cv2.imwrite(str(root / "images" / f"{stem}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(root / "masks" / f"{stem}.png"), figure.astype(np.uint8) * 255)
    return root


def test_evaluate_writes_one_row_per_photo_and_the_summary(masks_set, tmp_path):
    out = tmp_path / "scores.csv"
    report = tmp_path / "report.html"
    r = run("evaluate", masks_set, "--csv", out, "--report", report, "--method", "palette")
    assert r.exit_code == 0, r.output
    rows = read_rows(out)
    assert list(rows[0]) == list(ROW_COLUMNS)
    assert [row["id"] for row in rows] == ["look1", "look2", "look3"]
    assert all(row["status"] == "ok" and float(row["threshold"]) == 20 for row in rows)
    # The palette method cuts these clean synthetic figures out almost perfectly.
    f1 = [float(row["f1"]) for row in rows]
    assert min(f1) > 0.95
    for row in rows:
        tp, fp, fn = (int(row[k]) for k in ("tp", "fp", "fn"))
        assert float(row["f1"]) == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-6)
    for word in ("mean", "median", "precision", "recall", "f1", "iou", "3 of 3 photos scored"):
        assert word in r.output
    assert f"{np.mean(f1):.4f}" in r.output
    assert report.is_file()


class _ImageCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables, self.headings = [], 0, []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        elif tag == "table":
            self.tables += 1
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data)
            self._in_h2 = False


def test_report_is_self_contained_and_its_images_decode(masks_set):
    ev = evaluate(masks_set, worst=2)
    page = render_report(ev)
    parser = _ImageCollector()
    parser.feed(page)
    assert "Summary" in parser.headings and "Worst 2 photos" in parser.headings
    assert "Scores against threshold" in parser.headings
    # Plot + distribution + 4 thumbnails per worst photo, all embedded PNGs.
    assert len(parser.images) == 2 + 4 * 2
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
        assert decoded is not None and decoded.shape[0] > 20 and decoded.shape[1] > 20
    assert "http://" not in page and "https://" not in page
    assert page.count("<tr>") >= 3 + 5  # the three photos' rows and the summary


def test_missing_labels_are_skipped_and_reported(masks_set, tmp_path):
    (masks_set / "masks" / "look2.png").unlink()
    out = tmp_path / "s.csv"
    r = run("evaluate", masks_set, "--csv", out)
    assert r.exit_code == 0, r.output
    assert "skipped 1 photo" in r.output and "look2.png" in r.output
    rows = {row["id"]: row for row in read_rows(out)}
    assert rows["look2"]["status"] == "skipped" and rows["look2"]["f1"] == ""
    assert rows["look1"]["status"] == "ok"


def test_label_of_another_size_fails_that_photo_only(masks_set, tmp_path):
    cv2.imwrite(str(masks_set / "masks" / "look3.png"), np.zeros((10, 12), np.uint8))
    out = tmp_path / "s.csv"
    r = run("evaluate", masks_set, "--csv", out)
    assert r.exit_code == 2
    assert "look3.png: label is 12x10 but its photo is 120x160" in r.output
    rows = {row["id"]: row for row in read_rows(out)}
    assert rows["look3"]["status"] == "failed" and rows["look1"]["status"] == "ok"


@pytest.mark.parametrize("styled", [False, True], ids=["plain", "FORCE_COLOR"])
def test_names_that_look_like_markup_are_printed_as_they_are(masks_set, tmp_path, styled):
    """File names in messages are not read as Rich markup: ``[red]look4.png`` is named
    whole in its error line, and the CSV's path in the last line."""
    import re

    image, _ = runway_scene(seed=4)
    cv2.imwrite(str(masks_set / "images" / "[red]look4.png"), image)
    cv2.imwrite(str(masks_set / "masks" / "[red]look4.png"), np.zeros((10, 12), np.uint8))
    out = tmp_path / "[bold]s.csv"
    result = runner.invoke(app, ["evaluate", str(masks_set), "--csv", str(out)],
                           env={"FORCE_COLOR": "1" if styled else None, "TTY_COMPATIBLE": None})
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.output)
    assert result.exit_code == 2, shown
    assert "[red]look4.png: label is 12x10" in shown
    assert f"rows in {out}" in shown


def test_bad_input_gives_one_line_errors_and_no_csv(tmp_path, masks_set):
    out = tmp_path / "s.csv"
    r = run("evaluate", tmp_path / "nowhere", "--csv", out)
    assert r.exit_code == 2 and "no such folder" in r.output
    r = run("evaluate", masks_set, "--csv", out, "--target", "garment")
    assert r.exit_code == 2 and "only figure and background" in r.output
    r = run("evaluate", masks_set, "--csv", out, "--threshold", "lots")
    assert r.exit_code == 2 and "threshold must be a number" in r.output
    r = run("evaluate", masks_set, "--csv", out, "--method", "nosuch")
    assert r.exit_code == 2 and "unknown method 'nosuch'" in r.output
    assert not out.exists()


def test_threshold_best_beats_the_default_on_every_photo(masks_set, tmp_path):
    run("evaluate", masks_set, "--csv", tmp_path / "d.csv", "--band", "relative")
    r = run("evaluate", masks_set, "--csv", tmp_path / "b.csv", "--band", "relative",
            "--threshold", "best")
    assert r.exit_code == 0, r.output
    default = {row["id"]: float(row["f1"]) for row in read_rows(tmp_path / "d.csv")}
    for row in read_rows(tmp_path / "b.csv"):
        assert float(row["f1"]) >= default[row["id"]] - 1e-9
        assert float(row["raw_f1"]) <= float(row["f1"]) + 1e-9


@needs_ccp
def test_evaluate_on_ccp_photos_by_rule_and_best(tmp_path):
    r = run("evaluate", CCP_DIR, "--csv", tmp_path / "o.csv", "--threshold", "otsu",
            "--limit", "2")
    assert r.exit_code == 0, r.output
    # Each row: Otsu's threshold of the photo's distances and the F1 of the palette
    # figure there, both computed here (distances, Otsu, F1) from the photo and labels.
    from skimage.filters import threshold_otsu

    from conftest import ccp_figure, f1
    from runwaycut import read_image, remove_background
    from runwaycut.note.palette import sample_palette

    rows = read_rows(tmp_path / "o.csv")
    assert [row["id"] for row in rows] == ["0001", "0002"]
    for row in rows:
        image = read_image(CCP_DIR / "photos" / f"{row['id']}.jpg")
        colors = sample_palette(image).colors
        diff = np.abs(image[None].astype(np.int16) - colors[:, None, None].astype(np.int16))
        distance = diff.max(axis=3).min(axis=0)
        t = float(threshold_otsu(hist=np.bincount(distance.ravel(), minlength=256)))
        assert float(row["threshold"]) == t
        mask = remove_background(image, threshold=t).mask
        assert float(row["f1"]) == pytest.approx(f1(mask, ccp_figure(row["id"])), abs=1e-6)
    r = run("evaluate", CCP_DIR, "--csv", tmp_path / "b.csv", "--threshold", "best",
            "--limit", "2", "--target", "garment")
    assert r.exit_code == 0, r.output
    rows = read_rows(tmp_path / "b.csv")
    assert [row["id"] for row in rows] == ["0001", "0002"]
    # A figure mask scored against garments: recall can be high, precision cannot be 1.
    assert all(0 < float(row["precision"]) < 1 for row in rows)


def test_tune_writes_each_photos_best_threshold(masks_set, tmp_path):
    out = tmp_path / "t.csv"
    r = run("tune", masks_set, "--csv", out, "--band", "both", "--seeds", "2",
            "--candidates", "8")
    assert r.exit_code == 0, r.output
    rows = read_rows(out)
    assert len(rows) == 3 * 2 * 2
    assert {(row["band"], row["seed"]) for row in rows} == {
        (b, s) for b in ("absolute", "relative") for s in ("0", "1")}
    for row in rows:
        assert float(row["f1"]) >= float(row["default_f1"]) - 1e-9
        assert float(row["f1"]) > 0.95
    assert "best F1 mean" in r.output and "threshold std over seeds" in r.output


def test_seg_layout_end_to_end(tmp_path):
    root = tmp_path / "seg"
    root.mkdir()
    image, figure = runway_scene()
    cv2.imwrite(str(root / "show.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    seg = np.zeros(image.shape, np.uint8)
    seg[:] = (0, 0, 255)          # BGR red: background
    seg[figure] = (255, 0, 0)     # BGR blue: garment
    cv2.imwrite(str(root / "show-seg.jpg"), seg)
    r = run("evaluate", root, "--csv", tmp_path / "s.csv", "--target", "garment",
            "--method", "palette")
    assert r.exit_code == 0, r.output
    (row,) = read_rows(tmp_path / "s.csv")
    assert row["id"] == "show" and float(row["f1"]) > 0.9


def _chromium():
    return CHROMIUM  # the same binary as the page's browser tests


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(masks_set, tmp_path):
    report = tmp_path / "r.html"
    assert run("evaluate", masks_set, "--csv", tmp_path / "s.csv", "--report", report).exit_code == 0
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1000,3000", report.as_uri()],
                       capture_output=True, timeout=120, check=False)
    picture = cv2.imread(str(shot))
    assert picture is not None
    # Something was drawn: the page is not blank (text, plot and thumbnails).
    assert picture.std() > 20
    # The neon green of the predictions' removed pixels shows in the thumbnails.
    neon = np.all(np.abs(picture.astype(int) - (57, 255, 20)) < 30, axis=2)
    assert neon.sum() > 500


class _CentreBox:
    """A stand-in figure backend without a threshold: the middle third of the photo."""

    name = "centre-box"

    def predict(self, image):
        from runwaycut.methods import FigureResult

        mask = np.zeros(image.shape[:2], bool)
        h, w = mask.shape
        mask[:, w // 3: 2 * w // 3] = True
        return FigureResult(mask=mask, method=self.name)


def test_evaluate_library_thresholds_and_other_methods(masks_set):
    fixed = evaluate(masks_set, threshold=5, worst=0)
    assert {r["threshold"] for r in fixed.rows} == {5.0}
    assert fixed.settings["threshold"] == "5" and fixed.worst == []
    best = evaluate(masks_set, threshold="best", worst=1)
    assert all(b["f1"] >= f["f1"] for b, f in zip(best.rows, fixed.rows))
    assert "figure_f1" in best.curve.mean
    assert best.curve.mean["figure_f1"].max() <= 1.0
    box = evaluate(masks_set, _CentreBox())
    assert box.curve is None and box.summary["scored"] == 3
    # The middle third holds the body but misses the strap loop: recall < 1, plausible F1.
    assert all(0.3 < r["f1"] < 0.95 and r["recall"] < 1 for r in box.rows)
    with pytest.raises(ValueError, match="needs the palette method"):
        evaluate(masks_set, _CentreBox(), threshold="best")
    with pytest.raises(ValueError, match="applies to the palette method"):
        evaluate(masks_set, _CentreBox(), threshold=10)


@needs_ccp
def test_evaluate_defaults_to_the_auto_method(tmp_path):
    out = tmp_path / "auto.csv"
    r = run("evaluate", CCP_DIR, "--csv", out, "--limit", "2", "--vote", "majority")
    assert r.exit_code == 0, r.output
    # A palette option with the auto method: said, not silently ignored.
    assert "warning: --vote applies to --method palette only" in r.output
    rows = read_rows(out)
    assert len(rows) == 2 and all(row["status"] == "ok" for row in rows)
    # The fused person mask is far better than the palette method on street photos.
    assert min(float(row["f1"]) for row in rows) > 0.9


@needs_ccp
def test_photos_the_models_were_trained_on_are_said_or_left_out(tmp_path):
    """Scoring a trained method on CCP development photos warns that their scores are
    in-sample; --unseen leaves them out; a method that learned nothing from them (the
    note's palette at a number) is not warned about."""
    import shutil

    root = tmp_path / "ccp"
    (root / "photos").mkdir(parents=True)
    (root / "annotations" / "pixel-level").mkdir(parents=True)
    for stem in ("0001", "0002", "0087"):  # two trained on, one held out
        shutil.copy(CCP_DIR / "photos" / f"{stem}.jpg", root / "photos")
        shutil.copy(CCP_DIR / "annotations" / "pixel-level" / f"{stem}.mat",
                    root / "annotations" / "pixel-level")
    out = tmp_path / "scores.csv"
    trained = ("--method", "palette", "--threshold", "auto")
    report = tmp_path / "report.html"
    r = run("evaluate", root, "--csv", out, *trained, "--report", report)
    assert r.exit_code == 0, r.output
    assert "warning: 2 of the 3 photos scored are CCP development photos" in r.output
    assert "--unseen" in r.output
    assert "2 of the 3 photos scored are CCP development photos" in report.read_text()
    r = run("evaluate", root, "--csv", out, *trained, "--unseen", "--report", report)
    assert r.exit_code == 0, r.output
    assert "left out 2 development photos" in r.output and "in-sample" not in r.output
    assert "in-sample" not in report.read_text()
    assert [row["id"] for row in read_rows(out)] == ["0087"]
    r = run("evaluate", root, "--csv", out, "--method", "palette", "--threshold", "20")
    assert r.exit_code == 0 and "in-sample" not in r.output, r.output
    assert len(read_rows(out)) == 3
    r = run("evaluate", root, "--csv", out, "--target", "items", "--limit", "2",
            "--report", report)
    assert r.exit_code == 0, r.output
    assert "warning: 2 of the 2 photos scored are CCP development photos" in r.output
    assert "2 of the 2 photos scored are CCP development photos" in report.read_text()
    # A set of only such photos, with --unseen: nothing to score, said in one line.
    for stem in ("0087",):
        (root / "photos" / f"{stem}.jpg").unlink()
        (root / "annotations" / "pixel-level" / f"{stem}.mat").unlink()
    r = run("evaluate", root, "--csv", out, *trained, "--unseen")
    assert r.exit_code != 0 and "every photo is one the shipped models were trained on" in r.output
