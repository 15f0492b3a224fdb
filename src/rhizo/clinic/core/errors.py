"""HTTP mapping of errors: one table from exception to status and body, used twice.

:data:`ERROR_RESPONSES` says, for each error status the API sends, the body's
model and what it means; :data:`EXCEPTION_STATUS` says which status each
exception becomes. :func:`install` registers the handlers from these tables
and :mod:`rhizo.clinic.core.openapi` documents every operation's error responses
from the same tables, so the handlers and the OpenAPI cannot drift apart.

Bodies: ``{"detail": "<what>"}`` (:class:`ErrorMessage`) for 400, 401, 403,
404, 409, 413 and 429; ``{"detail": [{field, value, rule, message}, ...]}``
(:class:`ValidationErrorBody`) for 422, naming each refused field, the value
given and the rule it broke.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from rhizo.clinic.core.audit.guard import AuditImmutableError
from rhizo.clinic.core.body_limit import MAX_BODY_BYTES
from rhizo.clinic.core.common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from rhizo.clinic.core.validation import json_safe


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


#: Exception -> (status, its body's ``detail``). HTTPException keeps FastAPI's handler
#: (``{"detail": ...}`` with its headers), which :class:`ErrorMessage` describes.
EXCEPTION_STATUS: dict[type[Exception], tuple[int, Callable[[Exception], Any]]] = {
    RequestValidationError: (status.HTTP_422_UNPROCESSABLE_CONTENT, _request_problems),
    InvalidInputError: (status.HTTP_422_UNPROCESSABLE_CONTENT, _rule_problems),
    NotFoundError: (status.HTTP_404_NOT_FOUND, str),
    ConflictError: (status.HTTP_409_CONFLICT, str),
    PermissionDeniedError: (status.HTTP_403_FORBIDDEN, str),
    AuditImmutableError: (status.HTTP_409_CONFLICT, str),
}


def exception_status(error: BaseException) -> int | None:
    """The status :data:`EXCEPTION_STATUS` gives ``error`` (nearest class first), else None."""
    for cls in type(error).__mro__:
        entry = EXCEPTION_STATUS.get(cls)
        if entry is not None:
            return entry[0]
    return None


def _handler(status_code: int, detail: Callable[[Exception], Any]) -> Any:
    def handle(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": detail(error)}, status_code=status_code)

    return handle


def install(app: FastAPI) -> None:
    """Register a handler for each exception of :data:`EXCEPTION_STATUS` on ``app``."""
    for exception, (status_code, detail) in EXCEPTION_STATUS.items():
        app.add_exception_handler(exception, _handler(status_code, detail))
