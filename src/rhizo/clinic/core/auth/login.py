"""Logging in: throttle check, bounded password verification, second factor, audit.

One function decides every login, for the API (``POST /api/v1/auth/token``)
and the web form alike:

1. the account's and the address's throttle (:mod:`rhizo.clinic.core.auth.throttle`):
   a key that is still waiting gets :class:`LoginThrottled` (HTTP 429,
   ``Retry-After``) without its password being checked, and nothing is written;
2. a verification slot (:class:`rhizo.clinic.core.auth.security.VerificationSlots`):
   none free is :class:`LoginBusy` (HTTP 503, ``Retry-After: 1``);
3. the password (argon2), then the TOTP code of a user who enrolled one: a
   right password without a code is :class:`SecondFactorRequired`; a wrong
   code counts as a failure like a wrong password;
4. a failure adds one to both throttle counters and writes a ``failed_login``
   audit row (with the wait it imposed); a success clears the account's counter
   and writes a ``login`` row. An admin without a second factor gets a session
   of stage :attr:`Stage.ENROL`, good only for enrolling one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth import throttle, totp
from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.auth.security import LoginBusy, Stage, VerificationSlots, verify_password
from rhizo.clinic.core.auth.service import ENTITY, get_by_username
from rhizo.clinic.core.auth.throttle import LoginThrottled
from rhizo.clinic.core.database import READ_ONLY_OPTION, utcnow
from rhizo.clinic.core.validation import json_safe

__all__ = [
    "Login",
    "LoginBusy",
    "LoginThrottled",
    "SecondFactorRequired",
    "authenticate",
    "complete_second_factor",
    "stage_for",
]


class SecondFactorRequired(Exception):
    """The password is right and the user has TOTP: a code must come with it."""

    def __init__(self, user: User) -> None:
        super().__init__("a one-time code from the authenticator app is required")
        # Plain values: the transaction this is raised in rolls back (expiring the row).
        self.user_id: int = user.id
        self.epoch: int = user.session_epoch


@dataclass(frozen=True)
class Login:
    """A successful login: the user and what the new session may do."""

    user: User
    stage: Stage


@dataclass(frozen=True)
class _Attempt:
    username: str
    request_id: str | None
    ip: str | None
    now: datetime

    @property
    def keys(self) -> list[str]:
        address = throttle.address_key(self.ip)
        return [throttle.account_key(self.username)] + ([address] if address else [])

    def actor(self, user: User | None) -> Actor:
        return Actor(
            user_id=user.id if user is not None else None,
            username=self.username[:64],
            role=user.role if user is not None else None,
            request_id=self.request_id,
            ip=self.ip,
        )


@contextmanager
def _reading(session: Session) -> Iterator[None]:
    """A transaction that only reads: on SQLite it begins deferred (no write lock), so the
    throttle check of a flood's refused attempts never queues behind other writers."""
    if not session.in_transaction():
        session.connection(execution_options={READ_ONLY_OPTION: True})
    try:
        yield
    finally:
        session.rollback()


def stage_for(user: User, *, admin_totp_required: bool) -> Stage:
    """What a new session or token of ``user`` may do: only enrol a second factor for an
    admin without one (when ``admin_totp_required``), else everything its role allows."""
    if user.role is Role.ADMIN and not user.totp_enrolled and admin_totp_required:
        return Stage.ENROL
    return Stage.FULL


def _code_ok(user: User, code: str) -> bool:
    if user.totp_secret is None:
        return False
    step = totp.accepted_step(user.totp_secret, code, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _fail(session: Session, attempt: _Attempt, user: User | None, reason: str) -> None:
    waits: dict[str, float] = {}
    for key in attempt.keys:
        schedule = throttle.ACCOUNT if key.startswith("account:") else throttle.ADDRESS
        row = throttle.record_failure(session=session, key=key, schedule=schedule, now=attempt.now)
        if row.blocked_until is not None:
            waits[key.split(":", 1)[0]] = (row.blocked_until - attempt.now).total_seconds()
    details: dict[str, object] = {"reason": reason}
    if waits:
        details["throttled_s"] = waits
    audit.record(
        session=session,
        actor=attempt.actor(user),
        action=AuditAction.FAILED_LOGIN,
        entity_type=ENTITY,
        entity_id=user.id if user is not None else None,
        details=details,
    )


def _succeed(
    session: Session, attempt: _Attempt, user: User, *, admin_totp_required: bool
) -> Login:
    throttle.clear(session=session, key=throttle.account_key(attempt.username))
    stage = stage_for(user, admin_totp_required=admin_totp_required)
    audit.record(
        session=session,
        actor=attempt.actor(user),
        action=AuditAction.LOGIN,
        entity_type=ENTITY,
        entity_id=user.id,
        details={"second_factor": user.totp_enrolled, "stage": stage.value},
    )
    return Login(user=user, stage=stage)


def authenticate(
    *,
    session: Session,
    slots: VerificationSlots,
    username: str,
    password: str,
    totp_code: str | None,
    request_id: str | None,
    ip: str | None,
    admin_totp_required: bool = True,
) -> Login | None:
    """The login these credentials earn, or None (audited and counted either way).

    Raises :class:`LoginThrottled`, :class:`LoginBusy` (nothing checked, nothing
    written) or :class:`SecondFactorRequired` (right password, no code given).
    """
    # A NUL or a lone surrogate is spelled out (no username holds one): PostgreSQL can
    # store the attempt, and the name matches no one.
    username = json_safe(username)
    attempt = _Attempt(username=username, request_id=request_id, ip=ip, now=utcnow())
    with _reading(session):
        throttle.check(session=session, keys=attempt.keys, now=attempt.now)
        user = get_by_username(session=session, username=username)
        stored_hash = user.password_hash if user is not None else None
    # No transaction is open while argon2 runs: on SQLite a write transaction holds
    # the database's only write lock, and every audited read of others waits for it.
    with slots.hold():
        ok = verify_password(password, stored_hash)
    with transactions.transaction(session):
        if user is None or not ok or not user.is_active:
            _fail(session, attempt, user, "bad credentials or inactive user")
            return None
        if user.totp_enrolled:
            if not totp_code:
                raise SecondFactorRequired(user)
            if not _code_ok(user, totp_code):
                _fail(session, attempt, user, "wrong, expired or reused one-time code")
                return None
        return _succeed(session, attempt, user, admin_totp_required=admin_totp_required)


def complete_second_factor(
    *,
    session: Session,
    user_id: int,
    epoch: int,
    code: str,
    request_id: str | None,
    ip: str | None,
    admin_totp_required: bool = True,
) -> Login | None:
    """The web form's second step: the password was right (a signed, short-lived cookie
    says so for ``user_id`` at ``epoch``); check the code as :func:`authenticate` does."""
    user = session.get(User, user_id)
    if user is None or user.session_epoch != epoch or not user.is_active:
        return None
    attempt = _Attempt(username=user.username, request_id=request_id, ip=ip, now=utcnow())
    with _reading(session):
        throttle.check(session=session, keys=attempt.keys, now=attempt.now)
    with transactions.transaction(session):
        if not _code_ok(user, code):
            _fail(session, attempt, user, "wrong, expired or reused one-time code")
            return None
        return _succeed(session, attempt, user, admin_totp_required=admin_totp_required)
