"""Discharge records, one per procedure."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.discharge.models import Discharge, DischargeCreate
from rhizo.clinic.patient import records
from rhizo.clinic.procedure.models import Procedure

ENTITY = "discharge"


def create(
    *, session: Session, actor: Actor, patient_id: int, procedure_id: int, data: DischargeCreate
) -> Discharge:
    """Record the discharge after a procedure."""
    with transactions.transaction(session):
        procedure = records.get_owned(session, Procedure, procedure_id, patient_id, "procedure")
        if data.discharged_at < procedure.performed_at:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "discharged_at",
                        data.discharged_at.isoformat(),
                        "after_procedure",
                        "discharge is before the procedure was performed",
                    )
                ]
            )
        if session.scalar(sa.select(Discharge.id).where(Discharge.procedure_id == procedure_id)):
            raise ConflictError(f"procedure {procedure_id} already has a discharge")
        discharge = Discharge(procedure_id=procedure_id, **data.model_dump())
        session.add(discharge)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=discharge.id,
            patient_id=patient_id,
        )
    return discharge


def get(*, session: Session, actor: Actor, patient_id: int, procedure_id: int) -> Discharge:
    """The discharge of a procedure (audited read)."""
    with transactions.transaction(session):
        records.get_owned(session, Procedure, procedure_id, patient_id, "procedure")
        discharge = session.scalar(
            sa.select(Discharge).where(Discharge.procedure_id == procedure_id)
        )
        if discharge is None:
            raise NotFoundError(ENTITY, f"of procedure {procedure_id}")
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            entity_id=discharge.id,
            patient_id=patient_id,
        )
    return discharge
