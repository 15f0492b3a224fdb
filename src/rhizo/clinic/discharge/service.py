"""Discharge records, one per procedure, refused home on a red flag without an escalation.

The red flags are the pathway's (:func:`rhizo.pathway.discharge_safety.red_flags`:
new deficit, uncontrolled pain, no escort after sedation, instructions not
given). A discharge home with any of them is refused (422, one problem per
finding, on the finding's field) unless a clinician records an escalation
(:class:`rhizo.clinic.discharge.models.Escalation`), which is stored with the
discharge and the clinician's username. Only the clinician role may escalate; an
escalation of kind ``admitted`` needs the disposition ``admitted``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.discharge.models import Discharge, DischargeCreate, Disposition, EscalationKind
from rhizo.clinic.patient import records
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure
from rhizo.pathway.discharge_safety import DischargeRedFlag, red_flags

ENTITY = "discharge"


def findings(
    discharge: Discharge | DischargeCreate, procedure: Procedure
) -> list[DischargeRedFlag]:
    """The red flags of a discharge (stored or proposed) after ``procedure``."""
    return red_flags(
        new_deficit=discharge.new_deficit,
        nrs=discharge.nrs,
        escort_present=discharge.escort_present,
        instructions_given=discharge.instructions_given,
        sedation=procedure.sedation is not Sedation.NONE,
    )


def _safety_problems(
    actor: Actor, data: DischargeCreate, procedure: Procedure
) -> list[FieldProblem]:
    """Why this discharge may not be recorded as it stands (empty: it may)."""
    escalation = data.escalation
    if escalation is not None:
        problems = []
        if actor.role is not Role.CLINICIAN:
            problems.append(
                FieldProblem(
                    "escalation.kind",
                    escalation.kind.value,
                    "clinician_only",
                    f"only a clinician may record an escalation (you are {actor.role})",
                )
            )
        if (escalation.kind is EscalationKind.ADMITTED) != (
            data.disposition is Disposition.ADMITTED
        ):
            problems.append(
                FieldProblem(
                    "escalation.kind",
                    escalation.kind.value,
                    "matches_disposition",
                    "an escalation 'admitted' goes with the disposition 'admitted' "
                    f"(disposition is {data.disposition.value!r})",
                )
            )
        return problems
    if data.disposition is not Disposition.HOME:
        return []
    return [
        FieldProblem(
            flag.field,
            getattr(data, flag.field),
            f"red_flag:{flag.id}",
            f"red flag: {flag.text} A routine discharge home is refused; a clinician "
            "records an escalation (admitted, reviewed by a clinician or complication "
            "recorded) with a reason.",
        )
        for flag in findings(data, procedure)
    ]


def create(
    *, session: Session, actor: Actor, patient_id: int, procedure_id: int, data: DischargeCreate
) -> Discharge:
    """Record the discharge after a procedure."""
    with transactions.transaction(session):
        procedure = records.get_owned(session, Procedure, procedure_id, patient_id, "procedure")
        if data.discharged_at < procedure.performed_at:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "discharged_at",
                        data.discharged_at.isoformat(),
                        "after_procedure",
                        "discharge is before the procedure was performed",
                    )
                ]
            )
        if session.scalar(sa.select(Discharge.id).where(Discharge.procedure_id == procedure_id)):
            raise ConflictError(f"procedure {procedure_id} already has a discharge")
        problems = _safety_problems(actor, data, procedure)
        if problems:
            raise InvalidInputError(problems)
        escalation = data.escalation
        discharge = Discharge(
            procedure_id=procedure_id,
            **data.model_dump(exclude={"escalation"}),
            escalation_kind=None if escalation is None else escalation.kind,
            escalation_reason=None if escalation is None else escalation.reason,
            escalated_by=None if escalation is None else actor.username,
        )
        session.add(discharge)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=discharge.id,
            patient_id=patient_id,
        )
    return discharge


def get(*, session: Session, actor: Actor, patient_id: int, procedure_id: int) -> Discharge:
    """The discharge of a procedure (audited read)."""
    with transactions.transaction(session):
        records.get_owned(session, Procedure, procedure_id, patient_id, "procedure")
        discharge = session.scalar(
            sa.select(Discharge).where(Discharge.procedure_id == procedure_id)
        )
        if discharge is None:
            raise NotFoundError(ENTITY, f"of procedure {procedure_id}")
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            entity_id=discharge.id,
            patient_id=patient_id,
        )
    return discharge
