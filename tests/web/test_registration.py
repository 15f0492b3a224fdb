"""Register a patient and edit demographics: happy paths, every field's rule at its
boundaries (birth date 1900-01-01 and today; phone 3 and 15 digits, the clinic phone's rule
config.dialable_phone), the duplicate MRN named on its field, and the stale-edit 409."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.config import dialable_phone
from rhizo.clinic.core.conflicts import DUPLICATE_MRN
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate
from rhizo.clinic.patient.models import Patient
from tests.web.test_forms_support import REFUSED_ROLES, AsRole, audit_rows, db, new_patient

_MRN = itertools.count(1)
SYSTEM = Actor(user_id=None, username="registration-tests", role=Role.ADMIN)


def _form(client: TestClient, path: str) -> tuple[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return page.text, match.group(1)


def _valid(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "mrn": f"REG-{next(_MRN):05d}",
        "given_name": "Marta",
        "family_name": "Núñez",
        "birth_date": "1958-04-02",
        "sex": "female",
        "email": "marta@example.org",
        "phone": "+1 555 010 0199",
        "postcode": "AB1 2CD",
        "referrer_name": "Dr A. Rivera",
        "referrer_address": "Riverside Practice, 1 Mill Lane",
    } | fields


def _error(html: str, field: str) -> str:
    match = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', html)
    assert match is not None, html
    return match.group(1)


def _by_mrn(app: FastAPI, mrn: str) -> Patient | None:
    with db(app) as session:
        return session.scalar(sa.select(Patient).where(Patient.mrn == mrn))


def test_registration_stores_every_field_and_links_from_the_list(
    as_role: AsRole, web_app: FastAPI
) -> None:
    client = as_role("nurse")
    listing = client.get("/patients").text
    assert 'id="register-patient" class="button" href="/patients/new"' in listing
    _, csrf = _form(client, "/patients/new")
    data = _valid(csrf)
    response = client.post("/patients/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    patient = _by_mrn(web_app, data["mrn"])
    assert patient is not None
    assert response.headers["location"] == f"/patients/{patient.id}?saved=registered#flash"
    assert (patient.given_name, patient.family_name, patient.birth_date) == (
        "Marta",
        "Núñez",
        date(1958, 4, 2),
    )
    assert (patient.family_key, patient.phone, patient.postcode) == (
        "nunez",
        "+1 555 010 0199",
        "AB1 2CD",
    )
    assert (patient.referrer_name, patient.referrer_address) == (
        "Dr A. Rivera",
        "Riverside Practice, 1 Mill Lane",
    )
    (audit,) = audit_rows(web_app, "patient", patient.id, AuditAction.CREATE)
    assert audit.entity_id == str(patient.id)
    page = client.get(response.headers["location"]).text
    assert "Patient registered." in page
    assert f'href="/patients/{patient.id}/edit"' in page
    assert f'href="/patients/{patient.id}/medications"' in page


#: Stands for tomorrow's date in a parameter list; :func:`_dated` reads it when the test
#: runs (a date computed at collection goes stale when a run crosses midnight).
TOMORROW = "<tomorrow>"
#: Stands for today's date, likewise.
TODAY = "<today>"


def _dated(value: str) -> str:
    """``value`` with the TOMORROW / TODAY placeholders replaced by the date now."""
    if value == TOMORROW:
        return (date.today() + timedelta(days=1)).isoformat()
    if value == TODAY:
        return date.today().isoformat()
    return value


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mrn", "", "required"),
        ("mrn", "A1", "pattern"),  # 2 characters: the rule starts at 3
        ("mrn", "A B-1", "pattern"),
        ("given_name", "", "required"),
        ("family_name", "x" * 101, "at most 100 characters"),
        ("birth_date", "", "required"),
        ("birth_date", TOMORROW, "future"),
        ("birth_date", "1899-12-31", "1900-01-01"),
        ("birth_date", "31/12/1950", "date"),
        ("sex", "", "required"),
        ("sex", "robot", "Input should be"),
        ("email", "marta.example.org", "pattern"),
        ("phone", "12", "is not a phone number"),  # 2 digits
        ("phone", "1234567890123456", "is not a phone number"),  # 16 digits
        ("phone", "555-CALL-NOW", "is not a phone number"),
        ("postcode", "x" * 17, "at most 16 characters"),
        ("referrer_name", "x" * 201, "at most 200 characters"),
        ("referrer_address", "x" * 501, "at most 500 characters"),
    ],
)
def test_each_field_error_is_inline_and_nothing_is_saved(
    as_role: AsRole, web_app: FastAPI, field: str, value: str, message: str
) -> None:
    client = as_role("clinician")
    _, csrf = _form(client, "/patients/new")
    data = _valid(csrf, **{field: _dated(value)})
    response = client.post("/patients/new", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert message in _error(response.text, field)
    assert f'value="{data["given_name"]}"' in response.text  # typed values kept
    assert _by_mrn(web_app, data["mrn"]) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "1900-01-01"),
        ("birth_date", TODAY),
        ("phone", "123"),  # 3 digits: the shortest the clinic phone rule allows
        ("phone", "123456789012345"),  # 15 digits: E.164's longest
        ("phone", "020 (7946) 000.0"),
        ("email", ""),  # optional fields may be left out
    ],
)
def test_values_at_the_boundaries_are_accepted(
    as_role: AsRole, web_app: FastAPI, field: str, value: str
) -> None:
    value = _dated(value)
    if field == "phone":  # the reference: the clinic phone setting's own rule
        assert dialable_phone(value, name="phone") == value
    client = as_role("clinician")
    _, csrf = _form(client, "/patients/new")
    data = _valid(csrf, **{field: value})
    response = client.post("/patients/new", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    patient = _by_mrn(web_app, data["mrn"])
    assert patient is not None
    stored = getattr(patient, field)
    assert (stored.isoformat() if field == "birth_date" else stored) == (value or None)


def test_the_phone_rule_is_the_clinic_settings_rule() -> None:
    for value in ("12", "1234567890123456"):
        with pytest.raises(ValueError, match="not a phone number"):
            dialable_phone(value, name="phone")


def test_a_duplicate_mrn_is_named_on_the_mrn_field(as_role: AsRole, web_app: FastAPI) -> None:
    client = as_role("nurse")
    _, csrf = _form(client, "/patients/new")
    first = _valid(csrf)
    assert client.post("/patients/new", data=first, follow_redirects=False).status_code == 303
    again = _valid(csrf, mrn=first["mrn"], given_name="Other")
    response = client.post("/patients/new", data=again, follow_redirects=False)
    assert response.status_code == 409
    assert _error(response.text, "mrn") == DUPLICATE_MRN
    with db(web_app) as session:
        same = session.scalars(sa.select(Patient).where(Patient.mrn == first["mrn"])).all()
        assert [p.given_name for p in same] == ["Marta"]


def _edit_values(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="[\w-]+" value="([^"]*)"', html))
    fields["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    fields["sex"] = re.search(r'<option value="(\w+)" selected', html).group(1)  # type: ignore[union-attr]
    fields["referrer_address"] = re.search(
        r'<textarea id="referrer_address"[^>]*>([^<]*)</textarea>', html
    ).group(1)  # type: ignore[union-attr]
    return fields


def test_editing_demographics_saves_and_clears_and_refuses_a_stale_form(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)  # Form Tester, born 1960-03-01, no phone
    client = as_role("nurse")
    html, csrf = _form(client, f"/patients/{pid}/edit")
    values = _edit_values(html)
    assert (values["given_name"], values["birth_date"], values["version"]) == (
        "Form",
        "1960-03-01",
        "1",
    )
    change = values | {"csrf_token": csrf, "phone": "+44 20 7946 0000", "referrer_name": "Dr B"}
    response = client.post(f"/patients/{pid}/edit", data=change, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/patients/{pid}?saved=demographics#flash"
    with db(web_app) as session:
        patient = session.get_one(Patient, pid)
        assert (patient.phone, patient.referrer_name, patient.version) == (
            "+44 20 7946 0000",
            "Dr B",
            2,
        )
    (audit,) = audit_rows(web_app, "patient", pid, AuditAction.UPDATE)
    assert audit.details["fields"] == ["phone", "referrer_name"]
    # The same (now stale) form again: 409, the stored version offered, the typed kept.
    stale = client.post(f"/patients/{pid}/edit", data=change | {"phone": ""})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    assert 'name="version" value="2"' in stale.text
    # Clearing an optional field from the current version.
    cleared = change | {"version": "2", "phone": ""}
    assert client.post(f"/patients/{pid}/edit", data=cleared).status_code == 200
    with db(web_app) as session:
        assert session.get_one(Patient, pid).phone is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("given_name", "", "required"),
        ("sex", "", "required"),
        ("birth_date", "", "required"),
        ("birth_date", TOMORROW, "future"),
        ("phone", "12", "is not a phone number"),
        ("version", "", "out of date"),
    ],
)
def test_edit_errors_are_inline(
    as_role: AsRole, web_app: FastAPI, field: str, value: str, message: str
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    html, csrf = _form(client, f"/patients/{pid}/edit")
    data = _edit_values(html) | {"csrf_token": csrf, field: _dated(value)}
    response = client.post(f"/patients/{pid}/edit", data=data)
    assert response.status_code == 422
    where = "form" if field == "version" else field
    if where == "form":
        assert message in response.text
    else:
        assert message in _error(response.text, field)
    with db(web_app) as session:
        assert session.get_one(Patient, pid).version == 1


def test_a_birth_date_after_a_recorded_event_is_refused(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    with db(web_app) as session:
        followup_service.create(
            session=session,
            actor=SYSTEM,
            patient_id=pid,
            data=FollowUpCreate(followed_on=date(2020, 5, 1), nrs=4),
        )
    client = as_role("clinician")
    html, csrf = _form(client, f"/patients/{pid}/edit")
    data = _edit_values(html) | {"csrf_token": csrf}
    late = client.post(f"/patients/{pid}/edit", data=data | {"birth_date": "2020-05-02"})
    assert late.status_code == 422
    assert "follow-up of 2020-05-01" in _error(late.text, "birth_date")
    same_day = client.post(
        f"/patients/{pid}/edit", data=data | {"birth_date": "2020-05-01"}, follow_redirects=False
    )
    assert same_day.status_code == 303


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_readers_may_not_register_or_edit(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    client = as_role(role)
    assert client.get("/patients/new").status_code == 403
    assert client.get(f"/patients/{pid}/edit").status_code == 403
