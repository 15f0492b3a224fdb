"""``GET /appointments/{appointment_id}/calendar.ics``: one appointment as an iCalendar file.

Staff who may read the schedule (``schedule:read``) get any appointment; a
patient only their own (``own:read`` on the appointment's patient: the
own-record rule, :func:`rhizo.clinic.patient.access.may_act_on_record`); any
other is 403, and an id that names no appointment is 404 for staff and 403 for
a patient (a patient cannot probe which ids exist). Every read is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission, allows
from rhizo.clinic.core.clinic_settings.service import effective
from rhizo.clinic.core.deps import CurrentUser, RoleDependency, SessionDep, SettingsDep, actor_of
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.patient.access import linked_patient_id, may_act_on_record
from rhizo.clinic.schedule import ics
from rhizo.clinic.schedule.models import Appointment

router = APIRouter(prefix="/appointments", tags=["appointments"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def appointment_readable(
    *, role_user: CurrentUser, session: SessionDep, appointment: Appointment | None
) -> bool:
    """Whether the user may read ``appointment`` (module docstring)."""
    if appointment is None:
        return False
    return may_act_on_record(
        role_user.role,
        permission=Permission.SCHEDULE_READ,
        own=Permission.OWN_RECORD_READ,
        linked_patient_id=linked_patient_id(session=session, user=role_user),
        patient_id=appointment.patient_id,
    )


class require_appointment_reader(RoleDependency):
    """Schedule readers, or the appointment's own patient; yields the :class:`Actor`."""

    def __init__(self) -> None:
        super().__init__(Permission.SCHEDULE_READ)

    def __call__(
        self, request: Request, user: CurrentUser, session: SessionDep, appointment_id: DbId
    ) -> Actor:
        appointment = session.get(Appointment, appointment_id)
        if appointment_readable(role_user=user, session=session, appointment=appointment):
            return actor_of(request, user)
        if appointment is None and allows(user.role, Permission.SCHEDULE_READ):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"appointment {appointment_id} not found"
            )
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role.value} may not read appointment {appointment_id}",
        )


AppointmentReader = Annotated[Actor, Depends(require_appointment_reader())]


@router.get(
    "/{appointment_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 iCalendar"}},
)
def appointment_calendar(
    actor: AppointmentReader, session: SessionDep, settings: SettingsDep, appointment_id: DbId
) -> Response:
    """The appointment as an .ics file (UID stable per appointment; audited read)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:  # pragma: no cover - the dependency answered 404
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"appointment {appointment_id} not found")
    contact = effective(session=session, settings=settings)
    text = ics.read_calendar(
        session=session,
        actor=actor,
        appointment=appointment,
        clinic_name=contact.name,
        clinic_phone=contact.phone,
    )
    return Response(
        content=text,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{ics.filename(appointment_id)}"'},
    )
