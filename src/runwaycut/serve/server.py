"""Run the service: bind, print the URL, serve until SIGTERM or Ctrl-C, drain."""

from __future__ import annotations

import asyncio
import socket
import sys

import uvicorn

from .app import create_app
from .settings import ServeSettings

#: Seconds a stopping server waits for requests in flight before it closes them.
DRAIN_SECONDS = 60


def bind(settings: ServeSettings) -> socket.socket:
    """A listening socket on the settings' host and port (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {settings.host}:{settings.port}: "
                      f"{exc.strerror or exc}") from None
    sock.listen(256)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def run_server(settings: ServeSettings, say=print) -> None:
    """Serve until stopped. SIGTERM or Ctrl-C: no new connection is taken, requests in
    flight finish (up to :data:`DRAIN_SECONDS`), then the workers stop.

    ``say`` prints the status lines: the URL once the workers have loaded their models,
    and a warning when the server is reachable from other machines without a token.
    """
    if not settings.loopback and settings.token is None:
        say(f"warning: listening on {settings.host}, reachable from other machines, without "
            "--token: anyone who can reach it can use it")
    sock = bind(settings)
    url = url_of(sock)
    app = create_app(settings)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=DRAIN_SECONDS,
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)

    async def announce():
        await app.state.ready.wait()
        pages = f"{url}  (API docs {url}docs"
        pages += f", results {url}results)" if settings.results is not None else ")"
        say(f"runwaycut serve: {pages}; {settings.workers} worker"
            f"{'' if settings.workers == 1 else 's'}; Ctrl-C to stop")
        sys.stdout.flush()

    async def main():
        task = asyncio.create_task(announce())
        try:
            await server.serve(sockets=[sock])
        finally:
            task.cancel()

    try:
        asyncio.run(main())
    finally:
        sock.close()
