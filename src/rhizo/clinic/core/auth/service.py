"""Users: create, change, change one's own password, reset it to a temporary one, unlock,
end sessions (all audited); the last-admin guard; last logins.

Logging in is :mod:`rhizo.clinic.core.auth.login`; the second factor's enrolment is
:mod:`rhizo.clinic.core.auth.enrolment`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth import throttle
from rhizo.clinic.core.auth.models import (
    Actor,
    PasswordChange,
    Role,
    User,
    UserCreate,
    UserUpdate,
)
from rhizo.clinic.core.auth.passwords import strong_password
from rhizo.clinic.core.auth.security import hash_password, verify_password
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError

ENTITY = "user"


def get(*, session: Session, user_id: int) -> User:
    """One user, or :class:`NotFoundError`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(ENTITY, user_id)
    return user


def get_by_username(*, session: Session, username: str) -> User | None:
    """The user with this username, if any."""
    return session.scalar(sa.select(User).where(User.username == username))


def get_all(*, session: Session, limit: int, offset: int) -> tuple[Sequence[User], int]:
    """A page of users by username."""
    return transactions.page(
        session, sa.select(User).order_by(User.username), limit=limit, offset=offset
    )


def create(*, session: Session, actor: Actor, data: UserCreate) -> User:
    """Add a user with an argon2-hashed password."""
    with transactions.transaction(session):
        if get_by_username(session=session, username=data.username) is not None:
            raise ConflictError(f"username {data.username!r} is taken")
        user = User(
            username=data.username,
            password_hash=hash_password(data.password),
            role=data.role,
            full_name=data.full_name,
        )
        session.add(user)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=user.id,
            details={"role": data.role.value},
        )
    return user


def audit_update(session: Session, actor: Actor, user_id: int, details: dict[str, Any]) -> None:
    """Record an ``update`` audit row of the user ``user_id`` (``details`` names the fields)."""
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity_type=ENTITY,
        entity_id=user_id,
        details=details,
    )


def active_admin_count(*, session: Session) -> int:
    """How many active users hold the admin role."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.is_active.is_(True))
        )
        or 0
    )


#: The patient records' login column, named here without importing the patient domain
#: (rhizo.clinic.core imports no domain): ``patients.user_id`` -> ``users.id``.
_PATIENT_LOGINS = sa.table("patients", sa.column("id"), sa.column("user_id"))


def linked_record_of(*, session: Session, user_id: int) -> int | None:
    """The id of the patient record linked to this login, if any."""
    found = session.scalar(
        sa.select(_PATIENT_LOGINS.c.id).where(_PATIENT_LOGINS.c.user_id == user_id)
    )
    return None if found is None else int(found)


def _guard_role_and_status(session: Session, user: User, changes: dict[str, Any]) -> None:
    """Refuse a change that would leave no active admin, or make a linked patient login
    staff (a staff account is never linked to a patient record)."""
    role = changes.get("role", user.role)
    active = changes.get("is_active", user.is_active)
    was_admin = user.role is Role.ADMIN and user.is_active
    loses_admin = was_admin and (role is not Role.ADMIN or not active)
    if loses_admin and active_admin_count(session=session) <= 1:
        field = "is_active" if not active else "role"
        raise InvalidInputError(
            [
                FieldProblem(
                    field,
                    active if field == "is_active" else role.value,
                    "last_admin",
                    f"{user.username!r} is the last active admin: make another user an "
                    "active admin first, or nobody can manage users",
                )
            ]
        )
    if role is not Role.PATIENT and user.role is Role.PATIENT:
        record = linked_record_of(session=session, user_id=user.id)
        if record is not None:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "role",
                        role.value,
                        "linked_patient",
                        f"{user.username!r} is linked to patient record {record}; unlink it "
                        "first (a staff account is never linked to a patient record)",
                    )
                ]
            )


def update(*, session: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    """Change a user's role, name, status or password.

    Refused (422) when it would leave no active admin or turn a linked patient
    login into staff. A new role, a deactivation or a new password ends every
    session and token of the user (the session epoch moves on), so a reactivated
    user logs in afresh and a role change takes effect at the next request.
    """
    changes = transactions.changes_of(data)
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        password = changes.pop("password", None)
        _guard_role_and_status(session, user, changes)
        old_role, was_active = user.role, user.is_active
        changed = transactions.apply_changes(user, changes)
        details: dict[str, Any] = {}
        if user.role is not old_role:
            details["role"] = {"from": old_role.value, "to": user.role.value}
        if user.is_active != was_active:
            details["is_active"] = {"from": was_active, "to": user.is_active}
        if user.role is not old_role or (was_active and not user.is_active):
            user.session_epoch += 1
        if password is not None:
            try:
                strong_password(password, user.username, user.full_name)
            except ValueError as error:
                raise InvalidInputError(
                    [FieldProblem("password", "***", "strength", str(error))]
                ) from None
            user.password_hash = hash_password(password)
            # A new password ends every session and token issued under the old one.
            user.session_epoch += 1
            changed.append("password")
        session.flush()
        # Who changed what: the fields, and a role or status change's values (no PHI).
        audit_update(session, actor, user_id, {"fields": changed, **details})
    return user


def change_own_password(*, session: Session, actor: Actor, data: PasswordChange) -> User:
    """The acting user's new password, given the current one; every other session and
    token of the user ends (the caller issues a new one for this session)."""
    if actor.user_id is None:
        raise InvalidInputError([FieldProblem("user", None, "login", "only a logged-in user")])
    with transactions.transaction(session):
        user = get(session=session, user_id=actor.user_id)
        if not verify_password(data.current_password, user.password_hash):
            raise InvalidInputError(
                [FieldProblem("current_password", "***", "match", "is not your current password")]
            )
        if data.new_password == data.current_password:
            raise InvalidInputError(
                [FieldProblem("new_password", "***", "differ", "must differ from the current one")]
            )
        try:
            strong_password(data.new_password, user.username, user.full_name)
        except ValueError as error:
            raise InvalidInputError(
                [FieldProblem("new_password", "***", "strength", str(error))]
            ) from None
        user.password_hash = hash_password(data.new_password)
        user.session_epoch += 1
        user.must_change_password = False
        audit_update(session, actor, user.id, {"fields": ["password"], "self_service": True})
    return user


#: Bytes of randomness in a temporary password (``secrets.token_urlsafe``: 16 characters,
#: 96 bits; zxcvbn scores such strings 4 of 4).
TEMPORARY_PASSWORD_BYTES = 12


def reset_password(*, session: Session, actor: Actor, user_id: int) -> tuple[User, str]:
    """Give the user a random temporary password (admin; audited, never logged) that must
    be changed at the next login; every session and token of the user ends. Returns the
    user and the password, to be shown once to the admin."""
    temporary = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        user.password_hash = hash_password(strong_password(temporary, user.username))
        user.must_change_password = True
        user.session_epoch += 1
        audit_update(session, actor, user_id, {"fields": ["password"], "temporary": True})
    return user, temporary


def last_logins(*, session: Session, user_ids: Sequence[int]) -> dict[int, datetime]:
    """Each user's last successful login (from the audit trail's ``login`` rows)."""
    if not user_ids:
        return {}
    rows = session.execute(
        sa.select(AuditEvent.actor_id, sa.func.max(AuditEvent.ts))
        .where(AuditEvent.action == AuditAction.LOGIN, AuditEvent.actor_id.in_(list(user_ids)))
        .group_by(AuditEvent.actor_id)
    ).all()
    return {int(user_id): ts for user_id, ts in rows if user_id is not None and ts is not None}


def unlock(*, session: Session, actor: Actor, user_id: int) -> bool:
    """Clear a user's failed-login count and lockout (admin); whether one was set."""
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        cleared = throttle.clear(session=session, key=throttle.account_key(user.username))
        audit_update(session, actor, user_id, {"fields": ["lockout"], "had_failures": cleared})
    return cleared


def end_sessions(*, session: Session, actor: Actor, user_id: int) -> None:
    """Revoke every web session and API token the user holds (logout everywhere); audited
    as an ``update`` of the user's ``sessions``."""
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        user.session_epoch += 1
        audit_update(session, actor, user_id, {"fields": ["sessions"], "event": "logout"})
