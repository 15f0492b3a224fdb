"""``GET /api/v1/appointments/{id}/calendar.ics``: staff read any, a patient only their own;
every read audited; the file parses with icalendar (an independent RFC 5545 reader)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import icalendar
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient, make_specialist, make_user

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import ics
from rhizo.clinic.schedule.models import Appointment, AppointmentKind, AppointmentMode

T0 = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)


def _appointment(session: Session, patient: Patient) -> Appointment:
    specialist = make_specialist(session, display_name="Dr A. Rivera")
    row = Appointment(
        patient_id=patient.id,
        specialist_id=specialist.id,
        kind=AppointmentKind.CONSULTATION,
        mode=AppointmentMode.IN_PERSON,
        starts_at=T0,
        ends_at=T0.replace(minute=30),
        booked_by="test",
    )
    session.add(row)
    session.commit()
    return row


def _url(appointment_id: int) -> str:
    return f"/api/v1/appointments/{appointment_id}/calendar.ics"


def _link(session: Session, user: User, patient: Patient) -> None:
    patient.user_id = user.id
    session.commit()


def test_staff_and_own_patient(
    session: Session, client: TestClient, token_for: Callable[[User], dict[str, str]]
) -> None:
    own = make_patient(session)
    other = make_patient(session)
    mine = _appointment(session, own)
    theirs = _appointment(session, other)
    nurse = make_user(session, Role.NURSE)
    response = client.get(
        f"/api/v1/appointments/{theirs.id}/calendar.ics", headers=token_for(nurse)
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="appointment-{theirs.id}.ics"'
    )
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("DTEND") == T0.replace(minute=30)
    assert count(session, AuditEvent, AuditEvent.entity_id == str(theirs.id)) >= 1
    missing = client.get("/api/v1/appointments/2147483000/calendar.ics", headers=token_for(nurse))
    assert missing.status_code == 404

    patient_user = make_user(session, Role.PATIENT)
    _link(session, patient_user, own)
    headers = token_for(patient_user)
    assert (
        client.get(f"/api/v1/appointments/{mine.id}/calendar.ics", headers=headers).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/appointments/{theirs.id}/calendar.ics", headers=headers).status_code
        == 403
    )
    assert (
        client.get("/api/v1/appointments/2147483000/calendar.ics", headers=headers).status_code
        == 403
    )
    assert client.get(f"/api/v1/appointments/{mine.id}/calendar.ics").status_code == 401


def test_folding_escaping_and_crlf() -> None:
    event = ics.CalendarEvent(
        appointment_id=7,
        starts_at=T0,
        ends_at=T0.replace(minute=30),
        summary="Appointment at St. Mary's; Pain, Spine & Nerve Clinic",
        description="Ünïcödé " * 20 + "\nsecond line",
        location=None,
        stamp=T0,
    )
    text = ics.calendar(event)
    lines = text.split("\r\n")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in lines) <= 75
    parsed = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(parsed["SUMMARY"]) == "Appointment at St. Mary's; Pain, Spine & Nerve Clinic"
    assert str(parsed["DESCRIPTION"]) == "Ünïcödé " * 20 + "\nsecond line"
    assert parsed.decoded("DTSTAMP") == T0
