"""The admin's clinic settings: an edit shows on the portal at once; the phone rule's
boundaries; the environment is the default of every empty field.

References: the phone rule as docs/clinic.md states it (an optional '+', then 3 to 15
digits with spaces, '(', ')', '-' or '.'; E.164 allows at most 15 digits), checked at
2/3/15/16 digits; the ``tel:`` URI's global form (RFC 3966: '+' and digits only),
written out by hand here; the stored row and its audit entries read from the database.
The demo database is shared: the test puts the settings back to empty when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.clinic_settings import service as clinic_settings
from rhizo.clinic.core.clinic_settings.models import ClinicSettingsRow, ClinicSettingsUpdate
from rhizo.clinic.core.common import ConflictError
from rhizo.clinic.core.config import Settings
from rhizo.clinic.web.clinic_contact import FALLBACK_TEXT
from tests.web.conftest import csrf_of, login

ADMIN = Actor(user_id=None, username="test-admin", role=Role.ADMIN)


@pytest.fixture
def admin(web_app: FastAPI, passwords: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(web_app, raise_server_exceptions=False) as client:
        login(client, "demo-admin", passwords["demo-admin"])
        yield client


@pytest.fixture
def patient(web_app: FastAPI, passwords: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(web_app, raise_server_exceptions=False) as client:
        login(client, "demo-patient", passwords["demo-patient"])
        yield client


@pytest.fixture
def clean_settings(web_app: FastAPI) -> Iterator[None]:
    """No stored row before and after (the other page tests expect the default)."""

    def _clear() -> None:
        with web_app.state.session_factory() as session:
            row = session.get(ClinicSettingsRow, 1)
            if row is not None:
                version = row.version
                data = ClinicSettingsUpdate(version=version)
                clinic_settings.save(session=session, actor=ADMIN, data=data)

    _clear()
    yield
    _clear()


def _version(web_app: FastAPI) -> int:
    with web_app.state.session_factory() as session:
        row = session.get(ClinicSettingsRow, 1)
        return 0 if row is None else row.version


def _save(admin: TestClient, web_app: FastAPI, **fields: str) -> tuple[int, str]:
    token = csrf_of(admin.get("/admin/settings").text)
    form = {"csrf_token": token, "version": str(_version(web_app)), **fields}
    response = admin.post("/admin/settings", data=form, follow_redirects=False)
    return response.status_code, response.text


@pytest.mark.usefixtures("clean_settings")
def test_an_admin_edit_shows_on_the_portal_at_once(
    admin: TestClient, patient: TestClient, web_app: FastAPI
) -> None:
    before = patient.get("/portal").text
    assert FALLBACK_TEXT in before  # no phone in the environment, none stored
    status, _ = _save(
        admin, web_app, name="Riverside Spine Clinic", phone="+1 (555) 010-0142", hours="Mon-Fri"
    )
    assert status == 303
    portal = patient.get("/portal").text
    assert 'href="tel:+15550100142"' in portal  # RFC 3966 global form, by hand
    assert "Call Riverside Spine Clinic on" in portal
    assert "(Mon-Fri)" in portal
    assert FALLBACK_TEXT not in portal
    shown = admin.get("/admin/settings").text
    assert 'id="shown-phone">+1 (555) 010-0142<' in shown
    with web_app.state.session_factory() as session:
        event = session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == "clinic_settings", AuditEvent.action == AuditAction.UPDATE
            )
            .order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None
        assert event.actor_username == "demo-admin"
        assert event.details == {"fields": ["name", "phone", "hours"]}
    # Emptied again: every field falls back to the (empty) default.
    status, _ = _save(admin, web_app, name="", phone="", hours="")
    assert status == 303
    assert FALLBACK_TEXT in patient.get("/portal").text


@pytest.mark.usefixtures("clean_settings")
@pytest.mark.parametrize(
    ("phone", "accepted"),
    [
        ("12", False),  # 2 digits: below the minimum of 3
        ("112", True),  # 3 digits: the minimum (a short code)
        ("+123 456 789 012 345", True),  # 15 digits: E.164's maximum
        ("+123 456 789 012 3456", False),  # 16 digits
        ("call 555", False),  # letters
    ],
)
def test_the_phone_rule_is_the_settings_one(
    admin: TestClient, web_app: FastAPI, phone: str, accepted: bool
) -> None:
    before = _version(web_app)
    status, text = _save(admin, web_app, phone=phone)
    if accepted:
        assert status == 303
        with web_app.state.session_factory() as session:
            row = session.get(ClinicSettingsRow, 1)
            assert row is not None
            assert row.phone == phone
    else:
        assert status == 422
        assert 'id="phone-error">' in text
        assert "is not a phone number" in text
        assert _version(web_app) == before  # nothing stored by the refusal
        with web_app.state.session_factory() as session:
            row = session.get(ClinicSettingsRow, 1)
            assert row is None or row.phone is None


@pytest.mark.usefixtures("clean_settings")
def test_a_stale_settings_form_is_a_conflict(admin: TestClient, web_app: FastAPI) -> None:
    assert _save(admin, web_app, name="First")[0] == 303
    token = csrf_of(admin.get("/admin/settings").text)
    stale = admin.post(
        "/admin/settings", data={"csrf_token": token, "version": "0", "name": "Second"}
    )
    assert stale.status_code == 409
    with web_app.state.session_factory() as session:
        row = session.get(ClinicSettingsRow, 1)
        assert row is not None
        assert row.name == "First"


def test_the_environment_is_the_default_of_each_empty_field(web_app: FastAPI) -> None:
    env = Settings(
        env="test",
        secret_key=SecretStr("w" * 48),
        clinic_name="Env Clinic",
        clinic_phone="+1 555 010 0100",
        clinic_hours="24/7",
    )
    session: Session
    with web_app.state.session_factory() as session:
        row = session.get(ClinicSettingsRow, 1)
        version = 0 if row is None else row.version
        try:
            saved = clinic_settings.save(
                session=session,
                actor=ADMIN,
                data=ClinicSettingsUpdate(version=version, name="Stored Clinic"),
            )
            assert saved.version == version + 1  # 0 -> 1: the first save makes the row
            shown = clinic_settings.effective(session=session, settings=env)
            assert (shown.name, shown.phone, shown.hours) == (
                "Stored Clinic",
                "+1 555 010 0100",
                "24/7",
            )
            with pytest.raises(ConflictError):  # the version read is now stale
                clinic_settings.save(
                    session=session, actor=ADMIN, data=ClinicSettingsUpdate(version=version)
                )
        finally:
            current = session.get(ClinicSettingsRow, 1)
            assert current is not None
            clinic_settings.save(
                session=session, actor=ADMIN, data=ClinicSettingsUpdate(version=current.version)
            )
        blank = clinic_settings.effective(session=session, settings=env)
        assert (blank.name, blank.phone, blank.hours) == ("Env Clinic", "+1 555 010 0100", "24/7")
