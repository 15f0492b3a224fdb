"""Downgrading through table rebuilds on SQLite loses no rows of the tables that point at them.

SQLite rebuilds a table to alter it (batch mode); with foreign keys on, dropping
the old ``patients`` table ran ON DELETE CASCADE and deleted every plan,
procedure and follow-up (revision 0009's downgrade did, found by
test_plan_premed_inputs). The migration environment now follows SQLite's own
procedure (foreign keys off around the change, then ``PRAGMA
foreign_key_check``). The reference is the row count of each table before the
downgrade: a rebuild must keep every row.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.demo.seed import seed

#: Before 0009 (allergies and demographics), 0010 (plan lifecycle), 0011 (clinic settings).
BEFORE_ISSUE_16_RECORDS = "0008c4d5e6f7"
TABLES = ("patients", "plans", "procedures", "lesions", "followups", "medications", "discharges")


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        return {
            table: connection.execute(
                sa.select(sa.func.count()).select_from(sa.table(table))
            ).scalar_one()
            for table in TABLES
            if table in present
        }


def test_downgrade_through_rebuilds_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fk.sqlite3'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            seed(session, patients=6, today=date(2026, 12, 1))
            session.commit()
        before = _counts(engine)
        assert before["patients"] == 6
        assert before["plans"] > 0
        assert before["procedures"] > 0
        migrate.downgrade(url, BEFORE_ISSUE_16_RECORDS)
        assert _counts(engine) == before
        migrate.upgrade(url)
        assert _counts(engine) == before
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            # Later connections still enforce foreign keys.
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        engine.dispose()
