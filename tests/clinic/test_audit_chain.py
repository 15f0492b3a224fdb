"""The audit trail's hash chain: defined bytes, tamper and deletion found, no fork.

References: the canonical bytes and the SHA-256 of a row are written out here
by hand (hashlib over a literal string), independently of
:func:`rhizo.clinic.core.audit.chain.canonical`; tampering is done with raw SQL
past the append-only triggers, as a database administrator could.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.conftest import postgres_url

from rhizo.cli import main
from rhizo.clinic.core import migrate
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.chain import (
    GENESIS_HASH,
    canonical,
    check_rows,
    row_hash,
    verify_chain,
)
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import SYSTEM_ACTOR, Actor
from rhizo.clinic.core.database import create_db_engine, create_session_factory

ROW: dict[str, Any] = {
    "id": 1,
    "seq": 1,
    "ts": datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=UTC),
    "actor_id": 7,
    "actor_username": "nurse7",
    "actor_role": "nurse",
    "action": AuditAction.READ,
    "entity_type": "patient",
    "entity_id": "42",
    "patient_id": 42,
    "request_id": "r-1",
    "ip": "10.0.0.9",
    "details": {"z": 1.0, "a": [2, "b"]},
}
ROW_JSON = (
    '{"action":"read","actor_id":7,"actor_role":"nurse","actor_username":"nurse7",'
    '"details":{"a":[2,"b"],"z":1},"entity_id":"42","entity_type":"patient","ip":"10.0.0.9",'
    '"patient_id":42,"request_id":"r-1","seq":1,"ts":"2026-12-01T09:30:05.123456+00:00"}'
)


_DELETE = sa.text("DELETE FROM audit_event WHERE id = :id")


def _chain(n: int) -> list[dict[str, Any]]:
    rows, previous = [], GENESIS_HASH
    for i in range(1, n + 1):
        row = {**ROW, "id": 100 + i, "seq": i, "entity_id": str(i)}
        row["prev_hash"] = previous
        row["row_hash"] = previous = row_hash(row, previous)
        rows.append(row)
    return rows


def test_canonical_bytes_and_hash_match_a_hand_computation() -> None:
    assert canonical(ROW) == ROW_JSON.encode()
    expected = hashlib.sha256(("0" * 64 + "\n" + ROW_JSON).encode()).hexdigest()
    assert row_hash(ROW, GENESIS_HASH) == expected


def test_the_same_row_read_back_from_postgres_jsonb_hashes_the_same() -> None:
    # JSONB gives 1e16 back as an integer and reorders keys; the hash must not move.
    stored = {**ROW, "details": {"a": [2, "b"], "z": 1}, "action": "read"}
    assert row_hash(stored, GENESIS_HASH) == row_hash(ROW, GENESIS_HASH)


def test_intact_chain_and_each_kind_of_break() -> None:
    rows = _chain(5)
    report = check_rows(rows)
    assert report.intact
    assert report.rows == 5
    assert report.head_hash == rows[-1]["row_hash"]

    altered = [dict(r) for r in rows]
    altered[2]["patient_id"] = 43
    broken = check_rows(altered).broken
    assert broken is not None
    assert broken.event_id == 103
    assert "altered" in broken.reason

    deleted = rows[:1] + rows[2:]
    broken = check_rows(deleted).broken
    assert broken is not None
    assert broken.event_id == 103
    assert "seq 2" in broken.reason

    rehashed = [dict(r) for r in rows]  # altered and its own hash recomputed
    rehashed[1]["ip"] = "6.6.6.6"
    rehashed[1]["row_hash"] = row_hash(rehashed[1], rehashed[1]["prev_hash"])
    broken = check_rows(rehashed).broken
    assert broken is not None
    assert broken.event_id == 103
    assert "previous-row hash" in broken.reason


def test_anchor_catches_rows_removed_from_the_end() -> None:
    rows = _chain(4)
    assert check_rows(rows, anchor=rows[3]["row_hash"]).intact
    truncated = check_rows(rows[:2], anchor=rows[3]["row_hash"])
    assert truncated.broken is None
    assert truncated.anchor_found is False
    assert not truncated.intact


def _events(session: Session, n: int, actor: Actor = SYSTEM_ACTOR) -> list[AuditEvent]:
    rows = [
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.READ,
            entity_type="patient",
            entity_id=i,
            patient_id=i,
            details={"i": i, "share": 0.5},
        )
        for i in range(n)
    ]
    session.commit()
    return rows


def _drop_triggers(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER trg_audit_event_immutable ON audit_event")
    else:
        connection.exec_driver_sql("DROP TRIGGER trg_audit_event_no_update")
        connection.exec_driver_sql("DROP TRIGGER trg_audit_event_no_delete")


def test_rows_chain_in_order_on_both_databases(session: Session) -> None:
    rows = _events(session, 4)
    seqs = [r.seq for r in rows]
    assert seqs == list(range(seqs[0], seqs[0] + 4))
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(rows))
    report = verify_chain(session.connection())
    assert report.intact, report.broken
    assert report.head_hash == rows[-1].row_hash


def test_raw_sql_tampering_is_reported_at_that_row(session: Session) -> None:
    rows = _events(session, 3)
    _drop_triggers(session)
    session.connection().execute(
        sa.text("UPDATE audit_event SET actor_username = 'someone-else' WHERE id = :id"),
        {"id": rows[1].id},
    )
    broken = verify_chain(session.connection()).broken
    assert broken is not None
    assert broken.event_id == rows[1].id
    assert "altered" in broken.reason


def test_raw_sql_deletion_is_reported_at_the_next_row(session: Session) -> None:
    rows = _events(session, 3)
    _drop_triggers(session)
    session.connection().execute(
        sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": rows[1].id}
    )
    broken = verify_chain(session.connection()).broken
    assert broken is not None
    assert broken.event_id == rows[2].id
    assert f"seq {rows[1].seq}" in broken.reason


def test_the_migration_chains_rows_written_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0004d5e6f7a8")
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for i in range(3):
                connection.execute(
                    sa.text(
                        "INSERT INTO audit_event (ts, actor_username, action, entity_type, "
                        "details) VALUES (:ts, :who, 'read', 'patient', '{\"n\": 2.0}')"
                    ),
                    {"ts": f"2026-01-0{i + 1} 10:00:00.000001", "who": f"u{i}"},
                )
        migrate.upgrade(url)
        with engine.connect() as connection:
            report = verify_chain(connection)
            assert report.intact
            assert report.rows == 3
        with create_session_factory(engine)() as session:
            (new,) = _events(session, 1)
            assert new.seq == 4
            assert new.prev_hash == report.head_hash
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.exec_driver_sql(
                "INSERT INTO audit_event (ts, actor_username, action, entity_type, details, "
                "seq, prev_hash, row_hash) VALUES ('2026-01-09', 'u', 'bogus', 'x', '{}', 9, "
                "'', '')"
            )
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own (its commits are real)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'chain.sqlite3'}"
        migrate.upgrade(url)
        yield url
        return
    base = sa.make_url(postgres_url())
    name = "rhizo_audit_chain_test"
    admin = create_db_engine(base.set(database="postgres"))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        url = base.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


def test_concurrent_writers_do_not_fork_the_chain(fresh_url: str) -> None:
    engine = create_db_engine(fresh_url)
    factory = create_session_factory(engine)
    writers, per_writer = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(k: int) -> None:
        actor = Actor(user_id=None, username=f"writer{k}", role=None)
        try:
            start.wait()
            for _ in range(per_writer):
                with factory() as session:
                    _events(session, 1, actor)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with engine.connect() as connection:
            report = verify_chain(connection)
            seqs = connection.execute(sa.select(AuditEvent.seq).order_by(AuditEvent.seq))
            assert [s for (s,) in seqs] == list(range(1, writers * per_writer + 1))
        assert report.intact
        assert report.rows == writers * per_writer
    finally:
        engine.dispose()


def test_cli_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            rows = _events(session, 3)
        assert main(["audit", "verify", "--db", url]) == 0
        out = capsys.readouterr().out
        assert "intact: 3 rows" in out
        assert rows[-1].row_hash in out
        assert main(["audit", "verify", "--db", url, "--anchor", rows[-1].row_hash]) == 0
        assert main(["audit", "verify", "--db", url, "--anchor", "xyz"]) == 2
        assert "--anchor: 'xyz'" in capsys.readouterr().err
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER trg_audit_event_no_delete")
            connection.execute(_DELETE, {"id": rows[2].id})
        assert main(["audit", "verify", "--db", url]) == 0  # the end alone: only an anchor
        assert main(["audit", "verify", "--db", url, "--anchor", rows[-1].row_hash]) == 1
        assert "is not in the chain of 2 rows" in capsys.readouterr().err
        with engine.begin() as connection:
            connection.execute(_DELETE, {"id": rows[0].id})
        assert main(["audit", "verify", "--db", url]) == 1
        err = capsys.readouterr().err
        assert f"BROKEN at row id {rows[1].id} (seq 2)" in err
        assert "seq 1" in err
    finally:
        engine.dispose()
