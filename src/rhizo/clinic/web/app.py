"""The clinic web application: the REST API of :func:`rhizo.clinic.api.create_app` plus pages.

:func:`create_web_app` adds the page routers, the static files and HTML
error pages (403, 404, 500) that name no record, query or stack trace.
Requests under ``/api/`` keep the API's JSON errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from rhizo.clinic.api import create_app
from rhizo.clinic.core.common import NotFoundError
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import API_PREFIX
from rhizo.clinic.web import (
    access,
    account,
    analytics,
    export,
    forms,
    login,
    pages,
    planner,
    specialists,
)

STATIC_DIR = Path(__file__).with_name("static")
_log = logging.getLogger("rhizo.web")

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    500: "Something went wrong",
}
_MESSAGES = {
    403: "Your role may not open this page, or the form had expired. Go back and try again.",
    404: "There is no such page or record.",
    500: "The server could not show this page. The error was logged.",
}


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    """A plain error page: status and a fixed sentence (or ``message``), no stored data."""
    return pages.render(
        request,
        "error.html",
        {
            "status": status_code,
            "title": _TITLES.get(status_code, "Error"),
            "message": message or _MESSAGES.get(status_code, "The request could not be completed."),
        },
        status_code=status_code,
    )


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


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path in (
        "/docs",
        "/redoc",
        "/openapi.json",
    )


async def _call(handler: Handler, request: Request, error: Any) -> Response:
    result = handler(request, error)
    if isinstance(result, Response):
        return result
    return await result


def install_error_pages(app: FastAPI) -> None:
    """HTML for page requests; the API's own handlers for ``/api/``."""
    api_not_found: Handler | None = app.exception_handlers.get(NotFoundError)
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

    @app.exception_handler(access.CsrfRefused)
    def _csrf(request: Request, error: access.CsrfRefused) -> Response:
        return error_page(request, 403)

    @app.exception_handler(access.PageNotFound)
    def _missing(request: Request, error: access.PageNotFound) -> Response:
        return error_page(request, 404)

    api_validation: Handler | None = app.exception_handlers.get(RequestValidationError)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        # Pages read forms themselves; what reaches here is a path or query value.
        if _is_api(request) and api_validation is not None:
            return await _call(api_validation, request, error)
        if any(item.get("loc", ("",))[0] == "path" for item in error.errors()):
            return error_page(request, 404)  # /patients/abc names no record
        return error_page(request, 400, _bad_address_message(error))

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, error: NotFoundError) -> Response:
        if _is_api(request) and api_not_found is not None:
            return await _call(api_not_found, request, error)
        return error_page(request, 404)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if _is_api(request) or error.status_code not in (403, 404, 405):
            if api_http is not None:
                return await _call(api_http, request, error)
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, error)
        return error_page(request, 404 if error.status_code == 405 else error.status_code)

    @app.exception_handler(Exception)
    def _server_error(request: Request, error: Exception) -> Response:
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return error_page(request, 500)


def add_pages(app: FastAPI, *, synthetic: bool = False) -> FastAPI:
    """Mount the pages and static files on an app made by :func:`create_app`."""
    app.state.synthetic = synthetic
    app.include_router(login.router)
    app.include_router(account.router)
    app.include_router(pages.router)
    app.include_router(planner.router)
    app.include_router(specialists.router)
    app.include_router(forms.router)
    app.include_router(export.router)
    app.include_router(analytics.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)
    return app


def create_web_app(
    settings: Settings | None = None, *, engine: Engine | None = None, synthetic: bool = False
) -> FastAPI:
    """The REST API and the pages on one app; ``synthetic`` labels every page SYNTHETIC."""
    return add_pages(create_app(settings, engine=engine), synthetic=synthetic)
