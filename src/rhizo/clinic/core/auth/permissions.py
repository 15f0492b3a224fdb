"""The permission matrix: one place says which role may do what (default deny).

Routes declare the permission they need with :func:`rhizo.clinic.core.deps.require`;
a role not listed for a permission is refused. The ``patient`` role gets its
``OWN_*`` permissions only for the patient record linked to its user.
"""

from __future__ import annotations

from enum import StrEnum

from rhizo.clinic.core.auth.models import Role


class Permission(StrEnum):
    """Something a route can require."""

    SELF_READ = "self:read"
    PATIENT_READ = "patient:read"
    PATIENT_WRITE = "patient:write"
    PATIENT_DELETE = "patient:delete"
    CLINICAL_WRITE = "clinical:write"
    PROCEDURE_WRITE = "procedure:write"
    GATE_OVERRIDE = "gate:override"
    OWN_RECORD_READ = "own:read"
    OWN_DIARY_WRITE = "own:diary"
    DEIDENTIFIED_READ = "deidentified:read"
    SPECIALIST_READ = "specialist:read"
    SPECIALIST_WRITE = "specialist:write"
    ANALYTICS_READ = "analytics:read"
    USER_MANAGE = "user:manage"
    #: Edit the clinic's contact settings (name, phone, hours; admin only).
    SETTINGS_MANAGE = "settings:manage"
    #: Link or unlink a patient-role login and a patient record (admin only).
    PATIENT_LINK = "patient:link"
    AUDIT_READ = "audit:read"
    #: The calendar: sessions, appointments, day and week views, worklists (staff).
    SCHEDULE_READ = "schedule:read"
    #: Book, reschedule, cancel, mark arrived or no-show (clinician, nurse).
    SCHEDULE_WRITE = "schedule:write"
    #: Rooms, specialists' recurring sessions, leave and other exceptions.
    AVAILABILITY_MANAGE = "availability:manage"
    #: The triage queue of consultation requests (accept and book, ask, decline).
    INTAKE_TRIAGE = "intake:triage"
    #: A patient asks for a consultation for themself from the portal.
    OWN_REQUEST_WRITE = "own:request"
    #: The reminder outbox: what was sent, failed or is queued; run the worker (admin).
    REMINDERS_MANAGE = "reminders:manage"


_STAFF_READ = {
    Permission.SELF_READ,
    Permission.PATIENT_READ,
    Permission.SPECIALIST_READ,
    Permission.ANALYTICS_READ,
    Permission.SCHEDULE_READ,
}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CLINICIAN: frozenset(
        _STAFF_READ
        | {
            Permission.PATIENT_WRITE,
            Permission.CLINICAL_WRITE,
            Permission.PROCEDURE_WRITE,
            Permission.GATE_OVERRIDE,
            Permission.SCHEDULE_WRITE,
            Permission.AVAILABILITY_MANAGE,
            Permission.INTAKE_TRIAGE,
        }
    ),
    Role.NURSE: frozenset(
        _STAFF_READ
        | {
            Permission.PATIENT_WRITE,
            Permission.CLINICAL_WRITE,
            Permission.SCHEDULE_WRITE,
            Permission.INTAKE_TRIAGE,
        }
    ),
    Role.PATIENT: frozenset(
        {
            Permission.SELF_READ,
            Permission.OWN_RECORD_READ,
            Permission.OWN_DIARY_WRITE,
            Permission.OWN_REQUEST_WRITE,
        }
    ),
    Role.RESEARCHER: frozenset(
        {
            Permission.SELF_READ,
            Permission.DEIDENTIFIED_READ,
            Permission.SPECIALIST_READ,
            Permission.ANALYTICS_READ,
        }
    ),
    Role.AUDITOR: frozenset({Permission.SELF_READ, Permission.AUDIT_READ}),
}

#: Staff permission -> the own-record permission that lets a patient do it to their record.
OWN_RECORD_EQUIVALENT: dict[Permission, Permission] = {
    Permission.PATIENT_READ: Permission.OWN_RECORD_READ,
    Permission.CLINICAL_WRITE: Permission.OWN_DIARY_WRITE,
}


def allows(role: Role | None, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission`` outright (unknown roles hold nothing)."""
    return role is not None and permission in MATRIX.get(role, frozenset())
