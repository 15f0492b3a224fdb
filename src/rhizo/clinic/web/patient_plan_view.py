"""A stored plan as the patient reads it: :func:`rhizo.pathway.patient_plan.patient_plan`.

The portal and the patient page (its "what the patient is told" list) both call
:func:`patient_plan_of`, so the two pages cannot differ on which drug is paused.
"""

from __future__ import annotations

from rhizo.clinic.plan.models import Plan, Sedation
from rhizo.pathway.patient_plan import PatientPlan, patient_plan
from rhizo.pathway.premed_models import DrugHold, Instruction


def has_sedation(plan: Plan) -> bool:
    """Any sedation beyond none (the plan service's rule for the fasting instructions)."""
    return plan.sedation is not Sedation.NONE


def patient_plan_of(plan: Plan) -> PatientPlan:
    """The patient's medicines and preparation from the plan's stored holds."""
    return patient_plan(
        holds=[DrugHold.model_validate(hold) for hold in plan.holds],
        instructions=[Instruction.model_validate(item) for item in plan.instructions],
        sedation=has_sedation(plan),
    )
