"""Resume and the batch's edges (issue 13 points 2, 7, 8, 11, 15; issue 15 point 4):
a rerun recognises each photo, checks every output of its target, keeps rows whole and
in input order, and never takes its own outputs for photos."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from runwaycut.batch.inputs import collect_photos
from runwaycut.batch.manifest import read_manifest
from runwaycut.batch.run import LOCK_FILE, run_collection
from runwaycut.methods import PaletteMethod
from conftest import png_files, rows_without_timing
from test_batch import make_photos, synthetic_photo

import runwaycut


@pytest.fixture
def ctrl_c():
    """Python's own SIGINT handler (KeyboardInterrupt), whatever the test runner was
    started with: a shell's background job starts with SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


REPO = Path(__file__).resolve().parents[2]
#: The source tree this test process imports runwaycut from; the commands it runs too.
SOURCE = Path(runwaycut.__file__).resolve().parents[1]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from runwaycut.cli import main; main()",
                           "remove", *args], capture_output=True, text=True, timeout=300,
                          check=False, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(SOURCE),
                               "COLUMNS": "60", **(env or {})})


def other_photos(folder: Path, n: int) -> list[Path]:
    """``n`` photos named as :func:`make_photos` names them, but other pictures."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"{i:04d}.jpg"
        Image.fromarray(synthetic_photo(100 + i)).save(path, quality=92)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- recognise


def test_other_photos_under_the_same_names_are_redone(tmp_path):
    make_photos(tmp_path / "s1", 3)
    other_photos(tmp_path / "s2", 3)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    run_collection(collect_photos([tmp_path / "s1"]), out, PaletteMethod(), overlay=True,
                   workers=1, resume=False)
    run_collection(collect_photos([tmp_path / "s1"]), out, PaletteMethod(), workers=1,
                   resume=False)  # s1's files, an overlay of an earlier run among them
    second = collect_photos([tmp_path / "s2"])
    summary = run_collection(second, out, PaletteMethod(), workers=1)
    assert (summary.ok, summary.skipped) == (3, 0)
    run_collection(second, fresh, PaletteMethod(), workers=1)
    assert png_files(out) == png_files(fresh)  # s2's results, none of s1's
    from runwaycut.batch.photo import photo_fingerprint

    rows = read_manifest(out / "manifest.jsonl")[3:]
    for row, (path, _) in zip(rows, second):
        size, _, digest = photo_fingerprint(path)
        assert (row["size_bytes"], row["sha256"]) == (size, digest)
    assert rows_without_timing(out / "manifest.jsonl")[3:] == rows_without_timing(
        fresh / "manifest.jsonl")


def test_a_touched_or_copied_photo_is_still_recognised(tmp_path):
    make_photos(tmp_path / "in", 2)
    photos = collect_photos([tmp_path / "in"])
    out = tmp_path / "out"
    run_collection(photos, out, PaletteMethod(), workers=1)
    os.utime(photos[0][0], ns=(1, 1))  # same bytes, another modification time
    summary = run_collection(photos, out, PaletteMethod(), workers=1)
    assert (summary.ok, summary.skipped) == (0, 2)
    # same size and time but other bytes: the hash decides only when the time moved,
    # so a photo rewritten in place with the same size is caught by its new time
    data = bytearray(photos[1][0].read_bytes())
    data[-3] ^= 0xFF
    photos[1][0].write_bytes(bytes(data))
    summary = run_collection(photos, out, PaletteMethod(), workers=1)
    assert (summary.ok, summary.skipped) == (1, 1)


def test_files_without_their_row_are_redone_not_skipped_blind(tmp_path):
    make_photos(tmp_path / "in", 3)
    photos = collect_photos([tmp_path / "in"])
    out = tmp_path / "out"
    run_collection(photos, out, PaletteMethod(), workers=1)
    manifest = out / "manifest.jsonl"
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[:2]))  # the last photo's row lost to a kill
    summary = run_collection(photos, out, PaletteMethod(), workers=1)
    assert (summary.ok, summary.skipped) == (1, 2)
    last = read_manifest(manifest)[-1]
    assert last["status"] == "ok" and last["figure_fraction"] is not None


def test_skipped_rows_carry_the_last_successful_row(tmp_path):
    make_photos(tmp_path / "in", 2)
    photos = collect_photos([tmp_path / "in"])
    out = tmp_path / "out"
    run_collection(photos, out, PaletteMethod(), workers=1)
    manifest = out / "manifest.jsonl"
    first = read_manifest(manifest)
    with open(manifest, "a") as fh:  # a later failed attempt at the same output
        fh.write(json.dumps({**first[0], "status": "failed", "error": "x", "threshold": None,
                             "figure_fraction": None, "sha256": ""}) + "\n")
    summary = run_collection(photos, out, PaletteMethod(), workers=1)
    assert (summary.ok, summary.skipped) == (0, 2)
    carried = read_manifest(manifest)[-2]
    assert carried["status"] == "skipped"
    for key in ("threshold", "figure_fraction", "width", "sha256", "size_bytes"):
        assert carried[key] == first[0][key]


def test_garment_resume_checks_every_garment_output(tmp_path):
    from runwaycut.garment.outputs import GarmentMethod

    make_photos(tmp_path / "in", 1)
    photos = collect_photos([tmp_path / "in"])
    out = tmp_path / "out"
    method = GarmentMethod(PaletteMethod())
    run_collection(photos, out, method, workers=1)
    made = {p.name: p.read_bytes() for p in out.iterdir() if p.name.startswith("0000.")}
    assert set(made) == {"0000.mask.png", "0000.png", "0000.labels.png", "0000.garment.png",
                         "0000.colors.json"}
    for name in ("0000.labels.png", "0000.colors.json"):
        (out / name).unlink()
    summary = run_collection(photos, out, method, workers=1)
    assert (summary.ok, summary.skipped) == (1, 0)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name.startswith("0000.")} == made


# --------------------------------------------------------------------------- rows


def test_rows_stay_in_input_order_with_skips_and_collisions(tmp_path):
    make_photos(tmp_path / "a", 5)
    make_photos(tmp_path / "b", 1)  # b/0000.jpg collides with a/0000.jpg
    out = tmp_path / "out"
    photos = collect_photos([tmp_path / "a"])
    run_collection(photos, out, PaletteMethod(), workers=1)
    for name in ("0001.png", "0003.mask.png"):
        (out / name).unlink()
    both = photos + [(tmp_path / "b" / "0000.jpg", Path("0000"))]
    summary = run_collection(both, out, PaletteMethod(), workers=2)
    assert (summary.ok, summary.skipped, summary.failed) == (2, 3, 1)
    rows = read_manifest(out / "manifest.jsonl")[5:]
    assert [r["path"] for r in rows] == [str(p) for p, _ in both]
    assert [r["status"] for r in rows] == ["skipped", "ok", "skipped", "ok", "skipped", "failed"]


def test_two_photos_never_write_the_same_outputs(tmp_path):
    make_photos(tmp_path / "a", 1)
    other_photos(tmp_path / "b", 1)
    both = [(tmp_path / "a" / "0000.jpg", Path("x")), (tmp_path / "b" / "0000.jpg", Path("x"))]
    summary = run_collection(both, tmp_path / "out", PaletteMethod(), workers=1)
    assert (summary.ok, summary.failed) == (1, 1)
    [failed] = [r for r in read_manifest(tmp_path / "out" / "manifest.jsonl")
                if r["status"] == "failed"]
    assert failed["path"] == str(both[1][0])
    assert "would overwrite" in failed["error"] and str(both[0][0]) in failed["error"]
    run_collection(both[:1], tmp_path / "ref", PaletteMethod(), workers=1)
    assert png_files(tmp_path / "out") == png_files(tmp_path / "ref")  # the first's files


def test_a_photo_whose_stem_names_another_s_output_is_refused(tmp_path):
    """Not only one stem twice: "look.mask.jpg"'s cutout would be "look.jpg"'s mask."""
    make_photos(tmp_path / "a", 1)
    other_photos(tmp_path / "b", 1)
    both = [(tmp_path / "a" / "0000.jpg", Path("look")),
            (tmp_path / "b" / "0000.jpg", Path("look.mask"))]
    summary = run_collection(both, tmp_path / "out", PaletteMethod(), workers=1)
    assert (summary.ok, summary.failed) == (1, 1)
    [failed] = [r for r in read_manifest(tmp_path / "out" / "manifest.jsonl")
                if r["status"] == "failed"]
    assert failed["path"] == str(both[1][0])
    assert "would overwrite" in failed["error"] and "look.mask.png" in failed["error"]
    run_collection(both[:1], tmp_path / "ref", PaletteMethod(), workers=1)
    assert png_files(tmp_path / "out") == png_files(tmp_path / "ref")  # the first's files


def test_a_row_cut_by_a_kill_is_ended_before_the_next(tmp_path):
    make_photos(tmp_path / "in", 2)
    photos = collect_photos([tmp_path / "in"])
    out = tmp_path / "out"
    run_collection(photos[:1], out, PaletteMethod(), workers=1)
    manifest = out / "manifest.jsonl"
    with open(manifest, "a") as fh:
        fh.write('{"path": "cut", "status": "o')  # what a kill mid-row leaves
    run_collection(photos, out, PaletteMethod(), workers=1)
    lines = manifest.read_text().splitlines()
    assert len(lines) == 4 and lines[1] == '{"path": "cut", "status": "o'
    assert [json.loads(line)["status"] for line in lines[2:]] == ["skipped", "ok"]


def test_summary_mean_ms_is_the_mean_of_successful_photos(tmp_path):
    make_photos(tmp_path / "in", 3)
    (tmp_path / "in" / "0003.jpg").write_bytes(b"not a photo at all" * 10)
    out = tmp_path / "out"
    summary = run_collection(collect_photos([tmp_path / "in"]), out, PaletteMethod(),
                             workers=1)
    rows = read_manifest(out / "manifest.jsonl")
    ok_ms = [r["ms"] for r in rows if r["status"] == "ok"]
    assert len(ok_ms) == 3 and rows[-1]["status"] == "failed" and rows[-1]["ms"] > 0
    assert summary.mean_ms == pytest.approx(sum(ok_ms) / 3, abs=0.011)
    saved = json.loads((out / "manifest.summary.json").read_text())
    assert saved["mean_ms"] == summary.mean_ms


@pytest.mark.parametrize("n, workers, signalled", [
    (4, 1, "0002"),  # -j 1: written on the writer thread while 0003 is predicted
    (1, 2, "0000"),  # a lone photo with workers asked for: here, on this thread
])
def test_signal_during_a_photos_writes_keeps_its_row(tmp_path, monkeypatch, ctrl_c, n, workers,
                                                     signalled):
    import runwaycut.batch.photo as photo_module

    make_photos(tmp_path / "in", n)
    photos = collect_photos([tmp_path / "in"])
    out = tmp_path / "out"
    real_write = photo_module.write_bytes_atomic

    def write_then_signal(path, data):
        if Path(path).name == f"{signalled}.mask.png":
            signal.raise_signal(signal.SIGINT)  # held until the photo's files are written
        return real_write(path, data)

    monkeypatch.setattr(photo_module, "write_bytes_atomic", write_then_signal)
    with pytest.raises(KeyboardInterrupt):
        run_collection(photos, out, PaletteMethod(), workers=workers)
    rows = read_manifest(out / "manifest.jsonl")
    done = [f"{i:04d}" for i in range(int(signalled) + 1)]
    assert [r["output"] for r in rows] == done
    assert all(r["status"] == "ok" and r["figure_fraction"] is not None for r in rows)
    assert (out / f"{signalled}.png").exists()
    assert json.loads((out / "manifest.summary.json").read_text())["interrupted"] is True
    monkeypatch.undo()
    summary = run_collection(photos, out, PaletteMethod(), workers=workers)
    assert (summary.ok, summary.skipped) == (n - len(done), len(done))


def test_temporary_files_of_a_killed_run_are_swept(tmp_path):
    make_photos(tmp_path / "in" / "sub", 1)
    out = tmp_path / "out"
    photos = collect_photos([tmp_path / "in"], recursive=True)
    run_collection(photos, out, PaletteMethod(), workers=1)
    litter = [out / ".manifest.summary.json.k2j3_x.tmp", out / ".runwaycut-params.json.ab12.tmp",
              out / "sub" / ".0000.colors.json.zz9.tmp", out / "sub" / ".0000.png.q1.tmp"]
    for path in litter:
        path.write_text("half")
    (out / "sub" / "0000.png").unlink()
    run_collection(photos, out, PaletteMethod(), workers=1)
    assert [p for p in litter if p.exists()] == []
    assert not (out / LOCK_FILE).exists()  # the lock goes with the run


# --------------------------------------------------------------------------- the CLI


def test_out_naming_a_file_is_one_line(tmp_path):
    make_photos(tmp_path / "in", 1)
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file", tmp_path / "file" / "below"):
        done = run_cli(str(tmp_path / "in"), "-o", str(out), "--method", "palette")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().count("\n") == 0 and str(out) in done.stderr
    assert (tmp_path / "file").read_text() == "x"


def test_out_equal_to_an_input_folder_is_refused(tmp_path):
    make_photos(tmp_path / "in", 2)
    before = sorted(os.listdir(tmp_path / "in"))
    done = run_cli(str(tmp_path / "in"), "-o", str(tmp_path / "in"), "--method", "palette")
    assert done.returncode == 2 and "output folder" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(os.listdir(tmp_path / "in")) == before


def test_only_missing_photos_create_nothing(tmp_path):
    out = tmp_path / "out"
    done = run_cli(str(tmp_path / "nope.jpg"), "-o", str(out), "--method", "palette")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "nope.jpg" in done.stderr
    assert "photos/s" not in done.stderr
    assert not out.exists()


def test_cli_lines_stay_whole(tmp_path):
    make_photos(tmp_path / "in", 1)
    odd = tmp_path / "in" / "bad\nname.jpg"
    odd.write_bytes(b"not a photo" * 20)
    out = tmp_path / ("a-rather-long-output-folder-name-" * 3)
    done = run_cli(str(tmp_path / "in"), "-o", str(out), "--method", "palette")
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, done.stderr  # the error, then the summary: unwrapped
    assert lines[0].startswith("error:") and "bad\\nname.jpg" in lines[0]
    assert str(out) in lines[1] and "1 done, 1 failed" in lines[1]
    assert not (out / LOCK_FILE).exists()
    rows = read_manifest(out / "manifest.jsonl")
    assert len(rows) == 2 and rows[1]["path"] == str(odd)


def test_a_symlink_loop_fails_its_photo_with_a_reason(tmp_path):
    make_photos(tmp_path / "in", 1)
    os.symlink(tmp_path / "in" / "loop.jpg", tmp_path / "in" / "loop.jpg")
    out = tmp_path / "out"
    summary = run_collection(collect_photos([tmp_path / "in"]), out, PaletteMethod(),
                             workers=1)
    assert (summary.ok, summary.failed) == (1, 1)
    [failed] = [r for r in read_manifest(out / "manifest.jsonl") if r["status"] == "failed"]
    assert "symbolic link" in failed["error"] and "internal error" not in failed["error"]


def test_a_signal_while_the_run_winds_up_still_leaves_its_summary(tmp_path, monkeypatch,
                                                                  ctrl_c):
    """The race behind the flaky Ctrl-C test (issue 15 point 6): a signal that comes as
    the run writes its last rows and summary is acted on once they are written."""
    import runwaycut.batch.run as run_module

    make_photos(tmp_path / "in", 2)
    out = tmp_path / "out"
    real_write = run_module.write_bytes_atomic

    def signal_then_write(path, data):
        if Path(path).name == "manifest.summary.json":
            signal.raise_signal(signal.SIGINT)
        return real_write(path, data)

    monkeypatch.setattr(run_module, "write_bytes_atomic", signal_then_write)
    with pytest.raises(KeyboardInterrupt):
        run_collection(collect_photos([tmp_path / "in"]), out, PaletteMethod(), workers=1)
    summary = json.loads((out / "manifest.summary.json").read_text())
    assert summary["ok"] == 2 and summary["interrupted"] is False  # it did finish
    assert [r["status"] for r in read_manifest(out / "manifest.jsonl")] == ["ok", "ok"]
    assert list(out.glob("*.tmp")) == []
