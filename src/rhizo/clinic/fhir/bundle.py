"""Assemble a patient's record into one FHIR R4 ``collection`` Bundle and validate it.

The Bundle holds the Patient, the Practitioners who performed the patient's
procedures, Conditions, diagnostic blocks (Procedure + Observations), RF
procedures with one Observation per lesion (and one for its predicted
capture, when it has one), follow-up Observations,
AdverseEvents and AllergyIntolerances (those entered in error flagged as such), and the
patient's appointments with their Schedules, busy Slots and rooms' Locations
(:mod:`rhizo.clinic.fhir.schedule`).
Not exported: care trials, medications and drug holds, plans and discharge
records (no R4 mapping has been settled for them yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fhir.resources.R4B.bundle import Bundle

from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.condition.models import Condition, ConditionStatus
from rhizo.clinic.fhir.allergies import allergy_resource
from rhizo.clinic.fhir.conditions import adverse_event_resource, condition_resource
from rhizo.clinic.fhir.people import patient_resource, practitioner_resource
from rhizo.clinic.fhir.procedures import (
    block_resources,
    lesion_resource,
    predicted_capture_resource,
    procedure_resource,
)
from rhizo.clinic.fhir.references import FhirJson, date_time, entry
from rhizo.clinic.fhir.schedule import calendar_resources
from rhizo.clinic.fhir.scores import followup_resources
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.schedule.models import Appointment, ClinicSession, Room
from rhizo.clinic.specialist.models import Specialist

#: Conditions a procedure may have been done for: those not resolved.
_CURRENT = {ConditionStatus.ACTIVE, ConditionStatus.RECURRENCE}


def _reasons(procedure: Procedure, conditions: Sequence[Condition]) -> list[int]:
    """Current conditions of the procedure's region (a condition without a region counts)."""
    return [
        c.id
        for c in conditions
        if c.status in _CURRENT and (c.region is None or c.region == procedure.region)
    ]


def build_bundle(
    record: PatientRecord,
    *,
    performers: Sequence[Specialist],
    identifier_system: str,
    now: datetime,
    appointments: Sequence[Appointment] = (),
    sessions: Sequence[ClinicSession] = (),
    rooms: Sequence[Room] = (),
) -> FhirJson:
    """The patient's record as a validated FHIR R4 ``collection`` Bundle (JSON);
    ``performers``: the specialists who performed the record's procedures or see the
    patient in ``appointments`` (whose ``sessions`` and ``rooms`` are exported too)."""
    pid = record.patient.id
    resources: list[FhirJson] = [
        patient_resource(record.patient, identifier_system=identifier_system),
        *(practitioner_resource(s) for s in performers),
        *(condition_resource(c, patient_id=pid) for c in record.conditions),
    ]
    for block in record.blocks:
        resources.extend(block_resources(block, patient_id=pid))
    for procedure in record.procedures:
        reasons = _reasons(procedure, record.conditions)
        resources.append(procedure_resource(procedure, patient_id=pid, condition_ids=reasons))
        for les in procedure.lesions:
            resources.append(lesion_resource(les, procedure, patient_id=pid))
            if predicted := predicted_capture_resource(les, procedure, patient_id=pid):
                resources.append(predicted)
    for followup in record.followups:
        resources.extend(followup_resources(followup, patient_id=pid))
    resources.extend(adverse_event_resource(c, patient_id=pid) for c in record.complications)
    resources.extend(allergy_resource(a, patient_id=pid) for a in record.allergies)
    resources.extend(calendar_resources(appointments, sessions=sessions, rooms=rooms))
    bundle: FhirJson = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": date_time(now),
        "entry": [entry(r) for r in resources],
    }
    # A mapping error is a bug, not bad input: validation raises rather than exporting it.
    Bundle.model_validate(bundle)
    return bundle
