"""One appointment: ``/appointments/{id}`` with reschedule, cancel (reason), arrived,
no-show and complete.

The page shows the appointment on the clinic's clock, its patient, specialist,
room, kind, mode and status, the .ics file (``/appointments/{id}/calendar.ics``)
and, for writers, one form per allowed change; each form carries the row's
``version`` (a stale one is a 409 conflict in words). Every change is the
booking service's (:mod:`rhizo.clinic.schedule.booking`: one transaction,
audited, blocks and pathway effects inside); the allowed changes are the
lifecycle's (:func:`rhizo.clinic.schedule.lifecycle.allowed`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import booking, calendar, clock, lifecycle
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentReschedule,
    AppointmentStatus,
)
from rhizo.clinic.web.access import PageNotFound, check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, values_of
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.common import (
    ScheduleReader,
    ScheduleWriter,
    WebUser,
    day_or_today,
)
from rhizo.clinic.web.schedule.reading import shown
from rhizo.clinic.web.schedule.slot_choice import free_choices, parse

router = APIRouter(include_in_schema=False)

#: The one-click changes: path word -> (wanted status, the booking service's function).
MOVES: dict[str, tuple[AppointmentStatus, Callable[..., Appointment]]] = {
    "arrived": (AppointmentStatus.ARRIVED, booking.mark_arrived),
    "no-show": (AppointmentStatus.NO_SHOW, booking.mark_no_show),
    "complete": (AppointmentStatus.COMPLETED, booking.complete),
}
SAVED = {
    "booked": "Appointment booked.",
    "rescheduled": "Appointment moved: the old one is cancelled as rescheduled.",
    "cancelled": "Appointment cancelled.",
    "arrived": "Marked arrived.",
    "no-show": "Marked did not attend.",
    "complete": "Marked completed.",
}


def _read(session: Session, user: WebUser, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise PageNotFound
    calendar.record_read(
        session=session,
        actor=user.actor,
        appointments=[appointment],
        scope=f"appointment {appointment_id}",
        patient_id=appointment.patient_id,
    )
    return appointment


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    appointment_id: int,
    *,
    form: str = "",
    values: Values | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    zone = clinic_zone(request)
    appointment = _read(session, user, appointment_id)
    cell = shown(session, [appointment], zone)[0]
    patient = session.get(Patient, appointment.patient_id)
    status = appointment.status
    may_write = user.can(Permission.SCHEDULE_WRITE)
    values = values or {}
    choices = []
    first = clinic_today(request)
    if may_write and status is AppointmentStatus.BOOKED:
        picked = day_or_today(values.get("from") or request.query_params.get("from"), first)
        first = picked if not isinstance(picked, str) else first
        choices = free_choices(
            session=session,
            kind=appointment.kind,
            first=max(first, clinic_today(request)),
            zone=zone,
            now=clock.now_utc(),
            specialist_id=appointment.specialist_id,
        )
    ctx: dict[str, Any] = {
        "a": appointment,
        "cell": cell,
        "patient": patient,
        "may_write": may_write,
        "can": {word: lifecycle.allowed(status, wanted) for word, (wanted, _) in MOVES.items()}
        | {"cancel": lifecycle.allowed(status, AppointmentStatus.CANCELLED)},
        "choices": choices,
        "first": first,
        "form": form,
        "values": values,
        "errors": errors or {},
        "saved": SAVED.get(request.query_params.get("saved", ""), ""),
        "ics": f"/appointments/{appointment.id}/calendar.ics",
        "cancelled_at": appointment.cancelled_at,
    }
    return render(request, "schedule/appointment.html", ctx, user=user, status_code=status_code)


def _done(appointment_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"/appointments/{appointment_id}?saved={what}#flash", status_code=303)


def _version(values: Values) -> int | None:
    text = values.get("version", "")
    return int(text) if text.isdigit() and int(text) >= 1 else None


@router.get("/appointments/{appointment_id}", response_class=HTMLResponse)
def appointment_page(
    request: Request, user: ScheduleReader, session: SessionDep, appointment_id: DbId
) -> Response:
    """One appointment and, for writers, its changes."""
    return _page(request, user, session, appointment_id)


@router.post("/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel_appointment(
    request: Request, user: ScheduleWriter, session: SessionDep, appointment_id: DbId
) -> Response:
    """Cancel with a reason (5-500 characters) through ``booking.cancel``."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("version", "reason"))
    version = _version(values)
    if version is None:
        errors = {"version": "the page is out of date: open the appointment again"}
        return _page(
            request,
            user,
            session,
            appointment_id,
            form="cancel",
            values=values,
            errors=errors,
            status_code=422,
        )
    try:
        booking.cancel(
            session=session,
            actor=user.actor,
            appointment_id=appointment_id,
            version=version,
            reason=values["reason"],
        )
    except InvalidInputError as error:
        return _page(
            request,
            user,
            session,
            appointment_id,
            form="cancel",
            values=values,
            errors=problem_errors(error),
            status_code=422,
        )
    except NotFoundError as error:
        raise PageNotFound from error
    except ConflictError as error:
        return _page(
            request,
            user,
            session,
            appointment_id,
            form="cancel",
            values=values,
            errors={"form": str(error)},
            status_code=409,
        )
    return _done(appointment_id, "cancelled")


@router.post("/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule_appointment(
    request: Request, user: ScheduleWriter, session: SessionDep, appointment_id: DbId
) -> Response:
    """Move to a chosen free slot through ``booking.reschedule`` (a new appointment)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("version", "slot", "from"))

    def again(errors: Errors, code: int) -> Response:
        return _page(
            request,
            user,
            session,
            appointment_id,
            form="reschedule",
            values=values,
            errors=errors,
            status_code=code,
        )

    version = _version(values)
    chosen = parse(values["slot"]) if values["slot"] else "required: choose a free slot"
    if version is None:
        return again({"version": "the page is out of date: open the appointment again"}, 422)
    if isinstance(chosen, str):
        return again({"slot": chosen}, 422)
    try:
        data = AppointmentReschedule.model_validate(
            {"version": version, "starts_at": chosen[1], "specialist_id": chosen[0]}
        )
        moved = booking.reschedule(
            session=session, actor=user.actor, appointment_id=appointment_id, data=data
        )
    except ValidationError as error:
        found = validation_errors(error)
        return again({("slot" if k == "starts_at" else k): v for k, v in found.items()}, 422)
    except InvalidInputError as error:
        found = problem_errors(error)
        return again(
            {("slot" if k in ("starts_at", "specialist_id") else k): v for k, v in found.items()},
            422,
        )
    except NotFoundError as error:
        raise PageNotFound from error
    except ConflictError as error:
        return again({"slot": str(error)}, 409)
    return _done(moved.id, "rescheduled")


async def _apply(
    request: Request, user: WebUser, session: Session, appointment_id: int, move: str
) -> Response:
    """Arrived, no-show or complete through the booking service (the row's version)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("version",))
    version = _version(values)

    def again(errors: Errors, code: int) -> Response:
        return _page(
            request,
            user,
            session,
            appointment_id,
            form=move,
            values=values,
            errors=errors,
            status_code=code,
        )

    if version is None:
        return again({"version": "the page is out of date: open the appointment again"}, 422)
    _, action = MOVES[move]
    try:
        action(session=session, actor=user.actor, appointment_id=appointment_id, version=version)
    except InvalidInputError as error:
        return again(problem_errors(error), 422)
    except NotFoundError as error:
        raise PageNotFound from error
    except ConflictError as error:
        return again({"form": str(error)}, 409)
    return _done(appointment_id, move)


@router.post("/appointments/{appointment_id}/arrived", response_class=HTMLResponse)
async def mark_arrived(
    request: Request, user: ScheduleWriter, session: SessionDep, appointment_id: DbId
) -> Response:
    """booked -> arrived."""
    return await _apply(request, user, session, appointment_id, "arrived")


@router.post("/appointments/{appointment_id}/no-show", response_class=HTMLResponse)
async def mark_no_show(
    request: Request, user: ScheduleWriter, session: SessionDep, appointment_id: DbId
) -> Response:
    """booked -> did not attend (at or after the start)."""
    return await _apply(request, user, session, appointment_id, "no-show")


@router.post("/appointments/{appointment_id}/complete", response_class=HTMLResponse)
async def mark_complete(
    request: Request, user: ScheduleWriter, session: SessionDep, appointment_id: DbId
) -> Response:
    """booked or arrived -> completed (at or after the start)."""
    return await _apply(request, user, session, appointment_id, "complete")
