"""The calendar as the pages show it: appointments of a span, grouped per specialist and room.

The appointments come from the schedule's read service
(:func:`rhizo.clinic.schedule.calendar.day` / ``week``), which audits the read;
this module only arranges them for a page: one column per specialist and one per
room, each appointment with its clinic-clock times, its patient's name (staff
pages only), kind and status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule.models import KIND_LABEL, Appointment, Room
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.schedule.common import STATUS_LABEL, local_day, local_time


@dataclass(frozen=True)
class Shown:
    """One appointment as a calendar cell."""

    id: int
    day: date
    starts: str
    ends: str
    patient_id: int
    patient: str
    specialist: str
    room: str
    kind: str
    kind_label: str
    status: str
    status_label: str


@dataclass
class Column:
    """A specialist's or a room's appointments of the span, by start."""

    key: str
    title: str
    rows: list[Shown] = field(default_factory=list)


def names(
    session: Session, model: type[Patient] | type[Specialist] | type[Room], ids: Iterable[int]
) -> dict[int, str]:
    """Display names of the rows ``ids`` of ``model`` (patients: "Family, Given")."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    if model is Patient:
        rows = session.execute(
            sa.select(Patient.id, Patient.family_name, Patient.given_name).where(
                Patient.id.in_(wanted)
            )
        )
        return {pid: f"{family}, {given}" for pid, family, given in rows}
    if model is Specialist:
        query = sa.select(Specialist.id, Specialist.display_name).where(Specialist.id.in_(wanted))
    else:
        query = sa.select(Room.id, Room.name).where(Room.id.in_(wanted))
    return {int(row[0]): str(row[1]) for row in session.execute(query)}


def shown(session: Session, appointments: Sequence[Appointment], zone: tzinfo) -> list[Shown]:
    """The appointments as cells, by start time, names read in three queries."""
    patients = names(session, Patient, (a.patient_id for a in appointments))
    specialists = names(session, Specialist, (a.specialist_id for a in appointments))
    rooms = names(session, Room, (a.room_id for a in appointments if a.room_id is not None))
    cells = [
        Shown(
            id=a.id,
            day=local_day(a.starts_at, zone),
            starts=local_time(a.starts_at, zone),
            ends=local_time(a.ends_at, zone),
            patient_id=a.patient_id,
            patient=patients.get(a.patient_id, f"patient {a.patient_id}"),
            specialist=specialists.get(a.specialist_id, f"specialist {a.specialist_id}"),
            room=rooms.get(a.room_id, "") if a.room_id is not None else "",
            kind=a.kind.value,
            kind_label=KIND_LABEL[a.kind],
            status=a.status.value,
            status_label=STATUS_LABEL[a.status],
        )
        for a in sorted(appointments, key=lambda a: (a.starts_at, a.id))
    ]
    return cells


def columns(cells: Sequence[Shown]) -> tuple[list[Column], list[Column]]:
    """Per specialist and per room (an appointment without a room is in no room column)."""
    by_specialist: dict[str, Column] = {}
    by_room: dict[str, Column] = {}
    for cell in cells:
        by_specialist.setdefault(
            cell.specialist, Column(f"s-{cell.specialist}", cell.specialist)
        ).rows.append(cell)
        if cell.room:
            by_room.setdefault(cell.room, Column(f"r-{cell.room}", cell.room)).rows.append(cell)
    return sorted(by_specialist.values(), key=lambda c: c.title), sorted(
        by_room.values(), key=lambda c: c.title
    )
