"""The patient's own list of what to do before the procedure, from the computed plan.

One definition of the patient's message: the portal, the clinician's patient page
(what the patient is told) and the documents all call :func:`patient_plan` on the
plan's stored holds and preparation, so no page can say "pause X" while the plan's
hold for X is ``no``.

- A hold ``yes`` is a pause: the last dose date and the restart interval (hours
  after the procedure) are the hold's own, computed by
  :func:`rhizo.pathway.premed.drug_hold` from the drug table (Narouze 2018 as read
  there, each row with its evidence level).
- A hold ``no`` is "keep taking it".
- ``individualise`` and ``needs_input`` are "do not change it yet": the prescriber
  and the care team decide (never a pause the patient starts alone).
- Fasting appears only when the plan has sedation; transport always (rhizo's local
  protocol, ``knowledge/preparation.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel

from rhizo.pathway.facts import Evidence
from rhizo.pathway.premed_models import DrugHold, Instruction

__all__ = ["MedicineStep", "PatientPlan", "medicine_step", "patient_plan"]

#: What the patient does with one medicine: pause it, keep it, or wait to be told.
MedicineAction = Literal["pause", "keep", "ask"]

#: Preparation topics that apply only with sedation (``applies_when: sedation``).
SEDATION_ONLY_TOPICS = frozenset({"fasting"})


class MedicineStep(BaseModel):
    """One medicine, what to do with it, and the hold it comes from."""

    drug: str
    action: MedicineAction
    last_dose_date: date | None
    restart_after_hours: int | None
    text: str
    source: str
    evidence: Evidence | None


class PatientPlan(BaseModel):
    """The medicines and the preparation steps a patient reads, in that order."""

    medicines: list[MedicineStep]
    preparation: list[Instruction]
    sedation: bool

    def drugs(self, action: MedicineAction) -> list[str]:
        """The drugs with ``action``, in the plan's order."""
        return [step.drug for step in self.medicines if step.action == action]


def medicine_step(hold: DrugHold) -> MedicineStep:
    """The patient's step for one hold (``yes``: pause; ``no``: keep; otherwise: ask)."""
    if hold.hold == "yes":
        action: MedicineAction = "pause"
        when = f"last dose on {hold.last_dose_date.isoformat()}" if hold.last_dose_date else ""
        restart = (
            f", start again {hold.restart_after_hours} hours after the procedure"
            if hold.restart_after_hours
            else ""
        )
        text = (
            f"{when or 'pause it before the procedure'}{restart}, "
            "but only if the doctor who prescribes it agrees."
        )
    elif hold.hold == "no":
        action = "keep"
        text = "you usually keep taking it as normal."
    else:
        action = "ask"
        text = (
            "do not change it yet. Your care team and the doctor who prescribes it will "
            "tell you whether to pause it."
        )
    return MedicineStep(
        drug=hold.drug,
        action=action,
        last_dose_date=hold.last_dose_date if action == "pause" else None,
        restart_after_hours=hold.restart_after_hours if action == "pause" else None,
        text=text,
        source=hold.source,
        evidence=hold.evidence,
    )


def patient_plan(
    *, holds: Sequence[DrugHold], instructions: Sequence[Instruction], sedation: bool
) -> PatientPlan:
    """The patient's list from a plan's holds and preparation instructions.

    ``instructions`` are the plan's preparation as :func:`plan_premedication`
    computed them; fasting is dropped again unless ``sedation`` (a plan stored
    with sedation and later edited to none must not keep its fasting lines).
    """
    return PatientPlan(
        medicines=[medicine_step(hold) for hold in holds],
        preparation=[
            item for item in instructions if sedation or item.topic not in SEDATION_ONLY_TOPICS
        ],
        sedation=sedation,
    )
