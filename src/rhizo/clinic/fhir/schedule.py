"""Schedule, Slot, Appointment and Location resources (FHIR R4) from the clinic's calendar.

Mapping (HL7 FHIR R4, Appointment / Slot / Schedule pages, read as the
resource definitions; ``primary`` for the element names and value sets):

* ``Schedule``: one per clinic session (a specialist's recurring weekly
  session) an exported appointment came from: ``actor`` the Practitioner (and
  the Location when the session has a room), ``serviceType`` the kind as text,
  ``comment`` the weekly rule in words ("Mondays 09:00-12:00 Europe/London"),
  ``active`` the session's.
* ``Slot``: one per appointment that holds its time, ``status`` ``busy``
  (booked, arrived, fulfilled and no-show all held the time); a slot that
  :func:`rhizo.clinic.schedule.slots.free_slots` offers is ``free``
  (:func:`free_slot_resource`, not part of a patient's export).
* ``Appointment``: ``status`` by :data:`FHIR_STATUS` (booked -> booked, arrived ->
  arrived, completed -> fulfilled, cancelled -> cancelled, no_show -> noshow);
  ``participant`` the patient, the practitioner and the room (each
  ``required``/``accepted``); ``serviceType`` the kind and ``appointmentType``
  the mode as text (rhizo stores no coded service); ``start``/``end`` instants
  (UTC), ``minutesDuration``, ``slot`` (when it held one), ``created``, and for a
  cancellation ``cancelationReason`` as text (R4's spelling).
* ``Location``: a room an exported appointment or session uses (name, status).
"""

from __future__ import annotations

from collections.abc import Sequence

from rhizo.clinic.fhir.references import FhirJson, date_time, reference, resource_id, text_concept
from rhizo.clinic.schedule.models import (
    HOLDING_STATUSES,
    KIND_LABEL,
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    ClinicSession,
    Room,
)
from rhizo.clinic.schedule.slots import Slot

#: rhizo's appointment status -> FHIR R4 appointmentstatus.
FHIR_STATUS: dict[AppointmentStatus, str] = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
MODE_LABEL: dict[AppointmentMode, str] = {
    AppointmentMode.IN_PERSON: "in person",
    AppointmentMode.PHONE: "by phone",
}
_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def location_resource(room: Room) -> FhirJson:
    """The ``Location`` of a room."""
    return {
        "resourceType": "Location",
        "id": resource_id("Location", room.id),
        "status": "active" if room.active else "inactive",
        "name": room.name,
        "mode": "instance",
    }


def session_rule(clinic_session: ClinicSession) -> str:
    """The weekly rule in words: "Mondays 09:00-12:00 Europe/London, 30-minute slots"."""
    return (
        f"{_WEEKDAYS[clinic_session.weekday]} {clinic_session.start_local:%H:%M}-"
        f"{clinic_session.end_local:%H:%M} {clinic_session.timezone}, "
        f"{clinic_session.slot_min}-minute slots"
    )


def schedule_resource(clinic_session: ClinicSession) -> FhirJson:
    """The ``Schedule`` of one clinic session."""
    actors = [reference("Practitioner", clinic_session.specialist_id)]
    if clinic_session.room_id is not None:
        actors.append(reference("Location", clinic_session.room_id))
    horizon: FhirJson = {"start": clinic_session.valid_from.isoformat()}
    if clinic_session.valid_until is not None:
        horizon["end"] = clinic_session.valid_until.isoformat()
    return {
        "resourceType": "Schedule",
        "id": resource_id("Schedule", clinic_session.id),
        "active": clinic_session.active,
        "serviceType": [text_concept(KIND_LABEL[clinic_session.kind])],
        "actor": actors,
        "planningHorizon": horizon,
        "comment": session_rule(clinic_session),
    }


def busy_slot_resource(appointment: Appointment) -> FhirJson:
    """The busy ``Slot`` an appointment of a session holds."""
    assert appointment.session_id is not None  # noqa: S101 - the caller checks
    return {
        "resourceType": "Slot",
        "id": resource_id("Slot", f"appointment-{appointment.id}"),
        "schedule": reference("Schedule", appointment.session_id),
        "status": "busy",
        "serviceType": [text_concept(KIND_LABEL[appointment.kind])],
        "start": date_time(appointment.starts_at),
        "end": date_time(appointment.ends_at),
    }


def free_slot_resource(slot: Slot) -> FhirJson:
    """A free ``Slot`` a session offers (:func:`rhizo.clinic.schedule.slots.free_slots`)."""
    return {
        "resourceType": "Slot",
        "id": resource_id("Slot", f"{slot.session_id}-{slot.starts_at:%Y%m%dT%H%M}"),
        "schedule": reference("Schedule", slot.session_id),
        "status": "free",
        "serviceType": [text_concept(KIND_LABEL[slot.kind])],
        "start": date_time(slot.starts_at),
        "end": date_time(slot.ends_at),
    }


def _holds_slot(appointment: Appointment) -> bool:
    return appointment.session_id is not None and appointment.status in HOLDING_STATUSES


def appointment_resource(appointment: Appointment) -> FhirJson:
    """The ``Appointment`` resource of one appointment."""
    participants: list[FhirJson] = [
        {
            "actor": reference("Patient", appointment.patient_id),
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": reference("Practitioner", appointment.specialist_id),
            "required": "required",
            "status": "accepted",
        },
    ]
    if appointment.room_id is not None:
        participants.append(
            {
                "actor": reference("Location", appointment.room_id),
                "required": "required",
                "status": "accepted",
            }
        )
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    resource: FhirJson = {
        "resourceType": "Appointment",
        "id": resource_id("Appointment", appointment.id),
        "status": FHIR_STATUS[appointment.status],
        "serviceType": [text_concept(KIND_LABEL[appointment.kind])],
        "appointmentType": text_concept(MODE_LABEL[appointment.mode]),
        "start": date_time(appointment.starts_at),
        "end": date_time(appointment.ends_at),
        "minutesDuration": minutes,
        "created": date_time(appointment.created_at),
        "participant": participants,
    }
    if _holds_slot(appointment):
        resource["slot"] = [reference("Slot", f"appointment-{appointment.id}")]
    if appointment.status is AppointmentStatus.CANCELLED and appointment.cancel_reason:
        resource["cancelationReason"] = text_concept(appointment.cancel_reason)
    return resource


def calendar_resources(
    appointments: Sequence[Appointment],
    *,
    sessions: Sequence[ClinicSession],
    rooms: Sequence[Room],
) -> list[FhirJson]:
    """Locations, Schedules, busy Slots and Appointments of a patient's appointments
    (``sessions`` and ``rooms``: those the appointments and sessions name)."""
    resources: list[FhirJson] = [location_resource(r) for r in rooms]
    resources.extend(schedule_resource(s) for s in sessions)
    resources.extend(busy_slot_resource(a) for a in appointments if _holds_slot(a))
    resources.extend(appointment_resource(a) for a in appointments)
    return resources
