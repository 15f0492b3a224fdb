"""The one reader of a patient's whole record: every row, in order, in a fixed number of
queries, audited once (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.clinic.conftest import count
from tests.clinic.factories import make_patient, make_specialist

from rhizo.clinic.allergy.models import Allergy, AllergyCategory, AllergySeverity
from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.chart.reader import load_records, read_record
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import NotFoundError
from rhizo.clinic.discharge.models import Discharge, Disposition
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import BleedingRisk, Plan, Sedation
from rhizo.clinic.procedure.models import (
    Lesion,
    LesionSide,
    Procedure,
    ProcedureStatus,
    Technique,
)

#: One SELECT for the patients and one per kind of row (lesions by selectinload).
QUERIES = 12
ACTOR = Actor(user_id=None, username="chart-tests", role=Role.CLINICIAN)


@contextmanager
def selects(engine: Engine) -> Iterator[list[str]]:
    """The SELECT statements the engine runs inside the block."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def fill(session: Session, patient: Patient, n: int) -> None:
    """``n`` rows of every kind (procedures with ``n`` lesions and a discharge each), the
    dates given in reverse of insertion so the reader's ordering shows."""
    performer = make_specialist(session)
    day = date(2024, 1, 1)
    for i in range(n):
        on = day + timedelta(days=10 * (n - i))
        at = datetime(on.year, on.month, on.day, 9, 0, tzinfo=UTC)
        session.add_all(
            [
                Condition(
                    patient_id=patient.id, icd10_code="M47.816", description=f"c{i}", onset_date=on
                ),
                CareTrial(patient_id=patient.id, modality="physiotherapy", start_date=on),
                DiagnosticBlock(
                    patient_id=patient.id,
                    performed_on=on,
                    block_type="medial_branch",
                    levels=["L4-L5"],
                    side="right",
                    agent="lidocaine",
                    volume_ml=0.5,
                    baseline_nrs=7,
                    relief_percent=80,
                ),
                Medication(patient_id=patient.id, name=f"drug{i}", started_on=on),
                Allergy(
                    patient_id=patient.id,
                    category=AllergyCategory.LATEX,
                    severity=AllergySeverity.MILD,
                    recorded_on=on,
                ),
                Plan(
                    patient_id=patient.id,
                    procedure="lumbar-facet-rf",
                    planned_date=on,
                    side="right",
                    levels=["L4-L5"],
                    sedation=Sedation.NONE,
                    bleeding_risk=BleedingRisk.LOW,
                ),
                FollowUp(patient_id=patient.id, followed_on=on, nrs=i % 11, source="clinic"),
                Complication(
                    patient_id=patient.id, type="neuritis", severity="mild", onset_date=on
                ),
            ]
        )
        procedure = Procedure(
            patient_id=patient.id,
            performer_id=performer.id,
            performed_at=at,
            technique=Technique.CONVENTIONAL,
            region="lumbar",
            side="right",
            levels=["L4-L5"],
            sedation=Sedation.NONE,
            status=ProcedureStatus.COMPLETED,
        )
        procedure.lesions = [
            Lesion(
                ordinal=k + 1,
                target_nerve=f"L{k} medial branch",
                side=LesionSide.RIGHT,
                performed=True,
                local_anaesthetic_given=True,
                gate_proceed=True,
                gate_findings=[],
            )
            for k in reversed(range(n))
        ]
        session.add(procedure)
        session.flush()
        session.add(
            Discharge(
                procedure_id=procedure.id,
                discharged_at=at + timedelta(hours=3),
                disposition=Disposition.HOME,
                escort_present=True,
                instructions_given=True,
            )
        )
    session.commit()


def test_every_row_in_order_in_a_fixed_number_of_queries(session: Session, engine: Engine) -> None:
    small, large = make_patient(session), make_patient(session)
    fill(session, small, 1)
    fill(session, large, 6)
    counts = []
    for ids in ([large.id], [small.id], [large.id, small.id]):
        session.expunge_all()  # nothing from the identity map: every row comes from SQL
        with selects(engine) as seen:
            records = load_records(session, ids)
            lesions = [les.id for r in records for p in r.procedures for les in p.lesions]
            assert len(lesions) == sum(len(r.procedures) ** 2 for r in records)
        counts.append(len(seen))
    record = records[0]
    assert counts == [QUERIES] * 3  # the lesions were read with their procedures
    assert [r.patient.id for r in records] == [large.id, small.id]

    kinds: dict[str, tuple[Any, Any]] = {
        "conditions": (Condition, lambda r: r.id),
        "care_trials": (CareTrial, lambda r: (r.start_date, r.id)),
        "blocks": (DiagnosticBlock, lambda r: (r.performed_on, r.id)),
        "medications": (Medication, lambda r: (r.started_on, r.id)),
        "plans": (Plan, lambda r: (r.planned_date, r.id)),
        "procedures": (Procedure, lambda r: (r.performed_at, r.id)),
        "followups": (FollowUp, lambda r: (r.followed_on, r.id)),
        "complications": (Complication, lambda r: (r.onset_date, r.id)),
        "allergies": (Allergy, lambda r: (r.recorded_on, r.id)),
    }
    for name, (model, key) in kinds.items():
        rows = getattr(record, name)
        stored = session.scalars(sa.select(model).where(model.patient_id == large.id)).all()
        assert {r.id for r in rows} == {r.id for r in stored}, name
        assert list(rows) == sorted(rows, key=key), name
        assert len(rows) == 6
    days = [p.performed_at for p in record.procedures]
    assert days == sorted(days)
    for procedure in record.procedures:
        assert [les.ordinal for les in procedure.lesions] == list(range(1, 7))
        discharge = record.discharge_of(procedure.id)
        assert discharge is not None
        assert discharge.procedure_id == procedure.id
    stored_discharges = session.scalars(
        sa.select(Discharge.id).join(Procedure).where(Procedure.patient_id == large.id)
    ).all()
    assert sorted(d.id for d in record.discharges) == sorted(stored_discharges)


def test_read_is_audited_once_and_loading_not_at_all(session: Session) -> None:
    patient = make_patient(session)
    fill(session, patient, 2)
    where = (AuditEvent.patient_id == patient.id,)
    before = count(session, AuditEvent, *where)
    load_records(session, [patient.id])
    assert count(session, AuditEvent, *where) == before
    record = read_record(session=session, actor=ACTOR, patient_id=patient.id)
    assert record.patient.id == patient.id
    (row,) = session.scalars(
        sa.select(AuditEvent).where(*where).order_by(AuditEvent.id.desc()).limit(1)
    ).all()
    assert count(session, AuditEvent, *where) == before + 1
    assert (row.action, row.entity_type, row.entity_id) == (
        AuditAction.READ,
        "patient",
        str(patient.id),
    )


def test_a_missing_patient_is_not_found(session: Session) -> None:
    missing = (session.scalar(sa.select(sa.func.max(Patient.id))) or 0) + 1000
    with pytest.raises(NotFoundError, match=str(missing)):
        read_record(session=session, actor=ACTOR, patient_id=missing)
    assert load_records(session, [missing]) == []
