"""Refuse request bodies larger than the largest legitimate one (HTTP 413).

Starlette reads a urlencoded form whole before any handler runs, and the
login form is parsed before its CSRF check, so without a cap an anonymous
client can make the server buffer a body of any size. The largest real body
is a procedure with twelve lesion rows and long notes (tens of kB); 1 MiB
leaves ample room.

* A declared ``Content-Length`` over the cap is refused before the body is read.
* A body without one (``Transfer-Encoding: chunked``) is read here first, up to
  the cap, and refused with 413 as soon as it passes it; a body within the cap
  is then handed to the application as it arrived. (Counting inside the
  application's own ``receive`` is not enough: FastAPI turns any exception
  raised while it reads a body into its own 400 "error parsing the body".)
* A body longer than its declared length is cut off by the server (h11 or
  httptools), so it is not counted again here.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimitMiddleware:
    """ASGI middleware: 413 for a body over ``max_bytes`` (declared or counted)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"request body larger than {self.max_bytes} bytes is refused"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False  # the server rejects a malformed length itself
            if too_big:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        buffered = await self._read_capped(receive)
        if buffered is None:
            await self._refuse(send)
            return
        await self.app(scope, _replay(buffered, receive), send)

    async def _read_capped(self, receive: Receive) -> list[Message] | None:
        """The body's messages up to the end of the body, or None once it passes the cap."""
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # a disconnect: the application sees it as it would
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then the server's own."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
