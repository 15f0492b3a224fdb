"""Free slots as a page's choices: derived by the schedule's slots service, one radio each.

A choice's value is ``<specialist id>|<start instant, ISO 8601 UTC>``: the page
posts back exactly the slot it showed, and :func:`parse` turns it into the
booking's ``specialist_id`` and ``starts_at`` (or names the problem). The slots
are :func:`rhizo.clinic.schedule.slots.free_slots` of the clinic days shown,
never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from rhizo.clinic.schedule import clock, slots
from rhizo.clinic.schedule.models import AppointmentKind, Room
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.schedule.common import local_time
from rhizo.clinic.web.schedule.reading import names

#: Days of free slots one page shows, and the most slots listed.
DAYS_SHOWN = 7
MAX_SHOWN = 60


@dataclass(frozen=True)
class SlotChoice:
    """One free slot as a radio button."""

    value: str
    day: date
    starts: str
    ends: str
    specialist: str
    room: str
    mode: str


def value_of(slot: slots.Slot) -> str:
    """The slot's form value (see the module docstring)."""
    return f"{slot.specialist_id}|{slot.starts_at.astimezone(UTC).isoformat()}"


def parse(value: str) -> tuple[int, datetime] | str:
    """``(specialist_id, starts_at)`` of a posted choice, or the problem in words."""
    specialist, _, starts = value.partition("|")
    try:
        starts_at = datetime.fromisoformat(starts)
    except ValueError:
        return "choose one of the free slots shown"
    if not specialist.isdigit() or starts_at.tzinfo is None:
        return "choose one of the free slots shown"
    return int(specialist), starts_at


def free_choices(
    *,
    session: Session,
    kind: AppointmentKind,
    first: date,
    zone: tzinfo,
    now: datetime,
    specialist_id: int | None = None,
) -> list[SlotChoice]:
    """The free slots of ``kind`` on the clinic days ``first`` .. ``first + 6`` that start
    after ``now``, at most :data:`MAX_SHOWN`."""
    start, _ = clock.day_bounds(first, zone)
    _, end = clock.day_bounds(first + timedelta(days=DAYS_SHOWN - 1), zone)
    start = max(start, now)
    if end <= start:
        return []
    found = slots.free_slots(
        session=session, kind=kind, start=start, end=end, specialist_id=specialist_id
    )[:MAX_SHOWN]
    specialists = names(session, Specialist, (s.specialist_id for s in found))
    rooms = names(session, Room, (s.room_id for s in found if s.room_id is not None))
    return [
        SlotChoice(
            value=value_of(s),
            day=clock.clinic_date(s.starts_at, zone),
            starts=local_time(s.starts_at, zone),
            ends=local_time(s.ends_at, zone),
            specialist=specialists.get(s.specialist_id, str(s.specialist_id)),
            room=rooms.get(s.room_id, "") if s.room_id is not None else "",
            mode=s.mode.value.replace("_", " "),
        )
        for s in found
    ]
