"""Specialist profiles (not patient data; changes are still audited)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, User
from rhizo.clinic.core.common import FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.specialist.models import Specialist, SpecialistCreate, SpecialistUpdate

ENTITY = "specialist"


def get(*, session: Session, specialist_id: int) -> Specialist:
    """One specialist, or :class:`NotFoundError`."""
    specialist = session.get(Specialist, specialist_id)
    if specialist is None:
        raise NotFoundError(ENTITY, specialist_id)
    return specialist


def get_all(
    *, session: Session, limit: int, offset: int, active_only: bool = False
) -> tuple[Sequence[Specialist], int]:
    """A page of specialists by name."""
    statement = sa.select(Specialist).order_by(Specialist.display_name, Specialist.id)
    if active_only:
        statement = statement.where(Specialist.active.is_(True))
    return transactions.page(session, statement, limit=limit, offset=offset)


def create(*, session: Session, actor: Actor, data: SpecialistCreate) -> Specialist:
    """Add a specialist profile."""
    with transactions.transaction(session):
        if data.user_id is not None and session.get(User, data.user_id) is None:
            raise InvalidInputError(
                [FieldProblem("user_id", data.user_id, "reference", "no such user")]
            )
        specialist = Specialist(**data.model_dump())
        session.add(specialist)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=specialist.id,
        )
    return specialist


def update(
    *, session: Session, actor: Actor, specialist_id: int, data: SpecialistUpdate
) -> Specialist:
    """Change a specialist profile."""
    with transactions.transaction(session):
        specialist = get(session=session, specialist_id=specialist_id)
        changed = transactions.apply_changes(specialist, transactions.changes_of(data))
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=specialist_id,
            details={"fields": changed},
        )
    return specialist
