"""Service helpers shared by the domains: one transaction per write, 404s, audit.

Each domain's ``service.py`` calls these with its own model and entity name,
so every record of patient data is created, read, updated and deleted the
same way, and every one of those leaves an audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from rhizo.clinic.audit import service as audit
from rhizo.clinic.audit.models import AuditAction
from rhizo.clinic.auth.models import Actor
from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.common import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.conflicts import (
    STALE_WRITE,
    VERSION_FIELD,
    check_version,
    integrity_message,
)
from rhizo.clinic.database import Base, begin_write
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.validation import before_birth

M = TypeVar("M", bound=Base)

#: Every dated column of a patient's record, by what it records.
_DATED: tuple[tuple[str, InstrumentedAttribute[Any]], ...] = (
    ("condition onset", Condition.onset_date),
    ("conservative care", CareTrial.start_date),
    ("diagnostic block", DiagnosticBlock.performed_on),
    ("medication start", Medication.started_on),
    ("plan", Plan.planned_date),
    ("procedure", Procedure.performed_at),
    ("follow-up", FollowUp.followed_on),
    ("complication", Complication.onset_date),
)


@contextmanager
def transaction(session: Session) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite: it waits for the write lock,
    :func:`rhizo.clinic.database.begin_write`): commit what the block did, or roll all
    of it back (constraint clashes and concurrent edits -> 409 in words,
    :mod:`rhizo.clinic.conflicts`)."""
    begin_write(session)
    try:
        yield
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise ConflictError(integrity_message(error)) from error
    except StaleDataError as error:
        session.rollback()
        raise ConflictError(STALE_WRITE) from error
    except BaseException:
        session.rollback()
        raise


def get_patient(session: Session, patient_id: int) -> Patient:
    """The patient, or :class:`NotFoundError`."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFoundError("patient", patient_id)
    return patient


def check_after_birth(patient: Patient, values: dict[str, Any]) -> None:
    """No date in a patient's record precedes their birth: 422 naming each such field.

    The rule is :func:`rhizo.clinic.validation.before_birth`; the schemas have
    already held every date to the clinical window.
    """
    problems = [
        FieldProblem(name, value, "not_before_birth", message)
        for name, value, message in before_birth(patient.birth_date, values)
    ]
    if problems:
        raise InvalidInputError(problems)


def check_birth_before_record(session: Session, patient_id: int, birth_date: date) -> None:
    """A changed birth date may not fall after an event already in the record (422).

    The other side of :func:`check_after_birth`: one query per dated column.
    """
    for label, column in _DATED:
        owner = column.class_.patient_id
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


def changes_of(data: BaseModel) -> dict[str, Any]:
    """The fields an update schema actually set (None included when given explicitly)."""
    return data.model_dump(exclude_unset=True, mode="python")


def _nulls_refused(row: Base, changes: dict[str, Any]) -> list[FieldProblem]:
    """An explicit null for a column that cannot hold one (a PATCH sends it to mean "clear";
    such a field can only be changed, never cleared)."""
    columns = sa.inspect(type(row)).columns
    return [
        FieldProblem(
            name, None, "not_null", f"{name} cannot be cleared: give a value or leave it out"
        )
        for name, value in changes.items()
        if value is None and name in columns and not columns[name].nullable
    ]


def apply_changes(row: Base, changes: dict[str, Any]) -> list[str]:
    """Set ``changes`` on ``row``; returns the names of fields whose value changed.

    A ``version`` in ``changes`` is the version the edit was read at: it is
    checked (:func:`rhizo.clinic.conflicts.check_version`), never set. A null for a
    column that cannot hold one is refused (422) before anything is set.
    """
    if VERSION_FIELD in changes:
        check_version(row, changes[VERSION_FIELD])
    refused = _nulls_refused(row, changes)
    if refused:
        raise InvalidInputError(refused)
    changed = []
    for name, value in changes.items():
        if name == VERSION_FIELD:
            continue
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return sorted(changed)


def page(
    session: Session,
    statement: sa.Select[M],
    *,
    limit: int,
    offset: int,
) -> tuple[Sequence[M], int]:
    """One page of ``statement`` and the number of rows it matches in all."""
    total = session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    rows = session.scalars(statement.limit(limit).offset(offset)).all()
    return rows, int(total or 0)


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


def rows_of_patient(
    session: Session,
    model: type[M],
    patient_id: int,
    *order_by: InstrumentedAttribute[Any] | sa.UnaryExpression[Any],
) -> list[M]:
    """Every row of one kind in a patient's record, in ``order_by`` (not audited: the
    caller audits the page or export that shows them)."""
    owner = model.patient_id  # type: ignore[attr-defined]
    return list(session.scalars(sa.select(model).where(owner == patient_id).order_by(*order_by)))


def procedures_of_patient(session: Session, patient_id: int) -> list[Procedure]:
    """A patient's procedures with their lesions loaded, oldest first."""
    return list(
        session.scalars(
            sa.select(Procedure)
            .options(selectinload(Procedure.lesions))
            .where(Procedure.patient_id == patient_id)
            .order_by(Procedure.performed_at, Procedure.id)
        )
    )


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
) -> tuple[Sequence[M], int]:
    """A page of a patient's rows of one kind; the read is audited."""
    with transaction(session):
        get_patient(session, patient_id)
        statement = (
            sa.select(model)
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
