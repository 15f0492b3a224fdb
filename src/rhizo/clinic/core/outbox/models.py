"""The outbox tables: one row per message to send, one row per attempt to send it.

A message is written (``queued``) in the transaction of the change it follows
(a booking, a cancellation), so it exists exactly when that change committed.
The worker (:mod:`rhizo.clinic.core.outbox.worker`) claims due rows
(``sending``, ``claimed_at``), sends them and marks each ``sent`` in its own
transaction right after the server accepted it; a failed attempt goes back to
``queued`` with a later ``next_attempt_at`` (exponential backoff) until
``max_attempts``, then ``failed``. ``cancelled``: withdrawn before sending (the
appointment was cancelled). ``dedupe_key`` is UNIQUE: enqueueing the same
message twice returns the first row. ``message_key`` is the left part of the
e-mail's Message-ID, fixed at enqueue, so a resend after a crash carries the
same Message-ID and is recognisable as the same message.

The subject, text and .ics attachment are rendered by the message's template
(:mod:`rhizo.clinic.core.outbox.templates`) when it is sent, with the clinic's
contact at that time, and stored with the send: the row shows exactly what went out.
``context`` holds the template's validated, JSON-safe input.

Rows reference ``patients`` and ``appointments`` by table name only (core
imports no domain). Both cascade on delete: a message about a patient or an
appointment that no longer exists must not be sent, and erasing a patient
erases the messages that carried their details.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rhizo.clinic.core.common import str_enum
from rhizo.clinic.core.database import Base, TimestampMixin, utcnow

#: The longest address (RFC 5321 section 4.5.3.1.3: a path of at most 256 octets,
#: so 254 for the address; 320 leaves room for an SMS number or a provider's id).
RECIPIENT_MAX_LENGTH = 320
DEDUPE_KEY_MAX_LENGTH = 200
TEMPLATE_MAX_LENGTH = 64
#: RFC 5322 section 2.1.1: a line of at most 998 characters; subjects are kept far shorter.
SUBJECT_MAX_LENGTH = 200
ERROR_MAX_LENGTH = 500


class Channel(StrEnum):
    """How a message travels."""

    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(StrEnum):
    """Where a message is: queued -> sending -> sent; sending -> queued (retry) or failed;
    queued -> cancelled."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: Statuses that may still be sent (cancel withdraws these).
PENDING_STATUSES: frozenset[OutboxStatus] = frozenset({OutboxStatus.QUEUED, OutboxStatus.SENDING})


class SendOutcome(StrEnum):
    """What one attempt ended with."""

    SENT = "sent"
    #: A temporary failure (4xx reply, connection refused or lost): tried again later.
    RETRY = "retry"
    #: A permanent failure (5xx reply, a refused recipient) or the last attempt failed.
    FAILED = "failed"
    #: The worker that claimed it stopped before it finished (its lease ran out).
    ABANDONED = "abandoned"


class OutboxMessage(TimestampMixin, Base):
    """One message to one recipient, with its state and the rendered text once sent."""

    entity_label = "outbox message"

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "outbox_channel"))
    recipient: Mapped[str] = mapped_column(sa.String(RECIPIENT_MAX_LENGTH))
    #: The template's registered name (:mod:`rhizo.clinic.core.outbox.templates`).
    template: Mapped[str] = mapped_column(sa.String(TEMPLATE_MAX_LENGTH))
    #: The template's validated input (JSON-safe: dates as ISO strings).
    context: Mapped[dict[str, Any]]
    #: Rendered when sent (None before).
    subject: Mapped[str | None] = mapped_column(sa.String(SUBJECT_MAX_LENGTH))
    body: Mapped[str | None] = mapped_column(sa.Text)
    #: An iCalendar (RFC 5545) attachment, when the template gives one.
    ics: Mapped[str | None] = mapped_column(sa.Text)
    #: Not sent before this instant.
    send_after: Mapped[datetime]
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    #: Attempts started (a claim counts one, so a message that kills its worker fails too).
    attempts: Mapped[int] = mapped_column(default=0)
    #: When the worker may take it next (send_after, then the backoff).
    next_attempt_at: Mapped[datetime]
    #: When a worker claimed it, and which (None unless ``sending``).
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(ERROR_MAX_LENGTH))
    dedupe_key: Mapped[str] = mapped_column(sa.String(DEDUPE_KEY_MAX_LENGTH), unique=True)
    #: The left part of the Message-ID (``<message_key@sender's domain>``), fixed at enqueue.
    message_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    patient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )


class OutboxSendRecord(Base):
    """One attempt to send one message: who tried, when, and what the server said."""

    __tablename__ = "outbox_send_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int]
    worker: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[SendOutcome] = mapped_column(str_enum(SendOutcome, "outbox_send_outcome"))
    #: The server's reply code (250 accepted; 4xx temporary; 5xx permanent; None: no reply).
    reply_code: Mapped[int | None]
    #: The server's reply text, or the error (connection refused, timed out).
    reply: Mapped[str | None] = mapped_column(sa.String(ERROR_MAX_LENGTH))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
