"""Typed errors: every failure a user can cause names the file and the problem.

The command line turns any :class:`RunwaycutError` into a one-line message and exit
code 2; the library lets it propagate so callers can catch it by type.
"""

from __future__ import annotations

from pathlib import Path


class RunwaycutError(Exception):
    """Base class of every error runwaycut raises on purpose."""


class ImageReadError(RunwaycutError):
    """A photo could not be read: missing, unreadable, truncated, empty or not an image."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


class ImageSizeError(ImageReadError):
    """A photo is too small to process or too large to decode safely."""


class InvalidImageError(RunwaycutError, ValueError):
    """An in-memory array is not an image runwaycut can process (shape, dtype)."""


class LabelError(RunwaycutError):
    """A label file is missing, unreadable, of the wrong size or holds unknown values."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


class ModelError(RunwaycutError):
    """A model file is missing, corrupt, or of another version."""


class DiskFullError(RunwaycutError, OSError):
    """Nothing more can be written: the disk, a quota or a file-size limit is full.

    A batch stops at the first one (every later photo would fail the same way), leaving
    whole files and whole manifest rows; rerunning the same command after freeing space
    resumes. An :class:`OSError` too, so code that handles write failures sees it."""

    def __init__(self, message: str):
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self):  # one message, across worker processes
        return (type(self), (str(self),))
