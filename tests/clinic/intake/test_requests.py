"""Consultation requests: the schema's contact rule, triage moves, booking, messages, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient
from tests.clinic.intake.conftest import (
    MakeRequest,
    MakeSession,
    next_monday_0900_utc,
    request_data,
)

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.outbox.models import OutboxMessage
from rhizo.clinic.intake import abuse, chronic, service
from rhizo.clinic.intake.models import (
    ConsultationRequest,
    RequestAccept,
    RequestAsk,
    RequestDecline,
    RequestStatus,
)
from rhizo.clinic.patient.models import Patient, PatientCreate
from rhizo.clinic.schedule.models import Appointment, AppointmentKind, AppointmentStatus


def _messages(session: Session, row: ConsultationRequest) -> list[OutboxMessage]:
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"consultation_request:{row.id}:%"))
            .order_by(OutboxMessage.id)
        )
    )


def test_contact_needs_an_email_or_a_phone_and_each_is_checked() -> None:
    with pytest.raises(ValidationError, match="e-mail address or a phone number"):
        request_data(email=None)
    assert request_data(email=None, phone="+44 20 7946 0000").phone == "+44 20 7946 0000"
    with pytest.raises(ValidationError) as bad_mail:
        request_data(email="ann.example.org")
    assert bad_mail.value.errors()[0]["loc"] == ("email",)
    with pytest.raises(ValidationError) as bad_phone:
        request_data(phone="12")  # 2 digits: the phone rule wants 3-15
    assert bad_phone.value.errors()[0]["loc"] == ("phone",)
    with pytest.raises(ValidationError):
        request_data(region="knee")
    with pytest.raises(ValidationError):
        request_data(message="x" * 2001)


def test_chronic_hint_uses_the_pathways_three_months() -> None:
    # Treede 2019 via screening:chronic-pain: 3 months = 3 * 52 / 12 = 13.0 weeks.
    assert chronic.chronic_pain_rule().min_weeks == pytest.approx(13.0)
    assert chronic.is_chronic(13.0) is True
    assert chronic.is_chronic(12.9) is False
    assert chronic.is_chronic(None) is None
    assert chronic.WEEKS_PER_UNIT["months"] * 3 == pytest.approx(13.0)


def test_create_is_audited_and_tells_the_requester(
    session: Session, make_request: MakeRequest
) -> None:
    row = make_request()
    assert row.status is RequestStatus.NEW
    assert row.preferred_days == ["monday"]
    events = session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == service.ENTITY, AuditEvent.entity_id == str(row.id)
        )
    ).all()
    assert [e.action.value for e in events] == ["create"]
    [message] = _messages(session, row)
    assert message.template == "request_received"
    assert message.recipient == "ann@example.org"
    assert message.context["reference"] == f"R{row.id}"
    assert row in service.open_requests(session=session)


def test_phone_only_requester_is_told_by_sms(session: Session, make_request: MakeRequest) -> None:
    row = make_request(email=None, phone="+44 7700 900123")
    [message] = _messages(session, row)
    assert message.channel.value == "sms"
    assert message.recipient == "+447700900123"  # typed with spaces, sent as E.164
    national = make_request(email=None, phone="020 7946 0000")
    assert _messages(session, national) == []  # no + : staff phone them
    assert service.sms_number("(+44) 20.7946-0000") is None  # '+' must come first
    assert service.sms_number("+44 (20) 7946-0000") == "+442079460000"


def test_rate_limit_three_an_hour_per_address(session: Session, make_request: MakeRequest) -> None:
    for _ in range(abuse.MAX_PER_WINDOW):
        make_request(address_hash="same-address")
    with pytest.raises(abuse.RequestThrottled) as error:
        make_request(address_hash="same-address")
    # The oldest of the three was made seconds ago: the wait is just under an hour.
    assert 3500 < error.value.retry_after_s <= 3600
    make_request(address_hash="another-address")  # other addresses are not held up
    later = datetime.now(UTC) + abuse.WINDOW + timedelta(seconds=1)
    abuse.check_rate(session=session, address_hash="same-address", now=later)


def test_client_hash_is_keyed_and_stable() -> None:
    one = abuse.client_hash("203.0.113.7", secret="a" * 40)
    assert one == abuse.client_hash("203.0.113.7", secret="a" * 40)
    assert one != abuse.client_hash("203.0.113.7", secret="b" * 40)
    assert one is not None
    assert "203" not in one
    assert len(one) == 64
    assert abuse.client_hash(None, secret="a" * 40) is None
    assert abuse.wait_in_words(3599) == "60 minutes"
    assert abuse.wait_in_words(30) == "a minute"


def test_accept_registers_the_patient_and_books_the_slot(
    session: Session, make_request: MakeRequest, make_clinic_session: MakeSession, clinician: Actor
) -> None:
    clinic_session = make_clinic_session()
    row = make_request()
    starts = next_monday_0900_utc()
    new_patient = PatientCreate(
        mrn="REQ-0001",
        given_name="Ann",
        family_name="Example",
        birth_date=date(1970, 3, 4),
        sex="female",
        email="ann@example.org",
    )
    done = service.accept(
        session=session,
        actor=clinician,
        request_id=row.id,
        data=RequestAccept(
            version=row.version,
            session_id=clinic_session.id,
            starts_at=starts,
            new_patient=new_patient,
        ),
    )
    assert done.status is RequestStatus.BOOKED
    assert done.triaged_by == clinician.username
    appointment = session.get(Appointment, done.appointment_id)
    assert appointment is not None
    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.kind is AppointmentKind.CONSULTATION
    assert appointment.starts_at == starts
    assert appointment.ends_at == starts + timedelta(minutes=30)
    patient = session.get(Patient, done.patient_id)
    assert patient is not None
    assert patient.mrn == "REQ-0001"
    assert done not in service.open_requests(session=session)
    outcome = _messages(session, done)[-1]
    assert outcome.template == "request_outcome"
    assert outcome.context["outcome"] == "accepted"
    # Triaged once: a second accept is refused, and books nothing.
    with pytest.raises(ConflictError):
        service.accept(
            session=session,
            actor=clinician,
            request_id=row.id,
            data=RequestAccept(
                version=done.version,
                session_id=clinic_session.id,
                starts_at=starts + timedelta(minutes=30),
            ),
        )
    assert count(session, Appointment) == 1


def test_accept_needs_a_patient_and_a_consultation_slot(
    session: Session, make_request: MakeRequest, make_clinic_session: MakeSession, clinician: Actor
) -> None:
    consult = make_clinic_session()
    block = make_clinic_session(kind="diagnostic_block", weekday=1)
    row = make_request()
    starts = next_monday_0900_utc()

    def accept(**values: object) -> None:
        service.accept(
            session=session,
            actor=clinician,
            request_id=row.id,
            data=RequestAccept.model_validate({"version": row.version, **values}),
        )

    with pytest.raises(InvalidInputError) as no_patient:
        accept(session_id=consult.id, starts_at=starts)
    assert no_patient.value.problems[0].field == "patient_id"
    patient = make_patient(session)
    with pytest.raises(InvalidInputError) as wrong_kind:
        accept(session_id=block.id, starts_at=starts, patient_id=patient.id)
    assert wrong_kind.value.problems[0].field == "session_id"
    with pytest.raises(InvalidInputError) as off_slot:
        accept(
            session_id=consult.id, starts_at=starts + timedelta(minutes=10), patient_id=patient.id
        )
    assert off_slot.value.problems[0].field == "starts_at"
    with pytest.raises(InvalidInputError) as past:
        accept(
            session_id=consult.id,
            starts_at=datetime(2001, 1, 1, 9, tzinfo=UTC),
            patient_id=patient.id,
        )
    assert past.value.problems[0].field == "starts_at"
    session.expire_all()
    again = session.get(ConsultationRequest, row.id)
    assert again is not None
    assert again.status is RequestStatus.NEW
    assert count(session, Appointment) == 0


def test_a_failure_after_booking_rolls_back_the_appointment_and_the_request(
    session: Session,
    make_request: MakeRequest,
    make_clinic_session: MakeSession,
    clinician: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The booking, the request's move and link and the requester's message are one
    transaction: when telling the requester fails after the slot was booked, nothing of
    the accept is left (no appointment, no blocks, the request still new, no message)."""
    consult = make_clinic_session()
    patient = make_patient(session)
    row = make_request()
    told_before = len(_messages(session, row))

    def broken_tell(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(service, "_tell", broken_tell)
    with pytest.raises(RuntimeError, match="outbox down"):
        service.accept(
            session=session,
            actor=clinician,
            request_id=row.id,
            data=RequestAccept.model_validate(
                {
                    "version": row.version,
                    "session_id": consult.id,
                    "starts_at": next_monday_0900_utc(),
                    "patient_id": patient.id,
                }
            ),
        )
    session.expire_all()
    again = session.get(ConsultationRequest, row.id)
    assert again is not None
    assert again.status is RequestStatus.NEW
    assert again.appointment_id is None
    assert count(session, Appointment) == 0
    assert len(_messages(session, again)) == told_before


def test_a_taken_slot_leaves_the_request_open_with_its_linked_patient(
    session: Session, make_request: MakeRequest, make_clinic_session: MakeSession, clinician: Actor
) -> None:
    consult = make_clinic_session()
    starts = next_monday_0900_utc()
    first, second = make_request(), make_request()
    patient = make_patient(session)
    service.accept(
        session=session,
        actor=clinician,
        request_id=first.id,
        data=RequestAccept(
            version=first.version, session_id=consult.id, starts_at=starts, patient_id=patient.id
        ),
    )
    other = make_patient(session)
    with pytest.raises(ConflictError):
        service.accept(
            session=session,
            actor=clinician,
            request_id=second.id,
            data=RequestAccept(
                version=second.version, session_id=consult.id, starts_at=starts, patient_id=other.id
            ),
        )
    session.expire_all()
    kept = session.get(ConsultationRequest, second.id)
    assert kept is not None
    assert kept.status is RequestStatus.NEW
    assert kept.appointment_id is None
    assert kept.patient_id == other.id  # linked: a retry books this patient, registers nobody
    assert count(session, Appointment) == 1


def test_ask_then_decline_with_reason(
    session: Session, make_request: MakeRequest, clinician: Actor
) -> None:
    row = make_request()
    asked = service.ask(
        session=session,
        actor=clinician,
        request_id=row.id,
        data=RequestAsk(version=row.version, message="Which side hurts, and since when?"),
    )
    assert asked.status is RequestStatus.INFO_REQUESTED
    assert asked in service.open_requests(session=session)
    with pytest.raises(ValidationError):
        RequestDecline(version=asked.version, reason="no")  # under 5 characters
    with pytest.raises(ValidationError):
        RequestDecline(version=asked.version, reason="x" * 501)
    with pytest.raises(ConflictError):  # a stale version
        service.decline(
            session=session,
            actor=clinician,
            request_id=row.id,
            data=RequestDecline(version=1, reason="Knee pain: not this clinic."),  # read before ask
        )
    declined = service.decline(
        session=session,
        actor=clinician,
        request_id=row.id,
        data=RequestDecline(version=asked.version, reason="Knee pain: not this clinic."),
    )
    assert declined.status is RequestStatus.DECLINED
    assert declined.decline_reason == "Knee pain: not this clinic."
    outcomes = [m.context["outcome"] for m in _messages(session, declined)[1:]]
    assert outcomes == ["more_information", "declined"]
    actions = session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.entity_type == service.ENTITY, AuditEvent.entity_id == str(row.id)
        )
    ).all()
    assert [a.value for a in actions] == ["create", "update", "update"]
