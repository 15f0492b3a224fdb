"""Who the patient calls: the clinic's name, phone (a ``tel:`` link) and hours: the admin's
clinic settings (``/admin/settings``), else the ``RHIZO_CLINIC_*`` environment values.

Every page that tells a patient to call (the portal's warning signs, its
aftercare) shows :func:`clinic_contact`; with no ``RHIZO_CLINIC_PHONE`` it says
"call the clinic that treated you" instead, never "call us" without a number.
"""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rhizo.clinic.core.clinic_settings import service as clinic_settings
from rhizo.clinic.core.config import Settings

#: The words shown when no phone is configured.
FALLBACK_TEXT = "Call the clinic that treated you. Their number is on your appointment letter."


class ClinicContact(BaseModel):
    """The clinic to call; ``phone`` None: not configured (the fallback is shown)."""

    name: str | None
    phone: str | None
    hours: str | None

    @property
    def tel_href(self) -> str | None:
        """``tel:`` URI of the phone (RFC 3966 global form keeps only ``+`` and digits)."""
        if self.phone is None:
            return None
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")

    @property
    def fallback(self) -> str:
        """What to say when there is no phone to show."""
        return FALLBACK_TEXT


def contact_from(settings: Settings) -> ClinicContact:
    """The contact the environment's settings configure (the default of the stored one)."""
    return ClinicContact(
        name=settings.clinic_name, phone=settings.clinic_phone, hours=settings.clinic_hours
    )


def clinic_contact(request: Request, session: Session | None = None) -> ClinicContact:
    """The contact of the app serving ``request``: the admin's clinic settings, each empty
    field taking the ``RHIZO_CLINIC_*`` default (:func:`rhizo.clinic.core.clinic_settings.
    service.effective`). ``session``: the request's; None opens a short one."""
    settings: Settings = request.app.state.settings
    if session is None:
        with request.app.state.session_factory() as own:
            found = clinic_settings.effective(session=own, settings=settings)
    else:
        found = clinic_settings.effective(session=session, settings=settings)
    return ClinicContact(name=found.name, phone=found.phone, hours=found.hours)
