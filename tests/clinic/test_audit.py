"""The audit trail is append-only: the ORM refuses, and the database triggers refuse."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.guard import AuditImmutableError
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import SYSTEM_ACTOR


@pytest.fixture
def event(session: Session) -> AuditEvent:
    row = audit.record(
        session=session,
        actor=SYSTEM_ACTOR,
        action=AuditAction.READ,
        entity_type="patient",
        entity_id=1,
        patient_id=1,
    )
    session.commit()
    return row


def test_orm_update_is_refused(session: Session, event: AuditEvent) -> None:
    event.action = AuditAction.DELETE
    with pytest.raises(AuditImmutableError):
        session.flush()
    session.rollback()


def test_orm_delete_is_refused(session: Session, event: AuditEvent) -> None:
    session.delete(event)
    with pytest.raises(AuditImmutableError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditEvent).values(entity_type="x"),
        sa.delete(AuditEvent),
    ],
)
def test_bulk_statements_are_refused(
    session: Session, event: AuditEvent, statement: sa.Executable
) -> None:
    with pytest.raises(AuditImmutableError):
        session.execute(statement)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET entity_type = 'x'",
        "DELETE FROM audit_event",
    ],
)
def test_database_trigger_refuses_raw_sql(session: Session, event: AuditEvent, sql: str) -> None:
    nested = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.connection().exec_driver_sql(sql)
    nested.rollback()
    assert session.get(AuditEvent, event.id) is not None


def test_list_filters_newest_first(session: Session) -> None:
    for patient_id in (7, 8, 7):
        audit.record(
            session=session,
            actor=SYSTEM_ACTOR,
            action=AuditAction.READ,
            entity_type="patient",
            patient_id=patient_id,
        )
    session.commit()
    rows, total = audit.list_events(session=session, limit=10, offset=0, patient_id=7)
    assert total == 2
    assert rows[0].id > rows[1].id
