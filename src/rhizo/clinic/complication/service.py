"""Complications, checked against the patient's own procedures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.complication.models import Complication, ComplicationCreate, ComplicationUpdate
from rhizo.clinic.core import transactions
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.patient import records
from rhizo.clinic.procedure.models import Procedure

ENTITY = "complication"


def create(
    *, session: Session, actor: Actor, patient_id: int, data: ComplicationCreate
) -> Complication:
    """Record a new complication for a patient."""
    records.check_reference(session, Procedure, data.procedure_id, patient_id, "procedure_id")
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=Complication,
        entity=ENTITY,
        patient_id=patient_id,
        values=data.model_dump(),
    )


def get(*, session: Session, actor: Actor, patient_id: int, complication_id: int) -> Complication:
    """One complication of a patient (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=Complication,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=complication_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[Complication], int]:
    """A page of a patient's complications, newest first (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=Complication,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(Complication.onset_date.desc(), Complication.id.desc()),
        limit=limit,
        offset=offset,
    )


def update(
    *,
    session: Session,
    actor: Actor,
    patient_id: int,
    complication_id: int,
    data: ComplicationUpdate,
) -> Complication:
    """Change a complication; a resolution dated before the onset is refused (422)."""
    stored = session.get(Complication, complication_id)
    if (
        data.resolved_on is not None
        and stored is not None
        and stored.patient_id == patient_id
        and data.resolved_on < stored.onset_date
    ):
        raise InvalidInputError(
            [
                FieldProblem(
                    field="resolved_on",
                    value=data.resolved_on.isoformat(),
                    rule="resolved_after_onset",
                    message=(
                        f"{data.resolved_on.isoformat()} is before the onset "
                        f"({stored.onset_date.isoformat()}); a complication resolves on or "
                        "after the day it began"
                    ),
                )
            ]
        )
    return records.update_for_patient(
        session=session,
        actor=actor,
        model=Complication,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=complication_id,
        changes=transactions.changes_of(data),
    )


def delete(*, session: Session, actor: Actor, patient_id: int, complication_id: int) -> None:
    """Delete a complication."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=Complication,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=complication_id,
    )
