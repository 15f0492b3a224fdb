"""Routes for specialist profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.common import Page
from rhizo.clinic.core.deps import Limit, Offset, SessionDep, require
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.specialist import service
from rhizo.clinic.specialist.models import SpecialistCreate, SpecialistRead, SpecialistUpdate

router = APIRouter(prefix="/specialists", tags=["specialists"])

Reader = Annotated[Actor, Depends(require(Permission.SPECIALIST_READ))]
Writer = Annotated[Actor, Depends(require(Permission.SPECIALIST_WRITE))]


@router.get("", response_model=Page[SpecialistRead])
def list_specialists(
    actor: Reader,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    active_only: bool = False,
) -> Page[SpecialistRead]:
    """Specialists by name."""
    rows, total = service.get_all(
        session=session, limit=limit, offset=offset, active_only=active_only
    )
    return Page[SpecialistRead](
        items=[SpecialistRead.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=SpecialistRead, status_code=status.HTTP_201_CREATED)
def create_specialist(actor: Writer, session: SessionDep, data: SpecialistCreate) -> SpecialistRead:
    """Add a specialist profile (admin)."""
    return SpecialistRead.model_validate(service.create(session=session, actor=actor, data=data))


@router.get("/{specialist_id}", response_model=SpecialistRead)
def get_specialist(actor: Reader, session: SessionDep, specialist_id: DbId) -> SpecialistRead:
    """One specialist profile."""
    return SpecialistRead.model_validate(service.get(session=session, specialist_id=specialist_id))


@router.patch("/{specialist_id}", response_model=SpecialistRead)
def update_specialist(
    actor: Writer, session: SessionDep, specialist_id: DbId, data: SpecialistUpdate
) -> SpecialistRead:
    """Change a specialist profile (admin)."""
    return SpecialistRead.model_validate(
        service.update(session=session, actor=actor, specialist_id=specialist_id, data=data)
    )
