"""Migration 0010b2c3d4e5 on SQLite and PostgreSQL: confirmed -> scheduled, legacy
cancellations get a reason, procedures keep their plan, the new checks hold, and the
downgrade restores confirmed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.clinic.conftest import fresh_database_url

from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine

BEFORE = "0009a1b2c3d4"
THIS = "0010b2c3d4e5"


def _insert(connection: sa.Connection, table: str, fixed: dict[str, object]) -> None:
    """A row of ``table`` with ``fixed`` and every other NOT NULL column filled by type
    (patients, specialists and procedures belong to other slices and may gain columns)."""
    values = dict(fixed)
    for column in sa.inspect(connection).get_columns(table):
        name = column["name"]
        if column["nullable"] or column["default"] is not None or name in values:
            continue
        kind = str(column["type"]).upper()
        if kind == "DATE":
            values[name] = "1960-01-01"
        elif "DATE" in kind or "TIME" in kind:
            values[name] = "2026-01-01 00:00:00"
        elif "BOOL" in kind:
            values[name] = True
        elif "INT" in kind:
            values[name] = 1
        elif "JSON" in kind:
            values[name] = "[]"
        else:
            values[name] = "x1"
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - test's own names
    connection.execute(sa.text(sql), values)


def _plan(plan_id: int, status: str) -> dict[str, object]:
    return {
        "id": plan_id,
        "patient_id": 1,
        "procedure": "lumbar-facet-rf",
        "planned_date": f"2027-01-0{plan_id}",
        "side": "left",
        "levels": '["L4-L5"]',
        "sedation": "none",
        "bleeding_risk": "low",
        "status": status,
        "updated_at": f"2026-02-0{plan_id} 10:00:00",
    }


_PROCEDURE_ENUMS = {
    "technique": "conventional",
    "region": "lumbar",
    "side": "left",
    "sedation": "none",
    "status": "completed",
    "levels": '["L4-L5"]',
}


def _procedure_plan(engine: sa.Engine) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT plan_id FROM procedures WHERE id = 1").scalar()


def _statuses(engine: sa.Engine) -> dict[int, tuple[object, ...]]:
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("plans")}
        extra = ", cancel_reason, cancelled_by, cancelled_at" if "cancel_reason" in columns else ""
        sql = f"SELECT id, status{extra} FROM plans ORDER BY id"  # noqa: S608 - own names
        rows = connection.exec_driver_sql(sql)
        return {row[0]: tuple(row[1:]) for row in rows}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(request.param, tmp_path, "rhizo_plan_lifecycle_migration_test")


def test_upgrade_renames_confirmed_backfills_cancellations_and_downgrades(
    empty_url: str,
) -> None:
    url = empty_url
    assert migrate.upgrade(url, BEFORE) == BEFORE
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            _insert(connection, "patients", {"id": 1, "sex": "female"})
            for plan_id, status in enumerate(("draft", "confirmed", "done", "cancelled"), 1):
                _insert(connection, "plans", _plan(plan_id, status))
            _insert(connection, "specialists", {"id": 1})
            procedure: dict[str, object] = {
                "id": 1,
                "patient_id": 1,
                "performer_id": 1,
                "plan_id": 3,
            }
            _insert(connection, "procedures", procedure | _PROCEDURE_ENUMS)
        assert migrate.upgrade(url, THIS) == THIS
        after = _statuses(engine)
        assert after[1] == ("draft", None, None, None)
        assert after[2] == ("scheduled", None, None, None)
        assert after[3] == ("done", None, None, None)
        assert _procedure_plan(engine) == 3  # the table rebuild keeps procedures.plan_id
        cancelled, reason, by, at = after[4]
        assert (cancelled, by) == ("cancelled", "unknown")
        assert "before rhizo stored a reason" in str(reason)
        assert str(at).startswith("2026-02-04 10:00:00")  # its updated_at
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            # The old name is gone: the status check refuses it.
            connection.exec_driver_sql("UPDATE plans SET status = 'confirmed' WHERE id = 1")
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            # A cancelled plan needs its reason.
            connection.exec_driver_sql("UPDATE plans SET status = 'cancelled' WHERE id = 1")
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            # Only a done plan may name a procedure (no procedure 99 either: FK).
            connection.exec_driver_sql("UPDATE plans SET procedure_id = 99 WHERE id = 2")
        migrate.downgrade(url, BEFORE)
        before = _statuses(engine)
        assert before == {
            1: ("draft",),
            2: ("confirmed",),
            3: ("done",),
            4: ("cancelled",),
        }
        assert _procedure_plan(engine) == 3
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.exec_driver_sql("UPDATE plans SET status = 'scheduled' WHERE id = 1")
        assert migrate.upgrade(url) == migrate.head_revision()  # and up again
    finally:
        engine.dispose()
