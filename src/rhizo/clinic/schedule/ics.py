"""An iCalendar (RFC 5545) file for one appointment: one VEVENT in a VCALENDAR.

What RFC 5545 asks and this module does:

* lines end in CRLF (section 3.1) and are folded so that none is longer than
  75 octets, excluding the CRLF: the rest continues on the next line after one
  space, never splitting a UTF-8 character (section 3.1);
* ``UID`` is stable per appointment (section 3.8.4.7: ``appointment-<id>@<domain>``),
  so a calendar that imports the file again (after a change or a cancellation)
  updates the same event; ``SEQUENCE`` (section 3.8.7.4) counts its revisions;
* ``DTSTAMP`` (section 3.8.7.2) and ``DTSTART``/``DTEND`` (section 3.3.5, form 2)
  are UTC times ending in ``Z``: no VTIMEZONE is needed and every reader shows
  the right local time on its own clock;
* TEXT values escape backslash, semicolon, comma and newline (section 3.3.11);
* ``METHOD:PUBLISH`` (RFC 5546 section 3.2.1) for a booking, ``STATUS:CANCELLED``
  (section 3.8.1.11) once it is cancelled.

``SUMMARY`` never names a diagnosis or a procedure: a calendar is often shared
or shown on a locked screen, so it says "Appointment at <clinic>"; what kind of
appointment it is goes in ``DESCRIPTION``.

Evidence: primary (RFC 5545 and RFC 5546 sections named above).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.schedule.models import (
    KIND_LABEL,
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    Room,
)
from rhizo.clinic.specialist.models import Specialist

#: The right-hand side of every UID (RFC 5545 section 3.8.4.7 recommends a domain).
UID_DOMAIN = "rhizo.invalid"
PRODID = "-//rhizo//appointments//EN"
#: Longest line before folding (octets, excluding CRLF; RFC 5545 section 3.1).
LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class CalendarEvent:
    """What one VEVENT says (instants aware; converted to UTC)."""

    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    location: str | None
    stamp: datetime
    sequence: int = 0
    cancelled: bool = False


def escape_text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 section 3.3.11): ``\\`` ``;`` ``,`` and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """``line`` folded to at most :data:`LINE_OCTETS` octets per physical line (the
    continuation lines start with one space, which counts), CRLF between them."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append(current)
            current = " "
            size = 1
        current += char
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def utc_stamp(moment: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ`` (RFC 5545 section 3.3.5, UTC form); naive is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} refused: give a time zone")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def uid(appointment_id: int) -> str:
    """The event's UID: the same for every file of one appointment."""
    return f"appointment-{appointment_id}@{UID_DOMAIN}"


def calendar(event: CalendarEvent) -> str:
    """The VCALENDAR text of ``event`` (CRLF line ends, folded, ending in CRLF)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid(event.appointment_id)}",
        f"DTSTAMP:{utc_stamp(event.stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SEQUENCE:{event.sequence}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    lines += [
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)


def summary_for(clinic_name: str | None) -> str:
    """The SUMMARY: where, never what for."""
    return f"Appointment at {clinic_name}" if clinic_name else "Clinic appointment"


def description_for(
    *, kind_label: str, mode: AppointmentMode, specialist_name: str, clinic_phone: str | None
) -> str:
    """The DESCRIPTION: the kind of appointment, with whom, how, and the phone to call."""
    how = (
        "The clinic will phone you at this time."
        if mode is AppointmentMode.PHONE
        else "Please come to the clinic."
    )
    call = (
        f"To change or cancel it, call {clinic_phone}."
        if clinic_phone
        else "To change or cancel it, call the clinic."
    )
    return f"Your {kind_label} with {specialist_name}. {how} {call}"


def appointment_ics(
    *,
    session: Session,
    appointment: Appointment,
    clinic_name: str | None,
    clinic_phone: str | None,
) -> str:
    """The .ics of a stored appointment (specialist and room read from the database).

    ``DTSTAMP`` is the appointment's last change (``updated_at``) and ``SEQUENCE``
    its ``version`` less one, so the same appointment unchanged gives the same
    file, and every change gives a higher sequence."""
    specialist = session.get(Specialist, appointment.specialist_id)
    room = session.get(Room, appointment.room_id) if appointment.room_id is not None else None
    event = CalendarEvent(
        appointment_id=appointment.id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=summary_for(clinic_name),
        description=description_for(
            kind_label=KIND_LABEL[appointment.kind],
            mode=appointment.mode,
            specialist_name=specialist.display_name if specialist is not None else "the clinic",
            clinic_phone=clinic_phone,
        ),
        location=location_for(
            mode=appointment.mode,
            room_name=room.name if room is not None else None,
            clinic_name=clinic_name,
        ),
        stamp=appointment.updated_at,
        sequence=max(0, appointment.version - 1),
        cancelled=appointment.status is AppointmentStatus.CANCELLED,
    )
    return calendar(event)


def location_for(
    *, mode: AppointmentMode, room_name: str | None, clinic_name: str | None
) -> str | None:
    """The LOCATION: "By phone", or the room and the clinic, or None when neither is known."""
    if mode is AppointmentMode.PHONE:
        return "By phone"
    parts = [part for part in (room_name, clinic_name) if part]
    return ", ".join(parts) or None


def read_calendar(
    *,
    session: Session,
    actor: Actor,
    appointment: Appointment,
    clinic_name: str | None,
    clinic_phone: str | None,
) -> str:
    """:func:`appointment_ics` for a reader, audited (``read`` of the appointment, with
    its patient); the caller has checked that ``actor`` may read it."""
    text = appointment_ics(
        session=session,
        appointment=appointment,
        clinic_name=clinic_name,
        clinic_phone=clinic_phone,
    )
    audit.record_now(
        session=session,
        actor=actor,
        action=AuditAction.READ,
        entity_type="appointment",
        entity_id=appointment.id,
        patient_id=appointment.patient_id,
        details={"format": "ics"},
    )
    return text


def filename(appointment_id: int) -> str:
    """The download's file name."""
    return f"appointment-{appointment_id}.ics"
