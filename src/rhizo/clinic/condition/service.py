"""Conditions (ICD-10-CM diagnoses) and conservative-care trials of a patient."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.condition.models import (
    CareTrial,
    CareTrialCreate,
    CareTrialUpdate,
    Condition,
    ConditionCreate,
    ConditionUpdate,
)
from rhizo.clinic.core import transactions
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.patient import records

ENTITY = "condition"
TRIAL_ENTITY = "care_trial"


def create(*, session: Session, actor: Actor, patient_id: int, data: ConditionCreate) -> Condition:
    """Record a new condition for a patient."""
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=Condition,
        entity=ENTITY,
        patient_id=patient_id,
        values=data.model_dump(),
    )


def get(*, session: Session, actor: Actor, patient_id: int, condition_id: int) -> Condition:
    """One condition of a patient (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=Condition,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=condition_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[Condition], int]:
    """A page of a patient's conditions, oldest onset first (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=Condition,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(Condition.onset_date, Condition.id),
        limit=limit,
        offset=offset,
    )


def update(
    *, session: Session, actor: Actor, patient_id: int, condition_id: int, data: ConditionUpdate
) -> Condition:
    """Change a condition."""
    return records.update_for_patient(
        session=session,
        actor=actor,
        model=Condition,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=condition_id,
        changes=transactions.changes_of(data),
    )


def delete(*, session: Session, actor: Actor, patient_id: int, condition_id: int) -> None:
    """Delete a condition."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=Condition,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=condition_id,
    )


def create_trial(
    *, session: Session, actor: Actor, patient_id: int, data: CareTrialCreate
) -> CareTrial:
    """Record a conservative-care trial for a patient."""
    records.check_reference(session, Condition, data.condition_id, patient_id, "condition_id")
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=CareTrial,
        entity=TRIAL_ENTITY,
        patient_id=patient_id,
        values=data.model_dump(),
    )


def get_trial(*, session: Session, actor: Actor, patient_id: int, trial_id: int) -> CareTrial:
    """One conservative-care trial (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=CareTrial,
        entity=TRIAL_ENTITY,
        patient_id=patient_id,
        row_id=trial_id,
    )


def get_all_trials(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[CareTrial], int]:
    """A page of a patient's conservative-care trials, oldest first (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=CareTrial,
        entity=TRIAL_ENTITY,
        patient_id=patient_id,
        order_by=(CareTrial.start_date, CareTrial.id),
        limit=limit,
        offset=offset,
    )


def update_trial(
    *, session: Session, actor: Actor, patient_id: int, trial_id: int, data: CareTrialUpdate
) -> CareTrial:
    """Change a conservative-care trial (its end or its effect)."""
    changes = transactions.changes_of(data)
    trial = records.get_owned(session, CareTrial, trial_id, patient_id, TRIAL_ENTITY)
    end = changes.get("end_date", trial.end_date)
    if end is not None and end < trial.start_date:
        raise InvalidInputError(
            [
                FieldProblem(
                    "end_date",
                    end.isoformat(),
                    "after_start",
                    "end_date is before the trial's start_date",
                )
            ]
        )
    return records.update_for_patient(
        session=session,
        actor=actor,
        model=CareTrial,
        entity=TRIAL_ENTITY,
        patient_id=patient_id,
        row_id=trial_id,
        changes=changes,
    )


def delete_trial(*, session: Session, actor: Actor, patient_id: int, trial_id: int) -> None:
    """Delete a conservative-care trial."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=CareTrial,
        entity=TRIAL_ENTITY,
        patient_id=patient_id,
        row_id=trial_id,
    )
