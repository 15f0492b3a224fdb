"""The error table, the handlers installed from it and the OpenAPI derived from it agree.

Independent references: each handler's real response (through the ASGI app)
is validated against the documented body model; each derivation rule is
checked on a small app whose routes are built to need exactly one status.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from tests.clinic.conftest import TEST_SECRET, TestClient

from rhizo.clinic.api import create_app
from rhizo.clinic.core import errors, openapi
from rhizo.clinic.core.audit.guard import AuditImmutableError
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import SessionDep, public, require

RAISED: dict[type[Exception], Exception] = {
    NotFoundError: NotFoundError("patient", 7),
    ConflictError: ConflictError("username 'x' is taken"),
    PermissionDeniedError: PermissionDeniedError("overriding a gate needs the clinician role"),
    AuditImmutableError: AuditImmutableError("audit_event is append-only"),
    InvalidInputError: InvalidInputError(
        [FieldProblem("done_on", "2099-01-01", "after_today", "in the future")]
    ),
    IntegrityError: IntegrityError(
        "INSERT INTO users", {}, Exception("UNIQUE constraint failed: users.username")
    ),
}


def _raising_app(error: Exception) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    return app


@pytest.mark.parametrize("exception", [e for e in errors.EXCEPTION_STATUS if e in RAISED])
def test_each_handler_sends_the_documented_body(exception: type[Exception]) -> None:
    status, _ = errors.EXCEPTION_STATUS[exception]
    with TestClient(_raising_app(RAISED[exception])) as client:
        response = client.get("/boom")
    assert response.status_code == status
    documented = errors.ERROR_RESPONSES[status].body
    documented.model_validate(response.json())  # raises when the body is not the model


def test_every_exception_of_the_table_is_exercised() -> None:
    assert set(errors.EXCEPTION_STATUS) - set(RAISED) == {RequestValidationError}


def test_request_validation_body_is_the_documented_model() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/items")
    def items(limit: int) -> dict[str, int]:
        return {"limit": limit}

    with TestClient(app) as client:
        response = client.get("/items", params={"limit": "many"})
    assert response.status_code == 422
    body = errors.ValidationErrorBody.model_validate(response.json())
    assert [(p.field, p.value, p.rule) for p in body.detail] == [
        ("query.limit", "many", "int_parsing")
    ]


def test_the_body_models_refuse_other_shapes() -> None:
    with pytest.raises(ValidationError):
        errors.ErrorMessage.model_validate({"detail": [{"loc": ["query"], "msg": "x"}]})
    with pytest.raises(ValidationError):  # FastAPI's own 422 shape is not rhizo's
        errors.ValidationErrorBody.model_validate(
            {"detail": [{"loc": ["query", "limit"], "msg": "bad", "type": "int_parsing"}]}
        )


def test_declare_refuses_a_status_the_table_lacks() -> None:
    assert openapi.declare(404) == {404: {"description": errors.ERROR_RESPONSES[404].description}}
    with pytest.raises(ValueError, match="418"):
        openapi.declare(418)


class _Note(BaseModel):
    text: str


Reader = Annotated[Actor, Depends(require(Permission.PATIENT_READ))]


def _rules_app() -> FastAPI:
    router = APIRouter()

    @router.get("/open", dependencies=[Depends(public())])
    def open_route() -> None: ...

    @router.get("/open/{item_id}", dependencies=[Depends(public())])
    def open_item(item_id: int) -> None: ...

    @router.get("/read")
    def read(actor: Reader) -> None: ...

    @router.post("/read")
    def compute(actor: Reader, note: Annotated[_Note, Body()]) -> None: ...

    @router.post("/write/{item_id}")
    def write(actor: Reader, session: SessionDep, item_id: int) -> None: ...

    @router.get("/declared", responses=openapi.declare(404))
    def declared(actor: Reader) -> None: ...

    app = FastAPI()
    app.include_router(router, prefix="/api")
    openapi.install(app)
    return app


def _documented(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    return {
        (method.upper(), path): sorted(operation["responses"])
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    }


def test_each_rule_adds_exactly_its_status() -> None:
    assert _documented(_rules_app()) == {
        ("GET", "/api/open"): ["200"],
        ("GET", "/api/open/{item_id}"): ["200", "404", "422"],
        ("GET", "/api/read"): ["200", "401", "403"],
        ("POST", "/api/read"): ["200", "400", "401", "403", "413", "422"],
        ("POST", "/api/write/{item_id}"): ["200", "401", "403", "404", "409", "422"],
        ("GET", "/api/declared"): ["200", "401", "403", "404"],
    }


def _ref(response: dict[str, Any]) -> str:
    return str(response["content"]["application/json"]["schema"]["$ref"])


def test_documented_bodies_and_headers_come_from_the_table() -> None:
    schema = _rules_app().openapi()
    responses = schema["paths"]["/api/read"]["post"]["responses"]
    assert _ref(responses["422"]) == "#/components/schemas/ValidationErrorBody"
    assert _ref(responses["403"]) == "#/components/schemas/ErrorMessage"
    assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    components = schema["components"]["schemas"]
    assert {"ErrorMessage", "ValidationErrorBody", "FieldProblemBody"} <= set(components)
    assert "HTTPValidationError" not in components  # FastAPI's 422 model, never sent
    for code, error in errors.ERROR_RESPONSES.items():
        assert error.status == code


def test_the_real_app_documents_its_errors_from_the_table() -> None:
    app = create_app(Settings(env="test", secret_key=TEST_SECRET, database_url="sqlite://"))
    schema = app.openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if int(code) < 400:
                    continue
                error = errors.ERROR_RESPONSES[int(code)]  # KeyError: a status outside the table
                assert _ref(response) == f"#/components/schemas/{error.body.__name__}"
            secured = bool(operation.get("security"))
            assert secured == ("401" in operation["responses"]) or path.endswith("/auth/token"), (
                method,
                path,
            )
