"""Follow-up Observations: pain (NRS), disability (ODI) and global change (PGIC).

Each follow-up becomes up to three ``survey`` Observations on its date: the
0-10 numeric rating of pain as LOINC 72514-3 (``valueInteger``), the ODI as
LOINC 97908-8 in % (code marked unverified in :mod:`rhizo.clinic.fhir.codes`)
and the PGIC 1-7 under rhizo's own code (no LOINC code was found for it).
A follow-up tied to a procedure names it as ``focus``; a diary entry names
the patient as performer (the patient reported it themselves).
"""

from __future__ import annotations

from rhizo.clinic.fhir import codes
from rhizo.clinic.fhir.references import FhirJson, annotation, day, quantity, reference
from rhizo.clinic.fhir.references import resource_id as _id
from rhizo.clinic.followup.models import FollowUp, FollowUpSource

_HOW = {
    FollowUpSource.CLINIC: "asked at a clinic visit",
    FollowUpSource.PHONE: "asked by telephone",
    FollowUpSource.DIARY: "the patient's own pain diary",
}


def followup_resources(followup: FollowUp, *, patient_id: int) -> list[FhirJson]:
    """The follow-up's Observations (NRS always; ODI and PGIC when recorded)."""
    common: FhirJson = {
        "status": "final",
        "category": codes.observation_category("survey"),
        "subject": reference("Patient", patient_id),
        "effectiveDateTime": day(followup.followed_on),
        "method": {"text": _HOW[followup.source]},
    }
    if followup.procedure_id is not None:
        common["focus"] = [reference("Procedure", followup.procedure_id)]
    if followup.source is FollowUpSource.DIARY:
        common["performer"] = [reference("Patient", patient_id)]
    if note := annotation(followup.notes):
        common["note"] = note

    def observation(suffix: str, code: codes.Code, value: FhirJson) -> FhirJson:
        return {
            "resourceType": "Observation",
            "id": _id("Observation", f"followup-{followup.id}-{suffix}"),
            **common,
            "code": {"coding": [code.coding()], "text": code.display},
            **value,
        }

    resources = [observation("nrs", codes.NRS_PAIN, {"valueInteger": followup.nrs})]
    if followup.odi is not None:
        resources.append(
            observation("odi", codes.ODI, {"valueQuantity": quantity(followup.odi, "%", "%")})
        )
    if followup.pgic is not None:
        resources.append(observation("pgic", codes.PGIC, {"valueInteger": followup.pgic}))
    return resources
