"""Users: create, change, change one's own password, unlock, end sessions (all audited).

Logging in is :mod:`rhizo.clinic.core.auth.login`; the second factor's enrolment is
:mod:`rhizo.clinic.core.auth.enrolment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth import throttle
from rhizo.clinic.core.auth.models import Actor, PasswordChange, User, UserCreate, UserUpdate
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


def update(*, session: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    """Change a user's role, name, status or password."""
    changes = transactions.changes_of(data)
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        password = changes.pop("password", None)
        changed = transactions.apply_changes(user, changes)
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
        audit_update(session, actor, user_id, {"fields": changed})
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
        audit_update(session, actor, user.id, {"fields": ["password"], "self_service": True})
    return user


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
