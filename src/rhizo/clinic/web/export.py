"""``GET /patients/{id}/fhir.json``: download a patient's record as a FHIR R4 Bundle.

The same export as ``GET /api/v1/patients/{id}/fhir`` (audited as ``export``)
for a signed-in browser: staff for any patient, a patient for their own
record (their right of access), as a file to save.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.core.validation import DbId
from rhizo.clinic.fhir import service as fhir_service
from rhizo.clinic.fhir.views import FHIR_JSON
from rhizo.clinic.web.access import PatientPageUser

router = APIRouter(include_in_schema=False)


@router.get("/patients/{patient_id}/fhir.json")
def download_fhir(
    request: Request, user: PatientPageUser, session: SessionDep, patient_id: DbId
) -> Response:
    """The record as an attachment ``patient-<id>-fhir-r4.json``."""
    bundle = fhir_service.patient_bundle(
        session=session,
        actor=user.actor,
        patient_id=patient_id,
        identifier_system=request.app.state.settings.fhir_identifier_system,
        now=datetime.now(UTC),
    )
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=1),
        media_type=FHIR_JSON,
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient_id}-fhir-r4.json"',
            # A patient's record must not linger in shared caches or the browser's.
            "Cache-Control": "no-store",
        },
    )
