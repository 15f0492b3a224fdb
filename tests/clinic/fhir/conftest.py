"""FHIR calendar fixtures: the intake tests' staff actors and weekly consultation session."""

from __future__ import annotations

from tests.clinic.intake.conftest import admin, clinician, make_clinic_session

__all__ = ["admin", "clinician", "make_clinic_session"]
