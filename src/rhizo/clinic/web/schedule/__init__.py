"""The calendar pages (issue 18): day and week views, booking, an appointment's page,
availability (rooms, weekly sessions, leave), the worklists and the portal's
"my appointments".

Each module holds one page's routes; :data:`router` includes them all. Every
route declares its page permission (:mod:`rhizo.clinic.web.schedule.common`);
every read and change goes through the schedule domain's services, which audit
it (:mod:`rhizo.clinic.web.schedule.sources`).
"""

from __future__ import annotations

from fastapi import APIRouter

from rhizo.clinic.web.schedule import (
    appointment_pages,
    booking_pages,
    calendar_pages,
    leave_page,
    portal_appointments,
    rooms_page,
    sessions_page,
    worklists,
)

router = APIRouter(include_in_schema=False)
for module in (
    calendar_pages,
    booking_pages,
    appointment_pages,
    rooms_page,
    sessions_page,
    leave_page,
    worklists,
    portal_appointments,
):
    router.include_router(module.router)

__all__ = ["router"]
