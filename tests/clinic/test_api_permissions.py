"""Default deny: every route declares a permission; the role x route matrix holds.

The expected matrix below is written from the issue's role definitions, not
read from the code's permission table, so a wrong entry in either fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from tests.clinic.conftest import TEST_SECRET, TestClient
from tests.clinic.factories import make_patient, make_user

from rhizo.clinic.api import create_app
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import PermissionDependency
from rhizo.clinic.patient.models import Patient

A, C, N, P, R, U = (
    Role.ADMIN,
    Role.CLINICIAN,
    Role.NURSE,
    Role.PATIENT,
    Role.RESEARCHER,
    Role.AUDITOR,
)
STAFF = {A, C, N}
STAFF_OR_OWN = STAFF | {P}
EVERYONE = set(Role)

CLINICAL = (
    "conditions",
    "care-trials",
    "blocks",
    "medications",
    "allergies",
    "plans",
    "complications",
    "followups",
)


def expected_roles(method: str, path: str) -> set[Role] | None:
    """Who may call this route (None: public). From the issue's role definitions."""
    path = path.removeprefix("/api/v1")
    if path == "/auth/token":
        return None
    if path == "/auth/me" or path in {"/auth/password", "/auth/logout"}:
        return EVERYONE  # one's own account
    if path.startswith("/auth/totp/"):
        return EVERYONE  # enrolling one's own second factor
    if path.startswith("/users"):
        return {A}
    if path.startswith("/clinic-settings"):
        return {A}  # the clinic contact patients are told to call: admin only
    if path.startswith("/audit"):
        return {A, U}
    if path.startswith("/research"):
        return {A, R}
    if path.startswith("/analytics"):
        return {A, C, N, R}  # aggregates over the registry, no single patient
    if path.startswith("/specialists"):
        return {A, C, N, R} if method == "GET" else {A}
    if path == "/gates/lesion":
        return {A, C}
    if path == "/candidacy/screen":
        return STAFF  # a dry run over facts the caller gives, like reading a record
    if path.startswith(("/rooms", "/sessions", "/session-exceptions")):
        return STAFF if method == "GET" else {A, C}  # the calendar; availability:manage
    if path.startswith(("/slots", "/appointments")):
        return STAFF  # schedule:read, schedule:write (clinician, nurse, admin)
    if path.startswith("/consultation-requests"):
        return STAFF  # intake:triage (clinician, nurse, admin)
    if path.startswith("/tasks"):
        return STAFF  # worklist tasks: schedule:read, schedule:write (staff)
    if path == "/patients":
        return STAFF
    if path == "/patients/{patient_id}":
        return {"GET": STAFF_OR_OWN, "PATCH": STAFF, "DELETE": {A}}[method]
    if path == "/patients/{patient_id}/login":
        return {A}  # linking a patient login to a record: admin only
    match = re.fullmatch(r"/patients/\{patient_id\}/([a-z-]+)(/.*)?", path)
    assert match is not None, path
    kind, rest = match[1], match[2] or ""
    if method == "GET":
        return STAFF_OR_OWN
    if kind == "procedures":
        if rest.endswith("/discharge"):
            return STAFF
        return {A, C}
    if kind == "consultation-requests":
        return STAFF_OR_OWN  # own:request on the patient's own record; intake:triage staff
    assert kind in CLINICAL, kind
    if kind == "followups" and method == "POST":
        return STAFF_OR_OWN  # a patient's pain diary
    return STAFF


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.route, APIRoute):
            for method in sorted(context.methods or ()):
                routes.append((method, context.path))
    return routes


def _calls(dependant: Any) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        found.append(sub.call)
        found.extend(_calls(sub))
    return found


APP = create_app(Settings(env="test", secret_key=TEST_SECRET, database_url="sqlite://"))
ROUTES = api_routes(APP)
DOC_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_every_route_declares_a_permission() -> None:
    missing = []
    for context in iter_route_contexts(APP.routes):
        route = context.route
        if not isinstance(route, APIRoute):
            assert context.path in DOC_ROUTES, f"unexpected non-API route {context.path}"
            continue
        if not any(isinstance(call, PermissionDependency) for call in _calls(route.dependant)):
            missing.append(f"{sorted(context.methods or ())} {context.path}")
    assert not missing, f"routes without a permission dependency: {missing}"


def test_routes_cover_every_domain() -> None:
    paths = {path for _, path in ROUTES}
    for kind in (*CLINICAL, "procedures"):
        assert f"/api/v1/patients/{{patient_id}}/{kind}" in paths
    assert len(ROUTES) >= 60


def _fill(path: str, patient_id: int) -> str:
    path = path.replace("{patient_id}", str(patient_id))
    return re.sub(r"\{[a-z_]+\}", "987654", path)


@pytest.fixture
def users(session: Session) -> dict[Role, User]:
    users = {role: make_user(session, role) for role in Role}
    make_patient(session, user_id=users[Role.PATIENT].id)
    return users


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_permission_matrix(
    method: str,
    path: str,
    client: TestClient,
    session: Session,
    users: dict[Role, User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    allowed = expected_roles(method, path)
    own = session.scalar(sa.select(Patient.id).where(Patient.user_id == users[Role.PATIENT].id))
    assert own is not None
    url = _fill(path, own)
    body: dict[str, Any] | None = {} if method in {"POST", "PATCH"} else None
    if allowed is None:
        response = client.request(method, url, data={"username": "x", "password": "y"})
        assert response.status_code == 401  # public, but the credentials are wrong
        return
    no_token = client.request(method, url, json=body)
    assert no_token.status_code == 401, no_token.text
    for role, user in users.items():
        response = client.request(method, url, json=body, headers=token_for(user))
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code, response.text)


def test_patient_cannot_read_another_patients_record(
    client: TestClient,
    session: Session,
    users: dict[Role, User],
    token_for: Callable[[User], dict[str, str]],
) -> None:
    other = make_patient(session)
    headers = token_for(users[Role.PATIENT])
    for suffix in ("", "/followups", "/procedures", "/conditions", "/plans"):
        response = client.get(f"/api/v1/patients/{other.id}{suffix}", headers=headers)
        assert response.status_code == 403, suffix
    response = client.post(
        f"/api/v1/patients/{other.id}/followups",
        headers=headers,
        json={"followed_on": "2025-01-01", "nrs": 4},
    )
    assert response.status_code == 403
