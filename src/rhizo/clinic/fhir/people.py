"""Patient and Practitioner resources.

Patient: identifier (the MRN under the clinic's identifier system), name,
gender (rhizo's sex values are FHIR AdministrativeGender's), birthDate,
telecom, postal code; a synthetic patient carries ``meta.security`` HTEST
("test health data", :mod:`rhizo.clinic.fhir.codes`). Practitioner: the
specialist's name and qualifications as text.
"""

from __future__ import annotations

from rhizo.clinic.fhir import codes
from rhizo.clinic.fhir.references import FhirJson, resource_id
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.specialist.models import Specialist


def patient_resource(patient: Patient, *, identifier_system: str) -> FhirJson:
    """The ``Patient`` resource."""
    resource: FhirJson = {
        "resourceType": "Patient",
        "id": resource_id("Patient", patient.id),
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ]
                },
                "system": identifier_system,
                "value": patient.mrn,
            }
        ],
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex.value,
        "birthDate": patient.birth_date.isoformat(),
    }
    telecom = [
        {"system": system, "value": value}
        for system, value in (("email", patient.email), ("phone", patient.phone))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    if patient.postcode:
        resource["address"] = [{"postalCode": patient.postcode}]
    if patient.synthetic:
        resource["meta"] = {"security": [codes.SYNTHETIC.coding()]}
    return resource


def practitioner_resource(specialist: Specialist) -> FhirJson:
    """The ``Practitioner`` resource of a specialist who performed a procedure."""
    qualifications = [
        {"code": {"text": text}}
        for text in (specialist.board_certification, specialist.fellowship, specialist.specialty)
        if text
    ]
    resource: FhirJson = {
        "resourceType": "Practitioner",
        "id": resource_id("Practitioner", specialist.id),
        "active": specialist.active,
        "name": [{"text": specialist.display_name}],
    }
    if qualifications:
        resource["qualification"] = qualifications
    return resource
