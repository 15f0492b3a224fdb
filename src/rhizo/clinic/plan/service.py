"""Pre-procedure plans. Holds come from :func:`rhizo.pathway.premed.plan_premedication`.

The patient's active medications are matched against the pathway's hold
rules; names it does not know are kept in ``unmatched_medications`` for the
clinician to decide, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient import records
from rhizo.clinic.plan.models import BleedingRisk, Plan, PlanCreate, PlanUpdate, Sedation
from rhizo.pathway.premed import RiskFactor, known_drugs, plan_premedication, procedures
from rhizo.pathway.premed_inputs import PremedInputError

ENTITY = "plan"
_RECOMPUTE = frozenset(
    {
        "planned_date",
        "sedation",
        "risk_factors",
        "diabetes",
        "implanted_device",
        "aspirin_indication",
        "egfr_ml_per_min",
        "inr",
        "stent_months",
        "dual_antiplatelet",
    }
)


def _compute(session: Session, plan: Plan) -> None:
    """Fill the plan's risk category, holds and instructions from the pathway."""
    active = session.scalars(
        sa.select(Medication.name)
        .where(Medication.patient_id == plan.patient_id, Medication.active.is_(True))
        .order_by(Medication.name)
    ).all()
    known = set(known_drugs())
    matched = [name for name in active if name.strip().lower() in known]
    try:
        premed = plan_premedication(
            procedure=plan.procedure,
            procedure_date=plan.planned_date,
            drugs=matched,
            sedation=plan.sedation is not Sedation.NONE,
            diabetes=plan.diabetes,
            implanted_device=plan.implanted_device,
            risk_factors=[RiskFactor(factor) for factor in plan.risk_factors],
            aspirin_indication=plan.aspirin_indication,
            egfr_ml_per_min=plan.egfr_ml_per_min,
            inr=plan.inr,
            stent_months=plan.stent_months,
            dual_antiplatelet=bool(plan.dual_antiplatelet),
        )
    except PremedInputError as error:
        raise InvalidInputError(
            [FieldProblem(error.field, error.value, "consistent_with_egfr", error.allowed)]
        ) from None
    plan.bleeding_risk = BleedingRisk(premed.risk_category.value)
    plan.warnings = [item.model_dump(mode="json") for item in premed.warnings]
    plan.holds = [hold.model_dump(mode="json") for hold in premed.holds]
    plan.unmatched_medications = [name for name in active if name not in matched]
    plan.instructions = [item.model_dump(mode="json") for item in premed.instructions]


def recomputed(*, session: Session, plan: Plan) -> Plan:
    """What ``plan`` would hold with the patient's active medications as they are now: a
    transient copy filled by the same computation as a save (:func:`_compute`), never
    added to the session, so nothing is written. The medications page shows it, so a drug
    added or stopped after the plan was saved shows its effect on the holds."""
    columns = {attr.key: getattr(plan, attr.key) for attr in sa.inspect(Plan).column_attrs}
    copy = Plan(**columns)
    _compute(session, copy)
    return copy


def create(*, session: Session, actor: Actor, patient_id: int, data: PlanCreate) -> Plan:
    """Plan a procedure: the pathway computes the holds from the active medications."""
    if data.procedure not in procedures():
        raise InvalidInputError(
            [
                FieldProblem(
                    "procedure",
                    data.procedure,
                    "known_procedure",
                    f"unknown procedure; known: {', '.join(procedures())}",
                )
            ]
        )
    with transactions.transaction(session):
        patient = records.get_patient(session, patient_id)
        records.check_after_birth(patient, {"planned_date": data.planned_date})
        values: dict[str, Any] = data.model_dump(mode="json")
        values["planned_date"] = data.planned_date
        plan = Plan(patient_id=patient_id, **values)
        _compute(session, plan)
        session.add(plan)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=plan.id,
            patient_id=patient_id,
            details={"holds": len(plan.holds)},
        )
    return plan


def get(*, session: Session, actor: Actor, patient_id: int, plan_id: int) -> Plan:
    """One plan (audited read)."""
    return records.read_for_patient(
        session=session,
        actor=actor,
        model=Plan,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=plan_id,
    )


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[Plan], int]:
    """A page of a patient's plans, newest first (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=Plan,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(Plan.planned_date.desc(), Plan.id.desc()),
        limit=limit,
        offset=offset,
    )


def update(
    *, session: Session, actor: Actor, patient_id: int, plan_id: int, data: PlanUpdate
) -> Plan:
    """Change a plan; the holds are recomputed when their inputs change."""
    changes = transactions.changes_of(data)
    if changes.get("risk_factors") is not None:
        changes["risk_factors"] = [RiskFactor(f).value for f in changes["risk_factors"]]
    with transactions.transaction(session):
        plan = records.get_owned(session, Plan, plan_id, patient_id, ENTITY)
        records.check_after_birth(records.get_patient(session, patient_id), changes)
        changed = transactions.apply_changes(plan, changes)
        if _RECOMPUTE.intersection(changed):
            _compute(session, plan)
            changed.append("holds")
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=plan_id,
            patient_id=patient_id,
            details={"fields": changed},
        )
    return plan


def delete(*, session: Session, actor: Actor, patient_id: int, plan_id: int) -> None:
    """Delete a plan."""
    records.delete_for_patient(
        session=session,
        actor=actor,
        model=Plan,
        entity=ENTITY,
        patient_id=patient_id,
        row_id=plan_id,
    )
