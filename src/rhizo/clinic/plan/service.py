"""Pre-procedure plans. Holds come from :func:`rhizo.pathway.premed.plan_premedication`.

The patient's active medications are matched against the pathway's hold
rules; names it does not know are kept in ``unmatched_medications`` for the
clinician to decide, never silently dropped. :func:`_compute` is the one path
from a plan's inputs to its holds, warnings and instructions: a new plan and an
edited one go through it once each.

Status moves follow :mod:`rhizo.clinic.plan.lifecycle`: :func:`update` schedules
and cancels (409 for a move the table refuses, 422 for a cancellation without
its reason); :func:`mark_done` is called by the procedure service, inside its
own write transaction, when a completed procedure is recorded from the plan;
:func:`reopen_for_deleted_procedure` undoes that when the procedure is deleted
as recorded in error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.core.conflicts import VERSION_FIELD, check_version
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient import records
from rhizo.clinic.plan import lifecycle
from rhizo.clinic.plan.lifecycle import PlanStatus, PlanTransitionError
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


def _cancel_problem(message: str, value: object = None) -> InvalidInputError:
    return InvalidInputError([FieldProblem("cancel_reason", value, "cancel_reason", message)])


def _move(plan: Plan, wanted: PlanStatus, reason: str | None, actor: Actor) -> None:
    """Move ``plan`` to ``wanted`` (schedule or cancel) after the lifecycle table allows it."""
    lifecycle.check_transition(plan.status, wanted)
    if wanted is PlanStatus.DONE:
        raise PlanTransitionError(
            plan.status,
            wanted,
            "a plan becomes done only when a completed procedure is recorded from it "
            "(the procedure's plan_id); it is not set by hand",
        )
    if wanted is PlanStatus.CANCELLED:
        if reason is None:
            raise _cancel_problem(
                f"required to cancel: say why ({lifecycle.REASON_MIN_CHARS}-"
                f"{lifecycle.REASON_MAX_CHARS} characters)"
            )
        plan.cancel_reason = reason
        plan.cancelled_by = actor.username
        plan.cancelled_at = utcnow()
    plan.status = wanted


def update(
    *, session: Session, actor: Actor, patient_id: int, plan_id: int, data: PlanUpdate
) -> Plan:
    """Edit a draft or scheduled plan and/or move its status (schedule, cancel).

    The holds are recomputed once when their inputs change. Order of refusals: a
    stale ``version`` (409), an edit of a done or cancelled plan (409), a move
    the lifecycle table refuses (409), a cancellation without a reason or a
    reason without a cancellation (422). A status equal to the current one is
    no move. Nothing is written unless everything passes.
    """
    changes = transactions.changes_of(data)
    wanted = changes.pop("status", None)
    reason = changes.pop("cancel_reason", None)
    if changes.get("risk_factors") is not None:
        changes["risk_factors"] = [RiskFactor(f).value for f in changes["risk_factors"]]
    with transactions.transaction(session):
        plan = records.get_owned(session, Plan, plan_id, patient_id, ENTITY)
        if VERSION_FIELD in changes:
            check_version(plan, changes[VERSION_FIELD])
        before = plan.status
        if set(changes) - {VERSION_FIELD}:
            lifecycle.check_editable(before)
        moving = wanted is not None and PlanStatus(wanted) is not before
        if reason is not None and not (moving and PlanStatus(wanted) is PlanStatus.CANCELLED):
            raise _cancel_problem("a reason is given only with status 'cancelled'", reason)
        records.check_after_birth(records.get_patient(session, patient_id), changes)
        changed = transactions.apply_changes(plan, changes)
        if _RECOMPUTE.intersection(changed):
            _compute(session, plan)
            changed.append("holds")
        details: dict[str, Any] = {}
        if moving:
            _move(plan, PlanStatus(wanted), reason, actor)
            changed.append("status")
            details = {"from": before.value, "to": plan.status.value}
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=plan_id,
            patient_id=patient_id,
            details={"fields": changed, **details},
        )
    return plan


def mark_done(
    *, session: Session, actor: Actor, patient_id: int, plan_id: int, procedure_id: int
) -> Plan:
    """The plan a completed procedure carried out becomes ``done`` and names it.

    Runs inside the caller's write transaction (the procedure service's), so the
    procedure and the plan's new status are stored together or not at all. A
    plan already done or cancelled is refused on ``plan_id`` (422): the clinician
    chooses another plan, or none.
    """
    plan = records.get_owned(session, Plan, plan_id, patient_id, ENTITY)
    if not lifecycle.allowed(plan.status, PlanStatus.DONE):
        raise InvalidInputError(
            [
                FieldProblem(
                    "plan_id",
                    plan_id,
                    "plan_open",
                    f"plan {plan_id} is {plan.status.value}: a {plan.status.value} plan cannot "
                    "become done; choose a draft or scheduled plan, or none",
                )
            ]
        )
    before = plan.status
    plan.status = PlanStatus.DONE
    plan.procedure_id = procedure_id
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity_type=ENTITY,
        entity_id=plan_id,
        patient_id=patient_id,
        details={
            "fields": ["status", "procedure_id"],
            "from": before.value,
            "to": PlanStatus.DONE.value,
            "procedure_id": procedure_id,
        },
    )
    return plan


def reopen_for_deleted_procedure(
    *, session: Session, actor: Actor, patient_id: int, procedure_id: int
) -> None:
    """Plans done by ``procedure_id`` go back to ``scheduled`` (the procedure is being
    deleted as recorded in error; a correction, not a lifecycle move). Runs inside
    the caller's transaction."""
    plans = session.scalars(
        sa.select(Plan).where(Plan.patient_id == patient_id, Plan.procedure_id == procedure_id)
    ).all()
    for plan in plans:
        plan.status = PlanStatus.SCHEDULED
        plan.procedure_id = None
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=plan.id,
            patient_id=patient_id,
            details={
                "fields": ["status", "procedure_id"],
                "from": PlanStatus.DONE.value,
                "to": PlanStatus.SCHEDULED.value,
                "procedure_deleted": procedure_id,
            },
        )


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


def schedule_for_day(
    *, session: Session, actor: Actor, patient_id: int, plan_id: int, day: date
) -> Plan:
    """An RF day booked for the plan: its ``planned_date`` becomes ``day``, the holds and
    instructions are recomputed by the one computation (:func:`_compute`) and a draft plan
    moves to ``scheduled`` (the lifecycle table; a scheduled plan stays scheduled).

    Runs inside the caller's write transaction (the booking's, via
    :mod:`rhizo.clinic.schedule.effects`), so the appointment and the plan's new day are
    stored together or not at all. A done or cancelled plan is refused on ``plan_id`` (422).
    """
    plan = records.get_owned(session, Plan, plan_id, patient_id, ENTITY)
    if plan.status not in lifecycle.EDITABLE:
        raise InvalidInputError(
            [
                FieldProblem(
                    "plan_id",
                    plan_id,
                    "plan_open",
                    f"plan {plan_id} is {plan.status.value}: only a draft or scheduled plan "
                    "can be given an RF day; choose another plan, or none",
                )
            ]
        )
    before = plan.status
    changed = []
    if plan.planned_date != day:
        plan.planned_date = day
        changed.append("planned_date")
    _compute(session, plan)
    changed.append("holds")
    if lifecycle.allowed(before, PlanStatus.SCHEDULED):
        _move(plan, PlanStatus.SCHEDULED, None, actor)
        changed.append("status")
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity_type=ENTITY,
        entity_id=plan_id,
        patient_id=patient_id,
        details={
            "fields": changed,
            "from": before.value,
            "to": plan.status.value,
            "rf_day": str(day),
        },
    )
    return plan
