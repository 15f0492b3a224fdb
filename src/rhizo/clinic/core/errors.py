"""HTTP mapping of errors: one table from exception to status and body, for the API and
the pages alike.

:data:`ERROR_RESPONSES` says, for each error status the API sends, the body's
model and what it means; :data:`EXCEPTION_STATUS` says which status each
exception becomes. :func:`answer` turns any exception into one
:class:`ErrorAnswer` (the table's 4xx, else the server's 503 for a busy
database or 500); :func:`error_response` sends it as JSON, or, on a page route,
as the HTML error page of the :class:`PageErrors` the web app registers
(``app.state.page_errors``: the core imports no page code). :func:`install`
registers that one handler for every exception of the table, and
:mod:`rhizo.clinic.core.openapi` documents every operation's error responses
from the same tables, so the handlers and the OpenAPI cannot drift apart.

Bodies: ``{"detail": "<what>"}`` (:class:`ErrorMessage`) for 400, 401, 403,
404, 409, 413 and 429; ``{"detail": [{field, value, rule, message}, ...]}``
(:class:`ValidationErrorBody`) for 422, naming each refused field, the value
given and the rule it broke.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.types import Scope

from rhizo.clinic.core.audit.guard import AuditImmutableError
from rhizo.clinic.core.body_limit import MAX_BODY_BYTES
from rhizo.clinic.core.common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from rhizo.clinic.core.conflicts import integrity_message
from rhizo.clinic.core.validation import json_safe

INTERNAL_ERROR = (
    "internal error: the request was not completed and nothing was saved; "
    "the administrator can find it in the server log by its request id"
)
BUSY = "the database is busy; nothing was saved, send the request again in a moment"
RETRY_AFTER_S = 1
_log = logging.getLogger("rhizo.clinic.server")


class ErrorMessage(BaseModel):
    """An error that says what went wrong in one sentence."""

    model_config = ConfigDict(extra="forbid")

    detail: str = Field(description="what was refused and why")


class FieldProblemBody(BaseModel):
    """One refused value in a 422 body."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="where: 'mrn', 'lesions[0].set_temperature_c', 'query.limit'")
    value: Any = Field(
        description="the value given (JSON); for a missing field, the object it is missing from"
    )
    rule: str = Field(description="the rule broken, e.g. 'missing', 'greater_than_equal'")
    message: str = Field(description="the rule in words")


class ValidationErrorBody(BaseModel):
    """A 422: every refused value, each with its field, value and rule."""

    model_config = ConfigDict(extra="forbid")

    detail: list[FieldProblemBody]


@dataclass(frozen=True)
class ErrorHeader:
    """A response header an error sends: what it says, its JSON type, whether always sent."""

    description: str
    json_type: str = "string"
    always: bool = True


@dataclass(frozen=True)
class ErrorResponse:
    """One error status as the API sends it: the body's model, its meaning, its headers."""

    status: int
    body: type[BaseModel]
    description: str
    headers: dict[str, ErrorHeader] = field(default_factory=dict)


#: Every error status the API sends on purpose (a 5xx is a bug, never documented).
ERROR_RESPONSES: dict[int, ErrorResponse] = {
    response.status: response
    for response in (
        ErrorResponse(
            status.HTTP_400_BAD_REQUEST,
            ErrorMessage,
            "The body could not be read at all (bytes that are not UTF-8, a malformed form).",
        ),
        ErrorResponse(
            status.HTTP_401_UNAUTHORIZED,
            ErrorMessage,
            "Not authenticated: no bearer token, or one that is invalid, expired or revoked "
            "(at login: wrong username or password).",
            {"WWW-Authenticate": ErrorHeader("the scheme to use: 'Bearer'")},
        ),
        ErrorResponse(
            status.HTTP_403_FORBIDDEN,
            ErrorMessage,
            "The role may not do this, or a patient asked for another patient's record.",
        ),
        ErrorResponse(
            status.HTTP_404_NOT_FOUND,
            ErrorMessage,
            "A record named in the path (or referenced by the body) does not exist.",
        ),
        ErrorResponse(
            status.HTTP_409_CONFLICT,
            ErrorMessage,
            "The write clashes with stored data (a taken username, a second discharge, "
            "a row that others refer to, a stale version).",
        ),
        ErrorResponse(
            status.HTTP_413_CONTENT_TOO_LARGE,
            ErrorMessage,
            "The request body is larger than the server accepts "
            f"({MAX_BODY_BYTES // (1024 * 1024)} MiB).",
        ),
        ErrorResponse(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            ValidationErrorBody,
            "A value was refused: each problem names the field, the value given and the rule.",
        ),
        ErrorResponse(
            status.HTTP_429_TOO_MANY_REQUESTS,
            ErrorMessage,
            "Too many failed attempts: wait the number of seconds in Retry-After.",
            {"Retry-After": ErrorHeader("seconds to wait before trying again", "integer")},
        ),
    )
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "body"


def _safe(value: Any) -> Any:
    try:
        return json_safe(jsonable_encoder(value))
    except (TypeError, ValueError):  # pragma: no cover - exotic inputs
        return repr(value)


def validation_problems(error: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{field, value, rule, message}``, each once (a path id that
    the permission dependency and the route both declare is one problem)."""
    problems = [
        {
            "field": _field(tuple(item.get("loc", ()))),
            "value": _safe(item.get("input")),
            "rule": item.get("type", "invalid"),
            "message": item.get("msg", "invalid value"),
        }
        for item in error.errors()
    ]
    return [problem for i, problem in enumerate(problems) if problem not in problems[:i]]


def _request_problems(error: Exception) -> Any:
    assert isinstance(error, RequestValidationError)  # noqa: S101 - the table pairs them
    return validation_problems(error)


def _rule_problems(error: Exception) -> Any:
    assert isinstance(error, InvalidInputError)  # noqa: S101 - the table pairs them
    return [_safe(problem.as_dict()) for problem in error.problems]


def _integrity(error: Exception) -> Any:
    assert isinstance(error, IntegrityError)  # noqa: S101 - the table pairs them
    return integrity_message(error)


#: Exception -> (status, its body's ``detail``). HTTPException keeps FastAPI's handler
#: (``{"detail": ...}`` with its headers), which :class:`ErrorMessage` describes.
EXCEPTION_STATUS: dict[type[Exception], tuple[int, Callable[[Exception], Any]]] = {
    RequestValidationError: (status.HTTP_422_UNPROCESSABLE_CONTENT, _request_problems),
    InvalidInputError: (status.HTTP_422_UNPROCESSABLE_CONTENT, _rule_problems),
    NotFoundError: (status.HTTP_404_NOT_FOUND, str),
    ConflictError: (status.HTTP_409_CONFLICT, str),
    PermissionDeniedError: (status.HTTP_403_FORBIDDEN, str),
    AuditImmutableError: (status.HTTP_409_CONFLICT, str),
    # A constraint clash that escaped a service's transaction: 409 in words, never SQL.
    IntegrityError: (status.HTTP_409_CONFLICT, _integrity),
}


def _entry(error: BaseException) -> tuple[int, Callable[[Exception], Any]] | None:
    for cls in type(error).__mro__:
        entry = EXCEPTION_STATUS.get(cls)
        if entry is not None:
            return entry
    return None


def exception_status(error: BaseException) -> int | None:
    """The status :data:`EXCEPTION_STATUS` gives ``error`` (nearest class first), else None."""
    entry = _entry(error)
    return entry[0] if entry is not None else None


def is_busy(error: OperationalError) -> bool:
    """SQLite's "database is locked" / "database is busy" after the busy timeout."""
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    return "database is locked" in text or "database is busy" in text


@dataclass(frozen=True)
class ErrorAnswer:
    """What one error becomes: its status, the JSON ``detail``, the same in words (for a
    page) and the headers to send."""

    status: int
    detail: Any
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)


def _in_words(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(
            f"{item.get('field', 'value')}: {item.get('message', 'invalid value')}"
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
    return str(detail)


def answer(error: BaseException) -> ErrorAnswer:
    """The one answer to ``error``: :data:`EXCEPTION_STATUS` (nearest class first); else a
    database busy past the timeout is 503 with ``Retry-After`` (the request did nothing
    and may be sent again); anything else is 500, naming nothing of the error."""
    entry = _entry(error)
    if entry is not None and isinstance(error, Exception):
        status_code, detail_of = entry
        detail = detail_of(error)
        return ErrorAnswer(status_code, detail, _in_words(detail))
    if isinstance(error, OperationalError) and is_busy(error):
        return ErrorAnswer(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            BUSY,
            BUSY,
            {"Retry-After": str(RETRY_AFTER_S)},
        )
    return ErrorAnswer(status.HTTP_500_INTERNAL_SERVER_ERROR, INTERNAL_ERROR, INTERNAL_ERROR)


class PageErrors(Protocol):
    """The web app's error pages (registered as ``app.state.page_errors``)."""

    def is_page(self, scope: Scope) -> bool:
        """Whether the request was routed to a page (by its route, not its headers)."""

    def render(self, request: Request, error: BaseException, answer: ErrorAnswer) -> Response:
        """The HTML error page for ``answer``."""


def json_response(answer: ErrorAnswer, *, request_id: str | None = None) -> JSONResponse:
    """``{"detail": ...}`` (and the request id of a 500 the guard answered)."""
    body: dict[str, Any] = {"detail": answer.detail}
    if request_id is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=answer.status, headers=dict(answer.headers))


def error_response(
    request: Request, error: BaseException, *, request_id: str | None = None
) -> Response:
    """The response to ``error``: the HTML error page on a page route, else JSON."""
    result = answer(error)
    pages: PageErrors | None = getattr(request.app.state, "page_errors", None)
    if pages is not None and pages.is_page(request.scope):
        return pages.render(request, error, result)
    return json_response(result, request_id=request_id)


def _handle(request: Request, error: Exception) -> Response:
    if isinstance(error, OperationalError):
        if is_busy(error):
            _log.warning("database busy past the timeout: %s %s", request.method, request.url.path)
        else:
            _log.error("database error in %s %s", request.method, request.url.path, exc_info=error)
    return error_response(request, error)


def install(app: FastAPI) -> None:
    """Register the one handler for each exception of :data:`EXCEPTION_STATUS` and for a
    database error (503 when busy, else 500) on ``app``."""
    for exception in (*EXCEPTION_STATUS, OperationalError):
        app.add_exception_handler(exception, _handle)
