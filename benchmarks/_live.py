"""What the live-server benchmarks share: a port, a uvicorn process, a seeded database.

Used by benchmarks/concurrency.py, benchmarks/login_flood.py, benchmarks/registry.py and
benchmarks/audit_chain.py. Each runs as ``python benchmarks/x.py`` (this
folder first on ``sys.path``: ``import _live``) or is imported as
``benchmarks.x`` by the tests (``from benchmarks import _live``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa

from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.auth.security import create_access_token, hash_password
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.patient.models import Patient, Sex, search_key


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def start_server(
    script: str, args: list[str], env: dict[str, str], stderr: Any
) -> subprocess.Popen[bytes]:
    """Run ``script`` (a uvicorn server) with ``args`` in a new interpreter."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def wait_serving(base: str) -> None:
    """Return once ``base/docs`` answers 200 (RuntimeError after 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/docs", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start within 60 s")


def stop_server(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate the server if it still runs, and wait for it."""
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def prepare(
    url: str,
    *,
    secret: str,
    username: str,
    mrn: str,
    family_name: str,
    expires_minutes: int,
) -> tuple[dict[str, str], int]:
    """Migrate, add a clinician and a patient; (the clinician's auth headers, patient id)."""
    migrate.upgrade(url)
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            user = User(
                username=username,
                password_hash=hash_password(uuid.uuid4().hex),
                role=Role.CLINICIAN,
            )
            patient = Patient(
                mrn=mrn,
                given_name="Bench",
                family_name=family_name,
                given_key=search_key("Bench"),
                family_key=search_key(family_name),
                birth_date=date(1960, 1, 1),
                sex=Sex.FEMALE,
                synthetic=True,
            )
            session.add_all([user, patient])
            session.commit()
            token = create_access_token(
                user_id=user.id,
                role=user.role.value,
                session_epoch=user.session_epoch,
                secret=secret,
                algorithm="HS256",
                expires_minutes=expires_minutes,
            )
            return {"Authorization": f"Bearer {token}"}, patient.id
    finally:
        engine.dispose()


def _admin_execute(base: sa.URL, *statements: str) -> None:
    admin = create_db_engine(base.set(database="postgres"))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        admin.dispose()


def fresh_postgres_database(base_url: str, name: str) -> str:
    """Drop and create the database ``name`` on the server of ``base_url``; its URL."""
    base = sa.make_url(base_url)
    _admin_execute(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(base_url: str, name: str) -> None:
    """Drop the database ``name`` on the server of ``base_url`` (if it exists)."""
    _admin_execute(sa.make_url(base_url), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench_postgres_url(name: str) -> str | None:
    """A fresh database ``name`` beside ``RHIZO_BENCH_POSTGRES_URL`` (else
    ``RHIZO_TEST_POSTGRES_URL``); None when neither is set."""
    base = os.environ.get("RHIZO_BENCH_POSTGRES_URL") or os.environ.get("RHIZO_TEST_POSTGRES_URL")
    if not base:
        return None
    return fresh_postgres_database(base, name)
