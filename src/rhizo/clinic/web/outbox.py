"""The outbox admin page and the appointment's .ics download page.

``/admin/outbox`` (``reminders:manage``: admin): the count of messages per status
and the latest messages of one status (queued, sending, sent, failed,
cancelled) with attempts, next attempt, the last error and the server's last
reply; a failed message can be put back in the queue
(:func:`rhizo.clinic.core.outbox.service.retry`, audited). The list shows
recipients, so each view is audited as a read.

``/appointments/{appointment_id}/calendar.ics``: the REST route's file for the
browser (staff who read the schedule; a patient only their own appointment;
audited): :func:`rhizo.clinic.schedule.ics.read_calendar`.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import ClinicError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox.models import OutboxMessage, OutboxSendRecord, OutboxStatus
from rhizo.clinic.core.outbox.worker import pending_counts
from rhizo.clinic.patient.access import may_act_on_record
from rhizo.clinic.schedule import ics
from rhizo.clinic.schedule.ics_views import ICS_MEDIA_TYPE
from rhizo.clinic.schedule.models import Appointment
from rhizo.clinic.web.access import (
    PageAccess,
    PageForbidden,
    PageNotFound,
    WebUser,
    WebUserDep,
    check_csrf,
    read_form,
)
from rhizo.clinic.web.clinic_contact import clinic_contact
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

OutboxAdmin = Annotated[WebUser, Depends(PageAccess(Permission.REMINDERS_MANAGE))]
#: Rows shown per status.
PAGE_ROWS = 100


def _last_replies(session: SessionDep, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(OutboxSendRecord.message_id, OutboxSendRecord.reply_code, OutboxSendRecord.reply)
        .where(OutboxSendRecord.message_id.in_(ids))
        .order_by(OutboxSendRecord.id)
    ).all()
    replies: dict[int, str] = {}
    for message_id, code, reply in rows:
        replies[message_id] = f"{code or ''} {reply or ''}".strip()
    return replies


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, admin: OutboxAdmin, session: SessionDep) -> Response:
    """Counts per status and the latest messages of the chosen status (default: failed)."""
    wanted = request.query_params.get("status", OutboxStatus.FAILED.value)
    try:
        status = OutboxStatus(wanted)
    except ValueError:
        allowed = ", ".join(s.value for s in OutboxStatus)
        return render(
            request,
            "admin/outbox.html",
            {"error": f"status {wanted!r} is not one of {allowed}", "counts": {}, "rows": []},
            user=admin,
            status_code=400,
        )
    messages = list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == status)
            .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
            .limit(PAGE_ROWS)
        )
    )
    counts = pending_counts(session=session)
    replies = _last_replies(session, [m.id for m in messages])
    audit.record_now(
        session=session,
        actor=admin.actor,
        action=AuditAction.READ,
        entity_type=outbox.ENTITY,
        details={"status": status.value, "rows": len(messages)},
    )
    return render(
        request,
        "admin/outbox.html",
        {
            "status": status.value,
            "statuses": [s.value for s in OutboxStatus],
            "counts": counts,
            "rows": messages,
            "replies": replies,
            "retried": request.query_params.get("retried"),
            "error": None,
        },
        user=admin,
    )


@router.post("/admin/outbox/{message_id}/retry", response_class=HTMLResponse)
async def retry_message(
    request: Request, admin: OutboxAdmin, session: SessionDep, message_id: int
) -> Response:
    """Queue a failed message again now (CSRF-checked; audited by the service)."""
    form = await read_form(request)
    check_csrf(admin, form)
    try:
        outbox.retry(session=session, actor=admin.actor, message_id=message_id)
    except ClinicError as error:
        return render(
            request,
            "admin/outbox.html",
            {"error": str(error), "counts": pending_counts(session=session), "rows": []},
            user=admin,
            status_code=404 if "not found" in str(error) else 422,
        )
    return RedirectResponse(f"/admin/outbox?status=queued&retried={message_id}", status_code=303)


class AppointmentPageAccess(PageAccess):
    """Staff who read the schedule, or the appointment's own patient (else 403; an unknown
    id is 404 for staff, 403 for a patient)."""

    def __init__(self) -> None:
        super().__init__(Permission.SCHEDULE_READ, audience="any")

    def __call__(  # type: ignore[override]
        self, user: WebUserDep, session: SessionDep, appointment_id: int
    ) -> WebUser:
        appointment = session.get(Appointment, appointment_id)
        if appointment is not None and may_act_on_record(
            user.user.role,
            permission=Permission.SCHEDULE_READ,
            own=Permission.OWN_RECORD_READ,
            linked_patient_id=user.patient_id,
            patient_id=appointment.patient_id,
        ):
            return user
        if appointment is None and user.can(Permission.SCHEDULE_READ) and not user.is_patient:
            raise PageNotFound
        raise PageForbidden


AppointmentPageUser = Annotated[WebUser, Depends(AppointmentPageAccess())]


@router.get("/appointments/{appointment_id}/calendar.ics")
def appointment_calendar_page(
    request: Request, user: AppointmentPageUser, session: SessionDep, appointment_id: int
) -> Response:
    """The appointment's .ics file (audited read)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:  # pragma: no cover - the access dependency answered
        raise PageNotFound
    contact = clinic_contact(request, session)
    text = ics.read_calendar(
        session=session,
        actor=user.actor,
        appointment=appointment,
        clinic_name=contact.name,
        clinic_phone=contact.phone,
    )
    return Response(
        content=text,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{ics.filename(appointment_id)}"'},
    )
