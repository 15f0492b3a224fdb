"""Export one patient's record as FHIR R4; the export is audited as ``export``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import Condition
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.fhir.bundle import RecordRows, build_bundle
from rhizo.clinic.fhir.references import FhirJson
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient import records
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.specialist.models import Specialist

ENTITY = "fhir_bundle"


def _rows(session: Session, patient_id: int) -> RecordRows:
    patient = records.get_patient(session, patient_id)
    owned = records.rows_of_patient

    procedures = procedure_service.procedures_of_patient(session, patient_id)
    performer_ids = sorted({p.performer_id for p in procedures})
    performers = list(
        session.scalars(sa.select(Specialist).where(Specialist.id.in_(performer_ids)))
    )
    return RecordRows(
        patient=patient,
        conditions=owned(session, Condition, patient_id, Condition.id),
        blocks=owned(
            session, DiagnosticBlock, patient_id, DiagnosticBlock.performed_on, DiagnosticBlock.id
        ),
        procedures=procedures,
        followups=owned(session, FollowUp, patient_id, FollowUp.followed_on, FollowUp.id),
        complications=owned(
            session, Complication, patient_id, Complication.onset_date, Complication.id
        ),
        performers=performers,
    )


def patient_bundle(
    *, session: Session, actor: Actor, patient_id: int, identifier_system: str, now: datetime
) -> FhirJson:
    """The patient's record as a FHIR R4 Bundle; 404 when there is no such patient."""
    with transactions.transaction(session):
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
