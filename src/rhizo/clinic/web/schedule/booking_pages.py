"""Booking: ``/schedule/book?patient_id=&kind=&specialist=&from=``: pick a free slot, book it.

The free slots of the kind for the next seven clinic days
(:mod:`rhizo.clinic.web.schedule.slot_choice`, from the schedule's slots
service), the earliest free one marked (``slots.next_free_slot``). Booking goes
through :func:`rhizo.clinic.schedule.booking.book` (one transaction, audited,
its pathway effects inside); a refusal is shown inline next to its field (422),
a slot taken meanwhile as a conflict next to the slots (409).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.plan.lifecycle import PlanStatus
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.schedule import booking, clock, slots
from rhizo.clinic.schedule.models import AppointmentCreate, AppointmentKind
from rhizo.clinic.web.access import check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, values_of
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.calendar_pages import filter_options
from rhizo.clinic.web.schedule.common import (
    KIND_OPTIONS,
    ScheduleWriter,
    WebUser,
    day_or_today,
    local_time,
)
from rhizo.clinic.web.schedule.slot_choice import free_choices, parse, value_of

router = APIRouter(include_in_schema=False)

FIELDS = ("patient_id", "kind", "specialist", "from", "slot", "plan_id", "notes")
#: Booking refusals by the service's field -> the form field they belong next to.
FIELD_OF = {"starts_at": "slot", "specialist_id": "slot", "room_id": "slot", "mode": "slot"}


def open_plans(session: Session, patient_id: int) -> list[tuple[str, str]]:
    """The patient's draft and scheduled plans as options: an RF day carries one out
    (booking it sets the plan's day and its holds: ``schedule.effects``)."""
    rows = session.execute(
        sa.select(Plan.id, Plan.planned_date, Plan.levels, Plan.status)
        .where(
            Plan.patient_id == patient_id,
            Plan.status.in_([PlanStatus.DRAFT, PlanStatus.SCHEDULED]),
        )
        .order_by(Plan.planned_date, Plan.id)
    )
    return [
        (str(pid), f"{day.isoformat()} {', '.join(levels)} ({status.value})")
        for pid, day, levels, status in rows
    ]


def _patient_id(value: str) -> int | str | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**31 - 1:
        return f"patient_id: {value[:40]!r} is not a patient number"
    return int(value)


def _kind(value: str) -> AppointmentKind | str:
    try:
        return AppointmentKind(value or AppointmentKind.CONSULTATION.value)
    except ValueError:
        allowed = ", ".join(k.value for k in AppointmentKind)
        return f"kind: {value[:40]!r} is not one of {allowed}"


def page(
    request: Request,
    user: WebUser,
    session: Session,
    values: Values,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    """The booking page for the typed ``values`` (query or form), with ``errors``."""
    errors = dict(errors or {})
    zone = clinic_zone(request)
    options = filter_options(session)
    patient = None
    pid = _patient_id(values.get("patient_id", ""))
    if isinstance(pid, str):
        errors.setdefault("patient_id", pid)
    elif pid is not None:
        try:
            patient = patient_service.get(session=session, actor=user.actor, patient_id=pid)
        except NotFoundError:
            errors.setdefault("patient_id", f"no patient {pid}")
    kind = _kind(values.get("kind", ""))
    if not isinstance(kind, AppointmentKind):  # a StrEnum is a str too
        errors.setdefault("kind", kind)
    specialist = values.get("specialist", "")
    specialist_id = int(specialist) if specialist.isdigit() else None
    if specialist and str(specialist_id) not in {key for key, _ in options["specialists"]}:
        errors.setdefault(
            "specialist", f"specialist: {specialist[:40]!r} is not an active specialist"
        )
        specialist_id = None
    first = day_or_today(values.get("from", ""), clinic_today(request))
    if isinstance(first, str):
        errors.setdefault("from", first.replace("on:", "from:", 1))
        first = clinic_today(request)
    choices = []
    earliest = None
    if isinstance(kind, AppointmentKind):
        now = clock.now_utc()
        choices = free_choices(
            session=session,
            kind=kind,
            first=max(first, clinic_today(request)),
            zone=zone,
            now=now,
            specialist_id=specialist_id,
        )
        nxt = slots.next_free_slot(
            session=session, kind=kind, after=now, specialist_id=specialist_id
        )
        if nxt is not None:
            earliest = {
                "value": value_of(nxt),
                "day": clock.clinic_date(nxt.starts_at, zone),
                "starts": local_time(nxt.starts_at, zone),
            }
    plans: list[tuple[str, str]] = []
    if patient is not None and kind is AppointmentKind.RF_PROCEDURE:
        plans = open_plans(session, patient.id)
    shown = dict(values)
    shown.setdefault("kind", kind.value if isinstance(kind, AppointmentKind) else "")
    shown["from"] = shown.get("from") or first.isoformat()
    ctx: dict[str, Any] = {
        "patient": patient,
        "values": shown,
        "errors": errors,
        "kinds": KIND_OPTIONS,
        "options": options,
        "choices": choices,
        "earliest": earliest,
        "first": first,
        "plans": plans,
    }
    code = status_code if status_code != 200 else (422 if errors else 200)
    return render(request, "schedule/book.html", ctx, user=user, status_code=code)


@router.get("/schedule/book", response_class=HTMLResponse)
def book_page(request: Request, user: ScheduleWriter, session: SessionDep) -> Response:
    """The free slots for a patient and a kind (patient_id, kind, specialist, from)."""
    query = request.query_params
    values = {name: query.get(name, "").strip()[:200] for name in FIELDS}
    return page(request, user, session, values)


@router.post("/schedule/book", response_class=HTMLResponse)
async def book_slot(request: Request, user: ScheduleWriter, session: SessionDep) -> Response:
    """Book the chosen slot for the patient through the booking service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, FIELDS)
    errors: Errors = {}
    pid = _patient_id(values["patient_id"])
    if pid is None:
        errors["patient_id"] = "required: the patient's number"
    elif isinstance(pid, str):
        errors["patient_id"] = pid
    kind = _kind(values["kind"])
    if not isinstance(kind, AppointmentKind):
        errors["kind"] = kind
    chosen = parse(values["slot"]) if values["slot"] else "required: choose a free slot"
    if isinstance(chosen, str):
        errors["slot"] = chosen
    if errors or not isinstance(chosen, tuple):
        return page(request, user, session, values, errors=errors, status_code=422)
    try:
        data = AppointmentCreate.model_validate(
            {
                "patient_id": pid,
                "specialist_id": chosen[0],
                "kind": kind,
                "starts_at": chosen[1],
                "notes": values["notes"] or None,
                "plan_id": values["plan_id"] or None,
            }
        )
        appointment = booking.book(session=session, actor=user.actor, data=data)
    except ValidationError as error:
        found = validation_errors(error)
        errors = {FIELD_OF.get(k, k): v for k, v in found.items()}
        return page(request, user, session, values, errors=errors, status_code=422)
    except InvalidInputError as error:
        errors = {FIELD_OF.get(k, k): v for k, v in problem_errors(error).items()}
        return page(request, user, session, values, errors=errors, status_code=422)
    except ConflictError as error:
        return page(request, user, session, values, errors={"slot": str(error)}, status_code=409)
    return RedirectResponse(f"/appointments/{appointment.id}?saved=booked#flash", status_code=303)


def booking_link(patient_id: int, kind: AppointmentKind, on: date | None = None) -> str:
    """The booking page for a patient and kind (other pages link to it)."""
    link = f"/schedule/book?patient_id={patient_id}&kind={kind.value}"
    return link + (f"&from={on.isoformat()}" if on is not None else "")
