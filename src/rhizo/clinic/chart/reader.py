"""Read patients' whole records in a fixed number of queries; audit a read of one.

:func:`load_records` runs one ``SELECT`` for the patients and one per kind of
row (``WHERE patient_id IN (...)``), the lesions by ``selectinload``: twelve
statements whatever the number of patients or rows (``selectinload`` splits
more than 500 procedures into further batches of 500). It writes no audit
row: :func:`read_record` (the pages) audits one ``read`` of the patient in the
same transaction, and the exports (FHIR, research) call :func:`load_records`
inside their own transaction and audit the ``export``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from rhizo.clinic.allergy.models import Allergy
from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import NotFoundError
from rhizo.clinic.core.transactions import transaction
from rhizo.clinic.discharge.models import Discharge
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure

T = TypeVar("T")

#: The audit row of a whole-record read names the patient (as a read of the patient does).
ENTITY = "patient"


def _grouped(rows: Sequence[T], owner: str) -> dict[int, tuple[T, ...]]:
    grouped: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, owner)].append(row)
    return {key: tuple(value) for key, value in grouped.items()}


def _owned(
    session: Session, model: type[T], ids: Sequence[int], *order_by: Any
) -> dict[int, tuple[T, ...]]:
    """Every row of ``model`` of the patients ``ids``, grouped by patient, in ``order_by``."""
    owner = model.patient_id  # type: ignore[attr-defined]
    statement = sa.select(model).where(owner.in_(ids)).order_by(*order_by)
    return _grouped(session.scalars(statement).all(), "patient_id")


def load_records(session: Session, patient_ids: Sequence[int]) -> list[PatientRecord]:
    """The whole records of ``patient_ids`` (in that order; ids with no patient are left
    out), in twelve queries whatever the number of rows. Not audited: the caller audits
    the page or the export that shows them, in its transaction."""
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        return []
    patients = {p.id: p for p in session.scalars(sa.select(Patient).where(Patient.id.in_(ids)))}
    conditions = _owned(session, Condition, ids, Condition.id)
    trials = _owned(session, CareTrial, ids, CareTrial.start_date, CareTrial.id)
    blocks = _owned(session, DiagnosticBlock, ids, DiagnosticBlock.performed_on, DiagnosticBlock.id)
    medications = _owned(
        session, Medication, ids, Medication.started_on.nulls_first(), Medication.id
    )
    plans = _owned(session, Plan, ids, Plan.planned_date, Plan.id)
    procedures = _grouped(
        session.scalars(
            sa.select(Procedure)
            .options(selectinload(Procedure.lesions))
            .where(Procedure.patient_id.in_(ids))
            .order_by(Procedure.performed_at, Procedure.id)
        ).all(),
        "patient_id",
    )
    discharge_rows = session.execute(
        sa.select(Procedure.patient_id, Discharge)
        .join(Procedure, Procedure.id == Discharge.procedure_id)
        .where(Procedure.patient_id.in_(ids))
        .order_by(Discharge.discharged_at, Discharge.id)
    ).all()
    discharges: dict[int, list[Discharge]] = defaultdict(list)
    for patient_id, discharge in discharge_rows:
        discharges[patient_id].append(discharge)
    followups = _owned(session, FollowUp, ids, FollowUp.followed_on, FollowUp.id)
    complications = _owned(session, Complication, ids, Complication.onset_date, Complication.id)
    allergies = _owned(session, Allergy, ids, Allergy.recorded_on, Allergy.id)
    return [
        PatientRecord(
            patient=patients[pid],
            conditions=conditions.get(pid, ()),
            care_trials=trials.get(pid, ()),
            blocks=blocks.get(pid, ()),
            medications=medications.get(pid, ()),
            plans=plans.get(pid, ()),
            procedures=procedures.get(pid, ()),
            discharges=tuple(discharges.get(pid, ())),
            followups=followups.get(pid, ()),
            complications=complications.get(pid, ()),
            allergies=allergies.get(pid, ()),
        )
        for pid in ids
        if pid in patients
    ]


def load_record(session: Session, patient_id: int) -> PatientRecord:
    """One patient's whole record (not audited), or :class:`NotFoundError`."""
    found = load_records(session, [patient_id])
    if not found:
        raise NotFoundError("patient", patient_id)
    return found[0]


def read_record(
    *, session: Session, actor: Actor, patient_id: int, details: dict[str, Any] | None = None
) -> PatientRecord:
    """One patient's whole record, audited as one ``read`` of the patient (404 when there
    is no such patient: the refused read is audited by the API's error path); ``details``
    are added to the audit row's (a document download names its document)."""
    with transaction(session):
        record = load_record(session, patient_id)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            entity_id=patient_id,
            patient_id=patient_id,
            details={"whole_record": True, **(details or {})},
        )
    return record
