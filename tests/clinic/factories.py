"""Small factories: rows with sensible defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.auth.security import hash_password
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient.models import Patient, Sex, search_key
from rhizo.clinic.procedure.models import LesionCreate, LesionSide
from rhizo.clinic.specialist.models import Specialist

PASSWORD = "correct horse battery"  # noqa: S105 - test-only credential
_counter = itertools.count(1)


@cache
def password_hash() -> str:
    """One argon2 hash shared by every factory user (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def make_user(session: Session, role: Role, **overrides: Any) -> User:
    n = next(_counter)
    values: dict[str, Any] = {
        "username": f"{role.value}{n}",
        "password_hash": password_hash(),
        "role": role,
        "full_name": f"Test {role.value.title()} {n}",
    }
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.commit()
    return user


def make_patient(session: Session, **overrides: Any) -> Patient:
    n = next(_counter)
    values: dict[str, Any] = {
        "mrn": f"TEST-{n:06d}",
        "given_name": "Ada",
        "family_name": f"Testperson{n}",
        "birth_date": date(1961, 5, 17),
        "sex": Sex.FEMALE,
        "synthetic": True,
    }
    values.update(overrides)
    values["given_key"] = search_key(values["given_name"])
    values["family_key"] = search_key(values["family_name"])
    patient = Patient(**values)
    session.add(patient)
    session.commit()
    return patient


def make_specialist(session: Session, **overrides: Any) -> Specialist:
    values: dict[str, Any] = {
        "display_name": f"Dr Test {next(_counter)}",
        "board_certification": "ABA Pain Medicine",
        "fellowship": "Pain medicine",
        "years_in_practice": 12,
    }
    values.update(overrides)
    specialist = Specialist(**values)
    session.add(specialist)
    session.commit()
    return specialist


def make_followup(session: Session, patient: Patient, **overrides: Any) -> FollowUp:
    values: dict[str, Any] = {
        "patient_id": patient.id,
        "followed_on": date(2025, 3, 1),
        "nrs": 3,
        "source": FollowUpSource.CLINIC,
    }
    values.update(overrides)
    followup = FollowUp(**values)
    session.add(followup)
    session.commit()
    return followup


def good_lesion(**overrides: Any) -> dict[str, Any]:
    """A lesion payload every gate passes."""
    values: dict[str, Any] = {
        "target_nerve": "L4 medial branch",
        "side": LesionSide.RIGHT.value,
        "performed": True,
        "gauge": 18,
        "tip_length_mm": 10,
        "set_temperature_c": 80,
        "duration_s": 90,
        "placement": "parallel",
        "sensory_threshold_v": 0.3,
        "sensory_response": "concordant",
        "motor_response": "multifidus",
        "motor_test_voltage_v": 2.0,
        "local_anaesthetic_given": True,
        "impedance_ohm": 250,
        "power_w": 6.5,
    }
    values.update(overrides)
    return values


def procedure_payload(
    performer_id: int, lesions: list[dict[str, Any]], **overrides: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "performer_id": performer_id,
        "performed_at": datetime(2025, 2, 3, 9, 30, tzinfo=UTC).isoformat(),
        "technique": "conventional",
        "region": "lumbar",
        "side": "right",
        "levels": ["L4-L5", "L5-S1"],
        "sedation": "none",
        "fluoroscopy_time_s": 45,
        "duration_min": 35,
        "lesions": lesions,
    }
    values.update(overrides)
    return values


def lesion_model(**overrides: Any) -> LesionCreate:
    return LesionCreate.model_validate(good_lesion(**overrides))
