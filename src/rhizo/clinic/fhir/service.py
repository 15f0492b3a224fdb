"""Export one patient's record as FHIR R4; the export is audited as ``export``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from rhizo.clinic import records
from rhizo.clinic.audit import service as audit
from rhizo.clinic.audit.models import AuditAction
from rhizo.clinic.auth.models import Actor
from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import Condition
from rhizo.clinic.fhir.bundle import RecordRows, build_bundle
from rhizo.clinic.fhir.references import FhirJson
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.models import Specialist

ENTITY = "fhir_bundle"


def _rows(session: Session, patient_id: int) -> RecordRows:
    patient = records.get_patient(session, patient_id)

    def owned(model: type, *order: sa.ColumnElement[object]) -> list[object]:
        owner = model.patient_id  # type: ignore[attr-defined]
        return list(session.scalars(sa.select(model).where(owner == patient_id).order_by(*order)))

    procedures = list(
        session.scalars(
            sa.select(Procedure)
            .options(selectinload(Procedure.lesions))
            .where(Procedure.patient_id == patient_id)
            .order_by(Procedure.performed_at, Procedure.id)
        )
    )
    performer_ids = sorted({p.performer_id for p in procedures})
    performers = list(
        session.scalars(sa.select(Specialist).where(Specialist.id.in_(performer_ids)))
    )
    return RecordRows(
        patient=patient,
        conditions=owned(Condition, Condition.id),  # type: ignore[arg-type]
        blocks=owned(DiagnosticBlock, DiagnosticBlock.performed_on, DiagnosticBlock.id),  # type: ignore[arg-type]
        procedures=procedures,
        followups=owned(FollowUp, FollowUp.followed_on, FollowUp.id),  # type: ignore[arg-type]
        complications=owned(Complication, Complication.onset_date, Complication.id),  # type: ignore[arg-type]
        performers=performers,
    )


def patient_bundle(
    *, session: Session, actor: Actor, patient_id: int, identifier_system: str, now: datetime
) -> FhirJson:
    """The patient's record as a FHIR R4 Bundle; 404 when there is no such patient."""
    with records.transaction(session):
        rows = _rows(session, patient_id)
        bundle = build_bundle(rows, identifier_system=identifier_system, now=now)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.EXPORT,
            entity_type=ENTITY,
            entity_id=patient_id,
            patient_id=patient_id,
            details={"format": "FHIR R4 JSON", "entries": len(bundle["entry"])},
        )
    return bundle
