"""The patient's own appointments: ``/portal/appointments`` and the portal's "My appointments".

Upcoming and past, each with its time on the clinic's clock, kind, specialist,
how (in person or by phone), status and its calendar file
(``/appointments/{id}/calendar.ics``, which opens for the patient's own
appointments only). The portal page includes a placeholder section
(``schedule/_portal_appointments.html``) that loads this section in place
(htmx) and, without JavaScript, links here. A patient sees only the record
linked to their login (the portal's permission, ``own:read``); the read is
audited through :func:`rhizo.clinic.schedule.calendar.record_read`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.schedule import clock
from rhizo.clinic.schedule.models import AppointmentStatus
from rhizo.clinic.web.access import PageForbidden, PortalUser
from rhizo.clinic.web.clinic_contact import clinic_contact
from rhizo.clinic.web.clinic_time import clinic_zone
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.reading import shown
from rhizo.clinic.web.schedule.sources import patient_list

router = APIRouter(include_in_schema=False)


@router.get("/portal/appointments", response_class=HTMLResponse)
def my_appointments(request: Request, user: PortalUser, session: SessionDep) -> Response:
    """The patient's own appointments, upcoming first, then past."""
    if user.patient_id is None:  # a patient login not linked to a record
        raise PageForbidden
    zone = clinic_zone(request)
    rows = patient_list(
        session=session, actor=user.actor, patient_id=user.patient_id, scope="portal"
    )
    now = clock.now_utc()
    upcoming = [a for a in rows if a.ends_at >= now and a.status is AppointmentStatus.BOOKED]
    past = [a for a in rows if a not in upcoming]
    return render(
        request,
        "schedule/portal_appointments.html",
        {
            "upcoming": shown(session, upcoming, zone),
            "past": list(reversed(shown(session, past, zone))),
            "contact": clinic_contact(request, session),
        },
        user=user,
    )
