"""The login gate: at most ``limit`` login requests in flight per process; the rest get 429
at once, before their body is read.

A refused login (throttled, or no verification slot free:
:mod:`rhizo.clinic.auth.login`) still costs a form parse, a database read and a
worker thread, about 30 ms of the process's one interpreter lock; thirty
flooding clients then keep the process busy on refusals alone, and an
authenticated clinician's read waits behind them. This ASGI middleware counts
the login requests being handled (``POST`` to the API token endpoint and the
two login forms) on the event loop and answers any beyond ``limit`` with 429
and ``Retry-After: 1`` in well under a millisecond, without reading the body,
touching the database or taking a thread. ``limit`` is the number of
verification slots plus two (requests being parsed or checked while one hashes).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

#: The paths of a login attempt (API token endpoint, web password and code steps).
LOGIN_PATHS = frozenset({"/api/v1/auth/token", "/login", "/login/totp"})


class LoginGateMiddleware:
    """Refuse login requests beyond ``limit`` in flight (429, ``Retry-After: 1``)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"login gate: limit {limit} must be at least 1")
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path") not in LOGIN_PATHS
        ):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await _busy(scope, send)
            return
        self.in_flight += 1  # the event loop's thread only: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _busy(scope: Scope, send: Send) -> None:
    api = str(scope.get("path", "")).startswith("/api/")
    if api:
        body = json.dumps(
            {"detail": "the server is busy checking other logins; retry in 1 s"}
        ).encode()
        kind = b"application/json"
    else:
        body = (
            b"<!doctype html><title>Busy</title><p>The server is busy checking other "
            b'logins. Wait a moment and <a href="/login">try again</a>.</p>'
        )
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
