"""Refuse request bodies larger than the largest legitimate one (HTTP 413).

Starlette reads a urlencoded form whole before any handler runs, and the
login form is parsed before its CSRF check, so without a cap an anonymous
client can make the server buffer a body of any size. The largest real body
is a procedure with twelve lesion rows and long notes (tens of kB); 1 MiB
leaves ample room. A declared ``Content-Length`` over the cap is refused
before the body is read; a chunked body is counted as it arrives and cut off
at the cap.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """The body passed :data:`MAX_BODY_BYTES` while it was being read."""


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
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)
