"""The HTTP service: routes stay thin; the work runs in :mod:`runwaycut.serve.pool`.

Every error is JSON, ``{"error": "..."}``: 400 bad parameters, 401 a missing or wrong
token, 404, 413 an upload over the limit (refused from its ``Content-Length`` before
the body is read, or as soon as a body without one passes the limit), 415 not an
image, 503 with ``Retry-After`` when the queue is full, 500 for a bug (logged, never
sent as a traceback).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Optional

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..batch.cores import choose_threads
from ..errors import RunwaycutError
from ..methods import METHODS
from ..threshold.rules import THRESHOLD_RULES
from .cut import BadPhotoError
from .gallery import OutsideResultsError, gallery_rows, resolve_inside, thumbnail
from .limits import UploadLimit, UploadTooLarge
from .pool import QueueFullError, WorkerDiedError, WorkerPool
from .request import OUTPUTS, CutRequest, served_targets
from .settings import ServeSettings

log = logging.getLogger("runwaycut.serve")

STATIC = files("runwaycut.serve") / "static"

#: Cookie the page sets when the server wants a token (images cannot send headers).
TOKEN_COOKIE = "runwaycut_token"


class ApiError(Exception):
    """An answer other than 200: status, message, extra headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def create_app(settings: ServeSettings, pool: WorkerPool | None = None) -> FastAPI:
    """The ASGI application of ``runwaycut serve``.

    Parameters
    ----------
    settings : ServeSettings
    pool : WorkerPool, optional
        Built (and started) at start-up from ``settings`` when not given.
    """
    state: dict = {"pool": pool, "methods": []}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state["pool"] is None:
            state["pool"] = WorkerPool(settings.workers, settings.queue, settings.max_pixels,
                                       threads=choose_threads(settings.workers))
        state["methods"] = await state["pool"].start()
        app.state.ready.set()
        try:
            yield
        finally:  # the server has let requests in flight finish: now the workers go
            await asyncio.to_thread(state["pool"].close)

    app = FastAPIOffline(
        title="runwaycut", version=__version__, lifespan=lifespan,
        description="Cut the figure, then the garment, out of runway photos. Errors are "
                    "JSON objects `{\"error\": \"...\"}`.",
        static_url="/static/docs",
        swagger_ui_parameters={"validatorUrl": None})  # no badge fetched from elsewhere
    app.state.ready = asyncio.Event()
    app.add_middleware(UploadLimit, max_bytes=settings.max_upload_bytes + _MULTIPART_SLACK,
                       limit_mb=settings.max_upload_mb)
    _install_error_handlers(app)

    def authorised(request: Request) -> None:
        if settings.token is None:
            return
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else \
            request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(given.encode(), settings.token.encode()):
            raise ApiError(401, "this server wants Authorization: Bearer TOKEN "
                                "(runwaycut serve --token)", {"WWW-Authenticate": "Bearer"})

    @app.get("/health", summary="Whether the service is up, and what it offers")
    async def health() -> dict:
        p = state["pool"]
        return {"status": "ok" if app.state.ready.is_set() else "starting",
                "version": __version__, "methods": state["methods"],
                "targets": list(served_targets()), "outputs": list(OUTPUTS),
                "workers": settings.workers,
                "threads": getattr(p, "threads", None), "queue": {
                    "capacity": 0 if p is None else p.capacity,
                    "admitted": 0 if p is None else p.admitted},
                "max_upload_mb": settings.max_upload_mb, "token": settings.token is not None,
                "results": settings.results is not None}

    @app.post("/v1/remove", summary="Cut the figure (or garment) out of one photo",
              dependencies=[Depends(authorised)], response_class=Response,
              openapi_extra=_REMOVE_OPENAPI)
    async def remove(
        request: Request,
        method: Optional[str] = Query(None, description="Figure backend: " + ", ".join(METHODS)
                                      + ". Default: auto, or palette when a threshold is given."),
        target: str = Query("figure", description="What to cut: " + ", ".join(served_targets())),
        output: str = Query("cutout", description="The answer: " + ", ".join(
            f"{k} ({v})" for k, v in OUTPUTS.items())),
        threshold: Optional[str] = Query(
            None, description="Palette band half-width (absolute: levels, default 20; relative: "
                              "a fraction, default 0.4) or a rule: " + ", ".join(THRESHOLD_RULES)),
        band: str = Query("absolute", description="absolute or relative"),
        vote: str = Query("any", description="any, majority or a fraction like 0.25"),
        points: int = Query(16, description="Palette colours, half from each edge strip"),
        strip: float = Query(1 / 8, description="Edge strip width, fraction of the width"),
        block: int = Query(9, description="Side of the block averaged at each point"),
        sampler: str = Query("random", description="random or kmeans"),
        seed: int = Query(0, description="Seed of the palette sampling"),
        keep_largest: bool = Query(True, description="Keep only the largest region"),
        fill_holes: bool = Query(True, description="Fill holes in the kept figure"),
    ) -> Response:
        try:
            cut = CutRequest(method=method, target=target, output=output, threshold=threshold,
                             band=band, vote=vote, points=points, strip=strip, block=block,
                             sampler=sampler, seed=seed, keep_largest=keep_largest,
                             fill_holes=fill_holes).check()
        except (ValueError, RunwaycutError) as exc:
            raise ApiError(400, str(exc)) from None
        data, filename = await _read_photo(request)
        try:
            answer = await state["pool"].cut(data, filename, cut)
        except QueueFullError as exc:
            raise ApiError(503, str(exc), {"Retry-After": str(exc.retry_after)}) from None
        except BadPhotoError as exc:
            raise ApiError(exc.status, str(exc)) from None
        except WorkerDiedError as exc:
            raise ApiError(500, str(exc)) from None
        except (RunwaycutError, ValueError) as exc:  # the method failed on this photo
            raise ApiError(422, f"{filename}: {exc}") from None
        return Response(answer.body, media_type=answer.media_type, headers={
            "Content-Disposition": f'inline; filename="{answer.filename}"',
            "Server-Timing": ", ".join(f"{k[:-3]};dur={v}" for k, v in answer.timings.items())})

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"))

    if settings.results is not None:
        _add_gallery(app, Path(settings.results).resolve(), authorised)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _add_gallery(app: FastAPI, root: Path, authorised) -> None:
    """The ``--results`` routes: the page, the rows, files and thumbnails (read-only)."""

    @app.get("/results", include_in_schema=False)
    async def gallery_page() -> FileResponse:
        return FileResponse(str(STATIC / "gallery.html"))

    @app.get("/v1/results", summary="The batch's manifest rows, with their files",
             dependencies=[Depends(authorised)])
    async def results() -> dict:
        rows = await run_in_threadpool(gallery_rows, root)
        return {"folder": root.name, "rows": rows}

    @app.get("/v1/results/files/{relative:path}", summary="One output file of the batch",
             dependencies=[Depends(authorised)], response_class=FileResponse)
    async def result_file(relative: str) -> FileResponse:
        return FileResponse(_inside(root, relative))

    @app.get("/v1/results/thumbs/{relative:path}", summary="A small PNG of one output picture",
             dependencies=[Depends(authorised)], response_class=Response)
    async def result_thumb(relative: str) -> Response:
        path = _inside(root, relative)
        if path.suffix.lower() != ".png":
            raise ApiError(404, f"not a picture: {relative}")
        try:
            blob = await run_in_threadpool(thumbnail, path)
        except OutsideResultsError:
            raise ApiError(404, f"cannot read picture: {relative}") from None
        return Response(blob, media_type="image/png", headers={"Cache-Control": "max-age=60"})


def _inside(root: Path, relative: str) -> Path:
    try:
        return resolve_inside(root, relative)
    except OutsideResultsError:
        raise ApiError(404, f"no such file in the results folder: {relative}") from None


#: Room for the multipart envelope (boundaries, part headers) beyond the photo's bytes.
_MULTIPART_SLACK = 64 * 1024

#: Media types taken as a raw photo body (the reader decides what the bytes really are).
_RAW_TYPES = ("image/", "application/octet-stream")


async def _read_photo(request: Request) -> tuple[bytes, str]:
    """The photo of a request: multipart field ``file``, or the raw body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form(max_files=4, max_fields=16)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "no photo: send it as the multipart field 'file'")
        data = await upload.read()
        return data, upload.filename or "upload"
    if kind and not kind.startswith(_RAW_TYPES):
        raise ApiError(415, f"send the photo as multipart field 'file' or as an image body, "
                            f"not {kind}")
    data = await request.body()
    if not data:
        raise ApiError(400, "no photo: send it as multipart field 'file' or as the request body")
    name = request.headers.get("x-filename") or "upload"
    return data, name


def _install_error_handlers(app: FastAPI) -> None:
    def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(request, exc: ApiError):
        return error(exc.status, exc.message, exc.headers)

    @app.exception_handler(UploadTooLarge)
    async def too_large(request, exc: UploadTooLarge):
        return error(413, str(exc), {"Connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            message = f"no such page: {request.url.path}"
        return error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "query")
            problems.append(f"{where}: {e.get('msg')} (got {e.get('input')!r})")
        return error(400, "; ".join(problems) or "bad parameters")

    @app.exception_handler(Exception)
    async def bug(request, exc: Exception):
        log.exception("error on %s", request.url.path)
        return error(500, f"internal error ({type(exc).__name__}); see the server's log")


_REMOVE_OPENAPI = {
    "requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "The photo (JPEG, PNG, TIFF, WebP, BMP)"}}}},
        "image/*": {"schema": {"type": "string", "format": "binary"}}}},
    "responses": {
        "200": {"description": "The answer `output` asks for", "content": {
            "image/png": {}, "application/json": {}, "application/zip": {}}},
        "400": {"description": "Bad parameters"},
        "401": {"description": "Missing or wrong token (with --token)"},
        "413": {"description": "Upload over --max-upload-mb, or a photo over the pixel limit"},
        "415": {"description": "Not an image"},
        "422": {"description": "The method failed on this photo"},
        "503": {"description": "Queue full; see Retry-After"}},
}
