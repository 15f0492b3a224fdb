"""Export de-identified cases; every exported patient leaves an audit row."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import Condition
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.research.models import DeidCase, DeidEvent

T = TypeVar("T")

ENTITY = "deidentified_case"
AGE_POOL = 90


def research_id(patient_id: int, pseudonym_key: str) -> str:
    """A stable pseudonym: HMAC-SHA256 of ``patient:<id>`` under ``RHIZO_PSEUDONYM_KEY``
    (first 20 hex digits, 80 bits), which cannot be turned back into the id without
    that key. The key is not the token-signing key (:mod:`rhizo.clinic.core.config`)."""
    digest = hmac.new(pseudonym_key.encode(), f"patient:{patient_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _by_patient(rows: Sequence[T]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        grouped[row.patient_id].append(row)  # type: ignore[attr-defined]
    return grouped


def export(
    *,
    session: Session,
    actor: Actor,
    pseudonym_key: str,
    limit: int,
    offset: int,
    today: date,
) -> tuple[list[DeidCase], int]:
    """A page of de-identified cases, in a stable order."""
    with transactions.transaction(session):
        patients, total = transactions.page(
            session, sa.select(Patient).order_by(Patient.id), limit=limit, offset=offset
        )
        ids = [p.id for p in patients]
        conditions = _by_patient(
            session.scalars(sa.select(Condition).where(Condition.patient_id.in_(ids))).all()
        )
        blocks = _by_patient(
            session.scalars(
                sa.select(DiagnosticBlock).where(DiagnosticBlock.patient_id.in_(ids))
            ).all()
        )
        procedures = _by_patient(
            session.scalars(sa.select(Procedure).where(Procedure.patient_id.in_(ids))).all()
        )
        followups = _by_patient(
            session.scalars(sa.select(FollowUp).where(FollowUp.patient_id.in_(ids))).all()
        )
        complications = _by_patient(
            session.scalars(sa.select(Complication).where(Complication.patient_id.in_(ids))).all()
        )
        lesion_counts = dict(
            session.execute(
                sa.select(Lesion.procedure_id, sa.func.count())
                .join(Procedure, Procedure.id == Lesion.procedure_id)
                .where(Procedure.patient_id.in_(ids), Lesion.performed.is_(True))
                .group_by(Lesion.procedure_id)
            ).all()
        )
        cases = []
        for patient in patients:
            raw: list[tuple[date, str, dict[str, object]]] = []
            raw += [
                (
                    b.performed_on,
                    "block",
                    {
                        "type": b.block_type.value,
                        "levels": b.levels,
                        "relief_percent": b.relief_percent,
                    },
                )
                for b in blocks[patient.id]
            ]
            raw += [
                (
                    _day(p.performed_at),
                    "procedure",
                    {
                        "technique": p.technique.value,
                        "region": p.region.value,
                        "levels": p.levels,
                        "status": p.status.value,
                        "lesions": lesion_counts.get(p.id, 0),
                    },
                )
                for p in procedures[patient.id]
            ]
            raw += [
                (f.followed_on, "followup", {"nrs": f.nrs, "odi": f.odi, "pgic": f.pgic})
                for f in followups[patient.id]
            ]
            raw += [
                (c.onset_date, "complication", {"type": c.type.value, "severity": c.severity.value})
                for c in complications[patient.id]
            ]
            procedure_days = [_day(p.performed_at) for p in procedures[patient.id]]
            anchor = min(procedure_days or [d for d, _, _ in raw] or [today])
            age = today.year - patient.birth_date.year
            cases.append(
                DeidCase(
                    research_id=research_id(patient.id, pseudonym_key),
                    birth_year=None if age >= AGE_POOL else patient.birth_date.year,
                    age_90_or_over=age >= AGE_POOL,
                    sex=patient.sex.value,
                    synthetic=patient.synthetic,
                    conditions=sorted({c.icd10_code for c in conditions[patient.id]}),
                    events=[
                        DeidEvent(day=(d - anchor).days, kind=k, values=v)
                        for d, k, v in sorted(raw, key=lambda e: (e[0], e[1]))
                    ],
                )
            )
            audit.record(
                session=session,
                actor=actor,
                action=AuditAction.EXPORT,
                entity_type=ENTITY,
                entity_id=patient.id,
                patient_id=patient.id,
            )
    return cases, total
