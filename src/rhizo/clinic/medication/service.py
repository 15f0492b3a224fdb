"""Medications of a patient."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError
from rhizo.clinic.core.conflicts import check_version
from rhizo.clinic.medication.models import (
    Medication,
    MedicationCreate,
    MedicationStop,
    MedicationUpdate,
)
from rhizo.clinic.patient import records

ENTITY = "medication"


def create(
    *, session: Session, actor: Actor, patient_id: int, data: MedicationCreate
) -> Medication:
    """Record a new medication for a patient."""
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=Medication,
        entity=ENTITY,
        patient_id=patient_id,
        values=data.model_dump(),
    )


def get(*, session: Session, actor: Actor, patient_id: int, medication_id: int) -> Medication:
    """One medication of a patient (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=Medication,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=medication_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[Medication], int]:
    """A page of a patient's medications, active first, by name (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=Medication,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(Medication.active.desc(), Medication.name, Medication.id),
        limit=limit,
        offset=offset,
    )


def update(
    *, session: Session, actor: Actor, patient_id: int, medication_id: int, data: MedicationUpdate
) -> Medication:
    """Change a medication."""
    return records.update_for_patient(
        session=session,
        actor=actor,
        model=Medication,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=medication_id,
        changes=transactions.changes_of(data),
    )


def stop(
    *, session: Session, actor: Actor, patient_id: int, medication_id: int, data: MedicationStop
) -> Medication:
    """Stop an active medication on ``data.stopped_on`` for ``data.stop_reason`` (audited).

    422 on ``stopped_on`` when it precedes the start; 409 when the medication is already
    stopped or the version is stale. A stopped medication no longer counts for a plan's
    holds (:func:`rhizo.clinic.plan.service.recomputed` reads the active ones).
    """
    with transactions.transaction(session):
        row = records.get_owned(session, Medication, medication_id, patient_id, ENTITY)
        check_version(row, data.version)
        if not row.active:
            raise ConflictError(f"{row.name} is already stopped")
        if row.started_on is not None and data.stopped_on < row.started_on:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "stopped_on",
                        data.stopped_on.isoformat(),
                        "not_before_start",
                        f"is before the start on {row.started_on.isoformat()}",
                    )
                ]
            )
        changed = transactions.apply_changes(
            row, {"stopped_on": data.stopped_on, "stop_reason": data.stop_reason, "active": False}
        )
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=medication_id,
            patient_id=patient_id,
            details={"fields": changed, "stopped": True},
        )
    return row


def delete(*, session: Session, actor: Actor, patient_id: int, medication_id: int) -> None:
    """Delete a medication."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=Medication,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=medication_id,
    )
