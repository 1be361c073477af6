"""Batch runs: inputs, workers, manifest, resume, faults (issue 7)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from typer.testing import CliRunner

from conftest import CCP_PHOTOS, png_files, rows_without_timing
from runwaycut.batch.params import PARAMS_FILE, ParameterMismatchError
from runwaycut.batch.workers import _mp_context, run_batch
from runwaycut.batch.inputs import collect_photos
from runwaycut.batch.photo import fast_cutout, process_photo
from runwaycut.batch.manifest import read_manifest
from runwaycut.batch.run import run_collection
from runwaycut.cli import app
from runwaycut.note.colormask import MaskParams
from runwaycut.compose import cutout
from runwaycut.io import read_mask
from runwaycut.methods import PaletteMethod

DATA = CCP_PHOTOS
REPO = Path(__file__).resolve().parents[2]


def synthetic_photo(seed: int) -> np.ndarray:
    """A small runway-like photo: a lit backdrop with noise and a coloured figure."""
    rng = np.random.default_rng(seed)
    h, w = 240, 160
    ramp = np.linspace(150, 220, h, dtype=np.float32)[:, None, None]
    photo = np.broadcast_to(ramp, (h, w, 3)).copy() + rng.normal(0, 4, (h, w, 3))
    colour = rng.integers(0, 120, 3)
    top, left = rng.integers(20, 50), rng.integers(55, 70)
    photo[top:h - 10, left:left + 30] = colour + rng.normal(0, 6, (h - 10 - top, 30, 3))
    return np.clip(photo, 0, 255).astype(np.uint8)


def make_photos(folder: Path, n: int) -> list[Path]:
    """``n`` good photos in ``folder``: CCP photos when the data is there, else synthetic."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    ccp = sorted(DATA.glob("*.jpg"))[:n] if DATA.is_dir() else []
    for i in range(n):
        target = folder / f"{i:04d}.jpg"
        if i < len(ccp):
            shutil.copyfile(ccp[i], target)
        else:
            Image.fromarray(synthetic_photo(i)).save(target, quality=92)
        paths.append(target)
    return paths


def bomb_png(path: Path, width: int = 40000, height: int = 40000) -> None:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""
    Image.new("RGB", (8, 8), (200, 200, 200)).save(path)
    data = bytearray(path.read_bytes())
    # IHDR starts at byte 8: length(4) 'IHDR'(4) width(4) height(4) ... crc(4)
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))


def tmp_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.tmp")]


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from runwaycut.cli import main; main()", "remove", *args]


# --------------------------------------------------------------------------- inputs


def test_collect_photos_folders_globs_lists_mirror_the_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for rel in ["shots/a/1.jpg", "shots/a/2.png", "shots/b/c/3.jpg", "shots/b/notes.txt",
                "shots/.hidden/4.jpg", "shots/5.JPG", "other/6.jpg"]:
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        Path(rel).write_bytes(b"x")
    Path("out").mkdir()
    Path("shots/out").mkdir()
    Path("shots/out/old.png").write_bytes(b"x")

    flat = collect_photos(["shots"])
    assert [(p.as_posix(), s.as_posix()) for p, s in flat] == [("shots/5.JPG", "5")]

    deep = collect_photos(["shots"], recursive=True, exclude=["shots/out"])
    assert [s.as_posix() for _, s in deep] == ["5", "a/1", "a/2", "b/c/3"]

    pattern = collect_photos(["shots/**/*.jpg"])
    assert [s.as_posix() for _, s in pattern] == ["a/1", "b/c/3"]

    Path("list.txt").write_text("# my photos\nshots/a/1.jpg\n\nother/6.jpg\nshots/b\n")
    listed = collect_photos(["@list.txt"])
    # one-by-one photos mirror the tree below their deepest common folder
    assert [(p.as_posix(), s.as_posix()) for p, s in listed] == [
        ("shots/a/1.jpg", "shots/a/1"), ("other/6.jpg", "other/6")]
    assert collect_photos([], from_file="list.txt") == listed

    # duplicates are dropped; a missing photo and an empty pattern stay, to fail later
    again = collect_photos(["shots/a/1.jpg", "shots/a", "missing.jpg", "nothing/*.jpg"])
    assert [p.as_posix() for p, _ in again] == ["shots/a/1.jpg", "shots/a/2.png",
                                                "missing.jpg", "nothing/*.jpg"]


# --------------------------------------------------------------------------- faults


def test_bad_photos_are_recorded_and_the_batch_goes_on(tmp_path):
    good = make_photos(tmp_path / "in", 4)
    (tmp_path / "in" / "corrupt.jpg").write_bytes(os.urandom(3000))
    full = good[0].read_bytes()
    (tmp_path / "in" / "truncated.jpg").write_bytes(full[: len(full) // 3])
    (tmp_path / "in" / "notes.png").write_text("not a photo at all\n")
    (tmp_path / "in" / "empty.jpg").write_bytes(b"")
    bomb_png(tmp_path / "in" / "bomb.png")
    out = tmp_path / "out"

    photos = collect_photos([tmp_path / "in"])
    summary = run_collection(photos, out, PaletteMethod(), workers=2)

    rows = {Path(r["path"]).name: r for r in read_manifest(out / "manifest.jsonl")}
    assert len(rows) == len(photos) == 9
    bad = {"corrupt.jpg", "truncated.jpg", "notes.png", "empty.jpg", "bomb.png"}
    for name, row in rows.items():
        if name in bad:
            assert row["status"] == "failed" and name in row["error"], row
            assert not (out / (Path(name).stem + ".mask.png")).exists()
        else:
            assert row["status"] == "ok" and row["error"] == ""
            mask = read_mask(out / f"{Path(name).stem}.mask.png")
            assert (mask.shape[1], mask.shape[0]) == (row["width"], row["height"])
            assert row["figure_fraction"] == pytest.approx(mask.mean(), abs=1e-6)
            assert 0 < row["figure_fraction"] < 1 and row["threshold"] == 20.0
    assert "decompression-bomb" in rows["bomb.png"]["error"]
    assert (summary.total, summary.ok, summary.failed, summary.skipped) == (9, 4, 5, 0)
    assert json.loads((out / "manifest.summary.json").read_text())["failed"] == 5
    assert tmp_leftovers(out) == []


def test_cli_exit_code_2_and_max_pixels(tmp_path):
    make_photos(tmp_path / "in", 2)
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    runner = CliRunner()
    result = runner.invoke(app, ["remove", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                                 "-j", "1"])
    assert result.exit_code == 2, result.output
    assert "broken.jpg" in result.output and "Traceback" not in result.output

    # --max-pixels reaches the reader: every photo over it fails with its row
    result = runner.invoke(app, ["remove", str(tmp_path / "in" / "0000.jpg"), "-o",
                                 str(tmp_path / "small"), "--max-pixels", "1000", "-j", "1"])
    assert result.exit_code == 2
    [row] = read_manifest(tmp_path / "small" / "manifest.jsonl")
    assert row["status"] == "failed" and "over the limit of 1,000" in row["error"]


class CrashOnName(PaletteMethod):
    """A backend that kills its worker process on one photo (as the OOM killer would)."""

    def predict(self, image):
        if image.shape[0] == 239:  # the photo cropped to 239 rows below
            os._exit(9)
        return super().predict(image)


def test_a_worker_killed_on_one_photo_fails_that_photo_only(tmp_path):
    make_photos(tmp_path / "in", 3)
    crop = np.asarray(Image.open(tmp_path / "in" / "0001.jpg"))[:239]
    Image.fromarray(crop).save(tmp_path / "in" / "0001.jpg")
    method = CrashOnName()
    records = list(run_batch(collect_photos([tmp_path / "in"]), tmp_path / "out", method,
                             workers=2))
    assert [r.status for r in records] == ["ok", "failed", "ok"]
    assert "worker process died" in records[1].error


# --------------------------------------------------------------------------- resume


def test_resume_skips_complete_photos_and_redoes_the_rest(tmp_path):
    make_photos(tmp_path / "in", 4)
    out = tmp_path / "out"
    photos = collect_photos([tmp_path / "in"])
    run_collection(photos, out, PaletteMethod(), workers=1)
    first = png_files(out)
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*.png")}
    (out / "0002.png").unlink()  # an incomplete photo: its cutout is missing
    (out / ".0003.mask.png.abcd1234.tmp").write_bytes(b"half")  # litter of a killed run

    seen = []
    summary = run_collection(photos, out, PaletteMethod(), workers=1, on_record=seen.append)
    assert (summary.skipped, summary.ok) == (3, 1)
    assert png_files(out) == first
    for path, stamp in stamps.items():
        if path.name not in ("0002.png", "0002.mask.png"):
            assert path.stat().st_mtime_ns == stamp, f"{path.name} was rewritten"
    assert tmp_leftovers(out) == []
    rows = read_manifest(out / "manifest.jsonl")
    assert len(rows) == 8  # 4 rows per run, appended
    skipped = [r for r in rows[4:] if r["status"] == "skipped"]
    assert len(skipped) == 3
    # a skipped row carries the result of the run that made its files
    by_output = {r["output"]: r for r in rows[:4]}
    for row in skipped:
        assert row["threshold"] == by_output[row["output"]]["threshold"]
        assert row["figure_fraction"] == by_output[row["output"]]["figure_fraction"]

    # --overlay asks for one more file per photo: every photo is redone
    summary = run_collection(photos, out, PaletteMethod(), overlay=True, workers=1)
    assert (summary.skipped, summary.ok) == (0, 4)


def test_other_parameters_are_refused_unless_overwriting(tmp_path):
    make_photos(tmp_path / "in", 2)
    out = tmp_path / "out"
    photos = collect_photos([tmp_path / "in"])
    run_collection(photos, out, PaletteMethod(), workers=1)
    masks = png_files(out)
    other = PaletteMethod(mask=MaskParams(threshold=45.0))
    with pytest.raises(ParameterMismatchError, match="--threshold default -> 45"):
        run_collection(photos, out, other, workers=1)
    assert png_files(out) == masks
    summary = run_collection(photos, out, other, workers=1, resume=False)
    assert summary.ok == 2 and summary.skipped == 0
    assert png_files(out) != masks
    assert json.loads((out / PARAMS_FILE).read_text())["method"]["mask"]["threshold"] == 45.0
    assert len(read_manifest(out / "manifest.jsonl")) == 2  # --overwrite starts anew

    result = CliRunner().invoke(app, ["remove", str(tmp_path / "in"), "-o", str(out),
                                      "-j", "1"])
    assert result.exit_code == 2 and "--method palette -> auto" in result.output


def test_workers_give_the_same_files_and_manifest_as_one_process(tmp_path):
    make_photos(tmp_path / "in", 6)
    photos = collect_photos([tmp_path / "in"])
    run_collection(photos, tmp_path / "one", PaletteMethod(), workers=1)
    run_collection(photos, tmp_path / "two", PaletteMethod(), workers=2)
    # with another thread running, workers are spawned rather than forked
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _mp_context().get_start_method() == "spawn"
        run_collection(photos, tmp_path / "spawned", PaletteMethod(), workers=2)
    finally:
        stop.set()
        other.join()
    for run in ("two", "spawned"):
        assert png_files(tmp_path / "one") == png_files(tmp_path / run)
        assert (rows_without_timing(tmp_path / "one" / "manifest.jsonl")
                == rows_without_timing(tmp_path / run / "manifest.jsonl"))


def _wait_for(predicate, timeout=30.0, step=0.002):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_a_killed_run_resumes_to_the_same_outputs(tmp_path):
    psutil = pytest.importorskip("psutil")
    make_photos(tmp_path / "in", 16)
    photos = collect_photos([tmp_path / "in"])
    run_collection(photos, tmp_path / "reference", PaletteMethod(), workers=1)

    out = tmp_path / "out"
    # Gated (:data:`GATE`): photos from 0004 on wait for a file that never comes, so the
    # kill always lands mid-run (without it, a quick run on an idle machine could finish
    # every photo before the kill).
    proc = subprocess.Popen(cli_command(str(tmp_path / "in"), "-o", str(out), "-j", "2",
                                        "--method", "palette"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                            env=gated_env(tmp_path))
    try:
        # a few photos complete and have their rows (a photo's files without its row
        # are redone on resume), the rest to do
        def rows_written() -> int:
            manifest = out / "manifest.jsonl"
            return manifest.read_text().count("\n") if manifest.exists() else 0
        assert _wait_for(lambda: rows_written() >= 2), "the run never started"
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(list(out.glob("*.mask.png"))) < 16, "the run finished before it was killed"
    # its worker processes die with it instead of writing on, even one whose reading
    # thread hangs on the gate (it quits ORPHAN_GRACE seconds after its parent died)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    for line in (out / "manifest.jsonl").read_text().splitlines():
        assert json.loads(line)["status"] == "ok"  # every written row is whole

    summary = run_collection(photos, out, PaletteMethod(), workers=2)
    assert summary.skipped + summary.ok == 16 and summary.failed == 0
    assert summary.skipped > 0
    ours, reference = png_files(out), png_files(tmp_path / "reference")
    assert ours.keys() == reference.keys() and len(ours) == 32
    assert ours == reference  # byte for byte
    assert tmp_leftovers(out) == []


#: A worker process (forked by a stand-in parent) in the middle of a photo whose read
#: hangs on a second thread, as a stalled disk would leave it: its SIGTERM unwinding
#: then waits for that thread for ever. The worker prints its pid once it watches its
#: parent (whose pid it is given, as ``_init_worker`` is): printed by the parent right
#: after the fork, the test could kill the parent before the worker had looked, and the
#: worker then watched its new parent, which never dies (a CI failure).
ORPHAN = """
import os, signal, threading, time
from concurrent.futures import ThreadPoolExecutor
import runwaycut.batch.workers as workers
parent = os.getpid()
if os.fork():
    time.sleep(600)  # the parent, killed by the test
else:
    workers._WORKER["busy"] = True
    signal.signal(signal.SIGTERM, workers._on_sigterm)
    threading.Thread(target=workers._watch_parent, args=(parent,), daemon=True).start()
    print(os.getpid(), flush=True)
    with ThreadPoolExecutor(1) as reader:
        reader.submit(time.sleep, 3600).result()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks; reads /proc")
def test_an_orphaned_worker_quits_even_when_a_read_hangs():
    psutil = pytest.importorskip("psutil")
    from runwaycut.batch.workers import ORPHAN_GRACE

    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True)
    worker = None
    try:
        worker = psutil.Process(int(parent.stdout.readline()))
        parent.kill()
        parent.wait(10)

        def gone() -> bool:
            try:
                return worker.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
            except psutil.NoSuchProcess:
                return True
        assert _wait_for(gone, timeout=ORPHAN_GRACE + 10, step=0.05), \
            "the orphaned worker is still running"
    finally:  # nothing of this test left running
        parent.kill()
        if worker is not None:
            with contextlib.suppress(psutil.Error):
                worker.kill()


#: ``sitecustomize`` for the commands of the Ctrl-C tests: in every process of the run
#: (the command and its workers, forked or spawned), photos from ``0004`` on wait for a
#: gate file that never comes, so the signal always lands mid-run. (Without it the test
#: raced the run: on a busy machine all 16 photos could be done, or the run be writing
#: its summary, by the time the signal came -- issue 15 point 6.)
GATE = """
import os, time
if os.environ.get("RUNWAYCUT_TEST_GATE"):
    import runwaycut.batch.photo as _photo
    _read = _photo.read_image

    def read_image(path, *args, **kwargs):
        if os.path.basename(str(path)) >= "0004":
            while not os.path.exists(os.environ["RUNWAYCUT_TEST_GATE"]):
                time.sleep(0.01)
        return _read(path, *args, **kwargs)

    _photo.read_image = read_image
"""


def gated_env(tmp_path: Path) -> dict:
    (tmp_path / "gate").mkdir(exist_ok=True)
    (tmp_path / "gate" / "sitecustomize.py").write_text(GATE)
    source = Path(__import__("runwaycut").__file__).resolve().parents[1]
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "gate"), str(source)]),
            "RUNWAYCUT_TEST_GATE": str(tmp_path / "never")}


def _has_loaded(pid: int, library: str) -> bool:
    """Whether process ``pid`` has mapped a shared library whose path names ``library``."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_ctrl_c_stops_cleanly_with_exit_130(tmp_path):
    psutil = pytest.importorskip("psutil")
    make_photos(tmp_path / "in", 16)
    out = tmp_path / "out"
    proc = subprocess.Popen(cli_command(str(tmp_path / "in"), "-o", str(out), "-j", "2",
                                        "--method", "palette"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                            env=gated_env(tmp_path))
    manifest = out / "manifest.jsonl"
    try:  # the four photos before the gate done and recorded: the rest cannot start
        assert _wait_for(lambda: manifest.exists() and manifest.read_text().count("\n") == 4,
                         timeout=120), "the run never started"
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err and b"interrupted" in err
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert tmp_leftovers(out) == []
    rows = read_manifest(out / "manifest.jsonl")
    lines = (out / "manifest.jsonl").read_text().splitlines()
    assert len(rows) == len(lines)  # every line whole
    assert len(rows) == 4  # the gate held the rest
    for row in rows:  # every row true: an ok row has its files
        assert row["status"] == "ok"
        assert (out / f"{row['output']}.mask.png").exists()
        assert (out / f"{row['output']}.png").exists()
    assert json.loads((out / "manifest.summary.json").read_text())["interrupted"] is True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("when", ["start-up", "mid-run"])
def test_a_signal_to_the_process_group_ends_quietly(tmp_path, signum, when):
    """Ctrl-C reaches the command and its workers at once (issue 13 point 9): exit 130,
    no traceback from any process, whether it comes while the command starts or mid-run."""
    script = Path(sys.executable).parent / "runwaycut"
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    if not script.exists():
        pytest.skip(f"no console script at {script} (install runwaycut)")
    make_photos(tmp_path / "in", 8)
    out = tmp_path / "out"
    env = gated_env(tmp_path)
    if when == "start-up":  # the command as users start it, nothing imported early
        env["PYTHONPATH"] = env["PYTHONPATH"].split(os.pathsep, 1)[1]
    proc = subprocess.Popen([str(script), "remove", str(tmp_path / "in"), "-o", str(out),
                             "-j", "2", "--method", "palette"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                            env=env, start_new_session=True)
    try:
        if when == "start-up":  # mid-import: OpenCV loaded, runwaycut's modules loading
            assert _wait_for(lambda: _has_loaded(proc.pid, "cv2")), "never started"
        else:
            assert _wait_for(lambda: any(out.glob("*.mask.png"))), "the run never started"
        os.killpg(proc.pid, signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert "interrupted" in text
    assert tmp_leftovers(tmp_path) == []


#: A process whose signal lands in a weakref callback (as the garbage collector runs
#: them) in the middle of its work: ``{setup}`` installs the handlers under test,
#: ``{signal}`` is sent, ``{caught}`` is what must unwind the work.
WEAKREF_SIGNAL = """
import os, signal, sys, time, weakref
{setup}


class Look:
    pass


def dropped(ref):  # the signal lands in a weakref callback
    os.kill(os.getpid(), signal.{signal})
    sum(i for i in range(200000))


look = Look()
ref = weakref.ref(look, dropped)
del look
try:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the work goes on
        sum(i for i in range(1000))
    print("still running")
except {caught} as exc:
    print("unwound")
    sys.exit(exc.code if isinstance(exc, SystemExit) else 130)
"""


def run_weakref_signal(setup: str, signal_name: str, caught: str):
    code = (WEAKREF_SIGNAL.replace("{setup}", setup).replace("{signal}", signal_name)
            .replace("{caught}", caught))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")})


def test_a_sigterm_landing_in_a_weakref_callback_still_stops_the_worker():
    """Python cannot raise the handler's SystemExit out of a weakref callback: it printed
    "Exception ignored ... SystemExit: 143" (seen under Ctrl-C of a run) and the worker,
    SIGTERM then ignored, ran on. The signal is delivered again where it can unwind."""
    done = run_weakref_signal("from runwaycut.batch import workers\n"
                              "workers._WORKER['busy'] = True  # in a photo, as _work sets it\n"
                              "workers._install_stop_handlers()", "SIGTERM", "SystemExit")
    assert done.returncode == 143, done.stdout + done.stderr
    assert done.stdout.strip() == "unwound"
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("sig", ["INT", "TERM"])
def test_a_ctrl_c_landing_in_a_weakref_callback_still_stops_the_command(sig):
    """The command's own process: a KeyboardInterrupt raised in a weakref callback was
    printed as ignored and lost, the command running on; it is raised again."""
    done = run_weakref_signal("from runwaycut.cli import install_interrupt_handlers\n"
                              "install_interrupt_handlers()  # as the runwaycut command does first",
                              f"SIG{sig}", "KeyboardInterrupt")
    assert done.returncode == 130 and done.stdout.strip() == "unwound", done.stdout + done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


# --------------------------------------------------------------------------- pieces


def test_process_photo_refuses_to_overwrite_its_photo(tmp_path):
    [photo] = make_photos(tmp_path, 1)
    png = tmp_path / "0000.png"
    Image.open(photo).save(png)
    record = process_photo(png, Path("0000"), tmp_path, PaletteMethod())
    assert record.status == "failed" and "overwrite" in record.error
    assert Image.open(png).mode == "RGB"  # untouched


@settings(max_examples=50, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3))),
       st.data())
def test_fast_cutout_equals_compose_cutout(image, data):
    mask = data.draw(arrays(bool, image.shape[:2]))
    assert np.array_equal(fast_cutout(image, mask), cutout(image, mask))
    soft = data.draw(arrays(np.float32, image.shape[:2],
                            elements=st.floats(0, 1, width=32)))
    assert np.array_equal(fast_cutout(image, soft), cutout(image, soft))


def test_parameter_record_is_stable_across_runs_and_names_rules():
    from runwaycut.batch.params import describe
    from runwaycut.cli.remove import palette_options_to_method

    def build(threshold):
        return palette_options_to_method(threshold, "absolute", "any", 16, 1 / 8, 9, "random",
                                         0, True, True)

    otsu = describe(build("otsu"))
    assert otsu == describe(build("otsu"))  # no memory addresses in it
    assert otsu["threshold_rule"] == "runwaycut.threshold.otsu_threshold"
    assert describe(build("25"))["mask"]["threshold"] == 25.0
    assert describe(build("25")) != describe(build("26"))
    json.dumps(otsu)  # JSON-ready


def test_a_folder_recorded_before_the_package_moved_keeps_its_results(tmp_path):
    """Where a parameter class lives is not a parameter: a record naming the modules of
    an earlier layout (``runwaycut.palette.PaletteParams``) still matches."""
    make_photos(tmp_path / "in", 2)
    out = tmp_path / "out"
    photos = collect_photos([tmp_path / "in"])
    run_collection(photos, out, PaletteMethod(), workers=1)
    record = json.loads((out / PARAMS_FILE).read_text())
    text = json.dumps(record)
    moved = (text.replace("runwaycut.methods.PaletteMethod", "runwaycut.methods.palette.PaletteMethod")
             .replace("runwaycut.note.PaletteParams", "runwaycut.palette.PaletteParams"))
    assert moved != text
    (out / PARAMS_FILE).write_text(moved)
    summary = run_collection(photos, out, PaletteMethod(), workers=1)
    assert (summary.skipped, summary.ok) == (2, 0)
    other = PaletteMethod(mask=MaskParams(threshold=45.0))
    with pytest.raises(ParameterMismatchError):
        run_collection(photos, out, other, workers=1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
@pytest.mark.parametrize("target", ["figure", "items"])
def test_remove_forks_its_workers(tmp_path, target):
    # Workers fork (milliseconds) only while the parent runs no thread pool but idle
    # OpenBLAS ones; an import on remove's path that starts one (onnxruntime's, were the
    # parent to load the item network) silently turns every worker into a fresh
    # interpreter, about 1 s of CPU each. Nor does remove's path import scikit-learn
    # (1.4 s of start-up: SciPy's statistics).
    spy = (
        "import sys\n"
        "import runwaycut.batch.workers as workers\n"
        "real = workers._mp_context\n"
        "def spy():\n"
        "    ctx = real()\n"
        "    print('start method:', ctx.get_start_method(), 'sklearn:', 'sklearn' in sys.modules,\n"
        "          file=sys.stderr)\n"
        "    return ctx\n"
        "workers._mp_context = spy\n"
        "from runwaycut.cli import main\n"
        "sys.argv = ['runwaycut'] + sys.argv[1:]\n"
        "main()\n")
    examples = Path(__file__).resolve().parents[2] / "examples" / "photos"
    done = subprocess.run([sys.executable, "-c", spy, "remove", str(examples), "-o",
                           str(tmp_path / "out"), "-j", "2", "--target", target],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "start method: fork sklearn: False" in done.stderr, done.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_photo_is_named_as_the_user_named_it(tmp_path, monkeypatch, workers):
    """Workers read photos by their absolute paths; the error line and the manifest row
    name the photo as it was given (``shots/broken.jpg``), and the run goes on."""
    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "broken.jpg").write_bytes(b"not a jpeg")
    (shots / "empty.jpg").write_bytes(b"")
    Image.fromarray(np.full((160, 120, 3), 200, np.uint8)).save(shots / "plain.png")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["remove", "shots", "-o", "out", "--method", "palette",
                                      "-j", str(workers)])
    assert result.exit_code == 2, result.output
    rows = {row["path"]: row for row in read_manifest(tmp_path / "out" / "manifest.jsonl")}
    assert set(rows) == {os.path.join("shots", n) for n in ("broken.jpg", "empty.jpg", "plain.png")}
    for name in ("broken.jpg", "empty.jpg"):
        given = os.path.join("shots", name)
        assert rows[given]["error"].startswith(f"{given}: ")
        assert f"error: {given}: " in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and not any(str(tmp_path) in line for line in errors)
    assert rows[os.path.join("shots", "plain.png")]["status"] == "ok"
