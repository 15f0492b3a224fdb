"""Enrolling the TOTP second factor: begin (secret shown once), confirm (first code), reset.

Begin stores a new secret as *pending* and returns it with its ``otpauth://``
URI; the secret becomes the user's second factor only when a code made from it
is confirmed, and then every other session and token of the user ends (they
were opened without the factor). An admin can reset a user's factor (a lost
phone); the user enrols again at the next login (required for admins). Every
step writes an ``update`` audit row naming the field, never the secret.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.auth import totp
from rhizo.clinic.core.auth.models import Actor, TotpEnrolment, User
from rhizo.clinic.core.auth.service import audit_update, get
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError


def _audit(session: Session, actor: Actor, user_id: int, field: str) -> None:
    audit_update(session, actor, user_id, {"fields": [field]})


def begin(*, session: Session, actor: Actor, user_id: int) -> TotpEnrolment:
    """A new pending secret for the user (409 when one is already enrolled)."""
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        if user.totp_enrolled:
            raise ConflictError(
                "a second factor is already enrolled; an admin can reset it "
                "(POST /api/v1/users/{id}/totp/reset)"
            )
        secret = totp.new_secret()
        user.totp_pending_secret = secret
        _audit(session, actor, user_id, "totp_pending")
    return TotpEnrolment(secret=secret, otpauth_uri=totp.otpauth_uri(secret, user.username))


def confirm(*, session: Session, actor: Actor, user_id: int, code: str) -> User:
    """Make the pending secret the user's second factor, given a current code from it."""
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        pending = user.totp_pending_secret
        if pending is None:
            raise InvalidInputError(
                [FieldProblem("code", code, "pending", "no enrolment in progress: begin one first")]
            )
        step = totp.accepted_step(pending, code, last_step=None)
        if step is None:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "code",
                        code,
                        "totp",
                        "is not the current code of the secret shown (check the phone's clock)",
                    )
                ]
            )
        user.totp_secret = pending
        user.totp_pending_secret = None
        user.totp_last_step = step
        user.session_epoch += 1
        _audit(session, actor, user_id, "totp")
    return user


def reset(*, session: Session, actor: Actor, user_id: int) -> User:
    """Remove a user's second factor (admin) and end the user's sessions."""
    with transactions.transaction(session):
        user = get(session=session, user_id=user_id)
        user.totp_secret = None
        user.totp_pending_secret = None
        user.totp_last_step = None
        user.session_epoch += 1
        _audit(session, actor, user_id, "totp_reset")
    return user
