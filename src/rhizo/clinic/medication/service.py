"""Medications of a patient."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.medication.models import Medication, MedicationCreate, MedicationUpdate
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
