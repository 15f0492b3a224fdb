"""The clinic web application: the REST API of :func:`rhizo.clinic.api.create_app` plus pages.

:func:`create_web_app` adds the page routers, the static files and the HTML
error pages. Every service error has one answer
(:func:`rhizo.clinic.core.errors.answer`: the status and the message in words);
:class:`PageErrorPages` shows it as a page when the request was routed to a page
(by the route: the page routers are registered here), while the REST routes keep
their JSON problem details. A 404 and a 500 page name no record, query or stack
trace; every error page shows the request id, the way back and the start page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import Scope

from rhizo.clinic.api import create_app
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import API_PREFIX
from rhizo.clinic.core.errors import ErrorAnswer
from rhizo.clinic.web import (
    access,
    account,
    admin,
    admin_settings,
    analytics,
    audit_log,
    export,
    forms,
    intake,
    login,
    outbox,
    pages,
    plan_status,
    planner,
    portal_reviews,
    records,
    research,
    schedule,
    specialists,
)
from rhizo.clinic.web.documents import routes as documents_routes

STATIC_DIR = Path(__file__).with_name("static")

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    409: "Not saved: a conflict",
    422: "Not saved: a value was refused",
    500: "Something went wrong",
    503: "Busy: try again",
}
_MESSAGES = {
    403: "Your role may not open this page, or the form had expired. Go back and try again.",
    404: "There is no such page or record.",
    500: "The server could not show this page. The error was logged.",
}


def _back(request: Request) -> str | None:
    """The page the user came from (this site's own Referer path only), else None."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "") if path.startswith("/") else None


def error_page(
    request: Request,
    status_code: int,
    message: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error page: the status, a sentence in words (``message``, or a fixed one that
    names no stored data), the request id, the way back and the start page."""
    response = pages.render(
        request,
        "error.html",
        {
            "status": status_code,
            "title": _TITLES.get(status_code, "Error"),
            "message": message or _MESSAGES.get(status_code, "The request could not be completed."),
            "request_id": getattr(request.state, "request_id", None),
            "back": _back(request),
        },
        status_code=status_code,
    )
    response.headers.update(dict(headers or {}))
    return response


def _bad_address_message(error: RequestValidationError) -> str:
    # Names the parameter and the rule; the typed value is the user's own text,
    # shortened (and escaped by the template).
    parts = []
    for item in error.errors()[:3]:
        loc = [str(part) for part in item.get("loc", ())[1:]] or ["request"]
        typed = item.get("input")
        shown = f" (entered {str(typed)[:40]!r})" if isinstance(typed, str | int) else ""
        parts.append(f"{'.'.join(loc)}: {item.get('msg', 'invalid value')}{shown}")
    return "The address has an invalid value: " + "; ".join(parts) + "."


def _is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX) or path in ("/docs", "/redoc", "/openapi.json")


class PageErrorPages:
    """The web app's :class:`rhizo.clinic.core.errors.PageErrors`: which routes are pages,
    and the page that shows an error's one answer."""

    def __init__(self) -> None:
        self._route_ids: set[int] = set()

    def add_routes(self, routes: Iterable[BaseRoute]) -> None:
        """Count ``routes`` (as mounted on the app) as page routes."""
        self._route_ids.update(id(route) for route in routes)

    def is_page(self, scope: Scope) -> bool:
        """A request routed to a page route; one that matched no route (an unknown
        address) is a page unless its path is the API's."""
        route = scope.get("route")
        if route is not None:
            return id(route) in self._route_ids
        return not _is_api_path(str(scope.get("path", "")))

    def render(self, request: Request, error: BaseException, answer: ErrorAnswer) -> Response:
        """The error page for ``answer``. A bad value in the address is the page's own
        case: a path id that names no record is 404, a bad query value 400 in words."""
        if isinstance(error, RequestValidationError):
            if any(item.get("loc", ("",))[0] == "path" for item in error.errors()):
                return error_page(request, 404)  # /patients/abc names no record
            return error_page(request, 400, _bad_address_message(error))
        fixed = answer.status in (404, 500)  # these name no record and no internals
        return error_page(
            request, answer.status, None if fixed else answer.message, headers=answer.headers
        )


def page_errors(app: FastAPI) -> PageErrorPages:
    """The app's page-error registry (made on first use)."""
    registry: PageErrorPages | None = getattr(app.state, "page_errors", None)
    if registry is None:
        registry = PageErrorPages()
        app.state.page_errors = registry
    return registry


def include_page_router(app: FastAPI, router: APIRouter) -> None:
    """Include ``router`` on ``app`` as pages: its errors render as HTML error pages."""
    before = {id(route) for route in app.router.routes}
    app.include_router(router)
    added = [route for route in app.router.routes if id(route) not in before]
    # The route a request is matched to (scope["route"]) is the router's own route object,
    # reached through the inclusion.
    page_errors(app).add_routes(context.route for context in iter_route_contexts(added))


async def _call(handler: Handler, request: Request, error: Any) -> Response:
    result = handler(request, error)
    if isinstance(result, Response):
        return result
    return await result


def install_error_pages(app: FastAPI) -> None:
    """The page-only exceptions (login, second factor, forbidden, CSRF, not found) and the
    HTTP errors of page routes; service errors need nothing here: the core's one handler
    asks :class:`PageErrorPages` (``app.state.page_errors``)."""
    registry = page_errors(app)
    api_http: Handler | None = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(access.LoginRequired)
    def _login(request: Request, error: access.LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(error.next_path, safe='/')}", status_code=303)

    @app.exception_handler(access.SecondFactorEnrolRequired)
    def _enrol(request: Request, error: access.SecondFactorEnrolRequired) -> Response:
        return RedirectResponse(login.ENROL_PATH, status_code=303)

    @app.exception_handler(access.PageForbidden)
    def _forbidden(request: Request, error: access.PageForbidden) -> Response:
        return error_page(request, 403)

    @app.exception_handler(access.PasswordChangeRequired)
    def _must_change(request: Request, error: access.PasswordChangeRequired) -> Response:
        return RedirectResponse("/account?must_change=1", status_code=303)

    @app.exception_handler(access.CsrfRefused)
    def _csrf(request: Request, error: access.CsrfRefused) -> Response:
        return error_page(request, 403)

    @app.exception_handler(access.PageNotFound)
    def _missing(request: Request, error: access.PageNotFound) -> Response:
        return error_page(request, 404)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        page = registry.is_page(request.scope)
        if not page or error.status_code not in (403, 404, 405):
            if api_http is not None:
                return await _call(api_http, request, error)
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, error)
        return error_page(request, 404 if error.status_code == 405 else error.status_code)


def add_pages(app: FastAPI, *, synthetic: bool = False) -> FastAPI:
    """Mount the pages and static files on an app made by :func:`create_app`."""
    app.state.synthetic = synthetic
    for router in (
        login.router,
        account.router,
        records.router,  # before pages: /patients/new ahead of /patients/{patient_id}
        pages.router,
        admin.router,
        admin_settings.router,
        planner.router,
        specialists.router,
        forms.router,
        plan_status.router,
        export.router,
        analytics.router,
        audit_log.router,
        research.router,
        documents_routes.router,
        schedule.router,
        portal_reviews.router,
        intake.router,
        outbox.router,
    ):
        include_page_router(app, router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)
    return app


def create_web_app(
    settings: Settings | None = None, *, engine: Engine | None = None, synthetic: bool = False
) -> FastAPI:
    """The REST API and the pages on one app; ``synthetic`` labels every page SYNTHETIC."""
    return add_pages(create_app(settings, engine=engine), synthetic=synthetic)
