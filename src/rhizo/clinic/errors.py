"""HTTP mapping of errors: 422 names field, value and rule; 404, 403, 409 say what."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rhizo.clinic.audit.guard import AuditImmutableError
from rhizo.clinic.common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


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
        return jsonable_encoder(value)
    except (TypeError, ValueError):  # pragma: no cover - exotic inputs
        return repr(value)


def validation_problems(error: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{field, value, rule, message}``."""
    return [
        {
            "field": _field(tuple(item.get("loc", ()))),
            "value": _safe(item.get("input")),
            "rule": item.get("type", "invalid"),
            "message": item.get("msg", "invalid value"),
        }
        for item in error.errors()
    ]


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": validation_problems(error)},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(InvalidInputError)
    def _invalid(request: Request, error: InvalidInputError) -> JSONResponse:
        problems = [_safe(problem.as_dict()) for problem in error.problems]
        return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(NotFoundError)
    def _not_found(request: Request, error: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(ConflictError)
    def _conflict(request: Request, error: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(PermissionDeniedError)
    def _denied(request: Request, error: PermissionDeniedError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_403_FORBIDDEN)

    @app.exception_handler(AuditImmutableError)
    def _immutable(request: Request, error: AuditImmutableError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)
