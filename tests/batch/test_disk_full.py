"""A disk that fills up at any point of a run (issue 13 point 5): exit code 2, one line
saying the disk is full and where, whole files and whole manifest rows, no lone mask,
and a rerun after freeing space completes to the same outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runwaycut
from conftest import png_files
from test_batch import make_photos

SOURCE = Path(runwaycut.__file__).resolve().parents[1]

#: Installed in the command's process: from the ``limit``-th write into ``folder`` on,
#: ``os.write`` fails with ENOSPC (the ``limit``-th writes half its bytes first, as a
#: filling disk does). runwaycut writes its results only through ``os.write``.
FULL_DISK = textwrap.dedent('''
    import errno, os
    _write = os.write

    def install(limit, folder):
        folder = os.path.realpath(folder)
        count = [0]

        def write(fd, data):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                target = ""
            if target.startswith(folder + os.sep):
                count[0] += 1
                if count[0] == limit and len(data) > 1:
                    return _write(fd, bytes(data[:len(data) // 2]))
                if count[0] >= limit:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return _write(fd, data)

        os.write = write
''')


def remove(photos: Path, out: Path, helper: Path | None = None,
           limit: int = 0) -> subprocess.CompletedProcess:
    setup = (f"import sys; sys.path.insert(0, {str(helper)!r}); import full_disk; "
             f"full_disk.install({limit}, {str(out)!r}); ") if helper else ""
    return subprocess.run(
        [sys.executable, "-c", setup + "from runwaycut.cli import main; main()", "remove",
         str(photos), "-o", str(out), "-j", "1", "--method", "palette"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(SOURCE), "COLUMNS": "300"})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_a_disk_filling_up_anywhere_in_a_run(tmp_path):
    photos = tmp_path / "in"
    make_photos(photos, 4)
    (tmp_path / "helper").mkdir()
    (tmp_path / "helper" / "full_disk.py").write_text(FULL_DISK)
    reference = tmp_path / "reference"
    assert remove(photos, reference).returncode == 0
    # Writes into OUT: 1 parameters; per photo 2 mask, 3 cutout, 4 manifest row (then
    # 5-7, 8-10, 11-13); 14 the summary. Fill the disk at each kind of write.
    for limit in (1, 3, 4, 9, 13, 14):
        out = tmp_path / f"out{limit}"
        done = remove(photos, out, tmp_path / "helper", limit)
        where = f"disk full at write {limit}: {done.stderr}"
        assert done.returncode == 2, where
        assert "Traceback" not in done.stderr, where
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "disk is full" in errors[0], where
        assert str(out) in errors[0], where
        assert list(out.rglob("*.tmp")) == [], where
        masks = {p.name[:-len(".mask.png")] for p in out.glob("*.mask.png")}
        cutouts = {p.stem for p in out.glob("*.png") if p.name.count(".") == 1}
        assert masks == cutouts, where  # no lone mask, no lone cutout
        manifest = out / "manifest.jsonl"
        lines = manifest.read_text().splitlines() if manifest.exists() else []
        rows = [json.loads(line) for line in lines]  # every row whole
        assert all(row["status"] == "ok" for row in rows), where

        again = remove(photos, out)  # space freed
        assert again.returncode == 0, f"rerun after write {limit}: {again.stderr}"
        assert png_files(out) == png_files(reference), where
        rows = [json.loads(line) for line in manifest.read_text().splitlines()]
        last = {row["output"]: row for row in rows}
        assert sorted(last) == ["0000", "0001", "0002", "0003"], where
        assert all(row["status"] in ("ok", "skipped") and row["figure_fraction"] is not None
                   for row in last.values()), where
