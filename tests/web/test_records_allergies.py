"""The allergies page (list, add, mark entered in error, inline errors) and the allergy
warning on the procedure form."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rhizo.clinic.allergy.models import Allergy
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.patient.models import Patient
from rhizo.pathway.facts import entry
from tests.web.test_forms_support import REFUSED_ROLES, AsRole, audit_rows, db, new_patient


def _page(client: TestClient, pid: int) -> tuple[str, str]:
    page = client.get(f"/patients/{pid}/allergies")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return page.text, match.group(1) if match else ""


def _add(client: TestClient, pid: int, csrf: str, **fields: str) -> object:
    data = {"csrf_token": csrf, "category": "local_anaesthetic", "substance": "lidocaine"}
    data |= {"reaction": "hives", "severity": "moderate", "recorded_on": "2025-03-01"} | fields
    return client.post(f"/patients/{pid}/allergies/new", data=data, follow_redirects=False)


def _rows(app: FastAPI, pid: int) -> list[Allergy]:
    with db(app) as session:
        return list(session.scalars(sa.select(Allergy).where(Allergy.patient_id == pid)))


def test_an_allergy_is_recorded_listed_and_warned_on_the_procedure_form(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    html, csrf = _page(client, pid)
    assert 'id="no-allergies"' in html
    assert 'id="allergy-warning"' not in client.get(f"/patients/{pid}/procedures/new").text
    response = _add(client, pid, csrf)
    assert response.status_code == 303  # type: ignore[attr-defined]
    (row,) = _rows(web_app, pid)
    assert (row.category.value, row.substance, row.severity.value) == (
        "local_anaesthetic",
        "lidocaine",
        "moderate",
    )
    (audit,) = audit_rows(web_app, "allergy", pid, AuditAction.CREATE)
    assert audit.entity_id == str(row.id)
    html, _ = _page(client, pid)
    assert f'data-row="allergy-{row.id}"' in html
    form = client.get(f"/patients/{pid}/procedures/new").text
    warning = form.split('id="allergy-warning"')[1].split("</section>")[0]
    assert "lidocaine: hives (moderate), recorded 2025-03-01" in warning
    assert entry("screening", "allergy-local-anaesthetic")["message"] in warning
    # The patient page links to the page and counts the allergy.
    patient_page = client.get(f"/patients/{pid}").text
    assert f'href="/patients/{pid}/allergies">Allergies (1 recorded)' in patient_page


def test_marking_entered_in_error_strikes_it_and_ends_the_warning(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    _add(client, pid, csrf, category="contrast", substance="iohexol")
    (row,) = _rows(web_app, pid)
    data = {"csrf_token": csrf, "allergy_id": str(row.id), "version": str(row.version)}
    blank = client.post(f"/patients/{pid}/allergies/error", data=data | {"reason": ""})
    assert blank.status_code == 422
    assert re.search(rf'id="reason-{row.id}-error">required', blank.text)
    marked = client.post(
        f"/patients/{pid}/allergies/error",
        data=data | {"reason": "another patient's allergy"},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    html, _ = _page(client, pid)
    struck = html.split('id="allergies-in-error"')[1]
    assert "<del>contrast dye (iohexol)" in struck
    assert "another patient&#39;s allergy" in struck
    assert 'id="allergy-warning"' not in html
    again = client.post(
        f"/patients/{pid}/allergies/error", data=data | {"reason": "again"}
    )  # the version moved on: 409
    assert again.status_code == 409
    clinician = as_role("clinician")
    assert 'id="allergy-warning"' not in clinician.get(f"/patients/{pid}/procedures/new").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("category", "", "required"),
        ("category", "penicillin", "Input should be"),
        ("severity", "deadly", "Input should be"),
        ("recorded_on", "", "required"),
        ("recorded_on", "<tomorrow>", "future"),  # dated when the test runs
        ("recorded_on", "1960-02-29", "before"),  # the patient was born 1960-03-01
        ("reaction", "x" * 201, "at most 200 characters"),
        ("substance", "x" * 121, "at most 120 characters"),
    ],
)
def test_add_errors_are_inline_on_the_field(
    as_role: AsRole, web_app: FastAPI, field: str, value: str, message: str
) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    if value == "<tomorrow>":  # not at collection: a run may cross midnight
        value = (date.today() + timedelta(days=1)).isoformat()
    response = _add(client, pid, csrf, **{field: value})
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    error = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', html)
    assert error is not None, html
    assert message in error.group(1)
    assert _rows(web_app, pid) == []


def test_other_without_a_substance_is_refused_on_the_substance_field(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("nurse")
    _, csrf = _page(client, pid)
    response = _add(client, pid, csrf, category="other", substance="")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert 'id="substance-error">name the substance' in response.text  # type: ignore[attr-defined]
    assert _add(client, pid, csrf, category="other", substance="egg").status_code == 303  # type: ignore[attr-defined]


def test_the_patient_reads_their_allergies_without_forms(as_role: AsRole, web_app: FastAPI) -> None:
    with db(web_app) as session:
        pid = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    page = as_role("patient").get(f"/patients/{pid}/allergies")
    assert page.status_code == 200
    assert 'id="allergy-form"' not in page.text
    assert "/allergies/error" not in page.text


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_writes_are_refused_to_readers(as_role: AsRole, web_app: FastAPI, role: str) -> None:
    pid = new_patient(web_app)
    client = as_role(role)
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/", follow_redirects=True).text
    )
    data = {"csrf_token": token.group(1) if token else "", "category": "latex"}
    data["recorded_on"] = "2025-03-01"
    response = client.post(f"/patients/{pid}/allergies/new", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert _rows(web_app, pid) == []
