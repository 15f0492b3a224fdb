"""Follow-ups: outcome measurements over time, including patients' diary entries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.followup.models import FollowUp, FollowUpCreate, FollowUpSource, FollowUpUpdate
from rhizo.clinic.patient import records
from rhizo.clinic.procedure.models import Procedure

ENTITY = "followup"


def create(*, session: Session, actor: Actor, patient_id: int, data: FollowUpCreate) -> FollowUp:
    """Record a follow-up; a patient's own entry is always stored as a diary entry."""
    records.check_reference(session, Procedure, data.procedure_id, patient_id, "procedure_id")
    values = data.model_dump()
    if actor.role is Role.PATIENT:
        values["source"] = FollowUpSource.DIARY
    values["pgic"] = None if data.pgic is None else int(data.pgic)
    return records.create_for_patient(
        session=session,
        actor=actor,
        model=FollowUp,
        entity=ENTITY,
        patient_id=patient_id,
        values=values,
    )


def get(*, session: Session, actor: Actor, patient_id: int, followup_id: int) -> FollowUp:
    """One follow-up (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=FollowUp,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=followup_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[FollowUp], int]:
    """A page of a patient's follow-ups, oldest first (the pain trajectory; audited)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=FollowUp,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(FollowUp.followed_on, FollowUp.id),
        limit=limit,
        offset=offset,
    )


def update(
    *, session: Session, actor: Actor, patient_id: int, followup_id: int, data: FollowUpUpdate
) -> FollowUp:
    """Correct a follow-up."""
    changes = transactions.changes_of(data)
    if changes.get("pgic") is not None:
        changes["pgic"] = int(changes["pgic"])
    return records.update_for_patient(
        session=session,
        actor=actor,
        model=FollowUp,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=followup_id,
        changes=changes,
    )


def delete(*, session: Session, actor: Actor, patient_id: int, followup_id: int) -> None:
    """Delete a follow-up."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=FollowUp,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=followup_id,
    )
