"""Page access per role, CSRF, login auditing, plots, error pages (FastAPI TestClient)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo import DISCLAIMER
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth import service as auth_service
from rhizo.clinic.core.auth.models import Actor, Role, User, UserUpdate
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.web.session import SESSION_COOKIE
from tests.web.conftest import csrf_of, login

ROLES = ("admin", "clinician", "nurse", "researcher", "auditor", "patient")
AsRole = Callable[[str], TestClient]


def _patient_ids(app: FastAPI) -> tuple[int, int]:
    """(the demo patient's own record, another patient's record)."""
    session = app.state.session_factory()
    try:
        own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
        other = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_(None)))
    finally:
        session.close()
    assert own is not None
    assert other is not None
    return own, other


def _audit_rows(app: FastAPI, *conditions: sa.ColumnElement[bool]) -> list[AuditEvent]:
    session = app.state.session_factory()
    try:
        return list(session.scalars(sa.select(AuditEvent).where(*conditions)))
    finally:
        session.close()


def test_pages_need_login(client: TestClient) -> None:
    for path in ("/", "/patients", "/patients/1", "/planner", "/portal"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_login_page_is_labelled_and_carries_notice(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "SYNTHETIC" in page.text
    assert DISCLAIMER in page.text
    assert 'name="csrf_token"' in page.text


def test_session_cookie_flags(client: TestClient, passwords: dict[str, str]) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "demo-nurse",
            "password": passwords["demo-nurse"],
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert SESSION_COOKIE in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=" in cookie


def test_failed_login_is_audited_and_refused(client: TestClient, web_app: FastAPI) -> None:
    before = len(_audit_rows(web_app, AuditEvent.action == AuditAction.FAILED_LOGIN))
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "demo-clinician",
            "password": "wrong-password-1",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "Incorrect username or password" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    after = len(_audit_rows(web_app, AuditEvent.action == AuditAction.FAILED_LOGIN))
    assert after == before + 1


def test_login_without_csrf_is_refused(client: TestClient, passwords: dict[str, str]) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "demo-admin",
            "password": passwords["demo-admin"],
            "csrf_token": "forged",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_form_without_csrf_is_refused(as_role: AsRole) -> None:
    client = as_role("clinician")
    response = client.post("/planner", data={"gauge": "18"}, follow_redirects=False)
    assert response.status_code == 403
    response = client.post("/logout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert response.status_code == 403


def test_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "eyJ1IjoxLCJyIjoiYWRtaW4iLCJjIjoieCJ9.forged.sig")
    response = client.get("/patients", follow_redirects=False)
    assert response.status_code == 303


# --- role x page ------------------------------------------------------------------

PATIENT_LIST_ALLOWED = {"admin", "clinician", "nurse"}


@pytest.mark.parametrize("role", ROLES)
def test_patient_list_per_role(as_role: AsRole, role: str) -> None:
    response = as_role(role).get("/patients")
    if role in PATIENT_LIST_ALLOWED:
        assert response.status_code == 200
        assert "DEMO-0001" in response.text
        assert "SYNTHETIC" in response.text
        assert DISCLAIMER in response.text
    else:
        assert response.status_code == 403
        assert "DEMO-" not in response.text


@pytest.mark.parametrize("role", ROLES)
def test_patient_page_per_role(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    own, other = _patient_ids(web_app)
    client = as_role(role)
    response = client.get(f"/patients/{other}")
    if role in PATIENT_LIST_ALLOWED:
        assert response.status_code == 200
        assert "<svg" in response.text
        assert "Candidacy" in response.text
    else:
        assert response.status_code == 403
        assert "DEMO-" not in response.text
    own_page = client.get(f"/patients/{own}")
    assert own_page.status_code == (200 if role in PATIENT_LIST_ALLOWED | {"patient"} else 403)


@pytest.mark.parametrize("role", ROLES)
def test_planner_per_role(as_role: AsRole, role: str) -> None:
    response = as_role(role).get("/planner")
    assert response.status_code == (403 if role == "patient" else 200)


@pytest.mark.parametrize("role", ROLES)
def test_portal_per_role(as_role: AsRole, role: str) -> None:
    response = as_role(role).get("/portal")
    assert response.status_code == (200 if role == "patient" else 403)


@pytest.mark.parametrize("role", ROLES)
def test_home_redirects_by_role(as_role: AsRole, role: str) -> None:
    response = as_role(role).get("/", follow_redirects=False)
    # Issue 16's start pages (tests/web/test_admin_pages.py checks them too).
    expected = {
        "admin": "/admin/users",
        "patient": "/portal",
        "researcher": "/research",
        "auditor": "/audit",
    }
    assert response.headers["location"] == expected.get(role, "/patients")


# --- content ---------------------------------------------------------------------


def test_patient_page_plot_timeline_and_audit(as_role: AsRole, web_app: FastAPI) -> None:
    own, _ = _patient_ids(web_app)
    before = len(
        _audit_rows(web_app, AuditEvent.patient_id == own, AuditEvent.action == AuditAction.READ)
    )
    page = as_role("clinician").get(f"/patients/{own}")
    assert page.status_code == 200
    text = page.text
    assert "<svg" in text
    assert "Pain trajectory" in text
    assert "responder threshold" in text
    assert "RF procedure" in text  # the procedure line's legend entry
    assert "Timeline" in text
    assert "procedure" in text
    assert "Verdict under" in text
    after = _audit_rows(
        web_app, AuditEvent.patient_id == own, AuditEvent.action == AuditAction.READ
    )
    assert len(after) == before + 1
    assert after[-1].actor_username == "demo-clinician"


def test_patient_search_and_paging(as_role: AsRole) -> None:
    client = as_role("nurse")
    hit = client.get("/patients", params={"q": "DEMO-0003"})
    assert hit.status_code == 200
    assert "DEMO-0003" in hit.text
    assert "DEMO-0004" not in hit.text
    miss = client.get("/patients", params={"q": "zzzz-nobody"})
    assert "No patient matches" in miss.text
    assert client.get("/patients", params={"page": 2}).status_code == 200


def test_unknown_patient_is_a_plain_404(as_role: AsRole) -> None:
    response = as_role("clinician").get("/patients/999999")
    assert response.status_code == 404
    assert "999999" not in response.text
    assert "Traceback" not in response.text


def test_unknown_page_is_html_404_and_api_stays_json(as_role: AsRole) -> None:
    client = as_role("clinician")
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/patients/999999")
    assert api.headers["content-type"].startswith("application/json")


def test_planner_runs_the_engine(as_role: AsRole) -> None:
    client = as_role("researcher")
    page = client.get("/planner")
    response = client.post(
        "/planner",
        data={
            "csrf_token": csrf_of(page.text),
            "gauge": "18",
            "tip_length_mm": "10",
            "set_temperature_c": "80",
            "duration_s": "90",
            # The temperature map is drawn only on a full solve (the quick answer has none).
            "solve": "1",
        },
    )
    assert response.status_code == 200
    assert "Estimated lesion" in response.text
    assert "Computed in muscle-in-vivo from 37" in response.text  # the clinical default
    assert "<svg" in response.text
    assert " mm" in response.text


def test_planner_shows_invalid_field_and_keeps_input(as_role: AsRole) -> None:
    client = as_role("clinician")
    page = client.get("/planner")
    response = client.post(
        "/planner",
        data={
            "csrf_token": csrf_of(page.text),
            "gauge": "18",
            "tip_length_mm": "10",
            "set_temperature_c": "120",
            "duration_s": "90",
        },
    )
    assert response.status_code == 422
    assert 'value="120"' in response.text
    assert "field-error" in response.text


def test_portal_diary_entry_reaches_the_clinician_plot(
    as_role: AsRole, client: TestClient, web_app: FastAPI, passwords: dict[str, str]
) -> None:
    own, _ = _patient_ids(web_app)
    patient = as_role("patient")
    portal = patient.get("/portal")
    assert portal.status_code == 200
    assert "Questions patients ask" in portal.text
    assert "What happens on the day" in portal.text
    saved = patient.post(
        "/portal/diary",
        data={"csrf_token": csrf_of(portal.text), "nrs": "3", "odi": "", "followed_on": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    bad = patient.post(
        "/portal/diary",
        data={"csrf_token": csrf_of(portal.text), "nrs": "11", "odi": ""},
    )
    assert bad.status_code == 422
    assert 'value="11"' in bad.text
    client.cookies.clear()
    login(client, "demo-clinician", passwords["demo-clinician"])
    page = client.get(f"/patients/{own}")
    assert "diary NRS" in page.text
    assert "(diary)" in page.text


def test_logout_ends_the_session(as_role: AsRole) -> None:
    client = as_role("admin")
    page = client.get("/patients")
    response = client.post(
        "/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_a_copied_session_cookie_dies_with_logout_and_password_change(
    web_app: FastAPI, passwords: dict[str, str]
) -> None:
    # The cookie is signed, not stored: revocation is the user's session epoch.
    def logged_in(username: str, password: str) -> tuple[TestClient, str]:
        client = TestClient(web_app, raise_server_exceptions=False)
        login(client, username, password)
        return client, client.cookies["rhizo_session"]

    def replay(cookie: str) -> int:
        with TestClient(web_app, raise_server_exceptions=False) as thief:
            thief.cookies.set("rhizo_session", cookie)
            return thief.get("/patients", follow_redirects=False).status_code

    user = "demo-nurse"
    client, copied = logged_in(user, passwords[user])
    other_device, second = logged_in(user, passwords[user])
    assert replay(copied) == 200
    token = csrf_of(client.get("/patients").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200  # -> login
    assert replay(copied) == 303  # the copy is refused: sent to log in
    assert replay(second) == 303  # logout ends the user's other sessions too
    _, copied = logged_in(user, passwords[user])
    assert replay(copied) == 200
    with web_app.state.session_factory() as session:
        nurse = session.scalars(sa.select(User).where(User.username == user)).one()
        actor = Actor(user_id=None, username="test-admin", role=Role.ADMIN)
        # The same password again: the change itself, not its value, ends sessions.
        auth_service.update(
            session=session,
            actor=actor,
            user_id=nurse.id,
            data=UserUpdate(password=passwords[user], version=nurse.version),
        )
    assert replay(copied) == 303
    other_device.close()
    client.close()


def test_server_error_page_leaks_nothing(web_app: FastAPI) -> None:
    from fastapi import APIRouter

    boom = APIRouter()

    @boom.get("/__boom")
    def _boom() -> None:
        raise RuntimeError("secret internal detail")

    web_app.include_router(boom)
    with TestClient(web_app, raise_server_exceptions=False) as client:
        response = client.get("/__boom")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
