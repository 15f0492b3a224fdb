"""Consultation requests: create (public page, portal), read, the open queue, and triage.

Triage is one of three moves from an open request (``new`` or
``info_requested``; anything else is 409):

* **accept and book**: the patient is the portal request's own, an existing
  record (``patient_id``) or one registered from ``new_patient`` by the
  registration service (:func:`rhizo.clinic.patient.service.create`, its rules and
  its audit row); the slot is a consultation slot of a session
  (:func:`rhizo.clinic.schedule.slots.free_slots` lists them) booked by
  :func:`rhizo.clinic.schedule.booking.book`. The request's move to ``booked``, the
  appointment, the request's link to it, the audit row and the requester's message
  are one transaction (the move is flushed before the booking, the rest runs in the
  booking's ``then``), so they commit together or not at all, and two staff
  accepting the same request at once cannot both book (the second gets 409: the
  request's version moved).
  A patient registered for the request is linked to it first (its own
  transaction), so a booking that fails (the slot was just taken) leaves the
  request open with its patient, and trying again does not register twice.
* **ask for information**: the question is stored and sent to the requester.
* **decline** with a reason of 5-500 characters, sent to the requester.

Each change is audited (``consultation_request``) and the requester is told by
the outbox (:func:`rhizo.clinic.core.outbox.service.enqueue`, in the same
transaction as the change: e-mail when they gave one, else SMS), with the
templates ``request_received`` and ``request_outcome``
(:mod:`rhizo.clinic.schedule.reminders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.core.conflicts import check_version
from rhizo.clinic.core.database import begin_write
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox.addresses import sms_problem
from rhizo.clinic.core.outbox.models import Channel
from rhizo.clinic.intake import abuse
from rhizo.clinic.intake.models import (
    OPEN_STATUSES,
    ConsultationRequest,
    RequestAccept,
    RequestAsk,
    RequestCreate,
    RequestDecline,
    RequestSource,
    RequestStatus,
)
from rhizo.clinic.patient import records
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.schedule import booking, clock, reminders
from rhizo.clinic.schedule.models import (
    KIND_LABEL,
    Appointment,
    AppointmentCreate,
    AppointmentKind,
    ClinicSession,
)

ENTITY = "consultation_request"
#: The outbox templates (written in :mod:`rhizo.clinic.schedule.reminders`).
RECEIVED_TEMPLATE = reminders.REQUEST_RECEIVED
OUTCOME_TEMPLATE = reminders.REQUEST_OUTCOME
#: The templates' words for the outcomes.
OUTCOME_WORD: dict[RequestStatus, str] = {
    RequestStatus.BOOKED: "accepted",
    RequestStatus.INFO_REQUESTED: "more_information",
    RequestStatus.DECLINED: "declined",
}
#: The longest queue page.
QUEUE_LIMIT = 200


def _problem(field: str, value: Any, rule: str, message: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, value, rule, message)])


def sms_number(phone: str | None) -> str | None:
    """``phone`` as an SMS number (``+`` and digits: an international number typed with
    spaces, brackets, dots or dashes), or None when it is a national number (no ``+``)
    or not one the SMS rule accepts (:func:`rhizo.clinic.core.outbox.addresses.sms_problem`)."""
    if not phone or not phone.strip().startswith("+"):
        return None
    number = "+" + "".join(c for c in phone if c.isdigit())
    return None if sms_problem(number) else number


def _tell(
    session: Session, row: ConsultationRequest, template: str, context: dict[str, Any], key: str
) -> bool:
    """Queue a message to the requester in the caller's transaction: by e-mail when they
    gave one, else by SMS to an international number; ``context`` is the template's
    (:mod:`rhizo.clinic.schedule.reminders`). False when neither is possible (a national
    phone number only: staff phone them; the queue says so)."""
    if row.email:
        channel, to = Channel.EMAIL, row.email
    else:
        number = sms_number(row.phone)
        if number is None:
            return False
        channel, to = Channel.SMS, number
    outbox.enqueue(
        session=session,
        channel=channel,
        to=to,
        template=template,
        context={"recipient_name": row.name.split()[0][:100], **context},
        send_after=clock.now_utc(),
        dedupe_key=f"{ENTITY}:{row.id}:{key}",
        patient_id=row.patient_id,
        appointment_id=row.appointment_id,
    )
    return True


def reference_of(row: ConsultationRequest) -> str:
    """The reference the requester is given (and can quote on the phone)."""
    return f"R{row.id}"


def _audit(
    session: Session,
    actor: Actor,
    action: AuditAction,
    row: ConsultationRequest,
    details: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=row.id,
        patient_id=row.patient_id,
        details=details,
    )


def create(
    *,
    session: Session,
    actor: Actor,
    data: RequestCreate,
    source: RequestSource,
    patient_id: int | None = None,
    address_hash: str | None = None,
    now: datetime | None = None,
) -> ConsultationRequest:
    """Store a request (and queue "we have your request" to the requester).

    A public request is refused with :class:`rhizo.clinic.intake.abuse.RequestThrottled`
    when its address already made :data:`~rhizo.clinic.intake.abuse.MAX_PER_WINDOW`
    requests in the window (checked under the write lock, so concurrent posts count).
    A portal request names its patient (``patient_id``)."""
    moment = now or clock.now_utc()
    if source is RequestSource.PORTAL and patient_id is None:
        raise _problem("patient_id", None, "required", "a portal request names its patient")
    with transactions.transaction(session):
        if patient_id is not None:
            records.get_patient(session, patient_id)
        if source is RequestSource.PUBLIC:
            abuse.check_rate(session=session, address_hash=address_hash, now=moment)
        row = ConsultationRequest(
            **data.model_dump(mode="json"),
            source=source,
            patient_id=patient_id,
            status=RequestStatus.NEW,
            client_hash=address_hash,
            created_at=moment,
            updated_at=moment,
        )
        session.add(row)
        session.flush()
        _audit(session, actor, AuditAction.CREATE, row, {"source": source.value})
        _tell(session, row, RECEIVED_TEMPLATE, {"reference": reference_of(row)}, "received")
    return row


def create_own(
    *, session: Session, actor: Actor, patient_id: int, data: RequestCreate
) -> ConsultationRequest:
    """A patient's request from the portal (their own record)."""
    return create(
        session=session,
        actor=actor,
        data=data,
        source=RequestSource.PORTAL,
        patient_id=patient_id,
    )


def _get(session: Session, request_id: int, *, lock: bool = False) -> ConsultationRequest:
    row = session.get(ConsultationRequest, request_id, with_for_update=lock)
    if row is None:
        raise NotFoundError(ENTITY, request_id)
    return row


def get(*, session: Session, actor: Actor, request_id: int) -> ConsultationRequest:
    """One request (audited read)."""
    with transactions.transaction(session):
        row = _get(session, request_id)
        _audit(session, actor, AuditAction.READ, row)
    return row


def open_requests(*, session: Session, limit: int = QUEUE_LIMIT) -> Sequence[ConsultationRequest]:
    """The requests waiting for staff (``new``, ``info_requested``), oldest first. A plain
    read for the worklists: the caller audits what it shows (:func:`queue` does)."""
    return session.scalars(
        sa.select(ConsultationRequest)
        .where(ConsultationRequest.status.in_(sorted(OPEN_STATUSES)))
        .order_by(ConsultationRequest.created_at, ConsultationRequest.id)
        .limit(limit)
    ).all()


def queue(
    *, session: Session, actor: Actor, limit: int = QUEUE_LIMIT
) -> Sequence[ConsultationRequest]:
    """The open requests for the triage queue (the read is audited, one row naming the ids)."""
    with transactions.transaction(session):
        rows = open_requests(session=session, limit=limit)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            details={"open_requests": [row.id for row in rows]},
        )
    return rows


def own_requests(
    *, session: Session, actor: Actor, patient_id: int
) -> Sequence[ConsultationRequest]:
    """A patient's own requests, newest first (audited read)."""
    with transactions.transaction(session):
        rows = session.scalars(
            sa.select(ConsultationRequest)
            .where(ConsultationRequest.patient_id == patient_id)
            .order_by(ConsultationRequest.created_at.desc(), ConsultationRequest.id.desc())
            .limit(50)
        ).all()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            patient_id=patient_id,
            details={"requests": [row.id for row in rows]},
        )
    return rows


def _open(row: ConsultationRequest, version: int) -> None:
    check_version(row, version)
    if row.status not in OPEN_STATUSES:
        raise ConflictError(
            f"consultation request {row.id} is already {row.status.value}; only a new request "
            "or one waiting for information can be triaged"
        )


def _triaged(row: ConsultationRequest, actor: Actor, status: RequestStatus) -> None:
    row.status = status
    row.triaged_by = actor.username[:64]
    row.triaged_at = clock.now_utc()


def _patient_for(
    session: Session, actor: Actor, row: ConsultationRequest, data: RequestAccept
) -> int:
    """The patient to book: the request's own, an existing one, or a new registration
    (linked to the request in its own transaction, so a failed booking keeps it)."""
    if data.patient_id is not None and data.new_patient is not None:
        raise _problem(
            "new_patient", "given", "one_of", "give an existing patient_id or new_patient, not both"
        )
    if row.patient_id is not None:
        if data.patient_id not in (None, row.patient_id) or data.new_patient is not None:
            raise _problem(
                "patient_id",
                data.patient_id,
                "request_patient",
                f"this request is already linked to patient {row.patient_id}",
            )
        return row.patient_id
    if data.patient_id is not None:
        records.get_patient(session, data.patient_id)
        patient_id = data.patient_id
    elif data.new_patient is not None:
        patient_id = patient_service.create(session=session, actor=actor, data=data.new_patient).id
    else:
        raise _problem(
            "patient_id",
            None,
            "required",
            "choose the patient's record, or register a new patient for this request",
        )
    with transactions.transaction(session):
        linked = _get(session, row.id, lock=True)
        check_version(linked, data.version)
        linked.patient_id = patient_id
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, linked, {"fields": ["patient_id"]})
    return patient_id


def _consultation_session(session: Session, session_id: int) -> ClinicSession:
    clinic_session = session.get(ClinicSession, session_id)
    if clinic_session is None:
        raise _problem("session_id", session_id, "reference", f"session {session_id} not found")
    if clinic_session.kind is not AppointmentKind.CONSULTATION:
        raise _problem(
            "session_id",
            session_id,
            "consultation_session",
            f"session {session_id} offers {KIND_LABEL[clinic_session.kind]} slots; "
            "a request is booked into a consultation",
        )
    return clinic_session


def accept(
    *,
    session: Session,
    actor: Actor,
    request_id: int,
    data: RequestAccept,
    now: datetime | None = None,
) -> ConsultationRequest:
    """Accept an open request and book it into a consultation slot (see the module)."""
    row = _get(session, request_id)
    _open(row, data.version)
    clinic_session = _consultation_session(session, data.session_id)
    booked = AppointmentCreate(
        patient_id=_patient_for(session, actor, row, data),
        specialist_id=clinic_session.specialist_id,
        kind=AppointmentKind.CONSULTATION,
        starts_at=data.starts_at,
        notes=f"consultation request {request_id}",
    )
    # The request's move, the booked appointment, the request's link to it, the audit row
    # and the requester's message are one transaction: the move is written first (opened
    # here; booking.book joins it) and the rest runs in book's ``then``, so all of it
    # commits together or not at all; a concurrent accept fails on the request (409).

    def link_and_tell(appointment: Appointment) -> None:
        linked = _get(session, request_id, lock=True)
        linked.appointment_id = appointment.id
        session.flush()
        _audit(
            session,
            actor,
            AuditAction.UPDATE,
            linked,
            {"fields": ["status", "appointment_id"], "status": linked.status.value},
        )
        _tell(
            session,
            linked,
            OUTCOME_TEMPLATE,
            {
                "outcome": OUTCOME_WORD[RequestStatus.BOOKED],
                "starts_at": appointment.starts_at.isoformat(),
                "timezone": clinic_session.timezone,
            },
            "booked",
        )

    try:
        begin_write(session)
        row = _get(session, request_id, lock=True)
        if row.status not in OPEN_STATUSES:
            raise ConflictError(f"consultation request {request_id} is already {row.status.value}")
        _triaged(row, actor, RequestStatus.BOOKED)
        session.flush()
        booking.book(session=session, actor=actor, data=booked, now=now, then=link_and_tell)
    except BaseException:
        session.rollback()
        raise
    return row


def ask(
    *, session: Session, actor: Actor, request_id: int, data: RequestAsk
) -> ConsultationRequest:
    """Ask the requester for more information (the request stays open)."""
    with transactions.transaction(session):
        row = _get(session, request_id, lock=True)
        _open(row, data.version)
        _triaged(row, actor, RequestStatus.INFO_REQUESTED)
        row.info_message = data.message
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, row, {"fields": ["status", "info_message"]})
        _tell(
            session,
            row,
            OUTCOME_TEMPLATE,
            {"outcome": OUTCOME_WORD[RequestStatus.INFO_REQUESTED], "message": data.message},
            f"info:{row.version}",
        )
    return row


def decline(
    *, session: Session, actor: Actor, request_id: int, data: RequestDecline
) -> ConsultationRequest:
    """Decline an open request with the reason the requester is told."""
    with transactions.transaction(session):
        row = _get(session, request_id, lock=True)
        _open(row, data.version)
        _triaged(row, actor, RequestStatus.DECLINED)
        row.decline_reason = data.reason
        session.flush()
        _audit(session, actor, AuditAction.UPDATE, row, {"fields": ["status", "decline_reason"]})
        _tell(
            session,
            row,
            OUTCOME_TEMPLATE,
            {"outcome": OUTCOME_WORD[RequestStatus.DECLINED], "message": data.reason},
            "declined",
        )
    return row


def appointment_of(*, session: Session, row: ConsultationRequest) -> Appointment | None:
    """The appointment a booked request made (None otherwise)."""
    return None if row.appointment_id is None else session.get(Appointment, row.appointment_id)


__all__ = [
    "ENTITY",
    "accept",
    "ask",
    "create",
    "create_own",
    "decline",
    "get",
    "open_requests",
    "own_requests",
    "queue",
]
