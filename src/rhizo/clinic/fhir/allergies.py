"""AllergyIntolerance resources (FHIR R4) from the recorded allergies.

* ``clinicalStatus`` ``active`` (allergyintolerance-clinical) for a current
  allergy; one marked entered in error carries ``verificationStatus``
  ``entered-in-error`` (allergyintolerance-verification) and no clinical
  status (invariants ait-1 and ait-2 of R4 AllergyIntolerance). rhizo records
  what the patient or the notes report, not a test result, so a current
  allergy claims no verification status (``confirmed`` would say more).
* ``category``: local anaesthetic, contrast and antiseptic are ``medication``;
  latex is ``environment``; ``other`` has none (its substance may be anything).
* ``code``: the substance (or the category in words) as text: rhizo stores no
  coded substance.
* ``reaction``: the reaction as text with its severity (mild | moderate |
  severe; ``unknown`` is left out), only when a reaction was recorded
  (``reaction.manifestation`` is required).
"""

from __future__ import annotations

from rhizo.clinic.allergy.models import CATEGORY_LABEL, Allergy, AllergyCategory, AllergySeverity
from rhizo.clinic.fhir.references import FhirJson, day, reference, resource_id, text_concept

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

#: rhizo's category -> FHIR allergy-intolerance-category (None: not given).
FHIR_CATEGORY: dict[AllergyCategory, str | None] = {
    AllergyCategory.LOCAL_ANAESTHETIC: "medication",
    AllergyCategory.CONTRAST: "medication",
    AllergyCategory.ANTISEPTIC: "medication",
    AllergyCategory.LATEX: "environment",
    AllergyCategory.OTHER: None,
}


def allergy_resource(allergy: Allergy, *, patient_id: int) -> FhirJson:
    """The ``AllergyIntolerance`` resource of one recorded allergy."""
    resource: FhirJson = {
        "resourceType": "AllergyIntolerance",
        "id": resource_id("AllergyIntolerance", allergy.id),
        "code": text_concept(allergy.substance or CATEGORY_LABEL[allergy.category]),
        "patient": reference("Patient", patient_id),
        "recordedDate": day(allergy.recorded_on),
    }
    if allergy.entered_in_error:
        resource["verificationStatus"] = {
            "coding": [{"system": VERIFICATION, "code": "entered-in-error"}]
        }
        if allergy.error_reason:
            resource["note"] = [{"text": f"Entered in error: {allergy.error_reason}"}]
    else:
        resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "active"}]}
    category = FHIR_CATEGORY[allergy.category]
    if category is not None:
        resource["category"] = [category]
    if allergy.reaction:
        reaction: FhirJson = {"manifestation": [text_concept(allergy.reaction)]}
        if allergy.severity is not AllergySeverity.UNKNOWN:
            reaction["severity"] = allergy.severity.value
        resource["reaction"] = [reaction]
    return resource
