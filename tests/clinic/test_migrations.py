"""Alembic: upgrade from empty on SQLite and PostgreSQL, models match, downgrade empties."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from tests.clinic.conftest import fresh_database_url

from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.models import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(request.param, tmp_path, "rhizo_migration_test")


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_url: str) -> None:
    assert migrate.current_revision(empty_url) is None
    assert migrate.upgrade(empty_url) == migrate.head_revision()
    engine = create_db_engine(empty_url)
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            assert set(metadata.tables) <= tables
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), metadata
            )
            assert diff == [], diff
            checks = {c["name"] for c in sa.inspect(connection).get_check_constraints("followups")}
            assert "ck_followups_nrs_range" in checks
            fks = sa.inspect(connection).get_foreign_keys("lesions")
            assert {fk["name"] for fk in fks} >= {"fk_lesions_procedure_id_procedures"}
        migrate.downgrade(empty_url, "base")
        with engine.connect() as connection:
            left = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
            assert left == set()
        assert migrate.upgrade(empty_url) == migrate.head_revision()  # and up again
    finally:
        engine.dispose()


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fk.sqlite3'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            with pytest.raises(sa.exc.IntegrityError):
                connection.exec_driver_sql(
                    "INSERT INTO conditions (patient_id, icd10_code, description, status, "
                    "created_at, updated_at) VALUES (424242, 'M47.816', 'x', 'active', "
                    "'2025-01-01', '2025-01-01')"
                )
    finally:
        engine.dispose()


def test_revision_files_are_date_prefixed() -> None:
    files = sorted(p.name for p in (migrate.MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files
    assert all(name[:4].isdigit() and name[4] == "-" and name[10] == "_" for name in files)
