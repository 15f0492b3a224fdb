"""Condition (diagnoses) and AdverseEvent (complications) resources.

Condition: ICD-10-CM code with the clinic's own description as text (the
ICD display is the code system's, which rhizo does not store), clinical
status (rhizo's values are a subset of FHIR condition-clinical), verification
``confirmed``, category ``problem-list-item``, onset date (the candidacy
rule's "pain over 12 weeks" is counted from it), body site as text.

AdverseEvent (R4): ``actuality`` actual, the complication as text, its date,
severity (mild/moderate/severe are FHIR adverse-event-severity codes),
outcome ``resolved`` or ``ongoing``, and the procedure it followed as the
suspect entity.
"""

from __future__ import annotations

from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import Condition
from rhizo.clinic.fhir import codes
from rhizo.clinic.fhir.references import (
    FhirJson,
    annotation,
    day,
    reference,
    resource_id,
    text_concept,
)


def _site(region: str | None, side: str | None) -> list[FhirJson]:
    words = " ".join(part for part in (side, region, "spine" if region else None) if part)
    return [text_concept(words)] if region else []


def condition_resource(condition: Condition, *, patient_id: int) -> FhirJson:
    """The ``Condition`` resource."""
    resource: FhirJson = {
        "resourceType": "Condition",
        "id": resource_id("Condition", condition.id),
        "clinicalStatus": {
            "coding": [{"system": codes.CONDITION_CLINICAL, "code": condition.status.value}]
        },
        "verificationStatus": {
            "coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]
        },
        "category": [
            {"coding": [{"system": codes.CONDITION_CATEGORY, "code": "problem-list-item"}]}
        ],
        "code": {
            "coding": [{"system": codes.ICD10CM, "code": condition.icd10_code}],
            "text": condition.description,
        },
        "subject": reference("Patient", patient_id),
    }
    region = condition.region.value if condition.region else None
    side = condition.side.value if condition.side else None
    if site := _site(region, side):
        resource["bodySite"] = site
    if condition.onset_date is not None:
        resource["onsetDateTime"] = day(condition.onset_date)
    if note := annotation(condition.notes):
        resource["note"] = note
    return resource


def adverse_event_resource(complication: Complication, *, patient_id: int) -> FhirJson:
    """The ``AdverseEvent`` resource of a complication."""
    resource: FhirJson = {
        "resourceType": "AdverseEvent",
        "id": resource_id("AdverseEvent", complication.id),
        "actuality": "actual",
        "event": text_concept(complication.type.value.replace("_", " ")),
        "subject": reference("Patient", patient_id),
        "date": day(complication.onset_date),
        "severity": {
            "coding": [
                {"system": codes.ADVERSE_EVENT_SEVERITY, "code": complication.severity.value}
            ]
        },
        "outcome": {
            "coding": [
                {
                    "system": codes.ADVERSE_EVENT_OUTCOME,
                    "code": "resolved" if complication.resolved_on else "ongoing",
                }
            ],
            **(
                {"text": f"resolved {complication.resolved_on.isoformat()}"}
                if complication.resolved_on
                else {}
            ),
        },
    }
    if complication.procedure_id is not None:
        resource["suspectEntity"] = [
            {"instance": reference("Procedure", complication.procedure_id)}
        ]
    if complication.notes:
        # AdverseEvent has no ``note`` in R4; the free text rides as an extension-free
        # description on the event concept instead of being dropped.
        resource["event"]["text"] += f": {complication.notes}"
    return resource
