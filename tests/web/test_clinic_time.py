"""The clinic's time zone: times are typed and shown on the clinic's clock, stored in UTC.

Reference offsets are the IANA tz database's rules (tzdata): Sydney keeps
daylight time (AEDT, UTC+11) from the first Sunday of October to the first
Sunday of April; Berlin keeps CEST (UTC+2) from the last Sunday of March to the
last Sunday of October; New York is EST (UTC-5) in January.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from rhizo.clinic.core.config import Settings
from rhizo.clinic.demo.seed import SeedReport
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.web.app import create_web_app
from rhizo.clinic.web.clinic_time import form_value, from_form_value, shown
from tests.web.conftest import login
from tests.web.test_forms_procedure import passing_lesion, procedure_form
from tests.web.test_forms_support import db, form_page, new_patient

SYDNEY = ZoneInfo("Australia/Sydney")


def test_a_form_time_is_read_on_the_clinics_clock() -> None:
    # 1 March 2026 08:30 in Sydney is AEDT (UTC+11): 28 February 21:30 UTC.
    stored = from_form_value("2026-03-01T08:30", SYDNEY)
    assert isinstance(stored, datetime)
    assert stored.astimezone(UTC) == datetime(2026, 2, 28, 21, 30, tzinfo=UTC)
    # An explicit offset wins over the clinic's zone.
    assert from_form_value("2026-03-01T08:30+00:00", SYDNEY) == datetime(
        2026, 3, 1, 8, 30, tzinfo=UTC
    )
    # Unparseable text goes through so the model names the field and value.
    assert from_form_value("yesterday", SYDNEY) == "yesterday"


def test_a_stored_time_is_shown_and_prefilled_on_the_clinics_clock() -> None:
    noon_utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert shown(noon_utc, ZoneInfo("Europe/Berlin")) == "2026-07-01 14:00 CEST"
    assert shown(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), ZoneInfo("America/New_York")) == (
        "2026-01-15 07:00 EST"
    )
    assert form_value(noon_utc, SYDNEY) == "2026-07-01T22:00"  # AEST, UTC+10 in July


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "UTC+3", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_refused_by_name(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(env="test", secret_key=SecretStr("z" * 48), clinic_timezone=name)
    assert "RHIZO_CLINIC_TIMEZONE" in str(caught.value)
    assert "IANA" in str(caught.value)


@pytest.fixture
def sydney_client(demo_db: tuple[str, SeedReport]) -> Iterator[tuple[FastAPI, TestClient]]:
    url, _ = demo_db
    settings = Settings(
        database_url=url,
        env="test",
        secret_key=SecretStr("w" * 48),
        clinic_timezone="Australia/Sydney",
    )
    app = create_web_app(settings, synthetic=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


def test_procedure_entered_in_sydney_is_stored_in_utc_and_dated_on_sydneys_day(
    sydney_client: tuple[FastAPI, TestClient], passwords: dict[str, str]
) -> None:
    app, client = sydney_client
    login(client, "demo-clinician", passwords["demo-clinician"])
    pid = new_patient(app)
    html, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    assert "Performed at (clinic time, Australia/Sydney)" in html
    data = procedure_form(app, csrf, [passing_lesion()], performed_at="2026-03-01T08:30")
    response = client.post(f"/patients/{pid}/procedures/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    with db(app) as session:
        procedure = session.scalars(sa.select(Procedure).where(Procedure.patient_id == pid)).one()
        performed_at = procedure.performed_at
    assert performed_at.astimezone(UTC) == datetime(2026, 2, 28, 21, 30, tzinfo=UTC)
    # The timeline dates the procedure on Sydney's 1 March, not UTC's 28 February.
    page = client.get(f"/patients/{pid}").text
    procedure_items = re.findall(
        r'<time datetime="([0-9-]+)">[^<]*</time> <span class="kind">procedure', page
    )
    assert procedure_items == ["2026-03-01"]
    # The discharge form shows the time back on the clinic's clock.
    discharge = client.get(f"/procedures/{procedure.id}/discharge").text
    assert "performed 2026-03-01 08:30 AEDT" in discharge
