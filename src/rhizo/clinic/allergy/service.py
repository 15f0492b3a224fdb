"""A patient's allergies: record, list, read, mark entered in error (every touch audited)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.allergy.models import (
    Allergy,
    AllergyCategory,
    AllergyCreate,
    AllergyEnteredInError,
)
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError
from rhizo.clinic.core.conflicts import check_version
from rhizo.clinic.patient import records

ENTITY = "allergy"
#: The message of an ``other`` allergy without its substance (the form shows it inline).
OTHER_NEEDS_SUBSTANCE = "name the substance when the category is 'other'"


def create(*, session: Session, actor: Actor, patient_id: int, data: AllergyCreate) -> Allergy:
    """Record an allergy; ``other`` must name its substance (422 on ``substance``)."""
    if data.category is AllergyCategory.OTHER and data.substance is None:
        raise InvalidInputError(
            [FieldProblem("substance", None, "required_for_other", OTHER_NEEDS_SUBSTANCE)]
        )
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=Allergy,
        entity=ENTITY,
        patient_id=patient_id,
        values=data.model_dump(),
    )


def get(*, session: Session, actor: Actor, patient_id: int, allergy_id: int) -> Allergy:
    """One allergy of a patient (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=Allergy,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=allergy_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[Allergy], int]:
    """A page of a patient's allergies, current first, then newest recorded (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=Allergy,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(Allergy.entered_in_error, Allergy.recorded_on.desc(), Allergy.id.desc()),
        limit=limit,
        offset=offset,
    )


def mark_entered_in_error(
    *, session: Session, actor: Actor, patient_id: int, allergy_id: int, data: AllergyEnteredInError
) -> Allergy:
    """Mark an allergy as recorded by mistake, with the reason (409 if already marked or the
    version is stale). The row stays in the record; it stops counting for candidacy and the
    procedure warning (:mod:`rhizo.clinic.allergy.relevance`)."""
    with transactions.transaction(session):
        row = records.get_owned(session, Allergy, allergy_id, patient_id, ENTITY)
        check_version(row, data.version)
        if row.entered_in_error:
            raise ConflictError(f"allergy {allergy_id} is already marked entered in error")
        changed = transactions.apply_changes(
            row, {"entered_in_error": True, "error_reason": data.reason}
        )
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=allergy_id,
            patient_id=patient_id,
            details={"fields": changed, "entered_in_error": True},
        )
    return row
