"""Unexpected errors end one request, never the connection or the next request.

Starlette's outermost ``ServerErrorMiddleware`` answers an unhandled exception
with 500 and then re-raises it; uvicorn, seeing an exception after the
response, closes the keep-alive connection, so the client's next request on
it fails too (seen as "connection reset" after each "database is locked").
:class:`ServerErrorGuard` sits inside it: it logs the exception with the
request id, answers 500 (no traceback, no SQL) when nothing has been sent yet,
and does not re-raise: JSON with the request id, or on a page route the HTML
error page (:func:`rhizo.clinic.core.errors.error_response`, the one answer for
the API and the pages). The database side needs nothing more: the
request's session is closed by its dependency, and SQLAlchemy's pool rolls a
returned connection back (and discards it when even that fails).

A SQLite write lock still held after the busy timeout
(:data:`rhizo.clinic.core.database.BUSY_TIMEOUT_S`) is 503 with ``Retry-After``,
not 500: the request did nothing and may simply be sent again. A constraint
clash that escapes a service's transaction is 409 in words
(:func:`rhizo.clinic.core.conflicts.integrity_message`), never the database's text.
Both are rows of the one table in :mod:`rhizo.clinic.core.errors`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rhizo.clinic.core.errors import answer, error_response, json_response

_log = logging.getLogger("rhizo.clinic.server")


class ServerErrorGuard:
    """Answer an unhandled exception with a 500 and keep the connection open."""

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
        except Exception as error:
            rid = scope.get("state", {}).get("request_id")
            _log.exception(
                "unhandled error in %s %s (request %s)", scope.get("method"), scope.get("path"), rid
            )
            if started:
                raise
            response = _answer_unhandled(scope, error, rid)
            if rid:
                response.headers["x-request-id"] = str(rid)
            await response(scope, receive, send)


def _answer_unhandled(scope: Scope, error: Exception, rid: str | None) -> Response:
    """The 500 (JSON with the request id, or the page); JSON when the page fails too."""
    try:
        return error_response(Request(scope), error, request_id=rid)
    except Exception:  # the error page itself failed: never a second traceback
        _log.exception("the error page failed (request %s)", rid)
        return json_response(answer(error), request_id=rid)


def install(app: FastAPI) -> None:
    """The guard middleware (the table's handlers: :func:`rhizo.clinic.core.errors.install`)."""
    app.add_middleware(ServerErrorGuard)
