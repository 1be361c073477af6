"""``runwaycut serve``: the HTTP API and the web page."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..batch.manifest import MANIFEST_FILE
from ..batch.cores import default_workers
from ..io import MAX_PIXELS
from ._app import Command, app
from ._common import fail, reports_errors, say


@app.command(cls=Command)
@reports_errors
def serve(
    host: str = typer.Option("127.0.0.1", metavar="HOST", help="Address to listen on. Loopback by default; "
                                               "another address without --token is warned about."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port (0: any free port)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", "-j", min=1,
        help="Worker processes cutting photos, each loading the models once "
             "(default: the cores available). Fewer workers than cores share the spare "
             "cores out as threads of their neural models: one cut at a time is faster."),
    queue: int = typer.Option(8, min=0, help="Requests that may wait for a worker; more are "
                                             "answered 503 with Retry-After."),
    max_upload_mb: float = typer.Option(25, min=0.001, help="Largest upload in MiB (413 over it, "
                                                            "refused before it is read)."),
    results: Optional[Path] = typer.Option(
        None, metavar="DIR", help="A batch's output folder (runwaycut remove --out DIR) to show "
                                  "as a gallery at /results, read-only."),
    token: Optional[str] = typer.Option(
        None, envvar="RUNWAYCUT_TOKEN", metavar="TOKEN", help="Require 'Authorization: Bearer TOKEN' on the API "
                                             "and the gallery (or set RUNWAYCUT_TOKEN)."),
    max_pixels: int = typer.Option(
        MAX_PIXELS, min=1, help="Refuse photos with more pixels than this, undecoded (413; "
                                "decompression-bomb guard)."),
) -> None:
    """Serve the HTTP API and the web page.

    POST /v1/remove cuts one photo (multipart field 'file' or a raw image body); the
    query takes the options of 'runwaycut remove' (method, target, threshold, band...)
    and output=cutout|mask|overlay|labels|json|zip. GET /health, the page at /, the API
    documented at /docs. Prints its URL once the workers have loaded their models;
    Ctrl-C or SIGTERM lets requests in flight finish, then stops.
    """
    if results is not None:
        if not results.is_dir():
            raise fail(f"{results}: --results wants a folder (runwaycut remove --out)")
        if not (results / MANIFEST_FILE).is_file():
            raise fail(f"{results}: no {MANIFEST_FILE} in it (is it a runwaycut remove --out "
                       "folder?)")
    # Imported here: the service pulls in FastAPI and the garment stage (scikit-learn),
    # a second of start-up that every other subcommand (remove...) would pay for nothing.
    from ..serve import ServeSettings, run_server

    settings = ServeSettings(host=host, port=port, workers=workers or default_workers(),
                             queue=queue, max_upload_mb=max_upload_mb, results=results,
                             token=token, max_pixels=max_pixels)
    try:
        run_server(settings, say=lambda line: say(
            line, style="yellow" if line.startswith("warning") else None))
    except OSError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        say("stopped", style="yellow")
