"""The upload limit, enforced before a body is read whole.

A request whose ``Content-Length`` is over the limit is answered 413 at once, its body
never stored: a client that sent ``Expect: 100-continue`` (curl does for large bodies)
never sends it; one that sends it anyway has it read and dropped for a few seconds
while the answer waits on the wire, so that closing the connection on unread data
(which resets it) does not destroy the answer before the client reads it. A body
without a length (chunked) is counted as it arrives and refused once past the limit.
"""

from __future__ import annotations

import asyncio
import json

#: Longest a refused body without ``Expect: 100-continue`` is read and dropped, seconds.
DRAIN_SECONDS = 5.0


class UploadTooLarge(Exception):
    """A request body over the limit."""


class UploadLimit:
    """Pure ASGI middleware: 413 for request bodies over ``max_bytes``.

    ``limit_mb`` is the limit as the user set it, for the message (``max_bytes`` may
    add room for a multipart form's envelope).
    """

    def __init__(self, app, max_bytes: int, limit_mb: float):
        self.app = app
        self.max_bytes = int(max_bytes)
        self.limit_mb = limit_mb

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared > self.max_bytes:
                expects = dict(scope.get("headers") or []).get(b"expect", b"").lower()
                return await _refuse(send, receive, self._message(declared),
                                     drain=expects != b"100-continue")
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's read: the app's handler answers 413.
                    raise UploadTooLarge(self._message(None))
            return message

        return await self.app(scope, counted_receive, send)

    def _message(self, declared: int | None) -> str:
        size = "" if declared is None else f" ({declared / 2 ** 20:.1f} MiB)"
        return (f"the upload{size} is over this server's limit of {self.limit_mb:g} MiB "
                "(--max-upload-mb)")


async def _refuse(send, receive, message: str, drain: bool) -> None:
    """Answer 413; with ``drain``, read and drop the body for up to DRAIN_SECONDS
    before ending the answer (the connection is closed after it either way)."""
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body, "more_body": drain})
    if not drain:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_SECONDS
    try:
        while (left := deadline - loop.time()) > 0:
            message = await asyncio.wait_for(receive(), left)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
    except asyncio.TimeoutError:
        pass
    await send({"type": "http.response.body", "body": b""})
