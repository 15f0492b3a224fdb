"""Queue, withdraw and retry outbox messages.

:func:`enqueue` and :func:`cancel` run inside the caller's transaction (the
booking's, the triage's: the message exists exactly when the change it follows
committed) and never commit themselves; :func:`retry` (the admin's action) is
its own transaction. Enqueue is idempotent by ``dedupe_key``: a second call
with the same key returns the first row unchanged, also when two transactions
race (the UNIQUE constraint decides; the loser reads the winner's row).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.outbox import templates
from rhizo.clinic.core.outbox.addresses import checked_recipient
from rhizo.clinic.core.outbox.models import (
    DEDUPE_KEY_MAX_LENGTH,
    Channel,
    OutboxMessage,
    OutboxStatus,
)

ENTITY = "outbox_message"


def message_key(dedupe_key: str) -> str:
    """The Message-ID's left part: the first 40 hex digits of SHA-256(dedupe_key).

    A function of the dedupe key alone, so every send of one message (a retry,
    a resend after a crash) carries the same Message-ID (RFC 5322 section 3.6.4:
    a resent copy of the same message keeps its identifier)."""
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]


def _channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Channel)
        raise InvalidInputError(
            [FieldProblem("channel", value, "enum", f"channel {value!r} is not one of {allowed}")]
        ) from None


def _checked(dedupe_key: str, send_after: datetime) -> None:
    problems: list[FieldProblem] = []
    if not dedupe_key.strip() or len(dedupe_key) > DEDUPE_KEY_MAX_LENGTH:
        problems.append(
            FieldProblem(
                "dedupe_key",
                dedupe_key,
                "length",
                f"dedupe_key must be 1-{DEDUPE_KEY_MAX_LENGTH} characters, not blank",
            )
        )
    if send_after.tzinfo is None or send_after.utcoffset() is None:
        problems.append(
            FieldProblem(
                "send_after",
                send_after.isoformat(),
                "aware",
                "send_after must carry a time zone (a naive time is ambiguous)",
            )
        )
    if problems:
        raise InvalidInputError(problems)


def by_dedupe_key(*, session: Session, dedupe_key: str) -> OutboxMessage | None:
    """The message queued under ``dedupe_key``, if any."""
    return session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def enqueue(
    *,
    session: Session,
    channel: Channel | str,
    to: str,
    template: str,
    context: Mapping[str, Any],
    send_after: datetime,
    dedupe_key: str,
    patient_id: int | None = None,
    appointment_id: int | None = None,
) -> OutboxMessage:
    """Queue one message (in the caller's transaction; nothing is committed here).

    ``to`` must be an address for ``channel`` (:mod:`rhizo.clinic.core.outbox.addresses`),
    ``template`` a registered template name and ``context`` what it accepts
    (:mod:`rhizo.clinic.core.outbox.templates`); otherwise :class:`InvalidInputError`
    (422) naming the field and nothing is written. The same ``dedupe_key`` again
    returns the row already queued (idempotent), whatever else differs.
    """
    kind = _channel(channel)
    address = checked_recipient(kind, to, field="to")
    chosen = templates.get(template)
    _checked(dedupe_key, send_after)
    existing = by_dedupe_key(session=session, dedupe_key=dedupe_key)
    if existing is not None:
        return existing
    data = chosen.validate(context)
    message = OutboxMessage(
        channel=kind,
        recipient=address,
        template=chosen.name,
        context=data,
        send_after=send_after,
        next_attempt_at=send_after,
        status=OutboxStatus.QUEUED,
        attempts=0,
        dedupe_key=dedupe_key,
        message_key=message_key(dedupe_key),
        patient_id=patient_id,
        appointment_id=appointment_id,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # A concurrent transaction queued the same key first: its row is the message.
        winner = by_dedupe_key(session=session, dedupe_key=dedupe_key)
        if winner is None:
            raise
        return winner
    return message


def cancel(*, session: Session, appointment_id: int, reason: str = "appointment cancelled") -> int:
    """Withdraw every queued message about ``appointment_id`` (in the caller's
    transaction); returns how many. A message a worker has claimed (``sending``)
    still goes out (the server may already have it) and is recorded as sent."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .values(status=OutboxStatus.CANCELLED, last_error=reason[:500], updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def retry(*, session: Session, actor: Actor, message_id: int) -> OutboxMessage:
    """Put a failed message back in the queue now with a fresh round of attempts (its
    send records stay); audited. Only ``failed`` messages can be retried (422 otherwise)."""
    with transactions.transaction(session):
        message = session.get(OutboxMessage, message_id)
        if message is None:
            raise NotFoundError(OutboxMessage.entity_label, message_id)
        if message.status is not OutboxStatus.FAILED:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "status",
                        message.status.value,
                        "failed_only",
                        f"message {message_id} is {message.status.value}: only a failed "
                        "message can be retried",
                    )
                ]
            )
        message.status = OutboxStatus.QUEUED
        message.attempts = 0
        message.next_attempt_at = utcnow()
        message.claimed_at = None
        message.claimed_by = None
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=message_id,
            patient_id=message.patient_id,
            details={"retry": True, "template": message.template},
        )
    return message
