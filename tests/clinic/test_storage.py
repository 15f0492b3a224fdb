"""At rest: owner-only SQLite files, consistent backups (WAL included), checked restores.

Findings: the SQLite file was created 0644 (readable by every local user), and
a plain file copy taken as a backup missed the committed rows still in the
write-ahead log. The reference for "every committed row" is the writer's own
record of what it committed before the backup began.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import stat
import threading
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from tests.clinic.conftest import postgres_url

from rhizo.cli import main
from rhizo.clinic.core import backup, migrate
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.patient.models import Patient, Sex, search_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _patient(mrn: str) -> Patient:
    return Patient(
        mrn=mrn,
        given_name="Wal",
        family_name="Row",
        given_key=search_key("Wal"),
        family_key=search_key("Row"),
        birth_date=date(1970, 1, 1),
        sex=Sex.MALE,
        synthetic=True,
    )


def _mrns(path: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {str(row[0]) for row in connection.execute("SELECT mrn FROM patients")}
    finally:
        connection.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "registry.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def test_a_new_database_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "clinic.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        with engine.connect() as connection:  # holds the -wal and -shm open
            connection.exec_driver_sql("SELECT * FROM t").all()
            for suffix in ("", "-wal", "-shm"):
                assert _mode(Path(f"{path}{suffix}")) == 0o600, suffix
    finally:
        engine.dispose()


def test_a_world_readable_file_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="rhizo.clinic.core.database"):
        create_db_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600
    assert "mode 644" in caplog.text


def test_a_plain_copy_misses_wal_rows_and_the_backup_holds_every_committed_one(
    db_path: Path, tmp_path: Path
) -> None:
    engine = create_db_engine(f"sqlite:///{db_path}")

    @event.listens_for(engine, "connect")
    def _keep_in_wal(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # rows stay in -wal

    factory = create_session_factory(engine)
    committed: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            mrn = f"W-{uuid.uuid4().hex[:12]}"
            with factory() as session:
                session.add(_patient(mrn))
                session.commit()
            committed.append(mrn)

    try:
        with factory() as session:
            for n in range(50):
                session.add(_patient(f"BEFORE-{n:04d}"))
            session.commit()
        copied = tmp_path / "copy.sqlite3"
        shutil.copyfile(db_path, copied)  # what the campaign's backup did
        assert not any(m.startswith("BEFORE-") for m in _mrns(copied))
        thread = threading.Thread(target=writer)
        thread.start()
        while len(committed) < 20:
            stop.wait(0.01)
        before_backup = set(committed)
        report = backup.backup(f"sqlite:///{db_path}", tmp_path / "backup.sqlite3")
        stop.set()
        thread.join()
    finally:
        stop.set()
        engine.dispose()
    saved = _mrns(report.path)
    assert {f"BEFORE-{n:04d}" for n in range(50)} <= saved
    assert before_backup <= saved
    assert saved - {f"BEFORE-{n:04d}" for n in range(50)} <= set(committed)
    assert _mode(report.path) == 0o600
    assert report.revision == migrate.head_revision()
    assert not Path(f"{report.path}-wal").exists()  # one self-contained file


def test_restore_checks_the_file_and_refuses_to_overwrite_rows(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{db_path}"
    engine = create_db_engine(url)
    with create_session_factory(engine)() as session:
        session.add(_patient("KEEP-0001"))
        session.commit()
    engine.dispose()
    saved = tmp_path / "saved.sqlite3"
    assert main(["db", "backup", str(saved), "--db", url]) == 0
    assert "1 rows" in capsys.readouterr().out
    assert main(["db", "backup", str(saved), "--db", url]) == 2
    assert "exists" in capsys.readouterr().err

    target = tmp_path / "target.sqlite3"
    migrate.upgrade(f"sqlite:///{target}")
    assert main(["db", "restore", str(saved), "--db", f"sqlite:///{target}"]) == 0
    assert _mrns(target) == {"KEEP-0001"}
    refused = main(["db", "restore", str(saved), "--db", f"sqlite:///{target}"])
    assert refused == 2
    assert "holds 1 rows" in capsys.readouterr().err
    assert main(["db", "restore", str(saved), "--db", f"sqlite:///{target}", "--force"]) == 0

    not_rhizo = tmp_path / "other.sqlite3"
    with sqlite3.connect(not_rhizo) as other:
        other.execute("CREATE TABLE notes (x TEXT)")
    assert main(["db", "restore", str(not_rhizo), "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 2
    assert "not a rhizo database" in capsys.readouterr().err
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not a database at all")
    assert main(["db", "restore", str(garbage), "--db", f"sqlite:///{tmp_path / 'b.db'}"]) == 2
    assert "not a SQLite database" in capsys.readouterr().err
    future = tmp_path / "future.sqlite3"
    shutil.copyfile(saved, future)
    with sqlite3.connect(future) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    assert main(["db", "restore", str(future), "--db", f"sqlite:///{tmp_path / 'c.db'}"]) == 2
    assert "'ffffffffffff', which this rhizo does not know" in capsys.readouterr().err


def test_a_missing_pg_dump_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump is not on PATH; install the PostgreSQL"):
        backup._tool("pg_dump")


@pytest.mark.postgres
def test_postgres_backup_and_restore_round_trip(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    base = sa.make_url(postgres_url())
    admin = create_db_engine(base.set(database="postgres"))
    names = ("rhizo_backup_src", "rhizo_backup_dst")
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
        source, target = (base.set(database=name).render_as_string(False) for name in names)
        migrate.upgrade(source)
        engine = create_db_engine(source)
        with create_session_factory(engine)() as session:
            session.add(_patient("PG-0001"))
            session.commit()
        engine.dispose()
        dump = tmp_path / "clinic.dump"
        report = backup.backup(source, dump)
        assert _mode(dump) == 0o600
        assert report.revision == migrate.head_revision()
        restored = backup.restore(target, dump)
        assert restored.revision == migrate.head_revision()
        engine = create_db_engine(target)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT mrn FROM patients")).scalars().all() == [
                "PG-0001"
            ]
        engine.dispose()
        with pytest.raises(backup.BackupError, match="holds"):
            backup.restore(target, dump)
        engine = create_db_engine(source)
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
        engine.dispose()
        future = tmp_path / "future.dump"
        backup.backup(source, future)
        with pytest.raises(backup.BackupError, match="'ffffffffffff', which this rhizo"):
            backup.restore(target, future, force=True)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
