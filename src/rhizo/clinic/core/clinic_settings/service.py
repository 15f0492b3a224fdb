"""Read and save the clinic contact (one row; audited), with the environment as the default.

:func:`effective` is the one place that decides what a patient is shown: per field,
the stored value when the admin set one, else the ``RHIZO_CLINIC_*`` setting, else
None (the pages then say "call the clinic that treated you").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.clinic_settings.models import (
    SETTINGS_ROW_ID,
    ClinicSettingsRead,
    ClinicSettingsRow,
    ClinicSettingsUpdate,
)
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.conflicts import VersionConflictError, check_version

ENTITY = "clinic_settings"
FIELDS = ("name", "phone", "hours")


@dataclass(frozen=True)
class Contact:
    """The clinic a patient is told to call (None: not known)."""

    name: str | None
    phone: str | None
    hours: str | None


def stored(*, session: Session) -> ClinicSettingsRow | None:
    """The admin's row, or None when nothing was ever saved."""
    return session.get(ClinicSettingsRow, SETTINGS_ROW_ID)


def effective(*, session: Session, settings: Settings) -> Contact:
    """Per field: the stored value, else the environment's ``RHIZO_CLINIC_*``, else None."""
    row = stored(session=session)
    return Contact(
        name=(row.name if row is not None else None) or settings.clinic_name,
        phone=(row.phone if row is not None else None) or settings.clinic_phone,
        hours=(row.hours if row is not None else None) or settings.clinic_hours,
    )


def read(*, session: Session, settings: Settings) -> ClinicSettingsRead:
    """What is stored (version 0: nothing yet) and what the patient is shown."""
    row = stored(session=session)
    shown = effective(session=session, settings=settings)
    return ClinicSettingsRead(
        version=row.version if row is not None else 0,
        name=row.name if row is not None else None,
        phone=row.phone if row is not None else None,
        hours=row.hours if row is not None else None,
        effective_name=shown.name,
        effective_phone=shown.phone,
        effective_hours=shown.hours,
    )


def save(*, session: Session, actor: Actor, data: ClinicSettingsUpdate) -> ClinicSettingsRow:
    """Store the admin's contact (every field; empty = use the default); audited with the
    changed field names. ``data.version`` must be the version read (0 before the first
    save), else :class:`VersionConflictError` (409) and nothing changes."""
    with transactions.transaction(session):
        row = stored(session=session)
        if row is None:
            if data.version != 0:
                raise VersionConflictError(ClinicSettingsRow.entity_label, data.version, 0)
            row = ClinicSettingsRow(id=SETTINGS_ROW_ID)
            session.add(row)
            before: dict[str, str | None] = dict.fromkeys(FIELDS)
        else:
            check_version(row, data.version)
            before = {field: getattr(row, field) for field in FIELDS}
        changed = [field for field in FIELDS if before[field] != getattr(data, field)]
        for field in FIELDS:
            setattr(row, field, getattr(data, field))
        row.updated_by = actor.username
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=str(SETTINGS_ROW_ID),
            details={"fields": changed},
        )
    return row
