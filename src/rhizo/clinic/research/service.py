"""Export de-identified cases; every exported patient leaves an audit row.

The rows come from the one reader of a patient's whole record
(:func:`rhizo.clinic.chart.reader.load_records`: one page of patients in a
fixed number of queries). A procedure's day is the clinic's calendar day
(:func:`rhizo.pathway.clinic_day.procedure_day`), as on the patient page.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.chart.reader import load_records
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure import prediction
from rhizo.clinic.procedure.models import Lesion
from rhizo.clinic.research.models import DeidCase, DeidEvent
from rhizo.pathway.clinic_day import procedure_day

ENTITY = "deidentified_case"
AGE_POOL = 90


def research_id(patient_id: int, pseudonym_key: str) -> str:
    """A stable pseudonym: HMAC-SHA256 of ``patient:<id>`` under ``RHIZO_PSEUDONYM_KEY``
    (first 20 hex digits, 80 bits), which cannot be turned back into the id without
    that key. The key is not the token-signing key (:mod:`rhizo.clinic.core.config`)."""
    digest = hmac.new(pseudonym_key.encode(), f"patient:{patient_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def _prediction(lesion: Lesion) -> dict[str, object]:
    """A lesion's parameters and its predicted capture (the record link): a model
    estimate, stored when the lesion was recorded; None where there was none. The
    nerve goes out only as a name the planner knows (free text could identify)."""
    return {
        "target_nerve": prediction.known_nerve(lesion.target_nerve),
        "side": lesion.side.value,
        "performed": lesion.performed,
        "gauge": lesion.gauge,
        "tip_length_mm": lesion.tip_length_mm,
        "set_temperature_c": lesion.set_temperature_c,
        "duration_s": lesion.duration_s,
        "placement": None if lesion.placement is None else lesion.placement.value,
        "predicted_capture_probability": lesion.predicted_capture_probability,
        "predicted_coagulated_length_mm": lesion.predicted_coagulated_length_mm,
        "prediction_model": lesion.prediction_model,
        "prediction_note": lesion.prediction_note,
    }


def _events(record: PatientRecord, zone: tzinfo) -> list[tuple[date, str, dict[str, object]]]:
    """The record's dated events, undated: (day, kind, values) with no names or ids."""
    raw: list[tuple[date, str, dict[str, object]]] = [
        (
            b.performed_on,
            "block",
            {"type": b.block_type.value, "levels": b.levels, "relief_percent": b.relief_percent},
        )
        for b in record.blocks
    ]
    raw += [
        (
            procedure_day(p.performed_at, zone),
            "procedure",
            {
                "technique": p.technique.value,
                "region": p.region.value,
                "levels": p.levels,
                "status": p.status.value,
                "lesions": sum(1 for lesion in p.lesions if lesion.performed),
                "lesion_predictions": [_prediction(lesion) for lesion in p.lesions],
            },
        )
        for p in record.procedures
    ]
    raw += [
        (f.followed_on, "followup", {"nrs": f.nrs, "odi": f.odi, "pgic": f.pgic})
        for f in record.followups
    ]
    raw += [
        (c.onset_date, "complication", {"type": c.type.value, "severity": c.severity.value})
        for c in record.complications
    ]
    return raw


def deidentified_case(
    record: PatientRecord, *, pseudonym_key: str, today: date, zone: tzinfo
) -> DeidCase:
    """One patient's record, de-identified: events as day offsets from the first
    procedure's clinic day (or from the first event when there was none)."""
    patient = record.patient
    raw = _events(record, zone)
    procedure_days = [procedure_day(p.performed_at, zone) for p in record.procedures]
    anchor = min(procedure_days or [d for d, _, _ in raw] or [today])
    age = today.year - patient.birth_date.year
    return DeidCase(
        research_id=research_id(patient.id, pseudonym_key),
        birth_year=None if age >= AGE_POOL else patient.birth_date.year,
        age_90_or_over=age >= AGE_POOL,
        sex=patient.sex.value,
        synthetic=patient.synthetic,
        conditions=sorted({c.icd10_code for c in record.conditions}),
        events=[
            DeidEvent(day=(d - anchor).days, kind=k, values=v)
            for d, k, v in sorted(raw, key=lambda e: (e[0], e[1]))
        ],
    )


def export(
    *,
    session: Session,
    actor: Actor,
    pseudonym_key: str,
    limit: int,
    offset: int,
    today: date,
    zone: tzinfo,
) -> tuple[list[DeidCase], int]:
    """A page of de-identified cases, in a stable order (``zone``: the clinic's, whose
    calendar day a procedure counts from)."""
    with transactions.transaction(session):
        patients, total = transactions.page(
            session, sa.select(Patient).order_by(Patient.id), limit=limit, offset=offset
        )
        cases = []
        for record in load_records(session, [p.id for p in patients]):
            cases.append(
                deidentified_case(record, pseudonym_key=pseudonym_key, today=today, zone=zone)
            )
            audit.record(
                session=session,
                actor=actor,
                action=AuditAction.EXPORT,
                entity_type=ENTITY,
                entity_id=record.patient.id,
                patient_id=record.patient.id,
            )
    return cases, total
