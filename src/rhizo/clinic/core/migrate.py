"""Run the packaged Alembic migrations from code (``rhizo db upgrade``, tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rhizo.clinic.core.config import ensure_sqlite_directory, normalise_database_url

#: The clinic's migrations (``rhizo/clinic/migrations``, beside the models aggregate).
MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"


def alembic_config(url: str, connection: sa.Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations (date-prefixed revision files)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Upgrade the database at ``url`` to ``revision``; returns the revision reached."""
    url = normalise_database_url(url)
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), revision)
    return current_revision(url)


def downgrade(url: str, revision: str) -> None:
    """Downgrade the database at ``url`` to ``revision`` (``base`` empties it)."""
    command.downgrade(alembic_config(normalise_database_url(url)), revision)


def head_revision() -> str | None:
    """The newest packaged revision."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None when never migrated)."""
    from rhizo.clinic.core.database import create_db_engine

    engine = create_db_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
