"""The worklists: ``/worklists``: what each role has to do today.

Sections, each from its domain's own function (never re-derived here):

- today's clinic list per specialist and room: :func:`rhizo.clinic.schedule.calendar.day`;
- reviews due (next 14 days) and overdue: :func:`rhizo.clinic.tasks.service.reviews_due`
  (the pathway's review schedule, decision support);
- open consultation requests: :func:`rhizo.clinic.intake.service.open_requests`;
- open tasks (pain returned, book the RF day, book the review):
  :func:`rhizo.clinic.tasks.service.open_tasks`;
- hold reminders to send: the outbox's queued messages of the RF day's hold template
  (:data:`rhizo.clinic.schedule.reminders.RF_DAY_HOLDS`).

Who sees what: a nurse the clinic lists, reviews, requests and reminders; a
clinician their own specialist's list (the specialist linked to their login),
their tasks, reviews and requests; an admin everything. The page is one audited
read (``worklists``) naming the patients shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Role
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.outbox.models import OutboxMessage, OutboxStatus
from rhizo.clinic.intake import service as intake_service
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.schedule import calendar
from rhizo.clinic.schedule.reminders import RF_DAY_HOLDS
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.tasks import service as tasks_service
from rhizo.clinic.tasks.models import KIND_LABEL as TASK_LABEL
from rhizo.clinic.web.access import check_csrf, read_form
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.common import ScheduleReader, ScheduleWriter, WebUser
from rhizo.clinic.web.schedule.reading import columns, names, shown

router = APIRouter(include_in_schema=False)

#: How far ahead "reviews due" looks (days).
REVIEW_HORIZON_DAYS = 14
#: The most rows one section lists.
SECTION_LIMIT = 100
#: Which sections each role sees.
SECTIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"clinic", "reviews", "requests", "tasks", "reminders"}),
    Role.NURSE: frozenset({"clinic", "reviews", "requests", "reminders"}),
    Role.CLINICIAN: frozenset({"clinic", "reviews", "requests", "tasks"}),
}


@dataclass(frozen=True)
class Line:
    """One row of a section: what, who (a link to the patient), when."""

    what: str
    patient_id: int | None
    patient: str
    when: str
    link: str = ""
    flag: str = ""


def own_specialist(session: Session, user: WebUser) -> int | None:
    """The specialist linked to a clinician's login (None: not linked)."""
    return session.scalar(sa.select(Specialist.id).where(Specialist.user_id == user.user.id))


def _reviews(session: Session, request: Request, today: Any) -> list[Line]:
    due = tasks_service.reviews_due(
        session=session, today=today, horizon_days=REVIEW_HORIZON_DAYS, zone=clinic_zone(request)
    )[:SECTION_LIMIT]
    people = names(session, Patient, (r.patient_id for r in due))
    return [
        Line(
            what=r.label,
            patient_id=r.patient_id,
            patient=people.get(r.patient_id, str(r.patient_id)),
            when=r.due_on.isoformat(),
            link=f"/schedule/book?patient_id={r.patient_id}&kind=review",
            flag="overdue" if r.overdue else "",
        )
        for r in due
    ]


def _requests(session: Session) -> list[Line]:
    rows = intake_service.open_requests(session=session)[:SECTION_LIMIT]
    return [
        Line(
            what=f"{r.region.value.replace('_', ' ')} pain ({r.status.value.replace('_', ' ')})",
            patient_id=r.patient_id,
            patient=r.name,
            when=r.created_at.date().isoformat(),
            link="/requests",
        )
        for r in rows
    ]


def _tasks(session: Session) -> list[Line]:
    rows = tasks_service.open_tasks(session=session)[:SECTION_LIMIT]
    people = names(session, Patient, (t.patient_id for t in rows))
    return [
        Line(
            what=TASK_LABEL[t.kind],
            patient_id=t.patient_id,
            patient=people.get(t.patient_id, str(t.patient_id)),
            when=t.due_on.isoformat() if t.due_on else "",
            link=f"/patients/{t.patient_id}",
            flag=t.kind.value,
        )
        for t in rows
    ]


def _reminders(session: Session, request: Request) -> list[Line]:
    rows = session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.template == RF_DAY_HOLDS,
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .order_by(OutboxMessage.send_after, OutboxMessage.id)
        .limit(SECTION_LIMIT)
    ).all()
    people = names(session, Patient, (m.patient_id for m in rows if m.patient_id is not None))
    zone = clinic_zone(request)
    return [
        Line(
            what=f"hold reminder by {m.channel.value}",
            patient_id=m.patient_id,
            patient=people.get(m.patient_id, "") if m.patient_id is not None else "",
            when=m.send_after.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            link=f"/appointments/{m.appointment_id}" if m.appointment_id else "",
        )
        for m in rows
    ]


@router.get("/worklists", response_class=HTMLResponse)
def worklists_page(request: Request, user: ScheduleReader, session: SessionDep) -> Response:
    """Today's lists and what is due, per role."""
    today = clinic_today(request)
    zone = clinic_zone(request)
    wanted = SECTIONS.get(user.user.role, frozenset())
    specialist_id = own_specialist(session, user) if user.user.role is Role.CLINICIAN else None
    ctx: dict[str, Any] = {"today": today, "wanted": wanted, "own": specialist_id}
    shown_patients: set[int] = set()
    if "clinic" in wanted:
        unlinked = user.user.role is Role.CLINICIAN and specialist_id is None
        rows = (
            []
            if unlinked
            else calendar.day(session=session, on=today, zone=zone, specialist_id=specialist_id)
        )
        cells = shown(session, rows, zone)
        ctx["by_specialist"], ctx["by_room"] = columns(cells)
        ctx["unlinked"] = unlinked
        shown_patients.update(c.patient_id for c in cells)
    sections: dict[str, list[Line]] = {}
    if "reviews" in wanted:
        sections["reviews"] = _reviews(session, request, today)
    if "requests" in wanted:
        sections["requests"] = _requests(session)
    if "tasks" in wanted:
        sections["tasks"] = _tasks(session)
    if "reminders" in wanted:
        sections["reminders"] = _reminders(session, request)
    for lines in sections.values():
        shown_patients.update(line.patient_id for line in lines if line.patient_id is not None)
    audit.record_now(
        session=session,
        actor=user.actor,
        action=AuditAction.READ,
        entity_type="worklists",
        details={
            "day": today.isoformat(),
            "sections": sorted(wanted),
            "patients": sorted(shown_patients),
        },
    )
    ctx["sections"] = sections
    return render(request, "schedule/worklists.html", ctx, user=user)


@router.post("/worklists/refresh", response_class=HTMLResponse)
async def refresh_tasks(request: Request, user: ScheduleWriter, session: SessionDep) -> Response:
    """Sweep the pathway's tasks now (:func:`rhizo.clinic.tasks.service.refresh`, idempotent)."""
    form = await read_form(request)
    check_csrf(user, form)
    tasks_service.refresh(session=session, today=clinic_today(request), zone=clinic_zone(request))
    return RedirectResponse("/worklists?refreshed=1", status_code=303)
