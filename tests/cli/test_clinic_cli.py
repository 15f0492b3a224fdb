"""``rhizo db upgrade``, ``rhizo user add`` and ``rhizo serve``, end to end."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from rhizo.cli import main
from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine

PASSWORD = "a long enough password"  # noqa: S105 - test-only credential


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def _add_user(
    db: str, monkeypatch: pytest.MonkeyPatch, *args: str, password: str = PASSWORD
) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["user", "add", *args, "--db", db])


def test_db_upgrade_then_user_add(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--db", db]) == 0
    assert migrate.head_revision() in capsys.readouterr().out
    assert _add_user(db, monkeypatch, "dr.who", "--role", "clinician") == 0
    assert "added user dr.who" in capsys.readouterr().out
    engine = create_db_engine(db)
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.text("SELECT role, password_hash FROM users")).one()
            assert row.role == "clinician"
            assert row.password_hash.startswith("$argon2id$")
            actions = connection.execute(sa.text("SELECT action FROM audit_event")).scalars()
            assert list(actions) == ["create"]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "password", "needle"),
    [
        (["nobody", "--role", "overlord"], PASSWORD, "--role: 'overlord'"),
        (["Bad Name", "--role", "nurse"], PASSWORD, "USERNAME: 'Bad Name'"),
        (["nurse1", "--role", "nurse"], "short", "password: refused"),
    ],
)
def test_user_add_bad_input_is_one_line_exit_2(
    db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    password: str,
    needle: str,
) -> None:
    assert main(["db", "upgrade", "--db", db]) == 0
    capsys.readouterr()
    assert _add_user(db, monkeypatch, *args, password=password) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert needle in err
    assert "short" not in err.split(":", 2)[-1] or "password" not in needle  # never echoed


def test_duplicate_user_is_refused(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["db", "upgrade", "--db", db])
    assert _add_user(db, monkeypatch, "ann", "--role", "nurse") == 0
    assert _add_user(db, monkeypatch, "ann", "--role", "nurse") == 2
    assert "USERNAME: 'ann'" in capsys.readouterr().err


def test_bad_database_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", "mysql://x/y"]) == 2
    assert capsys.readouterr().err.startswith("error: --db: 'mysql://x/y'")


def test_serve_refuses_missing_secret_and_unmigrated_db(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RHIZO_SECRET_KEY", raising=False)
    monkeypatch.delenv("RHIZO_ENV", raising=False)
    assert main(["serve", "--db", db]) == 2
    assert "RHIZO_SECRET_KEY" in capsys.readouterr().err
    monkeypatch.setenv("RHIZO_ENV", "development")
    assert main(["serve", "--db", db]) == 2
    assert "run 'rhizo db upgrade' first" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_upgrade_add_serve_answers_on_loopback(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["db", "upgrade", "--db", db]) == 0
    assert _add_user(db, monkeypatch, "admin", "--role", "admin") == 0
    port = _free_port()
    env = {
        **os.environ,
        "RHIZO_SECRET_KEY": "serve-test-signing-key-0123456789abcdef",
        "RHIZO_PSEUDONYM_KEY": "serve-test-pseudonym-key-0123456789abcdef",
        "RHIZO_ENV": "production",
    }
    command = [
        sys.executable,
        "-c",
        "import sys; from rhizo.cli import main; sys.exit(main())",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
    ]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as server:
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    docs = httpx.get(base + "/docs", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("rhizo serve did not answer within 10 s")
            assert docs.status_code == 200
            token = httpx.post(
                base + "/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}
            ).json()
            me = httpx.get(
                base + "/api/v1/auth/me",
                headers={"Authorization": f"Bearer {token['access_token']}"},
            )
            assert me.json()["role"] == "admin"
        finally:
            server.terminate()
            server.wait(timeout=10)
