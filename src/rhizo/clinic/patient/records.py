"""A patient's record, row by row: the patient or 404, owned rows, birth-date checks, and
the audited create/read/update/delete every domain's service uses.

Each domain's ``service.py`` calls these with its own model and entity name, so
every record of patient data is created, read, updated and deleted the same way,
and every one of those leaves an audit row in the same transaction
(:func:`rhizo.clinic.core.transactions.transaction`). Nothing here names another
domain's model: the dated columns of a record are found by their mark
(:mod:`rhizo.clinic.patient.dated`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.interfaces import ORMOption

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.core.database import Base
from rhizo.clinic.core.transactions import apply_changes, page, transaction
from rhizo.clinic.core.validation import before_birth
from rhizo.clinic.patient.dated import EVENT_DATE
from rhizo.clinic.patient.models import Patient

M = TypeVar("M", bound=Base)


def get_patient(session: Session, patient_id: int) -> Patient:
    """The patient, or :class:`NotFoundError`."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFoundError("patient", patient_id)
    return patient


def check_after_birth(patient: Patient, values: dict[str, Any]) -> None:
    """No date in a patient's record precedes their birth: 422 naming each such field.

    The rule is :func:`rhizo.clinic.core.validation.before_birth`; the schemas have
    already held every date to the clinical window.
    """
    problems = [
        FieldProblem(name, value, "not_before_birth", message)
        for name, value, message in before_birth(patient.birth_date, values)
    ]
    if problems:
        raise InvalidInputError(problems)


def dated_columns() -> list[tuple[str, sa.Column[Any]]]:
    """Every column marked as the date of an event in a patient's record (label, column),
    in table and column order, from the models loaded into the metadata (the app loads
    them all through :mod:`rhizo.clinic.models`)."""
    return [
        (column.info[EVENT_DATE], column)
        for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name)
        for column in table.columns
        if EVENT_DATE in column.info
    ]


def check_birth_before_record(session: Session, patient_id: int, birth_date: date) -> None:
    """A changed birth date may not fall after an event already in the record (422).

    The other side of :func:`check_after_birth`: one query per dated column.
    """
    for label, column in dated_columns():
        owner = column.table.c.patient_id
        earliest = session.scalar(sa.select(sa.func.min(column)).where(owner == patient_id))
        if earliest is None:
            continue
        day = earliest.date() if isinstance(earliest, datetime) else earliest
        if day < birth_date:
            message = (
                f"{birth_date.isoformat()} is after this patient's {label} of "
                f"{day.isoformat()}; a birth date precedes every recorded event"
            )
            problem = FieldProblem(
                "birth_date", birth_date.isoformat(), "not_after_record", message
            )
            raise InvalidInputError([problem])


def get_owned(session: Session, model: type[M], row_id: int, patient_id: int, entity: str) -> M:
    """A row of ``model`` that belongs to ``patient_id``, or :class:`NotFoundError`."""
    get_patient(session, patient_id)
    row = session.get(model, row_id)
    if row is None or getattr(row, "patient_id", None) != patient_id:
        raise NotFoundError(entity, row_id)
    return row


def check_reference(
    session: Session, model: type[Base], row_id: int | None, patient_id: int, field: str
) -> None:
    """A referenced row (e.g. ``procedure_id``) must exist and belong to the same patient."""
    get_patient(session, patient_id)
    if row_id is None:
        return
    row = session.get(model, row_id)
    if row is None or getattr(row, "patient_id", None) != patient_id:
        raise InvalidInputError(
            [FieldProblem(field, row_id, "reference", f"no such record for patient {patient_id}")]
        )


def create_for_patient(
    *,
    session: Session,
    actor: Actor,
    model: type[M],
    entity: str,
    patient_id: int,
    values: dict[str, Any],
) -> M:
    """Insert one row for a patient and audit it, in one transaction."""
    with transaction(session):
        check_after_birth(get_patient(session, patient_id), values)
        row = model(patient_id=patient_id, **values)
        session.add(row)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CREATE,
            entity_type=entity,
            entity_id=getattr(row, "id"),  # noqa: B009 - M is any table
            patient_id=patient_id,
        )
    return row


def read_for_patient(
    *, session: Session, actor: Actor, model: type[M], entity: str, patient_id: int, row_id: int
) -> M:
    """One row of a patient's record; the read is audited."""
    with transaction(session):
        row = get_owned(session, model, row_id, patient_id, entity)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=entity,
            entity_id=row_id,
            patient_id=patient_id,
        )
    return row


def list_for_patient(
    *,
    session: Session,
    actor: Actor,
    model: type[M],
    entity: str,
    patient_id: int,
    order_by: Sequence[InstrumentedAttribute[Any] | sa.UnaryExpression[Any]],
    limit: int,
    offset: int,
    options: Sequence[ORMOption] = (),
) -> tuple[Sequence[M], int]:
    """A page of a patient's rows of one kind (``options``: eager loads); the read is audited."""
    with transaction(session):
        get_patient(session, patient_id)
        statement = (
            sa.select(model)
            .options(*options)
            .where(model.patient_id == patient_id)  # type: ignore[attr-defined]
            .order_by(*order_by)
        )
        rows, total = page(session, statement, limit=limit, offset=offset)
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type=entity,
            patient_id=patient_id,
            details={"list": True, "count": len(rows)},
        )
    return rows, total


def update_for_patient(
    *,
    session: Session,
    actor: Actor,
    model: type[M],
    entity: str,
    patient_id: int,
    row_id: int,
    changes: dict[str, Any],
) -> M:
    """Apply changes to one row and audit the changed field names, in one transaction."""
    with transaction(session):
        row = get_owned(session, model, row_id, patient_id, entity)
        check_after_birth(get_patient(session, patient_id), changes)
        changed = apply_changes(row, changes)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.UPDATE,
            entity_type=entity,
            entity_id=row_id,
            patient_id=patient_id,
            details={"fields": changed},
        )
    return row


def delete_for_patient(
    *, session: Session, actor: Actor, model: type[M], entity: str, patient_id: int, row_id: int
) -> None:
    """Delete one row and audit it, in one transaction."""
    with transaction(session):
        row = get_owned(session, model, row_id, patient_id, entity)
        session.delete(row)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.DELETE,
            entity_type=entity,
            entity_id=row_id,
            patient_id=patient_id,
        )
