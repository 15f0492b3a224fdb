"""A patient's medications and allergies, and registering or editing a patient (issue 16).

Each module holds one page's routes; :data:`router` includes them all. The
registration routes come first: ``/patients/new`` must be matched before the
patient page's ``/patients/{patient_id}``, so the app mounts this router
before :mod:`rhizo.clinic.web.pages`.
"""

from __future__ import annotations

from fastapi import APIRouter

from rhizo.clinic.web.records import allergies, medications, registration

router = APIRouter(include_in_schema=False)
router.include_router(registration.router)
router.include_router(medications.router)
router.include_router(allergies.router)

__all__ = ["router"]
