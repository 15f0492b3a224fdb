"""FHIR R4 Schedule, Slot, Appointment and Location in the patient's export.

Checked against a table written from the R4 value set appointmentstatus
(proposed | pending | booked | arrived | fulfilled | cancelled | noshow |
entered-in-error | checked-in | waitlist; hl7.org/fhir/R4/valueset-appointmentstatus)
and validated by two implementations: fhir.resources (inside the export) and
fhirclient 4.4.0's R4 models (strict), as tests/clinic/test_fhir_export.py does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fhirclient.models.bundle import Bundle as R4Bundle
from sqlalchemy.orm import Session
from tests.clinic.factories import make_patient
from tests.clinic.intake.conftest import MakeSession, next_monday_0900_utc

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.fhir import service as fhir_service
from rhizo.clinic.fhir.references import full_url
from rhizo.clinic.fhir.schedule import FHIR_STATUS, free_slot_resource, session_rule
from rhizo.clinic.schedule import availability, booking, slots
from rhizo.clinic.schedule.models import (
    AppointmentCreate,
    AppointmentKind,
    AppointmentStatus,
    RoomCreate,
)

#: Written from the R4 value set, not read from the code.
R4_STATUS = {
    "booked": "booked",
    "arrived": "arrived",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_status_mapping_is_the_r4_value_set() -> None:
    assert {k.value: v for k, v in FHIR_STATUS.items()} == R4_STATUS
    assert set(FHIR_STATUS) == set(AppointmentStatus)


def test_export_carries_schedule_slots_appointments_and_validates(
    session: Session,
    make_clinic_session: MakeSession,
    admin: Actor,
    clinician: Actor,
) -> None:
    room = availability.create_room(
        session=session, actor=admin, data=RoomCreate(name=f"Room {id(session)}")
    )
    clinic_session = make_clinic_session(room_id=room.id)
    patient = make_patient(session)
    monday = next_monday_0900_utc()
    before = monday - timedelta(days=1)
    made = [
        booking.book(
            session=session,
            actor=clinician,
            data=AppointmentCreate(
                patient_id=patient.id,
                specialist_id=clinic_session.specialist_id,
                kind=AppointmentKind.CONSULTATION,
                starts_at=monday + timedelta(minutes=30 * i),
            ),
            now=before,
        )
        for i in range(4)
    ]
    booking.cancel(
        session=session,
        actor=clinician,
        appointment_id=made[1].id,
        version=made[1].version,
        reason="Patient asked to move it",
        now=before,
    )
    arrived = booking.mark_arrived(
        session=session,
        actor=clinician,
        appointment_id=made[2].id,
        version=made[2].version,
        now=made[2].starts_at,
    )
    booking.complete(
        session=session,
        actor=clinician,
        appointment_id=arrived.id,
        version=arrived.version,
        now=arrived.ends_at,
    )
    booking.mark_no_show(
        session=session,
        actor=clinician,
        appointment_id=made[3].id,
        version=made[3].version,
        now=made[3].ends_at,
    )
    bundle = fhir_service.patient_bundle(
        session=session,
        actor=clinician,
        patient_id=patient.id,
        identifier_system="urn:rhizo:test",
        now=datetime.now(UTC),
    )
    R4Bundle(bundle, strict=True)  # raises FHIRValidationError on any R4 violation

    appointments = _by_type(bundle, "Appointment")
    assert [a["status"] for a in appointments] == ["booked", "cancelled", "fulfilled", "noshow"]
    first = appointments[0]
    assert first["start"] == monday.isoformat(timespec="seconds")
    assert first["end"] == (monday + timedelta(minutes=30)).isoformat(timespec="seconds")
    assert first["minutesDuration"] == 30
    assert first["serviceType"] == [{"text": "consultation"}]
    assert first["appointmentType"] == {"text": "in person"}
    actors = [p["actor"]["reference"] for p in first["participant"]]
    assert actors == [
        full_url("Patient", patient.id),
        full_url("Practitioner", clinic_session.specialist_id),
        full_url("Location", room.id),
    ]
    assert appointments[1]["cancelationReason"] == {"text": "Patient asked to move it"}
    assert "slot" not in appointments[1]  # a cancelled appointment holds no slot

    busy = _by_type(bundle, "Slot")
    assert len(busy) == 3  # booked, fulfilled and no-show held their time
    assert {s["status"] for s in busy} == {"busy"}
    assert all(s["schedule"]["reference"] == full_url("Schedule", clinic_session.id) for s in busy)
    [schedule] = _by_type(bundle, "Schedule")
    assert schedule["comment"] == "Mondays 09:00-12:00 UTC, 30-minute slots"
    assert schedule["actor"][0]["reference"] == full_url(
        "Practitioner", clinic_session.specialist_id
    )
    assert [r["name"] for r in _by_type(bundle, "Location")] == [room.name]
    practitioners = {p["id"] for p in _by_type(bundle, "Practitioner")}
    assert f"practitioner-{clinic_session.specialist_id}" in practitioners
    # Every reference resolves inside the bundle.
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for a in appointments:
        for p in a["participant"]:
            assert p["actor"]["reference"] in urls
        for s in a.get("slot", []):
            assert s["reference"] in urls


def test_a_free_slot_is_a_valid_free_slot(
    session: Session, make_clinic_session: MakeSession
) -> None:
    clinic_session = make_clinic_session()
    assert session_rule(clinic_session).startswith("Mondays 09:00-12:00")
    start = next_monday_0900_utc()
    [first, *_] = slots.free_slots(
        session=session,
        kind=AppointmentKind.CONSULTATION,
        start=start,
        end=start + timedelta(hours=3),
    )
    resource = free_slot_resource(first)
    assert resource["status"] == "free"
    assert resource["start"] == start.isoformat(timespec="seconds")
    from fhirclient.models.slot import Slot as R4Slot

    R4Slot(resource, strict=True)
