"""The day and week calendar: ``/schedule/day`` and ``/schedule/week``.

``?on=YYYY-MM-DD`` (default: the clinic's today), ``&specialist=ID``, ``&room=ID``
narrow it. One column per specialist and one per room, each appointment with its
time on the clinic's clock, the patient's name, kind and status; previous and
next links. On a phone the columns become one list (``schedule.css``). A bad
``on`` or filter value shows the page with the problem in words (422), never a
traceback.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.schedule.models import Room
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule import sources
from rhizo.clinic.web.schedule.common import ScheduleReader, WebUser, day_or_today, monday_of
from rhizo.clinic.web.schedule.reading import Shown, columns, shown

router = APIRouter(include_in_schema=False)


def filter_options(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The active specialists and rooms as select options."""
    specialists = session.execute(
        sa.select(Specialist.id, Specialist.display_name)
        .where(Specialist.active.is_(True))
        .order_by(Specialist.display_name)
    )
    rooms = session.execute(
        sa.select(Room.id, Room.name).where(Room.active.is_(True)).order_by(Room.name)
    )
    return {
        "specialists": [(str(i), n) for i, n in specialists],
        "rooms": [(str(i), n) for i, n in rooms],
    }


def _id_or_problem(name: str, value: str | None, known: list[tuple[str, str]]) -> int | str | None:
    """A filter's id, None when not given, else the problem in words."""
    if value is None or value.strip() == "":
        return None
    if value.strip() not in {key for key, _ in known}:
        return f"{name}: {value[:40]!r} is not one of the active {name}s"
    return int(value.strip())


def _calendar(
    request: Request,
    user: WebUser,
    session: Session,
    *,
    view: str,
    on: str | None,
    specialist: str | None,
    room: str | None,
) -> Response:
    zone = clinic_zone(request)
    options = filter_options(session)
    errors: dict[str, str] = {}
    picked = day_or_today(on, clinic_today(request))
    specialist_id = _id_or_problem("specialist", specialist, options["specialists"])
    room_id = _id_or_problem("room", room, options["rooms"])
    for name, value in (("on", picked), ("specialist", specialist_id), ("room", room_id)):
        if isinstance(value, str):
            errors[name] = value
    day = picked if isinstance(picked, date) else clinic_today(request)
    first = day if view == "day" else monday_of(day)
    days = 1 if view == "day" else 7
    cells: list[Shown] = []
    if not errors:
        appointments = sources.appointments_between(
            session=session,
            actor=user.actor,
            first=first,
            days=days,
            zone=zone,
            specialist_id=specialist_id if isinstance(specialist_id, int) else None,
            room_id=room_id if isinstance(room_id, int) else None,
        )
        cells = shown(session, appointments, zone)
    by_specialist, by_room = columns(cells)
    step = timedelta(days=days)
    ctx: dict[str, Any] = {
        "view": view,
        "day": day,
        "first": first,
        "last": first + timedelta(days=days - 1),
        "dates": [first + timedelta(days=i) for i in range(days)],
        "prev": first - step,
        "next": first + step,
        "today": clinic_today(request),
        "cells": cells,
        "by_specialist": by_specialist,
        "by_room": by_room,
        "values": {"on": on or day.isoformat(), "specialist": specialist or "", "room": room or ""},
        "errors": errors,
        "options": options,
        "filters": "".join(
            f"&{name}={value}"
            for name, value in (("specialist", specialist_id), ("room", room_id))
            if isinstance(value, int)
        ),
    }
    return render(
        request,
        "schedule/calendar.html",
        ctx,
        user=user,
        status_code=422 if errors else 200,
    )


@router.get("/schedule/day", response_class=HTMLResponse)
def day_page(
    request: Request,
    user: ScheduleReader,
    session: SessionDep,
    on: str | None = None,
    specialist: str | None = None,
    room: str | None = None,
) -> Response:
    """One clinic day, per specialist and room."""
    return _calendar(request, user, session, view="day", on=on, specialist=specialist, room=room)


@router.get("/schedule/week", response_class=HTMLResponse)
def week_page(
    request: Request,
    user: ScheduleReader,
    session: SessionDep,
    on: str | None = None,
    specialist: str | None = None,
    room: str | None = None,
) -> Response:
    """The ISO week (Monday to Sunday) holding ``on``, per specialist and room."""
    return _calendar(request, user, session, view="week", on=on, specialist=specialist, room=room)
