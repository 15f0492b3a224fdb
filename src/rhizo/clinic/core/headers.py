"""Security headers on every response, API and pages alike, from one middleware.

:class:`SecurityHeadersMiddleware` is registered by
:func:`rhizo.clinic.api.create_app`, so the REST API (``rhizo serve``) and the
pages (which :func:`rhizo.clinic.web.app.create_web_app` adds to that app)
send the same headers. Why each one (OWASP Secure Headers Project;
OWASP ASVS 4.0 V14.4 "HTTP Security Headers"):

- ``Content-Security-Policy``: scripts only from this origin (the vendored htmx,
  no CDN, no inline script), so an injected ``<script>`` cannot run; styles also
  allow ``'unsafe-inline'`` because matplotlib's inline SVG plots carry
  ``style`` attributes and htmx adds its indicator ``<style>``; no framing
  (``frame-ancestors 'none'``), forms post only to this origin, no plugins.
- ``X-Content-Type-Options: nosniff``: the browser trusts our content types.
- ``Referrer-Policy: same-origin``: a patient id in a URL does not leave the site.
- ``X-Frame-Options: DENY``: clickjacking protection for older browsers.
- ``Permissions-Policy``: no camera, microphone, location, payment or USB.
- ``Cross-Origin-Opener-Policy`` / ``Cross-Origin-Resource-Policy: same-origin``:
  another site's window or page cannot hold a handle on ours or embed our JSON.
- ``Cache-Control: no-store``: patient data is never kept by a browser or a
  shared cache; every response but the static files (htmx, CSS: no patient
  data) carries it, unless the route set its own.
- ``Strict-Transport-Security: max-age=31536000`` (one year): only on requests
  that arrived over HTTPS (direct TLS, or a trusted proxy's
  ``X-Forwarded-Proto: https``, :mod:`rhizo.clinic.core.proxy`): RFC 6797 section
  7.2 forbids it over plain HTTP (and section 8.1 has browsers ignore it
  there). ``includeSubDomains`` (which ASVS 4.0.3 V14.4.5 asks for) is left
  to the operator's proxy, who knows the other hosts of the domain.

FastAPI's ``/docs`` and ``/redoc`` load Swagger UI / ReDoc from a CDN, so they
are left without the CSP (they show no patient data); they get the rest.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HSTS = "max-age=31536000"
NO_STORE = "no-store"
_CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())
_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_CDN_PAGES = ("/docs", "/redoc")
_STATIC = "/static/"


def headers_for(path: str, scheme: str) -> list[tuple[bytes, bytes]]:
    """The security headers a response to ``path`` over ``scheme`` gets."""
    headers = list(_HEADERS)
    if not any(path.startswith(page) for page in _CDN_PAGES):
        headers.append(_CSP)
    if not path.startswith(_STATIC):
        headers.append((b"cache-control", NO_STORE.encode()))
    if scheme in ("https", "wss"):
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    """Add :func:`headers_for` to every HTTP response (a header the route set is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""), scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in extra if pair[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)
