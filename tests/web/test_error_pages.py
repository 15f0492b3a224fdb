"""One answer per error, two faces: the HTML error page on a page route, JSON on the API.

A test-only router of pages (registered as pages, like the real ones, through
:func:`rhizo.clinic.web.app.include_page_router`) and one of API routes raise
each error of the table (:data:`rhizo.clinic.core.errors.EXCEPTION_STATUS`) and
the server's 503/500 paths; the page shows the status, the message in words,
the request id and the way back, the API keeps ``{"detail": ...}``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError, OperationalError

from rhizo.clinic.core import errors
from rhizo.clinic.core.audit.guard import AuditImmutableError
from rhizo.clinic.core.common import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.conflicts import integrity_message
from rhizo.clinic.core.deps import API_PREFIX
from rhizo.clinic.demo.seed import SeedReport
from rhizo.clinic.web.app import create_web_app, include_page_router

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

UNIQUE = IntegrityError("INSERT INTO users", {}, Exception("UNIQUE constraint failed: users.x"))

#: name -> (the error, its status, the words the page must show).
CASES: dict[str, tuple[Exception, int, str]] = {
    "conflict": (ConflictError("username 'x' is taken"), 409, "username &#39;x&#39; is taken"),
    "denied": (
        PermissionDeniedError("overriding a gate needs the clinician role"),
        403,
        "overriding a gate needs the clinician role",
    ),
    "invalid": (
        InvalidInputError([FieldProblem("done_on", "2099-01-01", "after_today", "in the future")]),
        422,
        "done_on: in the future",
    ),
    # A 404 page names no record: the fixed sentence, never "patient 7".
    "missing": (NotFoundError("patient", 7), 404, "There is no such page or record."),
    "audit": (AuditImmutableError("audit_event is append-only"), 409, "audit_event is append-only"),
    "integrity": (UNIQUE, 409, integrity_message(UNIQUE).replace("'", "&#39;")),
    "busy": (
        OperationalError("UPDATE", {}, Exception("database is locked")),
        503,
        errors.BUSY,
    ),
    "database": (
        OperationalError("SELECT", {}, Exception("disk I/O error")),
        500,
        "The server could not show this page. The error was logged.",
    ),
    "bug": (
        RuntimeError("secret internal detail"),
        500,
        "The server could not show this page. The error was logged.",
    ),
}
#: The table's classes each have a case above (RequestValidationError: its own tests).
TABLE_CASES = {
    NotFoundError: "missing",
    ConflictError: "conflict",
    PermissionDeniedError: "denied",
    InvalidInputError: "invalid",
    AuditImmutableError: "audit",
    IntegrityError: "integrity",
}


def _raiser(name: str):  # type: ignore[no-untyped-def]
    def raise_it() -> None:
        raise CASES[name][0]

    return raise_it


@pytest.fixture(scope="module")
def app(demo_db: tuple[str, SeedReport]) -> FastAPI:
    url, _ = demo_db
    settings = Settings(database_url=url, env="test", secret_key=SecretStr("e" * 48))
    app = create_web_app(settings, synthetic=True)
    pages = APIRouter(prefix="/__test/page")
    api = APIRouter(prefix="/__test")
    for name in CASES:
        pages.add_api_route(f"/{name}", _raiser(name), methods=["GET", "POST"])
        api.add_api_route(f"/{name}", _raiser(name), methods=["GET", "POST"])

    @pages.get("/item/{n}")
    def item(n: Annotated[int, Path(ge=1)], q: Annotated[int, Query(ge=0)] = 0) -> dict[str, int]:
        return {"n": n, "q": q}

    include_page_router(app, pages)
    app.include_router(api, prefix=API_PREFIX)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_every_error_of_the_table_has_a_page_case() -> None:
    assert set(errors.EXCEPTION_STATUS) - set(TABLE_CASES) == {RequestValidationError}
    for cls, name in TABLE_CASES.items():
        assert isinstance(CASES[name][0], cls)
        assert errors.EXCEPTION_STATUS[cls][0] == CASES[name][1]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", list(CASES))
def test_a_page_route_renders_the_error_page(client: TestClient, name: str, method: str) -> None:
    _, status, words = CASES[name]
    response = client.request(
        method,
        f"/__test/page/{name}",
        headers={"X-Request-ID": f"req-{name}", "Referer": "http://testserver/patients/3"},
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f"<h1>{status} &middot;" in html
    assert words in html
    assert f"req-{name}" in html  # the request id, for the administrator
    assert 'href="/patients/3"' in html  # the way back
    assert 'href="/">Start page' in html
    assert 'name="viewport"' in html  # the shared layout, readable on a phone
    assert "secret internal detail" not in html
    assert "Traceback" not in html
    assert "UNIQUE constraint" not in html
    if name == "busy":
        assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_S)


@pytest.mark.parametrize("name", list(CASES))
def test_the_api_keeps_json(client: TestClient, name: str) -> None:
    error, status, _ = CASES[name]
    response = client.get(f"{API_PREFIX}/__test/{name}", headers={"X-Request-ID": "api-1"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    if isinstance(error, InvalidInputError):
        assert detail == [
            {
                "field": "done_on",
                "value": "2099-01-01",
                "rule": "after_today",
                "message": "in the future",
            }
        ]
    elif isinstance(error, NotFoundError | ConflictError | PermissionDeniedError):
        assert detail == str(error)
    elif isinstance(error, AuditImmutableError):
        assert detail == "audit_event is append-only"
    elif isinstance(error, IntegrityError):
        assert detail == integrity_message(UNIQUE)
    elif name == "busy":
        assert detail == errors.BUSY
        assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_S)
    else:
        assert detail == errors.INTERNAL_ERROR
    if name == "bug":  # the guard's 500 names the request id, nothing of the error
        assert response.json()["request_id"] == "api-1"
        assert "secret" not in response.text


def test_a_bad_address_on_a_page_is_a_page(client: TestClient) -> None:
    missing = client.get("/__test/page/item/abc")
    assert missing.status_code == 404
    assert "There is no such page or record." in missing.text
    bad_query = client.get("/__test/page/item/3?q=-1")
    assert bad_query.status_code == 400
    assert bad_query.headers["content-type"].startswith("text/html")
    assert "q: Input should be greater than or equal to 0 (entered &#39;-1&#39;)" in bad_query.text


def test_a_page_is_decided_by_its_route_not_its_headers(client: TestClient) -> None:
    as_browser = {"Accept": "text/html"}
    api = client.get(f"{API_PREFIX}/__test/conflict", headers=as_browser)
    assert api.headers["content-type"] == "application/json"
    page = client.get("/__test/page/conflict", headers={"Accept": "application/json"})
    assert page.headers["content-type"].startswith("text/html")


def test_a_foreign_referer_is_no_way_back(client: TestClient) -> None:
    response = client.get("/__test/page/conflict", headers={"Referer": "https://evil.example/x"})
    assert "evil.example" not in response.text
    assert "&larr; Back" not in response.text
