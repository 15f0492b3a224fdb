"""The login gate: at most ``limit`` login requests in flight per process; the rest get 429
at once, before their body is read.

A refused login (throttled, or no verification slot free:
:mod:`rhizo.clinic.core.auth.login`) still costs a form parse, a database read and a
worker thread, about 30 ms of the process's one interpreter lock; thirty
flooding clients then keep the process busy on refusals alone, and an
authenticated clinician's read waits behind them. This ASGI middleware counts
the login requests being handled (``POST`` to the API token endpoint and the
two login forms) on the event loop and answers any beyond ``limit`` with 429
and ``Retry-After: 1``, without reading the body, touching the database or
taking a thread. The refusal is held ``HOLD_S`` (1 s) before it is sent: a
sleeping coroutine costs no CPU, and a client that floods on one keep-alive
connection then gets one answer a second instead of hundreds (measured:
benchmarks/login_flood.py, docs/performance.md "Login flood"). ``limit`` is
the number of verification slots plus two (requests being parsed or checked
while one hashes).
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Receive, Scope, Send

#: Seconds a refusal is held before it is sent (the ``Retry-After`` it names).
HOLD_S = 1.0
#: The paths of a login attempt (API token endpoint, web password and code steps).
LOGIN_PATHS = frozenset({"/api/v1/auth/token", "/login", "/login/totp"})


class LoginGateMiddleware:
    """Refuse login requests beyond ``limit`` in flight (429, ``Retry-After: 1``)."""

    def __init__(self, app: ASGIApp, *, limit: int, hold_s: float = HOLD_S) -> None:
        if limit < 1:
            raise ValueError(f"login gate: limit {limit} must be at least 1")
        self.app = app
        self.limit = limit
        self.hold_s = hold_s
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
            # Held, not computed: an idle coroutine costs no CPU, and a flooding
            # connection gets at most one answer per HOLD_S instead of hundreds.
            await asyncio.sleep(self.hold_s)
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
