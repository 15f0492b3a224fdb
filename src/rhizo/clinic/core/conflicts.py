"""409 in words a person understands: stale edits and clashes with stored data.

Two kinds of conflict reach a user:

* a **stale edit**: the row changed since the user read it. Every edited table
  carries a ``version`` (:class:`rhizo.clinic.core.database.VersionedMixin`); each
  PATCH body and edit form sends back the version it was read at, and
  :func:`check_version` refuses an older one. Two transactions that read the
  same version concurrently are caught by the ``WHERE version = n`` SQLAlchemy
  adds to the UPDATE (``StaleDataError``, :data:`STALE_WRITE`).
* a **constraint clash** (a duplicate MRN, a username taken, a reference to a
  removed row). The database's message names constraints and columns
  (``UNIQUE constraint failed: patients.mrn``, ``uq_patients_mrn``), which
  means nothing to a clinician and describes the schema to anyone probing it;
  :func:`integrity_message` maps each known constraint to a sentence and logs
  the raw text for the administrator.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.exc import IntegrityError

from rhizo.clinic.core.common import ConflictError

_log = logging.getLogger("rhizo.clinic.core.conflicts")

#: The body field (and form field) that carries the version an edit was read at.
VERSION_FIELD = "version"


class VersionConflictError(ConflictError):
    """An edit based on an older version of the row (HTTP 409)."""

    def __init__(self, label: str, sent: int, current: int) -> None:
        super().__init__(
            f"This {label} was changed by someone else since you opened it "
            f"(version {sent}, now {current}); reload it and apply your change again."
        )
        self.label = label
        self.sent = sent
        self.current = current


def label_of(row: Any) -> str:
    """How a person names ``row`` ("follow-up", "patient"; "record" when unknown)."""
    return str(getattr(type(row), "entity_label", "record"))


def check_version(row: Any, sent: int) -> None:
    """Refuse an edit of ``row`` read at version ``sent`` when it is now at another."""
    current = int(row.version)
    if sent != current:
        raise VersionConflictError(label_of(row), sent, current)


#: The message when a concurrent transaction updated the row between read and write.
STALE_WRITE = (
    "This record was changed by someone else while you were saving; "
    "reload it and apply your change again."
)


#: The sentence of a duplicate MRN (the registration form shows it on the MRN field).
DUPLICATE_MRN = "Another patient already has this medical record number (MRN)."

#: Constraint -> sentence. Each key is matched against both spellings of the
#: database error: PostgreSQL names the constraint (``uq_patients_mrn``),
#: SQLite the table and columns (``patients.mrn``).
_UNIQUE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("uq_patients_mrn", "patients.mrn"), DUPLICATE_MRN),
    (("uq_users_username", "users.username"), "This username is already taken; choose another."),
    (
        ("uq_patients_user_id", "patients.user_id"),
        "This user account is already linked to another patient record.",
    ),
    (
        ("uq_specialists_user_id", "specialists.user_id"),
        "This user account is already linked to another specialist profile.",
    ),
    (
        ("uq_discharges_procedure_id", "discharges.procedure_id"),
        "This procedure already has a discharge record.",
    ),
    (
        ("uq_lesions_procedure_id_ordinal", "lesions.procedure_id, lesions.ordinal"),
        "This procedure already has a lesion with this number.",
    ),
    (
        ("uq_idempotency_keys_user_id", "idempotency_keys.user_id, idempotency_keys.key"),
        "Another request with this Idempotency-Key was saved at the same moment; "
        "send it again with the same key to receive its result.",
    ),
)

_FOREIGN_KEY = (
    "This refers to a record that does not exist or was removed, "
    "or the record is still referred to by others."
)
_CHECK = "A value is outside the range the registry accepts."
_DEFAULT = "This change conflicts with data already stored; reload the record and check it."


def integrity_message(error: IntegrityError) -> str:
    """A sentence for a constraint clash; never a constraint, table or column name."""
    text = str(error.orig) if error.orig is not None else str(error)
    _log.info("integrity error mapped to 409: %s", text.splitlines()[0] if text else text)
    for keys, message in _UNIQUE:
        if any(key in text for key in keys):
            return message
    lowered = text.lower()
    if "foreign key" in lowered:
        return _FOREIGN_KEY
    if "check constraint" in lowered:
        return _CHECK
    return _DEFAULT


#: ``version`` in every PATCH body: the version the client read (GET returns it).
EditVersion = Annotated[
    int,
    Field(
        ge=1,
        description=(
            "The version of the record you read (from GET); a newer stored version is 409 "
            "and nothing is changed"
        ),
    ),
]
