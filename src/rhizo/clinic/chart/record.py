"""One patient's whole record: the patient and every row of their record, in order."""

from __future__ import annotations

from dataclasses import dataclass

from rhizo.clinic.allergy.models import Allergy
from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.discharge.models import Discharge
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure


@dataclass(frozen=True)
class PatientRecord:
    """A patient and every row of their record, each kind oldest first (ties by id).

    ``procedures`` carry their ``lesions`` loaded (in ordinal order); a
    procedure's discharge is in ``discharges`` (:meth:`discharge_of`). The rows
    are the ORM rows as stored: nothing here is computed from them.
    """

    patient: Patient
    #: By id (the order they were recorded in).
    conditions: tuple[Condition, ...]
    #: By start date.
    care_trials: tuple[CareTrial, ...]
    #: By the day the block was performed.
    blocks: tuple[DiagnosticBlock, ...]
    #: By start date (undated ones first), then id.
    medications: tuple[Medication, ...]
    #: By planned date.
    plans: tuple[Plan, ...]
    #: By the time performed, each with its lesions.
    procedures: tuple[Procedure, ...]
    #: By the time of discharge.
    discharges: tuple[Discharge, ...]
    #: By the day of the follow-up.
    followups: tuple[FollowUp, ...]
    #: By onset date.
    complications: tuple[Complication, ...]
    #: By the day recorded, then id; those entered in error included (flagged).
    allergies: tuple[Allergy, ...] = ()

    @property
    def patient_id(self) -> int:
        """The patient's id."""
        return self.patient.id

    def discharge_of(self, procedure_id: int) -> Discharge | None:
        """The discharge recorded after a procedure, if any (one per procedure)."""
        return next((d for d in self.discharges if d.procedure_id == procedure_id), None)
