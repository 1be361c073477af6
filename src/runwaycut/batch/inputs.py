"""Which photos a run takes: photos, folders, glob patterns and lists of paths, each with
the output stem that mirrors its folder tree.
"""

from __future__ import annotations



import glob
import os
import re
import sys
from pathlib import Path
from typing import Iterable, Iterator


from ..errors import ImageReadError, RunwaycutError
from ..io import PHOTO_SUFFIXES

#: Characters that make an input a glob pattern (when no file of that name exists).
_GLOB_CHARS = re.compile(r"[*?[]")

#: Name of the file, inside the output folder, recording the parameters of its results.


# --------------------------------------------------------------------------- inputs


def read_path_list(source: str | os.PathLike) -> list[str]:
    """Entries of a text file of paths: one per line, blank lines and ``#`` comments skipped.

    Parameters
    ----------
    source : path or ``"-"``
        The list file; ``-`` reads standard input.

    Returns
    -------
    entries : list of str
        Photos, folders or glob patterns, as written (relative ones are relative to the
        current folder).
    """
    if str(source) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImageReadError(source, f"cannot read list of photos ({exc})") from None
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return entries


def collect_photos(inputs: Iterable[str | Path], recursive: bool = False, *,
                   from_file: str | os.PathLike | None = None,
                   exclude: Iterable[str | Path] = ()) -> list[tuple[Path, Path]]:
    """Photos named by files, folders, glob patterns and lists, each with its output stem.

    Parameters
    ----------
    inputs : iterable of paths or str
        Each is one of:

        * a folder: its photos by suffix (:data:`runwaycut.io.PHOTO_SUFFIXES`), in
          sub-folders too if ``recursive``; hidden files and folders are skipped;
        * a glob pattern (``shots/*.jpg``, ``shots/**/*.jpg``), when no file has that
          name: its matches, any suffix;
        * ``@FILE``: the entries of a text file of paths (:func:`read_path_list`), each
          itself a photo, folder or pattern;
        * anything else: a photo file, whatever its suffix (a missing or unreadable one
          fails when processed, not here, so that it gets its row in the manifest).
    recursive : bool
        Look into sub-folders of the given folders.
    from_file : path or ``"-"``, optional
        One more list of paths, as ``@FILE``.
    exclude : iterable of paths
        Folders never looked into (the output folder, so that a rerun does not take
        its own results for photos); naming one of them as an input folder is an error.

    Raises
    ------
    RunwaycutError
        An input folder is one of ``exclude``.

    Returns
    -------
    photos : list of (path, relative_stem)
        In input order, duplicates dropped. ``relative_stem`` (a relative path without
        suffix) mirrors the tree below each folder, below the fixed part of each
        pattern, and below the deepest folder common to all photos named one by one.
    """
    items = [str(i) for i in inputs]
    if from_file is not None:
        items.append("@" + str(from_file))
    skip = [os.path.abspath(e) for e in exclude]
    found: list[tuple[Path, Path | None]] = []  # stem None: named one by one
    for item in items:
        entries = read_path_list(item[1:]) if item.startswith("@") else [item]
        for entry in entries:
            found.extend(_expand(entry, recursive, skip))
    # Photos named one by one mirror the tree below their deepest common folder.
    singles = [os.path.dirname(os.path.abspath(p)) for p, stem in found if stem is None]
    common = os.path.commonpath(singles) if singles else ""
    photos, seen = [], set()
    for path, stem in found:
        key = os.path.abspath(path)
        if key in seen:
            continue
        seen.add(key)
        if stem is None:
            stem = Path(os.path.relpath(key, common)).with_suffix("")
        photos.append((path, stem))
    return photos


def _expand(entry: str, recursive: bool, skip: list[str]) -> Iterator[tuple[Path, Path | None]]:
    path = Path(entry)
    if path.is_dir():
        if any(os.path.realpath(path) == os.path.realpath(s) for s in skip):
            raise RunwaycutError(f"{path}: is also the output folder, so a rerun would take "
                                 "its results for photos; choose another --out")
        for found in _walk(path, recursive, skip):
            yield found, found.relative_to(path).with_suffix("")
    elif not path.exists() and _GLOB_CHARS.search(entry):
        base = Path(_glob_base(entry))
        matches = sorted(glob.glob(entry, recursive=True))
        if not matches:
            yield path, None  # fails as a missing photo, as an unexpanded shell glob does
        for match in matches:
            m = Path(match)
            if m.is_file() and not _under(m, skip) and not m.name.startswith("."):
                yield m, m.relative_to(base).with_suffix("")
    else:
        yield path, None


def _walk(top: Path, recursive: bool, skip: list[str]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if recursive and not d.startswith(".")
                             and os.path.abspath(os.path.join(dirpath, d)) not in skip)
        for name in sorted(filenames):
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in PHOTO_SUFFIXES:
                yield Path(dirpath) / name


def _glob_base(pattern: str) -> str:
    """The folder part of a pattern before its first wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        fixed.append(part)
    return os.path.join(*fixed) if fixed else "."


def _under(path: Path, folders: list[str]) -> bool:
    full = os.path.abspath(path)
    return any(full == f or full.startswith(f.rstrip(os.sep) + os.sep) for f in folders)
