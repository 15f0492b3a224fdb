"""Patients: create, find, read, update, delete; every touch is audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.common import ConflictError, FieldProblem, InvalidInputError
from rhizo.clinic.patient import records
from rhizo.clinic.patient.models import Patient, PatientCreate, PatientUpdate, search_key

ENTITY = "patient"


def _patient_login(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role is not Role.PATIENT:
        raise InvalidInputError(
            [FieldProblem("user_id", user_id, "reference", "must be a user with the patient role")]
        )
    return user


def create(*, session: Session, actor: Actor, data: PatientCreate) -> Patient:
    """Register a new patient."""
    with transactions.transaction(session):
        patient = Patient(
            **data.model_dump(),
            given_key=search_key(data.given_name),
            family_key=search_key(data.family_name),
        )
        session.add(patient)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=ENTITY,
            entity_id=patient.id,
            patient_id=patient.id,
        )
    return patient


def get(*, session: Session, actor: Actor, patient_id: int) -> Patient:
    """One patient (the read is audited)."""
    with transactions.transaction(session):
        patient = records.get_patient(session, patient_id)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            entity_id=patient_id,
            patient_id=patient_id,
        )
    return patient


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix(column: InstrumentedAttribute[str], prefix: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix``: an index range plus an exact LIKE filter."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return sa.and_(
        column >= prefix, column < upper, column.like(_escape_like(prefix) + "%", escape="\\")
    )


def search_condition(search: str) -> sa.ColumnElement[bool]:
    """Match a medical record number, or names: each word starts a family or given name."""
    words = search_key(search).split()
    if not words:
        return sa.true()
    mrn = _prefix(Patient.mrn, search.strip())
    per_word = [
        sa.or_(_prefix(Patient.family_key, word), _prefix(Patient.given_key, word))
        for word in words[:3]
    ]
    return sa.or_(mrn, sa.and_(*per_word))


def get_all(
    *, session: Session, actor: Actor, search: str | None, limit: int, offset: int
) -> tuple[Sequence[Patient], int]:
    """A page of patients, by name, optionally filtered by a search (audited with the ids)."""
    statement = sa.select(Patient).order_by(Patient.family_key, Patient.given_key, Patient.id)
    if search:
        statement = statement.where(search_condition(search))
    with transactions.transaction(session):
        rows, total = transactions.page(session, statement, limit=limit, offset=offset)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=ENTITY,
            details={"list": True, "ids": [row.id for row in rows], "total": total},
        )
    return rows, total


def _audit_update(session: Session, actor: Actor, patient_id: int, details: dict[str, Any]) -> None:
    """Record an ``update`` audit row of the patient (``details`` names the fields)."""
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity_type=ENTITY,
        entity_id=patient_id,
        patient_id=patient_id,
        details=details,
    )


def update(*, session: Session, actor: Actor, patient_id: int, data: PatientUpdate) -> Patient:
    """Change a patient's details."""
    changes = transactions.changes_of(data)
    with transactions.transaction(session):
        patient = records.get_patient(session, patient_id)
        if changes.get("birth_date") is not None:
            records.check_birth_before_record(session, patient_id, changes["birth_date"])
        if changes.get("given_name"):
            changes["given_key"] = search_key(changes["given_name"])
        if changes.get("family_name"):
            changes["family_key"] = search_key(changes["family_name"])
        changed = transactions.apply_changes(patient, changes)
        session.flush()
        _audit_update(session, actor, patient_id, {"fields": changed})
    return patient


def delete(*, session: Session, actor: Actor, patient_id: int) -> None:
    """Delete a patient and, by cascade, their whole record (the audit trail stays)."""
    with transactions.transaction(session):
        patient = records.get_patient(session, patient_id)
        session.delete(patient)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.DELETE,
            entity_type=ENTITY,
            entity_id=patient_id,
            patient_id=patient_id,
        )


def patient_id_of_user(*, session: Session, user_id: int) -> int | None:
    """The patient record linked to a patient-role user, if any."""
    return session.scalar(sa.select(Patient.id).where(Patient.user_id == user_id))


def link_login(*, session: Session, actor: Actor, patient_id: int, user_id: int | None) -> Patient:
    """Link a patient-role login to this record, or unlink it (``user_id`` None); admin only
    (the route's permission), audited. Every login the change touches (the one unlinked,
    the one linked) has its sessions ended, so a token issued before the change reads
    nothing afterwards. A login linked to another record is refused (409): unlink it
    there first."""
    with transactions.transaction(session):
        patient = records.get_patient(session, patient_id)
        previous = patient.user_id
        if user_id is not None:
            _patient_login(session, user_id)
            other = session.scalar(
                sa.select(Patient.id).where(Patient.user_id == user_id, Patient.id != patient_id)
            )
            if other is not None:
                raise ConflictError(
                    f"login {user_id} is linked to patient {other}; unlink it there first"
                )
        if previous == user_id:
            return patient
        patient.user_id = user_id
        for touched in {previous, user_id} - {None}:
            login = session.get(User, touched)
            if login is not None:
                login.session_epoch += 1
        session.flush()
        _audit_update(
            session,
            actor,
            patient_id,
            {"fields": ["user_id"], "linked_user_id": user_id, "unlinked_user_id": previous},
        )
    return patient
