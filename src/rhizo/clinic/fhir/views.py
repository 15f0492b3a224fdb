"""``GET /patients/{id}/fhir``: the patient's record as a FHIR R4 Bundle.

Staff may export any patient's record; a patient may export their own (their
right of access). The response is ``application/fhir+json``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from rhizo.clinic.core.deps import SessionDep, SettingsDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.fhir import service
from rhizo.clinic.patient.access import PatientReader

FHIR_JSON = "application/fhir+json"

router = APIRouter(prefix="/patients", tags=["fhir"])


@router.get(
    "/{patient_id}/fhir",
    response_class=JSONResponse,
    responses={200: {"content": {FHIR_JSON: {}}, "description": "a FHIR R4 collection Bundle"}},
)
def export_patient(
    actor: PatientReader, session: SessionDep, settings: SettingsDep, patient_id: DbId
) -> JSONResponse:
    """The patient's record as a FHIR R4 ``collection`` Bundle (the export is audited)."""
    bundle = service.patient_bundle(
        session=session,
        actor=actor,
        patient_id=patient_id,
        identifier_system=settings.fhir_identifier_system,
        now=datetime.now(UTC),
    )
    return JSONResponse(bundle, media_type=FHIR_JSON)
