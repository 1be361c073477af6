"""The service's settings: one object, built at start-up, handed to the app."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..io import MAX_PIXELS


@dataclass(frozen=True)
class ServeSettings:
    """How ``runwaycut serve`` runs.

    Attributes
    ----------
    host : str
        Address to bind (loopback by default).
    port : int
        Port (0: any free port, printed at start).
    workers : int
        Worker processes cutting photos (each loads the models once).
    queue : int
        Requests that may wait for a worker; more get 503 with ``Retry-After``.
    max_upload_mb : float
        Largest upload, in MiB (over it: 413, refused before the body is read).
    results : Path, optional
        A batch's output folder (``runwaycut remove --out``) shown as a gallery.
    token : str, optional
        When set, the API and the gallery want ``Authorization: Bearer TOKEN``.
    max_pixels : int
        Decompression-bomb guard of the reader (413 beyond it).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    queue: int = 8
    max_upload_mb: float = 25
    results: Path | None = None
    token: str | None = None
    max_pixels: int = MAX_PIXELS

    def __post_init__(self):
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.queue < 0:
            raise ValueError(f"queue must be 0 or more, got {self.queue}")
        if not self.max_upload_mb > 0:
            raise ValueError(f"max upload must be over 0 MB, got {self.max_upload_mb}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must lie in 0..65535, got {self.port}")
        if self.token is not None and not self.token.strip():
            raise ValueError("the token is empty")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def loopback(self) -> bool:
        """Whether the host is reachable from this machine only."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: assume it is reachable from elsewhere
            return False
