"""``rhizo demo --no-serve``: the README's main command prepares its database once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from rhizo.cli import main
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.patient.models import Patient


def test_demo_seeds_once_and_prints_every_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    monkeypatch.setenv("RHIZO_DATABASE_URL", url)
    assert main(["demo", "--no-serve", "--patients", "6"]) == 0
    first = capsys.readouterr().out
    assert "created 6 synthetic patients" in first
    credentials = json.loads((tmp_path / "demo.sqlite3.credentials.json").read_text())
    for role in ("admin", "clinician", "nurse", "patient", "researcher", "auditor"):
        username = f"demo-{role}"
        assert username in credentials
        assert credentials[username][1] in first  # the generated password is printed
    # A second start reuses the database: nothing is seeded again.
    assert main(["demo", "--no-serve", "--patients", "6"]) == 0
    second = capsys.readouterr().out
    assert "created" not in second
    engine = create_db_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(Patient))
        synthetic = connection.scalar(
            sa.select(sa.func.count()).select_from(Patient).where(Patient.synthetic.is_(True))
        )
    engine.dispose()
    assert total == synthetic == 6


def test_demo_refuses_an_unknown_clinic_time_zone_before_touching_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "demo.sqlite3"
    monkeypatch.setenv("RHIZO_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("RHIZO_CLINIC_TIMEZONE", "Mars/Olympus_Mons")
    assert main(["demo", "--no-serve"]) == 2
    captured = capsys.readouterr()
    assert "RHIZO_CLINIC_TIMEZONE 'Mars/Olympus_Mons' is not an IANA time zone name" in (
        captured.err
    )
    assert "Traceback" not in captured.err + captured.out
    assert not database.exists()


def test_demo_names_a_bad_setting_its_value_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "demo.sqlite3"
    monkeypatch.setenv("RHIZO_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("RHIZO_FHIR_IDENTIFIER_SYSTEM", "our mrns")
    assert main(["demo", "--no-serve"]) == 2
    err = capsys.readouterr().err
    assert "RHIZO_FHIR_IDENTIFIER_SYSTEM: 'our mrns' is not allowed" in err
    assert "Traceback" not in err
    assert not database.exists()
