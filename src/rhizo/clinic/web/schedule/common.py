"""What the calendar pages share: who may open them, the day asked for, local times.

Permissions are the REST API's (:mod:`rhizo.clinic.core.auth.permissions`):
the calendar and the worklists are read by every staff role that reads patients
(``schedule:read``), booked and changed by clinicians and nurses
(``schedule:write``), and the availability (rooms, sessions, leave) is kept by
clinicians and admins (``availability:manage``). Times are stored in UTC and
shown on the clinic's wall clock (:mod:`rhizo.clinic.web.clinic_time`); the
day a page shows is the clinic's calendar date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Annotated

from fastapi import Depends

from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.schedule import clock
from rhizo.clinic.schedule.models import KIND_LABEL, AppointmentKind, AppointmentStatus
from rhizo.clinic.web.access import PageAccess
from rhizo.clinic.web.access import WebUser as WebUser

#: The calendar, the appointment pages and the worklists (every staff role with schedule:read).
ScheduleReader = Annotated[WebUser, Depends(PageAccess(Permission.SCHEDULE_READ))]
#: Book, reschedule, cancel, arrived, no-show, complete.
ScheduleWriter = Annotated[WebUser, Depends(PageAccess(Permission.SCHEDULE_WRITE))]
#: Rooms, weekly sessions, leave.
AvailabilityManager = Annotated[WebUser, Depends(PageAccess(Permission.AVAILABILITY_MANAGE))]

#: Kinds as select options, in pathway order.
KIND_OPTIONS: list[tuple[str, str]] = [(k.value, KIND_LABEL[k]) for k in AppointmentKind]
#: Status words for people.
STATUS_LABEL: dict[AppointmentStatus, str] = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.COMPLETED: "completed",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "did not attend",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_or_today(on: str | None, today: date) -> date | str:
    """The ``on`` query value as a date, ``today`` when not given, else the words of the
    problem (``on: '2026-13-01' is not a date (YYYY-MM-DD)``) for the page to show."""
    if not on:
        return today
    try:
        return date.fromisoformat(on.strip())
    except ValueError:
        return f"on: {on[:40]!r} is not a date (YYYY-MM-DD)"


def monday_of(day: date) -> date:
    """The Monday of ``day``'s ISO week (the week view starts there)."""
    return day - timedelta(days=day.weekday())


def local_time(moment: datetime, zone: tzinfo) -> str:
    """``09:30``: an instant on the clinic's wall clock (hours and minutes)."""
    return clock.local(moment, zone).strftime("%H:%M")


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The clinic's calendar date of an instant (``clock.clinic_date``)."""
    return clock.clinic_date(moment, zone)
