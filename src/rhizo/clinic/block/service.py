"""Diagnostic blocks and the relief they gave."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.block.models import BlockCreate, BlockUpdate, DiagnosticBlock
from rhizo.clinic.core import transactions
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.patient import records

ENTITY = "block"


def create(
    *, session: Session, actor: Actor, patient_id: int, data: BlockCreate
) -> DiagnosticBlock:
    """Record a new block for a patient."""
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=DiagnosticBlock,
        entity=ENTITY,
        patient_id=patient_id,
        values=data.model_dump(),
    )


def get(*, session: Session, actor: Actor, patient_id: int, block_id: int) -> DiagnosticBlock:
    """One block of a patient (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=DiagnosticBlock,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=block_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[DiagnosticBlock], int]:
    """A page of a patient's blocks, newest first (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=DiagnosticBlock,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(DiagnosticBlock.performed_on.desc(), DiagnosticBlock.id.desc()),
        limit=limit,
        offset=offset,
    )


def update(
    *, session: Session, actor: Actor, patient_id: int, block_id: int, data: BlockUpdate
) -> DiagnosticBlock:
    """Change a block."""
    return records.update_for_patient(
        session=session,
        actor=actor,
        model=DiagnosticBlock,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=block_id,
        changes=transactions.changes_of(data),
    )


def delete(*, session: Session, actor: Actor, patient_id: int, block_id: int) -> None:
    """Delete a block."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=DiagnosticBlock,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=block_id,
    )
