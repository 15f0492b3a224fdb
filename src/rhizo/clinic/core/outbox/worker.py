"""The outbox worker: claim due messages, send them, record each attempt.

One cycle (:meth:`Worker.run_once`):

1. **Claim** (one short transaction): up to ``batch`` messages that are
   ``queued`` with ``next_attempt_at <= now``, or ``sending`` with a claim older
   than the lease (their worker died: an ``abandoned`` send record is written
   for that attempt), oldest first, become ``sending`` with ``claimed_at``,
   ``claimed_by`` and ``attempts + 1``. On PostgreSQL the rows are locked
   ``FOR UPDATE SKIP LOCKED`` so concurrent workers take different messages;
   on SQLite the write transaction (``BEGIN IMMEDIATE``) serialises claims.
2. **Send** each one: render it with its template, the clinic's contact and
   zone, hand it to its channel's transport.
3. **Record** each in its own transaction *right after* the server's reply:
   ``sent`` (with the rendered subject, text and .ics, ``sent_at`` and a send
   record holding the reply, e.g. ``250 OK``) or, on a temporary failure,
   ``queued`` again after ``backoff`` (``failed`` once ``max_attempts`` are used),
   on a permanent one ``failed`` at once. Every send is audited (``export``:
   patient data left the system) with the message's patient.

The guarantee (no duplicate after a crash). A message is marked sent in a
transaction that commits immediately after the server's 250 reply to DATA. A
worker that dies at any point *before* that reply leaves the message
``sending`` (or its attempt rolled back); it is reclaimed after the lease and sent
once. Only a death in the window *between* the server's 250 and the commit of
"sent" (microseconds: one UPDATE and a COMMIT, no network) can send a message
twice, and then only that one message per dead worker, with the **same
Message-ID** (derived from the dedupe key), which lets the receiving side
recognise the copy. Exactly-once delivery over SMTP is not possible in general
(the server's acceptance and the database commit are two systems); this is the
narrowest window possible without a two-phase protocol the server does not
offer. A message whose attempts keep killing workers ends ``failed`` because a
claim counts as an attempt.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import SYSTEM_ACTOR
from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.outbox import templates
from rhizo.clinic.core.outbox.models import (
    ERROR_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Channel,
    OutboxMessage,
    OutboxSendRecord,
    OutboxStatus,
    SendOutcome,
)
from rhizo.clinic.core.outbox.settings import OutboxSettings
from rhizo.clinic.core.outbox.transports import (
    OutgoingMessage,
    PermanentSendError,
    SendError,
    Transport,
)

ENTITY = "outbox_message"


def default_worker_id() -> str:
    """``host:pid``: which worker holds a claim."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass
class RunSummary:
    """What one or more cycles did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    abandoned: int = 0

    def add(self, other: RunSummary) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.abandoned += other.abandoned

    def as_dict(self) -> dict[str, int]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "abandoned": self.abandoned,
        }


@dataclass
class Worker:
    """Sends the outbox (module docstring). ``contact`` gives the clinic's contact for a
    session (:func:`rhizo.clinic.core.clinic_settings.service.effective`), ``zone`` the
    clinic's zone; ``clock`` is injectable for tests."""

    session_factory: Callable[[], Session]
    transports: Mapping[Channel, Transport]
    settings: OutboxSettings
    contact: Callable[[Session], Contact]
    zone: tzinfo
    worker_id: str = field(default_factory=default_worker_id)
    clock: Callable[[], datetime] = utcnow

    def claim(self, session: Session, batch: int) -> tuple[list[int], int]:
        """Claim up to ``batch`` due messages; returns their ids and how many were a dead
        worker's (abandoned)."""
        now = self.clock()
        lease_start = now - timedelta(seconds=self.settings.outbox_lease_s)
        due = sa.or_(
            sa.and_(
                OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now
            ),
            sa.and_(
                OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < lease_start
            ),
        )
        query = (
            sa.select(OutboxMessage)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch)
        )
        abandoned = 0
        ids: list[int] = []
        with transactions.transaction(session):
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for message in session.scalars(query).all():
                if message.status is OutboxStatus.SENDING:
                    abandoned += 1
                    session.add(
                        OutboxSendRecord(
                            message_id=message.id,
                            attempt=message.attempts,
                            worker=message.claimed_by or "?",
                            outcome=SendOutcome.ABANDONED,
                            reply=f"claim by {message.claimed_by} expired after "
                            f"{self.settings.outbox_lease_s:g} s",
                            started_at=message.claimed_at or now,
                            finished_at=now,
                        )
                    )
                    if message.attempts >= self.settings.outbox_max_attempts:
                        message.status = OutboxStatus.FAILED
                        message.last_error = "every attempt stopped its worker"
                        message.claimed_at = None
                        message.claimed_by = None
                        continue
                message.status = OutboxStatus.SENDING
                message.claimed_at = now
                message.claimed_by = self.worker_id
                message.attempts += 1
                ids.append(message.id)
        return ids, abandoned

    def _outgoing(self, session: Session, message: OutboxMessage) -> OutgoingMessage:
        template = templates.get(message.template)
        rendered = template.render(
            session=session, context=message.context, contact=self.contact(session), zone=self.zone
        )
        return OutgoingMessage(
            channel=message.channel,
            recipient=message.recipient,
            message_key=message.message_key,
            subject=rendered.subject[:SUBJECT_MAX_LENGTH],
            text=rendered.text,
            ics=rendered.ics,
        )

    def send_claimed(self, session: Session, message_id: int) -> SendOutcome:
        """Render and send one claimed message and record the outcome (its own transaction)."""
        message = session.get(OutboxMessage, message_id)  # loaded by the claim: no SELECT
        if message is None:  # deleted with its patient meanwhile
            return SendOutcome.FAILED
        started = self.clock()
        code: int | None = None
        try:
            outgoing = self._outgoing(session, message)
            transport = self.transports.get(message.channel)
            if transport is None:
                raise PermanentSendError(f"no transport is configured for {message.channel.value}")
            reply = transport.send(outgoing)
        except SendError as error:
            code = error.code
            permanent = isinstance(error, PermanentSendError)
            return self._failed(session, message, started, str(error), code, permanent=permanent)
        except Exception as error:  # a template that cannot render: permanent
            return self._failed(
                session, message, started, f"{type(error).__name__}: {error}", None, permanent=True
            )
        with transactions.transaction(session):
            message.status = OutboxStatus.SENT
            message.sent_at = self.clock()
            message.subject = outgoing.subject
            message.body = outgoing.text
            message.ics = outgoing.ics
            message.claimed_at = None
            message.last_error = None
            session.add(
                OutboxSendRecord(
                    message_id=message.id,
                    attempt=message.attempts,
                    worker=self.worker_id,
                    outcome=SendOutcome.SENT,
                    reply_code=reply.code,
                    reply=reply.text[:ERROR_MAX_LENGTH],
                    started_at=started,
                    finished_at=message.sent_at,
                )
            )
            audit.record(
                session=session,
                actor=SYSTEM_ACTOR,
                action=AuditAction.EXPORT,
                entity_type=ENTITY,
                entity_id=message.id,
                patient_id=message.patient_id,
                details={"template": message.template, "channel": message.channel.value},
            )
        return SendOutcome.SENT

    def _failed(
        self,
        session: Session,
        message: OutboxMessage,
        started: datetime,
        error: str,
        code: int | None,
        *,
        permanent: bool,
    ) -> SendOutcome:
        now = self.clock()
        last = message.attempts >= self.settings.outbox_max_attempts
        outcome = SendOutcome.FAILED if permanent or last else SendOutcome.RETRY
        with transactions.transaction(session):
            message.status = (
                OutboxStatus.FAILED if outcome is SendOutcome.FAILED else OutboxStatus.QUEUED
            )
            message.next_attempt_at = now + timedelta(
                seconds=self.settings.backoff_s(message.attempts)
            )
            message.claimed_at = None
            message.claimed_by = None
            message.last_error = error[:ERROR_MAX_LENGTH]
            session.add(
                OutboxSendRecord(
                    message_id=message.id,
                    attempt=message.attempts,
                    worker=self.worker_id,
                    outcome=outcome,
                    reply_code=code,
                    reply=error[:ERROR_MAX_LENGTH],
                    started_at=started,
                    finished_at=now,
                )
            )
        return outcome

    def run_once(self, batch: int = 50) -> RunSummary:
        """One cycle: claim up to ``batch`` messages and send them."""
        summary = RunSummary()
        session = self.session_factory()
        try:
            ids, summary.abandoned = self.claim(session, batch)
            summary.claimed = len(ids)
            if not ids:
                return summary
            for transport in {id(t): t for t in self.transports.values()}.values():
                # A server that cannot be reached now: each send reports and records it.
                with contextlib.suppress(SendError):
                    transport.open()
            try:
                for message_id in ids:
                    outcome = self.send_claimed(session, message_id)
                    if outcome is SendOutcome.SENT:
                        summary.sent += 1
                    elif outcome is SendOutcome.RETRY:
                        summary.retried += 1
                    else:
                        summary.failed += 1
            finally:
                for transport in {id(t): t for t in self.transports.values()}.values():
                    transport.close()
        finally:
            session.close()
        return summary

    def run_until_empty(self, batch: int = 50, max_cycles: int = 1_000_000) -> RunSummary:
        """Cycles until one claims nothing (every due message tried once more)."""
        total = RunSummary()
        for _ in range(max_cycles):
            summary = self.run_once(batch)
            total.add(summary)
            if summary.claimed == 0:
                break
        return total


def pending_counts(*, session: Session) -> dict[str, int]:
    """Messages per status (the admin page, the CLI's summary)."""
    rows = session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status.value: int(n) for status, n in rows})
    return counts
