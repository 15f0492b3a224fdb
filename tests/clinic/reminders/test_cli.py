"""``rhizo reminders run``: sends to the local SMTP server; bad settings are one line, exit 2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.clinic.reminders.smtp_sink import Sink, smtp_sink

from rhizo.cli import main
from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.schedule import reminders


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outbox_cli") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(migrated: Path, tmp_path: Path) -> str:
    path = tmp_path / "cli.sqlite3"
    shutil.copy(migrated, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sink: tuple[Sink, int]) -> None:
    monkeypatch.setenv("RHIZO_ENV", "test")
    monkeypatch.setenv("RHIZO_SECRET_KEY", "cli-test-secret-" + "abcdefgh" * 5)
    monkeypatch.setenv("RHIZO_PSEUDONYM_KEY", "cli-test-pseudonym-" + "hgfedcba" * 5)
    monkeypatch.setenv("RHIZO_CLINIC_NAME", "Riverside Pain Clinic")
    monkeypatch.setenv("RHIZO_CLINIC_PHONE", "+44 20 7946 0000")
    monkeypatch.setenv("RHIZO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RHIZO_SMTP_PORT", str(sink[1]))
    monkeypatch.setenv("RHIZO_SMTP_FROM", "clinic@riverside.example.org")


def _queue(url: str, n: int) -> None:
    engine = create_db_engine(url)
    with create_session_factory(engine)() as session:
        for i in range(n):
            outbox.enqueue(
                session=session,
                channel="email",
                to=f"p{i}@example.org",
                template=reminders.REQUEST_RECEIVED,
                context={},
                send_after=datetime(2026, 1, 1, tzinfo=UTC),
                dedupe_key=f"cli:{i}",
            )
        session.commit()
    engine.dispose()


def test_run_once_json(
    env: None, db_url: str, sink: tuple[Sink, int], capsys: pytest.CaptureFixture[str]
) -> None:
    _queue(db_url, 3)
    assert main(["reminders", "run", "--once", "--json", "--db", db_url]) == 0
    sweep, line = (json.loads(text) for text in capsys.readouterr().out.splitlines())
    # The worklist sweep runs first (no patients here: nothing raised).
    assert (sweep["tasks_raised"], sweep["tasks_closed"], sweep["tasks_reopened"]) == (0, 0, 0)
    assert (line["sent"], line["failed"], line["now"]["sent"], line["now"]["queued"]) == (
        3,
        0,
        3,
        0,
    )
    assert len(sink[0].received) == 3
    assert "Riverside Pain Clinic" in str(sink[0].received[0]["Subject"])


def test_run_once_text(env: None, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "run", "--once", "--db", db_url]) == 0
    sweep, line = capsys.readouterr().out.splitlines()
    assert sweep.startswith("tasks (")
    assert "raised 0, closed 0, reopened 0" in sweep
    assert line.startswith("reminders: sent 0, retried 0, failed 0")


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("RHIZO_SMTP_FROM", "clinic@", "RHIZO_SMTP_FROM"),
        ("RHIZO_SMTP_PORT", "70000", "RHIZO_SMTP_PORT"),
        ("RHIZO_SMTP_SECURITY", "maybe", "RHIZO_SMTP_SECURITY"),
        ("RHIZO_SMTP_USER", "clinic", "RHIZO_SMTP_PASSWORD go together"),
        ("RHIZO_SMS_TRANSPORT", "nosuchmodule:factory", "RHIZO_SMS_TRANSPORT"),
    ],
)
def test_bad_settings_one_line_exit_2(
    env: None,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["reminders", "run", "--once", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert says in err


def test_password_in_clear_to_a_remote_host_refused(
    env: None, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RHIZO_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("RHIZO_SMTP_USER", "clinic")
    monkeypatch.setenv("RHIZO_SMTP_PASSWORD", "s3cret-pass")
    assert main(["reminders", "run", "--once", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "clear text to smtp.example.org" in err
    assert "s3cret" not in err


@pytest.mark.parametrize(
    ("option", "value"), [("--batch", "0"), ("--interval-s", "0"), ("--sweep-every-s", "10")]
)
def test_bad_options(
    env: None, db_url: str, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    assert main(["reminders", "run", "--once", option, value, "--db", db_url]) == 2
    assert option in capsys.readouterr().err
