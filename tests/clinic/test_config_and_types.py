"""Settings refuse unsafe secrets; URLs are normalised; timestamps come back in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session
from tests.clinic.factories import make_followup, make_patient

from rhizo.clinic.core.config import Settings, default_database_url, normalise_database_url


def test_production_refuses_a_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RHIZO_SECRET_KEY", raising=False)
    monkeypatch.delenv("RHIZO_ENV", raising=False)
    with pytest.raises(ValidationError, match="RHIZO_SECRET_KEY is not set"):
        Settings()


@pytest.mark.parametrize("secret", ["changethis", "short-but-random"])
def test_production_refuses_default_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match=r"well-known default|shorter than"):
        Settings(env="production", secret_key=secret)


def test_development_makes_a_throwaway_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RHIZO_SECRET_KEY", raising=False)
    monkeypatch.setenv("RHIZO_ENV", "development")
    assert len(Settings().secret) >= 32


def test_environment_database_url_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RHIZO_DATABASE_URL", "postgres://u@db:5432/clinic")
    monkeypatch.setenv("RHIZO_ENV", "development")
    assert Settings().database_url == "postgresql+psycopg://u@db:5432/clinic"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_default_database_is_a_sqlite_file_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path}/rhizo/clinic.sqlite3"


def test_timestamps_round_trip_as_aware_utc(session: Session) -> None:
    patient = make_patient(session)
    row = make_followup(session, patient)
    session.expire_all()
    stored = session.get(type(row), row.id)
    assert stored is not None
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert abs(stored.created_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_naive_datetimes_are_refused(session: Session) -> None:
    patient = make_patient(session)
    patient.updated_at = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()
    session.rollback()


def test_offsets_are_converted_to_utc(session: Session) -> None:
    patient = make_patient(session)
    patient.updated_at = datetime(2025, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    session.commit()
    session.expire_all()
    assert session.get(type(patient), patient.id).updated_at == datetime(
        2025,
        1,
        1,
        10,
        0,  # type: ignore[union-attr]
        tzinfo=UTC,
    )
