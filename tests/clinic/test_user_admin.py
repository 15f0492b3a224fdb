"""User management through the API and the service: the last-admin guard at its boundary,
sessions ending on a role change or deactivation, the temporary password, last logins.

References: the rules as issue 16 states them (the last active admin can be neither
deactivated nor demoted; a deactivated user's sessions end; a reset password is
temporary and must be changed), counted here from the users table by hand; the
session epoch as rhizo.clinic.core.auth.models.User.holds_session defines it; the
strength rule's own function (passwords.password_problem) for the temporary password.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.clinic.conftest import actor_of
from tests.clinic.factories import PASSWORD, make_patient, make_user

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth import service
from rhizo.clinic.core.auth.models import Role, User, UserUpdate
from rhizo.clinic.core.auth.passwords import password_problem
from rhizo.clinic.core.common import InvalidInputError
from rhizo.clinic.core.database import utcnow

Headers = dict[str, str]
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a URL


def _active_admins(session: Session) -> int:
    # Counted by hand from the table, not through the service's own count.
    users = session.scalars(sa.select(User)).all()
    return sum(1 for u in users if u.role is Role.ADMIN and u.is_active)


def _patch(client: TestClient, headers: Headers, user: User, **body: object) -> httpx.Response:
    version = client.get(f"/api/v1/users/{user.id}", headers=headers).json()["version"]
    response: httpx.Response = client.patch(
        f"/api/v1/users/{user.id}", headers=headers, json={"version": version, **body}
    )
    return response


def _only_admins(session: Session, keep: list[User]) -> None:
    """Deactivate every other admin the shared database may hold, so the count is exact."""
    for other in session.scalars(sa.select(User).where(User.role == Role.ADMIN)).all():
        if other not in keep:
            other.is_active = False
    session.commit()


@pytest.mark.parametrize("change", [{"is_active": False}, {"role": "clinician"}])
def test_the_last_active_admin_is_neither_deactivated_nor_demoted(
    client: TestClient,
    session: Session,
    token_for: Callable[[User], Headers],
    change: dict[str, object],
) -> None:
    admin = make_user(session, Role.ADMIN)
    _only_admins(session, [admin])
    assert _active_admins(session) == 1
    response = _patch(client, token_for(admin), admin, **change)
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["field"] == next(iter(change))
    assert "last active admin" in problem["message"]
    session.refresh(admin)
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)


def test_with_two_active_admins_one_may_go_then_the_other_is_the_last(
    session: Session,
) -> None:
    first = make_user(session, Role.ADMIN)
    second = make_user(session, Role.ADMIN)
    dormant = make_user(session, Role.ADMIN, is_active=False)  # counts for nothing
    _only_admins(session, [first, second, dormant])
    assert _active_admins(session) == 2
    service.update(
        session=session,
        actor=actor_of(first),
        user_id=second.id,
        data=UserUpdate(version=second.version, is_active=False),
    )
    assert _active_admins(session) == 1
    with pytest.raises(InvalidInputError) as refused:
        service.update(
            session=session,
            actor=actor_of(first),
            user_id=first.id,
            data=UserUpdate(version=first.version, role=Role.NURSE),
        )
    assert refused.value.problems[0].field == "role"
    # Reactivating the dormant admin makes room again: now the first may step down.
    service.update(
        session=session,
        actor=actor_of(first),
        user_id=dormant.id,
        data=UserUpdate(version=dormant.version, is_active=True),
    )
    service.update(
        session=session,
        actor=actor_of(first),
        user_id=first.id,
        data=UserUpdate(version=first.version, role=Role.NURSE),
    )
    assert _active_admins(session) == 1


@pytest.mark.parametrize("change", [{"role": "researcher"}, {"is_active": False}])
def test_a_role_change_or_deactivation_ends_the_users_tokens(
    client: TestClient,
    session: Session,
    token_for: Callable[[User], Headers],
    change: dict[str, object],
) -> None:
    admin = token_for(make_user(session, Role.ADMIN))
    nurse = make_user(session, Role.NURSE)
    old = token_for(nurse)
    assert client.get("/api/v1/auth/me", headers=old).status_code == 200
    epoch = nurse.session_epoch
    assert _patch(client, admin, nurse, **change).status_code == 200
    session.refresh(nurse)
    assert nurse.session_epoch == epoch + 1
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    entry = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == str(nurse.id))
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert entry is not None
    field, value = next(iter(change.items()))
    before = "nurse" if field == "role" else True
    assert entry.details == {"fields": [field], field: {"from": before, "to": value}}
    if change == {"is_active": False}:
        # Reactivated: the old token stays dead (its epoch is behind).
        assert _patch(client, admin, nurse, is_active=True).status_code == 200
        assert client.get("/api/v1/auth/me", headers=old).status_code == 401


def test_a_name_change_keeps_the_users_sessions(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    admin = token_for(make_user(session, Role.ADMIN))
    nurse = make_user(session, Role.NURSE)
    old = token_for(nurse)
    assert _patch(client, admin, nurse, full_name="Renamed Nurse").status_code == 200
    assert client.get("/api/v1/auth/me", headers=old).status_code == 200


def test_a_linked_patient_login_cannot_become_staff(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    admin = token_for(make_user(session, Role.ADMIN))
    login = make_user(session, Role.PATIENT)
    make_patient(session, user_id=login.id)
    response = _patch(client, admin, login, role="nurse")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "role"
    unlinked = make_user(session, Role.PATIENT)
    assert _patch(client, admin, unlinked, role="nurse").status_code == 200


def test_a_reset_password_is_temporary_until_the_user_chooses_their_own(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    admin_user = make_user(session, Role.ADMIN)
    admin = token_for(admin_user)
    nurse = make_user(session, Role.NURSE)
    before = token_for(nurse)
    reset = client.post(f"/api/v1/users/{nurse.id}/password/reset", headers=admin)
    assert reset.status_code == 200
    temporary = reset.json()["temporary_password"]
    assert len(temporary) == 16
    assert password_problem(temporary, nurse.username) is None  # passes the strength rule
    assert reset.json()["must_change_password"] is True
    assert client.get("/api/v1/auth/me", headers=before).status_code == 401  # sessions ended
    assert (
        client.post(TOKEN_URL, data={"username": nurse.username, "password": PASSWORD}).status_code
        == 401
    )
    login = client.post(TOKEN_URL, data={"username": nurse.username, "password": temporary})
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    refused = client.get("/api/v1/patients", headers=headers)
    assert refused.status_code == 403
    assert "/auth/password" in refused.json()["detail"]
    new = "juniper ferry lantern obsidian"
    changed = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": temporary, "new_password": new},
    )
    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get("/api/v1/patients", headers=fresh).status_code == 200
    session.refresh(nurse)
    assert nurse.must_change_password is False
    rows = session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "user",
            AuditEvent.entity_id == str(nurse.id),
            AuditEvent.action == AuditAction.UPDATE,
        )
    ).all()
    assert {"fields": ["password"], "temporary": True} in [row.details for row in rows]
    assert temporary not in str([row.details for row in rows])  # never in the trail


def test_only_an_admin_resets_a_password(
    client: TestClient, session: Session, token_for: Callable[[User], Headers]
) -> None:
    nurse = make_user(session, Role.NURSE)
    for role in (Role.CLINICIAN, Role.NURSE, Role.AUDITOR, Role.RESEARCHER, Role.PATIENT):
        other = token_for(make_user(session, role))
        response = client.post(f"/api/v1/users/{nurse.id}/password/reset", headers=other)
        assert response.status_code == 403, role


def test_last_logins_come_from_successful_logins_only(client: TestClient, session: Session) -> None:
    nurse = make_user(session, Role.NURSE)
    never = make_user(session, Role.NURSE)
    start = utcnow() - timedelta(seconds=1)
    assert (
        client.post(TOKEN_URL, data={"username": nurse.username, "password": PASSWORD}).status_code
        == 200
    )
    assert (
        client.post(
            TOKEN_URL, data={"username": never.username, "password": "wrong one entirely"}
        ).status_code
        == 401
    )
    logins = service.last_logins(session=session, user_ids=[nurse.id, never.id])
    assert set(logins) == {nurse.id}  # a failed login is no login
    stored = session.scalars(
        sa.select(sa.func.max(AuditEvent.ts)).where(
            AuditEvent.actor_id == nurse.id, AuditEvent.action == AuditAction.LOGIN
        )
    ).one()
    assert logins[nurse.id] == stored
    assert logins[nurse.id] >= start
    assert service.last_logins(session=session, user_ids=[]) == {}
