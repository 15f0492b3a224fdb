"""The admin's pages: users (create, role, deactivate, reset password, link) and start pages.

References: the rules as issue 16 and the role definitions state them, checked against
the database (the users table, the audit trail) and the pages' answers, not the
pages' own wording alone: a user the admin creates logs in with that password; a
role change or a deactivation ends the user's session at their next request; the
last active admin is neither deactivated nor demoted; a temporary password must be
changed first; each role's start page is the one issue 16 names.

The demo database is shared by the page tests: these tests make their own users
(never the demo ones, except the demo admin acting) and undo any patient link they make.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.patient.models import Patient
from tests.web.conftest import csrf_of, login
from tests.web.test_page_matrix import AsRole

#: A password that passes the strength rule (zxcvbn 4 of 4; 4 unrelated words).
PASSWORD = "copper lantern meadow quietly"  # noqa: S105 - a test password
_counter = itertools.count(1)

#: Issue 16, "Each role lands on its own start page" (written here, not read from the code).
START = {
    "admin": "/admin/users",
    "clinician": "/patients",
    "nurse": "/patients",
    "patient": "/portal",
    "researcher": "/research",
    "auditor": "/audit",
}


@pytest.fixture
def admin(web_app: FastAPI, passwords: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(web_app, raise_server_exceptions=False) as client:
        login(client, "demo-admin", passwords["demo-admin"])
        yield client


def _token(client: TestClient, path: str = "/account") -> str:
    return csrf_of(client.get(path).text)


def _user(web_app: FastAPI, username: str) -> User:
    with web_app.state.session_factory() as session:
        user: User = session.scalars(sa.select(User).where(User.username == username)).one()
        session.expunge(user)
        return user


def _create(admin: TestClient, role: str, **extra: str) -> tuple[str, int]:
    username = f"adm-{role}-{next(_counter)}"
    form = {
        "csrf_token": _token(admin, "/admin/users"),
        "username": username,
        "role": role,
        "password": PASSWORD,
        "confirm_password": PASSWORD,
        **extra,
    }
    response = admin.post("/admin/users", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    user_id = int(response.headers["location"].split("/")[3].split("?")[0])
    return username, user_id


def _post(admin: TestClient, path: str, **form: str) -> httpx.Response:
    data = {"csrf_token": _token(admin, "/admin/users"), **form}
    response: httpx.Response = admin.post(path, data=data, follow_redirects=False)
    return response


def _as(web_app: FastAPI, username: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(web_app, raise_server_exceptions=False)
    login(client, username, password)
    return client


def test_the_admin_creates_a_user_who_then_logs_in(admin: TestClient, web_app: FastAPI) -> None:
    username, user_id = _create(admin, "clinician", full_name="Dr New Colleague")
    stored = _user(web_app, username)
    assert (stored.id, stored.role, stored.is_active) == (user_id, Role.CLINICIAN, True)
    assert stored.password_hash != PASSWORD
    assert stored.password_hash.startswith("$argon2")
    listed = admin.get("/admin/users?page=1")
    assert listed.status_code == 200
    assert f'data-username="{username}"' in listed.text
    with _as(web_app, username) as newcomer:
        start = newcomer.get("/", follow_redirects=False)
        assert start.headers["location"] == "/patients"
        assert newcomer.get("/patients").status_code == 200
    with web_app.state.session_factory() as session:
        created = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == AuditAction.CREATE,
                AuditEvent.entity_type == "user",
                AuditEvent.entity_id == str(user_id),
            )
        ).one()
        assert created.actor_username == "demo-admin"
        assert created.details == {"role": "clinician"}
    page = admin.get("/admin/users")
    row = re.search(rf'data-username="{username}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "never" not in row.group(1)


@pytest.mark.parametrize(
    ("field", "form", "status", "message"),
    [
        ("username", {"username": "A"}, 422, "should match pattern"),
        ("username", {"username": "ab"}, 422, "should match pattern"),  # 2 characters: too short
        ("password", {"password": "password1234", "confirm_password": "password1234"}, 422, ""),
        ("password", {"password": "x" * 11, "confirm_password": "x" * 11}, 422, "at least 12"),
        ("confirm_password", {"confirm_password": "something else entirely"}, 422, "match"),
        ("role", {"role": "superuser"}, 422, "Input should be"),
        ("username", {"username": "demo-nurse"}, 409, "taken"),
    ],
)
def test_a_refused_user_is_shown_inline_on_its_field(
    admin: TestClient, field: str, form: dict[str, str], status: int, message: str
) -> None:
    data = {
        "csrf_token": _token(admin, "/admin/users"),
        "username": f"adm-refused-{next(_counter)}",
        "role": "nurse",
        "password": PASSWORD,
        "confirm_password": PASSWORD,
        **form,
    }
    response = admin.post("/admin/users", data=data)
    assert response.status_code == status, response.text
    error = re.search(rf'id="{field}-error">([^<]*)<', response.text)
    assert error is not None, f"no inline error on {field}"
    assert message in error.group(1)
    if field == "password":
        assert data["password"] not in response.text  # never echoed


@pytest.mark.parametrize(("length", "status"), [(2, 422), (3, 303), (64, 303), (65, 422)])
def test_username_length_boundaries_follow_the_pattern(
    admin: TestClient, web_app: FastAPI, length: int, status: int
) -> None:
    # USERNAME_PATTERN: first and last a letter or digit, 1-62 between: 3 to 64 characters.
    username = ("q" + secrets.token_hex(40))[: length - 1] + "z"
    response = _post(
        admin,
        "/admin/users",
        username=username,
        role="nurse",
        password=PASSWORD,
        confirm_password=PASSWORD,
    )
    assert response.status_code == status, response.text
    with web_app.state.session_factory() as session:
        stored = session.scalar(sa.select(User.id).where(User.username == username))
    assert (stored is not None) == (status == 303)


def test_a_role_change_takes_effect_on_the_next_request(
    admin: TestClient, web_app: FastAPI
) -> None:
    username, user_id = _create(admin, "nurse")
    with _as(web_app, username) as nurse:
        assert nurse.get("/patients").status_code == 200
        version = _user(web_app, username).version
        changed = _post(
            admin, f"/admin/users/{user_id}/role", role="researcher", version=str(version)
        )
        assert changed.status_code == 303
        assert _user(web_app, username).role is Role.RESEARCHER
        # The nurse session is over at once: sent to log in, never shown the patient list.
        again = nurse.get("/patients", follow_redirects=False)
        assert again.status_code == 303
        assert again.headers["location"].startswith("/login")
    with _as(web_app, username) as researcher:
        assert researcher.get("/", follow_redirects=False).headers["location"] == "/research"
        assert researcher.get("/patients").status_code == 403


def test_a_deactivated_users_session_is_refused_and_login_fails(
    admin: TestClient, web_app: FastAPI
) -> None:
    username, user_id = _create(admin, "clinician")
    with _as(web_app, username) as clinician:
        assert clinician.get("/patients").status_code == 200
        version = _user(web_app, username).version
        off = _post(
            admin, f"/admin/users/{user_id}/active", is_active="false", version=str(version)
        )
        assert off.status_code == 303
        refused = clinician.get("/patients", follow_redirects=False)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/login")
        page = clinician.get("/login")
        attempt = clinician.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert attempt.status_code != 303  # no session for a deactivated user
        version = _user(web_app, username).version
        on = _post(admin, f"/admin/users/{user_id}/active", is_active="true", version=str(version))
        assert on.status_code == 303
        # Reactivation does not revive the old session (its epoch has moved on).
        assert clinician.get("/patients", follow_redirects=False).status_code == 303
    with _as(web_app, username) as back:
        assert back.get("/patients").status_code == 200


def test_the_last_active_admin_can_neither_deactivate_nor_demote_themself(
    admin: TestClient, web_app: FastAPI
) -> None:
    with web_app.state.session_factory() as session:
        admins = session.scalars(
            sa.select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
        ).all()
    assert [a.username for a in admins] == ["demo-admin"]  # the seed's only admin
    me = _user(web_app, "demo-admin")
    off = _post(admin, f"/admin/users/{me.id}/active", is_active="false", version=str(me.version))
    assert off.status_code == 422
    assert "last active admin" in off.text
    demote = _post(admin, f"/admin/users/{me.id}/role", role="clinician", version=str(me.version))
    assert demote.status_code == 422
    error = re.search(r'id="role-error">([^<]*)<', demote.text)
    assert error is not None
    assert "last active admin" in error.group(1)
    after = _user(web_app, "demo-admin")
    assert (after.role, after.is_active, after.version) == (Role.ADMIN, True, me.version)
    assert admin.get("/admin/users").status_code == 200  # still the admin's session


def test_a_reset_password_is_temporary_and_must_be_changed(
    admin: TestClient, web_app: FastAPI
) -> None:
    username, user_id = _create(admin, "nurse")
    hash_before = _user(web_app, username).password_hash
    unconfirmed = _post(admin, f"/admin/users/{user_id}/password")
    assert unconfirmed.status_code == 422  # the button's confirm field is missing
    assert _user(web_app, username).password_hash == hash_before
    reset = _post(admin, f"/admin/users/{user_id}/password", confirm="reset")
    assert reset.status_code == 200
    shown = re.search(r"<code>([^<]+)</code>", reset.text)
    assert shown is not None
    temporary = shown.group(1)
    assert len(temporary) == 16
    assert temporary != PASSWORD
    assert _user(web_app, username).must_change_password is True
    with _as(web_app, username, temporary) as nurse:
        for path in ("/", "/patients"):
            sent = nurse.get(path, follow_redirects=False)
            assert sent.headers["location"] == "/account?must_change=1", path
        account = nurse.get("/account")
        assert "temporary one" in account.text
        new = "saffron harbour pebble violin"
        changed = nurse.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(account.text),
                "current_password": temporary,
                "new_password": new,
                "confirm_password": new,
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert nurse.get("/patients").status_code == 200
    assert _user(web_app, username).must_change_password is False


def test_a_patient_login_links_to_one_record_and_staff_never(
    admin: TestClient, web_app: FastAPI
) -> None:
    username, user_id = _create(admin, "patient")
    with web_app.state.session_factory() as session:
        free = session.scalars(
            sa.select(Patient).where(Patient.user_id.is_(None)).order_by(Patient.id.desc())
        ).first()
        assert free is not None
        mrn, patient_id = free.mrn, free.id
    try:
        unknown = _post(admin, f"/admin/users/{user_id}/link", mrn="NO-SUCH-MRN")
        assert unknown.status_code == 422
        assert "NO-SUCH-MRN" in unknown.text
        linked = _post(admin, f"/admin/users/{user_id}/link", mrn=mrn)
        assert linked.status_code == 303
        with web_app.state.session_factory() as session:
            row = session.get(Patient, patient_id)
            assert row is not None
            assert row.user_id == user_id
        with _as(web_app, username) as patient:
            assert patient.get("/", follow_redirects=False).headers["location"] == "/portal"
            assert patient.get("/portal").status_code == 200
        # A linked patient login cannot become staff (unlink first).
        version = _user(web_app, username).version
        staff = _post(admin, f"/admin/users/{user_id}/role", role="nurse", version=str(version))
        assert staff.status_code == 422
        assert "unlink it first" in staff.text
        # A staff login is never linked.
        _nurse_name, nurse_id = _create(admin, "nurse")
        refused = _post(admin, f"/admin/users/{nurse_id}/link", mrn=mrn)
        assert refused.status_code == 422
        error = re.search(r'id="mrn-error">([^<]*)<', refused.text)
        assert error is not None
        assert "patient role" in error.group(1)
    finally:
        unlinked = _post(admin, f"/admin/users/{user_id}/link", mrn="")
    assert unlinked.status_code == 303
    with web_app.state.session_factory() as session:
        row = session.get(Patient, patient_id)
        assert row is not None
        assert row.user_id is None


@pytest.mark.parametrize("role", sorted(START))
def test_every_role_lands_on_its_start_page(as_role: AsRole, role: str) -> None:
    client = as_role(role)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == START[role]


def test_the_auditor_no_longer_lands_on_the_planner(as_role: AsRole) -> None:
    client = as_role("auditor")
    assert client.get("/", follow_redirects=False).headers["location"] != "/planner"


@pytest.mark.parametrize("role", ["clinician", "nurse", "researcher", "auditor", "patient"])
def test_only_the_admin_opens_the_admin_pages(as_role: AsRole, role: str) -> None:
    client = as_role(role)
    for path in ("/admin/users", "/admin/settings"):
        assert client.get(path).status_code == 403, path
