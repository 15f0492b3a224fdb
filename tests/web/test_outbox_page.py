"""The outbox admin page (admin only, audited, retry a failed message) and the appointment's
.ics page (staff; a patient only their own; audited)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import icalendar
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.outbox.models import Channel, OutboxMessage, OutboxStatus
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule.models import Appointment, AppointmentKind, AppointmentMode
from rhizo.clinic.specialist.models import Specialist
from tests.web.conftest import csrf_of, login

T0 = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)


def _client(web_app: FastAPI, passwords: dict[str, str], role: str) -> TestClient:
    client = TestClient(web_app, raise_server_exceptions=False)
    login(client, f"demo-{role}", passwords[f"demo-{role}"])
    return client


@pytest.fixture
def failed_message(web_app: FastAPI) -> Iterator[int]:
    with web_app.state.session_factory() as session:
        message = OutboxMessage(
            channel=Channel.EMAIL,
            recipient="gone@example.org",
            template="request_received",
            context={},
            send_after=T0,
            next_attempt_at=T0,
            status=OutboxStatus.FAILED,
            attempts=6,
            last_error="RCPT TO: 550 no such user",
            dedupe_key=f"page-test:{id(session)}",
            message_key=f"{id(session):040x}"[:40],
        )
        session.add(message)
        session.commit()
        message_id = message.id
    yield message_id
    with web_app.state.session_factory() as session:
        session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id == message_id))
        session.commit()


def test_admin_sees_failed_and_retries(
    web_app: FastAPI, passwords: dict[str, str], failed_message: int
) -> None:
    with _client(web_app, passwords, "admin") as admin:
        page = admin.get("/admin/outbox?status=failed")
        assert page.status_code == 200
        assert "RCPT TO: 550 no such user" in page.text
        assert f'id="retry-{failed_message}"' in page.text
        response = admin.post(
            f"/admin/outbox/{failed_message}/retry",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        again = admin.post(
            f"/admin/outbox/{failed_message}/retry",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert again.status_code == 422  # only a failed message can be retried
        assert "only a failed message" in again.text
        assert admin.get("/admin/outbox?status=bogus").status_code == 400
    with web_app.state.session_factory() as session:
        message = session.get(OutboxMessage, failed_message)
        assert message is not None
        assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 0)
        reads = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "outbox_message", AuditEvent.action == "read")
        )
        assert (reads or 0) >= 1


@pytest.mark.parametrize("role", ["clinician", "nurse", "patient"])
def test_outbox_page_is_admin_only(web_app: FastAPI, passwords: dict[str, str], role: str) -> None:
    with _client(web_app, passwords, role) as client:
        assert client.get("/admin/outbox").status_code == 403


@pytest.fixture
def appointments(web_app: FastAPI) -> Iterator[tuple[int, int]]:
    """An appointment of the demo patient's own record and one of another patient."""
    with web_app.state.session_factory() as session:
        user = session.scalars(sa.select(User).where(User.username == "demo-patient")).one()
        own = patient_service.patient_id_of_user(session=session, user_id=user.id)
        assert own is not None
        other = session.scalars(sa.select(Patient.id).where(Patient.id != own)).first()
        specialist = session.scalars(sa.select(Specialist.id)).first()
        assert other is not None
        assert specialist is not None
        rows = [
            Appointment(
                patient_id=pid,
                specialist_id=specialist,
                kind=AppointmentKind.REVIEW,
                mode=AppointmentMode.PHONE,
                starts_at=T0,
                ends_at=T0.replace(minute=30),
                booked_by="test",
            )
            for pid in (own, other)
        ]
        session.add_all(rows)
        session.commit()
        ids = (rows[0].id, rows[1].id)
    yield ids
    with web_app.state.session_factory() as session:
        session.execute(sa.delete(Appointment).where(Appointment.id.in_(ids)))
        session.commit()


def test_calendar_page_staff_and_own_patient_only(
    web_app: FastAPI, passwords: dict[str, str], appointments: tuple[int, int]
) -> None:
    own, other = appointments
    with _client(web_app, passwords, "patient") as patient:
        mine = patient.get(f"/appointments/{own}/calendar.ics")
        assert mine.status_code == 200
        assert mine.headers["content-type"].startswith("text/calendar")
        event = icalendar.Calendar.from_ical(mine.content).walk("VEVENT")[0]
        assert str(event["UID"]) == f"appointment-{own}@rhizo.invalid"
        assert event.decoded("DTSTART") == T0
        assert str(event["LOCATION"]) == "By phone"
        assert patient.get(f"/appointments/{other}/calendar.ics").status_code == 403
        assert patient.get("/appointments/2147483000/calendar.ics").status_code == 403
    with _client(web_app, passwords, "nurse") as nurse:
        assert nurse.get(f"/appointments/{other}/calendar.ics").status_code == 200
        assert nurse.get("/appointments/2147483000/calendar.ics").status_code == 404
    with web_app.state.session_factory() as session:
        audited = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "appointment", AuditEvent.entity_id == str(own)
            )
        ).all()
        assert any(e.details.get("format") == "ics" for e in audited)
