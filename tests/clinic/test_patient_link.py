"""Linking a patient login to a patient record: admin only, audited, and it ends old tokens.

The exploit this guards against (issue 12): a nurse PATCHed patient A's
``user_id`` to null and patient B's to A's login; A's existing token then read
B's name and birth date. Now ``user_id`` is not a field of the clinical create
or PATCH (422 naming it), linking is ``PUT /patients/{id}/login`` for admins
only, and every login a link touches has its session epoch moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient
from tests.clinic.factories import PASSWORD, make_patient, make_user

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Role, User

Headers = dict[str, str]


def _login(client: TestClient, user: User) -> Headers:
    response = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _fields(response: Any) -> set[str]:
    return {problem["field"] for problem in response.json()["detail"]}


def test_a_clinical_patch_cannot_move_a_login_to_another_record(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    login = make_user(session, Role.PATIENT)
    own = make_patient(session, user_id=login.id, given_name="Alice")
    other = make_patient(session, given_name="Bob")
    patient_token = _login(client, login)
    assert client.get(f"/api/v1/patients/{own.id}", headers=patient_token).status_code == 200
    for role in (Role.NURSE, Role.CLINICIAN, Role.ADMIN):
        staff = token_for(make_user(session, role))
        for patient, value in ((own, None), (other, login.id)):
            version = client.get(f"/api/v1/patients/{patient.id}", headers=staff).json()
            body = {"user_id": value, "version": version.get("version", 1)}
            patched = client.patch(f"/api/v1/patients/{patient.id}", headers=staff, json=body)
            assert patched.status_code == 422, (role, patched.text)
            assert "user_id" in _fields(patched)
    session.expire_all()
    assert session.get(type(own), own.id).user_id == login.id  # type: ignore[union-attr]
    assert session.get(type(other), other.id).user_id is None  # type: ignore[union-attr]
    # The patient's token still reads only their own record.
    assert client.get(f"/api/v1/patients/{other.id}", headers=patient_token).status_code == 403
    mine = client.get(f"/api/v1/patients/{own.id}", headers=patient_token).json()
    assert mine["given_name"] == "Alice"


def test_a_new_patient_cannot_carry_a_login(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    login = make_user(session, Role.PATIENT)
    nurse = token_for(make_user(session, Role.NURSE))
    body = {
        "mrn": "LINK-0001",
        "given_name": "Carol",
        "family_name": "Linked",
        "birth_date": "1970-01-01",
        "sex": "female",
        "user_id": login.id,
    }
    created = client.post("/api/v1/patients", headers=nurse, json=body)
    assert created.status_code == 422
    assert _fields(created) == {"user_id"}


def test_only_an_admin_links_and_the_old_token_then_reads_nothing(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    login = make_user(session, Role.PATIENT)
    own = make_patient(session, user_id=login.id, given_name="Alice")
    other = make_patient(session, given_name="Bob")
    old_token = _login(client, login)
    for role in (Role.NURSE, Role.CLINICIAN, Role.RESEARCHER, Role.AUDITOR, Role.PATIENT):
        refused = client.put(
            f"/api/v1/patients/{other.id}/login",
            headers=token_for(make_user(session, role)),
            json={"user_id": login.id},
        )
        assert refused.status_code == 403, role
    admin_user = make_user(session, Role.ADMIN)
    admin = token_for(admin_user)
    # Still linked to its own record: moving it needs an explicit unlink first.
    clash = client.put(
        f"/api/v1/patients/{other.id}/login", headers=admin, json={"user_id": login.id}
    )
    assert clash.status_code == 409
    assert f"linked to patient {own.id}" in clash.json()["detail"]

    unlinked = client.put(f"/api/v1/patients/{own.id}/login", headers=admin, json={"user_id": None})
    assert unlinked.status_code == 200
    assert unlinked.json()["user_id"] is None
    # The token issued before the unlink reads nothing at all now.
    for url in (f"/api/v1/patients/{own.id}", f"/api/v1/patients/{other.id}", "/api/v1/auth/me"):
        assert client.get(url, headers=old_token).status_code == 401, url

    linked = client.put(
        f"/api/v1/patients/{other.id}/login", headers=admin, json={"user_id": login.id}
    )
    assert linked.status_code == 200
    assert client.get(f"/api/v1/patients/{other.id}", headers=old_token).status_code == 401
    fresh = _login(client, login)
    assert client.get(f"/api/v1/patients/{other.id}", headers=fresh).json()["given_name"] == "Bob"
    assert client.get(f"/api/v1/patients/{own.id}", headers=fresh).status_code == 403

    rows = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == AuditAction.UPDATE, AuditEvent.actor_id == admin_user.id)
        .order_by(AuditEvent.id)
    ).all()
    links = [(row.patient_id, row.details) for row in rows if row.entity_type == "patient"]
    assert links == [
        (own.id, {"fields": ["user_id"], "linked_user_id": None, "unlinked_user_id": login.id}),
        (other.id, {"fields": ["user_id"], "linked_user_id": login.id, "unlinked_user_id": None}),
    ]


def test_linking_names_a_bad_login(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    admin = token_for(make_user(session, Role.ADMIN))
    patient = make_patient(session)
    nurse = make_user(session, Role.NURSE)
    for value in (nurse.id, 987654):
        bad = client.put(
            f"/api/v1/patients/{patient.id}/login", headers=admin, json={"user_id": value}
        )
        assert bad.status_code == 422
        (problem,) = bad.json()["detail"]
        assert problem["field"] == "user_id"
        assert problem["value"] == value
        assert "patient role" in problem["message"]
    missing = client.put(f"/api/v1/patients/{patient.id}/login", headers=admin, json={})
    assert missing.status_code == 422
    assert _fields(missing) == {"user_id"}
