"""Export one patient's record as FHIR R4; the export is audited as ``export``.

The rows come from the one reader of a patient's whole record
(:func:`rhizo.clinic.chart.reader.load_record`), read in the export's own
transaction; its ``export`` audit row is the only one the export writes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.chart.reader import load_record
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.fhir.bundle import build_bundle
from rhizo.clinic.fhir.references import FhirJson
from rhizo.clinic.schedule.models import Appointment, ClinicSession, Room
from rhizo.clinic.specialist.models import Specialist

ENTITY = "fhir_bundle"


def patient_bundle(
    *, session: Session, actor: Actor, patient_id: int, identifier_system: str, now: datetime
) -> FhirJson:
    """The patient's record as a FHIR R4 Bundle; 404 when there is no such patient."""
    with transactions.transaction(session):
        record = load_record(session, patient_id)
        appointments = session.scalars(
            sa.select(Appointment)
            .where(Appointment.patient_id == patient_id)
            .order_by(Appointment.starts_at, Appointment.id)
        ).all()
        session_ids = sorted({a.session_id for a in appointments if a.session_id is not None})
        sessions = session.scalars(
            sa.select(ClinicSession)
            .where(ClinicSession.id.in_(session_ids))
            .order_by(ClinicSession.id)
        ).all()
        room_ids = {a.room_id for a in appointments} | {s.room_id for s in sessions}
        rooms = session.scalars(
            sa.select(Room)
            .where(Room.id.in_(sorted(r for r in room_ids if r is not None)))
            .order_by(Room.id)
        ).all()
        performer_ids = sorted(
            {p.performer_id for p in record.procedures}
            | {a.specialist_id for a in appointments}
            | {s.specialist_id for s in sessions}
        )
        performers = session.scalars(
            sa.select(Specialist).where(Specialist.id.in_(performer_ids)).order_by(Specialist.id)
        ).all()
        bundle = build_bundle(
            record,
            performers=performers,
            identifier_system=identifier_system,
            now=now,
            appointments=appointments,
            sessions=sessions,
            rooms=rooms,
        )
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
