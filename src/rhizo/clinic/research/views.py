"""``/research/cases``: de-identified export for the researcher role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.deps import Limit, Offset, SessionDep, SettingsDep, require
from rhizo.clinic.research import service
from rhizo.clinic.research.models import DeidCase

router = APIRouter(prefix="/research", tags=["research"])

Researcher = Annotated[Actor, Depends(require(Permission.DEIDENTIFIED_READ))]


@router.get("/cases", response_model=Page[DeidCase])
def list_cases(
    actor: Researcher,
    session: SessionDep,
    settings: SettingsDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeidCase]:
    """De-identified cases (pseudonym, birth year, sex, codes, events as day offsets)."""
    cases, total = service.export(
        session=session,
        actor=actor,
        pseudonym_key=settings.pseudonym_secret,
        limit=limit,
        offset=offset,
        today=utcnow().date(),
        zone=settings.clinic_zone,
    )
    return Page[DeidCase](items=cases, total=total, limit=limit, offset=offset)
