"""Alembic environment: the clinic metadata, batch mode on SQLite, named constraints."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.models import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url (rhizo db upgrade does)")
    return url


def run_offline() -> None:
    """Emit SQL without a connection (``alembic upgrade --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through a live connection (one given by the caller, or a new engine)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_url())
    try:
        with engine.connect() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


def _run(connection: sa.Connection) -> None:
    """Run the migrations; on SQLite with foreign keys off around them, then checked.

    SQLite cannot alter most of a table in place, so batch mode copies it to a new
    table and drops the old one. With foreign keys enforced (every rhizo connection
    turns them on) that drop runs the ON DELETE actions of the tables pointing at
    it: rebuilding ``patients`` would delete every plan and procedure. SQLite's own
    procedure for schema changes (sqlite.org, "ALTER TABLE", section 7, "Making
    Other Kinds Of Table Schema Changes") is: foreign keys off (outside any
    transaction: the pragma is a no-op inside one), change the schema, then
    ``PRAGMA foreign_key_check`` before committing, then foreign keys on again. A
    connection handed in already inside a transaction is run as it is (each
    migration that rebuilds a referenced table then keeps its own rows).
    """
    raw = None
    if connection.dialect.name == "sqlite" and not connection.in_transaction():
        raw = connection.connection.driver_connection
        if raw is None:  # pragma: no cover - a live pooled connection has its sqlite3 one
            raise RuntimeError("the SQLite connection has no driver connection")
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if raw is not None:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        f"migration left {len(broken)} rows whose foreign key points nowhere"
                        f" (first: table {broken[0][0]}, row {broken[0][1]},"
                        f" parent {broken[0][2]}); nothing was committed"
                    )
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
