"""Unexpected errors end one request, never the connection or the next request.

Starlette's outermost ``ServerErrorMiddleware`` answers an unhandled exception
with 500 and then re-raises it; uvicorn, seeing an exception after the
response, closes the keep-alive connection, so the client's next request on
it fails too (seen as "connection reset" after each "database is locked").
:class:`ServerErrorGuard` sits inside it: it logs the exception with the
request id, answers 500 in JSON (no traceback, no SQL) when nothing has been
sent yet, and does not re-raise. The database side needs nothing more: the
request's session is closed by its dependency, and SQLAlchemy's pool rolls a
returned connection back (and discards it when even that fails).

A SQLite write lock still held after the busy timeout
(:data:`rhizo.clinic.core.database.BUSY_TIMEOUT_S`) is 503 with ``Retry-After``,
not 500: the request did nothing and may simply be sent again. A constraint
clash that escapes a service's transaction is 409 in words
(:func:`rhizo.clinic.core.conflicts.integrity_message`), never the database's text.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rhizo.clinic.core.conflicts import integrity_message

_log = logging.getLogger("rhizo.clinic.server")

INTERNAL_ERROR = (
    "internal error: the request was not completed and nothing was saved; "
    "the administrator can find it in the server log by its request id"
)
BUSY = "the database is busy; nothing was saved, send the request again in a moment"
RETRY_AFTER_S = 1


def is_busy(error: OperationalError) -> bool:
    """SQLite's "database is locked" / "database is busy" after the busy timeout."""
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    return "database is locked" in text or "database is busy" in text


class ServerErrorGuard:
    """Answer an unhandled exception with a JSON 500 and keep the connection open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            rid = scope.get("state", {}).get("request_id")
            _log.exception(
                "unhandled error in %s %s (request %s)", scope.get("method"), scope.get("path"), rid
            )
            if started:
                raise
            body = json.dumps({"detail": INTERNAL_ERROR, "request_id": rid}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            if rid:
                headers.append((b"x-request-id", str(rid).encode()))
            await send(
                {
                    "type": "http.response.start",
                    "status": status.HTTP_500_INTERNAL_SERVER_ERROR,
                    "headers": headers,
                }
            )
            await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    """The guard middleware and the busy-database handler."""

    @app.exception_handler(OperationalError)
    def _operational(request: Request, error: OperationalError) -> JSONResponse:
        if is_busy(error):
            _log.warning("database busy past the timeout: %s %s", request.method, request.url.path)
            return JSONResponse(
                {"detail": BUSY},
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        _log.error("database error in %s %s", request.method, request.url.path, exc_info=error)
        return JSONResponse(
            {"detail": INTERNAL_ERROR}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR
        )

    @app.exception_handler(IntegrityError)
    def _integrity(request: Request, error: IntegrityError) -> JSONResponse:
        return JSONResponse(
            {"detail": integrity_message(error)}, status_code=status.HTTP_409_CONFLICT
        )

    app.add_middleware(ServerErrorGuard)
