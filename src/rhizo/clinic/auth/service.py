"""Users and logins (every login attempt, failed ones included, is audited)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic import records
from rhizo.clinic.audit import service as audit
from rhizo.clinic.audit.models import AuditAction
from rhizo.clinic.auth.models import Actor, User, UserCreate, UserUpdate
from rhizo.clinic.auth.security import hash_password, verify_password
from rhizo.clinic.common import ConflictError, NotFoundError

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
    return records.page(
        session, sa.select(User).order_by(User.username), limit=limit, offset=offset
    )


def create(*, session: Session, actor: Actor, data: UserCreate) -> User:
    """Add a user with an argon2-hashed password."""
    with records.transaction(session):
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


def update(*, session: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    """Change a user's role, name, status or password."""
    changes = records.changes_of(data)
    with records.transaction(session):
        user = get(session=session, user_id=user_id)
        password = changes.pop("password", None)
        changed = records.apply_changes(user, changes)
        if password is not None:
            user.password_hash = hash_password(password)
            # A new password ends every session and token issued under the old one.
            user.session_epoch += 1
            changed.append("password")
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=user_id,
            details={"fields": changed},
        )
    return user


def end_sessions(*, session: Session, user_id: int) -> None:
    """Revoke every web session and API token the user holds (logout everywhere).

    Not audited: it changes no patient data and no permission; logins are.
    """
    with records.transaction(session):
        user = get(session=session, user_id=user_id)
        user.session_epoch += 1


def authenticate(
    *, session: Session, username: str, password: str, request_id: str | None, ip: str | None
) -> User | None:
    """The active user these credentials name, or None; the attempt is audited either way."""
    with records.transaction(session):
        user = get_by_username(session=session, username=username)
        ok = verify_password(password, user.password_hash if user is not None else None)
        ok = ok and user is not None and user.is_active
        actor = Actor(
            user_id=user.id if user is not None else None,
            username=username[:64],
            role=user.role if user is not None else None,
            request_id=request_id,
            ip=ip,
        )
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.LOGIN if ok else AuditAction.FAILED_LOGIN,
            entity_type=ENTITY,
            entity_id=user.id if user is not None else None,
            details={} if ok else {"reason": "bad credentials or inactive user"},
        )
    return user if ok else None
