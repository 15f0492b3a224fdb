"""A specialist's weekly sessions: ``/schedule/sessions?specialist=``: list, add, deactivate.

A session is "Mondays 09:00-12:30, consultations of 30 min, in person, room 2,
from 2026-06-01" on the wall clock of its time zone (the clinic's by default).
Writes are the availability service's, whose refusals (overlapping sessions of
one specialist or room, an unknown time zone, an end before the start, a slot
length that does not divide the session...) are shown next to their fields
(422); a stale version is a conflict (409).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.schedule import availability
from rhizo.clinic.schedule.models import AppointmentMode, ClinicSessionCreate, Room
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.access import check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, choices, given, values_of
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.calendar_pages import filter_options
from rhizo.clinic.web.schedule.common import (
    KIND_OPTIONS,
    WEEKDAYS,
    AvailabilityManager,
    WebUser,
)
from rhizo.clinic.web.schedule.reading import names

router = APIRouter(include_in_schema=False)

FIELDS = (
    "specialist_id",
    "kind",
    "mode",
    "room_id",
    "weekday",
    "start_local",
    "end_local",
    "slot_min",
    "timezone",
    "valid_from",
    "valid_until",
)


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    *,
    values: Values | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    raw = request.query_params.get("specialist", "")
    specialist_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    rows = availability.sessions(session=session, specialist_id=specialist_id, active_only=True)
    specialists = names(session, Specialist, (r.specialist_id for r in rows))
    rooms = names(session, Room, (r.room_id for r in rows if r.room_id is not None))
    options = filter_options(session)
    defaults = {
        "valid_from": clinic_today(request).isoformat(),
        "timezone": request.app.state.settings.clinic_timezone,
        "mode": AppointmentMode.IN_PERSON.value,
        "specialist_id": str(specialist_id or ""),
    }
    ctx: dict[str, Any] = {
        "rows": rows,
        "specialist_names": specialists,
        "room_names": rooms,
        "weekdays": WEEKDAYS,
        "weekday_options": [(str(i), day) for i, day in enumerate(WEEKDAYS)],
        "kinds": KIND_OPTIONS,
        "kind_label": dict(KIND_OPTIONS),
        "modes": choices(AppointmentMode),
        "options": options,
        "specialist_id": specialist_id,
        "values": values or defaults,
        "errors": errors or {},
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "schedule/sessions.html", ctx, user=user, status_code=status_code)


@router.get("/schedule/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, user: AvailabilityManager, session: SessionDep) -> Response:
    """The active weekly sessions (one specialist's with ``?specialist=``)."""
    return _page(request, user, session)


@router.post("/schedule/sessions", response_class=HTMLResponse)
async def add_session(request: Request, user: AvailabilityManager, session: SessionDep) -> Response:
    """Add a weekly session through :class:`ClinicSessionCreate` and the service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    try:
        data = ClinicSessionCreate.model_validate(given(values))
        row = availability.create_session(
            session=session,
            actor=user.actor,
            data=data,
            clinic_timezone=request.app.state.settings.clinic_timezone,
        )
    except ValidationError as error:
        return _page(
            request, user, session, values=values, errors=validation_errors(error), status_code=422
        )
    except InvalidInputError as error:
        return _page(
            request, user, session, values=values, errors=problem_errors(error), status_code=422
        )
    except NotFoundError as error:
        return _page(
            request, user, session, values=values, errors={"form": str(error)}, status_code=422
        )
    except ConflictError as error:
        return _page(
            request, user, session, values=values, errors={"form": str(error)}, status_code=409
        )
    return RedirectResponse(
        f"/schedule/sessions?specialist={row.specialist_id}&saved=added#flash", status_code=303
    )


@router.post("/schedule/sessions/deactivate", response_class=HTMLResponse)
async def deactivate_session(
    request: Request, user: AvailabilityManager, session: SessionDep
) -> Response:
    """Deactivate a weekly session (its id and version from the list)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("session_id", "version"))
    if not values["session_id"].isdigit() or not values["version"].isdigit():
        errors = {"form": "choose a session from the list (session_id and version are required)"}
        return _page(request, user, session, errors=errors, status_code=422)
    try:
        row = availability.deactivate_session(
            session=session,
            actor=user.actor,
            session_id=int(values["session_id"]),
            version=int(values["version"]),
        )
    except InvalidInputError as error:
        return _page(
            request,
            user,
            session,
            errors=problem_errors(error) or {"form": str(error)},
            status_code=422,
        )
    except NotFoundError:
        return _page(
            request,
            user,
            session,
            errors={"form": f"no session {values['session_id']}"},
            status_code=422,
        )
    except ConflictError as error:
        return _page(request, user, session, errors={"form": str(error)}, status_code=409)
    return RedirectResponse(
        f"/schedule/sessions?specialist={row.specialist_id}&saved=deactivated#flash",
        status_code=303,
    )
