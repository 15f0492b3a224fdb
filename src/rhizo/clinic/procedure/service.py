"""Procedures and lesions. Every lesion passes the pathway's stimulation gates.

A lesion recorded as performed whose gate verdict blocks it (a limb motor
response, radicular sensation, no motor test, no local anaesthetic) is refused
unless the clinician gives an override with a reason; the verdict, its
findings and any override are stored with the lesion, and so is the capture
planner's prediction for it (:mod:`rhizo.clinic.procedure.prediction`, or a
note saying why there is none). A procedure and all its lesions are written in
one transaction: one refused lesion writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.auth.permissions import Permission, allows
from rhizo.clinic.core.common import (
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Side,
)
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.patient import records
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure import prediction
from rhizo.clinic.procedure.models import (
    Lesion,
    LesionCreate,
    Procedure,
    ProcedureCreate,
    ProcedureStatus,
    ProcedureUpdate,
)
from rhizo.clinic.specialist.models import Specialist
from rhizo.pathway.gates import GateVerdict, LesionCheck, evaluate_lesion

ENTITY = "procedure"
LESION_ENTITY = "lesion"

#: The input field a gate rule is about (for 422 responses that name the field).
GATE_RULE_FIELDS: dict[str, str] = {
    "motor-limb-contraction": "motor_response",
    "motor-test-missing": "motor_response",
    "motor-test-voltage": "motor_test_voltage_v",
    "motor-test-voltage-missing": "motor_test_voltage_v",
    "sensory-radicular": "sensory_response",
    "sensory-threshold": "sensory_threshold_v",
    "local-anaesthetic": "local_anaesthetic_given",
    "cannula-size": "gauge",
    "lesion-duration": "duration_s",
    "lesion-temperature": "set_temperature_c",
    "placement-parallel": "placement",
}


def evaluate(lesion: LesionCreate) -> GateVerdict:
    """The pathway's gate verdict on one lesion."""
    return evaluate_lesion(
        LesionCheck(
            target_nerve=lesion.target_nerve,
            sensory_threshold_v=lesion.sensory_threshold_v,
            sensory_response=lesion.sensory_response,
            motor_response=lesion.motor_response,
            motor_test_voltage_v=lesion.motor_test_voltage_v,
            local_anaesthetic_given=lesion.local_anaesthetic_given,
            gauge=lesion.gauge,
            tip_length_mm=lesion.tip_length_mm,
            set_temperature_c=lesion.set_temperature_c,
            duration_s=lesion.duration_s,
            placement=None if lesion.placement is None else lesion.placement.value,
        )
    )


def _lesion_problems(
    lesion: LesionCreate, verdict: GateVerdict, prefix: str, procedure_side: Side
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if procedure_side is not Side.BILATERAL and lesion.side.value != procedure_side.value:
        problems.append(
            FieldProblem(
                f"{prefix}.side",
                lesion.side.value,
                "side_mismatch",
                f"the procedure is {procedure_side.value}-sided",
            )
        )
    blocked = lesion.performed and not verdict.proceed
    if blocked and lesion.override_reason is None:
        for finding in verdict.findings:
            if finding.blocking:
                field = GATE_RULE_FIELDS.get(finding.rule, "target_nerve")
                problems.append(
                    FieldProblem(
                        f"{prefix}.{field}",
                        getattr(lesion, field),
                        f"gate:{finding.rule}",
                        f"{finding.message} [{finding.source}]; lesion refused: record it as not "
                        "performed, or give override_reason",
                    )
                )
    if lesion.override_reason is not None and not blocked:
        problems.append(
            FieldProblem(
                f"{prefix}.override_reason",
                lesion.override_reason,
                "override_without_block",
                "an override is only recorded for a performed lesion the gates blocked",
            )
        )
    return problems


def _lesion_row(
    lesion: LesionCreate,
    verdict: GateVerdict,
    ordinal: int,
    actor: Actor,
    predicted: prediction.LesionPrediction,
) -> Lesion:
    values: dict[str, Any] = lesion.model_dump(exclude={"override_reason"})
    overridden = lesion.override_reason is not None
    return Lesion(
        **values,
        predicted_capture_probability=predicted.capture_probability,
        predicted_coagulated_length_mm=predicted.coagulated_length_mm,
        prediction_model=predicted.model,
        prediction_note=predicted.note,
        ordinal=ordinal,
        gate_proceed=verdict.proceed,
        gate_findings=[finding.model_dump() for finding in verdict.findings],
        override_reason=lesion.override_reason,
        override_by_id=actor.user_id if overridden else None,
        override_at=utcnow() if overridden else None,
    )


def _check_lesions(
    lesions: Sequence[LesionCreate], actor: Actor, side: Side, first_index: int = 0
) -> list[GateVerdict]:
    """Gate every lesion; raise one :class:`InvalidInputError` naming every problem."""
    verdicts = [evaluate(lesion) for lesion in lesions]
    problems: list[FieldProblem] = []
    for index, (lesion, verdict) in enumerate(zip(lesions, verdicts, strict=True)):
        problems += _lesion_problems(lesion, verdict, f"lesions[{first_index + index}]", side)
    if problems:
        raise InvalidInputError(problems)
    if any(lesion.override_reason for lesion in lesions) and not allows(
        actor.role, Permission.GATE_OVERRIDE
    ):
        raise PermissionDeniedError("overriding a stimulation gate needs the clinician role")
    return verdicts


def _overrides(lesions: Sequence[LesionCreate]) -> int:
    return sum(1 for lesion in lesions if lesion.override_reason is not None)


def _audit_lesion(
    session: Session, actor: Actor, patient_id: int, lesion: Lesion, given: LesionCreate
) -> None:
    """The ``create`` audit row of one lesion (flushed, so it has its id)."""
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.CREATE,
        entity_type=LESION_ENTITY,
        entity_id=lesion.id,
        patient_id=patient_id,
        details={"procedure_id": lesion.procedure_id, "overrides": _overrides([given])},
    )


def create(*, session: Session, actor: Actor, patient_id: int, data: ProcedureCreate) -> Procedure:
    """Record a procedure with its lesions, all or nothing: one audit row for the
    procedure and one for each lesion, in the same transaction. The lesions' capture
    predictions are computed first (cached by their parameters), outside the write
    lock, and stored with them."""
    predicted = [prediction.for_lesion(lesion) for lesion in data.lesions]
    with transactions.transaction(session):
        patient = records.get_patient(session, patient_id)
        records.check_after_birth(patient, {"performed_at": data.performed_at})
        if session.get(Specialist, data.performer_id) is None:
            raise InvalidInputError(
                [FieldProblem("performer_id", data.performer_id, "reference", "no such specialist")]
            )
        records.check_reference(session, Plan, data.plan_id, patient_id, "plan_id")
        records.check_reference(session, Procedure, data.repeat_of_id, patient_id, "repeat_of_id")
        verdicts = _check_lesions(data.lesions, actor, data.side)
        procedure = Procedure(patient_id=patient_id, **data.model_dump(exclude={"lesions"}))
        procedure.lesions = [
            _lesion_row(lesion, verdict, ordinal, actor, guess)
            for ordinal, (lesion, verdict, guess) in enumerate(
                zip(data.lesions, verdicts, predicted, strict=True), start=1
            )
        ]
        session.add(procedure)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=procedure.id,
            patient_id=patient_id,
            details={"lesions": len(data.lesions), "overrides": _overrides(data.lesions)},
        )
        for lesion, given in zip(procedure.lesions, data.lesions, strict=True):
            _audit_lesion(session, actor, patient_id, lesion, given)
        if data.plan_id is not None and procedure.status == ProcedureStatus.COMPLETED:
            # The plan it carried out becomes done, in this same transaction.
            plan_service.mark_done(
                session=session,
                actor=actor,
                patient_id=patient_id,
                plan_id=data.plan_id,
                procedure_id=procedure.id,
            )
    return procedure


def _get(session: Session, patient_id: int, procedure_id: int) -> Procedure:
    records.get_patient(session, patient_id)
    procedure = session.scalar(
        sa.select(Procedure)
        .options(selectinload(Procedure.lesions))
        .where(Procedure.id == procedure_id)
    )
    if procedure is None or procedure.patient_id != patient_id:
        raise NotFoundError(ENTITY, procedure_id)
    return procedure


def get(*, session: Session, actor: Actor, patient_id: int, procedure_id: int) -> Procedure:
    """One procedure with its lesions (audited read)."""
    with transactions.transaction(session):
        procedure = _get(session, patient_id, procedure_id)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            entity_id=procedure_id,
            patient_id=patient_id,
        )
    return procedure


def get_all(
    *, session: Session, actor: Actor, patient_id: int, limit: int, offset: int
) -> tuple[Sequence[Procedure], int]:
    """A page of a patient's procedures with lesions, newest first (audited read)."""
    return records.list_for_patient(
        session=session,
        actor=actor,
        model=Procedure,
        entity=ENTITY,
        patient_id=patient_id,
        order_by=(Procedure.performed_at.desc(), Procedure.id.desc()),
        limit=limit,
        offset=offset,
        options=(selectinload(Procedure.lesions),),
    )


def update(
    *, session: Session, actor: Actor, patient_id: int, procedure_id: int, data: ProcedureUpdate
) -> Procedure:
    """Change a procedure's status, timings, sedation or notes."""
    with transactions.transaction(session):
        procedure = _get(session, patient_id, procedure_id)
        changed = transactions.apply_changes(procedure, transactions.changes_of(data))
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=procedure_id,
            patient_id=patient_id,
            details={"fields": changed},
        )
    return procedure


def delete(*, session: Session, actor: Actor, patient_id: int, procedure_id: int) -> None:
    """Delete a procedure and its lesions (recorded in error)."""
    with transactions.transaction(session):
        procedure = _get(session, patient_id, procedure_id)
        plan_service.reopen_for_deleted_procedure(
            session=session, actor=actor, patient_id=patient_id, procedure_id=procedure_id
        )
        session.delete(procedure)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.DELETE,
            entity_type=ENTITY,
            entity_id=procedure_id,
            patient_id=patient_id,
        )


def add_lesion(
    *, session: Session, actor: Actor, patient_id: int, procedure_id: int, data: LesionCreate
) -> Lesion:
    """Append one gated lesion (with its capture prediction) to a recorded procedure."""
    predicted = prediction.for_lesion(data)
    with transactions.transaction(session):
        procedure = _get(session, patient_id, procedure_id)
        (verdict,) = _check_lesions([data], actor, procedure.side, len(procedure.lesions))
        lesion = _lesion_row(data, verdict, len(procedure.lesions) + 1, actor, predicted)
        procedure.lesions.append(lesion)
        session.flush()
        _audit_lesion(session, actor, patient_id, lesion, data)
    return lesion
