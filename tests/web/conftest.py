"""Web page fixtures: one seeded synthetic SQLite database per session, a client per role."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from rhizo.clinic.core import migrate
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import SeedReport, seed
from rhizo.clinic.web.app import create_web_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = date(2026, 6, 1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SeedReport]]:
    path: Path = tmp_path_factory.mktemp("web") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=12, today=TODAY)
    session.close()
    engine.dispose()
    return url, report


@pytest.fixture(scope="session")
def web_app(demo_db: tuple[str, SeedReport]) -> FastAPI:
    url, _ = demo_db
    # The page tests log in as every demo role, the admin too: the admin's forced TOTP
    # enrolment is tested in tests/clinic/test_login_defence.py.
    settings = Settings(
        database_url=url,
        env="test",
        secret_key=SecretStr("w" * 48),
        admin_totp_required=False,
    )
    return create_web_app(settings, synthetic=True)


@pytest.fixture
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app, raise_server_exceptions=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def passwords(demo_db: tuple[str, SeedReport]) -> dict[str, str]:
    return {name: password for name, (_, password) in demo_db[1].passwords.items()}


@pytest.fixture
def as_role(client: TestClient, passwords: dict[str, str]):  # type: ignore[no-untyped-def]
    def _login(role: str) -> TestClient:
        login(client, f"demo-{role}", passwords[f"demo-{role}"])
        return client

    return _login
