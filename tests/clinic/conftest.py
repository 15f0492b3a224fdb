"""Clinic test fixtures: both databases, a per-test rolled-back session, an API client.

``backend`` runs a test on SQLite and on PostgreSQL. The PostgreSQL URL comes
from ``RHIZO_TEST_POSTGRES_URL`` (scripts/postgres.sh); without it the postgres
tests skip with a reason, except under ``CI=true`` where they fail.
Each database is migrated once per session with the packaged Alembic
migrations; each test runs inside an outer transaction that is rolled back
(services' commits only release a savepoint).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from rhizo.clinic.api import create_app
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Actor, Role, User
from rhizo.clinic.core.auth.security import create_access_token
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.core.deps import get_session

with warnings.catch_warnings():
    # Starlette 1.x warns that its TestClient will move from httpx to httpx2.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TEST_SECRET = "test-secret-" + "x" * 40


def postgres_url() -> str:
    """The test server's URL, or skip (fail under CI=true) when there is none."""
    url = os.environ.get("RHIZO_TEST_POSTGRES_URL")
    if not url:
        message = "RHIZO_TEST_POSTGRES_URL is not set (scripts/postgres.sh sets it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true: PostgreSQL tests must run")
        pytest.skip(message)
    return url


def reset_postgres(url: str) -> None:
    """Drop everything in the test database's public schema."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def fresh_database_url(backend: str, tmp_path: Path, name: str) -> Iterator[str]:
    """An empty database of its own named ``name``: a SQLite file under ``tmp_path``, or a
    PostgreSQL database created on the test server and dropped afterwards (the session's
    shared engine keeps the shared one). For migration tests that start from nothing."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        return
    base = sa.make_url(postgres_url())
    admin = create_db_engine(base.set(database="postgres"))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("clinic") / "registry.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = postgres_url()
    reset_postgres(url)
    migrate.upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if backend == "sqlite" else "postgres_engine"
    engine: Engine = request.getfixturevalue(name)
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test", secret_key=TEST_SECRET, database_url="sqlite://")


@pytest.fixture
def app(engine: Engine, session: Session, settings: Settings) -> FastAPI:
    app = create_app(settings, engine=engine)

    def _session() -> Iterator[Session]:
        yield session

    app.dependency_overrides[get_session] = _session
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def token_for(settings: Settings) -> Callable[[User], dict[str, str]]:
    """Authorization headers for a user."""

    def make(user: User) -> dict[str, str]:
        token = create_access_token(
            user_id=user.id,
            role=user.role.value,
            session_epoch=user.session_epoch,
            secret=settings.secret,
            algorithm=settings.jwt_algorithm,
            expires_minutes=5,
        )
        return {"Authorization": f"Bearer {token}"}

    return make


def actor_of(user: User) -> Actor:
    """The service-layer actor for a user."""
    return Actor(user_id=user.id, username=user.username, role=user.role, request_id="test")


def count(session: Session, table: type[object], *where: sa.ColumnElement[bool]) -> int:
    """Rows of ``table`` matching ``where``."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


ALL_ROLES = tuple(Role)
