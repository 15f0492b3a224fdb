"""Security headers for the pages: a strict Content-Security-Policy and friends.

Why each header:

- ``Content-Security-Policy``: scripts only from this origin (the vendored htmx,
  no CDN, no inline script), so an injected ``<script>`` cannot run; styles also
  allow ``'unsafe-inline'`` because matplotlib's inline SVG plots carry
  ``style`` attributes and htmx adds its indicator ``<style>``; no framing, forms
  post only to this origin, no plugins.
- ``X-Content-Type-Options: nosniff``: the browser trusts our content types.
- ``Referrer-Policy: same-origin``: a patient id in a URL does not leave the site.
- ``X-Frame-Options: DENY``: clickjacking protection for older browsers.

FastAPI's ``/docs`` and ``/redoc`` load Swagger UI / ReDoc from a CDN, so they
are left without the CSP (they show no patient data).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
_CDN_PAGES = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    """Add :data:`_HEADERS` to every HTTP response except the API explorer pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or any(path.startswith(page) for page in _CDN_PAGES):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in _HEADERS if pair[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)
