"""Engine, sessions and column types shared by every clinic table.

SQLite (the embedded default) and PostgreSQL run the same models, so nothing
here is PostgreSQL-only: JSON is ``sa.JSON`` with a JSONB variant, UUIDs would
be ``sa.Uuid``, and timestamps go through :class:`UTCDateTime` because SQLite
drops the time zone. Every SQLite connection turns foreign keys on, uses WAL,
waits for a busy writer, and lets SQLAlchemy own ``BEGIN`` so that savepoints
(the per-test rollback) work on the stdlib driver.

Writers wait, they do not fail. A deferred ``BEGIN`` that reads and then
writes holds a WAL read snapshot; when another connection commits first, the
upgrade to a write lock returns ``SQLITE_BUSY`` at once, without the busy
timeout (waiting cannot make a stale snapshot fresh; SQLite, "Isolation In
SQLite" and "Write-Ahead Logging"), which made concurrent saves fail as HTTP
500. So every write transaction (:func:`begin_write`, called by
``rhizo.clinic.core.transactions.transaction``, through which every service writes)
begins ``BEGIN IMMEDIATE``: it takes the write lock before its first read and
waits up to :data:`BUSY_TIMEOUT_S` for it (SQLAlchemy's pysqlite recipe:
pysqlite's own BEGIN off, the ``begin`` event emits ours). Everything else
(authentication, permission checks, page reads, the analytics passes) reads
in a deferred transaction, which in WAL mode never waits for or blocks a
writer. The write lock is therefore held only inside one service call, in one
thread: never across the request's other dependencies, which would wait for a
worker thread that the lock's waiters occupy. The database file is created
owner-only (0600); a looser existing file is tightened with a warning.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.pool import StaticPool

_log = logging.getLogger("rhizo.clinic.core.database")

#: How long a SQLite writer waits for the write lock before giving up (seconds).
BUSY_TIMEOUT_S = 10.0
#: Execution option of a connection whose transaction writes: ``BEGIN IMMEDIATE`` on SQLite.
WRITE_OPTION = "rhizo_write"
#: Execution option of a transaction that only reads (deferred ``BEGIN``, the default).
READ_ONLY_OPTION = "rhizo_read_only"
#: Mode of the SQLite database file (its -wal and -shm files copy it): owner only.
SQLITE_FILE_MODE = 0o600

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; naive values are refused.

    SQLite hands ``DateTime(timezone=True)`` back naive, so results get UTC
    re-attached here; PostgreSQL values are converted to UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base: named constraints, UTC timestamps, portable JSON."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        date: sa.Date(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


class TimestampMixin:
    """``created_at`` and ``updated_at`` in UTC, set by the database layer."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """An edit counter: ``version`` is 1 when the row is created and +1 on every UPDATE.

    SQLAlchemy's ``version_id_col`` adds ``WHERE version = <read>`` to each
    UPDATE, so two transactions that both read version n cannot both write
    (the second raises ``StaleDataError``, mapped to 409). Clients send back
    the version they read (``version`` in a PATCH body, a hidden field in the
    web forms); :func:`rhizo.clinic.core.conflicts.check_version` refuses a stale
    one. ``entity_label`` is how a person names the row in a message.
    """

    entity_label: ClassVar[str] = "record"
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


def _is_sqlite(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_file(url: str | sa.URL) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL and in-memory databases)."""
    parsed = sa.make_url(url)
    if not _is_sqlite(parsed) or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # pragma: no cover - URI filenames unused here
        return None
    return Path(parsed.database)


def secure_sqlite_file(path: Path) -> None:
    """Create ``path`` with mode 0600 when missing; tighten a looser one (with a warning).

    SQLite creates the ``-wal`` and ``-shm`` files with the database file's
    permissions (its unix VFS copies the main file's mode), so a 0600 main
    file keeps the write-ahead log private too; existing ones are tightened.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        old = os.umask(0o077)
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, SQLITE_FILE_MODE))
        finally:
            os.umask(old)
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            _log.warning(
                "%s had mode %o (readable by others); changed to %o",
                candidate,
                mode,
                SQLITE_FILE_MODE,
            )
            candidate.chmod(SQLITE_FILE_MODE)


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on, WAL, a busy timeout; SQLAlchemy emits BEGIN itself."""
    del connection_record
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    """``BEGIN IMMEDIATE`` (take the write lock, waiting for it) for a write transaction,
    a deferred ``BEGIN`` otherwise."""
    options = connection.get_execution_options()
    if options.get(WRITE_OPTION) and not options.get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def begin_write(session: Session) -> None:
    """Make the session's next work a write transaction (``BEGIN IMMEDIATE`` on SQLite).

    A read transaction still open (the request's authentication read) is ended
    first: writing inside its snapshot is the upgrade that fails. If it has
    unflushed changes it is kept (they belong to it). A transaction that
    already writes is left alone (nested service calls). PostgreSQL: nothing
    to do (its writers wait on row locks).
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get(WRITE_OPTION):
            return
        if session.new or session.dirty or session.deleted:
            return
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


def create_db_engine(url: str | sa.URL, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with the per-connection SQLite settings installed.

    A SQLite file is created 0600 (or tightened) before the first connection.
    """
    parsed = sa.make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if _is_sqlite(parsed):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        path = sqlite_file(parsed)
        if path is None:
            kwargs["poolclass"] = StaticPool
        else:
            secure_sqlite_file(path)
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(parsed, **kwargs)
    if _is_sqlite(parsed):
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (views serialise them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield one session and close it (the request-scoped dependency)."""
    session = factory()
    try:
        yield session
    finally:
        session.close()
