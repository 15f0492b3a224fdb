"""Leave and closures: ``/schedule/leave``: the coming year's exceptions, add one, remove one.

An exception (a specialist's leave, a cancelled list, a closed room) removes the
availability of its span; the appointments already booked inside stay booked and
are listed for rebooking by the service's audit row. Times are typed on the
clinic's wall clock (``datetime-local``) and turned into instants by the
schedule's clock (:func:`rhizo.clinic.schedule.clock.instant`), which refuses a
wall time the clocks skip (spring forward) and takes the first of a repeated one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.schedule import availability, clock
from rhizo.clinic.schedule.models import ExceptionKind, Room, SessionExceptionCreate
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.access import check_csrf, read_form
from rhizo.clinic.web.clinic_time import FORM_FORMAT, clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, choices, given, values_of
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.calendar_pages import filter_options
from rhizo.clinic.web.schedule.common import AvailabilityManager, WebUser
from rhizo.clinic.web.schedule.reading import names

router = APIRouter(include_in_schema=False)

FIELDS = ("kind", "specialist_id", "room_id", "starts_at", "ends_at", "reason")
#: How far ahead the list reaches (days).
SHOWN_DAYS = 366


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    *,
    values: Values | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    zone = clinic_zone(request)
    today = clinic_today(request)
    start, _ = clock.day_bounds(today, zone)
    rows = availability.exceptions(
        session=session, start=start, end=start + timedelta(days=SHOWN_DAYS)
    )
    ctx: dict[str, Any] = {
        "rows": rows,
        "specialist_names": names(
            session, Specialist, (r.specialist_id for r in rows if r.specialist_id)
        ),
        "room_names": names(session, Room, (r.room_id for r in rows if r.room_id)),
        "kinds": choices(ExceptionKind),
        "options": filter_options(session),
        "values": values or {"kind": ExceptionKind.LEAVE.value},
        "errors": errors or {},
        "saved": request.query_params.get("saved", ""),
        "zone": zone,
    }
    return render(request, "schedule/leave.html", ctx, user=user, status_code=status_code)


def _instant(name: str, value: str, request: Request) -> datetime | str:
    """A ``datetime-local`` value on the clinic's clock as an instant, or the problem."""
    if not value:
        return f"required: the {'start' if name == 'starts_at' else 'end'} (date and time)"
    try:
        wall = datetime.strptime(value, FORM_FORMAT)
    except ValueError:
        return f"{value[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)"
    try:
        return clock.instant(wall.date(), wall.time(), clinic_zone(request))
    except clock.NonexistentWallTimeError as error:
        return str(error)


@router.get("/schedule/leave", response_class=HTMLResponse)
def leave_page(request: Request, user: AvailabilityManager, session: SessionDep) -> Response:
    """Leave, cancelled lists and closed rooms of the coming year."""
    return _page(request, user, session)


@router.post("/schedule/leave", response_class=HTMLResponse)
async def add_leave(request: Request, user: AvailabilityManager, session: SessionDep) -> Response:
    """Record an exception through :class:`SessionExceptionCreate` and the service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    errors: Errors = {}
    raw: dict[str, Any] = given(values)
    for name in ("starts_at", "ends_at"):
        moment = _instant(name, values[name], request)
        if isinstance(moment, str):
            errors[name] = moment
        else:
            raw[name] = moment
    if errors:
        return _page(request, user, session, values=values, errors=errors, status_code=422)
    try:
        data = SessionExceptionCreate.model_validate(raw)
        availability.create_exception(session=session, actor=user.actor, data=data)
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
    return RedirectResponse("/schedule/leave?saved=added#flash", status_code=303)


@router.post("/schedule/leave/remove", response_class=HTMLResponse)
async def remove_leave(
    request: Request, user: AvailabilityManager, session: SessionDep
) -> Response:
    """Remove an exception (the availability comes back)."""
    form = await read_form(request)
    check_csrf(user, form)
    value = form.get("exception_id", "").strip()
    if not value.isdigit() or len(value) > 10:
        return _page(
            request,
            user,
            session,
            errors={"form": "choose an entry from the list"},
            status_code=422,
        )
    try:
        availability.delete_exception(session=session, actor=user.actor, exception_id=int(value))
    except NotFoundError:
        return _page(request, user, session, errors={"form": f"no entry {value}"}, status_code=422)
    return RedirectResponse("/schedule/leave?saved=removed#flash", status_code=303)
