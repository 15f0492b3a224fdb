"""What a booking queues: the confirmation with its .ics, the 09:00 day-before reminder on the
clinic's clock (winter and summer), the cancellation notice, the move; and the words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.reminders.conftest import NOW

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.outbox import templates
from rhizo.clinic.core.outbox.models import OutboxMessage, OutboxStatus
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import booking, clock, reminders
from rhizo.clinic.schedule.models import (
    AppointmentCreate,
    AppointmentKind,
    AppointmentReschedule,
    ClinicSession,
)
from rhizo.clinic.specialist.models import Specialist

CONTACT = Contact(name="Riverside Pain Clinic", phone="+44 20 7946 0000", hours="Mon-Fri 8-17")
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now_utc", lambda: NOW)


def _book(session: Session, actor: Actor, patient: Patient, specialist: Specialist, at: datetime):  # type: ignore[no-untyped-def]
    return booking.book(
        session=session,
        actor=actor,
        data=AppointmentCreate(
            patient_id=patient.id,
            specialist_id=specialist.id,
            kind=AppointmentKind.CONSULTATION,
            starts_at=at,
        ),
        now=NOW,
    )


def _messages(session: Session, appointment_id: int) -> dict[str, OutboxMessage]:
    rows = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id)
    )
    return {row.template: row for row in rows}


@pytest.mark.parametrize(
    ("starts_at", "reminder_at"),
    [
        # Winter: London is GMT, 09:00 on Sunday 1 March is 09:00 UTC.
        (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        # Summer: BST, 10:00 London is 09:00 UTC; 09:00 London on 31 May is 08:00 UTC.
        (datetime(2026, 6, 1, 9, 0, tzinfo=UTC), datetime(2026, 5, 31, 8, 0, tzinfo=UTC)),
        # The Monday after the spring change (Sunday 29 March 2026): the reminder's
        # day is the change day itself, already BST at 09:00.
        (datetime(2026, 3, 30, 9, 0, tzinfo=UTC), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
    ],
)
def test_booking_queues_confirmation_and_day_before_reminder(
    session: Session,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    monday_session: ClinicSession,
    starts_at: datetime,
    reminder_at: datetime,
) -> None:
    appointment = _book(session, clinician, patient, specialist, starts_at)
    queued = _messages(session, appointment.id)
    assert set(queued) == {reminders.APPOINTMENT_BOOKED, reminders.APPOINTMENT_REMINDER}
    booked = queued[reminders.APPOINTMENT_BOOKED]
    assert booked.send_after == NOW
    assert booked.recipient == "ann.example@example.org"
    assert booked.patient_id == patient.id
    assert queued[reminders.APPOINTMENT_REMINDER].send_after == reminder_at
    assert booked.context["timezone"] == "Europe/London"


def test_no_reminder_when_its_time_has_passed(
    session: Session,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    monday_session: ClinicSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Booked on Sunday 1 March at 12:00 for Monday 10:00: 09:00 Sunday has gone.
    late = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now_utc", lambda: late)
    appointment = booking.book(
        session=session,
        actor=clinician,
        data=AppointmentCreate(
            patient_id=patient.id,
            specialist_id=specialist.id,
            kind=AppointmentKind.CONSULTATION,
            starts_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        ),
        now=late,
    )
    assert set(_messages(session, appointment.id)) == {reminders.APPOINTMENT_BOOKED}


def test_no_email_no_message(
    session: Session,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    monday_session: ClinicSession,
) -> None:
    patient.email = None
    session.commit()
    appointment = _book(
        session, clinician, patient, specialist, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    )
    assert _messages(session, appointment.id) == {}


def test_cancel_withdraws_the_reminder_and_queues_the_notice(
    session: Session,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    monday_session: ClinicSession,
) -> None:
    appointment = _book(
        session, clinician, patient, specialist, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    )
    booking.cancel(
        session=session,
        actor=clinician,
        appointment_id=appointment.id,
        version=appointment.version,
        reason="patient asked by phone",
        now=NOW,
    )
    queued = _messages(session, appointment.id)
    assert queued[reminders.APPOINTMENT_REMINDER].status is OutboxStatus.CANCELLED
    # The unsent confirmation is withdrawn too: no "booked" after "cancelled".
    assert queued[reminders.APPOINTMENT_BOOKED].status is OutboxStatus.CANCELLED
    notice = queued[reminders.APPOINTMENT_CANCELLED]
    rendered = templates.get(notice.template).render(
        session=session, context=notice.context, contact=CONTACT, zone=LONDON
    )
    assert "Monday 2 March 2026 at 10:00" in rendered.text
    assert "patient asked" not in rendered.text  # the reason is staff's, never sent
    assert rendered.ics is not None
    event = icalendar.Calendar.from_ical(rendered.ics).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


def test_reschedule_sends_the_move_not_a_cancellation(
    session: Session,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    monday_session: ClinicSession,
) -> None:
    old = _book(session, clinician, patient, specialist, datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    new = booking.reschedule(
        session=session,
        actor=clinician,
        appointment_id=old.id,
        data=AppointmentReschedule(
            version=old.version, starts_at=datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
        ),
        now=NOW,
    )
    before = _messages(session, old.id)
    assert reminders.APPOINTMENT_CANCELLED not in before
    assert before[reminders.APPOINTMENT_REMINDER].status is OutboxStatus.CANCELLED
    after = _messages(session, new.id)
    assert set(after) == {reminders.APPOINTMENT_RESCHEDULED, reminders.APPOINTMENT_REMINDER}
    moved = after[reminders.APPOINTMENT_RESCHEDULED]
    rendered = templates.get(moved.template).render(
        session=session, context=moved.context, contact=CONTACT, zone=LONDON
    )
    assert "It was on Monday 2 March 2026 at 10:00" in rendered.text
    assert "Monday 9 March 2026 at 11:00" in rendered.text


def test_booked_words_and_attachment(
    session: Session,
    clinician: Actor,
    patient: Patient,
    specialist: Specialist,
    monday_session: ClinicSession,
) -> None:
    appointment = _book(
        session, clinician, patient, specialist, datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    )
    message = _messages(session, appointment.id)[reminders.APPOINTMENT_BOOKED]
    rendered = templates.get(message.template).render(
        session=session, context=message.context, contact=CONTACT, zone=ZoneInfo("UTC")
    )
    # The subject names the clinic and the time (on the session's zone: 10:00 BST), never
    # what the appointment is for.
    assert rendered.subject == "Your appointment at Riverside Pain Clinic: Mon 1 Jun, 10:00"
    assert "consultation" not in rendered.subject.lower()
    assert rendered.text.startswith("Hello Ann,")
    assert "Monday 1 June 2026 at 10:00 (until 10:30, Europe/London time)" in rendered.text
    assert "Dr A. Rivera" in rendered.text
    assert "+44 20 7946 0000" in rendered.text
    assert rendered.ics is not None
    event = icalendar.Calendar.from_ical(rendered.ics).walk("VEVENT")[0]
    assert str(event["UID"]) == f"appointment-{appointment.id}@rhizo.invalid"
    assert event.decoded("DTSTART") == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Appointment at Riverside Pain Clinic"


def test_every_template_renders_with_the_clinic_phone(session: Session) -> None:
    starts = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    appointment = {
        "appointment_id": 1,
        "kind": "rf_procedure",
        "mode": "in_person",
        "starts_at": starts.isoformat(),
        "ends_at": "2026-04-01T09:00:00+00:00",
        "specialist_name": "Dr B",
        "timezone": "Europe/London",
    }
    contexts = {
        reminders.APPOINTMENT_BOOKED: appointment,
        reminders.APPOINTMENT_REMINDER: appointment,
        reminders.APPOINTMENT_CANCELLED: appointment,
        reminders.APPOINTMENT_RESCHEDULED: {
            **appointment,
            "previous_starts_at": "2026-03-25T08:00:00+00:00",
        },
        reminders.RF_DAY_HOLDS: {
            "appointment_id": 1,
            "starts_at": starts.isoformat(),
            "timezone": "Europe/London",
            "medicines": [
                {
                    "drug": "clopidogrel",
                    "action": "pause",
                    "last_dose_date": "2026-03-25",
                    "restart_after_hours": 24,
                    "text": "last dose on 2026-03-25, but only if the doctor agrees.",
                    "source": "ASRA 2018",
                }
            ],
            "preparation": [{"topic": "transport", "text": "Arrange a lift home.", "source": "x"}],
        },
        reminders.REVIEW_INVITATION: {
            "review_label": "3-month review",
            "proms_url": "https://clinic.example.org/portal/reviews/7",
            "due_on": "2026-07-01",
        },
        reminders.REQUEST_RECEIVED: {"reference": "R-9"},
        reminders.REQUEST_OUTCOME: {"outcome": "declined", "message": "Please see your GP."},
    }
    assert set(contexts) == set(reminders.TEMPLATES)
    for name, context in contexts.items():
        template = templates.get(name)
        rendered = template.render(
            session=session, context=template.validate(context), contact=CONTACT, zone=LONDON
        )
        assert "+44 20 7946 0000" in rendered.text, name
        assert "Riverside Pain Clinic" in rendered.subject, name
        for word in ("radiofrequency", "block", "clopidogrel", "facet", "pain"):
            assert word not in rendered.subject.lower().replace("riverside pain clinic", ""), name
    holds = templates.get(reminders.RF_DAY_HOLDS)
    text = holds.render(
        session=session,
        context=holds.validate(contexts[reminders.RF_DAY_HOLDS]),
        contact=CONTACT,
        zone=LONDON,
    ).text
    assert "Wednesday 1 April 2026 at 09:00" in text  # 08:00 UTC is 09:00 BST
    assert "Last dose: Wednesday 25 March 2026." in text
    assert "Start again: 24 hours after the treatment" in text
    assert "Arrange a lift home." in text


def test_unknown_contact_says_so(session: Session) -> None:
    template = templates.get(reminders.REQUEST_RECEIVED)
    rendered = template.render(
        session=session,
        context={},
        contact=Contact(name=None, phone=None, hours=None),
        zone=LONDON,
    )
    assert "call the clinic that is treating you" in rendered.text
    assert rendered.subject == "Your request to your clinic"
