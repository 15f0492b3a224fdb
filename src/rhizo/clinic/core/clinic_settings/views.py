"""``/clinic-settings``: the clinic contact a patient is told to call (admin only).

The same service as the admin's page (:mod:`rhizo.clinic.core.clinic_settings.service`):
GET shows what is stored and what patients see; PUT replaces every field (empty or
omitted: the ``RHIZO_CLINIC_*`` default), 422 naming the field for a bad phone, 409
for a stale ``version``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.clinic_settings import service
from rhizo.clinic.core.clinic_settings.models import ClinicSettingsRead, ClinicSettingsUpdate
from rhizo.clinic.core.deps import SessionDep, SettingsDep, require

router = APIRouter(prefix="/clinic-settings", tags=["clinic settings"])

SettingsManager = Annotated[Actor, Depends(require(Permission.SETTINGS_MANAGE))]


@router.get("", response_model=ClinicSettingsRead)
def read_settings(
    actor: SettingsManager, session: SessionDep, settings: SettingsDep
) -> ClinicSettingsRead:
    """The stored contact (version 0: nothing stored yet) and what patients see."""
    return service.read(session=session, settings=settings)


@router.put("", response_model=ClinicSettingsRead)
def save_settings(
    actor: SettingsManager, session: SessionDep, settings: SettingsDep, data: ClinicSettingsUpdate
) -> ClinicSettingsRead:
    """Replace the clinic contact (send the ``version`` read; empty: the default)."""
    service.save(session=session, actor=actor, data=data)
    return service.read(session=session, settings=settings)
