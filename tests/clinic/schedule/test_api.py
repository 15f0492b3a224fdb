"""The schedule's REST API: permissions, 422 naming the field, 409 naming the clash, own record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from tests.clinic.conftest import TestClient, count
from tests.clinic.factories import make_patient, make_user

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.schedule import clock
from rhizo.clinic.specialist.models import Specialist

Headers = Callable[[User], dict[str, str]]


def _next_monday_0900_london() -> datetime:
    """A Monday 09:00 London a few weeks ahead of the real clock (the API books from now)."""
    day = (datetime.now(UTC) + timedelta(days=21)).date()
    day += timedelta(days=(0 - day.weekday()) % 7)
    return clock.instant(day, datetime.min.time().replace(hour=9), "Europe/London")


def test_availability_booking_and_reading_through_the_api(
    session: Session, client: TestClient, token_for: Headers, specialist: Specialist
) -> None:
    clinician, nurse = make_user(session, Role.CLINICIAN), make_user(session, Role.NURSE)
    body = {
        "specialist_id": specialist.id,
        "kind": "consultation",
        "weekday": 0,
        "start_local": "09:00",
        "end_local": "12:00",
        "slot_min": 30,
        "timezone": "Europe/London",
        "valid_from": "2026-01-01",
    }
    assert client.post("/api/v1/sessions", json=body, headers=token_for(nurse)).status_code == 403
    bad = client.post(
        "/api/v1/sessions",
        json={**body, "slot_min": 40, "timezone": "Europe/Londres"},
        headers=token_for(clinician),
    )
    assert bad.status_code == 422
    assert {(p["field"], p["rule"]) for p in bad.json()["detail"]} == {
        ("timezone", "unknown_timezone"),
        ("slot_min", "divides_session"),
    }
    created = client.post("/api/v1/sessions", json=body, headers=token_for(clinician))
    assert created.status_code == 201, created.text
    overlap = client.post(
        "/api/v1/sessions",
        json={**body, "start_local": "11:30", "end_local": "13:00"},
        headers=token_for(clinician),
    )
    assert overlap.status_code == 422
    assert overlap.json()["detail"][0]["rule"] == "no_overlap"

    starts = _next_monday_0900_london()
    slots = client.get(
        "/api/v1/slots",
        params={
            "kind": "consultation",
            "start": starts.isoformat(),
            "end": (starts + timedelta(hours=3)).isoformat(),
        },
        headers=token_for(nurse),
    )
    assert slots.status_code == 200
    assert len(slots.json()) == 6
    nxt = client.get(
        "/api/v1/slots/next",
        params={"kind": "consultation", "after": starts.isoformat()},
        headers=token_for(nurse),
    )
    assert datetime.fromisoformat(nxt.json()["starts_at"]) == starts

    user = make_user(session, Role.PATIENT)
    mine, other = make_patient(session, user_id=user.id), make_patient(session)
    booked = client.post(
        "/api/v1/appointments",
        json={
            "patient_id": mine.id,
            "specialist_id": specialist.id,
            "kind": "consultation",
            "starts_at": starts.isoformat(),
        },
        headers=token_for(nurse),
    )
    assert booked.status_code == 201, booked.text
    clash = client.post(
        "/api/v1/appointments",
        json={
            "patient_id": other.id,
            "specialist_id": specialist.id,
            "kind": "consultation",
            "starts_at": starts.isoformat(),
        },
        headers=token_for(nurse),
    )
    assert clash.status_code == 409
    assert "the specialist" in clash.json()["detail"]
    assert "Europe/London" in clash.json()["detail"]
    past = client.post(
        "/api/v1/appointments",
        json={
            "patient_id": other.id,
            "specialist_id": specialist.id,
            "kind": "consultation",
            "starts_at": "2026-01-05T09:00:00Z",
        },
        headers=token_for(nurse),
    )
    assert past.status_code == 422
    assert past.json()["detail"][0]["rule"] == "not_in_past"

    own = client.get(f"/api/v1/patients/{mine.id}/appointments", headers=token_for(user))
    assert own.status_code == 200
    assert [a["id"] for a in own.json()] == [booked.json()["id"]]
    assert (
        client.get(f"/api/v1/patients/{other.id}/appointments", headers=token_for(user)).status_code
        == 403
    )
    assert (
        client.get(
            f"/api/v1/appointments/{booked.json()['id']}", headers=token_for(user)
        ).status_code
        == 403
    )
    reads = count(
        session,
        AuditEvent,
        AuditEvent.action == AuditAction.READ,
        AuditEvent.entity_type == "appointment",
        AuditEvent.patient_id == mine.id,
    )
    assert reads == 1

    appointment_id = booked.json()["id"]
    short = client.post(
        f"/api/v1/appointments/{appointment_id}/cancel",
        json={"version": 1, "reason": "no"},
        headers=token_for(nurse),
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["field"] == "reason"
    cancelled = client.post(
        f"/api/v1/appointments/{appointment_id}/cancel",
        json={"version": 1, "reason": "patient asked to cancel by phone"},
        headers=token_for(nurse),
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.get("/api/v1/appointments/999999", headers=token_for(nurse)).status_code == 404


def test_implausible_or_naive_query_times_are_422_not_500(
    session: Session, client: TestClient, token_for: Headers
) -> None:
    nurse = make_user(session, Role.NURSE)
    for params in (
        {"kind": "review", "start": "9999-12-30T00:00:00Z", "end": "9999-12-31T00:00:00Z"},
        {"kind": "review", "start": "2026-03-01T00:00:00", "end": "2026-03-02T00:00:00Z"},
        {"kind": "review", "start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z"},
    ):
        answer = client.get("/api/v1/slots", params=params, headers=token_for(nurse))
        assert answer.status_code == 422, (params, answer.text)
    answer = client.get(
        "/api/v1/slots/next",
        params={"kind": "review", "after": "9999-12-31T00:00:00Z"},
        headers=token_for(nurse),
    )
    assert answer.status_code == 422
