"""``GET /auth/me``: who the token belongs to, with the patient record linked to it.

It sits in the patient domain, not in ``rhizo.clinic.core.auth``, because the
answer names a patient record (the core imports no clinic domain); the URL is
the account routes' (``/auth``).
"""

from __future__ import annotations

from fastapi import APIRouter

from rhizo.clinic.core.auth.models import UserRead
from rhizo.clinic.core.auth.views import SelfActor, needs_enrolment, own_user
from rhizo.clinic.core.deps import SessionDep, SettingsDep
from rhizo.clinic.core.openapi import declare
from rhizo.clinic.patient.access import linked_patient_id

router = APIRouter(prefix="/auth", tags=["auth"])


class MeRead(UserRead):
    """The logged-in user, with their patient record id when they are a patient."""

    patient_id: int | None = None
    #: An admin without a second factor: enrol one before anything else.
    must_enrol_totp: bool = False


@router.get("/me", response_model=MeRead, responses=declare(401))
def me(actor: SelfActor, session: SessionDep, settings: SettingsDep) -> MeRead:
    """Who the token belongs to (also with a token good only for enrolling TOTP)."""
    user = own_user(session, actor)
    read = MeRead.model_validate(user)
    read.patient_id = linked_patient_id(session=session, user=user)
    read.must_enrol_totp = needs_enrolment(settings, user)
    return read
