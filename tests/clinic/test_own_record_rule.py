"""The own-record rule, written once (rhizo.clinic.patient.access.may_act_on_record), against
the role definitions of docs/clinic.md: staff who may read patients read any record; a
patient reads only the record linked to their login; nobody else reads one."""

from __future__ import annotations

import pytest

from rhizo.clinic.core.auth.models import Role
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.patient.access import may_act_on_record

READ = Permission.PATIENT_READ
OWN = Permission.OWN_RECORD_READ


@pytest.mark.parametrize(
    ("role", "own", "linked", "patient_id", "allowed"),
    [
        (Role.CLINICIAN, OWN, None, 7, True),
        (Role.NURSE, OWN, None, 7, True),
        (Role.ADMIN, None, None, 7, True),
        (Role.PATIENT, OWN, 7, 7, True),  # their own record
        (Role.PATIENT, OWN, 7, 8, False),  # another patient's
        (Role.PATIENT, OWN, None, 7, False),  # a patient login linked to no record
        (Role.PATIENT, None, 7, 7, False),  # a route with no own-record permission
        (Role.PATIENT, Permission.OWN_DIARY_WRITE, 7, 7, True),
        (Role.RESEARCHER, OWN, 7, 7, False),  # only the patient role has an own record
        (Role.AUDITOR, OWN, None, 7, False),
    ],
)
def test_who_may_read_a_patient_record(
    role: Role, own: Permission | None, linked: int | None, patient_id: int, allowed: bool
) -> None:
    verdict = may_act_on_record(
        role, permission=READ, own=own, linked_patient_id=linked, patient_id=patient_id
    )
    assert verdict is allowed


def test_a_write_needs_the_staff_permission_even_on_ones_own_record() -> None:
    write = Permission.CLINICAL_WRITE
    assert may_act_on_record(
        Role.NURSE, permission=write, own=None, linked_patient_id=None, patient_id=3
    )
    assert not may_act_on_record(
        Role.PATIENT, permission=write, own=None, linked_patient_id=3, patient_id=3
    )
